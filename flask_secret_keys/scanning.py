"""GitHub's public keys for secret scanning: fetched, cached, and checked against.

GitHub signs each secret scanning alert with ECDSA P-256 and SHA-256 over the
raw body, and names the key in the ``Github-Public-Key-Identifier`` header;
the keys are published as JSON at ``SECRET_KEYS_GITHUB_KEYS_URL``. The
signature is checked with the ``cryptography`` package
(``pip install 'flask-secret-keys[scanning]'``), imported only when the
endpoint is on.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import urllib.error
import urllib.request
from time import monotonic
from typing import Any

from flask import current_app

from .errors import KeyServerUnavailable

#: How long a fetch of GitHub's public keys may take, in seconds.
KEYS_TIMEOUT = 5.0
#: Public keys are fetched again for an unknown identifier at most this often (seconds).
REFRESH_EVERY = 60.0
#: The largest key document read.
MAX_DOCUMENT = 1024 * 1024


class GitHubKeys:
    """GitHub's public keys for secret scanning, fetched once, cached, refreshed when needed.

    A call signed by an identifier not in the cache fetches the keys again, at
    most once per :data:`REFRESH_EVERY`; one shared by every thread.
    """

    def __init__(self, url: str) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._ec = ec
        self.url = url
        self._keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self._attempted_at: float | None = None
        self._failed = False
        self._lock = threading.Lock()

    def key(self, identifier: str) -> Any | None:
        """The public key of ``identifier``; None if GitHub does not publish it.

        Raises :class:`KeyServerUnavailable` when the keys cannot be fetched
        and the identifier is not known already.
        """
        with self._lock:
            known = self._keys.get(identifier)
            if known is not None:
                return known
            recent = (
                self._attempted_at is not None and monotonic() - self._attempted_at < REFRESH_EVERY
            )
            if not recent:
                self._attempted_at = monotonic()
                self._failed = True
                self._keys = {**self._keys, **self._fetch()}
                self._failed = False
            elif self._failed:
                raise KeyServerUnavailable()
            return self._keys.get(identifier)

    def _fetch(self) -> dict[str, Any]:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        # The URL is a setting checked to be http(s) at start-up.
        fetch = urllib.request.Request(  # noqa: S310
            self.url, headers={"Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(fetch, timeout=KEYS_TIMEOUT) as answer:  # noqa: S310
                published = json.loads(answer.read(MAX_DOCUMENT))
            keys = {}
            for entry in published["public_keys"]:
                key = load_pem_public_key(entry["key"].encode("ascii"))
                if isinstance(key, self._ec.EllipticCurvePublicKey) and isinstance(
                    key.curve, self._ec.SECP256R1
                ):
                    keys[str(entry["key_identifier"])] = key
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            if isinstance(error, urllib.error.HTTPError):
                error.close()
            current_app.logger.warning(
                "Could not fetch GitHub's secret scanning keys from %s: %s",
                self.url,
                type(error).__name__,
            )
            raise KeyServerUnavailable() from None
        return keys

    def verify(self, key: Any, body: bytes, signature: str) -> bool:
        """Whether ``signature`` (base64 of a DER ECDSA signature) signs ``body`` with ``key``."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes

        try:
            key.verify(
                base64.b64decode(signature, validate=True),
                body,
                self._ec.ECDSA(hashes.SHA256()),
            )
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

"""A stand-in for GitHub's secret scanning public keys, for the tests of the intake.

The tests start it on 127.0.0.1 and sign alerts with key pairs they generate:
nothing reaches the internet.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, Response, jsonify

URL = "/secret-keys/github-scanning"


class KeyServer:
    """A stand-in for GitHub's public keys endpoint: publishes ``keys``, counts its fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {"one": new_key()}
        self.fetches = 0
        self.down = False
        #: Where the keys are published, once the test serves ``app``.
        self.url = ""
        self.app = Flask("key_server")
        self.app.add_url_rule("/keys", "keys", self.publish)

    def publish(self) -> Response:
        self.fetches += 1
        if self.down:
            return Response("down", 500)
        return jsonify(
            public_keys=[
                {"key_identifier": name, "key": pem(key), "is_current": True}
                for name, key in self.keys.items()
            ]
        )


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign(key: ec.EllipticCurvePrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def match(
    token: str, url: str = "https://github.com/acme/app/blob/abc/settings.py"
) -> dict[str, str]:
    return {"token": token, "type": "acme_secret_api_key", "url": url, "source": "content"}

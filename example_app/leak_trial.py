"""Trying GitHub's secret scanning intake locally, with a key pair of the example's own.

GitHub signs its alerts with keys it publishes; to try the endpoint without
GitHub, the example makes a P-256 key pair of its own in its instance folder
on first start (never GitHub's keys), publishes the public key at
``/dev/github-public-keys`` and points ``SECRET_KEYS_GITHUB_KEYS_URL`` there.
With the app running (``flask --app example_app run``), in another terminal::

    flask --app example_app leak-trial sk_...

signs an alert for that key as GitHub would and posts it; the key is revoked,
and its page says where it "leaked". Needs ``pip install
'flask-secret-keys[scanning]'``. A real deployment leaves
``SECRET_KEYS_GITHUB_KEYS_URL`` at GitHub's.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, jsonify
from flask.cli import with_appcontext

#: Where the running example serves its pages, and so its test public key.
SERVER = os.environ.get("EXAMPLE_SERVER", "http://127.0.0.1:5000")
SCANNING_URL = "/secret-keys/github-scanning"
KEY_ID = "example-trial-key"


def settings() -> dict[str, Any]:
    """The settings that turn the intake on against the example's own key, if it can be."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return {}
    return {
        "SECRET_KEYS_GITHUB_SCANNING_URL": SCANNING_URL,
        "SECRET_KEYS_GITHUB_KEYS_URL": f"{SERVER}/dev/github-public-keys",
    }


def _private_key(app: Flask) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = Path(app.instance_path) / "github-trial-key.pem"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def install(app: Flask) -> None:
    """Serve the trial public key and add the ``leak-trial`` command, when the intake is on."""
    if not app.config.get("SECRET_KEYS_GITHUB_SCANNING_URL"):
        return

    @app.get("/dev/github-public-keys")
    def github_public_keys() -> Any:
        from cryptography.hazmat.primitives import serialization

        public = (
            _private_key(current_app)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )
        return jsonify(public_keys=[{"key_identifier": KEY_ID, "key": public, "is_current": True}])

    app.cli.add_command(leak_trial)


@click.command("leak-trial")
@click.argument("token")
@with_appcontext
@click.option("--url", default="https://github.com/example/demo/blob/main/settings.py")
def leak_trial(token: str, url: str) -> None:
    """Post a signed secret scanning alert for TOKEN to the running example, as GitHub would."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    body = json.dumps(
        [{"token": token, "type": "example_secret_api_key", "url": url, "source": "content"}]
    ).encode()
    signature = _private_key(current_app).sign(body, ec.ECDSA(hashes.SHA256()))
    alert = urllib.request.Request(  # noqa: S310 - the example's own server
        f"{SERVER}{SCANNING_URL}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": KEY_ID,
            "Github-Public-Key-Signature": base64.b64encode(signature).decode("ascii"),
        },
    )
    with urllib.request.urlopen(alert, timeout=10) as answer:  # noqa: S310
        click.echo(answer.read().decode())

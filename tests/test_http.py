"""Real HTTP clients against the example app served on 127.0.0.1."""

from __future__ import annotations

import base64
import http.client
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask

from flask_secret_keys import crypto
from tests.conftest import service_of


def me(base_url: str, **kwargs: object) -> requests.Response:
    return requests.get(f"{base_url}/admin/api/me", timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "how",
    ["basic auth tuple", "bearer", "custom header"],
)
def test_valid_key_over_http(live_server: str, admin_token: str, how: str) -> None:
    kwargs: dict[str, object] = {
        "basic auth tuple": {"auth": (admin_token, "")},
        "bearer": {"headers": {"Authorization": f"Bearer {admin_token}"}},
        "custom header": {"headers": {"X-Api-Key": admin_token}},
    }[how]  # type: ignore[assignment]
    response = me(live_server, **kwargs)
    assert response.status_code == 200
    assert response.json() == {"id": 1, "email": "admin@example.com"}
    assert "Set-Cookie" not in response.headers


def test_post_with_a_key_over_http(live_server: str, admin_token: str) -> None:
    response = requests.post(
        f"{live_server}/admin/api/echo", json={"n": 1}, auth=(admin_token, ""), timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"n": 1}
    assert "Set-Cookie" not in response.headers


def test_revoked_and_deleted_keys_stop_working_at_once(
    app: Flask, live_server: str, admin_token: str
) -> None:
    service = service_of(app)
    assert me(live_server, auth=(admin_token, "")).status_code == 200
    with app.app_context():
        key = service.authenticate(admin_token)
        key_id = key.id
        service.revoke(key)
    revoked = me(live_server, auth=(admin_token, ""))
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "invalid_api_key"
    with app.app_context():
        service.delete(service.key_by_id(key_id))
    assert me(live_server, auth=(admin_token, "")).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sk_notakey",
        "Bearer " + crypto.generate_token(),
        "Basic " + base64.b64encode(b"sk_x:").decode(),
        "Bearer sk_" + "A" * 5000,
    ],
)
def test_malformed_keys_over_http(live_server: str, header: str) -> None:
    response = me(live_server, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_api_key"


def test_two_authorization_headers_are_refused(live_server: str, admin_token: str) -> None:
    parts = urlsplit(live_server)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.putrequest("GET", "/admin/api/me")
        connection.putheader("Authorization", f"Bearer {admin_token}")
        connection.putheader("Authorization", f"Bearer {admin_token}")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 401
        response.read()
    finally:
        connection.close()

"""Security headers on the extension's pages, never overriding the host's own."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from tests.helpers import csrf_token, get_user, log_in, service_of

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def page_urls(app: Flask, key_id: int) -> list[str]:
    """Every GET page of the extension, from the URL map."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            ours = (
                rule.endpoint.startswith("secret_keys.") and rule.endpoint != "secret_keys.static"
            )
            if ours and "GET" in (rule.methods or ()):
                args: dict[str, Any] = {"key_id": key_id} if rule.arguments else {}
                if rule.endpoint == "secret_keys.revoke_all":
                    args["owner"] = "admin@example.com"
                urls.append(url_for(rule.endpoint, **args))
    return urls


@pytest.fixture
def key_id(app: Flask) -> int:
    with app.app_context():
        key, _token = service_of(app).create(get_user("admin@example.com"), "Key")
        return key.id


def assert_secure(response: Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.headers)


def test_every_page_of_the_extension_has_the_headers(
    app: Flask, client: FlaskClient, key_id: int
) -> None:
    log_in(client, "admin@example.com", "admin")
    urls = page_urls(app, key_id)
    assert len(urls) >= 5
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert_secure(response)


def test_the_page_that_reveals_a_new_key_is_not_stored(client: FlaskClient) -> None:
    log_in(client, "admin@example.com", "admin")
    url = "/settings/secret-api-keys/new"

    response = client.post(url, data={"title": "New", "csrf_token": csrf_token(client, url)})

    assert response.status_code == 200
    assert "sk_" in response.get_data(as_text=True)
    assert_secure(response)


@pytest.mark.parametrize(
    ("email", "password", "url", "status"),
    [
        ("viewer@example.com", "viewer", "/settings/secret-api-keys", 403),
        ("admin@example.com", "admin", "/settings/secret-api-keys/999999", 404),
    ],
)
def test_error_pages_of_the_extension_have_the_headers(
    client: FlaskClient, email: str, password: str, url: str, status: int
) -> None:
    log_in(client, email, password)
    response = client.get(url)
    assert response.status_code == status
    assert_secure(response)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/settings/secret-api-keys/nope", 404),
        ("GET", "/settings/secret-api-keys/1/nope", 404),
        ("DELETE", "/settings/secret-api-keys", 405),
        ("PUT", "/settings/secret-api-keys/1/revoke", 405),
    ],
)
def test_routing_errors_under_the_pages_have_the_headers(
    client: FlaskClient, method: str, url: str, status: int
) -> None:
    log_in(client, "admin@example.com", "admin")

    response = client.open(url, method=method)

    assert response.status_code == status
    assert_secure(response)


def test_routing_errors_of_the_host_are_left_alone(client: FlaskClient) -> None:
    for url in ("/nope", "/settings/secret-api-keys-nope"):
        response = client.get(url)
        assert response.status_code == 404
        assert "X-Frame-Options" not in response.headers


def test_headers_the_host_set_are_kept(app: Flask, client: FlaskClient) -> None:
    @app.after_request
    def host_policy(response: Response) -> Response:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    log_in(client, "admin@example.com", "admin")
    response = client.get("/settings/secret-api-keys")

    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]


def test_the_hosts_own_pages_are_left_alone(client: FlaskClient) -> None:
    log_in(client, "admin@example.com", "admin")
    response = client.get("/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert "Content-Security-Policy" not in response.headers


def test_static_files_keep_their_caching(client: FlaskClient) -> None:
    response = client.get("/settings/secret-api-keys/static/secret_keys.css")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()

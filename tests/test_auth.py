"""Header authentication through the Flask test client: every header form and its rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example_app.extensions import secret_keys
from example_app.models import db
from flask_secret_keys import KeyService, admin_api_required, crypto, current_key
from tests.helpers import (
    HEADER_FORMS,
    basic,
    csrf_token,
    get_user,
    key_headers,
    log_in,
    service_of,
)


@pytest.mark.parametrize("form", HEADER_FORMS)
def test_key_authenticates_in_every_header_form(
    client: FlaskClient, admin_token: str, form: str
) -> None:
    response = client.get("/admin/api/me", headers=key_headers(form, admin_token))
    assert response.status_code == 200
    assert response.json == {"id": 1, "email": "admin@example.com"}


#: Credentials of ours (the key prefix, or the custom header) that are not a usable key.
REFUSED_FORMS: dict[str, Callable[[str], dict[str, str]]] = {
    "basic with a password": lambda k: {"Authorization": basic(f"{k}:secret")},
    "bearer wrong checksum": lambda k: {
        "Authorization": f"Bearer {k[:-1]}{'A' if k[-1] != 'A' else 'B'}"
    },
    "bearer truncated": lambda k: {"Authorization": f"Bearer {k[:-5]}"},
    "bearer with an equals sign": lambda k: {"Authorization": f"Bearer {k[:10]}={k[11:]}"},
    "bearer two keys": lambda k: {"Authorization": f"Bearer {k} {k}"},
    "custom header empty": lambda k: {"X-Api-Key": ""},
    "custom header unknown key": lambda k: {"X-Api-Key": crypto.generate_token()},
    "two credentials": lambda k: {"Authorization": f"Bearer {k}", "X-Api-Key": k},
}


#: Authorization credentials that are not ours: left to the host's own authentication.
FOREIGN_FORMS = {
    "bearer jwt": lambda k: {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"},
    "bearer empty": lambda k: {"Authorization": "Bearer "},
    "bearer key without prefix": lambda k: {"Authorization": f"Bearer {k[3:]}"},
    "basic user and password": lambda k: {"Authorization": basic("deploy:hunter2")},
    "basic with key as password": lambda k: {"Authorization": basic(f":{k}")},
    "basic broken base64": lambda k: {"Authorization": "Basic !!!notbase64"},
    "token scheme": lambda k: {"Authorization": f"Token {k}"},
    "digest scheme": lambda k: {"Authorization": 'Digest username="ada", nonce="x"'},
}


@pytest.mark.parametrize("form", FOREIGN_FORMS)
def test_foreign_authorization_is_left_to_the_host(
    admin_client: FlaskClient, client: FlaskClient, admin_token: str, form: str
) -> None:
    headers = FOREIGN_FORMS[form](admin_token)
    # Beside a session cookie it changes nothing: the session's user is served ...
    response = admin_client.get("/admin/api/me", headers=headers)
    assert response.status_code == 200
    assert response.json == {"id": 1, "email": "admin@example.com"}
    # ... and alone it is no credential of ours: anonymous, not a refused key.
    anonymous = client.application.test_client().get("/admin/api/me", headers=headers)
    assert anonymous.status_code == 401
    assert anonymous.json is not None
    assert anonymous.json["error"] == "authentication_required"


@pytest.mark.parametrize("form", REFUSED_FORMS)
def test_bad_credentials_get_401_json(client: FlaskClient, admin_token: str, form: str) -> None:
    response = client.get("/admin/api/me", headers=REFUSED_FORMS[form](admin_token))
    assert response.status_code == 401
    assert response.json == {
        "error": "invalid_api_key",
        "message": "The secret API key is not valid.",
    }
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert "Basic" not in challenge
    assert "Location" not in response.headers


def test_revoked_and_deleted_keys_get_the_same_answer_as_unknown_ones(
    app: Flask, client: FlaskClient, admin_token: str
) -> None:
    service: KeyService = service_of(app)
    unknown = client.get("/admin/api/me", headers={"X-Api-Key": crypto.generate_token()})
    with app.app_context():
        key = service.authenticate(admin_token)
        assert key is not None
        key_id = key.id
        service.revoke(key)
    revoked = client.get("/admin/api/me", headers={"X-Api-Key": admin_token})
    with app.app_context():
        service.delete(service.key_by_id(key_id))
    deleted = client.get("/admin/api/me", headers={"X-Api-Key": admin_token})
    for response in (revoked, deleted):
        assert response.status_code == unknown.status_code == 401
        assert response.get_data() == unknown.get_data()
        assert response.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


@pytest.mark.parametrize("change", ["inactive", "not admin"])
def test_key_of_a_user_who_may_no_longer_use_it_is_refused(
    app: Flask, client: FlaskClient, admin_token: str, change: str
) -> None:
    with app.app_context():
        admin = get_user("admin@example.com")
        if change == "inactive":
            admin.active = False
        else:
            admin.is_admin = False
        db.session.commit()
    assert client.get("/admin/api/me", headers={"X-Api-Key": admin_token}).status_code == 401


def test_key_requests_get_no_session_cookie(client: FlaskClient, admin_token: str) -> None:
    for method, path in (("GET", "/admin/api/me"), ("POST", "/admin/api/echo")):
        response = client.open(path, method=method, json={}, headers={"X-Api-Key": admin_token})
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


def test_a_key_response_sets_no_cookie_beside_a_session(make_app: Callable[..., Flask]) -> None:
    """Flask-Login refreshes the session user's remember cookie on every response if asked."""
    app = make_app(REMEMBER_COOKIE_REFRESH_EACH_REQUEST=True)
    with app.app_context():
        _key, token = secret_keys.service.create(get_user("admin@example.com"), "CI")
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    assert "remember_token=" in client.get("/admin/api/me").headers.get("Set-Cookie", "")

    response = client.get("/admin/api/me", headers={"X-Api-Key": token})

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_key_post_needs_no_csrf_token(client: FlaskClient, admin_token: str) -> None:
    response = client.post(
        "/admin/api/echo",
        json={"hello": "world"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200
    assert response.json == {"hello": "world"}


def test_session_post_with_csrf_header_is_accepted(admin_client: FlaskClient) -> None:
    token = csrf_token(admin_client)
    response = admin_client.post(
        "/admin/api/echo", json={"hello": "world"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200


#: Keys that fail, whatever session comes with them: malformed, unknown, revoked.
BAD_KEYS: dict[str, Callable[[FlaskClient], str]] = {
    "malformed": lambda client: "sk_nonsense",
    "unknown": lambda client: crypto.generate_token(),
    "revoked": lambda client: revoked_key(client.application),
}


def revoked_key(app: Flask) -> str:
    with app.app_context():
        service = secret_keys.service
        key, token = service.create(get_user("ops@example.com"), "Revoked")
        service.revoke(key)
    return str(token)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("bad_key", BAD_KEYS)
def test_a_bad_key_is_refused_even_with_a_valid_session(
    admin_client: FlaskClient, bad_key: str, method: str
) -> None:
    """A session cookie (and its CSRF token) never rescues a request whose key fails."""
    path = "/admin/api/me" if method == "GET" else "/admin/api/echo"
    csrf = {"X-CSRFToken": csrf_token(admin_client)}
    # The session alone is let through ...
    assert admin_client.open(path, method=method, json={}, headers=csrf).status_code == 200
    # ... not with a bad key beside it.
    headers = {**csrf, "X-Api-Key": BAD_KEYS[bad_key](admin_client)}
    response = admin_client.open(path, method=method, json={}, headers=headers)
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "invalid_api_key"


def test_the_key_decides_who_the_user_is_over_a_session(
    app: Flask, viewer_client: FlaskClient, admin_token: str
) -> None:
    response = viewer_client.get("/admin/api/me", headers={"X-Api-Key": admin_token})
    assert response.json == {"id": 1, "email": "admin@example.com"}


def test_admin_api_views_see_the_key_in_use_and_other_views_do_not(
    app: Flask, admin_token: str
) -> None:
    seen: list[Any] = []

    @app.get("/api-key-in-use")
    @admin_api_required
    def api_view() -> str:
        seen.append(current_key.redacted if current_key else None)
        return "ok"

    @app.get("/page-key-in-use")
    def page_view() -> str:
        seen.append(current_key.redacted if current_key else None)
        return "ok"

    client = app.test_client()
    client.get("/api-key-in-use", headers={"X-Api-Key": admin_token})
    client.get("/page-key-in-use", headers={"X-Api-Key": admin_token})
    assert seen == [crypto.redact(admin_token), None]


def test_custom_header_name(make_app: Callable[..., Flask]) -> None:
    app = make_app(SECRET_KEYS_HEADER="X-Store-Key")
    with app.app_context():
        _key, token = service_of(app).create(get_user("admin@example.com"), "K")
    client = app.test_client()
    assert client.get("/admin/api/me", headers={"X-Store-Key": token}).status_code == 200
    response = client.get("/admin/api/me", headers={"X-Api-Key": token})
    assert response.json is not None and response.json["error"] == "authentication_required"


def test_host_error_pages_can_read_the_current_user_after_a_refused_key(app: Flask) -> None:
    from flask_login import current_user

    @app.errorhandler(401)
    def unauthorized(error: Exception) -> tuple[str, int]:
        return f"anonymous={current_user.is_anonymous}", 401

    response = app.test_client().get(
        "/admin/api/me", headers={"X-Api-Key": crypto.generate_token()}
    )
    assert response.status_code == 401
    assert response.get_data(as_text=True) == "anonymous=True"

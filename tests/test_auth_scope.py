"""What a key can reach: the Admin API, and nothing else of the host.

A key authenticates on views marked with ``admin_api_required`` or in
blueprints declared with ``admin_api_blueprint``; everywhere else a request is
handled as if it carried no key. Credentials not addressed to the extension
are left to the host, on every route.
"""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from flask import Blueprint, Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from flask_login import current_user, login_required

from example_app.models import User, db
from flask_secret_keys import admin_api_blueprint, admin_api_required, crypto
from tests.helpers import csrf_token, get_user, log_in, service_of

INTEGRATION_DOC = Path(__file__).resolve().parent.parent / "docs" / "integration.md"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_dashboard_with_a_key_is_not_the_dashboard(
    client: FlaskClient, admin_token: str
) -> None:
    response = client.get("/", headers=bearer(admin_token))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.fixture
def password_form(app: Flask) -> Flask:
    """A host's ordinary form route, behind ``login_required`` and CSRF."""

    @app.post("/account/password")
    @login_required
    def change_password() -> str:
        current_user.password_hash = "taken-over"
        db.session.commit()
        return "changed"

    return app


def password_of_admin_is(app: Flask, password: str) -> bool:
    with app.app_context():
        return bool(get_user("admin@example.com").check_password(password))


@pytest.mark.parametrize("with_session", [False, True], ids=["key alone", "key and session"])
def test_a_host_form_refuses_a_key_post_without_csrf_token(
    password_form: Flask, admin_token: str, with_session: bool
) -> None:
    client = password_form.test_client()
    if with_session:
        csrf_token(client)  # a session cookie, as a browser would have one
    response = client.post("/account/password", headers=bearer(admin_token))

    assert response.status_code == 400
    assert b"CSRF" in response.get_data()
    assert password_of_admin_is(password_form, "admin")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Api-Key": "junk"},
        {"X-Api-Key": crypto.generate_token()},
        bearer("sk_not_a_key"),
        bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYXJ0bmVyIn0.c2ln"),
        {"Authorization": "Basic ZGVwbG95Omh1bnRlcjI="},
    ],
    ids=["junk custom header", "unknown key", "bad bearer key", "foreign jwt", "proxy basic"],
)
def test_any_credential_on_a_page_is_ignored(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get("/login", headers=headers)

    assert response.status_code == 200
    assert b"<form" in response.get_data()


def test_a_declared_blueprint_is_admin_api_with_its_nested_blueprints(
    make_app: Any,
) -> None:
    reports = admin_api_blueprint(Blueprint("reports", __name__, url_prefix="/admin/reports"))
    nested = Blueprint("daily", __name__, url_prefix="/daily")

    @reports.get("/sales")
    def sales() -> dict[str, Any]:
        return {"email": current_user.email}

    @nested.get("/summary")
    def summary() -> dict[str, Any]:
        return {"email": current_user.email}

    reports.register_blueprint(nested)
    app = make_app()
    app.register_blueprint(reports)
    with app.app_context():
        _key, token = service_of(app).create(get_user("admin@example.com"), "Reports")
    client = app.test_client()

    for path in ("/admin/reports/sales", "/admin/reports/daily/summary"):
        assert client.get(path, headers=bearer(token)).json == {"email": "admin@example.com"}
        anonymous = client.get(path)
        assert anonymous.status_code == 401
        assert anonymous.json == {
            "error": "authentication_required",
            "message": "Authentication is required: send a secret API key or log in.",
        }
        refused = client.get(path, headers={"X-Api-Key": crypto.generate_token()})
        assert refused.status_code == 401
        assert refused.json is not None and refused.json["error"] == "invalid_api_key"


def test_a_declared_blueprint_refuses_a_non_admin_session(make_app: Any) -> None:
    reports = admin_api_blueprint(Blueprint("reports", __name__, url_prefix="/admin/reports"))

    @reports.get("/sales")
    def sales() -> str:
        return "sales"

    app = make_app()
    app.register_blueprint(reports)
    client = app.test_client()
    client.post(
        "/login",
        data={
            "email": "viewer@example.com",
            "password": "viewer",
            "csrf_token": csrf_token(client),
        },
    )

    response = client.get("/admin/reports/sales")

    assert response.status_code == 403
    assert response.json is not None and response.json["error"] == "admin_required"


def partner_api_from_the_docs() -> Blueprint:
    """The JWT-protected host API of docs/integration.md, built from the document itself."""
    text = INTEGRATION_DOC.read_text()
    section = text.split("### Beside your own token API")[1].split("\n## ")[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no host API example in docs/integration.md"
    module = types.ModuleType("partner_api_doc")
    exec(compile(match.group(1), str(INTEGRATION_DOC), "exec"), module.__dict__)  # noqa: S102
    blueprint: Blueprint = module.partner_api
    return blueprint


@pytest.fixture
def jwt_host(app: Flask) -> Flask:
    app.config["PARTNER_JWT_SECRET"] = "partner-secret-of-at-least-32-bytes!"
    app.register_blueprint(partner_api_from_the_docs())
    return app


def test_a_host_jwt_api_lives_beside_the_admin_api(
    jwt_host: Flask, live_server: str, admin_token: str
) -> None:
    partner_token = jwt.encode(
        {"sub": "partner-7"}, jwt_host.config["PARTNER_JWT_SECRET"], algorithm="HS256"
    )
    http = requests.Session()

    def get(path: str, token: str) -> requests.Response:
        return http.get(f"{live_server}{path}", headers=bearer(token), timeout=10)

    # Each API answers its own credential ...
    assert get("/partner/api/orders", partner_token).json() == {
        "partner": "partner-7",
        "orders": [],
    }
    assert get("/admin/api/me", admin_token).json()["email"] == "admin@example.com"
    # ... and treats the other's as no credential of its own.
    assert get("/partner/api/orders", admin_token).status_code == 401
    foreign = get("/admin/api/me", partner_token)
    assert foreign.status_code == 401
    assert foreign.json()["error"] == "authentication_required"
    # The host's pages do not answer a JWT with the extension's 401.
    assert get("/login", partner_token).status_code == 200


def test_key_responses_are_not_stored_and_vary_on_the_credential_headers(
    app: Flask, client: FlaskClient, admin_token: str
) -> None:
    @app.get("/admin/api/cached")
    @admin_api_required
    def cached() -> Any:
        return {"ok": True}, 200, {"Cache-Control": "private, max-age=60"}

    @app.get("/admin/api/localized")
    @admin_api_required
    def localized() -> Any:
        return {"ok": True}, 200, {"Vary": "Accept-Language"}

    response = client.get("/admin/api/me", headers={"X-Api-Key": admin_token})
    own_choice = client.get("/admin/api/cached", headers={"X-Api-Key": admin_token})
    anonymous = client.get("/admin/api/me")
    own_vary = client.get("/admin/api/localized", headers={"X-Api-Key": admin_token})

    assert response.headers["Cache-Control"] == "no-store"
    assert own_choice.headers["Cache-Control"] == "private, max-age=60"
    for answer in (response, own_choice, anonymous):
        assert {"Authorization", "X-Api-Key"} <= set(answer.vary)
    # A view's own Vary is kept, with the credential headers added to it.
    assert own_vary.status_code == 200
    assert set(own_vary.vary) == {"Accept-Language", "Authorization", "X-Api-Key"}


def test_a_session_interface_set_after_init_app_still_sets_no_cookie_for_keys(
    app: Flask, admin_token: str
) -> None:
    @app.get("/admin/api/touch-session")
    @admin_api_required
    def touch_session() -> str:
        session["seen"] = True
        return "ok"

    # What Flask-Session and other session extensions do at their init_app.
    app.session_interface = SecureCookieSessionInterface()
    client = app.test_client()

    with_key = client.get("/admin/api/touch-session", headers={"X-Api-Key": admin_token})
    log_in(client, "admin@example.com", "admin")
    with_session = client.get("/admin/api/touch-session")

    assert with_key.status_code == with_session.status_code == 200
    assert "Set-Cookie" not in with_key.headers
    assert "Set-Cookie" in with_session.headers


def test_a_host_request_loader_serves_its_own_credentials_on_the_admin_api(
    app: Flask, admin_token: str
) -> None:
    """With no request loader of its own, the extension leaves Flask-Login's to the host."""

    def load_from_host_token(request: Any) -> User | None:
        if request.headers.get("Authorization") == "Bearer host-token-of-ops":
            return get_user("ops@example.com")
        return None

    app.login_manager.request_loader(load_from_host_token)  # type: ignore[attr-defined]
    client = app.test_client()

    assert client.get("/admin/api/me", headers=bearer("host-token-of-ops")).json == {
        "id": 2,
        "email": "ops@example.com",
    }
    assert client.get("/admin/api/me", headers=bearer(admin_token)).json == {
        "id": 1,
        "email": "admin@example.com",
    }

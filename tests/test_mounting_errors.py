"""Mounting mistakes and Admin API errors: what a host sees when something goes wrong.

Each test builds its own small host (its own ``db``, user model, Flask-Login,
``CSRFProtect`` and an Admin API), as an app factory would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, request
from flask.testing import FlaskClient
from flask_login import LoginManager, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.test import TestResponse

from flask_secret_keys import SecretKeys, admin_api_required
from tests.helpers import new_db_and_user


@dataclass
class Host:
    app: Flask
    db: SQLAlchemy
    user_model: type[Any]
    secret_keys: SecretKeys


def make_host(*, csrf_handler: bool = False, **config: Any) -> Host:
    """A host with a session login, a form page and an Admin API; CSRFProtect set up last."""
    db, member = new_db_and_user("member")
    secret_keys = SecretKeys(db=db, user_model=member)
    app = Flask(__name__)
    app.config.update(SECRET_KEY="mounting", SQLALCHEMY_DATABASE_URI="sqlite://", **config)
    db.init_app(app)
    login_manager = LoginManager(app)
    login_manager.user_loader(lambda user_id: db.session.get(member, int(user_id)))
    secret_keys.init_app(app)
    CSRFProtect(app)

    @app.post("/login/<int:user_id>")
    def log_in(user_id: int) -> str:
        login_user(db.session.get(member, user_id))
        return "in"

    @app.get("/token")
    def token() -> str:
        return str(generate_csrf())

    @app.route("/settings", methods=["GET", "POST"])
    def settings() -> str:
        return "settings saved"

    @app.route("/admin/api/echo", methods=["GET", "POST"])
    @admin_api_required
    def echo() -> dict[str, Any]:
        return {"email": current_user.email, "method": request.method}

    if csrf_handler:

        @app.errorhandler(CSRFError)
        def host_csrf_page(error: CSRFError) -> tuple[str, int]:
            return f"host page: {error.description}", 400

    with app.app_context():
        db.create_all()
        db.session.add_all(
            [member(id=1, email="ada@example.com", is_admin=True), member(id=2, email="bo@x.io")]
        )
        db.session.commit()
    return Host(app, db, member, secret_keys)


def session_client(host: Host, user_id: int = 1) -> FlaskClient:
    """A client logged in by session cookie (the login itself is exempt from nothing)."""
    client = host.app.test_client()
    token = client.get("/token").text
    assert client.post(f"/login/{user_id}", headers={"X-CSRFToken": token}).status_code == 200
    return client


def make_key(host: Host, user_id: int = 1) -> str:
    with host.app.app_context():
        user = host.db.session.get(host.user_model, user_id)
        _key, token = host.secret_keys.service.create(user, "CI")
        return token


def call_with_a_key(method: str) -> TestResponse:
    """A request to the Admin API of a new host, authenticated by a key of user 1."""
    host = make_host()
    key = make_key(host)
    return host.app.test_client().open(
        "/admin/api/echo", method=method, headers={"Authorization": f"Bearer {key}"}
    )


# Constructing the extension


def test_constructing_secret_keys_twice_for_one_db_says_to_construct_it_once() -> None:
    db, member = new_db_and_user("member")
    SecretKeys(db=db, user_model=member)

    with pytest.raises(RuntimeError) as error:
        SecretKeys(db=db, user_model=member)

    message = str(error.value)
    assert "construct it once, at import time" in message
    assert "'secret_api_keys'" in message
    assert "table_name" in message
    assert "extend_existing" not in message


def test_a_second_set_of_keys_on_one_db_takes_another_table_name() -> None:
    db, member = new_db_and_user("member")
    first = SecretKeys(db=db, user_model=member)

    second = SecretKeys(db=db, user_model=member, table_name="robot_keys")

    assert first.Key.__table__.name == "secret_api_keys"  # type: ignore[attr-defined]
    assert second.Key.__table__.name == "robot_keys"  # type: ignore[attr-defined]
    assert {"robot_keys", "robot_keys_events"} <= set(db.metadata.tables)


# CSRF on the Admin API


def test_session_post_to_the_admin_api_without_csrf_token_is_a_json_400() -> None:
    client = session_client(make_host())

    response = client.post("/admin/api/echo", json={"a": 1})

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "error": "csrf_failed",
        "message": "The CSRF token is missing.",
    }


@pytest.mark.parametrize("api_first", [True, False], ids=["after an API call", "fresh app"])
def test_csrf_failure_on_a_host_page_keeps_flask_wtf_html_400(api_first: bool) -> None:
    client = session_client(make_host())
    if api_first:
        client.post("/admin/api/echo")

    response = client.post("/settings")

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert b"The CSRF token is missing." in response.data


def test_a_host_csrf_error_handler_still_answers_its_pages() -> None:
    client = session_client(make_host(csrf_handler=True))

    page = client.post("/settings")
    api = client.post("/admin/api/echo")

    assert (page.status_code, page.text) == (400, "host page: The CSRF token is missing.")
    assert api.get_json()["error"] == "csrf_failed"


# Every other Admin API error is JSON too


def test_a_wrong_method_on_the_admin_api_is_a_json_405() -> None:
    response = call_with_a_key("DELETE")

    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_wrong_method_on_a_host_page_keeps_the_html_405() -> None:
    response = make_host().app.test_client().delete("/settings")

    assert response.status_code == 405
    assert response.mimetype == "text/html"


def _fail(*args: Any, **kwargs: Any) -> Any:
    raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def test_an_outage_while_loading_the_session_user_is_a_json_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = make_host()
    client = session_client(host)
    monkeypatch.setattr(host.app.login_manager, "_user_callback", _fail)  # type: ignore[attr-defined]

    response = client.get("/admin/api/echo")

    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"
    assert "SELECT" not in response.text

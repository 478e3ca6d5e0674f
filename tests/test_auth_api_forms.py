"""The two ways to declare Admin API, ``admin_api_required`` and ``admin_api_blueprint``.

They answer alike for every method, and a session-cookie request that changes
something needs its CSRF token on both, whether or not the host set up
``CSRFProtect``. Each test builds a small host of its own, as an app factory would.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from flask import Blueprint, Flask, request
from flask.testing import FlaskClient
from flask_login import LoginManager, current_user, login_user
from flask_wtf.csrf import CSRFProtect, generate_csrf

from flask_secret_keys import SecretKeys, admin_api_blueprint, admin_api_required
from tests.helpers import new_db_and_user

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
UNSAFE = ["POST", "PUT", "PATCH", "DELETE"]
#: Where each form's views are: ``things`` takes GET and the unsafe methods, ``read-only`` GET.
PREFIXES = {"decorator": "/decorated", "blueprint": "/blueprint"}
FORMS = {form: f"{prefix}/things" for form, prefix in PREFIXES.items()}

Csrf = Literal["none", "exempt", "not by default"]


def make_host(csrf: Csrf = "none") -> tuple[Flask, SecretKeys, list[str]]:
    """A host with one view in each form; the list records the calls that reached a view.

    ``csrf`` says how the host sets up ``CSRFProtect``: not at all, with the
    API views exempted, or with ``WTF_CSRF_CHECK_DEFAULT = False``.
    """
    db, member = new_db_and_user("api_form_members")
    secret_keys = SecretKeys(db=db, user_model=member)
    app = Flask(__name__)
    app.config.update(SECRET_KEY="forms", SQLALCHEMY_DATABASE_URI="sqlite://")
    if csrf == "not by default":
        app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    db.init_app(app)
    login_manager = LoginManager(app)
    login_manager.user_loader(lambda user_id: db.session.get(member, int(user_id)))

    @login_manager.request_loader
    def from_host_token(request: Any) -> Any:
        if request.headers.get("X-Host-Token") == "host-token-of-1":
            return db.session.get(member, 1)
        return None

    secret_keys.init_app(app)
    calls: list[str] = []

    def things() -> dict[str, Any]:
        calls.append(request.method)
        return {"email": current_user.email, "method": request.method}

    decorated = admin_api_required(things)
    app.add_url_rule(FORMS["decorator"], "decorated", decorated, methods=[*UNSAFE, "GET"])
    api = admin_api_blueprint(Blueprint("api", __name__, url_prefix="/blueprint"))
    api.add_url_rule("/things", "things", things, methods=[*UNSAFE, "GET"])
    api.add_url_rule("/read-only", "read_only", things, methods=["GET"])
    app.register_blueprint(api)
    app.add_url_rule("/decorated/read-only", "read_only", decorated, methods=["GET"])
    if csrf != "none":
        protect = CSRFProtect(app)
        if csrf == "exempt":
            protect.exempt(decorated)
            protect.exempt(api)

    @app.post("/login")
    def log_in() -> str:
        login_user(db.session.get(member, 1))
        return "in"

    @app.get("/token")
    def token() -> str:
        return str(generate_csrf())

    with app.app_context():
        db.create_all()
        db.session.add(member(id=1, email="ada@example.com", is_admin=True))
        db.session.commit()
    if csrf != "none":
        protect.exempt(log_in)
    return app, secret_keys, calls


def session_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login").status_code == 200
    return client


def new_key(app: Flask, secret_keys: SecretKeys) -> str:
    with app.app_context():
        owner = secret_keys.db.session.get(secret_keys.user_model, 1)
        return secret_keys.service.create(owner, "CI")[1]


# CSRF


@pytest.mark.parametrize("csrf", ["none", "exempt", "not by default"])
@pytest.mark.parametrize("form", FORMS)
def test_a_cross_site_session_write_to_the_admin_api_is_refused(csrf: Csrf, form: str) -> None:
    app, _keys, calls = make_host(csrf)
    client = session_client(app)

    for method in UNSAFE:
        response = client.open(
            FORMS[form], method=method, json={}, headers={"Origin": "https://evil.example"}
        )

        assert response.status_code == 400, method
        assert response.get_json() == {
            "error": "csrf_failed",
            "message": "The CSRF token is missing.",
        }
    assert calls == []


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("where", ["header", "form field", "form field among others"])
def test_a_session_write_with_its_csrf_token_passes(form: str, where: str) -> None:
    app, _keys, calls = make_host()
    client = session_client(app)
    token = client.get("/token").text

    if where == "header":
        response = client.put(FORMS[form], json={}, headers={"X-CSRFToken": token})
    elif where == "form field":
        response = client.put(FORMS[form], data={"csrf_token": token})
    else:
        # Other fields, and an empty token of another (prefixed) form, come first.
        fields = {"name": "Widget", "edit-csrf_token": "", "csrf_token": token}
        response = client.put(FORMS[form], data=fields)

    assert response.status_code == 200
    assert response.get_json() == {"email": "ada@example.com", "method": "PUT"}
    assert calls == ["PUT"]


@pytest.mark.parametrize("form", FORMS)
def test_a_session_write_with_a_forged_csrf_token_is_refused(form: str) -> None:
    app, _keys, calls = make_host()

    response = session_client(app).post(FORMS[form], headers={"X-CSRFToken": "forged"})

    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"
    assert calls == []


def test_over_https_a_session_write_needs_a_referrer_of_the_host_too() -> None:
    app, _keys, calls = make_host()
    client = session_client(app)
    token = client.get("/token").text
    url = "https://localhost" + FORMS["decorator"]

    missing = client.post(url, headers={"X-CSRFToken": token})
    elsewhere = client.post(url, headers={"X-CSRFToken": token, "Referer": "https://evil.example/"})
    same = client.post(url, headers={"X-CSRFToken": token, "Referer": "https://localhost/x"})

    assert (missing.status_code, missing.get_json()["message"]) == (
        400,
        "The referrer header is missing.",
    )
    assert (elsewhere.status_code, elsewhere.get_json()["message"]) == (
        400,
        "The referrer does not match the host.",
    )
    assert same.status_code == 200
    assert calls == ["POST"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("credential", ["key", "host token"])
def test_a_write_by_a_header_credential_needs_no_csrf_token(form: str, credential: str) -> None:
    """No browser attaches a header credential on its own, so there is nothing to forge."""
    app, secret_keys, calls = make_host()
    if credential == "key":
        headers = {"Authorization": f"Bearer {new_key(app, secret_keys)}"}
    else:
        headers = {"X-Host-Token": "host-token-of-1"}

    response = app.test_client().delete(FORMS[form], headers=headers)

    assert response.status_code == 200
    assert calls == ["DELETE"]


def test_a_key_write_beside_a_session_cookie_needs_no_csrf_token() -> None:
    app, secret_keys, calls = make_host()
    key = new_key(app, secret_keys)

    response = session_client(app).patch(
        FORMS["blueprint"], headers={"Authorization": f"Bearer {key}"}
    )

    assert response.status_code == 200
    assert calls == ["PATCH"]


# Every method, in both forms


@pytest.mark.parametrize("credential", ["anonymous", "key"])
@pytest.mark.parametrize("method", METHODS)
def test_both_forms_answer_every_method_alike(credential: str, method: str) -> None:
    app, secret_keys, _calls = make_host()
    headers = {}
    if credential == "key":
        headers["Authorization"] = f"Bearer {new_key(app, secret_keys)}"
    client = app.test_client()

    for path in ("things", "read-only"):
        answers = []
        for prefix in PREFIXES.values():
            response = client.open(f"{prefix}/{path}", method=method, headers=headers)
            answers.append(
                (
                    response.status_code,
                    response.mimetype,
                    response.headers.get("Allow"),
                    response.get_json(silent=True),
                )
            )

        assert answers[0] == answers[1], path
        if method == "OPTIONS":
            expected = 200
        elif path == "read-only" and method in UNSAFE:
            expected = 405
        else:
            expected = 401 if credential == "anonymous" else 200
        assert answers[0][0] == expected, path

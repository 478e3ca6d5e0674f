"""Building blocks for the small host apps the integration tests mount the extension into.

Each test module declares its own host the way a real project would (its own
``db``, user model and ``SecretKeys``); this module only adds the parts every
host has anyway: a login page, an Admin API and a clean database.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, render_template_string, request
from flask.testing import FlaskClient
from flask_login import current_user, login_user

from flask_secret_keys import SecretKeys, admin_api_required, current_key
from tests.conftest import csrf_token

_LOGIN_FORM = """<form method="post">
{% if csrf_token is defined %}
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
{% endif %}
<label>Identifier <input name="identifier"></label><button>Log in</button></form>"""


def add_host_routes(app: Flask, find_user: Callable[[str], Any | None]) -> None:
    """A ``/login`` page (no password: these hosts test mounting, not login) and an Admin API.

    ``GET /api/whoami`` answers ``{"id": ..., "key_id": ...}`` for the admin
    the request is authenticated as; ``POST /api/notes`` echoes its JSON body.
    """

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            user = find_user(request.form["identifier"])
            if user is None:
                return "unknown user", 401
            login_user(user)
            return "logged in", 302, {"Location": "/"}
        return render_template_string(_LOGIN_FORM)

    @app.get("/api/whoami")
    @admin_api_required
    def whoami() -> dict[str, Any]:
        return {
            "id": str(current_user.get_id()),
            "key_id": current_key.id if current_key else None,
        }

    @app.post("/api/notes")
    @admin_api_required
    def notes() -> Any:
        return {"by": str(current_user.get_id()), "note": request.get_json()}


@contextmanager
def fresh_tables(app: Flask, db: Any) -> Iterator[None]:
    """The host's tables created empty for a test and dropped after it."""
    with app.app_context():
        db.drop_all()
        db.create_all()
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def create_key(
    app: Flask, extension: SecretKeys, user_id: Any, title: str = "Integration"
) -> tuple[int, str]:
    """Create a key for the user with ``user_id`` through ``extension.service``."""
    with app.app_context():
        user = extension.db.session.get(extension.user_model, user_id)
        key, token = extension.service.create(user, title)
        return key.id, token


def key_headers(form: str, token: str, custom_header: str = "X-Api-Key") -> dict[str, str]:
    """The request headers that present ``token`` in one of the accepted forms."""
    if form == "bearer":
        return {"Authorization": f"Bearer {token}"}
    if form == "basic":
        return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    if form == "custom":
        return {custom_header: token}
    raise ValueError(form)


#: Every form a key can be presented in.
KEY_FORMS = ["bearer", "basic", "custom"]


def log_in(client: FlaskClient, identifier: str) -> None:
    """Log in through the host's own login page, CSRF token included when the host has one."""
    data = {"identifier": identifier}
    page = client.get("/login").get_data(as_text=True)
    if "csrf_token" in page:
        data["csrf_token"] = csrf_token(client, "/login")
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


_TOKEN = re.compile(r'id="sk-token"[^>]*>([^<]+)</textarea>')


def create_key_in_pages(client: FlaskClient, base: str, title: str = "From the pages") -> str:
    """Create a key through the Secret API Keys pages as a plain form post; the revealed key."""
    response = client.post(
        f"{base}/new", data={"csrf_token": csrf_token(client, f"{base}/new"), "title": title}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, "no key revealed"
    return match.group(1)

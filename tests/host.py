"""The tests' own hosts: the example app's parts, assembled with each test's config.

``create_app`` is the main example (its models, extension objects, pages and
Admin API), ``create_rtl_app`` the same in a right-to-left layout of its own
(``tests/rtl_host_templates``) and ``create_flask_admin_app`` the Flask-Admin
one, all built here rather than by ``example_app.create_app``, so that the
example stays an example: the test decides every setting, the demo users get a
cheap password hash and htmx is served from ``node_modules`` when it is there.
Each app gets no tables; ``conftest.reset_database`` makes them.

The small integration hosts of the extension-and-hosts tests declare their own
``db``, user model and ``SecretKeys``; ``add_host_routes`` and ``fresh_tables``
give them what every host has anyway: a login page, an Admin API, clean tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import sqlalchemy as sa
from flask import Flask, render_template_string, request, send_file
from flask.testing import FlaskClient
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user, login_user
from werkzeug.security import generate_password_hash

import example_app
from example_app import api, flask_admin_host, views
from example_app.extensions import csrf, login_manager, secret_keys
from example_app.models import DEMO_USERS, User, db
from flask_secret_keys import SecretKeys, admin_api_required, current_key
from flask_secret_keys.contrib.flask_admin import SecretKeysView

#: A cheap password hash: the demo users are made for every test.
FAST_PASSWORD_METHOD = "pbkdf2:sha256:1000"
#: htmx from the npm package, when installed (``npm install --no-save htmx.org@2``).
HTMX_FILE = Path(__file__).resolve().parent.parent / "node_modules/htmx.org/dist/htmx.min.js"
HTMX_URL = "/vendor/htmx.min.js"
#: The example's own templates.
EXAMPLE_TEMPLATES = Path(example_app.__file__).resolve().parent / "templates"


class _SessionBytecodeCache(jinja2.BytecodeCache):
    """Templates compiled once per test session: every test's app would compile them again.

    Jinja checks each entry against the template's source, so an edited
    template is compiled anew.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _SessionBytecodeCache()


def _example_host(config: dict[str, Any], layouts: Path | None = None, **defaults: Any) -> Flask:
    """The example's extensions and Admin API on an app configured by the test;
    ``layouts``, a folder of templates found before the example's own."""
    app = Flask(example_app.__name__)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _TEMPLATES}
    if layouts is not None:
        app.jinja_loader = jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(layouts), jinja2.FileSystemLoader(EXAMPLE_TEMPLATES)]
        )
    app.config.update(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
        SECRET_KEYS_API_EXAMPLE_URL="/admin/api/me",
        SECRET_KEYS_HTMX_URL=HTMX_URL,
        **defaults,
    )
    app.config.update(config)
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    secret_keys.init_app(app)
    app.register_blueprint(api.bp)
    if HTMX_FILE.exists():

        @app.get(HTMX_URL)
        def htmx_js() -> Any:
            return send_file(HTMX_FILE, mimetype="text/javascript", max_age=3600)

    return app


def create_app(config: dict[str, Any]) -> Flask:
    """The main example: its pages in its own layout."""
    app = _example_host(config, SECRET_KEYS_BASE_TEMPLATE="base.html")
    app.register_blueprint(views.bp)
    return app


#: The right-to-left host's layout: ``rtl/base.html``, an Arabic admin page.
RTL_LAYOUTS = Path(__file__).resolve().parent / "rtl_host_templates"


def create_rtl_app(config: dict[str, Any]) -> Flask:
    """The main example with the pages in a right-to-left layout: ``<html dir="rtl">``."""
    app = _example_host(config, RTL_LAYOUTS, SECRET_KEYS_BASE_TEMPLATE="rtl/base.html")
    app.register_blueprint(views.bp)
    return app


def create_flask_admin_app(config: dict[str, Any]) -> Flask:
    """The Flask-Admin example: the pages in the panel, Settings → Secret API Keys in its menu."""
    app = _example_host(
        config,
        SECRET_KEYS_BASE_TEMPLATE="secret_keys/flask_admin.html",
        SECRET_KEYS_CONTENT_BLOCK="body",
        SECRET_KEYS_URL_PREFIX="/admin/settings/secret-api-keys",
    )
    app.register_blueprint(flask_admin_host.bp)
    admin = Admin(
        app,
        name="Example Store Admin",
        index_view=flask_admin_host.HomeView(name="Home"),
        theme=Bootstrap4Theme(base_template="flask_admin_host/base.html"),
    )
    admin.add_view(flask_admin_host.UserView(User, db, name="Users", category="Store"))
    admin.add_view(SecretKeysView(category="Settings"))
    return app


def add_demo_users() -> None:
    """The example's demo users, with a password hash that costs nothing."""
    for email, name, password, is_admin in DEMO_USERS:
        db.session.add(
            User(
                email=email,
                name=name,
                is_admin=is_admin,
                password_hash=generate_password_hash(password, FAST_PASSWORD_METHOD),
            )
        )
    db.session.commit()


def get_user(email: str) -> User:
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one()


# Building blocks for the integration hosts.

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
def fresh_tables(app: Flask, host_db: Any) -> Iterator[None]:
    """The host's tables created empty for a test and dropped after it."""
    with app.app_context():
        host_db.drop_all()
        host_db.create_all()
    try:
        yield
    finally:
        with app.app_context():
            host_db.session.remove()
            host_db.drop_all()
            host_db.engine.dispose()


def create_key(
    app: Flask, extension: SecretKeys, user_id: Any, title: str = "Integration"
) -> tuple[int, str]:
    """Create a key for the user with ``user_id`` through ``extension.service``."""
    with app.app_context():
        user = extension.db.session.get(extension.user_model, user_id)
        key, token = extension.service.create(user, title)
        return key.id, token


def log_in_host(client: FlaskClient, identifier: str) -> None:
    """Log in through an integration host's login page, CSRF token included when it has one."""
    from tests.helpers import csrf_token

    data = {"identifier": identifier}
    page = client.get("/login").get_data(as_text=True)
    if "csrf_token" in page:
        data["csrf_token"] = csrf_token(client, "/login")
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


_TOKEN = re.compile(r'id="sk-token"[^>]*>([^<]+)</textarea>')


def create_key_in_pages(client: FlaskClient, base: str, title: str = "From the pages") -> str:
    """Create a key through the Secret API Keys pages as a plain form post; the revealed key."""
    from tests.helpers import csrf_token

    response = client.post(
        f"{base}/new", data={"csrf_token": csrf_token(client, f"{base}/new"), "title": title}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, "no key revealed"
    return match.group(1)

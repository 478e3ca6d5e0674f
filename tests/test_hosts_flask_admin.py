"""The Flask-Admin adapter: the pages inside a Flask-Admin 2 panel, with the same rules.

Most tests run on the Flask-Admin example's panel, views and templates
(``example_app/flask_admin_host.py``, assembled by ``tests/host.py``);
the last ones build a bare Flask-Admin host to check the order of ``init_app`` calls.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_admin import Admin
from flask_babel import Babel
from flask_login import LoginManager, login_user

from flask_secret_keys import SecretKeys
from flask_secret_keys.contrib.flask_admin import SecretKeysView
from tests.helpers import (
    csrf_token,
    database_url,
    new_db_and_user,
)
from tests.host import create_flask_admin_app, create_key_in_pages, fresh_tables

PAGES = "/admin/settings/secret-api-keys"


@pytest.fixture
def app_factory() -> Callable[[dict[str, Any]], Flask]:
    """The Flask-Admin example host in place of the main example."""
    return create_flask_admin_app


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def settings_menu(html: str) -> str:
    """The Settings dropdown of Flask-Admin's navbar, or "" if it is not there."""
    match = re.search(
        r'<li class="[^"]*dropdown">(?:(?!<li class="[^"]*dropdown">).)*?Settings.*?</ul>',
        html,
        re.S,
    )
    return match.group(0) if match else ""


def test_menu_lists_the_entry_for_admins_and_links_to_the_pages(admin_client: FlaskClient) -> None:
    menu = settings_menu(text(admin_client.get("/admin/")))

    assert f'href="{PAGES}"' in menu
    assert "Secret API Keys" in menu
    assert "active" not in menu.split(">")[0]


def test_menu_hides_the_entry_from_users_who_are_not_admins(viewer_client: FlaskClient) -> None:
    html = text(viewer_client.get("/admin/"))

    assert "Secret API Keys" not in html
    assert settings_menu(html) == ""


def test_pages_render_inside_flask_admin_with_their_entry_current(
    admin_client: FlaskClient,
) -> None:
    html = text(admin_client.get(PAGES))

    assert '<a class="navbar-brand" href="/admin">Example Store Admin</a>' in html
    menu = settings_menu(html)
    assert menu.startswith('<li class="active dropdown">')
    assert re.search(rf'class="dropdown-item active\s*" href="{PAGES}"', menu)
    assert "admin@example.com" in html  # the host's own navbar block
    assert html.count("<h1") == 1  # Flask-Admin's page title gives way to the page's own
    assert 'id="sk-root"' in html


def test_htmx_requests_get_partials_without_the_flask_admin_layout(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.get(PAGES, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "navbar" not in text(response)


def test_views_own_url_leads_to_the_pages(admin_client: FlaskClient) -> None:
    response = admin_client.get("/admin/secret_keys_admin/")

    assert response.status_code == 302
    assert response.location == PAGES


def test_anonymous_users_are_sent_to_the_login_page(client: FlaskClient) -> None:
    response = client.get("/admin/secret_keys_admin/", follow_redirects=True)

    assert response.request.path == "/login"
    assert client.get(PAGES).location.startswith("/login?next=")


def test_key_made_in_flask_admin_calls_the_admin_api(app: Flask, admin_client: FlaskClient) -> None:
    token = create_key_in_pages(admin_client, PAGES, "Made in Flask-Admin")

    response = app.test_client().get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json is not None and response.json["email"] == "admin@example.com"


def test_notices_show_once_as_toasts_and_host_messages_as_alerts(
    admin_client: FlaskClient,
) -> None:
    token = csrf_token(admin_client, f"{PAGES}/new")
    with admin_client.session_transaction() as session:
        session.setdefault("_flashes", []).append(("warning", "Maintenance tonight"))

    response = admin_client.post(f"{PAGES}/new", data={"csrf_token": token, "title": "Noticed"})

    html = text(response)
    assert html.count("Noticed” created.") == 1
    assert re.search(r'class="sk-toast">.*?Noticed” created\.', html, re.S)
    assert re.search(r'class="alert alert-warning[^"]*">.*?Maintenance tonight', html, re.S)


# A bare Flask-Admin host, to check the order of setup calls.


bare_db, Clerk = new_db_and_user("flask_admin_clerks", admin_by_default=True)


bare_keys = SecretKeys(db=bare_db, user_model=Clerk, table_name="flask_admin_clerk_keys")
bare_login = LoginManager()


@bare_login.user_loader
def load_clerk(user_id: str) -> Any:
    return bare_db.session.get(Clerk, int(user_id))


@pytest.mark.parametrize("admin_first", [True, False], ids=["admin-first", "secret-keys-first"])
def test_setup_order_of_admin_and_secret_keys_does_not_matter(
    tmp_path: Any, admin_first: bool
) -> None:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="bare",
        SQLALCHEMY_DATABASE_URI=database_url(tmp_path),
        SECRET_KEYS_BASE_TEMPLATE="secret_keys/flask_admin.html",
        SECRET_KEYS_CONTENT_BLOCK="body",
    )
    bare_db.init_app(app)
    bare_login.init_app(app)
    # Flask-Admin translates with Flask-Babel whenever it is installed (the tests'
    # extra installs it), and then needs it set up.
    Babel(app)
    admin = Admin(name="Bare")
    admin.add_view(SecretKeysView(name="API keys", category="Settings"))
    if admin_first:
        admin.init_app(app)
        bare_keys.init_app(app)
    else:
        bare_keys.init_app(app)
        admin.init_app(app)

    @app.post("/login")
    def login() -> Any:
        login_user(bare_db.session.get(Clerk, 1))
        return "", 204

    with fresh_tables(app, bare_db):
        with app.app_context():
            bare_db.session.add(Clerk(id=1, email="clerk@bare.test"))
            bare_db.session.commit()
        client = app.test_client()
        client.post("/login")

        html = text(client.get("/settings/secret-api-keys"))

        assert '<a class="navbar-brand" href="/admin">Bare</a>' in html
        assert re.search(r'class="dropdown-item active\s*" href="/settings/secret-api-keys"', html)
        assert "API keys" in html


@pytest.mark.slow  # a fresh interpreter in a subprocess
def test_core_package_does_not_import_flask_admin() -> None:
    code = "import sys, flask_secret_keys; print('flask_admin' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("path", ["/admin/", "/admin/user/"])
def test_a_key_opens_no_flask_admin_view(app: Flask, admin_token: str, path: str) -> None:
    response = app.test_client().get(path, headers={"Authorization": f"Bearer {admin_token}"})

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "admin@example.com" not in text(response)


def test_flask_admin_render_context_gives_the_names_flask_admin_render_does(
    app: Flask, admin_client: FlaskClient
) -> None:
    """Fails when Flask-Admin's ``BaseView.render`` changes the names it gives templates."""
    from flask import template_rendered

    from flask_secret_keys import _compat
    from flask_secret_keys.contrib.flask_admin import SecretKeysView

    rendered: dict[str, set[str]] = {}

    def record(sender: Flask, template: Any, context: dict[str, Any]) -> None:
        rendered[template.name] = set(context)

    with template_rendered.connected_to(record, app):
        assert admin_client.get("/admin/").status_code == 200  # BaseView.render
        assert app.test_client().get("/login").status_code == 200  # Flask's render_template
    plain = rendered["flask_admin_host/login.html"] - {"form", "error"}
    added_by_flask_admin = rendered["flask_admin_host/home.html"] - plain
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if isinstance(v, SecretKeysView))
        ours = set(_compat.flask_admin_render_context(view))

    # Flask's templates see ``config`` as a Jinja global already.
    assert added_by_flask_admin - {"config"} == ours

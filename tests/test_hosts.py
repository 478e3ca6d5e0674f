"""Host shapes: an app factory, a URL prefix, two apps in one process, CSRF and htmx.

The host here is declared like a typical application package: extension
objects at module level, one ``create_app`` factory calling ``init_app`` on
each, config passed to the factory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string, url_for
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from flask_secret_keys import SecretKeys
from tests.helpers import (
    KEY_FORMS,
    csrf_token,
    database_url,
    key_headers,
    new_db_and_user,
    settings_of,
)
from tests.host import add_host_routes, create_key, create_key_in_pages, fresh_tables, log_in_host

db, Member = new_db_and_user("factory_members")


login_manager = LoginManager()
login_manager.login_view = "login"
csrf = CSRFProtect()
htmx = HTMX()
secret_keys = SecretKeys(db=db, user_model=Member, table_name="factory_member_keys")


@login_manager.user_loader
def load_member(user_id: str) -> Any:
    return db.session.get(Member, int(user_id))


def find_member(email: str) -> Any:
    return db.session.execute(sa.select(Member).where(Member.email == email)).scalar_one_or_none()


CsrfOrder = Literal["before", "after", "none"]


def create_app(config: dict[str, Any], csrf_order: CsrfOrder = "before") -> Flask:
    """The host's factory; ``csrf_order`` says when it sets up ``CSRFProtect``, if at all."""
    # The layout of tests/test_hosts_custom_layout.py, for an app that wants one.
    app = Flask(__name__, template_folder="custom_layout_templates")
    app.config.update(SECRET_KEY="factory-secret", TESTING=True)
    app.config.update(config)
    db.init_app(app)
    login_manager.init_app(app)
    htmx.init_app(app)
    if csrf_order == "before":
        csrf.init_app(app)
    secret_keys.init_app(app)
    if csrf_order == "after":
        csrf.init_app(app)
    add_host_routes(app, find_member)

    @app.route("/dashboard", methods=["GET", "POST"])
    def dashboard() -> str:
        """A host page that answers htmx with a fragment, as flask-htmx hosts do."""
        if htmx:
            return render_template_string('<p id="stats">fragment</p>')
        return render_template_string("<html><body><p id='stats'>page</p></body></html>")

    return app


def add_members(app: Flask) -> dict[str, int]:
    with app.app_context():
        members = [
            Member(email="admin@host.test", is_admin=True),
            Member(email="ops@host.test", is_admin=True),
            Member(email="guest@host.test", is_admin=False),
        ]
        db.session.add_all(members)
        db.session.commit()
        return {member.email: member.id for member in members}


@pytest.fixture
def make_app(tmp_path: Any) -> Iterator[Any]:
    """Builds factory apps on the test database; tables are fresh per test."""
    built: list[Flask] = []

    def make(config: dict[str, Any] | None = None, csrf_order: CsrfOrder = "before") -> Flask:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": database_url(tmp_path), **(config or {})}, csrf_order
        )
        built.append(app)
        return app

    yield make
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def host(make_app: Any) -> Iterator[tuple[Flask, dict[str, int]]]:
    app = make_app()
    with fresh_tables(app, db):
        yield app, add_members(app)


# App factory


@pytest.mark.parametrize("form", KEY_FORMS)
def test_factory_app_accepts_key_in_every_header_form(
    host: tuple[Flask, dict[str, int]], form: str
) -> None:
    app, ids = host
    key_id, token = create_key(app, secret_keys, ids["admin@host.test"])

    response = app.test_client().get("/api/whoami", headers=key_headers(form, token))

    assert response.status_code == 200
    assert response.json == {"id": str(ids["admin@host.test"]), "key_id": key_id}
    assert "Set-Cookie" not in response.headers


# URL prefix


@pytest.mark.parametrize(
    "configured", ["/admin", "/admin/settings/secret-api-keys", "/admin/settings/secret-api-keys/"]
)
def test_pages_mount_under_the_configured_url_prefix(make_app: Any, configured: str) -> None:
    base = configured.rstrip("/")
    app = make_app({"SECRET_KEYS_URL_PREFIX": configured})
    with fresh_tables(app, db):
        add_members(app)
        client = app.test_client()
        log_in_host(client, "admin@host.test")

        page = client.get(base)

        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f'href="{base}/new"' in html
        assert f'href="{base}/static/secret_keys.css' in html
        with client.get(f"{base}/static/secret_keys.css") as stylesheet:
            assert stylesheet.status_code == 200
    with app.test_request_context():
        assert url_for("secret_keys.index") == base


def test_default_url_is_free_when_a_prefix_is_configured(make_app: Any) -> None:
    app = make_app({"SECRET_KEYS_URL_PREFIX": "/admin/settings/secret-api-keys"})

    assert app.test_client().get("/settings/secret-api-keys").status_code == 404


def test_pages_under_a_prefix_send_anonymous_users_to_the_host_login(make_app: Any) -> None:
    app = make_app({"SECRET_KEYS_URL_PREFIX": "/admin/settings/secret-api-keys"})
    response = app.test_client().get("/admin/settings/secret-api-keys")

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_key_made_in_the_pages_under_a_prefix_calls_the_host_api(make_app: Any) -> None:
    base = "/admin/settings/secret-api-keys"
    app = make_app({"SECRET_KEYS_URL_PREFIX": base})
    with fresh_tables(app, db):
        ids = add_members(app)
        client = app.test_client()
        log_in_host(client, "ops@host.test")
        token = create_key_in_pages(client, base)

        response = app.test_client().get("/api/whoami", headers=key_headers("custom", token))

        assert response.status_code == 200
        assert response.json is not None and response.json["id"] == str(ids["ops@host.test"])


# Two apps in one process


@pytest.fixture
def two_apps(make_app: Any) -> Iterator[tuple[Flask, Flask, dict[str, int]]]:
    """Two apps from one factory on one database, configured differently."""
    shop = make_app(
        {
            "SECRET_KEYS_PREFIX": "shop_",
            "SECRET_KEYS_HEADER": "X-Shop-Key",
            "SECRET_KEYS_PEPPER": "s" * 32,
            "SECRET_KEYS_URL_PREFIX": "/shop/keys",
            "SECRET_KEYS_PER_PAGE": 5,
            "SECRET_KEYS_BASE_TEMPLATE": "shop/base.html",
            "SECRET_KEYS_CONTENT_BLOCK": "main",
        }
    )
    ops = make_app(
        {
            "SECRET_KEYS_PREFIX": "ops_",
            "SECRET_KEYS_HEADER": "X-Ops-Key",
            "SECRET_KEYS_PEPPER": "o" * 32,
            "SECRET_KEYS_URL_PREFIX": "/ops/keys",
            "SECRET_KEYS_PER_PAGE": 50,
        }
    )
    with fresh_tables(shop, db):
        yield shop, ops, add_members(shop)


def test_each_app_keeps_its_own_settings(two_apps: tuple[Flask, Flask, dict[str, int]]) -> None:
    shop, ops, _ = two_apps
    shop_settings = settings_of(shop, secret_keys)
    ops_settings = settings_of(ops, secret_keys)

    assert (shop_settings.prefix, shop_settings.header, shop_settings.per_page) == (
        "shop_",
        "X-Shop-Key",
        5,
    )
    assert (ops_settings.prefix, ops_settings.header, ops_settings.per_page) == (
        "ops_",
        "X-Ops-Key",
        50,
    )
    with shop.test_request_context():
        assert url_for("secret_keys.index") == "/shop/keys"
    with ops.test_request_context():
        assert url_for("secret_keys.index") == "/ops/keys"


def test_a_key_works_only_in_the_app_that_made_it(
    two_apps: tuple[Flask, Flask, dict[str, int]],
) -> None:
    shop, ops, ids = two_apps
    shop_key, shop_token = create_key(shop, secret_keys, ids["admin@host.test"])
    ops_key, ops_token = create_key(ops, secret_keys, ids["ops@host.test"])
    shop_client, ops_client = shop.test_client(), ops.test_client()

    assert shop_token.startswith("shop_") and ops_token.startswith("ops_")
    # Interleaved, so a leak through module or thread state would show.
    for _ in range(2):
        ok = shop_client.get("/api/whoami", headers={"X-Shop-Key": shop_token})
        assert ok.json == {"id": str(ids["admin@host.test"]), "key_id": shop_key}
        ok = ops_client.get("/api/whoami", headers={"X-Ops-Key": ops_token})
        assert ok.json == {"id": str(ids["ops@host.test"]), "key_id": ops_key}
        assert (
            shop_client.get("/api/whoami", headers=key_headers("bearer", ops_token)).status_code
            == 401
        )
        assert (
            ops_client.get("/api/whoami", headers=key_headers("bearer", shop_token)).status_code
            == 401
        )
        # Both apps share one CSRFProtect; each lets its own key-authenticated POSTs through.
        posted = shop_client.post("/api/notes", json={}, headers={"X-Shop-Key": shop_token})
        assert posted.status_code == 200
        posted = ops_client.post("/api/notes", json={}, headers={"X-Ops-Key": ops_token})
        assert posted.status_code == 200


def test_each_app_renders_the_pages_in_its_own_layout(
    two_apps: tuple[Flask, Flask, dict[str, int]],
) -> None:
    shop, ops, _ = two_apps
    shop_client, ops_client = shop.test_client(), ops.test_client()
    log_in_host(shop_client, "admin@host.test")
    log_in_host(ops_client, "admin@host.test")

    # Interleaved, so a layout compiled for one app and reused by the other would show.
    for _ in range(2):
        shop_page = shop_client.get("/shop/keys").get_data(as_text=True)
        ops_page = ops_client.get("/ops/keys").get_data(as_text=True)
        assert '<main id="shop-main">' in shop_page and "sk-standalone" not in shop_page
        assert "sk-standalone" in ops_page and "shop-main" not in ops_page
        assert 'id="sk-root"' in shop_page and 'id="sk-root"' in ops_page


def test_a_key_with_the_right_prefix_but_another_apps_pepper_is_refused(
    two_apps: tuple[Flask, Flask, dict[str, int]], make_app: Any
) -> None:
    shop, _, ids = two_apps
    twin = make_app(
        {
            "SECRET_KEYS_PREFIX": "shop_",
            "SECRET_KEYS_HEADER": "X-Shop-Key",
            "SECRET_KEYS_PEPPER": "t" * 32,
        }
    )
    _, token = create_key(shop, secret_keys, ids["admin@host.test"])

    response = twin.test_client().get("/api/whoami", headers={"X-Shop-Key": token})

    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "invalid_api_key"


# A host with its own CSRFProtect and flask-htmx


@pytest.fixture(params=["before", "after"])
def csrf_host(
    request: pytest.FixtureRequest, make_app: Any
) -> Iterator[tuple[Flask, dict[str, int]]]:
    """The host with CSRFProtect set up before, or after, SecretKeys."""
    app = make_app(csrf_order=request.param)
    with fresh_tables(app, db):
        yield app, add_members(app)


def test_host_csrf_still_rejects_a_session_post_without_token(
    csrf_host: tuple[Flask, dict[str, int]],
) -> None:
    app, _ = csrf_host
    client = app.test_client()
    log_in_host(client, "admin@host.test")

    response = client.post("/api/notes", json={"text": "hi"})

    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_host_csrf_accepts_the_htmx_header_token(csrf_host: tuple[Flask, dict[str, int]]) -> None:
    app, ids = csrf_host
    client = app.test_client()
    log_in_host(client, "admin@host.test")

    response = client.post(
        "/api/notes",
        json={"text": "hi"},
        headers={"X-CSRFToken": csrf_token(client, "/login"), "HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.json == {"by": str(ids["admin@host.test"]), "note": {"text": "hi"}}


@pytest.mark.parametrize("form", KEY_FORMS)
def test_key_post_passes_host_csrf_without_token(
    csrf_host: tuple[Flask, dict[str, int]], form: str
) -> None:
    app, ids = csrf_host
    _, token = create_key(app, secret_keys, ids["admin@host.test"])

    response = app.test_client().post(
        "/api/notes", json={"text": "hi"}, headers=key_headers(form, token)
    )

    assert response.status_code == 200
    assert response.json == {"by": str(ids["admin@host.test"]), "note": {"text": "hi"}}
    assert "Set-Cookie" not in response.headers


def test_bad_key_post_is_401_not_a_csrf_error(csrf_host: tuple[Flask, dict[str, int]]) -> None:
    app, _ = csrf_host

    response = app.test_client().post(
        "/api/notes", json={}, headers=key_headers("bearer", "sk_" + "A" * 49)
    )

    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "invalid_api_key"


def test_host_htmx_views_keep_working(csrf_host: tuple[Flask, dict[str, int]]) -> None:
    app, _ = csrf_host
    client = app.test_client()

    assert app.htmx is htmx  # type: ignore[attr-defined]
    assert client.get("/dashboard").get_data(as_text=True).startswith("<html>")
    fragment = client.get("/dashboard", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True) == '<p id="stats">fragment</p>'


def test_pages_take_the_htmx_csrf_header_under_the_host_csrfprotect(
    csrf_host: tuple[Flask, dict[str, int]],
) -> None:
    app, _ = csrf_host
    client = app.test_client()
    log_in_host(client, "admin@host.test")
    token = csrf_token(client, "/settings/secret-api-keys/new")

    refused = client.post(
        "/settings/secret-api-keys/new", data={"title": "No token"}, headers={"HX-Request": "true"}
    )
    created = client.post(
        "/settings/secret-api-keys/new",
        data={"title": "Header token"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )

    assert refused.status_code == 400
    assert created.status_code == 200
    assert 'id="sk-token"' in created.get_data(as_text=True)


def test_host_without_csrfprotect_still_authenticates_keys(make_app: Any) -> None:
    app = make_app(csrf_order="none")
    with fresh_tables(app, db):
        ids = add_members(app)
        _, token = create_key(app, secret_keys, ids["admin@host.test"])

        response = app.test_client().post(
            "/api/notes", json={"n": 1}, headers=key_headers("basic", token)
        )

        assert response.status_code == 200

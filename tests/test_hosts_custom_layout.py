"""A host whose own layout wraps the pages, through the base-template and block settings only.

The host's templates are in ``tests/custom_layout_templates``: its layout
``shop/base.html`` names its body block ``main``, and it overrides one
template of the extension, ``secret_keys/_summary.html``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from flask_secret_keys import SecretKeys
from tests.helpers import database_url, new_db_and_user, service_of
from tests.host import add_host_routes, fresh_tables, log_in_host

db, Staff = new_db_and_user("layout_staff", admin_by_default=True)


login_manager = LoginManager()
secret_keys = SecretKeys(db=db, user_model=Staff, table_name="layout_staff_keys")


@login_manager.user_loader
def load_staff(user_id: str) -> Any:
    return db.session.get(Staff, int(user_id))


def find_staff(email: str) -> Any:
    return db.session.execute(sa.select(Staff).where(Staff.email == email)).scalar_one_or_none()


PAGES = "/settings/secret-api-keys"


@pytest.fixture
def app(tmp_path: Any) -> Iterator[Flask]:
    app = Flask(__name__, template_folder="custom_layout_templates")
    app.config.update(
        SECRET_KEY="layout-secret",
        SQLALCHEMY_DATABASE_URI=database_url(tmp_path),
        SECRET_KEYS_BASE_TEMPLATE="shop/base.html",
        SECRET_KEYS_CONTENT_BLOCK="main",
    )
    db.init_app(app)
    login_manager.init_app(app)
    CSRFProtect(app)
    secret_keys.init_app(app)
    add_host_routes(app, find_staff)
    with fresh_tables(app, db):
        with app.app_context():
            db.session.add(Staff(email="ann@shop.test"))
            db.session.commit()
        yield app


@pytest.fixture
def staff_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    log_in_host(client, "ann@shop.test")
    return client


def main_of(html: str) -> str:
    """What the host layout's ``<main>`` holds; fails if the page is not in the layout."""
    assert html.lstrip().startswith("<!doctype html>")
    assert '<nav id="shop-nav">' in html
    assert '<footer id="shop-footer">Shop Admin</footer>' in html
    match = re.search(r'<main id="shop-main">(.*)</main>', html, re.S)
    assert match, "no host <main>"
    return match.group(1)


def test_list_page_renders_in_the_host_layout(staff_client: FlaskClient) -> None:
    html = staff_client.get(PAGES).get_data(as_text=True)

    assert 'id="sk-root"' in main_of(html)
    assert "<title>Secret API Keys · Shop Admin</title>" in html
    assert html.count("<html") == 1


def test_htmx_partials_leave_the_host_layout_out(staff_client: FlaskClient) -> None:
    html = staff_client.get(PAGES, headers={"HX-Request": "true"}).get_data(as_text=True)

    assert "shop-nav" not in html
    assert "<html" not in html


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_host_template_overrides_the_extensions_own(
    app: Flask, staff_client: FlaskClient, headers: dict[str, str]
) -> None:
    with app.app_context():
        service_of(app, secret_keys).create(find_staff("ann@shop.test"), "CI")

    html = staff_client.get(PAGES, headers=headers).get_data(as_text=True)

    assert "Showing 1 of 1 (shop wording)" in html
    assert "1–1 of 1 key" not in html

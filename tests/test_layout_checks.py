"""The layout settings are checked at init_app: the template exists and has the content block."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from jinja2 import ChoiceLoader, DictLoader

from flask_secret_keys import SecretKeys
from tests.helpers import new_db_and_user

LAYOUTS = {
    "plain.html": "<main>{% block content %}{% endblock %}</main>",
    "no_block.html": "<main>{% block main %}{% endblock %}</main>",
    "parent.html": "<body>{% block body %}{% endblock %}</body>",
    "child.html": '{% extends "parent.html" %}{% block title %}Shop{% endblock %}',
    "grandchild.html": '{% extends "child.html" %}',
    "chosen.html": "{% extends layout_name %}",
}


def new_app(tmp_path: Any, **config: Any) -> tuple[Flask, SecretKeys, SQLAlchemy]:
    """A host whose templates are ``LAYOUTS``, with db and Flask-Login set up."""
    db, member = new_db_and_user("members", admin_by_default=True)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}", **config
    )
    app.jinja_env.loader = ChoiceLoader([DictLoader(LAYOUTS), app.jinja_env.loader])  # type: ignore[list-item]
    db.init_app(app)
    LoginManager().init_app(app)
    return app, SecretKeys(db=db, user_model=member), db


@pytest.mark.parametrize(
    ("layout", "block"),
    [
        (None, None),  # the default standalone layout
        ("secret_keys/flask_admin.html", "body"),  # the contrib layout, before Flask-Admin
        ("plain.html", "content"),
        ("child.html", "body"),  # inherited from the parent
        ("grandchild.html", "body"),  # two levels up
        ("chosen.html", "anything"),  # a parent chosen at render time cannot be checked
    ],
)
def test_usable_layouts_pass(tmp_path: Any, layout: str | None, block: str | None) -> None:
    config = {"SECRET_KEYS_BASE_TEMPLATE": layout, "SECRET_KEYS_CONTENT_BLOCK": block}
    app, secret_keys, _db = new_app(
        tmp_path, **{name: value for name, value in config.items() if value is not None}
    )

    secret_keys.init_app(app)

    assert "secret_keys" in app.extensions


def test_missing_layout_stops_init_app(tmp_path: Any) -> None:
    app, secret_keys, _db = new_app(tmp_path, SECRET_KEYS_BASE_TEMPLATE="admin/missing.html")

    with pytest.raises(RuntimeError, match=r"SECRET_KEYS_BASE_TEMPLATE='admin/missing\.html'") as e:
        secret_keys.init_app(app)

    assert "register the blueprint that provides it before" in str(e.value)
    assert "secret_keys" not in app.extensions
    assert "secret_keys" not in app.blueprints


@pytest.mark.parametrize(
    ("layout", "chain", "blocks"),
    [
        ("no_block.html", "'no_block.html'", "its blocks are 'main'"),
        (
            "grandchild.html",
            "'grandchild.html' → 'child.html' → 'parent.html'",
            "its blocks are 'title', 'body'",
        ),
    ],
)
def test_layout_without_the_content_block_stops_init_app(
    tmp_path: Any, layout: str, chain: str, blocks: str
) -> None:
    app, secret_keys, _db = new_app(
        tmp_path, SECRET_KEYS_BASE_TEMPLATE=layout, SECRET_KEYS_CONTENT_BLOCK="content"
    )

    with pytest.raises(RuntimeError, match="SECRET_KEYS_CONTENT_BLOCK='content'") as e:
        secret_keys.init_app(app)

    assert chain in str(e.value)
    assert blocks in str(e.value)
    assert "{% block content %}{% endblock %}" in str(e.value)
    assert "secret_keys" not in app.extensions


def test_default_layout_overridden_by_the_host_is_checked(tmp_path: Any) -> None:
    app, secret_keys, _db = new_app(tmp_path)
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader({"secret_keys/layout.html": "<main>{% block main %}{% endblock %}</main>"}),
            app.jinja_env.loader,  # type: ignore[list-item]
        ]
    )

    with pytest.raises(RuntimeError, match="SECRET_KEYS_CONTENT_BLOCK='content'"):
        secret_keys.init_app(app)


def test_layout_of_a_blueprint_registered_first_is_found(tmp_path: Any) -> None:
    app, secret_keys, _db = new_app(
        tmp_path, SECRET_KEYS_BASE_TEMPLATE="shop/base.html", SECRET_KEYS_CONTENT_BLOCK="main"
    )
    app.register_blueprint(Blueprint("shop", __name__, template_folder="custom_layout_templates"))

    secret_keys.init_app(app)

    assert "secret_keys" in app.extensions


def test_layout_of_a_blueprint_registered_later_is_not_found(tmp_path: Any) -> None:
    app, secret_keys, _db = new_app(
        tmp_path, SECRET_KEYS_BASE_TEMPLATE="shop/base.html", SECRET_KEYS_CONTENT_BLOCK="main"
    )

    with pytest.raises(RuntimeError, match=r"SECRET_KEYS_BASE_TEMPLATE='shop/base\.html'"):
        secret_keys.init_app(app)

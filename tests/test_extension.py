"""The extension object: registration, configuration defaults and start-up errors."""

from __future__ import annotations

import gc
import uuid
import weakref
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import LoginManager, UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm

from example_app.models import db
from flask_secret_keys import KeyService, SecretKeys
from flask_secret_keys.settings import DEFAULTS
from tests.helpers import BASE, log_in, new_db, reset_database


def make_host(**user_columns: Any) -> tuple[SQLAlchemy, type[Any]]:
    """A fresh db and user model, as a host application would declare them."""

    db = new_db()
    attrs: dict[str, Any] = {
        "__tablename__": "accounts",
        "id": orm.mapped_column(sa.Integer, primary_key=True),
        **user_columns,
    }
    user = type("Account", (UserMixin, db.Model), attrs)
    return db, user


@pytest.fixture
def host() -> tuple[SQLAlchemy, type[Any]]:
    return make_host(
        email=orm.mapped_column(sa.String(100)),
        is_admin=orm.mapped_column(sa.Boolean, default=True),
    )


@pytest.fixture
def new_app(tmp_path: Any) -> Callable[..., Flask]:
    def new(**config: Any) -> Flask:
        app = Flask(__name__)
        app.config.update(
            SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}", **config
        )
        return app

    return new


def wire(app: Flask, db: SQLAlchemy, secret_keys: SecretKeys) -> None:
    db.init_app(app)
    LoginManager().init_app(app)
    secret_keys.init_app(app)


def test_registers_itself_and_sets_defaults(host: Any, new_app: Callable[..., Flask]) -> None:
    db, user = host
    secret_keys = SecretKeys(db=db, user_model=user)
    app = new_app(SECRET_KEYS_PER_PAGE=50)
    wire(app, db, secret_keys)
    assert app.config["SECRET_KEYS_PER_PAGE"] == 50  # the host's value is kept
    with app.app_context():
        assert secret_keys.settings.per_page == 50
        assert isinstance(secret_keys.service, KeyService)
    assert {k: app.config[k] for k in DEFAULTS if k != "SECRET_KEYS_PER_PAGE"} == {
        k: v for k, v in DEFAULTS.items() if k != "SECRET_KEYS_PER_PAGE"
    }
    assert "secret_keys" in app.blueprints
    assert "secret-keys" in app.cli.commands


def test_key_table_joins_the_hosts_metadata(host: Any) -> None:
    db, user = host
    secret_keys = SecretKeys(db=db, user_model=user, table_name="api_keys")
    table = db.metadata.tables["api_keys"]
    assert secret_keys.Key.__table__ is table  # type: ignore[attr-defined]
    (fk,) = table.c.user_id.foreign_keys
    assert fk.target_fullname == "accounts.id"


def test_uuid_primary_keys_are_referenced_with_their_type() -> None:
    db = new_db()

    class Member(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "members"
        id: orm.Mapped[uuid.UUID] = orm.mapped_column(primary_key=True, default=uuid.uuid4)
        email: orm.Mapped[str] = orm.mapped_column(sa.String(100))
        is_admin: orm.Mapped[bool] = orm.mapped_column(default=True)

    secret_keys = SecretKeys(db=db, user_model=Member)
    columns = secret_keys.Key.__table__.c  # type: ignore[attr-defined]
    for name in ("user_id", "revoked_by_id", "active_owner_id"):
        assert isinstance(columns[name].type, sa.Uuid)


def test_a_second_registration_is_refused(host: Any, new_app: Callable[..., Flask]) -> None:
    db, user = host
    secret_keys = SecretKeys(db=db, user_model=user)
    app = new_app()
    wire(app, db, secret_keys)
    with pytest.raises(RuntimeError, match="already been registered"):
        secret_keys.init_app(app)


@pytest.mark.parametrize("attribute", ["service", "settings"])
def test_service_and_settings_need_an_app_context(host: Any, attribute: str) -> None:
    db, user = host
    secret_keys = SecretKeys(db=db, user_model=user)
    with pytest.raises(RuntimeError, match=r"app\.app_context"):
        getattr(secret_keys, attribute)


@pytest.mark.parametrize("attribute", ["service", "settings"])
def test_service_and_settings_need_init_app_on_the_current_app(
    host: Any, new_app: Callable[..., Flask], attribute: str
) -> None:
    db, user = host
    secret_keys = SecretKeys(db=db, user_model=user)
    app = new_app()
    with app.app_context(), pytest.raises(RuntimeError, match=r"secret_keys.init_app\(app\)"):
        getattr(secret_keys, attribute)


def test_service_of_another_extension_object_is_refused(
    host: Any, new_app: Callable[..., Flask]
) -> None:
    db, user = host
    initialised = SecretKeys(db=db, user_model=user)
    other_db, other_user = make_host(email=orm.mapped_column(sa.String(100)), is_admin=True)
    other = SecretKeys(db=other_db, user_model=other_user)
    app = new_app()
    wire(app, db, initialised)
    with app.app_context(), pytest.raises(RuntimeError, match="another SecretKeys"):
        other.service  # noqa: B018


def test_needs_flask_login_first(host: Any, new_app: Callable[..., Flask]) -> None:
    db, user = host
    app = new_app()
    db.init_app(app)
    with pytest.raises(RuntimeError, match=r"login_manager\.init_app"):
        SecretKeys(app, db=db, user_model=user)


def test_needs_the_db_on_the_app(host: Any, new_app: Callable[..., Flask]) -> None:
    db, user = host
    app = new_app()
    LoginManager().init_app(app)
    with pytest.raises(RuntimeError, match=r"db.init_app\(app\)"):
        SecretKeys(app, db=db, user_model=user)


def test_user_model_without_is_admin_needs_a_predicate() -> None:
    db, user = make_host(email=orm.mapped_column(sa.String(100)))
    with pytest.raises(RuntimeError, match="is_admin=lambda user"):
        SecretKeys(db=db, user_model=user)
    SecretKeys(db=db, user_model=user, is_admin=lambda u: True)


def test_a_user_model_with_a_two_column_primary_key_is_refused() -> None:
    db, user = make_host(
        tenant=orm.mapped_column(sa.String(20), primary_key=True),
        email=orm.mapped_column(sa.String(100)),
        is_admin=orm.mapped_column(sa.Boolean),
    )
    with pytest.raises(RuntimeError, match="Account must have a single-column primary key"):
        SecretKeys(db=db, user_model=user)


def test_user_model_without_email_needs_a_finder() -> None:
    db, user = make_host(is_admin=orm.mapped_column(sa.Boolean))
    with pytest.raises(RuntimeError, match="find_user=lambda identifier"):
        SecretKeys(db=db, user_model=user)
    SecretKeys(db=db, user_model=user, find_user=lambda identifier: None)


@pytest.mark.parametrize(
    ("setting", "value", "hint"),
    [
        ("SECRET_KEYS_PREFIX", "SK_", "lowercase"),
        ("SECRET_KEYS_PREFIX", "sk", "ending in '_'"),
        ("SECRET_KEYS_PREFIX", "", "such as 'sk_'"),
        ("SECRET_KEYS_PEPPER", "short", "at least 32 bytes"),
        ("SECRET_KEYS_PEPPER", 12345, "at least 32 bytes"),
        ("SECRET_KEYS_PEPPER", "s" * 40, "must not be the app's SECRET_KEY"),
        ("SECRET_KEYS_HEADER", "Authorization", "'X-Api-Key'"),
        ("SECRET_KEYS_HEADER", "X Api Key", "'X-Api-Key'"),
        ("SECRET_KEYS_LAST_USED_INTERVAL", -1, "zero or more"),
        ("SECRET_KEYS_LAST_USED_INTERVAL", "60", "number of seconds"),
        ("SECRET_KEYS_URL_PREFIX", "settings/keys", "starting with '/'"),
        ("SECRET_KEYS_BASE_TEMPLATE", "", "template the pages extend"),
        ("SECRET_KEYS_CONTENT_BLOCK", "main content", "name of the block"),
        ("SECRET_KEYS_PER_PAGE", 0, "from 1 to 200"),
        ("SECRET_KEYS_PER_PAGE", "20", "from 1 to 200"),
        ("SECRET_KEYS_API_EXAMPLE_URL", "admin/api/me", "a path such as '/admin/api/me'"),
        ("SECRET_KEYS_API_EXAMPLE_URL", "ftp://x/api", "a path such as '/admin/api/me'"),
        ("SECRET_KEYS_API_EXAMPLE_URL", 42, "a path such as '/admin/api/me'"),
        ("SECRET_KEYS_HTMX_URL", 2, "the URL of htmx 2"),
        ("SECRET_KEYS_SQLITE_FOREIGN_KEYS", "off", "must be True"),
        ("SECRET_KEYS_GITHUB_SCANNING_URL", "github-scanning", "such as '/secret-keys/"),
        ("SECRET_KEYS_LEAK_REPORT_URL", "/report?leak", "the path to serve the endpoint at"),
        ("SECRET_KEYS_GITHUB_KEYS_URL", "ftp://github.example/keys", "GitHub's public keys"),
    ],
)
def test_configuration_mistakes_fail_at_start_up(
    host: Any, new_app: Callable[..., Flask], setting: str, value: Any, hint: str
) -> None:
    db, user = host
    secret_key = "s" * 40 if setting == "SECRET_KEYS_PEPPER" else "s"
    app = new_app(**{setting: value})
    app.config["SECRET_KEY"] = secret_key
    with pytest.raises(RuntimeError, match=setting if "PEPPER" not in setting else "PEPPER") as e:
        wire(app, db, SecretKeys(db=db, user_model=user))
    assert hint in str(e.value)
    assert "secret_keys" not in app.extensions


def test_unknown_settings_are_reported(host: Any, new_app: Callable[..., Flask]) -> None:
    db, user = host
    app = new_app(SECRET_KEYS_PERPAGE=10)
    with pytest.warns(UserWarning, match="SECRET_KEYS_PERPAGE"):
        wire(app, db, SecretKeys(db=db, user_model=user))


def test_valid_pepper_and_interval_are_accepted(host: Any, new_app: Callable[..., Flask]) -> None:
    import datetime as dt

    db, user = host
    app = new_app(SECRET_KEYS_PEPPER="p" * 32, SECRET_KEYS_LAST_USED_INTERVAL=dt.timedelta(0))
    secret_keys = SecretKeys(db=db, user_model=user)
    wire(app, db, secret_keys)
    with app.app_context():
        settings = secret_keys.settings
    assert settings.pepper == b"p" * 32
    assert settings.last_used_interval == dt.timedelta(0)


def test_existing_request_loader_is_kept(host: Any, new_app: Callable[..., Flask]) -> None:
    db, user = host
    app = new_app()
    db.init_app(app)
    login_manager = LoginManager(app)

    def own_loader(request: Any) -> None:
        return None

    login_manager.request_loader(own_loader)
    SecretKeys(app, db=db, user_model=user)
    assert login_manager._request_callback is own_loader


def test_an_app_that_rendered_pages_is_freed_when_dropped(
    app_config: dict[str, Any], app_factory: Callable[[dict[str, Any]], Flask]
) -> None:
    """Nothing of the extension's outlives the app: a host that makes an app per test
    (or per tenant) does not keep every one in memory."""
    app = app_factory(app_config)
    reset_database(app)
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    assert client.get(BASE + "/").status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    gone = weakref.ref(app)
    del app, client
    gc.collect()
    assert gone() is None

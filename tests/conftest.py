"""Shared fixtures: a fresh example app per test, its users, keys and clients.

The suite runs on SQLite by default. Set ``TEST_DATABASE_URL`` to run it on a
server database, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` or
``mysql+pymysql://root@127.0.0.1:3306/test``; each test starts from empty tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from example_app import create_app
from example_app.extensions import secret_keys
from example_app.models import User, create_demo_users, db
from flask_secret_keys import KeyService, SecretKeys, models
from flask_secret_keys.settings import Settings

#: A cheap password hash: the demo users are made for every test.
FAST_PASSWORD_METHOD = "pbkdf2:sha256:1000"

DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None


def database_url(tmp_path: Any) -> str:
    return DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"


def is_server_database() -> bool:
    return DATABASE_URL is not None and not DATABASE_URL.startswith("sqlite")


def reset_database(app: Flask) -> None:
    """Empty tables and the demo users, whatever an earlier run left behind."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo_users(FAST_PASSWORD_METHOD)


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """Config for the app under test; override to change it."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_METHOD,
        "SECRET_KEYS_HTMX_URL": "/vendor/htmx.min.js",
    }


@pytest.fixture
def app_factory() -> Callable[[dict[str, Any]], Flask]:
    """The example host under test; override to test another host."""
    return create_app


@pytest.fixture
def make_app(
    app_config: dict[str, Any], app_factory: Callable[[dict[str, Any]], Flask]
) -> Iterator[Callable[..., Flask]]:
    """Make apps with config overrides; each is cleaned up after the test."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = app_factory({**app_config, **overrides})
        reset_database(app)
        made.append(app)
        return app

    yield make
    for app in reversed(made):
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


class Clock:
    """The package's clock, held still and moved by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Drives ``flask_secret_keys.models.utcnow``, the one clock every operation reads."""
    fake = Clock(models.utcnow().replace(microsecond=0))
    monkeypatch.setattr(models, "utcnow", fake)
    return fake


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def service_of(app: Flask, extension: SecretKeys = secret_keys) -> KeyService:
    """``extension.service`` of ``app``, for use outside the app's context too."""
    with app.app_context():
        return extension.service


def settings_of(app: Flask, extension: SecretKeys = secret_keys) -> Settings:
    """``extension.settings`` of ``app``, for use outside the app's context too."""
    with app.app_context():
        return extension.settings


@pytest.fixture
def service(app: Flask) -> KeyService:
    """The example app's ``secret_keys.service``."""
    return service_of(app)


def get_user(email: str) -> User:
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def admin(app_ctx: None) -> User:
    return get_user("admin@example.com")


@pytest.fixture
def ops(app_ctx: None) -> User:
    return get_user("ops@example.com")


@pytest.fixture
def viewer(app_ctx: None) -> User:
    return get_user("viewer@example.com")


@pytest.fixture
def admin_token(app: Flask) -> str:
    """The plaintext of an active key of admin@example.com."""
    with app.app_context():
        _key, token = secret_keys.service.create(get_user("admin@example.com"), "Test key")
    return token


_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """A CSRF token for the client's session, read from a rendered form."""
    match = _CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def log_in(client: FlaskClient, email: str, password: str) -> None:
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def admin_client(client: FlaskClient) -> FlaskClient:
    """A test client with admin@example.com logged in by session."""
    log_in(client, "admin@example.com", "admin")
    return client


@pytest.fixture
def viewer_client(client: FlaskClient) -> FlaskClient:
    log_in(client, "viewer@example.com", "viewer")
    return client


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served by a real threaded WSGI server on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class StatementLog:
    """The SQL statements an engine executes while the log is open."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def matching(self, prefix: str) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(prefix)]


@contextlib.contextmanager
def count_statements(engine: sa.Engine) -> Iterator[StatementLog]:
    log = StatementLog()

    def before_cursor_execute(*args: Any) -> None:
        log.statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)

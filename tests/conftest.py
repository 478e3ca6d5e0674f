"""Shared fixtures and the one helper of each kind the suite uses.

The tests are organised by layer, one flat file per feature, named after it:

- ``test_crypto.py``: the token format (pure functions, no Flask);
- ``test_service*.py``: the rules of keys in ``KeyService`` and the database
  (lifecycle, events, owners, usage context, titles, concurrency);
- ``test_auth*.py``: authentication of requests (header forms, real HTTP and raw
  sockets, scope, rate limit, fuzzing);
- ``test_views*.py``: the pages (lists, forms, access rules, lifecycle, oversight,
  security headers, crafted input, secrets hygiene);
- ``test_extension*.py`` and ``test_hosts*.py``: ``init_app`` and its checks, outages,
  private APIs of other libraries, and the hosts that mount the extension
  (factories, user models, layouts, Flask-Admin, migrations, workers, the example);
  with them ``test_settings_table.py``, ``test_layout_checks.py``,
  ``test_mounting_errors.py`` and ``test_autogenerate.py``;
- ``test_cli*.py``: the ``flask secret-keys`` commands;
- ``browser/``: journeys in a real headless Chromium;
- the package as a whole: ``test_package_structure.py`` (the import graph),
  ``test_api_reference.py`` (the API docs), ``test_benchmarks.py`` (the harness runs).

Most tests run on the tests' own host (``tests/host.py``: the example app's
parts, configured by the test); the hosts tests declare hosts of their own.
Helpers, one of each kind: ``serve``/``live_server`` (a real server on
127.0.0.1), ``csrf_token_in``/``csrf_token`` (the CSRF token of a page),
``count_statements`` (the SQL an engine runs), ``run_together`` (threads released
at once by a barrier; tests using it are marked ``concurrency``), ``new_db`` and
``new_db_and_user`` (the database and user model of a host a test declares),
``key_in_state`` (a key revoked, deleted, or of an owner deactivated or demoted),
``run_python`` (our interpreter in a subprocess, as a host developer runs it).

The suite runs on SQLite by default. Set ``TEST_DATABASE_URL`` to run it on a
server database, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` or
``mysql+pymysql://root@127.0.0.1:3306/test``; each test starts from empty tables.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from hypothesis import HealthCheck, settings
from sqlalchemy import orm
from werkzeug.serving import make_server

from example_app.extensions import secret_keys
from example_app.models import User, db
from flask_secret_keys import Actor, KeyService, SecretKeys, models
from flask_secret_keys.ratelimit import NAMESPACE
from flask_secret_keys.settings import Settings
from tests.host import add_demo_users, create_app, get_user

__all__ = ["User", "get_user"]

DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


#: Hypothesis settings of the fuzzing tests: no deadline (a slow machine is no bug), and
#: fixtures shared by the examples of a test (each example leaves what it made behind).
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
#: Fewer examples where each one is several requests and database round trips.
FORM_FUZZ = settings(FUZZ, max_examples=100)


def new_db() -> SQLAlchemy:
    """A Flask-SQLAlchemy of its own, with its own metadata, for a host a test declares."""

    class Base(orm.DeclarativeBase):
        pass

    return SQLAlchemy(model_class=Base)


def new_db_and_user(
    tablename: str, *, admin_by_default: bool = False
) -> tuple[SQLAlchemy, type[Any]]:
    """``new_db()`` and, in it, the plainest user model: ``id``, ``email`` and ``is_admin``.

    Hosts whose tests are about the shape of the user model declare their own.
    """
    db = new_db()

    class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = tablename

        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        email: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
        is_admin: orm.Mapped[bool] = orm.mapped_column(default=admin_by_default)

    return db, User


def database_url(tmp_path: Any) -> str:
    return DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"


def is_server_database() -> bool:
    return DATABASE_URL is not None and not DATABASE_URL.startswith("sqlite")


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """Test databases are thrown away: SQLite need not wait for the disk at each commit."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")


#: The first SQLite database made by ``reset_database``, copied for the tests that follow.
_sqlite_template: list[Path] = []


def _new_sqlite_file(app: Flask) -> Path | None:
    """The app's SQLite file if it has nothing in it yet, else None."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if path.exists() and path.stat().st_size else path


def reset_database(app: Flask) -> None:
    """Empty tables and the demo users, whatever an earlier run left behind.

    A new SQLite file starts as a copy of the first one made here: making the
    schema would otherwise be most of a test's setup.
    """
    new_file = _new_sqlite_file(app)
    if new_file is not None and _sqlite_template:
        shutil.copyfile(_sqlite_template[0], new_file)
        return
    with app.app_context():
        db.drop_all()
        db.create_all()
        add_demo_users()
    if new_file is not None:
        folder = tempfile.mkdtemp(prefix="flask-secret-keys-tests-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "template.db"
        shutil.copyfile(new_file, template)
        _sqlite_template.append(template)


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """Config for the app under test; override to change it."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
    }


@pytest.fixture
def app_factory() -> Callable[[dict[str, Any]], Flask]:
    """The host under test (the main example's parts); override to test another host."""
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
            if is_server_database():
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


# Header forms: the one table of how a key may be presented.


def key_in_state(service: KeyService, user: Any, state: str) -> str:
    """The plaintext of a new key of ``user`` in ``state``, in an app context.

    ``state`` is one of "active", "revoked", "deleted", "inactive_user" (its owner
    deactivated) and "not_admin" (its owner no longer an admin).
    """
    key, token = service.create(user, f"A {state} key")
    if state in ("revoked", "deleted"):
        service.revoke(key, actor=Actor.for_user(user))
    if state == "deleted":
        service.delete(key)
    if state == "inactive_user":
        user.active = False
    if state == "not_admin":
        user.is_admin = False
    db.session.commit()
    return token


def basic(value: str) -> str:
    """An ``Authorization: Basic`` value for ``value`` (``user:password``)."""
    return "Basic " + base64.b64encode(value.encode()).decode()


#: Every accepted way to present a key, by name: ``form(token, custom_header)`` -> headers.
HEADER_FORMS: dict[str, Callable[..., dict[str, str]]] = {
    "bearer": lambda k, h="X-Api-Key": {"Authorization": f"Bearer {k}"},
    "bearer lowercase scheme": lambda k, h="X-Api-Key": {"Authorization": f"bearer {k}"},
    "bearer extra spaces": lambda k, h="X-Api-Key": {"Authorization": f"Bearer   {k} "},
    "basic": lambda k, h="X-Api-Key": {"Authorization": basic(f"{k}:")},
    "basic bare key": lambda k, h="X-Api-Key": {"Authorization": f"Basic {k}"},
    "basic key without colon": lambda k, h="X-Api-Key": {"Authorization": basic(k)},
    "custom": lambda k, h="X-Api-Key": {h: k},
}

#: One form of each kind, for the tests that check a host rather than the parsing.
KEY_FORMS = ["bearer", "basic", "custom"]


def key_headers(form: str, token: str, custom_header: str = "X-Api-Key") -> dict[str, str]:
    """The request headers that present ``token`` in the form named ``form``."""
    return HEADER_FORMS[form](token, custom_header)


# CSRF tokens and logging in.

_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form in a rendered page."""
    match = _CSRF_FIELD.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """A CSRF token for the client's session, read from the form at ``path``."""
    return csrf_token_in(client.get(path).get_data(as_text=True))


def log_in(client: FlaskClient, email: str, password: str) -> None:
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def log_in_over_http(
    base_url: str, email: str = "admin@example.com", password: str = "admin"
) -> requests.Session:
    """A ``requests`` session logged in through the login form of a served app."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/login", timeout=10).text
    response = browser.post(
        f"{base_url}/login",
        data={"email": email, "password": password, "csrf_token": csrf_token_in(page)},
        timeout=10,
    )
    assert response.status_code == 200, response.text[:300]
    return browser


@pytest.fixture
def admin_client(client: FlaskClient) -> FlaskClient:
    """A test client with admin@example.com logged in by session."""
    log_in(client, "admin@example.com", "admin")
    return client


@pytest.fixture
def viewer_client(client: FlaskClient) -> FlaskClient:
    log_in(client, "viewer@example.com", "viewer")
    return client


def run_cli(app: Flask, *args: str) -> tuple[int, str, str]:
    """``flask secret-keys ARGS`` on ``app``: its exit code, stdout and stderr."""
    result = app.test_cli_runner().invoke(args=["secret-keys", *args])
    return result.exit_code, result.stdout, result.stderr


def run_python(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run our interpreter with ``args`` in ``cwd``, as a host developer would; it must succeed."""
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# A real server.


@contextlib.contextmanager
def serve(app: Flask) -> Iterator[str]:
    """``app`` served by a threaded werkzeug server on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app served on 127.0.0.1; yields its base URL."""
    with serve(app) as url:
        yield url


# SQL statements.


class StatementLog:
    """The SQL statements an engine executes while the log is open."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()

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


# Concurrency.


def run_together(app: Flask, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread and app context (so its own session and connection),
    all released at once by a barrier; their results or the exceptions they raised."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = job()
            except Exception as error:
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


# Redis.


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_storage() -> Iterator[str]:
    """The Redis URL for shared counters (``TEST_REDIS_URL``, by default database 5 on
    127.0.0.1:6379), cleared of this extension's counters before and after.

    Skipped when Redis is unreachable, except under CI, where it must run.
    """
    import redis

    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    connection = redis.Redis.from_url(REDIS_URL)

    def clear() -> None:
        for name in connection.scan_iter(f"*{NAMESPACE}*"):
            connection.delete(name)

    clear()
    yield REDIS_URL
    clear()
    connection.close()

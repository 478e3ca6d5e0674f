"""Fixtures and pytest hooks; the helpers the tests share are in ``helpers.py``.

The tests are organised by layer, one flat file per feature, named after it:

- ``test_crypto.py``: the token format (pure functions, no Flask);
- ``test_service*.py``: the rules of keys in ``KeyService`` and the database
  (lifecycle, events, owners, usage context, titles, concurrency);
- ``test_auth*.py``: authentication of requests (header forms, real HTTP and raw
  sockets, scope, rate limit, fuzzing);
- ``test_views*.py``: the pages (lists, forms, access rules, lifecycle, oversight,
  security headers, crafted input, secrets hygiene): that each page shows what the
  service decided, not the service's rules again;
- ``test_extension*.py`` and ``test_hosts*.py``: ``init_app`` and its checks, outages,
  private APIs of other libraries, and the hosts that mount the extension
  (factories, user models, layouts, Flask-Admin, migrations and the upgrade from
  0.1.0, workers, the example);
  with them ``test_settings_table.py``, ``test_layout_checks.py``,
  ``test_mounting_errors.py`` and ``test_autogenerate.py``;
- ``test_cli*.py``: the ``flask secret-keys`` commands;
- ``browser/``: journeys in a real headless Chromium;
- the package as a whole: ``test_package_structure.py`` (the import graph),
  ``test_api_reference.py`` (the API docs), ``test_benchmarks.py`` (the harness runs).

Most tests run on the tests' own host (``tests/host.py``: the example app's
parts, configured by the test); the hosts tests declare hosts of their own.

Tests marked ``slow`` run subprocesses (``flask db`` migrations and upgrades,
worker processes, a host run as its developer runs it). A plain ``python -m pytest``
deselects them; they run with ``--slow``, or whenever ``CI`` is set, as in CI.

The suite runs on SQLite by default. Set ``TEST_DATABASE_URL`` to run it on a
server database, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` or
``mysql+pymysql://root@127.0.0.1:3306/test``; each test starts from empty tables.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example_app.extensions import secret_keys
from example_app.models import User, db
from flask_secret_keys import KeyService, models
from flask_secret_keys.ratelimit import NAMESPACE
from tests.helpers import (
    REDIS_URL,
    Clock,
    database_url,
    drop_server_tables,
    get_user,
    is_server_database,
    log_in,
    redis_available,
    reset_database,
    serve,
    service_of,
)
from tests.host import create_app


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow", action="store_true", help="run the tests marked slow (always under CI)"
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tune the garbage collector for a run that makes an app per test.

    Each app leaves tens of thousands of objects in reference cycles behind.
    With the default thresholds the collector scans every object of the run
    (the modules, the collected tests) every few tests: about a fifth of the
    run's time. The objects alive after collection are frozen out of its
    scans, and it runs less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the ``slow`` tests unless ``--slow`` is given or ``CI`` is set."""
    if config.getoption("--slow") or os.environ.get("CI"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


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
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _server_database_for_other_hosts(request: pytest.FixtureRequest) -> None:
    """A test without the test host gets a server database without its tables.

    The test host's tables stay on a server database from one test to the next
    (``reset_database`` empties them); a host a test declares makes its own.
    """
    if is_server_database() and "make_app" not in request.fixturenames:
        drop_server_tables()


@pytest.fixture(scope="session", autouse=True)
def _server_database_left_empty() -> Iterator[None]:
    yield
    if is_server_database():
        drop_server_tables()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Drives ``flask_secret_keys.models.utcnow``, the one clock every operation reads."""
    fake = Clock(models.utcnow().replace(microsecond=0))
    monkeypatch.setattr(models, "utcnow", fake)
    return fake


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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
    """The test's app served on 127.0.0.1; yields its base URL."""
    with serve(app) as url:
        yield url


@pytest.fixture
def redis_storage() -> Iterator[str]:
    """The Redis URL for shared counters (``TEST_REDIS_URL``, by default database 5 on
    127.0.0.1:6379), cleared of this extension's counters before and after.

    Skipped when Redis is unreachable, except under CI, where it must run.
    """
    import redis

    if not redis_available():
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


@pytest.fixture
def key_server() -> Iterator[Any]:
    """GitHub's secret scanning key server, as a local stand-in on 127.0.0.1."""
    from tests.scanning_server import KeyServer

    server = KeyServer()
    with serve(server.app) as url:
        server.url = f"{url}/keys"
        yield server

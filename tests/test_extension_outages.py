"""Database faults: a clear 503, nothing leaked, nothing half-written, recovery by itself.

Faults are made three ways, none of which touches the shared database server:
an SQLAlchemy event that makes every statement fail with the driver's own
error (every backend), killing the app's own connection in the middle of an
INSERT (PostgreSQL, MariaDB), and a TCP proxy between the app and the server
that the test cuts and restores (PostgreSQL, MariaDB).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from example_app.models import db
from flask_secret_keys import crypto
from tests.helpers import (
    DATABASE_URL,
    csrf_token,
    get_user,
    is_server_database,
    log_in,
    log_in_over_http,
    run_cli,
    serve,
    settings_of,
)
from tests.host import create_app
from tests.tcpproxy import TCPProxy

needs_server_database = pytest.mark.skipif(
    not is_server_database(),
    reason=(
        "needs a database reached over TCP: set TEST_DATABASE_URL to PostgreSQL or MariaDB"
        f" (now {DATABASE_URL or 'unset, SQLite'})"
    ),
)


def driver_error(app: Flask) -> Exception:
    """The error the app's own database driver raises when its server goes away."""
    with app.app_context():
        name = db.engine.dialect.name
    if name == "postgresql":
        import psycopg

        return psycopg.OperationalError("server closed the connection unexpectedly")
    if name in ("mysql", "mariadb"):
        import pymysql

        lost: Exception = pymysql.err.OperationalError(2013, "Lost connection to server")
        return lost
    return sqlite3.OperationalError("disk I/O error")


@pytest.fixture
def break_database(app: Flask) -> Iterator[Callable[[bool], None]]:
    """``break_database(True)`` makes every statement fail; ``(False)`` mends it."""
    error = driver_error(app)
    with app.app_context():
        engine = db.engine

    def fail(*args: Any) -> None:
        raise error

    def set_broken(broken: bool) -> None:
        if broken and not sa.event.contains(engine, "do_execute", fail):
            sa.event.listen(engine, "do_execute", fail)
        elif not broken and sa.event.contains(engine, "do_execute", fail):
            sa.event.remove(engine, "do_execute", fail)

    yield set_broken
    set_broken(False)


def token_hash(app: Flask, token: str) -> str:
    return crypto.hash_token(token, settings_of(app).pepper)


def assert_clean_503(response: Any, *secrets: str) -> None:
    """A 503 JSON that says nothing about the failure (a Flask or a ``requests`` response)."""
    body = response.text if hasattr(response, "text") else response.get_data(as_text=True)
    assert response.status_code == 503, body
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "service_unavailable"
    assert response.headers["Retry-After"].isdigit()
    for leak in ("Traceback", "SELECT", "INSERT", "secret_api_keys", "OperationalError", *secrets):
        assert leak not in body


def test_key_check_answers_503_json_when_the_database_fails(
    app: Flask,
    client: FlaskClient,
    admin_token: str,
    break_database: Callable[[bool], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    break_database(True)

    with caplog.at_level(logging.ERROR):
        response = client.get("/admin/api/me", headers={"Authorization": f"Bearer {admin_token}"})

    assert_clean_503(response, admin_token, token_hash(app, admin_token))
    assert "Database unavailable: OperationalError" in caplog.text
    assert token_hash(app, admin_token) not in caplog.text
    assert "SELECT" not in caplog.text


def test_a_malformed_key_is_refused_with_401_even_while_the_database_is_down(
    client: FlaskClient, break_database: Callable[[bool], None]
) -> None:
    break_database(True)

    response = client.get("/admin/api/me", headers={"X-Api-Key": "sk_not-a-key"})

    assert response.status_code == 401
    assert response.json is not None
    assert response.json["error"] == "invalid_api_key"


def test_session_api_call_answers_503_json_when_the_database_fails(
    client: FlaskClient, break_database: Callable[[bool], None]
) -> None:
    log_in(client, "admin@example.com", "admin")
    break_database(True)

    response = client.get("/admin/api/me")

    assert_clean_503(response)


def test_the_app_recovers_by_itself_when_the_database_comes_back(
    client: FlaskClient, admin_token: str, break_database: Callable[[bool], None]
) -> None:
    headers = {"X-Api-Key": admin_token}
    break_database(True)
    assert [client.get("/admin/api/me", headers=headers).status_code for _ in range(3)] == [503] * 3

    break_database(False)

    assert client.get("/admin/api/me", headers=headers).status_code == 200


def kill_own_connection_on_insert(app: Flask) -> Callable[[], None]:
    """Make the next INSERT of a key lose its connection mid-statement; returns an undo."""
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect.name
    killer = sa.create_engine(engine.url, poolclass=sa.NullPool)
    error = driver_error(app)

    def kill(cursor: Any, statement: str, parameters: Any, context: Any) -> None:
        if not statement.lstrip().upper().startswith("INSERT INTO SECRET_API_KEYS"):
            return
        dbapi = context.root_connection.connection.dbapi_connection
        if dialect == "postgresql":
            with killer.begin() as other:
                other.execute(
                    sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": dbapi.info.backend_pid}
                )
        elif dialect in ("mysql", "mariadb"):
            with killer.begin() as other:
                other.execute(sa.text(f"KILL {int(dbapi.thread_id())}"))
        else:
            raise error

    sa.event.listen(engine, "do_execute", kill)

    def undo() -> None:
        sa.event.remove(engine, "do_execute", kill)
        killer.dispose()

    return undo


def test_a_create_cut_off_mid_insert_leaves_no_key_and_can_be_retried(
    app: Flask, service: Any
) -> None:
    undo = kill_own_connection_on_insert(app)
    try:
        with app.app_context(), pytest.raises(sa.exc.OperationalError):
            service.create(get_user("admin@example.com"), "Half-written")
    finally:
        undo()

    Key = service.model
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Key)).scalar() == 0
        _key, token = service.create(get_user("admin@example.com"), "Retried")
        assert service.authenticate(token) is not None


@pytest.fixture
def proxy() -> Iterator[TCPProxy]:
    url = sa.engine.make_url(DATABASE_URL or "")
    default_port = 5432 if url.get_backend_name() == "postgresql" else 3306
    proxy = TCPProxy(url.host or "127.0.0.1", url.port or default_port)
    yield proxy
    proxy.close()


@needs_server_database
def test_database_outage_through_a_tcp_proxy_answers_503_and_recovers(
    app: Flask, admin_token: str, proxy: TCPProxy, app_config: dict[str, Any]
) -> None:
    """The database vanishes under a running server and comes back on its own."""
    url = sa.engine.make_url(DATABASE_URL or "").set(host="127.0.0.1", port=proxy.port)
    proxied = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url.render_as_string(False)})
    try:
        _check_outage(proxied, admin_token, proxy)
    finally:
        with proxied.app_context():
            db.engine.dispose()


def _check_outage(app: Flask, token: str, proxy: TCPProxy) -> None:
    with serve(app) as base:
        api, page = f"{base}/admin/api/me", f"{base}/settings/secret-api-keys"
        browser = log_in_over_http(base)
        assert requests.get(api, auth=(token, ""), timeout=10).status_code == 200
        assert browser.get(page, timeout=10).status_code == 200

        proxy.cut()
        during = [requests.get(api, auth=(token, ""), timeout=30) for _ in range(5)]
        pages = [browser.get(page, timeout=30) for _ in range(3)]
        malformed = requests.get(api, auth=("sk_nope", ""), timeout=30)
        proxy.restore()
        after = requests.get(api, auth=(token, ""), timeout=30)
        page_after = browser.get(page, timeout=30)

    for response in during:
        assert_clean_503(response, token)
    for response in pages:
        assert response.status_code == 503
        assert "temporarily unavailable" in response.text
        assert "Traceback" not in response.text
    assert malformed.status_code == 401
    assert after.status_code == 200
    assert page_after.status_code == 200


def assert_clean_503_page(response: Any) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body
    assert response.mimetype == "text/html"
    assert "temporarily unavailable" in body
    assert response.headers["Cache-Control"] == "no-store"
    for leak in ("Traceback", "SELECT", "INSERT", "secret_api_keys", "OperationalError", "sqlite"):
        assert leak not in body


@pytest.mark.parametrize(
    "path", ["", "/new", "/1", "/1/edit", "/1/revoke", "/1/delete"], ids=lambda p: p or "/"
)
def test_pages_answer_a_clear_503_page_when_the_database_fails(
    admin_client: FlaskClient,
    admin_token: str,
    break_database: Callable[[bool], None],
    path: str,
) -> None:
    break_database(True)

    for headers in ({}, {"HX-Request": "true"}):
        response = admin_client.get("/settings/secret-api-keys" + path, headers=headers)
        assert_clean_503_page(response)

    break_database(False)
    assert admin_client.get("/settings/secret-api-keys" + path).status_code == 200


def test_a_create_form_cut_off_mid_insert_answers_503_and_leaves_no_key(
    app: Flask, admin_client: FlaskClient, service: Any
) -> None:
    url = "/settings/secret-api-keys/new"
    token = csrf_token(admin_client, url)
    undo = kill_own_connection_on_insert(app)
    try:
        response = admin_client.post(url, data={"title": "Cut off", "csrf_token": token})
    finally:
        undo()

    assert_clean_503_page(response)
    assert "sk_" not in response.get_data(as_text=True)
    with app.app_context():
        assert service.active_key(get_user("admin@example.com")) is None
        Key = service.model
        assert db.session.execute(sa.select(sa.func.count()).select_from(Key)).scalar() == 0

    retry = admin_client.post(
        url, data={"title": "Retried", "csrf_token": csrf_token(admin_client, url)}
    )
    assert retry.status_code == 200


# The error PostgreSQL raises for a missing table or column (ProgrammingError), on SQLite


@pytest.fixture
def fail_as_postgresql(app: Flask) -> Iterator[Callable[[], None]]:
    """Once called, statements on the key tables fail as PostgreSQL fails a statement on a
    missing column; the schema itself can still be read."""
    with app.app_context():
        engine = db.engine

    def fail(_cursor: Any, statement: str, *args: Any) -> None:
        if "secret_api_keys" in statement and not statement.lstrip().upper().startswith("PRAGMA"):
            raise sqlite3.ProgrammingError("column secret_api_keys.usage_record does not exist")

    yield lambda: sa.event.listen(engine, "do_execute", fail)
    if sa.event.contains(engine, "do_execute", fail):
        sa.event.remove(engine, "do_execute", fail)


@pytest.mark.skipif(is_server_database(), reason="SQLite: a server database raises its own")
def test_before_the_upgrade_a_statement_error_is_a_503_that_says_so(
    app: Flask, admin_client: FlaskClient, fail_as_postgresql: Callable[[], None]
) -> None:
    with app.app_context():
        db.session.execute(sa.text("ALTER TABLE secret_api_keys DROP COLUMN usage_record"))
        db.session.commit()
    fail_as_postgresql()

    page = admin_client.get("/settings/secret-api-keys")
    api = admin_client.get("/admin/api/secret-keys")

    assert page.status_code == 503 and "flask db upgrade" in page.get_data(as_text=True)
    assert "Retry-After" not in page.headers
    assert api.status_code == 503 and api.json is not None
    assert api.json["error"] == "database_upgrade_needed"
    assert "flask db upgrade" in api.json["message"]


@pytest.mark.skipif(is_server_database(), reason="SQLite: a server database raises its own")
@pytest.mark.parametrize(
    "path", ["/settings/secret-api-keys", "/admin/api/secret-keys", "/admin/api/me by key"]
)
def test_a_statement_error_with_the_schema_complete_is_a_bug_raised_again(
    admin_client: FlaskClient, admin_token: str, fail_as_postgresql: Callable[[], None], path: str
) -> None:
    """Not disguised as an outage or an upgrade notice: the host's usual 500."""
    fail_as_postgresql()

    with pytest.raises(sa.exc.ProgrammingError):
        if path.endswith(" by key"):
            admin_client.get(path.removesuffix(" by key"), headers={"X-Api-Key": admin_token})
        else:
            admin_client.get(path)


def test_a_command_while_the_database_fails_is_a_one_line_error(
    app: Flask, break_database: Callable[[bool], None]
) -> None:
    break_database(True)

    code, out, err = run_cli(app, "list", "--all")

    assert code == 1 and out == ""
    assert err == "Error: The database refused the operation (OperationalError).\n"

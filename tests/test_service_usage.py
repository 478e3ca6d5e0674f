"""Usage context: where and how a key was last used, in the same throttled write.

The write is bookkeeping, not a gate: when it fails (a read-only database
after a failover, a row locked past the lock timeout), the key request still
succeeds and the failure is logged without the key or its hash.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from example_app.models import db
from flask_secret_keys import KeyService, crypto
from tests.helpers import count_statements, database_url, get_user, log_in, service_of, settings_of
from tests.host import create_app

BASE = "/settings/secret-api-keys"
CLIENT = {"REMOTE_ADDR": "203.0.113.7"}
HEADERS = {"User-Agent": "python-requests/2.32"}


def words(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_use_records_the_address_and_user_agent(app: Flask, admin_token: str) -> None:
    response = app.test_client().get(
        "/admin/api/me", headers={"X-Api-Key": admin_token, **HEADERS}, environ_base=CLIENT
    )
    assert response.status_code == 200

    with app.app_context():
        key = service_of(app).key_by_id(1)
        assert key.last_used_ip == "203.0.113.7"
        assert key.last_used_user_agent == "python-requests/2.32"
    browser = app.test_client()
    log_in(browser, "admin@example.com", "admin")
    page = words(browser.get(f"{BASE}/1"))
    # The exact time, then in words; the user agent in short, then whole.
    used = r"Last used [^()]+ UTC \( ?\d+ seconds? ago ?\) from 203\.0\.113\.7, "
    assert re.search(used + r"python-requests 2\.32 python-requests/2\.32", page)


def test_an_ipv6_address_and_a_long_user_agent_fit_their_columns(
    app: Flask, admin_token: str
) -> None:
    address = "2001:db8:ffff:ffff:ffff:ffff:255.255.255.255"
    app.test_client().get(
        "/admin/api/me",
        headers={"X-Api-Key": admin_token, "User-Agent": "u" * 4000},
        environ_base={"REMOTE_ADDR": address},
    )
    with app.app_context():
        key = service_of(app).key_by_id(1)
        assert key.last_used_ip == address
        assert key.last_used_user_agent == "u" * 255


def test_the_context_is_written_in_the_one_throttled_update(
    app: Flask, service: KeyService, admin_token: str
) -> None:
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    with count_statements(engine) as log:
        for number in range(10):
            client.get(
                "/admin/api/me",
                headers={"X-Api-Key": admin_token, "User-Agent": f"agent/{number}"},
                environ_base=CLIENT,
            )
    (update,) = log.matching("UPDATE")
    assert "last_used_ip" in update and "last_used_user_agent" in update
    assert log.matching("INSERT") == [] and log.matching("DELETE") == []
    with app.app_context():
        # The first use of the interval is the one recorded.
        assert service.key_by_id(1).last_used_user_agent == "agent/0"


def test_a_use_outside_a_request_records_no_context(
    app: Flask, service: KeyService, admin_token: str
) -> None:
    with app.app_context():
        key = service.authenticate(admin_token)
        assert key is not None and key.last_used_at is not None
        assert key.last_used_ip is None and key.last_used_user_agent is None


def test_a_key_without_context_shows_only_when(app: Flask, admin_client: Any) -> None:
    with app.app_context():
        service = service_of(app)
        key, _token = service.create(get_user("admin@example.com"), "K")
        with app.test_request_context(environ_base={"REMOTE_ADDR": ""}):
            service.verifier.record_use(key)
    page = words(admin_client.get(f"{BASE}/1"))
    assert re.search(r"Last used [^()]+ UTC \( ?\d+ seconds? ago ?\) Using this key", page)


# The write is bookkeeping: failures are logged, the request goes on


def token_hash(app: Flask, token: str) -> str:
    return crypto.hash_token(token, settings_of(app).pepper)


def assert_used_and_logged(
    app: Flask, other: Flask, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A key request on ``other`` succeeds though its usage write fails, and the log says so."""
    with caplog.at_level(logging.WARNING):
        response = other.test_client().get(
            "/admin/api/me", headers={"X-Api-Key": token, **HEADERS}, environ_base=CLIENT
        )

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {"id": 1, "email": "admin@example.com"}
    assert "Could not record the use of secret API key 1" in caplog.text
    for leak in (token, token[3:46], token_hash(app, token)):
        assert leak not in caplog.text
    with app.app_context():
        db.session.remove()
        key = service_of(app).key_by_id(1)
        assert key.last_used_at is None and key.last_used_ip is None


@pytest.fixture
def app_with(app: Flask, app_config: dict[str, Any], tmp_path: Any) -> Iterator[Any]:
    """A second app on the same database, with other engine options; disposed afterwards."""
    made: list[Flask] = []

    def make(url: str | None = None, **engine_options: Any) -> Flask:
        options = {"pool_pre_ping": True, "hide_parameters": True, **engine_options}
        other = create_app(
            {
                **app_config,
                "SQLALCHEMY_DATABASE_URI": url or database_url(tmp_path),
                "SQLALCHEMY_ENGINE_OPTIONS": options,
            }
        )
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def read_only_options(app: Flask, tmp_path: Any) -> tuple[str | None, dict[str, Any]]:
    """How to open the test database read-only, as after a failover to a replica."""
    with app.app_context():
        name = db.engine.dialect.name
    if name == "postgresql":
        return None, {"connect_args": {"options": "-c default_transaction_read_only=on"}}
    if name in ("mysql", "mariadb"):
        return None, {"connect_args": {"init_command": "SET SESSION TRANSACTION READ ONLY"}}
    return f"sqlite:///file:{tmp_path / 'test.db'}?mode=ro&uri=true", {}


def test_a_read_only_database_does_not_fail_the_key_request(
    app: Flask,
    admin_token: str,
    app_with: Any,
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, options = read_only_options(app, tmp_path)
    read_only = app_with(url, **options)

    assert_used_and_logged(app, read_only, admin_token, caplog)
    assert re.search(r"read.only|readonly|READ ONLY", caplog.text, re.IGNORECASE)


def lock_timeout_options(app: Flask) -> dict[str, Any]:
    """A short lock timeout for the app's connections, so the test waits a second at most."""
    with app.app_context():
        name = db.engine.dialect.name
    if name == "postgresql":
        return {"connect_args": {"options": "-c lock_timeout=300"}}
    if name in ("mysql", "mariadb"):
        return {"connect_args": {"init_command": "SET SESSION innodb_lock_wait_timeout = 1"}}
    return {"connect_args": {"timeout": 0.3}}


@pytest.mark.concurrency
def test_a_locked_key_row_does_not_fail_the_key_request(
    app: Flask,
    admin_token: str,
    app_with: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = app_with(**lock_timeout_options(app))
    with app.app_context():
        engine = db.engine
        Key = service_of(app).model
    locked = threading.Event()
    release = threading.Event()

    def hold_the_row() -> None:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                # SQLite locks the whole database for a writer.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.exec_driver_sql("UPDATE secret_api_keys SET title = title")
            else:
                connection.begin()
                connection.execute(sa.select(Key.id).where(Key.id == 1).with_for_update())
            locked.set()
            release.wait(30)
            connection.rollback()

    holder = threading.Thread(target=hold_the_row, daemon=True)
    holder.start()
    try:
        assert locked.wait(10)
        assert_used_and_logged_while_locked(app, other, admin_token, caplog)
    finally:
        release.set()
        holder.join(10)

    # Once the lock is gone, the next use is recorded as usual.
    assert (
        other.test_client().get("/admin/api/me", headers={"X-Api-Key": admin_token}).status_code
        == 200
    )
    with app.app_context():
        db.session.remove()
        assert service_of(app).key_by_id(1).last_used_at is not None


def assert_used_and_logged_while_locked(
    app: Flask, other: Flask, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = other.test_client().get("/admin/api/me", headers={"X-Api-Key": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Could not record the use of secret API key 1" in caplog.text
    for leak in (token, token[3:46], token_hash(app, token)):
        assert leak not in caplog.text

"""Races on a server database: real threads, one connection each, released together.

Each operation runs in its own thread and app context (so its own session and
connection), all threads wait on a barrier and start at once. The rules must
hold whatever the interleaving: one active key per user, a key revoked once,
never an active key deleted, never a row that breaks the table's CHECK.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from example_app.models import db
from flask_secret_keys import (
    ActiveKeyExists,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    crypto,
)
from tests import servers
from tests.conftest import DATABASE_URL, get_user, is_server_database, service_of

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.skipif(
        not is_server_database(),
        reason=(
            "races need a server database with row locks: set TEST_DATABASE_URL to PostgreSQL"
            f" or MariaDB (now {DATABASE_URL or 'unset, SQLite'})"
        ),
    ),
]

THREADS = 20

fast_server = servers.fast_server


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A pool with a connection for every thread, so none waits for another's."""
    return {
        **app_config,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0},
    }


def run_together(app: Flask, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread and app context at once; their results or errors."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                results[index] = job()
            except Exception as error:
                results[index] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def rows(app: Flask) -> list[Any]:
    """Every key row, read fresh."""
    Key = service_of(app).model
    with app.app_context():
        return list(db.session.execute(sa.select(Key).order_by(Key.id)).scalars())


def assert_rows_consistent(app: Flask) -> None:
    """No row breaks the one-active-key invariant, whatever the CHECK constraint saw."""
    active_owners = []
    for key in rows(app):
        if key.revoked_at is None:
            assert key.active_owner_id == key.user_id
            active_owners.append(key.user_id)
        else:
            assert key.active_owner_id is None
    assert len(active_owners) == len(set(active_owners))


def create_key(app: Flask, email: str = "admin@example.com", title: str = "Key") -> int:
    with app.app_context():
        key, _token = service_of(app).create(get_user(email), title)
        return key.id


def revoke_job(app: Flask, key_id: int, email: str = "admin@example.com") -> Callable[[], str]:
    def job() -> str:
        service = service_of(app)
        user = get_user(email)
        service.revoke(service.key_of(user, key_id), by=user)
        return "revoked"

    return job


def delete_job(app: Flask, key_id: int) -> Callable[[], str]:
    def job() -> str:
        service = service_of(app)
        service.delete(service.key_of(get_user("admin@example.com"), key_id))
        return "deleted"

    return job


def test_twenty_concurrent_creates_leave_exactly_one_active_key(app: Flask) -> None:
    def job(n: int) -> Callable[[], Any]:
        return lambda: create_key(app, title=f"Key {n}")

    results = run_together(app, [job(n) for n in range(THREADS)])

    created = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ActiveKeyExists)]
    assert len(created) == 1, results
    assert len(refused) == THREADS - 1, results
    winner = created[0]
    assert {error.active_key_id for error in refused} == {winner}
    assert all("Revoke it before creating a new one" in str(error) for error in refused)
    assert [key.id for key in rows(app)] == [winner]
    assert_rows_consistent(app)


def test_concurrent_creates_for_different_users_all_succeed(app: Flask) -> None:
    emails = ["admin@example.com", "ops@example.com"] * (THREADS // 2)

    def job(email: str) -> Callable[[], Any]:
        return lambda: service_of(app).create(get_user(email), "Key")

    results = run_together(app, [job(email) for email in emails])

    assert sum(isinstance(r, tuple) for r in results) == 2, results
    assert sum(isinstance(r, ActiveKeyExists) for r in results) == THREADS - 2, results
    assert len(rows(app)) == 2
    assert_rows_consistent(app)


def test_concurrent_revokes_revoke_once(app: Flask) -> None:
    key_id = create_key(app)
    jobs: list[Callable[[], Any]] = [
        revoke_job(app, key_id, email) for email in ["admin@example.com"] * THREADS
    ]

    results = run_together(app, jobs)

    assert results.count("revoked") == 1, results
    assert sum(isinstance(r, KeyAlreadyRevoked) for r in results) == THREADS - 1, results
    (key,) = rows(app)
    assert key.revoked_at is not None
    assert key.revoked_by_id == key.user_id
    assert_rows_consistent(app)


@pytest.mark.parametrize("round_", range(5))
def test_revoke_racing_delete_never_deletes_an_active_key(app: Flask, round_: int) -> None:
    key_id = create_key(app)
    jobs = [revoke_job(app, key_id)] + [delete_job(app, key_id) for _ in range(5)]

    results = run_together(app, jobs)

    assert results[0] == "revoked", results
    deletes = results[1:]
    assert all(r == "deleted" or isinstance(r, (KeyNotRevoked, KeyNotFound)) for r in deletes)
    assert deletes.count("deleted") <= 1
    remaining = rows(app)
    if "deleted" in deletes:
        assert remaining == []
    else:
        (key,) = remaining
        assert key.revoked_at is not None
    assert_rows_consistent(app)


def test_concurrent_deletes_of_a_revoked_key_delete_once(app: Flask) -> None:
    key_id = create_key(app)
    with app.app_context():
        revoke_job(app, key_id)()

    results = run_together(app, [delete_job(app, key_id) for _ in range(THREADS)])

    assert results.count("deleted") == 1, results
    assert sum(isinstance(r, KeyNotFound) for r in results) == THREADS - 1, results
    assert rows(app) == []


@pytest.mark.parametrize("round_", range(5))
def test_rename_during_revoke_keeps_both_and_breaks_nothing(app: Flask, round_: int) -> None:
    key_id = create_key(app, title="Before")

    def rename() -> str:
        service = service_of(app)
        service.rename(service.key_of(get_user("admin@example.com"), key_id), "After")
        return "renamed"

    results = run_together(app, [revoke_job(app, key_id), rename])

    assert results == ["revoked", "renamed"]
    (key,) = rows(app)
    assert key.title == "After"
    assert key.revoked_at is not None
    assert_rows_consistent(app)


def test_create_racing_revoke_of_the_active_key_keeps_at_most_one_active(app: Flask) -> None:
    old_id = create_key(app, title="Old")

    def create(n: int) -> Callable[[], Any]:
        return lambda: service_of(app).create(get_user("admin@example.com"), f"New {n}")

    jobs = [revoke_job(app, old_id)] + [create(n) for n in range(THREADS - 1)]
    results = run_together(app, jobs)

    assert results[0] == "revoked"
    created = [r for r in results[1:] if isinstance(r, tuple)]
    assert len(created) <= 1, results
    assert all(isinstance(r, (tuple, ActiveKeyExists)) for r in results[1:]), results
    assert_rows_consistent(app)


def test_no_request_authenticates_once_a_revoke_has_committed(app: Flask) -> None:
    with app.app_context():
        _key, token = service_of(app).create(get_user("admin@example.com"), "Key")
        key_id = _key.id
    revoked = threading.Event()
    after_revoke: list[bool] = []

    def authenticate() -> None:
        for _ in range(30):
            was_revoked = revoked.is_set()
            ok = service_of(app).authenticate(token) is not None
            db.session.remove()
            if was_revoked:
                after_revoke.append(ok)

    def revoke() -> str:
        result = revoke_job(app, key_id)()
        revoked.set()
        return result

    results = run_together(app, [revoke] + [authenticate] * 5)

    assert results[0] == "revoked"
    assert all(r is None for r in results[1:]), results
    assert after_revoke and not any(after_revoke)


def test_twenty_concurrent_create_forms_reveal_one_key_and_explain_the_rest(
    app: Flask, fast_server: str
) -> None:
    """The same race through the pages of a real server: one reveal, 19 clear refusals."""
    browser = requests.Session()
    login = browser.get(f"{fast_server}/login", timeout=10).text
    browser.post(
        f"{fast_server}/login",
        data={"email": "admin@example.com", "password": "admin", "csrf_token": csrf_of(login)},
        timeout=10,
    )
    url = f"{fast_server}/settings/secret-api-keys/new"
    token = csrf_of(browser.get(url, timeout=10).text)
    barrier = threading.Barrier(THREADS)

    def post(n: int) -> requests.Response:
        barrier.wait(timeout=30)
        return browser.post(url, data={"title": f"Key {n}", "csrf_token": token}, timeout=30)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        responses = list(pool.map(post, range(THREADS)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (THREADS - 1)
    for response in responses:
        if response.status_code == 409:
            assert "You already have an active key" in response.text
            assert not re.search(crypto.token_pattern(), response.text)
    assert len(rows(app)) == 1
    assert_rows_consistent(app)


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]

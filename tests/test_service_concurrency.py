"""Races: real threads, one connection each, released together by ``run_together``.

The rules must hold whatever the interleaving: one active key per user, a key
revoked once, never an active key deleted, never a row that breaks the table's
CHECK; two rolls of one key leave exactly one successor, a roll racing creates
leaves one active key, creates racing for the slot an expired key held let
exactly one through. The first tests run on every backend (on SQLite the
database serialises the writers); the others need a server database with row
locks (``TEST_DATABASE_URL`` set to PostgreSQL or MariaDB).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from example_app.models import db
from flask_secret_keys import (
    ActiveKeyExists,
    Actor,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    KeyNotRollable,
    LeakReport,
    Reach,
    crypto,
)
from tests.helpers import (
    THREADS,
    Clock,
    assert_rows_consistent,
    csrf_token_in,
    get_user,
    key_rows,
    log_in_over_http,
    needs_row_locks,
    run_together,
    service_of,
    usable_active_keys,
)

pytestmark = pytest.mark.concurrency


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A pool with a connection for every thread, so none waits for another's."""
    return {
        **app_config,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0},
    }


def test_database_enforces_one_active_key_when_the_service_check_is_passed(
    app: Flask, monkeypatch: Any
) -> None:
    """Every thread passes the "no active key yet" check; the unique index still holds."""
    service = service_of(app)
    checked = threading.local()
    real_slot_holder = service.reader.slot_holder

    def slot_holder_after_the_first_look(user: Any) -> Any:
        if not getattr(checked, "done", False):
            checked.done = True
            return None
        return real_slot_holder(user)

    # create() checks who holds the user's active slot before inserting.
    monkeypatch.setattr(service.reader, "slot_holder", slot_holder_after_the_first_look)

    def create() -> str:
        _key, token = service.create(get_user("admin@example.com"), "Racing")
        return token

    results = run_together(app, [create] * THREADS)
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert sum(isinstance(r, ActiveKeyExists) for r in results) == THREADS - 1, results
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(service.model.id))).scalar() == 1


def create_key(app: Flask, email: str = "admin@example.com", title: str = "Key") -> int:
    with app.app_context():
        key, _token = service_of(app).create(get_user(email), title)
        return key.id


def revoke_job(app: Flask, key_id: int, email: str = "admin@example.com") -> Callable[[], str]:
    def job() -> str:
        service = service_of(app)
        user = get_user(email)
        service.revoke(service.key_of(user, key_id), actor=Actor.for_user(user))
        return "revoked"

    return job


def delete_job(app: Flask, key_id: int) -> Callable[[], str]:
    def job() -> str:
        service = service_of(app)
        service.delete(service.key_of(get_user("admin@example.com"), key_id))
        return "deleted"

    return job


def test_twenty_concurrent_creates_leave_exactly_one_active_key(app: Flask) -> None:
    tokens: list[str] = []

    def job(n: int) -> Callable[[], Any]:
        def create() -> int:
            key, token = service_of(app).create(get_user("admin@example.com"), f"Key {n}")
            tokens.append(token)
            return int(key.id)

        return create

    results = run_together(app, [job(n) for n in range(THREADS)])

    created = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ActiveKeyExists)]
    assert len(created) == 1, results
    assert len(refused) == THREADS - 1, results
    winner = created[0]
    assert {error.key.id for error in refused} == {winner}
    assert all("Revoke it before creating a new one" in str(error) for error in refused)
    assert [key.id for key in key_rows(app)] == [winner]
    assert_rows_consistent(app)
    with app.app_context():
        assert service_of(app).authenticate(tokens[0]) is not None


@needs_row_locks
def test_concurrent_creates_for_different_users_all_succeed(app: Flask) -> None:
    emails = ["admin@example.com", "ops@example.com"] * (THREADS // 2)

    def job(email: str) -> Callable[[], Any]:
        return lambda: service_of(app).create(get_user(email), "Key")

    results = run_together(app, [job(email) for email in emails])

    assert sum(isinstance(r, tuple) for r in results) == 2, results
    assert sum(isinstance(r, ActiveKeyExists) for r in results) == THREADS - 2, results
    assert len(key_rows(app)) == 2
    assert_rows_consistent(app)


def test_concurrent_revokes_revoke_once(app: Flask) -> None:
    key_id = create_key(app)
    jobs: list[Callable[[], Any]] = [revoke_job(app, key_id) for _ in range(THREADS)]

    results = run_together(app, jobs)

    assert results.count("revoked") == 1, results
    assert sum(isinstance(r, KeyAlreadyRevoked) for r in results) == THREADS - 1, results
    (key,) = key_rows(app)
    assert key.revoked_at is not None
    assert key.revoked_by_id == key.user_id
    assert_rows_consistent(app)


@needs_row_locks
@pytest.mark.parametrize("round_", range(5))
def test_revoke_racing_delete_never_deletes_an_active_key(app: Flask, round_: int) -> None:
    key_id = create_key(app)
    jobs = [revoke_job(app, key_id)] + [delete_job(app, key_id) for _ in range(5)]

    results = run_together(app, jobs)

    assert results[0] == "revoked", results
    deletes = results[1:]
    assert all(r == "deleted" or isinstance(r, (KeyNotRevoked, KeyNotFound)) for r in deletes)
    assert deletes.count("deleted") <= 1
    remaining = key_rows(app)
    if "deleted" in deletes:
        assert remaining == []
    else:
        (key,) = remaining
        assert key.revoked_at is not None
    assert_rows_consistent(app)


@needs_row_locks
def test_concurrent_deletes_of_a_revoked_key_delete_once(app: Flask) -> None:
    key_id = create_key(app)
    with app.app_context():
        revoke_job(app, key_id)()

    results = run_together(app, [delete_job(app, key_id) for _ in range(THREADS)])

    assert results.count("deleted") == 1, results
    assert sum(isinstance(r, KeyNotFound) for r in results) == THREADS - 1, results
    assert key_rows(app) == []


@needs_row_locks
@pytest.mark.parametrize("round_", range(5))
def test_rename_during_revoke_keeps_both_and_breaks_nothing(app: Flask, round_: int) -> None:
    key_id = create_key(app, title="Before")

    def rename() -> str:
        service = service_of(app)
        service.rename(service.key_of(get_user("admin@example.com"), key_id), "After")
        return "renamed"

    results = run_together(app, [revoke_job(app, key_id), rename])

    assert results == ["revoked", "renamed"]
    (key,) = key_rows(app)
    assert key.title == "After"
    assert key.revoked_at is not None
    assert_rows_consistent(app)


@needs_row_locks
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


@needs_row_locks
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


@needs_row_locks
def test_twenty_concurrent_create_forms_reveal_one_key_and_explain_the_rest(
    app: Flask, live_server: str
) -> None:
    """The same race through the pages of a real server: one reveal, 19 clear refusals."""
    browser = log_in_over_http(live_server)
    url = f"{live_server}/settings/secret-api-keys/new"
    token = csrf_token_in(browser.get(url, timeout=10).text)

    def post(n: int) -> Callable[[], requests.Response]:
        return lambda: browser.post(
            url, data={"title": f"Key {n}", "csrf_token": token}, timeout=30
        )

    responses = run_together(app, [post(n) for n in range(THREADS)])
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (THREADS - 1)
    for response in responses:
        if response.status_code == 409:
            assert "You already have an active key" in response.text
            assert not re.search(crypto.token_pattern(), response.text)
    assert len(key_rows(app)) == 1
    assert_rows_consistent(app)


# The key lifecycle.

HOUR = dt.timedelta(hours=1)


def roll_job(app: Flask, key_id: int) -> Callable[[], Any]:
    def job() -> int:
        service = service_of(app)
        user = get_user("admin@example.com")
        successor, _token = service.roll(
            service.key_of(user, key_id), HOUR, actor=Actor.for_user(user)
        )
        return int(successor.id)

    return job


def create_job(app: Flask, n: int) -> Callable[[], Any]:
    return lambda: service_of(app).create(get_user("admin@example.com"), f"New {n}")


@needs_row_locks
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_rolls_of_one_key_leave_exactly_one_successor(app: Flask, round_: int) -> None:
    key_id = create_key(app, title="Deploy")

    results = run_together(app, [roll_job(app, key_id) for _ in range(THREADS)])

    successors = [r for r in results if isinstance(r, int)]
    assert len(successors) == 1, results
    assert all(isinstance(r, KeyNotRollable) for r in results if not isinstance(r, int)), results
    all_rows = key_rows(app)
    assert [key.id for key in all_rows] == [key_id, successors[0]]
    (active,) = usable_active_keys(app)
    assert active.id == successors[0] and active.title == "Deploy"
    assert all_rows[0].revoked_at is not None


@needs_row_locks
@pytest.mark.parametrize("round_", range(3))
def test_a_roll_racing_creates_leaves_one_active_key(app: Flask, round_: int) -> None:
    key_id = create_key(app, title="Deploy")
    jobs = [roll_job(app, key_id)] + [create_job(app, n) for n in range(THREADS - 1)]

    results = run_together(app, jobs)

    assert all(isinstance(r, (tuple, ActiveKeyExists)) for r in results[1:]), results
    created = [r for r in results[1:] if isinstance(r, tuple)]
    assert isinstance(results[0], (int, ActiveKeyExists)), results
    assert len(created) + isinstance(results[0], int) <= 1, results
    assert len(usable_active_keys(app)) == 1


@needs_row_locks
def test_creates_racing_for_an_expired_keys_slot_let_one_through(app: Flask, clock: Clock) -> None:
    with app.app_context():
        service_of(app).create(get_user("admin@example.com"), "Old", expires_at=clock.now + HOUR)
    clock.advance(hours=1)

    results = run_together(app, [create_job(app, n) for n in range(THREADS)])

    assert sum(isinstance(r, tuple) for r in results) == 1, results
    assert sum(isinstance(r, ActiveKeyExists) for r in results) == THREADS - 1, results
    assert len(usable_active_keys(app)) == 1


@pytest.mark.parametrize("change", ["revoke", "roll", "restrict"])
def test_a_key_another_request_deleted_meanwhile_is_not_found(app: Flask, change: str) -> None:
    """A request holds a key it read; another revokes and deletes it before the change
    is written: the change is refused as for an unknown key, and writes nothing."""
    with app.app_context():
        service, user = service_of(app), get_user("admin@example.com")
        key, _token = service.create(user, "Gone", reach=Reach.of({"orders": "write"}))
        key_id = key.id
        assert key.title == "Gone"  # read, as the request that holds it has
        with app.app_context():  # the other request, with its own session
            other = service_of(app)
            other.revoke(other.key_by_id(key_id))
            other.delete(other.key_by_id(key_id))
        changes: dict[str, Callable[[], Any]] = {
            "revoke": lambda: service.revoke(key),
            "roll": lambda: service.roll(key, HOUR),
            "restrict": lambda: service.restrict(key, Reach.of({"orders": "read"})),
        }

        with pytest.raises(KeyNotFound):
            changes[change]()

        assert [e.event for e in service.events_of(key_id)] == ["deleted", "revoked", "created"]
    assert key_rows(app) == []


@pytest.mark.parametrize("late", ["leak", "revoke_all", "roll_of_the_successor"])
def test_a_write_whose_clock_read_before_a_revocation_does_not_end_the_key_again(
    app: Flask, clock: Clock, late: str
) -> None:
    """A request reads its clock, waits for the database, and writes after a racing
    revocation committed with a clock a few milliseconds later: the key stays ended once."""
    with app.app_context():
        service, user = service_of(app), get_user("admin@example.com")
        key, _token = service.create(user, "Raced")
        successor, _token = service.roll(key, HOUR, actor=Actor.for_user(user))
        raced = key if late == "roll_of_the_successor" else successor
        raced_id, successor_id = raced.id, successor.id
        clock.advance(milliseconds=10)
        service.revoke(raced, actor=Actor.for_user(user))
        clock.advance(milliseconds=-5)

        if late == "leak":
            found = service.revoke_leaked([LeakReport(raced, "content")], actor=Actor.system())
            assert found == []
        elif late == "revoke_all":
            revoked = service.revoke_all(user, actor=Actor.for_user(user))
            assert [k.id for k in revoked] == [key.id]
        else:
            service.roll(service.key_by_id(successor_id), HOUR, actor=Actor.for_user(user))

        clock.advance(hours=2)
        service.settle()
        endings = [e.event for e in service.events_of(raced_id) if e.event != "created"]
        assert endings.count("revoked") == 1, endings
        assert "leaked" not in endings

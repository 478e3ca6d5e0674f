"""The rules hold when many requests race: the database has the last word.

Runs on every backend; on PostgreSQL and MariaDB (``TEST_DATABASE_URL``) the
threads really interleave inside the server's transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from example_app.models import db
from flask_secret_keys import ActiveKeyExists, KeyAlreadyRevoked
from tests.conftest import get_user, service_of

WORKERS = 20


def race(app: Flask, action: Callable[[], Any]) -> list[Any]:
    """Run ``action`` in WORKERS threads released together; return results or exceptions."""
    barrier = threading.Barrier(WORKERS, timeout=30)
    results: list[Any] = [None] * WORKERS

    def work(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = action()
            except Exception as error:
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_concurrent_creates_leave_exactly_one_active_key(app: Flask) -> None:
    service = service_of(app)

    def create() -> str:
        _key, token = service.create(get_user("admin@example.com"), "Racing")
        return token

    results = race(app, create)
    tokens = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, ActiveKeyExists)]
    assert len(tokens) == 1, results
    assert len(refused) == WORKERS - 1, results
    assert all("Revoke it before creating a new one" in str(e) for e in refused)
    with app.app_context():
        Key = service.model
        rows = db.session.execute(sa.select(Key.id, Key.revoked_at)).all()
        assert len(rows) == 1 and rows[0].revoked_at is None
        assert service.authenticate(tokens[0]) is not None


def test_concurrent_revokes_revoke_once(app: Flask) -> None:
    service = service_of(app)
    with app.app_context():
        key, _token = service.create(get_user("admin@example.com"), "Target")
        key_id = key.id

    def revoke() -> int:
        service.revoke(service.key_by_id(key_id), by=get_user("ops@example.com"))
        return key_id

    results = race(app, revoke)
    assert results.count(key_id) == 1, results
    assert sum(isinstance(r, KeyAlreadyRevoked) for r in results) == WORKERS - 1, results
    with app.app_context():
        revoked = service.key_by_id(key_id)
        assert revoked.revoked_at is not None
        assert revoked.revoked_by.email == "ops@example.com"
        assert revoked.active_owner_id is None


def test_database_enforces_one_active_key_when_the_service_check_is_passed(
    app: Flask, monkeypatch: Any
) -> None:
    """Every thread passes the "no active key yet" check; the unique index still holds."""
    service = service_of(app)
    checked = threading.local()
    real_slot_holder = service._slot_holder

    def slot_holder_after_the_first_look(user: Any) -> Any:
        if not getattr(checked, "done", False):
            checked.done = True
            return None
        return real_slot_holder(user)

    # create() checks who holds the user's active slot before inserting.
    monkeypatch.setattr(service, "_slot_holder", slot_holder_after_the_first_look)

    def create() -> str:
        _key, token = service.create(get_user("admin@example.com"), "Racing")
        return token

    results = race(app, create)
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert sum(isinstance(r, ActiveKeyExists) for r in results) == WORKERS - 1, results
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(service.model.id))).scalar() == 1

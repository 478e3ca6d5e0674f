"""Races of the key lifecycle on a server database, with the barrier of tests/test_races.py.

Two rolls of one key must leave exactly one successor; a roll racing creates
must leave one active key; creates racing for the slot an expired key held
must let exactly one through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from flask_secret_keys import ActiveKeyExists, KeyNotRollable, models
from tests.conftest import Clock, get_user, service_of
from tests.test_races import (
    THREADS,
    app_config,
    create_key,
    pytestmark,
    rows,
    run_together,
)

HOUR = dt.timedelta(hours=1)

__all__ = ["app_config", "pytestmark"]  # a pool sized for THREADS, and the server-only skip


def usable_active_keys(app: Flask) -> list[Any]:
    """The keys that are someone's active key now, checked against the markers."""
    now = models.utcnow()
    active = [key for key in rows(app) if key.status_at(now) == "active"]
    for key in rows(app):
        if key.active_owner_id is not None:
            assert key.active_owner_id == key.user_id
        if key.revoked_at is not None:
            assert key.active_owner_id is None
    assert all(key.active_owner_id == key.user_id for key in active)
    return active


def roll_job(app: Flask, key_id: int) -> Callable[[], Any]:
    def job() -> int:
        service = service_of(app)
        user = get_user("admin@example.com")
        successor, _token = service.roll(service.key_of(user, key_id), HOUR, by=user)
        return int(successor.id)

    return job


def create_job(app: Flask, n: int) -> Callable[[], Any]:
    return lambda: service_of(app).create(get_user("admin@example.com"), f"New {n}")


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_rolls_of_one_key_leave_exactly_one_successor(app: Flask, round_: int) -> None:
    key_id = create_key(app, title="Deploy")

    results = run_together(app, [roll_job(app, key_id) for _ in range(THREADS)])

    successors = [r for r in results if isinstance(r, int)]
    assert len(successors) == 1, results
    assert all(isinstance(r, KeyNotRollable) for r in results if not isinstance(r, int)), results
    all_rows = rows(app)
    assert [key.id for key in all_rows] == [key_id, successors[0]]
    (active,) = usable_active_keys(app)
    assert active.id == successors[0] and active.title == "Deploy"
    assert all_rows[0].revoked_at is not None


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


def test_creates_racing_for_an_expired_keys_slot_let_one_through(app: Flask, clock: Clock) -> None:
    with app.app_context():
        service_of(app).create(get_user("admin@example.com"), "Old", clock.now + HOUR)
    clock.advance(hours=1)

    results = run_together(app, [create_job(app, n) for n in range(THREADS)])

    assert sum(isinstance(r, tuple) for r in results) == 1, results
    assert sum(isinstance(r, ActiveKeyExists) for r in results) == THREADS - 1, results
    assert len(usable_active_keys(app)) == 1

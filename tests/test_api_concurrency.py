"""The races of the pages, through the management API of a real server.

Twenty creates leave one key and nineteen ``active_key_exists``; a roll racing
revokes of the same key leaves at most one active key and never a 500. Like
the page versions they need a server database with row locks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask

from flask_secret_keys import crypto
from tests.helpers import (
    API,
    THREADS,
    assert_rows_consistent,
    csrf_token_in,
    key_rows,
    log_in_over_http,
    needs_row_locks,
    run_together,
    usable_active_keys,
)

pytestmark = [pytest.mark.concurrency, needs_row_locks]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A pool with a connection for every thread, so none waits for another's."""
    return {
        **app_config,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0},
    }


def api_session(live_server: str) -> requests.Session:
    """admin@example.com signed in over HTTP, with the CSRF token on every request."""
    browser = log_in_over_http(live_server)
    page = browser.get(f"{live_server}/settings/secret-api-keys/new", timeout=10).text
    browser.headers["X-CSRFToken"] = csrf_token_in(page)
    return browser


def test_twenty_concurrent_creates_answer_one_key_and_explain_the_rest(
    app: Flask, live_server: str
) -> None:
    browser = api_session(live_server)

    def post(n: int) -> Callable[[], requests.Response]:
        return lambda: browser.post(f"{live_server}{API}", json={"title": f"Key {n}"}, timeout=30)

    responses = run_together(app, [post(n) for n in range(THREADS)])

    assert sorted(r.status_code for r in responses) == [201] + [409] * (THREADS - 1)
    (created,) = [r.json()["secret_key"]["id"] for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"] == "active_key_exists"
            assert response.json()["active_key_id"] == created
            assert not re.search(crypto.token_pattern(), response.text)
    assert [key.id for key in key_rows(app)] == [created]
    assert_rows_consistent(app)


@pytest.mark.parametrize("round_", range(3))
def test_a_roll_racing_revokes_leaves_at_most_one_active_key(
    app: Flask, live_server: str, round_: int
) -> None:
    browser = api_session(live_server)
    key_id = browser.post(f"{live_server}{API}", json={"title": "Deploy"}, timeout=10).json()[
        "secret_key"
    ]["id"]
    url = f"{live_server}{API}/{key_id}"

    def roll() -> requests.Response:
        return browser.post(f"{url}/roll", json={"grace": 3600}, timeout=30)

    def revoke() -> requests.Response:
        return browser.post(f"{url}/revoke", timeout=30)

    responses = run_together(app, [roll] + [revoke] * 4)

    rolled, revokes = responses[0], responses[1:]
    assert rolled.status_code in (201, 409), rolled.text
    if rolled.status_code == 409:
        assert rolled.json()["error"] == "not_rollable"
    assert all(r.status_code in (200, 409) for r in revokes), [r.text for r in revokes]
    assert any(r.status_code == 200 for r in revokes)
    assert all(r.json()["error"] == "already_revoked" for r in revokes if r.status_code == 409)
    active = usable_active_keys(app)
    assert [key.id for key in active] == (
        [rolled.json()["secret_key"]["id"]] if rolled.status_code == 201 else []
    )
    assert_rows_consistent(app)

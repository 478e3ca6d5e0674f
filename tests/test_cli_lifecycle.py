"""The lifecycle commands: create --expires-in, roll, revoke --in, expiring, list."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flask import Flask

from flask_secret_keys import crypto
from tests.helpers import Clock, run_cli


def works(app: Flask, token: str) -> bool:
    response = app.test_client().get("/admin/api/me", headers={"X-Api-Key": token})
    return response.status_code == 200


def rows(app: Flask) -> list[str]:
    return run_cli(app, "list", "--user", "admin@example.com")[1].splitlines()[1:]


def create(app: Flask, *args: str) -> str:
    code, out, err = run_cli(app, "create", "--user", "admin@example.com", "--title", "CI", *args)
    assert code == 0, err
    return out.splitlines()[-1]


def test_create_with_an_expiry(app: Flask, clock: Clock) -> None:
    token = create(app, "--expires-in", "30d")
    expiry = (clock.now + dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S UTC")

    assert expiry in rows(app)[0]
    clock.advance(days=30)
    assert not works(app, token)
    assert "expired" in rows(app)[0]


def test_create_never_expires_and_list_says_so(app: Flask) -> None:
    create(app, "--expires-in", "never")
    (row,) = rows(app)
    assert "active" in row and "never" in row


def test_roll_prints_the_successor_alone_on_the_last_line(app: Flask, clock: Clock) -> None:
    old = create(app)

    code, out, err = run_cli(app, "roll", "1", "--grace", "24h")

    assert code == 0, err
    new = out.splitlines()[-1]
    assert crypto.is_well_formed(new) and new != old
    assert "will not be shown again" in err
    assert works(app, old) and works(app, new)
    assert "revoking" in rows(app)[1]
    clock.advance(hours=24)
    assert not works(app, old) and works(app, new)


def test_revoke_in_schedules_the_revocation(app: Flask, clock: Clock) -> None:
    token = create(app)

    code, out, _err = run_cli(app, "revoke", "1", "--in", "15m")

    assert code == 0 and "will be revoked at" in out
    assert works(app, token)
    clock.advance(minutes=15)
    assert not works(app, token)


def test_expiring_lists_keys_with_their_owners(app: Flask, clock: Clock) -> None:
    create(app, "--expires-in", "5d")
    run_cli(app, "create", "--user", "ops@example.com", "--title", "Ops", "--expires-in", "60d")

    code, out, _err = run_cli(app, "expiring", "--within", "7d")
    assert code == 0
    (header, row) = out.splitlines()
    assert "OWNER" in header
    assert "Ada Admin" in row and "expires" in row and "CI" in row

    run_cli(app, "revoke", "2", "--in", "1h")
    lines = run_cli(app, "expiring", "--within", "2h")[1].splitlines()
    assert len(lines) == 2 and "Otto Ops" in lines[1] and "revokes" in lines[1]
    assert "No secret API keys" in run_cli(app, "expiring", "--within", "90s")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["create", "--user", "admin@example.com", "--title", "X", "--expires-in", "-5m"],
            "not a duration",
        ),
        (
            ["create", "--user", "admin@example.com", "--title", "X", "--expires-in", "abc"],
            "not a duration",
        ),
        (
            ["create", "--user", "admin@example.com", "--title", "X", "--expires-in", "99999d"],
            "too long",
        ),
        (
            ["create", "--user", "admin@example.com", "--title", "X", "--expires-in", "0s"],
            "in the future",
        ),
        (["roll", "1", "--grace", "8d"], "at most 7 days"),
        (["roll", "1", "--grace", "abc"], "not a duration"),
        (["roll", "42"], "No such secret API key"),
        (["revoke", "1", "--in", "-5m"], "not a duration"),
        (["revoke", "1", "--in", "30d"], "at most 7 days"),
        (["expiring", "--within", "soon"], "not a duration"),
    ],
)
def test_bad_input_is_a_one_line_error_that_changes_nothing(
    app: Flask, args: list[str], message: str
) -> None:
    token = create(app)
    before = rows(app)

    code, out, err = run_cli(app, *args)

    assert code in (1, 2)
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err and out == ""
    assert rows(app) == before
    assert works(app, token)


@pytest.mark.parametrize("state", ["revoked", "scheduled", "expired"])
def test_rolling_a_key_that_is_not_active_is_refused(app: Flask, clock: Clock, state: str) -> None:
    if state == "expired":
        create(app, "--expires-in", "1h")
        clock.advance(hours=1)
    else:
        create(app)
        run_cli(app, "revoke", "1", *(["--in", "1h"] if state == "scheduled" else []))
    before = rows(app)

    code, out, err = run_cli(app, "roll", "1")

    assert code == 1 and out == ""
    assert "Only an active secret API key can be rolled" in err
    assert rows(app) == before


def test_expiring_json_gives_each_key_its_end(app: Flask, clock: Clock) -> None:
    create(app, "--expires-in", "5d")
    run_cli(app, "create", "--user", "ops@example.com", "--title", "Ops", "--expires-in", "60d")
    run_cli(app, "revoke", "2", "--in", "1h")

    code, out, _err = run_cli(app, "expiring", "--within", "7d", "--json")

    assert code == 0
    records = json.loads(out)
    assert [(r["id"], r["owner"], r["ends"]) for r in records] == [
        (2, "Otto Ops", "revokes"),
        (1, "Ada Admin", "expires"),
    ]
    assert dt.datetime.fromisoformat(records[0]["ends_at"]) == clock.now + dt.timedelta(hours=1)
    assert records[1]["ends_at"] == records[1]["expires_at"]
    assert json.loads(run_cli(app, "expiring", "--within", "90s", "--json")[1]) == []


@pytest.mark.parametrize(
    ("grace", "said"),
    [
        ("24h", r"the old key works until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"),
        ("0s", "the old key stopped working at once"),
    ],
)
def test_log_of_a_rolled_key_says_when_the_old_key_stops(app: Flask, grace: str, said: str) -> None:
    create(app)
    run_cli(app, "roll", "1", "--grace", grace)

    rolled = run_cli(app, "log", "1")[1].splitlines()[0]

    assert re.search(rf"Rolled: replaced by sk_\S+; {said} by the command line$", rolled), rolled

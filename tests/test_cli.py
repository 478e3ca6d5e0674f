"""The ``flask secret-keys`` command group."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa
from flask import Flask

from example_app.extensions import secret_keys
from example_app.models import db
from flask_secret_keys import Actor, KeyService, crypto, models
from tests.helpers import Clock, csrf_token, get_user, log_in, run_cli

BASE = "/settings/secret-api-keys"


def test_create_prints_the_key_alone_on_the_last_line(app: Flask) -> None:
    code, out, err = run_cli(app, "create", "--user", "admin@example.com", "--title", "CI")
    assert code == 0, err
    token = out.splitlines()[-1]
    assert crypto.is_well_formed(token)
    assert "will not be shown again" in err
    response = app.test_client().get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json == {"id": 1, "email": "admin@example.com"}


def test_create_refuses_unknown_users_non_admins_and_a_second_key(app: Flask) -> None:
    code, _out, err = run_cli(app, "create", "--user", "nobody@example.com", "--title", "X")
    assert code == 1 and "No user 'nobody@example.com'" in err
    code, out, err = run_cli(app, "create", "--user", "viewer@example.com", "--title", "X")
    assert code == 1 and "Only admin users" in err and out == ""
    assert run_cli(app, "create", "--user", "ops@example.com", "--title", "X")[0] == 0
    code, out, err = run_cli(app, "create", "--user", "ops@example.com", "--title", "Y")
    assert code == 1 and out == ""
    assert err.strip() == "Error: Otto Ops already has an active key (1) — revoke it or roll it."


def test_list_shows_redacted_keys_only(app: Flask) -> None:
    assert "has no secret API keys" in run_cli(app, "list", "--user", "admin@example.com")[1]
    token = run_cli(app, "create", "--user", "admin@example.com", "--title", "Deploy")[1].split()[
        -1
    ]
    code, out, _err = run_cli(app, "list", "--user", "admin@example.com")
    assert code == 0
    assert crypto.redact(token) in out and "Deploy" in out and "active" in out
    assert token not in out


def test_revoke_then_delete(app: Flask) -> None:
    token = run_cli(app, "create", "--user", "admin@example.com", "--title", "K")[1].split()[-1]
    client = app.test_client()
    assert client.get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 200

    code, _out, err = run_cli(app, "delete", "1")
    assert code == 1 and "Revoke this secret API key before deleting it" in err

    code, out, _err = run_cli(app, "revoke", "1")
    assert code == 0 and "Revoked secret API key 1" in out
    assert client.get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 401

    code, _out, err = run_cli(app, "revoke", "1")
    assert code == 1 and "already revoked" in err

    code, out, _err = run_cli(app, "delete", "1")
    assert code == 0 and "Deleted secret API key 1" in out
    assert "has no secret API keys" in run_cli(app, "list", "--user", "admin@example.com")[1]


# Oversight: every user's keys


def make_key(app: Flask, email: str, title: str, *, revoked: bool = False) -> tuple[int, str]:
    with app.app_context():
        service = secret_keys.service
        key, token = service.create(get_user(email), title)
        if revoked:
            service.revoke(key)
        return int(key.id), token


def test_list_all_shows_every_key_with_its_owner(app: Flask) -> None:
    make_key(app, "admin@example.com", "Admin deploy")
    make_key(app, "ops@example.com", "Ops deploy")

    code, out, _err = run_cli(app, "list", "--all")

    assert code == 0
    assert "Ada Admin / Admin deploy" in out and "Otto Ops / Ops deploy" in out
    assert "sk_" in out


def test_list_json_has_the_documented_fields(app: Flask) -> None:
    make_key(app, "ops@example.com", "Old", revoked=True)
    _key_id, token = make_key(app, "ops@example.com", "Ops deploy")
    app.test_client().get(
        "/admin/api/me",
        headers={"X-Api-Key": token, "User-Agent": "curl/8.5"},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )

    for args in (["--all"], ["--user", "ops@example.com"]):
        code, out, _err = run_cli(app, "list", *args, "--json")
        assert code == 0
        records = json.loads(out)
        assert [r["title"] for r in records] == (
            ["Old", "Ops deploy"] if args == ["--all"] else ["Ops deploy", "Old"]
        )
        current = next(r for r in records if r["title"] == "Ops deploy")
        assert {
            "id",
            "title",
            "status",
            "redacted",
            "owner",
            "created_at",
            "last_used_at",
            "last_used_ip",
            "revoked_at",
        } <= set(current)
        assert current["owner"] == "Otto Ops" and current["status"] == "active"
        assert current["last_used_ip"] == "192.0.2.10"
        assert current["last_used_user_agent"] == "curl/8.5"
        assert current["revoked_at"] is None and current["last_used_at"].endswith("+00:00")
        assert token not in out


@pytest.mark.parametrize(
    "args", [["list"], ["list", "--all", "--user", "ops@example.com"]], ids=["neither", "both"]
)
def test_list_needs_either_a_user_or_all(app: Flask, args: list[str]) -> None:
    code, _out, err = run_cli(app, *args)
    assert code == 2 and "Give either --user EMAIL or --all." in err


def test_revoke_user_all_revokes_every_active_key(app: Flask) -> None:
    _key_id, token = make_key(app, "ops@example.com", "Ops deploy")
    _admin_id, admin_token = make_key(app, "admin@example.com", "Admin's")

    code, out, _err = run_cli(
        app, "revoke", "--user", "ops@example.com", "--all", "--actor", "Grace"
    )

    assert code == 0
    assert out.splitlines()[-1] == "Revoked 1 active secret API key of ops@example.com."
    api = app.test_client()
    assert api.get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 401
    assert api.get("/admin/api/me", headers={"X-Api-Key": admin_token}).status_code == 200
    assert json.loads(run_cli(app, "log", "1", "--json")[1])[0]["actor"] == "Grace"
    assert run_cli(app, "revoke", "--user", "ops@example.com", "--all")[1].strip() == (
        "Revoked 0 active secret API keys of ops@example.com."
    )


@pytest.mark.parametrize(
    "args",
    [
        ["revoke"],
        ["revoke", "--user", "ops@example.com"],
        ["revoke", "--all"],
        ["revoke", "1", "--user", "ops@example.com", "--all"],
    ],
)
def test_revoke_needs_a_key_id_or_a_user_and_all(app: Flask, args: list[str]) -> None:
    make_key(app, "ops@example.com", "Ops deploy")
    code, _out, err = run_cli(app, *args)
    assert code == 2 and "Give either a KEY_ID, or --user EMAIL --all." in err
    with app.app_context():
        assert secret_keys.service.active_key(get_user("ops@example.com"))


def test_revoke_all_of_an_unknown_user_is_an_error(app: Flask) -> None:
    code, _out, err = run_cli(app, "revoke", "--user", "nobody@example.com", "--all")
    assert code == 1 and "No user 'nobody@example.com'" in err


# The events of a key: flask secret-keys log


def test_log_prints_a_keys_events_newest_first(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    client.environ_base.update(
        {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Mozilla/5.0 (Test) Browser/1.0"}
    )
    for path, title in (("/new", "CI"), ("/1/edit", "CI deploy")):
        client.post(BASE + path, data={"csrf_token": csrf_token(client, BASE), "title": title})
    assert run_cli(app, "revoke", "1", "--actor", "Grace")[0] == 0

    code, out, _err = run_cli(app, "log", "1")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[0].endswith("Revoked by Grace on the command line")
    assert lines[1].endswith("Renamed from 'CI' to 'CI deploy' by Ada Admin from 203.0.113.7")
    assert lines[2].endswith("Created as 'CI' by Ada Admin from 203.0.113.7")
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  ", lines[0])

    code, out, _err = run_cli(app, "log", "1", "--json")
    records = json.loads(out)
    assert [r["event"] for r in records] == ["revoked", "renamed", "created"]
    assert [r["actor"] for r in records] == ["Grace", "Ada Admin", "Ada Admin"]
    assert records[1]["old_title"] == "CI" and records[1]["new_title"] == "CI deploy"
    assert records[1]["ip"] == "203.0.113.7"
    assert records[1]["user_agent"] == "Mozilla/5.0 (Test) Browser/1.0"
    assert records[0]["ip"] is None and records[0]["user_agent"] is None
    for record in records:
        at = dt.datetime.fromisoformat(record["at"])
        assert at.utcoffset() == dt.timedelta(0)


def test_log_of_a_deleted_key_still_prints_its_events(app: Flask) -> None:
    run_cli(app, "create", "--user", "admin@example.com", "--title", "CI")
    assert run_cli(app, "revoke", "1")[0] == 0
    assert run_cli(app, "delete", "1")[0] == 0

    code, out, err = run_cli(app, "log", "1", "--json")

    assert code == 0, err
    assert [r["event"] for r in json.loads(out)] == ["deleted", "revoked", "created"]


def test_log_records_a_revocation_whose_time_has_come(app: Flask, clock: Clock) -> None:
    run_cli(app, "create", "--user", "admin@example.com", "--title", "CI")
    assert run_cli(app, "revoke", "1", "--in", "15m")[0] == 0
    due = (clock.now + dt.timedelta(minutes=15)).astimezone(dt.timezone.utc)
    clock.advance(minutes=16)

    code, out, _err = run_cli(app, "log", "1", "--json")
    text = run_cli(app, "log", "1")[1]

    assert code == 0
    records = json.loads(out)
    assert [r["event"] for r in records] == ["revoked", "revocation_scheduled", "created"]
    assert records[0]["actor"] == "system"
    assert f"Revocation scheduled for {due.day} {due:%b %Y, %H:%M} UTC" in text


def test_log_of_an_unknown_key_is_an_error(app: Flask) -> None:
    code, out, err = run_cli(app, "log", "42")
    assert code == 1 and out == "" and "No such secret API key" in err
    code, out, err = run_cli(app, "log", "42", "--json")
    assert code == 1 and out == ""
    # Ids no key can have (beyond any database's integers too) are unknown keys as well.
    for key_id in ("0", str(2**64)):
        code, out, err = run_cli(app, "log", key_id)
        assert code == 1 and out == "" and "No such secret API key" in err


def test_log_of_a_key_without_events_says_so(app: Flask, service: KeyService) -> None:
    with app.app_context():
        key, _ = service.create(get_user("ops@example.com"), "Before the audit trail")
        Event = secret_keys.Event
        db.session.execute(sa.delete(Event))
        db.session.commit()
        key_id = key.id

    assert run_cli(app, "log", str(key_id))[1].strip() == (
        f"No events recorded for secret API key {key_id}."
    )
    assert json.loads(run_cli(app, "log", str(key_id), "--json")[1]) == []


# Crafted input: a one-line error, never a traceback


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["revoke", "99999999999999999999"], 1, "No such secret API key."),
        (["delete", "99999999999999999999"], 1, "No such secret API key."),
        (["revoke", "2147483648"], 1, "No such secret API key."),
        (["revoke", "0"], 1, "No such secret API key."),
        (["revoke", "-1"], 2, "No such option"),
        (["revoke", "abc"], 2, "is not a valid integer"),
        (["create", "--user", "ad\x00min@example.com", "--title", "T"], 1, "Error: "),
        (["list", "--user", "ad\x00min@example.com"], 1, "Error: "),
        (["create", "--user", "admin@example.com", "--title", "a\u202eb"], 1, "text-direction"),
    ],
    ids=[
        "revoke-huge",
        "delete-huge",
        "revoke-int32",
        "revoke-zero",
        "revoke-negative",
        "revoke-text",
        "create-nul-user",
        "list-nul-user",
        "create-bidi-title",
    ],
)
def test_crafted_cli_input_is_a_one_line_error(
    app: Flask, args: list[str], code: int, message: str
) -> None:
    exit_code, out, err = run_cli(app, *args)
    output = out + err

    assert exit_code == code
    assert message in output
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if line.startswith("Error")] != []


def test_display_names_are_printed_without_what_a_terminal_would_act_on(app: Flask) -> None:
    """A name could otherwise forge a line of the log, or clear and recolour the terminal."""
    forged = "Ada\n2026-01-01 00:00:00 UTC  Revoked by \x1b[2Jroot\u202e"
    with app.app_context():
        admin = get_user("admin@example.com")
        admin.name = forged
        db.session.commit()
        expires = models.utcnow() + dt.timedelta(days=1)
        secret_keys.service.create(admin, "CI", expires_at=expires, actor=Actor.for_user(admin))

    log = run_cli(app, "log", "1")[1]
    every = run_cli(app, "list", "--all")[1]
    expiring = run_cli(app, "expiring", "--within", "2d")[1]

    shown = "Ada\\n2026-01-01 00:00:00 UTC  Revoked by \\x1b[2Jroot\\u202e"
    for out, lines in ((log, 1), (every, 2), (expiring, 2)):
        assert shown in out
        assert "\x1b" not in out and "\u202e" not in out
        assert len(out.splitlines()) == lines


def test_list_json_gives_the_expiry(app: Flask) -> None:
    run_cli(app, "create", "--user", "ops@example.com", "--title", "T", "--expires-in", "30d")
    run_cli(app, "create", "--user", "admin@example.com", "--title", "T", "--expires-in", "never")

    records = json.loads(run_cli(app, "list", "--all", "--json")[1])

    expires = dt.datetime.fromisoformat(records[0]["expires_at"])
    assert expires.utcoffset() == dt.timedelta(0)
    assert dt.timedelta(days=29) < expires - models.utcnow() <= dt.timedelta(days=30)
    assert records[1]["expires_at"] is None


def test_revoke_all_tells_scheduled_revocations_from_active_keys(app: Flask) -> None:
    run_cli(app, "create", "--user", "ops@example.com", "--title", "Old")
    run_cli(app, "revoke", "1", "--in", "1h")
    run_cli(app, "create", "--user", "ops@example.com", "--title", "New")

    code, out, _err = run_cli(app, "revoke", "--user", "ops@example.com", "--all")

    lines = out.splitlines()
    assert code == 0
    assert re.fullmatch(
        r"Revoked secret API key 1 \(sk_\S+\), which was scheduled for revocation at"
        r" \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.",
        lines[0],
    )
    assert re.fullmatch(r"Revoked secret API key 2 \(sk_\S+\)\.", lines[1])
    assert lines[2] == (
        "Revoked 2 secret API keys of ops@example.com: 1 active, 1 scheduled for revocation."
    )

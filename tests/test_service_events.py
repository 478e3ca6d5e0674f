"""The audit trail: every change to a key is an event, committed with the change.

Each action is checked from each place it can be made (the pages, the command
line, the service) with the actor it must record, on the database of
``TEST_DATABASE_URL`` when set.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import orm

from example_app.extensions import secret_keys
from example_app.models import User, db
from flask_secret_keys import KeyService, SecretKeys
from flask_secret_keys.service import Actor
from tests.helpers import BASE, get_user, new_db, post, run_cli, service_of, settings_of


def events(app: Flask, key_id: int) -> list[Any]:
    """The key's events, oldest first, read afresh."""
    with app.app_context():
        Event = secret_keys.Event
        return list(
            db.session.execute(
                sa.select(Event).where(Event.key_id == key_id).order_by(Event.id)
            ).scalars()
        )


WEB_CLIENT = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Mozilla/5.0 (Test) Browser/1.0"}


# From the pages: the signed-in user, with the client's address and user agent


def test_pages_record_each_change_with_the_user_and_client(
    app: Flask, admin_client: FlaskClient
) -> None:
    admin_client.environ_base.update(WEB_CLIENT)
    created = post(admin_client, f"{BASE}/new", {"title": "CI"})
    assert created.status_code == 200
    post(admin_client, f"{BASE}/1/edit", {"title": "CI deploy"})
    post(admin_client, f"{BASE}/1/revoke")
    post(admin_client, f"{BASE}/1/delete")

    recorded = events(app, 1)
    assert [e.event for e in recorded] == ["created", "renamed", "revoked", "deleted"]
    for event in recorded:
        assert (event.actor_kind, event.actor_id, event.actor_name) == ("user", 1, "Ada Admin")
        assert event.ip == "203.0.113.7"
        assert event.user_agent == "Mozilla/5.0 (Test) Browser/1.0"
        assert event.key_redacted.startswith("sk_")
    assert recorded[1].details == {"old_title": "CI", "new_title": "CI deploy"}
    assert [e.key_title for e in recorded] == ["CI", "CI deploy", "CI deploy", "CI deploy"]


def test_saving_the_same_title_records_nothing(app: Flask, admin_client: FlaskClient) -> None:
    post(admin_client, f"{BASE}/new", {"title": "CI"})
    post(admin_client, f"{BASE}/1/edit", {"title": "CI"})

    assert [e.event for e in events(app, 1)] == ["created"]


def test_a_long_user_agent_is_cut_to_the_column(app: Flask, admin_client: FlaskClient) -> None:
    admin_client.environ_base["HTTP_USER_AGENT"] = "x" * 1000
    post(admin_client, f"{BASE}/new", {"title": "CI"})

    (event,) = events(app, 1)
    assert event.user_agent == "x" * 255


# From the command line: "command line", or the operator named with --actor


@pytest.mark.parametrize(
    ("options", "actor", "name"),
    [
        ([], "command line", None),
        (["--actor", "Grace (on call)"], "Grace (on call)", "Grace (on call)"),
    ],
    ids=["default", "--actor"],
)
def test_command_line_records_its_actor(
    app: Flask, options: list[str], actor: str, name: str | None
) -> None:
    assert run_cli(app, "create", "--user", "ops@example.com", "--title", "CI", *options)[0] == 0
    assert run_cli(app, "revoke", "1", *options)[0] == 0
    assert run_cli(app, "delete", "1", *options)[0] == 0

    recorded = events(app, 1)
    assert [e.event for e in recorded] == ["created", "revoked", "deleted"]
    for event in recorded:
        assert (event.actor_kind, event.actor_id, event.actor_name) == ("command_line", None, name)
        assert event.actor == actor
        assert event.ip is None and event.user_agent is None


@pytest.mark.parametrize(
    "name", ["evil\x1b[31m", "two\nlines", "nul\x00", "bidi\u202eswap", "tab\there", " ", "x" * 101]
)
def test_actor_with_control_characters_or_blank_is_refused(app: Flask, name: str) -> None:
    code, out, err = run_cli(
        app, "create", "--user", "ops@example.com", "--title", "CI", "--actor", name
    )

    assert code == 2 and out == ""
    assert "--actor" in err
    with app.app_context():
        assert (
            db.session.execute(sa.select(sa.func.count()).select_from(secret_keys.Key)).scalar()
            == 0
        )


# From the service: the system, unless told otherwise


def test_service_calls_without_an_actor_record_the_system(
    app: Flask, service: KeyService, admin: User
) -> None:
    key, _token = service.create(admin, "Made by a script")
    service.rename(key, "Renamed by a script")
    service.revoke(key)
    key_id = key.id

    recorded = events(app, key_id)
    assert [(e.event, e.actor_kind, e.actor) for e in recorded] == [
        ("created", "system", "system"),
        ("renamed", "system", "system"),
        ("revoked", "system", "system"),
    ]


def test_revoke_all_records_one_event_per_key(
    app: Flask, service: KeyService, admin: User, ops: User
) -> None:
    first, _ = service.create(ops, "First")
    service.revoke(first)
    second, _ = service.create(ops, "Second")
    service.create(admin, "Not ops'")

    revoked = service.revoke_all(ops, actor=Actor.for_user(admin, ip="198.51.100.1"))

    assert [key.id for key in revoked] == [second.id]
    assert [(e.event, e.actor_name, e.ip) for e in events(app, second.id)] == [
        ("created", None, None),
        ("revoked", "Ada Admin", "198.51.100.1"),
    ]
    assert [e.event for e in events(app, first.id)] == ["created", "revoked"]
    assert service.revoke_all(ops, actor=Actor.for_user(admin)) == []


def test_unknown_event_kinds_are_refused(service: KeyService, admin: User) -> None:
    key, _ = service.create(admin, "K")
    with pytest.raises(ValueError, match="Unknown key event 'exploded'"):
        service.record_event(key, "exploded")


def _people(user_name: Any = None) -> tuple[type[Any], SecretKeys]:
    """A user model with a name and an email, on a db of its own, and its extension."""

    people_db = new_db()

    class Person(people_db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "named_people"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        email: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
        name: orm.Mapped[str | None] = orm.mapped_column(sa.String(100))
        is_admin: orm.Mapped[bool] = orm.mapped_column(default=True)

    return Person, SecretKeys(db=people_db, user_model=Person, user_name=user_name)


_Person, _default_naming = _people()
_OtherPerson, _custom_naming = _people(lambda person: f"{person.name} <{person.email}>")


@pytest.mark.parametrize(
    ("name", "email", "shown"),
    [
        ("Ada", "ada@example.com", "Ada"),
        (None, "ada@example.com", "ada@example.com"),
        (None, None, "7"),
    ],
)
def test_users_are_named_by_name_then_email_then_id(
    name: str | None, email: str | None, shown: str
) -> None:
    assert _default_naming.user_name(_Person(id=7, name=name, email=email)) == shown


def test_user_name_option_names_users(app: Flask) -> None:
    person = _OtherPerson(id=7, name="Ada", email="ada@example.com")
    assert _custom_naming.user_name(person) == "Ada <ada@example.com>"


# Events outlive what they are about


def test_events_outlive_their_key_and_its_actor(
    app: Flask, service: KeyService, admin: User, ops: User
) -> None:
    key, _ = service.create(ops, "CI", actor=Actor.for_user(ops))
    service.revoke(key, actor=Actor.for_user(admin))
    service.delete(key, actor=Actor.for_user(admin))
    key_id = key.id
    if db.engine.dialect.name == "sqlite":
        # SQLite applies ON DELETE only with foreign keys on, per connection.
        db.session.connection().exec_driver_sql("PRAGMA foreign_keys = ON")
    db.session.delete(db.session.get(User, admin.id))
    db.session.commit()

    recorded = events(app, key_id)
    assert [e.event for e in recorded] == ["created", "revoked", "deleted"]
    # The acting user is gone: the id is cleared, the name stays.
    assert [(e.actor_id, e.actor_name) for e in recorded[1:]] == [(None, "Ada Admin")] * 2
    assert all(e.key_title == "CI" and e.key_redacted == key.redacted for e in recorded)


def test_a_deleted_keys_id_and_history_never_pass_to_a_new_key(
    app: Flask, service: KeyService, admin: User
) -> None:
    old, _ = service.create(admin, "Old", actor=Actor.for_user(admin))
    old_id = old.id
    service.revoke(old, actor=Actor.for_user(admin))
    service.delete(old, actor=Actor.for_user(admin))

    new, _ = service.create(admin, "New", actor=Actor.for_user(admin))

    assert new.id > old_id
    assert [e.event for e in events(app, new.id)] == ["created"]


def test_events_hold_no_key_and_no_hash(app: Flask, service: KeyService, admin: User) -> None:
    key, token = service.create(admin, "CI")
    service.rename(key, "CI deploy")
    service.revoke(key, actor=Actor.for_user(admin))
    with app.app_context():
        table = secret_keys.Event.__table__  # type: ignore[attr-defined]
        stored = " ".join(str(v) for row in db.session.execute(sa.select(table)) for v in row)
    assert token not in stored and token[3:46] not in stored
    assert key.token_hash not in stored


# An action and its event commit together or not at all


@contextlib.contextmanager
def event_inserts_fail(app: Flask) -> Iterator[None]:
    """Every INSERT into the event table fails, as on a full disk, while in the block."""
    with app.app_context():
        engine = db.engine
    table = secret_keys.Event.__tablename__  # type: ignore[attr-defined]

    def fail_event_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            raise sa.exc.OperationalError(statement, {}, Exception("disk I/O error"))

    sa.event.listen(engine, "before_cursor_execute", fail_event_insert)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_event_insert)


def test_a_failed_event_write_loses_the_action_too(
    app: Flask, admin_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    post(admin_client, f"{BASE}/new", {"title": "CI"})
    with event_inserts_fail(app), caplog.at_level(logging.ERROR):
        renamed = post(admin_client, f"{BASE}/1/edit", {"title": "Never saved"})
        revoked = post(admin_client, f"{BASE}/1/revoke")

    assert renamed.status_code == revoked.status_code == 503
    with app.app_context():
        key = service_of(app).key_by_id(1)
        assert key.title == "CI" and key.is_active
    assert [e.event for e in events(app, 1)] == ["created"]


def test_a_create_whose_event_fails_leaves_no_key(app: Flask, service: KeyService) -> None:
    with event_inserts_fail(app), app.app_context(), pytest.raises(sa.exc.OperationalError):
        service.create(get_user("admin@example.com"), "CI")

    with app.app_context():
        assert service.keys_of(get_user("admin@example.com")) == []


# Retention


def age_events(app: Flask, days: int) -> None:
    with app.app_context():
        Event = secret_keys.Event
        past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
        db.session.execute(sa.update(Event).values(at=past))
        db.session.commit()


def test_events_older_than_the_retention_are_hidden_and_pruned(make_app: Any) -> None:
    app = make_app(SECRET_KEYS_EVENT_RETENTION=30)
    assert run_cli(app, "create", "--user", "ops@example.com", "--title", "Old")[0] == 0
    age_events(app, 31)
    assert run_cli(app, "revoke", "1")[0] == 0

    assert [e["event"] for e in json.loads(run_cli(app, "log", "1", "--json")[1])] == ["revoked"]
    code, out, _err = run_cli(app, "prune-events")
    assert code == 0 and out.strip() == "Deleted 1 key event."
    assert [e.event for e in events(app, 1)] == ["revoked"]


def test_a_new_key_prunes_old_events_once_in_a_while(make_app: Any) -> None:
    app = make_app(SECRET_KEYS_EVENT_RETENTION=30)
    assert run_cli(app, "create", "--user", "ops@example.com", "--title", "Old")[0] == 0
    assert run_cli(app, "revoke", "1")[0] == 0
    age_events(app, 31)
    service = service_of(app)
    service.events._next_prune = 0.0

    assert run_cli(app, "create", "--user", "ops@example.com", "--title", "New")[0] == 0

    assert events(app, 1) == []
    assert [e.event for e in events(app, 2)] == ["created"]


def test_without_retention_events_are_kept_for_good(make_app: Any) -> None:
    app = make_app(SECRET_KEYS_EVENT_RETENTION=None)
    assert run_cli(app, "create", "--user", "ops@example.com", "--title", "Old")[0] == 0
    age_events(app, 5000)

    assert run_cli(app, "prune-events")[1].strip() == (
        "SECRET_KEYS_EVENT_RETENTION is None: events are kept for good."
    )
    assert run_cli(app, "housekeeping") == (0, "0 revocations recorded.\n", "")
    with app.app_context():
        assert service_of(app).prune_events() == 0
    assert len(json.loads(run_cli(app, "log", "1", "--json")[1])) == 1


@pytest.mark.parametrize("value", [0, -1, "a year", True])
def test_a_bad_retention_fails_at_init_app(make_app: Any, value: Any) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEYS_EVENT_RETENTION must be a number of days"):
        make_app(SECRET_KEYS_EVENT_RETENTION=value)


def test_retention_accepts_a_timedelta(make_app: Any) -> None:
    app = make_app(SECRET_KEYS_EVENT_RETENTION=dt.timedelta(hours=12))
    assert settings_of(app).event_retention == dt.timedelta(hours=12)


def test_a_failed_prune_is_logged_and_does_not_fail_the_new_key(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(SECRET_KEYS_EVENT_RETENTION=30)
    service = service_of(app)
    service.events._next_prune = 0.0
    with app.app_context():
        engine = db.engine
    table = secret_keys.Event.__tablename__  # type: ignore[attr-defined]

    def fail_event_delete(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.upper().split()[:3] == ["DELETE", "FROM", table.upper()]:
            raise sa.exc.OperationalError(statement, {}, Exception("database is locked"))

    sa.event.listen(engine, "before_cursor_execute", fail_event_delete)
    try:
        with app.app_context(), caplog.at_level(logging.WARNING):
            key, token = service.create(get_user("ops@example.com"), "New")
            assert key.title == "New"
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_event_delete)

    assert "Could not delete old secret API key events: OperationalError" in caplog.text
    assert app.test_client().get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 200

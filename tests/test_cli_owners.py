"""``flask secret-keys check-owners``: keys whose owner row is gone or was replaced.

A user row deleted where foreign keys are off (SQLite, another process) leaves
its keys behind, and the next user given the same id owns them. Replacing a
row in place is what that looks like on every database, so most tests do that.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import LoginManager, UserMixin
from sqlalchemy import orm

from example_app.extensions import secret_keys
from example_app.models import User, db
from flask_secret_keys import Actor, SecretKeys, models
from tests.helpers import database_url, get_user, is_server_database, new_db, run_cli
from tests.host import fresh_tables


def key_of(app: Flask, email: str, actor: str = "owner") -> tuple[int, str, str]:
    """A key of the user with ``email``, made by them or on the command line: id, token, hash."""
    with app.app_context():
        user = get_user(email)
        by = Actor.for_user(user) if actor == "owner" else Actor.command_line()
        key, token = secret_keys.service.create(user, "Deploy", actor=by)
        return key.id, token, key.token_hash


def replace_user(app: Flask, user_id: int, name: str, email: str) -> None:
    """Another person in the row of user ``user_id``, as after a delete and an insert."""
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user_id).values(name=name, email=email))
        db.session.commit()


@pytest.mark.parametrize("actor", ["owner", "command line"])
def test_a_key_whose_owner_was_replaced_is_found(app: Flask, actor: str) -> None:
    key_id, token, digest = key_of(app, "ops@example.com", actor)
    key_of(app, "admin@example.com")
    replace_user(app, 2, "Eve Evil", "eve@example.com")

    code, out, err = run_cli(app, "check-owners")

    assert code == 1
    header, row = out.splitlines()
    assert header.split() == ["ID", "OWNER", "TITLE", "PROBLEM"]
    assert row.split()[:4] == [str(key_id), "Eve", "Evil", "Deploy"]
    assert "made for 'Otto Ops'" in row
    assert "1 secret API key may belong to another user" in err
    assert token not in out + err and digest not in out + err


def test_keys_of_their_own_owners_pass(app: Flask) -> None:
    key_of(app, "ops@example.com")
    key_of(app, "admin@example.com", actor="command line")
    with app.app_context():
        get_user("admin@example.com").email = "ada@example.org"
        db.session.commit()

    code, out, _err = run_cli(app, "check-owners")

    assert (code, out.strip()) == (0, "Checked 2 secret API keys: no owner was replaced.")


@pytest.mark.skipif(
    is_server_database(),
    reason="SQLite only: server databases enforce foreign keys on every connection",
)
def test_a_user_deleted_without_foreign_keys_on_sqlite_is_found(app: Flask) -> None:
    """Another process deletes the user without PRAGMA foreign_keys; a new user takes the id."""
    key_id, token, _digest = key_of(app, "ops@example.com")
    path = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    other_process = sqlite3.connect(str(path))
    other_process.execute("DELETE FROM users WHERE id = 2")
    other_process.commit()

    gone = run_cli(app, "check-owners")
    other_process.execute(
        "INSERT INTO users (id, email, name, password_hash, is_admin, active)"
        " VALUES (2, 'eve@example.com', 'Eve Evil', '-', 1, 1)"
    )
    other_process.commit()
    other_process.close()
    signs_in_as = app.test_client().get("/admin/api/me", headers={"X-Api-Key": token}).json
    replaced = run_cli(app, "check-owners")

    assert gone[0] == 1 and "its owner, user 2, is gone" in gone[1]
    assert signs_in_as == {"id": 2, "email": "eve@example.com"}
    assert replaced[0] == 1 and "made for 'Otto Ops'" in replaced[1]
    assert f"{key_id:>6}  Eve Evil" in replaced[1]


def forget_owners(app: Flask) -> None:
    """The ``created`` events as keys made before they named the owner kept them: no details."""
    with app.app_context():
        Event = secret_keys.Event
        db.session.execute(sa.update(Event).where(Event.event == "created").values(detail=None))
        db.session.commit()


def test_keys_from_before_owners_were_recorded_are_judged_by_who_created_them(
    app: Flask,
) -> None:
    """Without the owner in the ``created`` event, a key its owner made names them as creator;
    a key made on the command line, or by another user, tells nothing."""

    def made(email: str, by: Actor | None, revoked: bool) -> int:
        with app.app_context():
            service = secret_keys.service
            owner = get_user(email)
            key, _token = service.create(owner, "Deploy", actor=by or Actor.for_user(owner))
            if revoked:
                service.revoke(key, actor=Actor.command_line())
            return key.id

    with app.app_context():
        ada = Actor.for_user(get_user("admin@example.com"))
    first = made("ops@example.com", None, revoked=True)
    made("ops@example.com", ada, revoked=True)
    third = made("ops@example.com", None, revoked=False)
    made("admin@example.com", None, revoked=True)
    made("admin@example.com", Actor.command_line(), revoked=False)
    forget_owners(app)
    before = run_cli(app, "check-owners")
    replace_user(app, 2, "Eve Evil", "eve@example.com")

    code, out, err = run_cli(app, "check-owners")

    assert before == (0, "Checked 5 secret API keys: no owner was replaced.\n", "")
    assert code == 1
    header, *found = out.splitlines()
    assert header.split() == ["ID", "OWNER", "TITLE", "PROBLEM"]
    assert [row.split()[0] for row in found] == [str(first), str(third)]
    assert all(row.endswith("created by 'Otto Ops', a user who had this id then") for row in found)
    assert "2 secret API keys may belong to another user" in err


# A user model that records when each user was created

host_db = new_db()


class Member(UserMixin, host_db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "dated_members"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    email: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    is_admin: orm.Mapped[bool] = orm.mapped_column(default=True)
    # Naive UTC, as most hosts store it.
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(
        default=lambda: models.utcnow().replace(tzinfo=None)
    )


host_keys = SecretKeys(db=host_db, user_model=Member, table_name="dated_member_keys")


@pytest.fixture
def dated_host(tmp_path: Any) -> Iterator[Flask]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="dated", SQLALCHEMY_DATABASE_URI=database_url(tmp_path))
    host_db.init_app(app)
    LoginManager(app)
    host_keys.init_app(app)
    with fresh_tables(app, host_db):
        with app.app_context():
            host_db.session.add(Member(id=1, email="ada@example.com"))
            host_db.session.commit()
        yield app


def test_a_key_older_than_its_owner_is_found(dated_host: Flask) -> None:
    """A key made on the command line records no owner: the user's creation time tells."""
    assert run_cli(dated_host, "create", "--user", "ada@example.com", "--title", "CI")[0] == 0
    assert run_cli(dated_host, "check-owners")[0] == 0
    with dated_host.app_context():
        member = host_db.session.get(Member, 1)
        assert member is not None
        member.created_at = models.utcnow().replace(tzinfo=None) + dt.timedelta(hours=1)
        host_db.session.commit()

    code, out, _err = run_cli(dated_host, "check-owners")

    assert code == 1
    assert "before its owner" in out.splitlines()[1]

"""Mounting mistakes and Admin API errors: what a host sees when something goes wrong.

Each test builds its own small host (its own ``db``, user model, Flask-Login,
``CSRFProtect`` and an Admin API), as an app factory would.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm

from flask_secret_keys import SecretKeys


def _db_and_user() -> tuple[SQLAlchemy, type[Any]]:
    class Base(orm.DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=Base)

    class Member(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        email: orm.Mapped[str] = orm.mapped_column(sa.String(100))
        is_admin: orm.Mapped[bool] = orm.mapped_column(default=False)

    return db, Member


# Constructing the extension


def test_constructing_secret_keys_twice_for_one_db_says_to_construct_it_once() -> None:
    db, member = _db_and_user()
    SecretKeys(db=db, user_model=member)

    with pytest.raises(RuntimeError) as error:
        SecretKeys(db=db, user_model=member)

    message = str(error.value)
    assert "construct it once, at import time" in message
    assert "'secret_api_keys'" in message
    assert "table_name" in message
    assert "extend_existing" not in message


def test_a_second_set_of_keys_on_one_db_takes_another_table_name() -> None:
    db, member = _db_and_user()
    first = SecretKeys(db=db, user_model=member)

    second = SecretKeys(db=db, user_model=member, table_name="robot_keys")

    assert first.Key.__table__.name == "secret_api_keys"
    assert second.Key.__table__.name == "robot_keys"
    assert {"robot_keys", "robot_keys_events"} <= set(db.metadata.tables)

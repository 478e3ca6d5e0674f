"""The secret API key table, built on the host's Flask-SQLAlchemy ``db``.

The model is made by :func:`make_key_model` because its foreign keys must point
at the host's user table, whose name and primary key type (integer, UUID …) are
only known when the extension is constructed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import mysql

#: The longest title a key may have, in characters.
TITLE_MAX_LENGTH = 100
#: Length of the stored hex digest.
HASH_LENGTH = 64
#: Length of the display column; redacted forms are far shorter.
REDACTED_MAX_LENGTH = 40


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend.

    Stored as naive UTC (SQLite and MariaDB have no time zones) with
    microseconds, returned as aware UTC.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


class SecretKeyMixin:
    """Typed attributes shared by every generated key model.

    ``active_owner_id`` holds the owner's id while the key is active and NULL
    once it is revoked. A unique constraint on it makes "one active key per
    user" a rule of the database: NULLs never collide on SQLite, PostgreSQL or
    MariaDB, so any number of revoked keys can coexist with one active key.
    """

    id: orm.Mapped[int]
    user_id: orm.Mapped[Any]
    title: orm.Mapped[str]
    redacted: orm.Mapped[str]
    token_hash: orm.Mapped[str]
    created_at: orm.Mapped[dt.datetime]
    updated_at: orm.Mapped[dt.datetime]
    last_used_at: orm.Mapped[dt.datetime | None]
    revoked_at: orm.Mapped[dt.datetime | None]
    revoked_by_id: orm.Mapped[Any | None]
    active_owner_id: orm.Mapped[Any | None]
    owner: Any
    revoked_by: Any

    if TYPE_CHECKING:

        def __init__(self, **kwargs: Any) -> None: ...

    @property
    def is_active(self) -> bool:
        """Whether the key can still authenticate requests."""
        return self.revoked_at is None

    @property
    def status(self) -> str:
        """``"active"`` or ``"revoked"``."""
        return "active" if self.revoked_at is None else "revoked"

    def __repr__(self) -> str:
        return f"<SecretKey {self.id} {self.redacted} {self.status}>"


def make_key_model(db: Any, user_model: type[Any], table_name: str) -> type[SecretKeyMixin]:
    """Declare the key model on ``db.Model`` with foreign keys to ``user_model``."""
    mapper = sa.inspect(user_model)
    if len(mapper.primary_key) != 1:
        raise RuntimeError(
            f"{user_model.__name__} must have a single-column primary key for"
            " flask-secret-keys to reference it."
        )
    user_pk = mapper.primary_key[0]
    user_fk = f"{user_pk.table.name}.{user_pk.name}"
    pk_type = user_pk.type

    user_id = orm.mapped_column(pk_type, sa.ForeignKey(user_fk, ondelete="CASCADE"), nullable=False)
    revoked_by_id = orm.mapped_column(
        pk_type, sa.ForeignKey(user_fk, ondelete="SET NULL"), nullable=True
    )
    attrs: dict[str, Any] = {
        "__tablename__": table_name,
        "__table_args__": (
            sa.UniqueConstraint("token_hash", name=f"uq_{table_name}_token_hash"),
            sa.UniqueConstraint("active_owner_id", name=f"uq_{table_name}_active_owner_id"),
            sa.Index(f"ix_{table_name}_user_id", "user_id"),
            sa.CheckConstraint(
                "(revoked_at IS NULL AND active_owner_id = user_id)"
                " OR (revoked_at IS NOT NULL AND active_owner_id IS NULL)",
                name=f"ck_{table_name}_active_owner",
            ),
            {"mysql_charset": "utf8mb4", "mariadb_charset": "utf8mb4"},
        ),
        "id": orm.mapped_column(sa.Integer, primary_key=True),
        "user_id": user_id,
        "title": orm.mapped_column(sa.String(TITLE_MAX_LENGTH), nullable=False),
        "redacted": orm.mapped_column(sa.String(REDACTED_MAX_LENGTH), nullable=False),
        "token_hash": orm.mapped_column(sa.String(HASH_LENGTH), nullable=False),
        "created_at": orm.mapped_column(UTCDateTime, nullable=False, default=utcnow),
        "updated_at": orm.mapped_column(
            UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
        ),
        "last_used_at": orm.mapped_column(UTCDateTime, nullable=True),
        "revoked_at": orm.mapped_column(UTCDateTime, nullable=True),
        "revoked_by_id": revoked_by_id,
        "active_owner_id": orm.mapped_column(pk_type, nullable=True),
        "owner": orm.relationship(user_model, foreign_keys=[user_id.column]),
        "revoked_by": orm.relationship(user_model, foreign_keys=[revoked_by_id.column]),
    }
    return type("SecretKey", (SecretKeyMixin, db.Model), attrs)

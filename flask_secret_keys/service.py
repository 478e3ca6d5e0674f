"""The rules of secret API keys: create, rename, revoke, delete, authenticate, list.

This layer knows the database but not HTTP; views and the CLI translate to and
from it. Each operation commits its own transaction on the host's
``db.session``, and rules a race could break are also enforced by the database
(see :class:`~flask_secret_keys.models.SecretKeyMixin`).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import sqlalchemy as sa
from flask import Flask, current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError

from . import crypto, signals
from .errors import (
    ActiveKeyExists,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    NotAnAdmin,
)
from .models import TITLE_MAX_LENGTH, SecretKeyMixin, utcnow

Status = Literal["all", "active", "revoked"]
SortField = Literal["title", "created", "last_used", "revoked"]
Direction = Literal["asc", "desc"]

STATUSES: tuple[Status, ...] = ("all", "active", "revoked")
SORT_FIELDS: tuple[SortField, ...] = ("title", "created", "last_used", "revoked")
DIRECTIONS: tuple[Direction, ...] = ("asc", "desc")


@dataclass(frozen=True)
class KeyQuery:
    """What a list of keys is narrowed and ordered by."""

    search: str = ""
    status: Status = "all"
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    sort: SortField = "created"
    direction: Direction = "desc"
    page: int = 1
    per_page: int = 20


def clean_title(title: str | None) -> str:
    """The title trimmed, or :class:`InvalidTitle` saying what is wrong with it."""
    title = (title or "").strip()
    if not title:
        raise InvalidTitle("Enter a title.")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidTitle(f"The title can be at most {TITLE_MAX_LENGTH} characters long.")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in title):
        raise InvalidTitle("The title cannot contain control characters.")
    # Only separators and format characters (a zero-width space, say) would
    # show as a blank title.
    if all(unicodedata.category(char)[0] in "ZC" for char in title):
        raise InvalidTitle("Enter a title.")
    return title


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)


class KeyService:
    """Secret API key operations for one app's settings.

    :param db: the host's Flask-SQLAlchemy object.
    :param model: the key model made by :func:`~flask_secret_keys.models.make_key_model`.
    :param user_id: returns a user's primary key value.
    :param is_admin: the host's admin predicate.
    :param prefix: the token prefix.
    :param pepper: the HMAC key for token hashes, or None for plain SHA-256.
    :param last_used_interval: how stale ``last_used_at`` may get before a use rewrites it.
    """

    def __init__(
        self,
        *,
        db: Any,
        model: type[SecretKeyMixin],
        user_id: Callable[[Any], Any],
        is_admin: Callable[[Any], bool],
        prefix: str,
        pepper: bytes | None,
        last_used_interval: dt.timedelta,
    ) -> None:
        self.db = db
        self.model = model
        self.user_id = user_id
        self.is_admin = is_admin
        self.prefix = prefix
        self.pepper = pepper
        self.last_used_interval = last_used_interval

    # Reading

    def get(self, user: Any, key_id: int) -> SecretKeyMixin:
        """One of ``user``'s keys, or :class:`KeyNotFound` (also for other users' keys)."""
        Key = self.model
        key = self.db.session.execute(
            sa.select(Key).where(Key.id == key_id, Key.user_id == self.user_id(user))
        ).scalar_one_or_none()
        if key is None:
            raise KeyNotFound()
        return key  # type: ignore[no-any-return]

    def get_by_id(self, key_id: int) -> SecretKeyMixin:
        """Any user's key by id, for administration outside a user's own view."""
        key = self.db.session.get(self.model, key_id)
        if key is None:
            raise KeyNotFound()
        return key  # type: ignore[no-any-return]

    def active_key(self, user: Any) -> SecretKeyMixin | None:
        """The user's active key, if there is one."""
        Key = self.model
        return self.db.session.execute(  # type: ignore[no-any-return]
            sa.select(Key).where(Key.active_owner_id == self.user_id(user))
        ).scalar_one_or_none()

    def keys_of(self, user: Any) -> list[SecretKeyMixin]:
        """All of ``user``'s keys, newest first."""
        Key = self.model
        return list(
            self.db.session.execute(
                sa.select(Key)
                .where(Key.user_id == self.user_id(user))
                .order_by(Key.created_at.desc(), Key.id.desc())
            ).scalars()
        )

    def list(self, user: Any, query: KeyQuery) -> Pagination:
        """A page of ``user``'s keys: two statements, an items query and a count."""
        Key = self.model
        stmt = sa.select(Key).where(Key.user_id == self.user_id(user))
        if query.search:
            pattern = f"%{_escape_like(query.search)}%"
            stmt = stmt.where(
                sa.or_(
                    Key.title.ilike(pattern, escape="\\"),
                    Key.redacted.ilike(pattern, escape="\\"),
                )
            )
        if query.status == "active":
            stmt = stmt.where(Key.revoked_at.is_(None))
        elif query.status == "revoked":
            stmt = stmt.where(Key.revoked_at.is_not(None))
        if query.created_from is not None:
            stmt = stmt.where(Key.created_at >= _start_of_day(query.created_from))
        if query.created_to is not None:
            stmt = stmt.where(
                Key.created_at < _start_of_day(query.created_to + dt.timedelta(days=1))
            )
        column = {
            "title": Key.title,
            "created": Key.created_at,
            "last_used": Key.last_used_at,
            "revoked": Key.revoked_at,
        }[query.sort]
        ordered = column.desc() if query.direction == "desc" else column.asc()
        # Empty values (never used, not revoked) go last in either direction;
        # "IS NULL" sorts the same on every backend, unlike NULLS LAST.
        tiebreak = Key.id.desc() if query.direction == "desc" else Key.id.asc()
        stmt = stmt.order_by(column.is_(None), ordered, tiebreak)
        return self.db.paginate(  # type: ignore[no-any-return]
            stmt, page=query.page, per_page=query.per_page, error_out=False
        )

    # Writing

    def create(self, user: Any, title: str | None) -> tuple[SecretKeyMixin, str]:
        """Create a key for ``user``; returns the key and its plaintext token.

        The plaintext exists only in this return value: show it once, store
        it nowhere.
        """
        title = clean_title(title)
        if not self.is_admin(user):
            raise NotAnAdmin()
        existing = self.active_key(user)
        if existing is not None:
            raise ActiveKeyExists(existing.id)
        token = crypto.generate_token(self.prefix)
        owner_id = self.user_id(user)
        key = self.model(
            user_id=owner_id,
            active_owner_id=owner_id,
            title=title,
            redacted=crypto.redact(token, self.prefix),
            token_hash=crypto.hash_token(token, self.pepper),
        )
        session = self.db.session
        session.add(key)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = self.active_key(user)
            if existing is None:
                raise
            raise ActiveKeyExists(existing.id) from None
        signals.key_created.send(_app(), key=key, user=user)
        return key, token

    def rename(self, key: SecretKeyMixin, title: str | None) -> SecretKeyMixin:
        """Change the title, the one thing about a key that can be edited."""
        title = clean_title(title)
        old_title = key.title
        if title != old_title:
            key.title = title
            self.db.session.commit()
            signals.key_title_changed.send(_app(), key=key, old_title=old_title)
        return key

    def revoke(self, key: SecretKeyMixin, by: Any | None = None) -> SecretKeyMixin:
        """Revoke a key for good. A conditional UPDATE makes a race revoke it once."""
        Key = self.model
        now = utcnow()
        session = self.db.session
        result = session.execute(
            sa.update(Key)
            .where(Key.id == key.id, Key.revoked_at.is_(None))
            .values(
                revoked_at=now,
                revoked_by_id=None if by is None else self.user_id(by),
                active_owner_id=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:
            session.rollback()
            if session.get(Key, key.id) is None:
                raise KeyNotFound()
            raise KeyAlreadyRevoked()
        session.commit()
        signals.key_revoked.send(_app(), key=key, by=by)
        return key

    def delete(self, key: SecretKeyMixin) -> None:
        """Delete a revoked key. An active key raises :class:`KeyNotRevoked`."""
        Key = self.model
        key_id, user_id, redacted = key.id, key.user_id, key.redacted
        session = self.db.session
        result = session.execute(
            sa.delete(Key)
            .where(Key.id == key_id, Key.revoked_at.is_not(None))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:
            session.rollback()
            if session.get(Key, key_id) is None:
                raise KeyNotFound()
            raise KeyNotRevoked()
        # Detach before the commit expires it, so the caller keeps a readable record.
        if key in session:
            session.expunge(key)
        session.commit()
        signals.key_deleted.send(_app(), key_id=key_id, user_id=user_id, redacted=redacted)

    # Authenticating

    @cached_property
    def _by_hash(self) -> sa.Select[SecretKeyMixin]:
        """The key lookup, owner joined in, with the digest as a bound parameter.

        Built once and reused: building a statement and computing its cache
        key on every call cost a fifth of the lookup itself.
        """
        Key = self.model
        return (
            sa.select(Key)
            .options(orm.joinedload(Key.owner))
            .where(Key.token_hash == sa.bindparam("digest"))
        )

    def authenticate(self, token: str) -> SecretKeyMixin | None:
        """The key a token belongs to, if it may authenticate a request now.

        Malformed tokens are refused without touching the database; others
        cost one lookup by the unique hash index (owner joined in), whatever
        the number of keys.
        """
        app = _app()
        if not crypto.is_well_formed(token, self.prefix):
            signals.key_rejected.send(app, reason="malformed", key=None)
            return None
        digest = crypto.hash_token(token, self.pepper)
        key = self.db.session.execute(self._by_hash, {"digest": digest}).scalar_one_or_none()
        reason = None
        if key is None or not crypto.digests_equal(key.token_hash, digest):
            reason = "unknown"
        elif key.revoked_at is not None:
            reason = "revoked"
        elif not getattr(key.owner, "is_active", True):
            reason = "inactive_user"
        elif not self.is_admin(key.owner):
            reason = "not_admin"
        if reason is not None:
            signals.key_rejected.send(app, reason=reason, key=key)
            return None
        self.record_use(key)
        signals.key_authenticated.send(app, key=key, user=key.owner)
        return key  # type: ignore[no-any-return]

    def identify(self, user: Any, token: str) -> SecretKeyMixin | None:
        """The key of ``user``'s that ``token`` is, active or revoked; None otherwise.

        For an owner who holds a secret and wants to know which key it is. A
        malformed token costs no statement; others one lookup by the unique
        hash index. Another user's key is None, exactly like an unknown one,
        and nothing is recorded: this is not a use of the key.
        """
        if not crypto.is_well_formed(token, self.prefix):
            return None
        Key = self.model
        digest = crypto.hash_token(token, self.pepper)
        key = self.db.session.execute(
            sa.select(Key).where(Key.token_hash == digest, Key.user_id == self.user_id(user))
        ).scalar_one_or_none()
        if key is None or not crypto.digests_equal(key.token_hash, digest):
            return None
        return key  # type: ignore[no-any-return]

    def record_use(self, key: SecretKeyMixin) -> bool:
        """Set ``last_used_at`` if it is older than the interval; True if written.

        Most uses write nothing. When a write is due, a conditional UPDATE on
        its own short transaction lets exactly one of several concurrent
        requests (or workers) win, and leaves the host's session alone.
        """
        now = utcnow()
        last = key.last_used_at
        if last is not None and now - last < self.last_used_interval:
            return False
        Key = self.model
        cutoff = now - self.last_used_interval
        engine = self.db.session.get_bind(mapper=sa.inspect(Key))
        with engine.begin() as connection:
            result = connection.execute(
                sa.update(Key.__table__)  # type: ignore[attr-defined]
                .where(
                    Key.__table__.c.id == key.id,  # type: ignore[attr-defined]
                    sa.or_(
                        Key.__table__.c.last_used_at.is_(None),  # type: ignore[attr-defined]
                        Key.__table__.c.last_used_at < cutoff,  # type: ignore[attr-defined]
                    ),
                )
                # Setting updated_at to itself keeps its onupdate default from
                # firing: using a key is not editing it.
                .values(
                    last_used_at=now,
                    updated_at=Key.__table__.c.updated_at,  # type: ignore[attr-defined]
                )
            )
        written = bool(result.rowcount)
        if written:
            orm.attributes.set_committed_value(key, "last_used_at", now)
        return written

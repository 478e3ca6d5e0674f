"""The rules of secret API keys: create, rename, revoke, delete, authenticate, list.

This layer knows the database but not HTTP; views and the CLI translate to and
from it, and say who acts with an :class:`Actor`. Each operation commits its
own transaction on the host's ``db.session``, together with the event that
records it, and rules a race could break are also enforced by the database
(see :class:`~flask_secret_keys.models.SecretKeyMixin`).
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
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
from .models import (
    ACTOR_NAME_MAX_LENGTH,
    EVENT_KINDS,
    IP_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
    KeyEventMixin,
    SecretKeyMixin,
    utcnow,
)

#: A throttled write of ``last_used_at`` that fails is logged and skipped:
#: every database error, and no free connection in the pool.
_BOOKKEEPING_ERRORS = (sa.exc.DBAPIError, sa.exc.TimeoutError)

#: How often, at most, one process deletes events older than the retention.
PRUNE_EVERY = dt.timedelta(hours=1)

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
    #: On the list of every key: who the owner filter names (as the CLI's
    #: ``find_user`` takes it); the view resolves it to a user.
    owner: str = ""


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as an event records it.

    Build one with :meth:`for_user` (a signed-in user, with the request's
    client address and user agent), :meth:`command_line` or :meth:`system`.
    """

    kind: Literal["user", "command_line", "system"]
    user: Any | None = None
    name: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def for_user(cls, user: Any, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
        return cls("user", user=user, ip=ip, user_agent=user_agent)

    @classmethod
    def command_line(cls, operator: str | None = None) -> Actor:
        """The command line, optionally naming the operator (``--actor``)."""
        return cls("command_line", name=operator or None)

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


def clean_operator(name: str) -> str:
    """An operator name for ``--actor``: trimmed, printable, not too long."""
    name = name.strip()
    if not name:
        raise ValueError("Give a name, such as an email address.")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in name):
        raise ValueError("The name cannot contain control characters.")
    if len(name) > ACTOR_NAME_MAX_LENGTH:
        raise ValueError(f"The name can be at most {ACTOR_NAME_MAX_LENGTH} characters long.")
    return name


def _client() -> tuple[str | None, str | None]:
    """The current request's client address (as werkzeug sees it) and user agent, if any."""
    if not has_request_context():
        return None, None
    address = (request.remote_addr or "")[:IP_MAX_LENGTH] or None
    agent = (request.user_agent.string or "")[:USER_AGENT_MAX_LENGTH] or None
    return address, agent


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
    :param event_model: the event model made by :func:`~flask_secret_keys.models.make_event_model`.
    :param user_name: how an event names a user who acts.
    :param event_retention: how long events are kept, or None to keep them for good.
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
        event_model: type[KeyEventMixin],
        user_name: Callable[[Any], str],
        event_retention: dt.timedelta | None = None,
    ) -> None:
        self.db = db
        self.model = model
        self.user_id = user_id
        self.is_admin = is_admin
        self.prefix = prefix
        self.pepper = pepper
        self.last_used_interval = last_used_interval
        self.event_model = event_model
        self.user_name = user_name
        self.event_retention = event_retention
        self._next_prune = 0.0

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

    def keys_of(self, user: Any) -> builtins.list[SecretKeyMixin]:
        """All of ``user``'s keys, newest first."""
        Key = self.model
        return list(
            self.db.session.execute(
                sa.select(Key)
                .where(Key.user_id == self.user_id(user))
                .order_by(Key.created_at.desc(), Key.id.desc())
            ).scalars()
        )

    def iter_all(self) -> Iterator[SecretKeyMixin]:
        """Every key, owners joined in, oldest first, read in batches."""
        Key = self.model
        stmt = (
            sa.select(Key)
            .options(orm.joinedload(Key.owner))
            .order_by(Key.id)
            .execution_options(yield_per=500)
        )
        yield from self.db.session.execute(stmt).scalars()

    def list(self, user: Any, query: KeyQuery) -> Pagination:
        """A page of ``user``'s keys: two statements, an items query and a count."""
        Key = self.model
        return self._page(sa.select(Key).where(Key.user_id == self.user_id(user)), query)

    def list_all(self, query: KeyQuery, owners: Sequence[Any] | None = None) -> Pagination:
        """A page of every user's keys (or only ``owners``'), owners joined in: two statements."""
        Key = self.model
        stmt = sa.select(Key).options(orm.joinedload(Key.owner))
        if owners is not None:
            stmt = stmt.where(Key.user_id.in_([self.user_id(owner) for owner in owners]))
        return self._page(stmt, query)

    def _page(self, stmt: sa.Select[Any], query: KeyQuery) -> Pagination:
        """``stmt`` narrowed, ordered and paginated as ``query`` says."""
        Key = self.model
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
        # "IS NULL" sorts the same on every backend, unlike NULLS LAST. Only
        # for the columns that can be empty, so that a sort by creation time
        # can read the (created_at, id) index.
        tiebreak = Key.id.desc() if query.direction == "desc" else Key.id.asc()
        if query.sort in ("last_used", "revoked"):
            stmt = stmt.order_by(column.is_(None))
        stmt = stmt.order_by(ordered, tiebreak)
        return self.db.paginate(  # type: ignore[no-any-return]
            stmt, page=query.page, per_page=query.per_page, error_out=False
        )

    # Writing

    def create(
        self, user: Any, title: str | None, actor: Actor | None = None
    ) -> tuple[SecretKeyMixin, str]:
        """Create a key for ``user``; returns the key and its plaintext token.

        The plaintext exists only in this return value: show it once, store
        it nowhere. ``actor`` defaults to the system.
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
            # The key's id is needed for its event: flush it, in the same transaction.
            session.flush()
            self.record_event(key, "created", actor)
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = self.active_key(user)
            if existing is None:
                raise
            raise ActiveKeyExists(existing.id) from None
        signals.key_created.send(_app(), key=key, user=user)
        self._prune_now_and_then()
        return key, token

    def rename(
        self, key: SecretKeyMixin, title: str | None, actor: Actor | None = None
    ) -> SecretKeyMixin:
        """Change the title, the one thing about a key that can be edited."""
        title = clean_title(title)
        old_title = key.title
        if title != old_title:
            key.title = title
            self.record_event(key, "renamed", actor, old_title=old_title, new_title=title)
            self.db.session.commit()
            signals.key_title_changed.send(_app(), key=key, old_title=old_title)
        return key

    def revoke(
        self, key: SecretKeyMixin, by: Any | None = None, actor: Actor | None = None
    ) -> SecretKeyMixin:
        """Revoke a key for good. A conditional UPDATE makes a race revoke it once.

        ``by`` is the user who revokes it; ``actor`` says more (the command
        line, the client), and defaults to ``by``, or to the system.
        """
        if actor is None and by is not None:
            actor = Actor.for_user(by)
        if by is None and actor is not None:
            by = actor.user
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
        self.record_event(key, "revoked", actor)
        session.commit()
        signals.key_revoked.send(_app(), key=key, by=by)
        return key

    def active_keys_of(self, user: Any) -> builtins.list[SecretKeyMixin]:
        """``user``'s active keys, for revoking them all."""
        Key = self.model
        return list(
            self.db.session.execute(
                sa.select(Key)
                .where(Key.user_id == self.user_id(user), Key.revoked_at.is_(None))
                .order_by(Key.id)
            ).scalars()
        )

    def revoke_all(self, user: Any, actor: Actor | None = None) -> builtins.list[SecretKeyMixin]:
        """Revoke every active key of ``user`` in one transaction; returns those revoked.

        For incident response (a leaked key, an admin who left). Each key gets
        its own ``revoked`` event; a key revoked meanwhile by someone else is
        left out.
        """
        Key = self.model
        now = utcnow()
        by = actor.user if actor is not None else None
        session = self.db.session
        revoked: builtins.list[SecretKeyMixin] = []
        for key in self.active_keys_of(user):
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
            if result.rowcount:
                self.record_event(key, "revoked", actor)
                revoked.append(key)
        session.commit()
        app = _app()
        for key in revoked:
            signals.key_revoked.send(app, key=key, by=by)
        return revoked

    def delete(self, key: SecretKeyMixin, actor: Actor | None = None) -> None:
        """Delete a revoked key. An active key raises :class:`KeyNotRevoked`.

        The key's events stay (until the retention removes them), with its
        ``deleted`` event last.
        """
        Key = self.model
        self.record_event(key, "deleted", actor)
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

    # Events

    def record_event(
        self, key: SecretKeyMixin, event: str, actor: Actor | None = None, **detail: Any
    ) -> KeyEventMixin:
        """Add an event about ``key`` to the session, to commit with the change it records.

        ``detail`` holds the event's own facts (``old_title`` and
        ``new_title`` of a rename), stored as JSON: never a key or a hash.
        The caller commits; a failed commit loses the change and its event alike.
        """
        if event not in EVENT_KINDS:
            raise ValueError(f"Unknown key event {event!r}; events are {', '.join(EVENT_KINDS)}.")
        actor = actor or Actor.system()
        actor_id = actor_name = None
        if actor.user is not None:
            actor_id = self.user_id(actor.user)
            actor_name = self.user_name(actor.user)
        elif actor.name is not None:
            actor_name = actor.name
        record = self.event_model(
            key_id=key.id,
            event=event,
            at=utcnow(),
            actor_kind=actor.kind,
            actor_id=actor_id,
            actor_name=(actor_name or "")[:ACTOR_NAME_MAX_LENGTH] or None,
            ip=(actor.ip or "")[:IP_MAX_LENGTH] or None,
            user_agent=(actor.user_agent or "")[:USER_AGENT_MAX_LENGTH] or None,
            key_title=key.title,
            key_redacted=key.redacted,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        )
        self.db.session.add(record)
        return record

    def _kept_since(self) -> dt.datetime | None:
        return None if self.event_retention is None else utcnow() - self.event_retention

    def events_of(self, key_id: int, limit: int | None = None) -> builtins.list[KeyEventMixin]:
        """A key's events within the retention, newest first; also after the key is deleted."""
        Event = self.event_model
        stmt = sa.select(Event).where(Event.key_id == key_id)
        since = self._kept_since()
        if since is not None:
            stmt = stmt.where(Event.at >= since)
        stmt = stmt.order_by(Event.at.desc(), Event.id.desc()).limit(limit)
        return list(self.db.session.execute(stmt).scalars())

    def prune_events(self) -> int:
        """Delete the events older than the retention, in one statement; returns how many.

        Runs on a connection of its own, so the host's session is left alone.
        """
        since = self._kept_since()
        if since is None:
            return 0
        Event = self.event_model
        table: sa.Table = Event.__table__  # type: ignore[attr-defined]
        engine = self.db.session.get_bind(mapper=sa.inspect(Event))
        with engine.begin() as connection:
            result = connection.execute(sa.delete(table).where(table.c.at < since))
        return int(result.rowcount)

    def _prune_now_and_then(self) -> None:
        """After a new key, prune old events, at most once per :data:`PRUNE_EVERY` per process.

        Done after the key's own commit, on a transaction of its own, so it
        never delays or fails the action; a failure is logged and retried later.
        """
        if self.event_retention is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_EVERY.total_seconds()
        try:
            self.prune_events()
        except _BOOKKEEPING_ERRORS as error:
            _app().logger.warning(
                "Could not delete old secret API key events: %s: %s",
                type(error).__name__,
                getattr(error, "orig", None) or "no detail",
            )

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

    def record_use(self, key: SecretKeyMixin) -> bool:
        """Set ``last_used_at``, with the client's address and user agent, if it is older
        than the interval; True if written.

        Most uses write nothing. When a write is due, a conditional UPDATE on
        its own short transaction lets exactly one of several concurrent
        requests (or workers) win, and leaves the host's session alone. The
        write is bookkeeping: if it fails (a lock timeout, a read-only
        database), the failure is logged, without the key, and the request
        goes on.
        """
        now = utcnow()
        last = key.last_used_at
        if last is not None and now - last < self.last_used_interval:
            return False
        Key = self.model
        table: sa.Table = Key.__table__  # type: ignore[attr-defined]
        cutoff = now - self.last_used_interval
        address, agent = _client()
        engine = self.db.session.get_bind(mapper=sa.inspect(Key))
        try:
            with engine.begin() as connection:
                result = connection.execute(
                    sa.update(table)
                    .where(
                        table.c.id == key.id,
                        sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at < cutoff),
                    )
                    # Setting updated_at to itself keeps its onupdate default
                    # from firing: using a key is not editing it.
                    .values(
                        last_used_at=now,
                        last_used_ip=address,
                        last_used_user_agent=agent,
                        updated_at=table.c.updated_at,
                    )
                )
        except _BOOKKEEPING_ERRORS as error:
            _app().logger.warning(
                "Could not record the use of secret API key %s: %s: %s",
                key.id,
                type(error).__name__,
                getattr(error, "orig", None) or "no detail",
            )
            return False
        written = bool(result.rowcount)
        if written:
            orm.attributes.set_committed_value(key, "last_used_at", now)
            orm.attributes.set_committed_value(key, "last_used_ip", address)
            orm.attributes.set_committed_value(key, "last_used_user_agent", agent)
        return written

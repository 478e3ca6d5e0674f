"""The rules of secret API keys: create, roll, rename, revoke, delete, authenticate, list.

This layer knows the database but not HTTP; views and the CLI translate to and
from it, and say who acts with an :class:`Actor`. Each operation commits its
own transaction on the host's ``db.session``, together with the event that
records it, and rules a race could break are also enforced by the database
(see :class:`~flask_secret_keys.models.SecretKeyMixin`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
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

from . import crypto, models, signals
from .errors import (
    ActiveKeyExists,
    InvalidLifetime,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    KeyNotRollable,
    NotAnAdmin,
)
from .models import (
    ACTOR_NAME_MAX_LENGTH,
    EVENT_KINDS,
    IP_MAX_LENGTH,
    MAX_KEY_ID,
    TITLE_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
    KeyEventMixin,
    SecretKeyMixin,
)

#: A throttled write of ``last_used_at`` that fails is logged and skipped:
#: every database error, and no free connection in the pool.
_BOOKKEEPING_ERRORS = (sa.exc.DBAPIError, sa.exc.TimeoutError)

#: How often, at most, one process deletes events older than the retention.
PRUNE_EVERY = dt.timedelta(hours=1)

Status = Literal["all", "active", "revoking", "expired", "revoked"]
SortField = Literal["title", "created", "last_used", "revoked", "expires"]
Direction = Literal["asc", "desc"]

STATUSES: tuple[Status, ...] = ("all", "active", "revoking", "expired", "revoked")
SORT_FIELDS: tuple[SortField, ...] = ("title", "created", "last_used", "revoked", "expires")
DIRECTIONS: tuple[Direction, ...] = ("asc", "desc")

#: The longest grace period of a roll and the longest delay of a scheduled revocation.
MAX_DELAY = dt.timedelta(days=7)
#: The longest duration accepted anywhere (ten years): beyond it a typo is likelier.
MAX_DURATION = dt.timedelta(days=3650)
#: Revocations closer than this count as one: concurrent requests each read
#: their own clock, so "now" differs between them by a few milliseconds, and
#: one must not take the other's immediate revocation for a later one to
#: bring forward.
_SAME_INSTANT = dt.timedelta(seconds=1)
#: Keys that expire or are revoked within this window are flagged on the pages.
EXPIRY_WARNING = dt.timedelta(days=7)

_DURATION = re.compile(r"([0-9]{1,7})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> dt.timedelta:
    """``"90s"``, ``"15m"``, ``"24h"`` or ``"30d"`` as a timedelta, or :class:`InvalidLifetime`."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidLifetime(
            f"{text!r} is not a duration: give a whole number and a unit, such as 90s, 15m,"
            " 24h or 30d."
        )
    duration = dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if duration > MAX_DURATION:
        raise InvalidLifetime(
            f"{text!r} is too long: the longest duration is {MAX_DURATION.days}d."
        )
    return duration


def describe_duration(duration: dt.timedelta) -> str:
    """A duration in words for messages: "90 days", "1 hour", "45 seconds"."""
    seconds = int(duration.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


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
        """A signed-in user, with the client address and user agent of their request."""
        return cls("user", user=user, ip=ip, user_agent=user_agent)

    @classmethod
    def command_line(cls, operator: str | None = None) -> Actor:
        """The command line, optionally naming the operator (``--actor``)."""
        return cls("command_line", name=operator or None)

    @classmethod
    def system(cls) -> Actor:
        """No one in particular: what an event records when it is given no actor."""
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


#: Characters that make a title display as something else: bidi embeddings,
#: overrides and isolates reorder what follows them (in the list, in a
#: terminal), and line and paragraph separators break a row in two.
_SPOOFING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def clean_title(title: str | None) -> str:
    """The title trimmed, or :class:`InvalidTitle` saying what is wrong with it."""
    title = (title or "").strip()
    if not title:
        raise InvalidTitle("Enter a title.")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidTitle(f"The title can be at most {TITLE_MAX_LENGTH} characters long.")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in title):
        raise InvalidTitle("The title cannot contain control characters.")
    if any(char in _SPOOFING for char in title):
        raise InvalidTitle(
            "The title cannot contain text-direction controls or line and paragraph separators."
        )
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

    Every operation reads the time from :func:`flask_secret_keys.models.utcnow`,
    the one clock of the package, so all of them agree on "now".

    :param db: the host's Flask-SQLAlchemy object.
    :param model: the key model made by :func:`~flask_secret_keys.models.make_key_model`.
    :param user_id: returns a user's primary key value.
    :param is_admin: the host's admin predicate.
    :param prefix: the token prefix.
    :param pepper: the HMAC key for token hashes, or None for plain SHA-256.
    :param last_used_interval: how stale ``last_used_at`` may get before a use rewrites it.
    :param default_expiration: how long a new key lives unless told otherwise; None for no expiry.
    :param max_lifetime: the longest a key may live, or None for no limit.
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
        default_expiration: dt.timedelta | None = None,
        max_lifetime: dt.timedelta | None = None,
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
        self.default_expiration = default_expiration
        self.max_lifetime = max_lifetime
        self.event_model = event_model
        self.user_name = user_name
        self.event_retention = event_retention
        self._next_prune = 0.0

    # Reading

    def key_of(self, user: Any, key_id: int) -> SecretKeyMixin:
        """One of ``user``'s keys, or :class:`KeyNotFound` (also for other users' keys)."""
        if not 0 < key_id <= MAX_KEY_ID:
            raise KeyNotFound()
        Key = self.model
        key = self.db.session.execute(
            sa.select(Key).where(Key.id == key_id, Key.user_id == self.user_id(user))
        ).scalar_one_or_none()
        if key is None:
            raise KeyNotFound()
        return key  # type: ignore[no-any-return]

    def key_by_id(self, key_id: int) -> SecretKeyMixin:
        """Any user's key by id, for oversight and the CLI; :class:`KeyNotFound` if none."""
        if not 0 < key_id <= MAX_KEY_ID:
            raise KeyNotFound()
        key = self.db.session.get(self.model, key_id)
        if key is None:
            raise KeyNotFound()
        return key  # type: ignore[no-any-return]

    def active_key(self, user: Any) -> SecretKeyMixin | None:
        """The user's active key, if there is one (an expired key is not, marked or not)."""
        Key = self.model
        return self.db.session.execute(  # type: ignore[no-any-return]
            sa.select(Key).where(
                Key.active_owner_id == self.user_id(user), self._unexpired(models.utcnow())
            )
        ).scalar_one_or_none()

    def _unexpired(self, now: dt.datetime) -> sa.ColumnElement[bool]:
        Key = self.model
        return sa.or_(Key.expires_at.is_(None), Key.expires_at > now)

    def _status_is(self, status: Status, now: dt.datetime) -> sa.ColumnElement[bool]:
        """The SQL condition for a key's status at ``now``, as ``status_at`` computes it."""
        Key = self.model
        not_revoked = sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now)
        expired = sa.and_(Key.expires_at.is_not(None), Key.expires_at <= now)
        if status == "revoked":
            return Key.revoked_at <= now
        if status == "expired":
            return sa.and_(not_revoked, expired)
        if status == "revoking":
            return sa.and_(Key.revoked_at > now, self._unexpired(now))
        return sa.and_(Key.revoked_at.is_(None), self._unexpired(now))

    def expiring(self, within: dt.timedelta) -> list[SecretKeyMixin]:
        """Every user's keys that will expire or be revoked within ``within``, soonest first."""
        Key = self.model
        now = models.utcnow()
        until = now + within
        ends = sa.case(
            (
                sa.and_(
                    Key.revoked_at.is_not(None),
                    sa.or_(Key.expires_at.is_(None), Key.revoked_at < Key.expires_at),
                ),
                Key.revoked_at,
            ),
            else_=Key.expires_at,
        )
        return list(
            self.db.session.execute(
                sa.select(Key)
                .options(orm.joinedload(Key.owner))
                .where(ends > now, ends <= until)
                .order_by(ends, Key.id)
            ).scalars()
        )

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

    def search(self, user: Any, query: KeyQuery) -> Pagination:
        """A page of ``user``'s keys: two statements, an items query and a count."""
        Key = self.model
        return self._page(sa.select(Key).where(Key.user_id == self.user_id(user)), query)

    def search_all(self, query: KeyQuery, owners: Sequence[Any] | None = None) -> Pagination:
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
        if query.status != "all":
            stmt = stmt.where(self._status_is(query.status, models.utcnow()))
        if query.created_from is not None:
            stmt = stmt.where(Key.created_at >= _start_of_day(query.created_from))
        if query.created_to is not None and query.created_to < dt.date.max:
            stmt = stmt.where(
                Key.created_at < _start_of_day(query.created_to + dt.timedelta(days=1))
            )
        column = {
            "title": Key.title,
            "created": Key.created_at,
            "last_used": Key.last_used_at,
            "revoked": Key.revoked_at,
            "expires": Key.expires_at,
        }[query.sort]
        ordered = column.desc() if query.direction == "desc" else column.asc()
        # Empty values (never used, not revoked, no expiry) go last in either
        # direction; "IS NULL" sorts the same on every backend, unlike NULLS
        # LAST. Only for the columns that can be empty, so that a sort by
        # creation time can read the (created_at, id) index.
        tiebreak = Key.id.desc() if query.direction == "desc" else Key.id.asc()
        if query.sort in ("last_used", "revoked", "expires"):
            stmt = stmt.order_by(column.is_(None))
        stmt = stmt.order_by(ordered, tiebreak)
        return self.db.paginate(  # type: ignore[no-any-return]
            stmt, page=query.page, per_page=query.per_page, error_out=False
        )

    # Writing

    def expiry_for(self, expires_in: dt.timedelta | None, now: dt.datetime) -> dt.datetime | None:
        """The expiry of a key made at ``now`` that lives ``expires_in`` (None: forever)."""
        return None if expires_in is None else now + expires_in

    def check_expiry(self, expires_at: dt.datetime | None, now: dt.datetime) -> None:
        """Refuse an expiry in the past, or beyond the maximum lifetime."""
        if expires_at is None:
            if self.max_lifetime is not None:
                raise InvalidLifetime(
                    "Keys must expire: choose an expiry within"
                    f" {describe_duration(self.max_lifetime)}."
                )
            return
        if expires_at <= now:
            raise InvalidLifetime("The expiry must be in the future.")
        if self.max_lifetime is not None and expires_at > now + self.max_lifetime:
            raise InvalidLifetime(
                f"Keys can live at most {describe_duration(self.max_lifetime)}:"
                " choose an earlier expiry."
            )

    def check_delay(self, delay: dt.timedelta, what: str) -> None:
        """Refuse a negative delay, or one longer than :data:`.MAX_DELAY`."""
        if delay < dt.timedelta(0):
            raise InvalidLifetime(f"The {what} cannot be negative.")
        if delay > MAX_DELAY:
            raise InvalidLifetime(f"The {what} can be at most {describe_duration(MAX_DELAY)}.")

    def create(
        self,
        user: Any,
        title: str | None,
        expires_at: dt.datetime | Literal["default"] | None = "default",
        *,
        actor: Actor | None = None,
    ) -> tuple[SecretKeyMixin, str]:
        """Create a key for ``user``; returns the key and its plaintext token.

        ``expires_at`` is when the key stops working; ``"default"`` applies
        ``default_expiration`` and None means never. The plaintext exists only
        in this return value: show it once, store it nowhere. ``actor`` defaults
        to the system.
        """
        title = clean_title(title)
        now = models.utcnow()
        if expires_at == "default":
            expires_at = self.expiry_for(self.default_expiration, now)
        self.check_expiry(expires_at, now)
        if not self.is_admin(user):
            raise NotAnAdmin()
        session = self.db.session
        holder = self._slot_holder(user)
        if holder is not None:
            if holder.expires_at is None or holder.expires_at > now:
                holder_id = holder.id
                session.rollback()
                raise ActiveKeyExists(holder_id, key=holder)
            self._release(holder, now)
        key, token = self._new_key(user, title, expires_at, now)
        with self._refusing_a_second_active_key(user):
            # The key's id is needed for its event: flush it, in the same transaction.
            session.flush()
            self.record_event(key, "created", actor)
            session.commit()
        signals.key_created.send(_app(), key=key, user=user)
        self._prune_now_and_then()
        return key, token

    @contextlib.contextmanager
    def _refusing_a_second_active_key(self, user: Any) -> Iterator[None]:
        """Turn the loss of a race for ``user``'s active slot into :class:`ActiveKeyExists`.

        Two requests can both find the slot free; the database's unique
        constraint lets one commit, and the other gets the key that won.
        """
        try:
            yield
        except IntegrityError:
            self.db.session.rollback()
            existing = self.active_key(user)
            if existing is None:
                raise
            raise ActiveKeyExists(existing.id, key=existing) from None

    def _slot_holder(self, user: Any) -> SecretKeyMixin | None:
        """The key holding ``user``'s active slot: their active key, or an expired one."""
        Key = self.model
        return self.db.session.execute(  # type: ignore[no-any-return]
            sa.select(Key).where(Key.active_owner_id == self.user_id(user))
        ).scalar_one_or_none()

    def _release(self, expired: SecretKeyMixin, now: dt.datetime) -> None:
        """Take an expired key out of the active slot, in the open transaction.

        Time passing changes no row, so an expired key keeps the marker until
        a new key needs it. The UPDATE goes by primary key, locking that row
        alone (a range lock on the unique index would let racing creates
        deadlock on MariaDB); the unique index still decides between racers.
        """
        Key = self.model
        self.db.session.execute(
            sa.update(Key)
            .where(
                Key.id == expired.id,
                Key.active_owner_id.is_not(None),
                Key.expires_at <= now,
            )
            .values(active_owner_id=None)
            .execution_options(synchronize_session=False)
        )

    def _new_key(
        self, user: Any, title: str, expires_at: dt.datetime | None, now: dt.datetime
    ) -> tuple[SecretKeyMixin, str]:
        """A new active key for ``user``, added to the session but not committed."""
        token = crypto.generate_token(self.prefix)
        owner_id = self.user_id(user)
        key = self.model(
            user_id=owner_id,
            active_owner_id=owner_id,
            title=title,
            redacted=crypto.redact(token, self.prefix),
            token_hash=crypto.hash_token(token, self.pepper),
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
        )
        self.db.session.add(key)
        return key, token

    def roll(
        self,
        key: SecretKeyMixin,
        grace: dt.timedelta,
        by: Any | None = None,
        *,
        actor: Actor | None = None,
    ) -> tuple[SecretKeyMixin, str]:
        """Replace an active key by a successor; the old one is revoked after ``grace``.

        Both keys work during the grace period; the successor is the user's
        active key at once. It keeps the old key's lifetime (none stays none),
        within the maximum. One transaction: a conditional UPDATE takes the
        old key out of the active slot, so of two concurrent rolls one wins,
        and the unique index settles a roll racing a create.
        Returns the successor and its plaintext, to show once.
        """
        self.check_delay(grace, "grace period")
        by, actor = self._by_and_actor(by, actor)
        Key = self.model
        now = models.utcnow()
        session = self.db.session
        key_id, title, owner = key.id, key.title, key.owner
        expires_at = key.expires_at
        if expires_at is not None:
            expires_at = now + (expires_at - key.created_at)
        if self.max_lifetime is not None and (
            expires_at is None or expires_at > now + self.max_lifetime
        ):
            expires_at = now + self.max_lifetime
        result = session.execute(
            self._revocation(
                key_id,
                now + grace,
                by,
                now,
                Key.revoked_at.is_(None),
                Key.active_owner_id.is_not(None),
                self._unexpired(now),
            )
        )
        if result.rowcount == 0:
            session.rollback()
            current = session.get(Key, key_id)
            if current is None:
                raise KeyNotFound()
            status = {"revoking": "scheduled for revocation"}.get(
                current.status_at(now), current.status_at(now)
            )
            raise KeyNotRollable(
                f"Only an active secret API key can be rolled: this one is {status}."
            )
        successor, token = self._new_key(owner, title, expires_at, now)
        with self._refusing_a_second_active_key(owner):
            session.flush()
            self.record_event(
                key,
                "rolled",
                actor,
                replacement=successor.redacted,
                revoke_at=(now + grace).isoformat(),
            )
            self.record_event(successor, "created", actor, rolled_from=key.redacted)
            session.commit()
        session.refresh(key)
        signals.key_rolled.send(_app(), key=key, successor=successor, grace=grace, by=by)
        if grace:
            signals.key_revocation_scheduled.send(_app(), key=key, at=key.revoked_at, by=by)
        else:
            signals.key_revoked.send(_app(), key=key, by=by)
        return successor, token

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
        self,
        key: SecretKeyMixin,
        by: Any | None = None,
        *,
        at: dt.datetime | None = None,
        actor: Actor | None = None,
    ) -> SecretKeyMixin:
        """Revoke a key for good, now or at ``at`` (at most :data:`.MAX_DELAY` ahead).

        A scheduled key keeps authenticating until ``at`` but leaves the
        active slot at once, so a successor can be created right away. A
        revocation can be brought forward, never put off. A conditional
        UPDATE makes a race revoke it once. ``by`` is the user who revokes
        it; ``actor`` says more (the command line, the client), and defaults
        to ``by``, or to the system.
        """
        by, actor = self._by_and_actor(by, actor)
        Key = self.model
        now = models.utcnow()
        if at is None or at <= now:
            at = now
        else:
            self.check_delay(at - now, "delay before the revocation")
        session = self.db.session
        result = session.execute(
            self._revocation(
                key.id,
                at,
                by,
                now,
                sa.or_(Key.revoked_at.is_(None), Key.revoked_at > at + _SAME_INSTANT),
            )
        )
        if result.rowcount == 0:
            session.rollback()
            current = session.get(Key, key.id)
            if current is None:
                raise KeyNotFound()
            if current.revoked_at is not None and current.revoked_at > now + _SAME_INSTANT:
                raise KeyAlreadyRevoked(
                    "This secret API key is already scheduled to be revoked sooner."
                )
            raise KeyAlreadyRevoked()
        if at > now:
            self.record_event(key, "revocation_scheduled", actor, revoke_at=at.isoformat())
        else:
            self.record_event(key, "revoked", actor)
        session.commit()
        if at > now:
            signals.key_revocation_scheduled.send(_app(), key=key, at=at, by=by)
        else:
            signals.key_revoked.send(_app(), key=key, by=by)
        return key

    def _revocation(
        self,
        key_id: int,
        at: dt.datetime,
        by: Any | None,
        now: dt.datetime,
        *where: sa.ColumnElement[bool],
    ) -> sa.Update:
        """The UPDATE that revokes key ``key_id`` at ``at``, if ``where`` still holds.

        It takes the key out of its owner's active slot at once, whenever
        ``at`` is; the conditions make a race revoke it once.
        """
        Key = self.model
        return (
            sa.update(Key)
            .where(Key.id == key_id, *where)
            .values(
                revoked_at=at,
                revoked_by_id=None if by is None else self.user_id(by),
                active_owner_id=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def _by_and_actor(self, by: Any | None, actor: Actor | None) -> tuple[Any | None, Actor | None]:
        """The user who acts and the actor of the event, each from the other when missing."""
        if actor is None and by is not None:
            actor = Actor.for_user(by)
        if by is None and actor is not None:
            by = actor.user
        return by, actor

    def delete(self, key: SecretKeyMixin, actor: Actor | None = None) -> None:
        """Delete a revoked or expired key; one that still works raises :class:`KeyNotRevoked`.

        The key's events stay (until the retention removes them), with its
        ``deleted`` event last.
        """
        Key = self.model
        self.record_event(key, "deleted", actor)
        key_id, user_id, redacted = key.id, key.user_id, key.redacted
        now = models.utcnow()
        session = self.db.session
        result = session.execute(
            sa.delete(Key)
            .where(Key.id == key_id, sa.or_(Key.revoked_at <= now, Key.expires_at <= now))
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

    def working_keys_of(self, user: Any) -> list[SecretKeyMixin]:
        """``user``'s keys that still authenticate (active, or scheduled for revocation)."""
        now = models.utcnow()
        Key = self.model
        return list(
            self.db.session.execute(
                sa.select(Key)
                .where(
                    Key.user_id == self.user_id(user),
                    sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now),
                    self._unexpired(now),
                )
                .order_by(Key.id)
            ).scalars()
        )

    def revoke_all(self, user: Any, actor: Actor | None = None) -> list[SecretKeyMixin]:
        """Revoke at once every key of ``user`` that still works; returns those revoked.

        For incident response (a leaked key, an admin who left). Each key gets
        its own ``revoked`` event; a key revoked meanwhile by someone else is
        left out.
        """
        Key = self.model
        now = models.utcnow()
        by = actor.user if actor is not None else None
        session = self.db.session
        revoked: list[SecretKeyMixin] = []
        for key in self.working_keys_of(user):
            result = session.execute(
                self._revocation(
                    key.id, now, by, now, sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now)
                )
            )
            if result.rowcount:
                self.record_event(key, "revoked", actor)
                revoked.append(key)
        session.commit()
        app = _app()
        for key in revoked:
            signals.key_revoked.send(app, key=key, by=by)
        return revoked

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
            at=models.utcnow(),
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
        return None if self.event_retention is None else models.utcnow() - self.event_retention

    def events_of(self, key_id: int, limit: int | None = None) -> list[KeyEventMixin]:
        """A key's events within the retention, newest first; also after the key is deleted."""
        if not 0 < key_id <= MAX_KEY_ID:
            return []
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
        the number of keys. Revocation and expiry are read from that same row.
        """
        app = _app()
        if not crypto.is_well_formed(token, self.prefix):
            signals.key_rejected.send(app, reason="malformed", key=None)
            return None
        digest = crypto.hash_token(token, self.pepper)
        key = self.db.session.execute(self._by_hash, {"digest": digest}).scalar_one_or_none()
        now = models.utcnow()
        reason = None
        if key is None or not crypto.digests_equal(key.token_hash, digest):
            reason = "unknown"
        elif key.revoked_at is not None and key.revoked_at <= now:
            reason = "revoked"
        elif key.expires_at is not None and key.expires_at <= now:
            reason = "expired"
        elif key.owner is None:
            # Foreign keys delete a user's keys with the user; this covers a
            # database that does not enforce them.
            reason = "owner_missing"
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
        """Set ``last_used_at``, with the client's address and user agent, if it is older
        than the interval; True if written.

        Most uses write nothing. When a write is due, a conditional UPDATE on
        its own short transaction lets exactly one of several concurrent
        requests (or workers) win, and leaves the host's session alone. The
        write is bookkeeping: if it fails (a lock timeout, a read-only
        database), the failure is logged, without the key, and the request
        goes on.
        """
        now = models.utcnow()
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

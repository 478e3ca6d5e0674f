"""What every part of the service shares: the host's database, the models and the settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from ..models import KeyEventMixin, SecretKeyMixin

#: A bookkeeping write that fails is logged and skipped: every database error,
#: and no free connection in the pool.
BOOKKEEPING_ERRORS = (sa.exc.DBAPIError, sa.exc.TimeoutError)

#: The latest time a key may expire: a later one would not fit a datetime
#: once a roll adds a lifetime to it.
LATEST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Store:
    """The host's ``db``, the two models, the host's user functions and the key settings.

    :param db: the host's Flask-SQLAlchemy object.
    :param model: the key model made by :func:`~flask_secret_keys.models.make_key_model`.
    :param event_model: the event model made by :func:`~flask_secret_keys.models.make_event_model`.
    :param user_id: returns a user's primary key value.
    :param user_name: how an event names a user who acts.
    :param is_admin: the host's admin predicate.
    :param prefix: the token prefix.
    :param pepper: the HMAC key for token hashes, or None for plain SHA-256.
    :param last_used_interval: how stale ``last_used_at`` may get before a use rewrites it.
    :param default_expiration: how long a new key lives unless told otherwise; None for no expiry.
    :param max_lifetime: the longest a key may live, or None for no limit; it applies to
        keys made before it was set too.
    :param event_retention: how long events are kept, or None to keep them for good.
    :param unused_after: how long a key may go unused before it stops working (it is
        dormant), or None for no limit; counted from its creation if it was never used.
    """

    db: Any
    model: type[SecretKeyMixin]
    event_model: type[KeyEventMixin]
    user_id: Callable[[Any], Any]
    user_name: Callable[[Any], str]
    is_admin: Callable[[Any], bool]
    prefix: str
    pepper: bytes | None
    last_used_interval: dt.timedelta
    default_expiration: dt.timedelta | None = None
    max_lifetime: dt.timedelta | None = None
    event_retention: dt.timedelta | None = None
    unused_after: dt.timedelta | None = None

    @property
    def session(self) -> Any:
        return self.db.session

    def engine_for(self, model: type[Any]) -> sa.Engine:
        """The engine ``model``'s table lives on, for a write on a connection of its own."""
        return self.db.session.get_bind(mapper=sa.inspect(model))  # type: ignore[no-any-return]

    def dormant_at(self, key: SecretKeyMixin) -> dt.datetime | None:
        """When ``key`` goes dormant if it stays unused; None without ``unused_after``.

        Read from the row the lookup loads anyway: the last use, or the creation.
        """
        if self.unused_after is None:
            return None
        return plus(key.last_used_at or key.created_at, self.unused_after)

    def own_end(self, key: SecretKeyMixin) -> dt.datetime | None:
        """When ``key`` expires by its expiry, or sooner if the maximum lifetime is shorter."""
        if self.max_lifetime is None:
            return key.expires_at
        latest = plus(key.created_at, self.max_lifetime)
        return latest if key.expires_at is None or key.expires_at > latest else key.expires_at

    def ends_at(self, key: SecretKeyMixin) -> dt.datetime | None:
        """When ``key`` stops working by the clock: expired, or dormant if that comes first."""
        times = [time for time in (self.own_end(key), self.dormant_at(key)) if time is not None]
        return min(times, default=None)

    def is_dormant(self, key: SecretKeyMixin, now: dt.datetime) -> bool:
        """Whether ``key`` stopped working at ``now`` because it went unused, before any expiry."""
        dormant = self.dormant_at(key)
        if dormant is None or dormant > now:
            return False
        own = self.own_end(key)
        return own is None or dormant <= own

    def stops_at(self, key: SecretKeyMixin) -> dt.datetime:
        """When ``key`` stops working: revoked or expired, whichever is first; LATEST if never."""
        times = [time for time in (key.revoked_at, self.ends_at(key)) if time is not None]
        return min(times, default=LATEST)

    def unexpired(self, now: dt.datetime, *, dormancy: bool = True) -> sa.ColumnElement[bool]:
        """The SQL condition for a key not expired at ``now``, the maximum lifetime included,
        nor dormant (unless ``dormancy`` is False)."""
        Key = self.model
        condition = sa.or_(Key.expires_at.is_(None), Key.expires_at > now)
        if self.max_lifetime is not None:
            condition = sa.and_(condition, Key.created_at > now - self.max_lifetime)
        if dormancy and self.unused_after is not None:
            condition = sa.and_(condition, self.used_since(now - self.unused_after))
        return condition

    def revocable(self, now: dt.datetime) -> sa.ColumnElement[bool]:
        """The SQL condition for a key a write may still revoke (or change) at ``now``: never
        revoked, or its revocation still ahead.

        A revocation that took effect at once has ``updated_at`` equal to its
        ``revoked_at``; requiring ``updated_at < revoked_at`` keeps a racing
        request whose clock read a few milliseconds earlier from taking such a
        key for one still in its grace period and ending it a second time.
        """
        Key = self.model
        return sa.or_(
            Key.revoked_at.is_(None),
            sa.and_(Key.revoked_at > now, Key.updated_at < Key.revoked_at),
        )

    def used_since(self, since: dt.datetime) -> sa.ColumnElement[bool]:
        """The SQL condition for a key used (or, never used, created) after ``since``."""
        Key = self.model
        return sa.func.coalesce(Key.last_used_at, Key.created_at) > since

    def status_is(self, status: str, now: dt.datetime) -> sa.ColumnElement[bool]:
        """The SQL condition for a key's status at ``now``, as :meth:`status_of` computes it;
        ``working`` is ``active`` or ``revoking``: the keys that still authenticate."""
        Key = self.model
        not_revoked = sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now)
        if status == "revoked":
            return Key.revoked_at <= now
        if status == "expired":
            return sa.and_(not_revoked, sa.not_(self.unexpired(now)))
        if status == "revoking":
            return sa.and_(Key.revoked_at > now, self.unexpired(now))
        if status == "working":
            return sa.and_(not_revoked, self.unexpired(now))
        return sa.and_(Key.revoked_at.is_(None), self.unexpired(now))

    def status_of(self, key: SecretKeyMixin, now: dt.datetime) -> str:
        """``key``'s status at ``now``, with the maximum lifetime and dormancy applied:
        ``"dormant"`` when it stopped working because it went unused."""
        status = key.status_at(now)
        if status == "revoked":
            return status
        if self.is_dormant(key, now):
            return "dormant"
        ends = self.own_end(key)
        if status in ("active", "revoking") and ends is not None and ends <= now:
            return "expired"
        return status


def app() -> Flask:
    """The current app, the sender of every signal."""
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def plus(when: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """``when + duration``, or :data:`LATEST` where that would not fit a datetime."""
    try:
        return min(when + duration, LATEST)
    except OverflowError:
        return LATEST

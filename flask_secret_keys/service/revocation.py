"""Ending keys: revoke (now or later), revoke all, delete, and recording what the clock ended.

A revocation is irreversible; a conditional UPDATE makes racing requests
revoke a key once, and ``updated_at`` tells a revocation still ahead from one
already recorded (see :meth:`Revocations.update`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .. import models, signals
from ..errors import KeyAlreadyRevoked, KeyNotFound, KeyNotRevoked
from ..i18n import lazy_gettext
from ..models import SecretKeyMixin
from ..rules import Actor, check_delay
from .events import EventLog
from .reading import Reader
from .store import Store, app

#: Revocations closer than this count as one: concurrent requests each read
#: their own clock, so "now" differs between them by a few milliseconds, and
#: one must not take the other's immediate revocation for a later one to
#: bring forward.
_SAME_INSTANT = dt.timedelta(seconds=1)


class Revocations:
    """The operations that stop keys from working."""

    def __init__(self, store: Store, reader: Reader, events: EventLog) -> None:
        self.store = store
        self.reader = reader
        self.events = events

    def revoke(
        self, key: SecretKeyMixin, at: dt.datetime | None, actor: Actor | None
    ) -> SecretKeyMixin:
        """Revoke a key for good, now or at ``at``; see :meth:`KeyService.revoke`."""
        Key = self.store.model
        now = models.utcnow()
        if at is None or at <= now:
            at = now
        else:
            check_delay(at - now, "revocation")
        session = self.store.session
        by = None if actor is None else actor.user
        # Read before the statement: after the rollback below, ``key`` is expired, and
        # reading it would reload a row another request may have deleted.
        key_id = key.id
        result = session.execute(
            self.update(
                key_id,
                at,
                by,
                now,
                sa.or_(Key.revoked_at.is_(None), Key.revoked_at > at + _SAME_INSTANT),
            )
        )
        if result.rowcount == 0:
            session.rollback()
            current = session.get(Key, key_id)
            if current is None:
                raise KeyNotFound()
            if current.revoked_at is not None and current.revoked_at > now + _SAME_INSTANT:
                raise KeyAlreadyRevoked(
                    lazy_gettext("This secret API key is already scheduled to be revoked sooner.")
                )
            raise KeyAlreadyRevoked()
        if at > now:
            self.events.record(key, "revocation_scheduled", actor, revoke_at=at.isoformat())
        else:
            self.events.record(key, "revoked", actor)
        session.commit()
        actor = actor or Actor.system()
        if at > now:
            signals.key_revocation_scheduled.send(app(), key=key, at=at, actor=actor)
        else:
            signals.key_revoked.send(app(), key=key, actor=actor)
        return key

    def update(
        self,
        key_id: int,
        at: dt.datetime,
        by: Any | None,
        now: dt.datetime,
        *where: sa.ColumnElement[bool],
    ) -> sa.Update:
        """The UPDATE that revokes key ``key_id`` at ``at``, if ``where`` still holds.

        It takes the key out of its owner's active slot at once, whenever
        ``at`` is; the conditions make a race revoke it once. ``updated_at``
        is ``now``: a revocation still ahead leaves it before ``revoked_at``,
        which is how :meth:`settle` finds it once its time has come.
        """
        Key = self.store.model
        return (
            sa.update(Key)
            .where(Key.id == key_id, *where)
            .values(
                revoked_at=at,
                revoked_by_id=None if by is None else self.store.user_id(by),
                active_owner_id=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def revoke_all(self, user: Any, actor: Actor | None) -> list[SecretKeyMixin]:
        """Revoke at once every key of ``user`` that still works; returns those revoked."""
        now = models.utcnow()
        by = None if actor is None else actor.user
        session = self.store.session
        revoked: list[SecretKeyMixin] = []
        for key in self.reader.working_keys_of(user):
            result = session.execute(self.update(key.id, now, by, now, self.store.revocable(now)))
            if result.rowcount:
                self.events.record(key, "revoked", actor)
                revoked.append(key)
        session.commit()
        sender, actor = app(), actor or Actor.system()
        for key in revoked:
            signals.key_revoked.send(sender, key=key, actor=actor)
        return revoked

    def delete(self, key: SecretKeyMixin, actor: Actor | None) -> None:
        """Delete a revoked or expired key; one that still works raises :class:`KeyNotRevoked`."""
        Key = self.store.model
        self.settle(key.owner)
        self.events.record(key, "deleted", actor)
        key_id, user_id, redacted = key.id, key.user_id, key.redacted
        now = models.utcnow()
        session = self.store.session
        result = session.execute(
            sa.delete(Key)
            .where(
                Key.id == key_id,
                sa.or_(Key.revoked_at <= now, sa.not_(self.store.unexpired(now))),
            )
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
        signals.key_deleted.send(
            app(), key_id=key_id, user_id=user_id, redacted=redacted, actor=actor or Actor.system()
        )

    # Revocations that take effect by the clock

    def is_due(self, key: SecretKeyMixin, now: dt.datetime) -> bool:
        """Whether ``key`` has a revocation that took effect but is not recorded yet, or
        an expiry beyond the maximum lifetime."""
        if key.revoked_at is not None and key.updated_at < key.revoked_at <= now:
            return True
        return self.store.ends_at(key) != key.expires_at

    def _cap_lifetimes(self, user: Any | None, now: dt.datetime) -> list[SecretKeyMixin]:
        """Bring the expiry of keys that would outlive ``SECRET_KEYS_MAX_LIFETIME`` within it.

        A key made before the maximum was set (or lowered) keeps working only
        until its creation plus the maximum, which authentication applies from
        the row it reads anyway; this writes that expiry down, with a
        ``lifetime_capped`` event that says why, so every page and command
        shows the same date.
        """
        store = self.store
        if store.max_lifetime is None:
            return []
        Key = store.model
        where = [sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now)]
        if user is not None:
            where.append(Key.user_id == store.user_id(user))
        capped = []
        for key in self.reader.keys_where(*where):
            cap = store.ends_at(key)
            if cap is None or cap == key.expires_at:
                continue
            previous = key.expires_at
            result = store.session.execute(
                sa.update(Key)
                .where(Key.id == key.id, sa.or_(Key.expires_at.is_(None), Key.expires_at > cap))
                .values(expires_at=cap)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount:
                self.events.record(
                    key,
                    "lifetime_capped",
                    Actor.system(),
                    expires_at=cap.isoformat(),
                    previous=None if previous is None else previous.isoformat(),
                    max_days=store.max_lifetime.days,
                )
                capped.append(key)
        return capped

    def settle_owners_of(self, keys: Sequence[SecretKeyMixin]) -> list[SecretKeyMixin]:
        """:meth:`settle` for each owner of ``keys`` with a key due; no statement if none is."""
        now = models.utcnow()
        owners = {key.user_id: key.owner for key in keys if self.is_due(key, now)}
        return [key for owner in owners.values() for key in self.settle(owner)]

    def settle(self, user: Any | None = None) -> list[SecretKeyMixin]:
        """Record the revocations whose time has come: a ``revoked`` event by the system.

        A scheduled revocation, or the end of a roll's grace period, takes
        effect as the clock passes, which changes no row. This finds such keys
        (of ``user``, or every user's), records each one's ``revoked`` event at
        the time it took effect and sends ``key_revoked``, once: a conditional
        UPDATE moves ``updated_at`` up to ``revoked_at`` in the same
        transaction, so a racing caller finds nothing left to record. It runs
        before every change to a user's keys, when the pages show them, and
        from ``flask secret-keys housekeeping``; never on a key request.
        Returns the keys whose revocation it recorded. It also writes down,
        with a ``lifetime_capped`` event, the expiry of keys that would
        outlive the maximum lifetime.
        """
        store = self.store
        Key = store.model
        now = models.utcnow()
        capped = self._cap_lifetimes(user, now)
        where = [Key.revoked_at <= now, Key.updated_at < Key.revoked_at]
        if user is not None:
            where.append(Key.user_id == store.user_id(user))
        due = self.reader.keys_where(*where)
        if not due:
            if capped:
                store.session.commit()
            return []
        settled = []
        for key in due:
            result = store.session.execute(
                sa.update(Key)
                .where(Key.id == key.id, *where)
                .values(updated_at=Key.revoked_at)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount:
                self.events.record(key, "revoked", Actor.system(), at=key.revoked_at)
                settled.append(key)
        store.session.commit()
        sender, system = app(), Actor.system()
        for key in settled:
            signals.key_revoked.send(sender, key=key, actor=system)
        return settled

    def end_other_graces(
        self, owner: Any, key_id: int, by: Any | None, now: dt.datetime
    ) -> list[SecretKeyMixin]:
        """Revoke now ``owner``'s keys, other than ``key_id``, whose revocation is still ahead."""
        Key = self.store.model
        others = self.reader.keys_where(
            Key.user_id == self.store.user_id(owner), Key.id != key_id, Key.revoked_at > now
        )
        ended = []
        for other in others:
            result = self.store.session.execute(
                self.update(other.id, now, by, now, self.store.revocable(now))
            )
            if result.rowcount:
                ended.append(other)
        return ended

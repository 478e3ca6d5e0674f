"""Verifying a presented key: one indexed lookup and one fast hash, its restrictions read
from the same row, and the throttled use record."""

from __future__ import annotations

import datetime as dt
import functools
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from .. import crypto, models, signals
from ..errors import KeyRefused
from ..models import IP_MAX_LENGTH, USER_AGENT_MAX_LENGTH, SecretKeyMixin
from ..reach import Permission, client_network, reach_of
from ..rules import KEY_USE, Actor
from ..usage import Usage
from .events import EventLog
from .store import BOOKKEEPING_ERRORS, Store, app

#: How many times acknowledging new networks reads the usage record again when a
#: use rewrote it in between.
ACKNOWLEDGE_ATTEMPTS = 5


@functools.lru_cache(maxsize=1024)
def usage_of(text: str | None) -> Usage:
    """A key's usage record, parsed once per distinct text (it changes only when written)."""
    return Usage.from_text(text)


class Verifier:
    """Authenticates tokens and records, now and then, that a key was used."""

    def __init__(self, store: Store, events: EventLog) -> None:
        self.store = store
        self.events = events

    @cached_property
    def _by_hash(self) -> sa.Select[SecretKeyMixin]:
        """The key lookup, owner joined in, with the digest as a bound parameter.

        Built once and reused: building a statement and computing its cache
        key on every call cost a fifth of the lookup itself. The hash is
        matched, never selected, so it appears in no result row (nor in
        SQLAlchemy's DEBUG log of them).
        """
        Key = self.store.model
        return (
            sa.select(Key)
            .options(orm.joinedload(Key.owner))
            .where(Key.token_hash == sa.bindparam("digest"))
        )

    def authenticate(
        self,
        token: str,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        permission: Permission | None = None,
    ) -> SecretKeyMixin | None:
        """The key a token belongs to, if it may authenticate a request now; see
        :meth:`KeyService.authenticate`."""
        store = self.store
        sender = app()
        if not crypto.is_well_formed(token, store.prefix):
            signals.key_rejected.send(sender, reason="malformed", key=None)
            return None
        digest = crypto.hash_token(token, store.pepper)
        key = store.session.execute(self._by_hash, {"digest": digest}).scalar_one_or_none()
        now = models.utcnow()
        reason = None
        if key is None:
            reason = "unknown"
        elif key.revoked_at is not None and key.revoked_at <= now:
            reason = "revoked"
        elif (ends := store.ends_at(key)) is not None and ends <= now:
            reason = "dormant" if store.is_dormant(key, now) else "expired"
        elif key.owner is None:
            # Foreign keys delete a user's keys with the user; this covers a
            # database that does not enforce them.
            reason = "owner_missing"
        elif not getattr(key.owner, "is_active", True):
            reason = "inactive_user"
        elif not store.is_admin(key.owner):
            reason = "not_admin"
        if reason is not None:
            signals.key_rejected.send(sender, reason=reason, key=key)
            return None
        # The restrictions are columns of the row just read: no other statement.
        reach = reach_of(key)
        if not reach.admits(ip):
            signals.key_rejected.send(sender, reason="network_not_allowed", key=key)
            raise KeyRefused(key, "network_not_allowed")
        if permission is not None and not reach.permits(permission):
            self.record_use(key, ip=ip, user_agent=user_agent, permission=permission, refused=True)
            signals.key_rejected.send(sender, reason="insufficient_scope", key=key)
            raise KeyRefused(key, "insufficient_scope", str(permission))
        self.record_use(key, ip=ip, user_agent=user_agent, permission=permission)
        signals.key_authenticated.send(sender, key=key, user=key.owner)
        return key  # type: ignore[no-any-return]

    def identify(self, user: Any | None, token: str) -> SecretKeyMixin | None:
        """The key of ``user``'s (anyone's if None) that ``token`` is, active or revoked."""
        store = self.store
        if not crypto.is_well_formed(token, store.prefix):
            return None
        Key = store.model
        digest = crypto.hash_token(token, store.pepper)
        stmt = sa.select(Key).where(Key.token_hash == digest)
        if user is not None:
            stmt = stmt.where(Key.user_id == store.user_id(user))
        return store.session.execute(stmt).scalar_one_or_none()  # type: ignore[no-any-return]

    def record_use(
        self,
        key: SecretKeyMixin,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        permission: Permission | None = None,
        refused: bool = False,
    ) -> bool:
        """Record a use: ``last_used_at`` with the client's address and user agent if it is
        older than the interval, and in the usage record the permission used (or refused)
        and the client's network if either is new or its last time that old; True if
        written.

        A network first used after the key's first day of use is new: the same
        write records a ``new_network`` event and flags it in the usage record
        until the owner acknowledges it, and ``key_used_from_new_network`` is sent.

        Most uses write nothing: what is due is decided from the row the lookup
        read. When a write is due, one conditional UPDATE on its own short
        transaction lets exactly one of several concurrent requests (or workers)
        win: it matches the usage record as read, so no racing write is lost
        silently (the loser's news is written by a later use). It leaves the
        host's session alone. A refused request changes only the usage record.
        The write is bookkeeping: if it fails (a lock timeout, a read-only
        database), the failure is logged, without the key, and the request goes on.
        """
        store = self.store
        now = models.utcnow()
        interval = store.last_used_interval
        last = key.last_used_at
        stale = not refused and (last is None or now - last >= interval)
        usage = usage_of(key.usage_record)
        name = None if permission is None else str(permission)
        network = client_network(ip)
        seconds = int(now.timestamp())
        news = usage.is_due(name, network, refused, seconds, int(interval.total_seconds()))
        if not stale and not news:
            return False
        table: sa.Table = store.model.__table__  # type: ignore[attr-defined]
        record = usage.with_request(name, network, refused, seconds).to_text() if news else None
        address = (ip or "")[:IP_MAX_LENGTH] or None
        agent = (user_agent or "")[:USER_AGENT_MAX_LENGTH] or None
        event = None
        if not refused and usage.is_new_network(network, seconds):
            event = self.events.values(
                key,
                "new_network",
                Actor.system(KEY_USE, ip=address, user_agent=agent),
                at=now,
                network=network,
                address=address,
                user_agent=agent,
            )
        old = key.usage_record
        where = [
            table.c.id == key.id,
            table.c.usage_record.is_(None) if old is None else table.c.usage_record == old,
        ]
        # Setting updated_at to itself keeps its onupdate default from firing:
        # using a key is not editing it.
        values: dict[str, Any] = {"updated_at": table.c.updated_at}
        if record is not None:
            values["usage_record"] = record
        else:
            cutoff = now - interval
            where.append(sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at < cutoff))
        if not refused:
            values.update(last_used_at=now, last_used_ip=address, last_used_user_agent=agent)
        try:
            with store.engine_for(store.model).begin() as connection:
                result = connection.execute(sa.update(table).where(*where).values(**values))
                if event is not None and result.rowcount:
                    # In the same transaction: the one request that wins the
                    # update records the event, and a failed insert undoes both.
                    events: sa.Table = store.event_model.__table__  # type: ignore[attr-defined]
                    connection.execute(sa.insert(events).values(**event))
        except BOOKKEEPING_ERRORS as error:
            app().logger.warning(
                "Could not record the use of secret API key %s: %s: %s",
                key.id,
                type(error).__name__,
                getattr(error, "orig", None) or "no detail",
            )
            return False
        written = bool(result.rowcount)
        if written:
            for column, value in values.items():
                if column != "updated_at":
                    orm.attributes.set_committed_value(key, column, value)
            if event is not None:
                signals.key_used_from_new_network.send(
                    app(), key=key, address=address, user_agent=agent
                )
        return written

    def acknowledge_new_networks(self, key: SecretKeyMixin, through: dt.datetime) -> bool:
        """Clear ``key``'s new networks first used at ``through`` or before; True if any was.

        The owner acknowledges what the page showed them, so a network that
        appeared since stays flagged. The same conditional UPDATE as a use's
        write: if a use rewrote the record meanwhile, it is read again.
        """
        store = self.store
        table: sa.Table = store.model.__table__  # type: ignore[attr-defined]
        seconds = int(through.timestamp())
        with store.engine_for(store.model).begin() as connection:
            for _attempt in range(ACKNOWLEDGE_ATTEMPTS):
                old = connection.execute(
                    sa.select(table.c.usage_record).where(table.c.id == key.id)
                ).scalar_one_or_none()
                usage = Usage.from_text(old)
                kept = usage.acknowledged(seconds)
                if kept == usage:
                    return False
                record = kept.to_text()
                result = connection.execute(
                    sa.update(table)
                    .where(
                        table.c.id == key.id,
                        table.c.usage_record.is_(None)
                        if old is None
                        else table.c.usage_record == old,
                    )
                    .values(usage_record=record, updated_at=table.c.updated_at)
                )
                if result.rowcount:
                    orm.attributes.set_committed_value(key, "usage_record", record)
                    return True
        return False

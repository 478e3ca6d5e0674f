"""Verifying a presented key: one indexed lookup and one fast hash, and the throttled use record."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from .. import crypto, models, signals
from ..models import IP_MAX_LENGTH, USER_AGENT_MAX_LENGTH, SecretKeyMixin
from .store import BOOKKEEPING_ERRORS, Store, app


class Verifier:
    """Authenticates tokens and records, now and then, that a key was used."""

    def __init__(self, store: Store) -> None:
        self.store = store

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
        self, token: str, *, ip: str | None = None, user_agent: str | None = None
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
        self.record_use(key, ip=ip, user_agent=user_agent)
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
        self, key: SecretKeyMixin, *, ip: str | None = None, user_agent: str | None = None
    ) -> bool:
        """Set ``last_used_at``, with the client's address and user agent, if it is older
        than the interval; True if written.

        Most uses write nothing. When a write is due, a conditional UPDATE on
        its own short transaction lets exactly one of several concurrent
        requests (or workers) win, and leaves the host's session alone. The
        write is bookkeeping: if it fails (a lock timeout, a read-only
        database), the failure is logged, without the key, and the request
        goes on.
        """
        store = self.store
        now = models.utcnow()
        last = key.last_used_at
        if last is not None and now - last < store.last_used_interval:
            return False
        table: sa.Table = store.model.__table__  # type: ignore[attr-defined]
        cutoff = now - store.last_used_interval
        address = (ip or "")[:IP_MAX_LENGTH] or None
        agent = (user_agent or "")[:USER_AGENT_MAX_LENGTH] or None
        try:
            with store.engine_for(store.model).begin() as connection:
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
            orm.attributes.set_committed_value(key, "last_used_at", now)
            orm.attributes.set_committed_value(key, "last_used_ip", address)
            orm.attributes.set_committed_value(key, "last_used_user_agent", agent)
        return written

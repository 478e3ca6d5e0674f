"""The audit trail: recording events in the change's own transaction, reading and pruning them."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import sqlalchemy as sa

from .. import models
from ..models import (
    ACTOR_NAME_MAX_LENGTH,
    EVENT_KINDS,
    MAX_KEY_ID,
    KeyEventMixin,
    SecretKeyMixin,
)
from ..rules import Actor
from .store import BOOKKEEPING_ERRORS, Store, app

#: How often, at most, one process deletes events older than the retention.
PRUNE_EVERY = dt.timedelta(hours=1)


class EventLog:
    """A key's events: what happened, when, and who acted."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._next_prune = 0.0

    def record(
        self,
        key: SecretKeyMixin,
        event: str,
        actor: Actor | None = None,
        *,
        at: dt.datetime | None = None,
        **detail: Any,
    ) -> KeyEventMixin:
        """Add an event about ``key`` to the session, to commit with the change it records.

        ``detail`` holds the event's own facts (``old_title`` and
        ``new_title`` of a rename), stored as JSON: never a key or a hash.
        ``at`` is when it happened, now unless told. The caller commits; a
        failed commit loses the change and its event alike.
        """
        record = self.store.event_model(**self.values(key, event, actor, at=at, **detail))
        self.store.session.add(record)
        return record

    def values(
        self,
        key: SecretKeyMixin,
        event: str,
        actor: Actor | None = None,
        *,
        at: dt.datetime | None = None,
        **detail: Any,
    ) -> dict[str, Any]:
        """The columns of an event about ``key``, for :meth:`record` or an INSERT of its own."""
        if event not in EVENT_KINDS:
            raise ValueError(f"Unknown key event {event!r}; events are {', '.join(EVENT_KINDS)}.")
        actor = actor or Actor.system()
        actor_id = actor_name = None
        if actor.user is not None:
            actor_id = self.store.user_id(actor.user)
            actor_name = self.store.user_name(actor.user)
        elif actor.name is not None:
            actor_name = actor.name
        return {
            "key_id": key.id,
            "event": event,
            "at": at or models.utcnow(),
            "actor_kind": actor.kind,
            "actor_id": actor_id,
            "actor_name": (actor_name or "")[:ACTOR_NAME_MAX_LENGTH] or None,
            "ip": actor.ip,
            "user_agent": actor.user_agent,
            "key_title": key.title,
            "key_redacted": key.redacted,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        }

    def _kept_since(self) -> dt.datetime | None:
        retention = self.store.event_retention
        return None if retention is None else models.utcnow() - retention

    def events_of(self, key_id: int, limit: int | None = None) -> list[KeyEventMixin]:
        """A key's events within the retention, newest first; also after the key is deleted."""
        if not 0 < key_id <= MAX_KEY_ID:
            return []
        Event = self.store.event_model
        stmt = sa.select(Event).where(Event.key_id == key_id)
        since = self._kept_since()
        if since is not None:
            stmt = stmt.where(Event.at >= since)
        stmt = stmt.order_by(Event.at.desc(), Event.id.desc()).limit(limit)
        return list(self.store.session.execute(stmt).scalars())

    def prune(self) -> int:
        """Delete the events older than the retention, in one statement; returns how many.

        Runs on a connection of its own, so the host's session is left alone.
        """
        since = self._kept_since()
        if since is None:
            return 0
        table: sa.Table = self.store.event_model.__table__  # type: ignore[attr-defined]
        with self.store.engine_for(self.store.event_model).begin() as connection:
            result = connection.execute(sa.delete(table).where(table.c.at < since))
        return int(result.rowcount)

    def prune_now_and_then(self) -> None:
        """After a new key, prune old events, at most once per :data:`PRUNE_EVERY` per process.

        Done after the key's own commit, on a transaction of its own, so it
        never delays or fails the action; a failure is logged and retried later.
        """
        if self.store.event_retention is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_EVERY.total_seconds()
        try:
            self.prune()
        except BOOKKEEPING_ERRORS as error:
            app().logger.warning(
                "Could not delete old secret API key events: %s: %s",
                type(error).__name__,
                getattr(error, "orig", None) or "no detail",
            )

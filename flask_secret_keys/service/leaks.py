"""Leaked keys: finding the keys that leaked secrets belong to, and revoking them as leaked.

A leak is reported by GitHub's secret scanning, by anyone through the public
report endpoint, or by an operator on the command line; each revokes the key
at once, records a ``leaked`` event with where it was found, and sends
``key_revoked`` and ``key_leaked``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm

from .. import crypto, models, signals
from ..models import SecretKeyMixin
from ..rules import Actor
from .events import EventLog
from .revocation import Revocations
from .store import Store, app

#: Tokens looked up per statement.
BATCH = 500


class LeakReport(NamedTuple):
    """A key found leaked, and where: ``source`` (GitHub's kind of place, such as
    ``"commit"``, or ``"report"``, ``"command_line"``) and ``url`` when known.

    .. versionadded:: 0.3.0
    """

    key: SecretKeyMixin
    source: str
    url: str | None = None


class Leaks:
    """Matching leaked secrets to keys, and revoking those that still work."""

    def __init__(self, store: Store, events: EventLog, revocations: Revocations) -> None:
        self.store = store
        self.events = events
        self.revocations = revocations

    def match(self, tokens: Iterable[str]) -> dict[str, SecretKeyMixin]:
        """The keys that ``tokens`` are, whatever their state, by token.

        Malformed tokens cost nothing; the others one statement per
        :data:`BATCH`. The hash is matched, never selected: the statement
        returns, for each key found, the position of its token in the batch.
        """
        store = self.store
        Key = store.model
        wanted = list(dict.fromkeys(t for t in tokens if crypto.is_well_formed(t, store.prefix)))
        found: dict[str, SecretKeyMixin] = {}
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            digests = {crypto.hash_token(token, store.pepper): i for i, token in enumerate(batch)}
            position = sa.case(digests, value=Key.token_hash)
            rows = store.session.execute(
                sa.select(Key, position).where(Key.token_hash.in_(list(digests)))
            )
            for key, index in rows:
                found[batch[index]] = key
        return found

    def revoke_leaked(self, reports: Sequence[LeakReport], actor: Actor) -> list[SecretKeyMixin]:
        """Revoke now each reported key that still works, as leaked; returns those revoked.

        One conditional UPDATE per key makes a race with a roll, a revocation
        or another report revoke it once; a key that no longer works (revoked,
        expired, dormant) is left as it is and gets no event. One commit for all.
        """
        store = self.store
        now = models.utcnow()
        session = store.session
        revoked: list[LeakReport] = []
        for report in reports:
            result = session.execute(
                self.revocations.update(
                    report.key.id,
                    now,
                    None,
                    now,
                    store.revocable(now),
                    store.unexpired(now),
                )
            )
            if result.rowcount:
                detail: dict[str, Any] = {"source": report.source}
                if report.url:
                    detail["url"] = report.url
                self.events.record(report.key, "leaked", actor, **detail)
                revoked.append(report)
        session.commit()
        sender = app()
        for key, source, url in revoked:
            signals.key_revoked.send(sender, key=key, actor=actor)
            signals.key_leaked.send(sender, key=key, url=url, source=source, actor=actor)
        return [report.key for report in revoked]

    def dormant(self, unused_for: dt.timedelta) -> list[SecretKeyMixin]:
        """Keys not revoked nor expired, unused for ``unused_for`` (never used: since creation)."""
        store = self.store
        Key = store.model
        now = models.utcnow()
        stmt = (
            sa.select(Key)
            .options(orm.joinedload(Key.owner))
            .where(
                sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now),
                store.unexpired(now, dormancy=False),
                sa.not_(store.used_since(now - unused_for)),
            )
            .order_by(Key.id)
        )
        return list(store.session.execute(stmt).scalars())

"""Narrowing a key's reach in place: only ever narrower, recorded as a ``restricted`` event.

A wider reach needs a new secret, so it takes a roll. Two concurrent changes
cannot add up to a wider key: the UPDATE matches the restrictions it was
checked against, and a change that lost the race is checked again against
what won.
"""

from __future__ import annotations

import sqlalchemy as sa
from babel.support import LazyProxy

from .. import models, signals
from ..errors import KeyNotFound, KeyNotRestrictable, WouldWiden
from ..i18n import lazy_gettext
from ..models import SecretKeyMixin
from ..reach import Reach, reach_of, widenings
from ..rules import Actor
from .events import EventLog
from .store import Store, app

#: How many times a restriction that lost a race is checked again before giving up.
_ATTEMPTS = 3


def same_restrictions(store: Store, key: SecretKeyMixin) -> list[sa.ColumnElement[bool]]:
    """The SQL conditions for a row whose restrictions are still ``key``'s as read."""
    Key = store.model
    return [
        Key.permissions.is_(None)
        if key.permissions is None
        else Key.permissions == key.permissions,
        Key.allowed_networks.is_(None)
        if key.allowed_networks is None
        else Key.allowed_networks == key.allowed_networks,
    ]


def widening_message(gained: list[str]) -> LazyProxy:
    """Why a change was refused: what it would add, and that a roll is the way to add it."""
    return lazy_gettext(
        "Restrictions can only narrow a key's reach, and this would add %(gained)s."
        " To widen it, roll the key: its successor is a new secret, and can be given"
        " wider restrictions.",
        gained=", ".join(gained),
    )


class Restrictions:
    """Narrowing keys in place."""

    def __init__(self, store: Store, events: EventLog) -> None:
        self.store = store
        self.events = events

    def restrict(self, key: SecretKeyMixin, reach: Reach, actor: Actor | None) -> SecretKeyMixin:
        """Give ``key`` the narrower ``reach``; see :meth:`KeyService.restrict`."""
        store = self.store
        Key = store.model
        session = store.session
        # Read once: after a rollback ``key`` is expired, and reading it would reload a
        # row another request may have deleted.
        key_id = key.id
        for _attempt in range(_ATTEMPTS):
            before = reach_of(key)
            gained = widenings(before, reach)
            if gained:
                raise WouldWiden(widening_message(gained))
            now = models.utcnow()
            if store.status_of(key, now) not in ("active", "revoking"):
                raise KeyNotRestrictable()
            if reach == before:
                return key
            permissions, networks = reach.to_columns()
            result = session.execute(
                sa.update(Key)
                .where(
                    Key.id == key_id,
                    *same_restrictions(store, key),
                    store.revocable(now),
                    store.unexpired(now),
                )
                .values(permissions=permissions, allowed_networks=networks, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount:
                self.events.record(
                    key, "restricted", actor, before=before.to_json(), after=reach.to_json()
                )
                session.commit()
                session.refresh(key)
                signals.key_restricted.send(
                    app(), key=key, before=before, after=reach, actor=actor or Actor.system()
                )
                return key
            # Changed meanwhile (restricted, rolled, revoked): check again against what won.
            session.rollback()
            if session.get(Key, key_id) is None:
                raise KeyNotFound()
            session.refresh(key)
        raise WouldWiden(
            lazy_gettext("The key's restrictions keep changing: reload and try again.")
        )

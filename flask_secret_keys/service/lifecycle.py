"""Making and changing keys: create, roll, rename.

Each operation commits its own transaction on the host's ``db.session``,
together with the events that record it, and every rule a race could break is
also enforced by the database (see :class:`~flask_secret_keys.models.SecretKeyMixin`).
Every path that makes a working key checks the host's admin predicate.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import crypto, models, signals
from ..errors import (
    ActiveKeyExists,
    InvalidLifetime,
    KeyNotFound,
    KeyNotRollable,
    NotAnAdmin,
)
from ..i18n import lazy_gettext
from ..models import SecretKeyMixin
from ..reach import Reach, reach_of
from ..rules import Actor, check_delay, clean_title, describe_duration
from .events import EventLog
from .reading import Reader
from .restrictions import same_restrictions
from .revocation import Revocations
from .store import Store, app, plus

#: Why a key that is no longer active cannot be rolled, by its status.
_NOT_ROLLABLE = {
    "revoking": lazy_gettext(
        "Only an active secret API key can be rolled: this one is scheduled for revocation."
    ),
    "revoked": lazy_gettext("Only an active secret API key can be rolled: this one is revoked."),
    "expired": lazy_gettext("Only an active secret API key can be rolled: this one is expired."),
}


class Lifecycle:
    """The operations that make a working key, and renaming."""

    def __init__(
        self, store: Store, reader: Reader, events: EventLog, revocations: Revocations
    ) -> None:
        self.store = store
        self.reader = reader
        self.events = events
        self.revocations = revocations

    # Checks

    def check_expiry(self, expires_at: dt.datetime | None, now: dt.datetime) -> None:
        """Refuse an expiry in the past, or beyond the maximum lifetime."""
        max_lifetime = self.store.max_lifetime
        if expires_at is None:
            if max_lifetime is not None:
                raise InvalidLifetime(
                    lazy_gettext(
                        "Keys must expire: choose an expiry within %(duration)s.",
                        duration=describe_duration(max_lifetime),
                    )
                )
            return
        if expires_at <= now:
            raise InvalidLifetime(lazy_gettext("The expiry must be in the future."))
        if max_lifetime is not None and expires_at > now + max_lifetime:
            raise InvalidLifetime(
                lazy_gettext(
                    "Keys can live at most %(duration)s: choose an earlier expiry.",
                    duration=describe_duration(max_lifetime),
                )
            )

    def _owner_detail(self, user: Any) -> dict[str, Any]:
        """Who a new key is for, as its ``created`` event keeps it: the owner's id and name.

        So that a key whose owner row was later replaced by another user with
        the same id can be told (``flask secret-keys check-owners``).
        """
        return {"owner_id": str(self.store.user_id(user)), "owner": self.store.user_name(user)}

    def _check_admin(self, user: Any) -> None:
        if user is None or not self.store.is_admin(user):
            raise NotAnAdmin()

    # Making keys

    def create(
        self,
        user: Any,
        title: str | None,
        expires_at: dt.datetime | None,
        actor: Actor | None,
        reach: Reach | None = None,
    ) -> tuple[SecretKeyMixin, str]:
        """Create a key for ``user``; see :meth:`KeyService.create`."""
        title = clean_title(title)
        now = models.utcnow()
        self.check_expiry(expires_at, now)
        self._check_admin(user)
        self.revocations.settle(user)
        session = self.store.session
        holder = self.reader.slot_holder(user)
        if holder is not None:
            if self.store.status_of(holder, now) in ("active", "revoking"):
                raise ActiveKeyExists(holder)
            self._release(holder)
        reach = reach or Reach()
        key, token = self._new_key(user, title, expires_at, now, reach)
        with self._refusing_a_second_active_key(user):
            # The key's id is needed for its event: flush it, in the same transaction.
            session.flush()
            self.events.record(
                key, "created", actor, **self._owner_detail(user), **_restrictions_detail(reach)
            )
            session.commit()
        signals.key_created.send(app(), key=key, user=user, actor=actor or Actor.system())
        self.events.prune_now_and_then()
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
            self.store.session.rollback()
            existing = self.reader.active_key(user)
            if existing is None:
                raise
            raise ActiveKeyExists(existing) from None

    def _release(self, expired: SecretKeyMixin) -> None:
        """Take an expired key out of the active slot, in the open transaction.

        Time passing changes no row, so an expired key keeps the marker until
        a new key needs it. The UPDATE goes by primary key, locking that row
        alone (a range lock on the unique index would let racing creates
        deadlock on MariaDB); the unique index still decides between racers.
        """
        Key = self.store.model
        # A key past the maximum lifetime may have no expiry of its own; it
        # gets the one it reached, as the check constraint wants.
        self.store.session.execute(
            sa.update(Key)
            .where(Key.id == expired.id, Key.active_owner_id.is_not(None))
            .values(active_owner_id=None, expires_at=self.store.ends_at(expired))
            .execution_options(synchronize_session=False)
        )

    def _new_key(
        self,
        user: Any,
        title: str,
        expires_at: dt.datetime | None,
        now: dt.datetime,
        reach: Reach,
    ) -> tuple[SecretKeyMixin, str]:
        """A new active key for ``user``, added to the session but not committed."""
        store = self.store
        token = crypto.generate_token(store.prefix)
        owner_id = store.user_id(user)
        permissions, networks = reach.to_columns()
        key = store.model(
            permissions=permissions,
            allowed_networks=networks,
            user_id=owner_id,
            active_owner_id=owner_id,
            title=title,
            redacted=crypto.redact(token, store.prefix),
            token_hash=crypto.hash_token(token, store.pepper),
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
        )
        store.session.add(key)
        return key, token

    def roll(
        self,
        key: SecretKeyMixin,
        grace: dt.timedelta,
        actor: Actor | None,
        reach: Reach | None = None,
    ) -> tuple[SecretKeyMixin, str]:
        """Replace an active key by a successor; see :meth:`KeyService.roll`."""
        check_delay(grace, "grace")
        store = self.store
        Key = store.model
        now = models.utcnow()
        session = store.session
        key_id, title, owner = key.id, key.title, key.owner
        self._check_admin(owner)
        # The successor carries the restrictions as read; the UPDATE below checks
        # they are still the key's, so a concurrent narrowing is never undone.
        successor_reach = reach_of(key) if reach is None else reach
        expires_at = key.expires_at
        if expires_at is not None:
            expires_at = plus(now, expires_at - key.created_at)
        if store.max_lifetime is not None and (
            expires_at is None or expires_at > now + store.max_lifetime
        ):
            expires_at = now + store.max_lifetime
        self.revocations.settle(owner)
        by = None if actor is None else actor.user
        result = session.execute(
            self.revocations.update(
                key_id,
                now + grace,
                by,
                now,
                Key.revoked_at.is_(None),
                Key.active_owner_id.is_not(None),
                store.unexpired(now),
                *same_restrictions(store, key),
            )
        )
        if result.rowcount == 0:
            session.rollback()
            current = session.get(Key, key_id)
            if current is None:
                raise KeyNotFound()
            status = store.status_of(current, now)
            if status == "active":
                raise KeyNotRollable(
                    lazy_gettext(
                        "The key's restrictions changed meanwhile: review them and roll again."
                    )
                )
            raise KeyNotRollable(_NOT_ROLLABLE.get(status, KeyNotRollable.message))
        # At most one key of a user is in its grace period: a previous roll's
        # (or a scheduled revocation's) remaining time ends now.
        ended = self.revocations.end_other_graces(owner, key_id, by, now)
        successor, token = self._new_key(owner, title, expires_at, now, successor_reach)
        with self._refusing_a_second_active_key(owner):
            session.flush()
            for other in ended:
                self.events.record(other, "revoked", actor, superseded_by=successor.redacted)
            self.events.record(
                key,
                "rolled",
                actor,
                replacement=successor.redacted,
                successor_id=successor.id,
                revoke_at=(now + grace).isoformat(),
            )
            self.events.record(
                successor,
                "created",
                actor,
                rolled_from=key.redacted,
                rolled_from_id=key_id,
                **self._owner_detail(owner),
                **_restrictions_detail(successor_reach),
            )
            session.commit()
        session.refresh(key)
        actor = actor or Actor.system()
        sender = app()
        for other in ended:
            signals.key_revoked.send(sender, key=other, actor=actor)
        signals.key_rolled.send(sender, key=key, successor=successor, grace=grace, actor=actor)
        if grace:
            signals.key_revocation_scheduled.send(sender, key=key, at=key.revoked_at, actor=actor)
        else:
            signals.key_revoked.send(sender, key=key, actor=actor)
        return successor, token

    # Changing keys

    def rename(self, key: SecretKeyMixin, title: str | None, actor: Actor | None) -> SecretKeyMixin:
        """Change the title, the one thing about a key that can be edited."""
        title = clean_title(title)
        old_title = key.title
        if title != old_title:
            key.title = title
            self.events.record(key, "renamed", actor, old_title=old_title, new_title=title)
            self.store.session.commit()
            signals.key_title_changed.send(
                app(), key=key, old_title=old_title, actor=actor or Actor.system()
            )
        return key


def _restrictions_detail(reach: Reach) -> dict[str, Any]:
    """A created event's record of the key's restrictions; nothing for Full access anywhere."""
    return {} if reach == Reach() else {"restrictions": reach.to_json()}

"""The rules of secret API keys, in parts: reading, making, ending, events, verification.

This layer knows the database but not HTTP: the HTTP layer passes the client's
address and user agent in (:meth:`Actor.for_user`, :meth:`KeyService.authenticate`),
and says who acts with a keyword-only ``actor`` on every change. Each change
commits its own transaction on the host's ``db.session``, together with the
event that records it.

:class:`KeyService` is what hosts use, as ``secret_keys.service``; the parts
it is made of (:mod:`.reading`, :mod:`.lifecycle`, :mod:`.revocation`,
:mod:`.events`, :mod:`.verification`) share one ``Store``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask_sqlalchemy.pagination import Pagination

from .. import models
from ..models import KeyEventMixin, SecretKeyMixin
from ..reach import Permission, Reach
from ..rules import (
    DIRECTIONS,
    EXPIRY_WARNING,
    MAX_DELAY,
    MAX_DURATION,
    SORT_FIELDS,
    STATUSES,
    Actor,
    Direction,
    KeyQuery,
    SortField,
    Status,
    clean_operator,
    clean_title,
    describe_duration,
    parse_duration,
)
from .events import PRUNE_EVERY, EventLog
from .leaks import LeakReport, Leaks
from .lifecycle import Lifecycle
from .reading import Reader
from .restrictions import Restrictions
from .revocation import Revocations
from .store import Store, plus
from .verification import Verifier

__all__ = [
    "DIRECTIONS",
    "EXPIRY_WARNING",
    "MAX_DELAY",
    "MAX_DURATION",
    "PRUNE_EVERY",
    "SORT_FIELDS",
    "STATUSES",
    "Actor",
    "Direction",
    "KeyQuery",
    "KeyService",
    "LeakReport",
    "Permission",
    "Reach",
    "SortField",
    "Status",
    "clean_operator",
    "clean_title",
    "describe_duration",
    "parse_duration",
]


class KeyService:
    """Secret API key operations for one app's settings.

    Every operation reads the time from :func:`flask_secret_keys.models.utcnow`,
    the one clock of the package, so all of them agree on "now". It takes, as
    keywords, the host's ``db``, the two models (``model``, ``event_model``), the
    host's ``user_id``, ``user_name`` and ``is_admin`` functions and the key
    settings (``prefix``, ``pepper``, ``last_used_interval``,
    ``default_expiration``, ``max_lifetime``, ``event_retention``,
    ``unused_after``); :class:`~flask_secret_keys.SecretKeys` builds it.

    .. versionchanged:: 0.3.0
       Every change takes a keyword-only ``actor`` (``by=`` is gone), and
       :meth:`create` takes ``expires_at`` as a keyword (:meth:`default_expiry`
       gives the app's default). ``unused_after`` makes keys unused that long
       dormant.
    """

    def __init__(self, **settings: Any) -> None:
        # The parts, undocumented: hosts use the methods below.
        self.store = Store(**settings)
        self.reader = Reader(self.store)
        self.events = EventLog(self.store)
        self.revocations = Revocations(self.store, self.reader, self.events)
        self.lifecycle = Lifecycle(self.store, self.reader, self.events, self.revocations)
        self.verifier = Verifier(self.store, self.events)
        self.restrictions = Restrictions(self.store, self.events)
        self.leaks = Leaks(self.store, self.events, self.revocations)

    @property
    def model(self) -> type[SecretKeyMixin]:
        """The key model."""
        return self.store.model

    @property
    def event_model(self) -> type[KeyEventMixin]:
        """The event model."""
        return self.store.event_model

    # Reading

    def key_of(self, user: Any, key_id: int) -> SecretKeyMixin:
        """One of ``user``'s keys, or :class:`~.errors.KeyNotFound` (also for other users' keys).

        .. versionchanged:: 0.2.0
           Renamed from ``get``.
        """
        return self.reader.key_of(user, key_id)

    def key_by_id(self, key_id: int) -> SecretKeyMixin:
        """Any user's key by id, for oversight and the CLI, or :class:`~.errors.KeyNotFound`.

        .. versionadded:: 0.2.0
        """
        return self.reader.key_by_id(key_id)

    def active_key(self, user: Any) -> SecretKeyMixin | None:
        """The user's active key, if there is one (an expired key is not, marked or not)."""
        return self.reader.active_key(user)

    def keys_of(self, user: Any) -> list[SecretKeyMixin]:
        """All of ``user``'s keys, newest first."""
        return self.reader.keys_of(user)

    def working_keys_of(self, user: Any) -> list[SecretKeyMixin]:
        """``user``'s keys that still authenticate (active, or scheduled for revocation)."""
        return self.reader.working_keys_of(user)

    def search(self, user: Any, query: KeyQuery) -> Pagination:
        """A page of ``user``'s keys: two statements, an items query and a count.

        A revocation on the page that took effect by the clock is recorded
        first (see :meth:`settle`).

        .. versionchanged:: 0.2.0
           Renamed from ``list``; takes a :class:`KeyQuery`.
        """
        page = self.reader.search(user, query)
        self.settle(among=page.items)
        return page

    def search_all(self, query: KeyQuery, owners: Sequence[Any] | None = None) -> Pagination:
        """A page of every user's keys (or only ``owners``'), owners joined in: two statements.

        Settles the page's due revocations like :meth:`search`.

        .. versionadded:: 0.2.0
        """
        page = self.reader.search_all(query, owners)
        self.settle(among=page.items)
        return page

    def expiring(self, within: dt.timedelta) -> list[SecretKeyMixin]:
        """Every user's working keys that expire or are revoked within ``within``, soonest first.

        .. versionadded:: 0.2.0
        """
        return self.reader.expiring(within)

    def iter_all(self) -> Iterator[SecretKeyMixin]:
        """Every key, owners joined in, oldest first, read in batches."""
        return self.reader.iter_all()

    def status_of(self, key: SecretKeyMixin) -> str:
        """``key``'s status now (``"active"``, ``"revoking"``, ``"expired"``, ``"dormant"`` or
        ``"revoked"``), counting the maximum lifetime and ``SECRET_KEYS_REVOKE_UNUSED_AFTER``.

        .. versionadded:: 0.3.0
        """
        return self.store.status_of(key, models.utcnow())

    def ends_at(self, key: SecretKeyMixin) -> dt.datetime | None:
        """When ``key`` expires: its expiry, or its creation plus the maximum lifetime if sooner.

        .. versionadded:: 0.3.0
        """
        return self.store.ends_at(key)

    # Changing

    def default_expiry(self) -> dt.datetime | None:
        """When a key made now expires by the app's default (``SECRET_KEYS_DEFAULT_EXPIRATION``).

        .. versionadded:: 0.3.0
        """
        default = self.store.default_expiration
        return None if default is None else plus(models.utcnow(), default)

    def create(
        self,
        user: Any,
        title: str | None,
        *,
        expires_at: dt.datetime | None = None,
        actor: Actor | None = None,
        reach: Reach | None = None,
    ) -> tuple[SecretKeyMixin, str]:
        """Create a key for ``user``; returns the key and its plaintext token.

        ``expires_at`` is when the key stops working; None, the default, means
        never (refused when the app has a maximum lifetime); pass
        :meth:`default_expiry` for the app's default. The plaintext exists only
        in this return value: show it once, store it nowhere. ``actor`` is who
        creates it (the system when not given). Refuses a user who is not an
        admin (:class:`~.errors.NotAnAdmin`) or who has an active key
        (:class:`~.errors.ActiveKeyExists`). ``reach`` is what the key may do and
        from where (:class:`~flask_secret_keys.reach.Reach`); Full access from
        anywhere when not given.

        .. versionchanged:: 0.3.0
           Takes ``reach``.
        """
        return self.lifecycle.create(user, title, expires_at, actor, reach)

    def roll(
        self,
        key: SecretKeyMixin,
        grace: dt.timedelta,
        *,
        actor: Actor | None = None,
        reach: Reach | None = None,
    ) -> tuple[SecretKeyMixin, str]:
        """Replace an active key by a successor; the old one is revoked after ``grace``.

        Both keys work during the grace period (at most
        :data:`~flask_secret_keys.rules.MAX_DELAY`); the successor is the
        owner's active key at once, with the old key's
        lifetime within the maximum. A user has one key in grace at most:
        rolling again ends the previous grace period at once. An owner who is
        no longer an admin gets no successor (:class:`~.errors.NotAnAdmin`).
        The successor keeps the key's restrictions, or gets ``reach`` (wider
        too: it is a new secret); a key whose restrictions changed since it was
        read is not rolled (:class:`~.errors.KeyNotRollable`). Returns the
        successor and its plaintext, to show once.

        .. versionadded:: 0.2.0
        .. versionchanged:: 0.3.0
           Takes ``reach``.
        """
        return self.lifecycle.roll(key, grace, actor, reach)

    def restrict(
        self, key: SecretKeyMixin, reach: Reach, *, actor: Actor | None = None
    ) -> SecretKeyMixin:
        """Narrow ``key``'s reach in place: lower levels, fewer resources, Full access to
        Restricted, fewer or narrower networks, anywhere to a list.

        A reach that widens anything is refused with :class:`~.errors.WouldWiden`,
        whose message says to roll the key; a key that no longer works with
        :class:`~.errors.KeyNotRestrictable`. Of two concurrent changes, the
        later is checked against the earlier, so together they never widen.
        Records a ``restricted`` event (``before`` and ``after``) and sends
        ``key_restricted``; the same reach again changes nothing.

        .. versionadded:: 0.3.0
        """
        return self.restrictions.restrict(key, reach, actor)

    def rename(
        self, key: SecretKeyMixin, title: str | None, *, actor: Actor | None = None
    ) -> SecretKeyMixin:
        """Change the title, the one thing about a key that can be edited."""
        return self.lifecycle.rename(key, title, actor)

    def revoke(
        self, key: SecretKeyMixin, *, at: dt.datetime | None = None, actor: Actor | None = None
    ) -> SecretKeyMixin:
        """Revoke a key for good, now or at ``at``, at most
        :data:`~flask_secret_keys.rules.MAX_DELAY` ahead.

        A scheduled key keeps authenticating until ``at`` but leaves the active
        slot at once, so a successor can be created right away. A revocation
        can be brought forward, never put off; of two racing revocations one
        wins.

        .. versionchanged:: 0.2.0
           ``at`` schedules the revocation for later.
        """
        return self.revocations.revoke(key, at, actor)

    def revoke_all(self, user: Any, *, actor: Actor | None = None) -> list[SecretKeyMixin]:
        """Revoke at once every key of ``user`` that still works; returns those revoked.

        For incident response (a leaked key, an admin who left). Each key gets
        its own ``revoked`` event; a key revoked meanwhile by someone else is
        left out.

        .. versionadded:: 0.2.0
        """
        return self.revocations.revoke_all(user, actor)

    def delete(self, key: SecretKeyMixin, *, actor: Actor | None = None) -> None:
        """Delete a revoked or expired key; one that still works raises
        :class:`~.errors.KeyNotRevoked`. The key's events stay (until the
        retention removes them), with its ``deleted`` event last."""
        self.revocations.delete(key, actor)

    def settle(
        self, user: Any | None = None, *, among: Sequence[SecretKeyMixin] | None = None
    ) -> list[SecretKeyMixin]:
        """Record the revocations that took effect by the clock since they were scheduled.

        Each gets a ``revoked`` event by the system at the time it took
        effect, and ``key_revoked`` is sent, once. ``user`` narrows it to one
        user's keys; ``among`` to the owners of those keys that are due, and
        costs no statement when none is (the pages pass the keys they show).
        Every change to a user's keys settles theirs first, and
        ``flask secret-keys housekeeping`` settles everyone's. Returns the
        keys recorded.

        .. versionadded:: 0.3.0
        """
        if among is None:
            return self.revocations.settle(user)
        return self.revocations.settle_owners_of(among)

    # Leaks

    def match_leaked(self, tokens: Iterable[str]) -> dict[str, SecretKeyMixin]:
        """The keys that leaked ``tokens`` are, by token, whatever their state.

        Malformed tokens cost no statement; the rest one statement per 500.

        .. versionadded:: 0.3.0
        """
        return self.leaks.match(tokens)

    def revoke_leaked(self, reports: Sequence[LeakReport], *, actor: Actor) -> list[SecretKeyMixin]:
        """Revoke now each reported key that still works because it leaked; returns those revoked.

        Each gets a ``leaked`` event with the report's ``source`` and ``url``
        (where it was found), and ``key_revoked`` and ``key_leaked`` are sent.
        A key that no longer works is left as it is; of racing revocations one
        wins.

        .. versionadded:: 0.3.0
        """
        return self.leaks.revoke_leaked(reports, actor)

    def dormant(self, unused_for: dt.timedelta) -> list[SecretKeyMixin]:
        """Every user's keys, not revoked nor expired, unused for ``unused_for`` (never used
        ones since their creation), owners joined in, by id.

        .. versionadded:: 0.3.0
        """
        return self.leaks.dormant(unused_for)

    # Events

    def record_event(
        self, key: SecretKeyMixin, event: str, actor: Actor | None = None, **detail: Any
    ) -> KeyEventMixin:
        """Add an event about ``key`` to the session, to commit with the change it records.

        .. versionadded:: 0.2.0
        """
        return self.events.record(key, event, actor, **detail)

    def events_of(self, key_id: int, limit: int | None = None) -> list[KeyEventMixin]:
        """A key's events within the retention, newest first; also after the key is deleted.

        .. versionadded:: 0.2.0
        """
        return self.events.events_of(key_id, limit)

    def prune_events(self) -> int:
        """Delete the events older than the retention, in one statement; returns how many.

        .. versionadded:: 0.2.0
        """
        return self.events.prune()

    # Verifying

    def authenticate(
        self,
        token: str,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        permission: Permission | None = None,
    ) -> SecretKeyMixin | None:
        """The key a token belongs to, if it may authenticate a request now.

        Malformed tokens are refused without touching the database; others
        cost one lookup by the unique hash index (owner joined in), whatever
        the number of keys. Revocation, expiry and the maximum lifetime are
        read from that same row. ``ip`` and ``user_agent`` are the request's,
        recorded with the throttled "last used" write.

        So are the key's restrictions: a valid key used from outside its allowed
        networks, or without ``permission`` (what the request needs; None checks
        none), raises :class:`~.errors.KeyRefused`. The permission used or
        refused and the client's network go into the key's usage record, in
        the same throttled write.

        .. versionchanged:: 0.3.0
           Takes the client's address and agent as arguments, and ``permission``.
        """
        return self.verifier.authenticate(
            token, ip=ip, user_agent=user_agent, permission=permission
        )

    def acknowledge_new_networks(self, key: SecretKeyMixin, *, through: dt.datetime) -> bool:
        """Clear the flag of the new networks ``key`` was first used from at ``through`` or
        before, as its owner acknowledges them; True if any was flagged.

        A use from a network the key never used, after its first day of use,
        flags it (and records a ``new_network`` event); the details page shows
        it until then.

        .. versionadded:: 0.3.0
        """
        return self.verifier.acknowledge_new_networks(key, through)

    def identify(self, user: Any | None, token: str) -> SecretKeyMixin | None:
        """The key of ``user``'s that ``token`` is, active or revoked; None otherwise.

        For an owner who holds a secret and wants to know which key it is;
        ``user=None`` looks among every user's keys (for overseers). A
        malformed token costs no statement; others one lookup by the unique
        hash index. Another user's key is None, exactly like an unknown one,
        and nothing is recorded: this is not a use of the key.

        .. versionadded:: 0.2.0
        """
        return self.verifier.identify(user, token)

"""Reading keys: one key, a user's keys, the lists of the pages, what expires soon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import orm

from .. import models
from ..errors import KeyNotFound
from ..models import MAX_KEY_ID, SecretKeyMixin
from ..rules import KeyQuery
from .store import Store


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)


class Reader:
    """Queries over the key table; none of them writes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def keys_where(self, *where: sa.ColumnElement[bool]) -> list[SecretKeyMixin]:
        """The keys that meet every condition, by id."""
        Key = self.store.model
        stmt = sa.select(Key).where(*where).order_by(Key.id)
        return list(self.store.session.execute(stmt).scalars())

    def key_of(self, user: Any, key_id: int) -> SecretKeyMixin:
        """One of ``user``'s keys, or :class:`KeyNotFound` (also for other users' keys)."""
        if not 0 < key_id <= MAX_KEY_ID:
            raise KeyNotFound()
        Key = self.store.model
        key = self.store.session.execute(
            sa.select(Key).where(Key.id == key_id, Key.user_id == self.store.user_id(user))
        ).scalar_one_or_none()
        if key is None:
            raise KeyNotFound()
        return key  # type: ignore[no-any-return]

    def key_by_id(self, key_id: int) -> SecretKeyMixin:
        """Any user's key by id, for oversight and the CLI; :class:`KeyNotFound` if none."""
        if not 0 < key_id <= MAX_KEY_ID:
            raise KeyNotFound()
        key = self.store.session.get(self.store.model, key_id)
        if key is None:
            raise KeyNotFound()
        return key  # type: ignore[no-any-return]

    def active_key(self, user: Any) -> SecretKeyMixin | None:
        """The user's active key, if there is one (an expired key is not, marked or not)."""
        Key = self.store.model
        found = self.keys_where(
            Key.active_owner_id == self.store.user_id(user),
            self.store.unexpired(models.utcnow()),
        )
        return found[0] if found else None

    def slot_holder(self, user: Any) -> SecretKeyMixin | None:
        """The key holding ``user``'s active slot: their active key, or an expired one."""
        Key = self.store.model
        found = self.keys_where(Key.active_owner_id == self.store.user_id(user))
        return found[0] if found else None

    def working_keys_of(self, user: Any) -> list[SecretKeyMixin]:
        """``user``'s keys that still authenticate (active, or scheduled for revocation)."""
        Key = self.store.model
        now = models.utcnow()
        return self.keys_where(
            Key.user_id == self.store.user_id(user),
            sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now),
            self.store.unexpired(now),
        )

    def keys_of(self, user: Any) -> list[SecretKeyMixin]:
        """All of ``user``'s keys, newest first."""
        Key = self.store.model
        return list(
            self.store.session.execute(
                sa.select(Key)
                .where(Key.user_id == self.store.user_id(user))
                .order_by(Key.created_at.desc(), Key.id.desc())
            ).scalars()
        )

    def expiring(self, within: dt.timedelta) -> list[SecretKeyMixin]:
        """Every user's working keys that expire or are revoked within ``within``, soonest first."""
        Key = self.store.model
        now = models.utcnow()
        until = now + within
        ending = [Key.revoked_at <= until, Key.expires_at <= until]
        if self.store.max_lifetime is not None:
            ending.append(Key.created_at <= until - self.store.max_lifetime)
        if self.store.unused_after is not None:
            ending.append(sa.not_(self.store.used_since(until - self.store.unused_after)))
        keys = self.store.session.execute(
            sa.select(Key)
            .options(orm.joinedload(Key.owner))
            .where(
                sa.or_(Key.revoked_at.is_(None), Key.revoked_at > now),
                self.store.unexpired(now),
                sa.or_(*ending),
            )
        ).scalars()
        return sorted(keys, key=lambda key: (self.store.stops_at(key), key.id))

    def iter_all(self) -> Iterator[SecretKeyMixin]:
        """Every key, owners joined in, oldest first, read in batches."""
        Key = self.store.model
        stmt = (
            sa.select(Key)
            .options(orm.joinedload(Key.owner))
            .order_by(Key.id)
            .execution_options(yield_per=500)
        )
        yield from self.store.session.execute(stmt).scalars()

    def search(self, user: Any, query: KeyQuery) -> Pagination:
        """A page of ``user``'s keys: two statements, an items query and a count."""
        Key = self.store.model
        return self._page(sa.select(Key).where(Key.user_id == self.store.user_id(user)), query)

    def search_all(self, query: KeyQuery, owners: Sequence[Any] | None = None) -> Pagination:
        """A page of every user's keys (or only ``owners``'), owners joined in: two statements."""
        Key = self.store.model
        stmt = sa.select(Key).options(orm.joinedload(Key.owner))
        if owners is not None:
            stmt = stmt.where(Key.user_id.in_([self.store.user_id(owner) for owner in owners]))
        return self._page(stmt, query)

    def _page(self, stmt: sa.Select[Any], query: KeyQuery) -> Pagination:
        """``stmt`` narrowed, ordered and paginated as ``query`` says; each key's
        ``leaked`` is read in the same statement."""
        Key = self.store.model
        Event = self.store.event_model
        leaked = sa.select(Event.id).where(Event.key_id == Key.id, Event.event == "leaked").exists()
        stmt = stmt.options(orm.with_expression(Key.leaked, leaked))
        if query.search:
            pattern = f"%{_escape_like(query.search)}%"
            stmt = stmt.where(
                sa.or_(
                    Key.title.ilike(pattern, escape="\\"),
                    Key.redacted.ilike(pattern, escape="\\"),
                )
            )
        if query.status != "all":
            stmt = stmt.where(self.store.status_is(query.status, models.utcnow()))
        if query.created_from is not None:
            stmt = stmt.where(Key.created_at >= _start_of_day(query.created_from))
        if query.created_to is not None and query.created_to < dt.date.max:
            stmt = stmt.where(
                Key.created_at < _start_of_day(query.created_to + dt.timedelta(days=1))
            )
        if query.sort == "status":
            return self._paginate(stmt.order_by(*self._by_status(query.direction)), query)
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
        return self._paginate(stmt, query)

    def _by_status(self, direction: str) -> list[sa.ColumnElement[Any]]:
        """The ORDER BY of a sort by status: active, revoking, expired, revoked (or the
        reverse), each by the time that matters for it: when an active or expired key
        expires, when a revoking or revoked key is or was revoked. Keys without that
        time (no expiry) come last in either direction."""
        Key = self.store.model
        now = models.utcnow()
        revoked = Key.revoked_at <= now
        expired = sa.not_(self.store.unexpired(now))
        rank = sa.case((revoked, 3), (expired, 2), (Key.revoked_at > now, 1), else_=0)
        time = sa.case((rank.in_([1, 3]), Key.revoked_at), else_=Key.expires_at)
        if direction == "desc":
            return [rank.desc(), time.is_(None), time.desc(), Key.id.desc()]
        return [rank.asc(), time.is_(None), time.asc(), Key.id.asc()]

    def _paginate(self, stmt: sa.Select[Any], query: KeyQuery) -> Pagination:
        return self.store.db.paginate(  # type: ignore[no-any-return]
            stmt, page=query.page, per_page=query.per_page, error_out=False
        )

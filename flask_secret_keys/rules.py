"""Value types and rules of keys that need no database: queries, actors, durations, titles,
and what a key may reach (permissions and networks), how that may change, and what it used.

The forms, the settings and the command line check what people type with
these functions before the service sees it, and the service checks again
with the same ones, so the two can never disagree.

.. versionadded:: 0.3.0
   Moved out of :mod:`flask_secret_keys.service`, which still re-exports them.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

from .errors import InvalidLifetime, InvalidRestrictions, InvalidTitle
from .models import (
    ACCESS_LEVELS,
    ACTOR_NAME_MAX_LENGTH,
    IP_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
    level_grants,
    reach_text,
)

Status = Literal["all", "working", "active", "revoking", "expired", "revoked"]
SortField = Literal["title", "created", "last_used", "revoked", "expires", "status"]
Direction = Literal["asc", "desc"]

#: The list's status filters: ``working`` is every key that still authenticates
#: (``active`` and ``revoking``), as "Revoke all working keys" counts them.
STATUSES: tuple[Status, ...] = ("all", "working", "active", "revoking", "expired", "revoked")
#: The list's sort fields: ``status`` orders by status, then by the time that
#: matters for it (when it expires, or is or was revoked).
SORT_FIELDS: tuple[SortField, ...] = (
    "title",
    "created",
    "last_used",
    "revoked",
    "expires",
    "status",
)
DIRECTIONS: tuple[Direction, ...] = ("asc", "desc")

#: The longest grace period of a roll and the longest delay of a scheduled revocation.
MAX_DELAY = dt.timedelta(days=7)
#: The longest duration accepted anywhere (ten years): beyond it a typo is likelier.
MAX_DURATION = dt.timedelta(days=3650)
#: Keys that expire or are revoked within this window are flagged on the pages.
EXPIRY_WARNING = dt.timedelta(days=7)

_DURATION = re.compile(r"([0-9]{1,7})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> dt.timedelta:
    """``"90s"``, ``"15m"``, ``"24h"`` or ``"30d"`` as a timedelta, or :class:`InvalidLifetime`."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidLifetime(
            f"{text!r} is not a duration: give a whole number and a unit, such as 90s, 15m,"
            " 24h or 30d."
        )
    duration = dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if duration > MAX_DURATION:
        raise InvalidLifetime(
            f"{text!r} is too long: the longest duration is {MAX_DURATION.days}d."
        )
    return duration


def describe_duration(duration: dt.timedelta) -> str:
    """A duration in words for messages: "90 days", "1 hour", "45 seconds"."""
    seconds = int(duration.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def check_delay(delay: dt.timedelta, what: str) -> None:
    """Refuse a negative delay, or one longer than :data:`MAX_DELAY`."""
    if delay < dt.timedelta(0):
        raise InvalidLifetime(f"The {what} cannot be negative.")
    if delay > MAX_DELAY:
        raise InvalidLifetime(f"The {what} can be at most {describe_duration(MAX_DELAY)}.")


@dataclass(frozen=True)
class KeyQuery:
    """What a list of keys is narrowed and ordered by."""

    search: str = ""
    status: Status = "all"
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    sort: SortField = "created"
    direction: Direction = "desc"
    page: int = 1
    per_page: int = 20
    #: On the list of every key: who the owner filter names (as the CLI's
    #: ``find_user`` takes it); the view resolves it to a user.
    owner: str = ""


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as an event and a signal record it.

    Build one with :meth:`for_user` (a signed-in user, with the client address
    and user agent of their request, which the HTTP layer passes in),
    :meth:`command_line` or :meth:`system`.

    .. versionadded:: 0.2.0
    """

    kind: Literal["user", "command_line", "system"]
    user: Any | None = None
    name: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    def __post_init__(self) -> None:
        # Stored as given by the HTTP layer, cut to the columns' lengths.
        object.__setattr__(self, "ip", (self.ip or "")[:IP_MAX_LENGTH] or None)
        agent = (self.user_agent or "")[:USER_AGENT_MAX_LENGTH] or None
        object.__setattr__(self, "user_agent", agent)

    @classmethod
    def for_user(cls, user: Any, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
        """A signed-in user, with the client address and user agent of their request."""
        return cls("user", user=user, ip=ip, user_agent=user_agent)

    @classmethod
    def command_line(cls, operator: str | None = None) -> Actor:
        """The command line, optionally naming the operator (``--actor``)."""
        return cls("command_line", name=operator or None)

    @classmethod
    def system(
        cls, name: str | None = None, *, ip: str | None = None, user_agent: str | None = None
    ) -> Actor:
        """The extension itself: a revocation that took effect by its clock, or no one given.

        ``name`` names a service acting on its own, such as ``GITHUB_SCANNING``,
        with the client address and user agent of its request when there is one.

        .. versionchanged:: 0.3.0
           Takes a ``name``, an ``ip`` and a ``user_agent``.
        """
        return cls("system", name=name, ip=ip, user_agent=user_agent)


#: The actor of a revocation by GitHub's secret scanning.
GITHUB_SCANNING = "GitHub secret scanning"
#: The actor of a revocation through the public leak report endpoint.
LEAK_REPORT = "Leak report"
#: Who acts in a ``new_network`` event: the key's own use, from the client it names.
KEY_USE = "a request with this key"


def clean_operator(name: str) -> str:
    """An operator name for ``--actor``: trimmed, printable, not too long."""
    name = name.strip()
    if not name:
        raise ValueError("Give a name, such as an email address.")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in name):
        raise ValueError("The name cannot contain control characters.")
    if len(name) > ACTOR_NAME_MAX_LENGTH:
        raise ValueError(f"The name can be at most {ACTOR_NAME_MAX_LENGTH} characters long.")
    return name


#: Characters that make a title display as something else: bidi embeddings,
#: overrides and isolates reorder what follows them (in the list, in a
#: terminal), and line and paragraph separators break a row in two.
_SPOOFING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def clean_title(title: str | None) -> str:
    """The title trimmed, or :class:`InvalidTitle` saying what is wrong with it."""
    title = (title or "").strip()
    if not title:
        raise InvalidTitle("Enter a title.")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidTitle(f"The title can be at most {TITLE_MAX_LENGTH} characters long.")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in title):
        raise InvalidTitle("The title cannot contain control characters.")
    if any(char in _SPOOFING for char in title):
        raise InvalidTitle(
            "The title cannot contain text-direction controls or line and paragraph separators."
        )
    # Only separators and format characters (a zero-width space, say) would
    # show as a blank title.
    if all(unicodedata.category(char)[0] in "ZC" for char in title):
        raise InvalidTitle("Enter a title.")
    return title


# What a key may reach


Access = Literal["read", "write"]
Level = Literal["none", "read", "write"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The levels of a resource, weakest first; a key's permissions name read or write only.
LEVELS: tuple[Level, ...] = cast("tuple[Level, ...]", ACCESS_LEVELS)
#: Methods that only read; every other method writes.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What a request to an Admin API route that declares no resource requires.
FULL_ACCESS = "full_access"
#: The most allowed networks a key may have.
MAX_NETWORKS = 20
#: A resource name: a short lowercase identifier, such as ``orders`` or ``gift_cards``.
RESOURCE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


def access_for(method: str, override: str | None = None) -> Access:
    """The access a request needs: ``override``, else read for GET, HEAD and OPTIONS, else write."""
    if override is not None:
        return cast(Access, override)
    return "read" if method.upper() in READ_METHODS else "write"


def check_resource_name(name: str) -> str:
    """``name`` if it is a resource name, else a ValueError that says what one looks like."""
    if not isinstance(name, str) or RESOURCE_NAME.fullmatch(name) is None:
        raise ValueError(
            f"{name!r} is not a resource name: use a short lowercase identifier such as"
            " 'orders' or 'gift_cards' (a letter, then letters, digits or underscores)."
        )
    return name


def check_access(access: str) -> Access:
    """``access`` if it is ``"read"`` or ``"write"``, else a ValueError."""
    if access not in ("read", "write"):
        raise ValueError(f"{access!r} is not an access: use 'read' or 'write'.")
    return cast(Access, access)


@dataclass(frozen=True)
class Permission:
    """What a request needs: ``access`` to ``resource``; a None resource is an Admin API
    route that declares none, which only a Full access key reaches."""

    resource: str | None
    access: Access

    def __str__(self) -> str:
        return FULL_ACCESS if self.resource is None else f"{self.resource}:{self.access}"

    @classmethod
    def parse(cls, text: str) -> Permission:
        """``"orders:read"`` as a permission, or :class:`~flask_secret_keys.InvalidRestrictions`."""
        return cls(*_resource_and_access(text))


def _resource_and_access(text: str) -> tuple[str, Access]:
    resource, _, access = text.strip().partition(":")
    try:
        return check_resource_name(resource), check_access(access)
    except ValueError:
        raise InvalidRestrictions(
            f"{text!r} is not a permission: write RESOURCE:read or RESOURCE:write,"
            " such as orders:read."
        ) from None


def strongest(permissions: Iterable[str]) -> dict[str, Access]:
    """The strongest access of each resource among ``orders:read``-style permissions."""
    levels: dict[str, Access] = {}
    for text in permissions:
        resource, access = _resource_and_access(text)
        if not level_grants(levels.get(resource), access):
            levels[resource] = access
    return levels


def _as_ipv4(network: Network) -> Network:
    """An IPv4-mapped IPv6 range (``::ffff:203.0.113.0/120``) as the IPv4 range it maps."""
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network


def parse_network(text: str) -> Network:
    """An address (a range of one) or a CIDR range, IPv4-mapped IPv6 as IPv4.

    A range with host bits set (``203.0.113.7/24``) is refused rather than
    silently widened or narrowed: the message says which range was meant.
    """
    text = text.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidRestrictions(
            f"{text!r} is not an IP address or range: write an address such as 203.0.113.7"
            " or 2001:db8::1, or a range such as 203.0.113.0/24 or 2001:db8::/64.",
            "allowed_networks",
        ) from None
    if "/" in text and network.network_address != ipaddress.ip_address(text.split("/")[0]):
        raise InvalidRestrictions(
            f"{text!r} has host bits set: the range is {network}.", "allowed_networks"
        )
    return _as_ipv4(network)


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and ranges, one per entry (blank entries skipped), canonical and deduplicated,
    at most :data:`MAX_NETWORKS` of them."""
    networks: list[Network] = []
    for entry in entries:
        for part in entry.replace(",", " ").split():
            network = parse_network(part)
            if network not in networks:
                networks.append(network)
    if len(networks) > MAX_NETWORKS:
        raise InvalidRestrictions(
            f"A key can have at most {MAX_NETWORKS} allowed networks: use wider ranges.",
            "allowed_networks",
        )
    return tuple(sorted(networks, key=lambda net: (net.version, net)))


def client_address(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The client's address, IPv4-mapped IPv6 as IPv4; None if absent or unreadable."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def client_network(address: str | None) -> str | None:
    """The /24 (IPv4) or /64 (IPv6) a client address is in, as usage records it."""
    parsed = client_address(address)
    if parsed is None:
        return None
    prefix = 24 if parsed.version == 4 else 64
    return str(ipaddress.ip_network((parsed, prefix), strict=False))


@dataclass(frozen=True)
class Reach:
    """What a key may do and from where.

    ``permissions`` is None for Full access (every Admin API route, declared or
    not, as before restrictions existed), or the read or write access of a
    Restricted key by resource (a resource not named is None). ``networks`` is
    empty for anywhere.
    """

    permissions: tuple[tuple[str, Access], ...] | None = None
    networks: tuple[Network, ...] = ()

    @classmethod
    def of(
        cls, permissions: Mapping[str, str] | None, networks: Iterable[str | Network] = ()
    ) -> Reach:
        """A reach from levels by resource (``"none"`` left out) and network texts, checked."""
        pairs = None
        if permissions is not None:
            pairs_list = []
            for resource, level in permissions.items():
                try:
                    check_resource_name(resource)
                except ValueError as error:
                    raise InvalidRestrictions(str(error)) from None
                if level not in LEVELS:
                    raise InvalidRestrictions(
                        f"{level!r} is not a level for {resource}: use none, read or write."
                    )
                if level != "none":
                    pairs_list.append((resource, level))
            pairs = tuple(sorted(pairs_list))
        texts = [str(net) for net in networks]
        return cls(pairs, parse_networks(texts))

    @classmethod
    def from_permission_list(
        cls, permissions: Iterable[str] | None, networks: Iterable[str] = ()
    ) -> Reach:
        """A reach from ``orders:read``-style permissions (None: Full access), the strongest
        access of each resource kept."""
        return cls.of(None if permissions is None else strongest(permissions), networks)

    @property
    def is_full(self) -> bool:
        return self.permissions is None

    @property
    def levels(self) -> dict[str, Access] | None:
        """The permissions by resource, or None for Full access."""
        return None if self.permissions is None else dict(self.permissions)

    def level(self, resource: str) -> Level:
        """The level of ``resource``: write for every resource of a Full access key."""
        if self.permissions is None:
            return "write"
        return dict(self.permissions).get(resource, "none")

    def permits(self, permission: Permission) -> bool:
        """Whether the permissions cover ``permission`` (networks aside)."""
        if self.permissions is None:
            return True
        if permission.resource is None:
            return False
        return level_grants(dict(self.permissions).get(permission.resource), permission.access)

    def admits(self, address: str | None) -> bool:
        """Whether a client at ``address`` may use the key; an unknown address only
        where the key may be used from anywhere."""
        if not self.networks:
            return True
        parsed = client_address(address)
        return parsed is not None and any(parsed in network for network in self.networks)

    def to_columns(self) -> tuple[str | None, str | None]:
        """The ``permissions`` and ``allowed_networks`` column values (None: full, anywhere)."""
        permissions = None if self.permissions is None else json.dumps(dict(self.permissions))
        networks = json.dumps([str(net) for net in self.networks]) if self.networks else None
        return permissions, networks

    def to_json(self) -> dict[str, Any]:
        """``{"permissions": {...} or None, "allowed_networks": [...]}``, as the CLI and
        events show it."""
        return {
            "permissions": self.levels,
            "allowed_networks": [str(net) for net in self.networks],
        }

    def describe(self) -> str:
        """In words: "Full access from anywhere", "orders read from 203.0.113.0/24"."""
        return reach_text(self.to_json())


@functools.lru_cache(maxsize=1024)
def reach_of_columns(permissions: str | None, networks: str | None) -> Reach:
    """The reach stored in a key's ``permissions`` and ``allowed_networks`` columns.

    Cached: every request of a key reads the same two texts. Stored values were
    checked when written; a value edited by hand that does not parse is taken
    as the narrowest reach, so a mistake never opens a key up.
    """
    try:
        levels = None if permissions is None else json.loads(permissions)
        texts = [] if networks is None else json.loads(networks)
        return Reach.of(levels, texts)
    except (ValueError, TypeError, AttributeError, InvalidRestrictions):
        return Reach((), (ipaddress.IPv4Network("0.0.0.0/32"),))


def reach_of(key: Any) -> Reach:
    """A key's reach, from its columns."""
    return reach_of_columns(key.permissions, key.allowed_networks)


def _covered(network: Network, by: Iterable[Network]) -> bool:
    """Whether ``network`` lies within the union of ``by``.

    ``collapse_addresses`` merges adjacent ranges into their minimal form, so a
    range inside the union lies within one of the collapsed ranges.
    """
    same = [net for net in by if net.version == network.version]
    collapsed = ipaddress.collapse_addresses(same)  # type: ignore[type-var]
    return any(network.subnet_of(net) for net in collapsed)  # type: ignore[arg-type]


def widenings(old: Reach, new: Reach) -> list[str]:
    """What ``new`` allows that ``old`` does not, in words; empty if ``new`` is as narrow or
    narrower (lower levels, fewer resources, Full access to Restricted, fewer or narrower
    networks, anywhere to a list)."""
    found: list[str] = []
    if new.permissions is None:
        if old.permissions is not None:
            found.append("Full access")
    elif old.permissions is not None:
        old_levels = dict(old.permissions)
        for resource, access in new.permissions:
            old_level = old_levels.get(resource, "none")
            if not level_grants(old_level, access):
                found.append(f"{resource} {old_level} → {access}")
    if old.networks:
        if not new.networks:
            found.append("anywhere")
        found.extend(
            str(network) for network in new.networks if not _covered(network, old.networks)
        )
    return found


def is_narrower(old: Reach, new: Reach) -> bool:
    """Whether ``new`` allows nothing ``old`` does not (equal counts as narrower)."""
    return not widenings(old, new)


def _intersect(ours: Iterable[Network], theirs: Iterable[Network]) -> tuple[Network, ...]:
    """The ranges in both: where two CIDR ranges overlap, one contains the other."""
    found: set[Network] = set()
    theirs = list(theirs)
    for mine in ours:
        for other in theirs:
            if mine.version != other.version:
                continue
            if mine.subnet_of(other):  # type: ignore[arg-type]
                found.add(mine)
            elif other.subnet_of(mine):  # type: ignore[arg-type]
                found.add(other)
    return tuple(found)


# What a key really used


#: The most entries of each kind (permissions used, networks, permissions refused) a
#: key's usage record keeps; past it, the entry used longest ago gives way.
USAGE_CAP = 32
#: How long, in seconds, after a key's first recorded use the networks it is used from are
#: its own: a network first used later is new (see :meth:`Usage.is_new_network`).
FIRST_DAY = 24 * 60 * 60


@dataclass(frozen=True)
class Usage:
    """What a key really did: the permissions it used and the networks (IPv4 /24, IPv6 /64)
    it was used from, each with its first and last time, and the permissions it was
    refused, with the last time. Times are whole seconds since the epoch, as kept in
    the key's ``usage_record`` column."""

    used: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    networks: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    refused: Mapping[str, int] = field(default_factory=dict)
    #: The first recorded use, None before it. A record written before it was kept
    #: counts from the earliest first time it holds.
    since: int | None = None
    #: The new networks (see :meth:`is_new_network`) the owner has not acknowledged,
    #: each with when it was first used.
    new_networks: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_text(cls, text: str | None) -> Usage:
        """The record in a key's ``usage_record`` column; empty if none or unreadable."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            used = {k: (int(v[0]), int(v[1])) for k, v in data.get("used", {}).items()}
            networks = {k: (int(v[0]), int(v[1])) for k, v in data.get("networks", {}).items()}
            firsts = [v[0] for v in (*used.values(), *networks.values())]
            since = data.get("since")
            return cls(
                used,
                networks,
                {k: int(v) for k, v in data.get("refused", {}).items()},
                int(since) if since is not None else min(firsts, default=None),
                {k: int(v) for k, v in data.get("new", {}).items()},
            )
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            return cls()

    def to_text(self) -> str:
        data: dict[str, Any] = {
            "used": {k: list(v) for k, v in sorted(self.used.items())},
            "networks": {k: list(v) for k, v in sorted(self.networks.items())},
            "refused": dict(sorted(self.refused.items())),
        }
        if self.since is not None:
            data["since"] = self.since
        if self.new_networks:
            data["new"] = dict(sorted(self.new_networks.items()))
        return json.dumps(data, separators=(",", ":"))

    def __bool__(self) -> bool:
        return bool(self.used or self.networks or self.refused)

    def is_new_network(self, network: str | None, now: int) -> bool:
        """Whether a use at ``now`` from ``network`` is the key's first from it after its first
        day of use (:data:`FIRST_DAY`): the networks of its first day are not new."""
        return (
            network is not None
            and network not in self.networks
            and self.since is not None
            and now - self.since > FIRST_DAY
        )

    def acknowledged(self, through: int) -> Usage:
        """The record without the new networks first used at ``through`` or before: those the
        owner was shown when they acknowledged them."""
        kept = {name: at for name, at in self.new_networks.items() if at > through}
        return replace(self, new_networks=kept)

    def is_due(
        self,
        permission: str | None,
        network: str | None,
        refused: bool,
        now: int,
        interval: int,
    ) -> bool:
        """Whether a request with these facts adds to the record: something not in it yet,
        or whose last time is ``interval`` seconds old or more."""
        if refused:
            last = self.refused.get(permission) if permission else now
            return last is None or now - last >= interval
        for entries, name in ((self.used, permission), (self.networks, network)):
            if name is None:
                continue
            times = entries.get(name)
            if times is None or now - times[1] >= interval:
                return True
        return False

    def with_request(
        self, permission: str | None, network: str | None, refused: bool, now: int
    ) -> Usage:
        """The record with one request added, each kind capped at :data:`USAGE_CAP`."""
        if refused:
            if permission is None:
                return self
            return replace(self, refused=_capped({**self.refused, permission: now}, lambda v: v))
        used, networks = dict(self.used), dict(self.networks)
        new_networks = dict(self.new_networks)
        if network is not None and self.is_new_network(network, now):
            new_networks[network] = now
        for entries, name in ((used, permission), (networks, network)):
            if name is not None:
                first = entries[name][0] if name in entries else now
                entries[name] = (first, now)
        return replace(
            self,
            used=_capped(used, lambda v: v[1]),
            networks=_capped(networks, lambda v: v[1]),
            since=now if self.since is None else self.since,
            new_networks=_capped(new_networks, lambda v: v),
        )

    def narrowest(self, current: Reach) -> Reach | None:
        """The narrowest reach for what the key used, within ``current``: the permissions it
        used (write implying read) and the networks it was used from. None if it used
        nothing; Full access stays if it reached a route that declares no resource."""
        if not self.used:
            return None
        if FULL_ACCESS in self.used:
            permissions = current.permissions
        else:
            levels = strongest(self.used)
            if current.permissions is not None:
                # Never more than the key has now: the lower of used and current.
                levels = {
                    resource: access if level_grants(current.level(resource), access) else "read"
                    for resource, access in levels.items()
                    if current.level(resource) != "none"
                }
            permissions = tuple(sorted(levels.items()))
        return Reach(permissions, self._narrowest_networks(current.networks))

    def _narrowest_networks(self, current: tuple[Network, ...]) -> tuple[Network, ...]:
        """The networks used, within ``current``; ``current`` itself where that would be none
        (an empty list means anywhere) or more than a key may have."""
        used = tuple(_as_ipv4(ipaddress.ip_network(text)) for text in self.networks)
        networks = _intersect(used, current) if current else used
        collapsed = [
            *ipaddress.collapse_addresses(n for n in networks if n.version == 4),
            *ipaddress.collapse_addresses(n for n in networks if n.version == 6),
        ]
        if not collapsed or len(collapsed) > MAX_NETWORKS:
            return current
        return tuple(sorted(collapsed, key=lambda net: (net.version, net)))  # type: ignore[arg-type]


def _capped(entries: dict[str, Any], last: Any) -> dict[str, Any]:
    """``entries`` without those used longest ago, beyond :data:`USAGE_CAP`."""
    if len(entries) <= USAGE_CAP:
        return entries
    kept = sorted(entries.items(), key=lambda item: last(item[1]), reverse=True)[:USAGE_CAP]
    return dict(kept)

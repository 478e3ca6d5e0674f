"""What a key may reach: resources and access, permissions, networks, and how a reach
may change (narrow in place, never widen).

Pure values and rules, no Flask and no database, property-tested.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from .errors import InvalidRestrictions
from .i18n import gettext, lazy_gettext
from .models import ACCESS_LEVELS, level_grants, reach_text

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
            lazy_gettext(
                "%(name)s is not a resource name: use a short lowercase identifier such as"
                " 'orders' or 'gift_cards' (a letter, then letters, digits or underscores).",
                name=repr(name),
            )
        )
    return name


def check_access(access: str) -> Access:
    """``access`` if it is ``"read"`` or ``"write"``, else a ValueError."""
    if access not in ("read", "write"):
        raise ValueError(
            lazy_gettext("%(access)s is not an access: use 'read' or 'write'.", access=repr(access))
        )
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
            lazy_gettext(
                "%(text)s is not a permission: write RESOURCE:read or RESOURCE:write,"
                " such as orders:read.",
                text=repr(text),
            )
        ) from None


def strongest(permissions: Iterable[str]) -> dict[str, Access]:
    """The strongest access of each resource among ``orders:read``-style permissions."""
    levels: dict[str, Access] = {}
    for text in permissions:
        resource, access = _resource_and_access(text)
        if not level_grants(levels.get(resource), access):
            levels[resource] = access
    return levels


def as_ipv4(network: Network) -> Network:
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
            lazy_gettext(
                "%(text)s is not an IP address or range: write an address such as"
                " 203.0.113.7 or 2001:db8::1, or a range such as 203.0.113.0/24 or"
                " 2001:db8::/64.",
                text=repr(text),
            ),
            "allowed_networks",
        ) from None
    if "/" in text and network.network_address != ipaddress.ip_address(text.split("/")[0]):
        raise InvalidRestrictions(
            lazy_gettext(
                "%(text)s has host bits set: the range is %(range)s.",
                text=repr(text),
                range=str(network),
            ),
            "allowed_networks",
        )
    return as_ipv4(network)


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
            lazy_gettext(
                "A key can have at most %(max)s allowed networks: use wider ranges.",
                max=MAX_NETWORKS,
            ),
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
                        lazy_gettext(
                            "%(level)s is not a level for %(resource)s: use none, read or write.",
                            level=repr(level),
                            resource=resource,
                        )
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
            found.append(gettext("Full access"))
    elif old.permissions is not None:
        old_levels = dict(old.permissions)
        for resource, access in new.permissions:
            old_level = old_levels.get(resource, "none")
            if not level_grants(old_level, access):
                found.append(f"{resource} {old_level} → {access}")
    if old.networks:
        if not new.networks:
            # Translators: what a change of restrictions would add: use from any address.
            found.append(gettext("anywhere"))
        found.extend(
            str(network) for network in new.networks if not _covered(network, old.networks)
        )
    return found


def is_narrower(old: Reach, new: Reach) -> bool:
    """Whether ``new`` allows nothing ``old`` does not (equal counts as narrower)."""
    return not widenings(old, new)


def intersect(ours: Iterable[Network], theirs: Iterable[Network]) -> tuple[Network, ...]:
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

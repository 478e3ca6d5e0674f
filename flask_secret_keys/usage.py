"""What a key really used: the permissions and networks of its requests, and those it
was refused, as the throttled "last used" write keeps them on the key's row.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .models import level_grants
from .reach import FULL_ACCESS, MAX_NETWORKS, Network, Reach, as_ipv4, intersect, strongest

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
        used = tuple(as_ipv4(ipaddress.ip_network(text)) for text in self.networks)
        networks = intersect(used, current) if current else used
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

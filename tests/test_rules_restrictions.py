"""The pure rules of restricted keys: the method→access rule, permissions, networks, the
narrowing rule (property-tested) and the usage record with its cap."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_secret_keys import InvalidRestrictions, Reach
from flask_secret_keys.reach import (
    MAX_NETWORKS,
    Permission,
    access_for,
    client_network,
    is_narrower,
    parse_networks,
    reach_of_columns,
    widenings,
)
from flask_secret_keys.usage import USAGE_CAP, Usage
from tests.helpers import FUZZ


@pytest.mark.parametrize(
    ("method", "override", "access"),
    [
        ("GET", None, "read"),
        ("HEAD", None, "read"),
        ("OPTIONS", None, "read"),
        ("POST", None, "write"),
        ("PUT", None, "write"),
        ("PATCH", None, "write"),
        ("DELETE", None, "write"),
        ("POST", "read", "read"),
        ("GET", "write", "write"),
    ],
)
def test_the_method_gives_the_access_unless_overridden(
    method: str, override: str | None, access: str
) -> None:
    assert access_for(method, override) == access


@pytest.mark.parametrize(
    "text", ["orders", "orders:", ":read", "Orders:read", "orders:admin", "1x:read"]
)
def test_a_malformed_permission_is_refused(text: str) -> None:
    with pytest.raises(InvalidRestrictions, match="is not a permission"):
        Permission.parse(text)


def test_write_implies_read_and_levels_are_per_resource() -> None:
    reach = Reach.from_permission_list(["orders:read", "orders:write", "catalog:read"])
    assert reach.levels == {"orders": "write", "catalog": "read"}
    assert reach.permits(Permission("orders", "read"))
    assert reach.permits(Permission("catalog", "read"))
    assert not reach.permits(Permission("catalog", "write"))
    assert not reach.permits(Permission("refunds", "read"))
    assert not reach.permits(Permission(None, "read"))  # an undeclared route
    assert Reach().permits(Permission(None, "write"))


@pytest.mark.parametrize(
    ("networks", "address", "admitted"),
    [
        ([], None, True),
        (["203.0.113.0/24"], "203.0.113.0", True),
        (["203.0.113.0/24"], "203.0.113.255", True),
        (["203.0.113.0/24"], "203.0.114.0", False),
        (["203.0.113.0/24"], "203.0.112.255", False),
        (["203.0.113.0/24"], "::ffff:203.0.113.9", True),
        (["::ffff:203.0.113.0/120"], "203.0.113.9", True),
        (["2001:db8::/64"], "2001:db8::1", True),
        (["2001:db8::/64"], "2001:db8:0:1::1", False),
        (["2001:db8::/64"], "203.0.113.9", False),
        (["203.0.113.7"], "203.0.113.7", True),
        (["203.0.113.7"], "203.0.113.8", False),
        (["203.0.113.0/24"], None, False),
        (["203.0.113.0/24"], "not an address", False),
    ],
)
def test_networks_admit_addresses_in_range(
    networks: list[str], address: str | None, admitted: bool
) -> None:
    assert Reach.of(None, networks).admits(address) is admitted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example.com", "is not an IP address or range"),
        ("203.0.113.0/33", "is not an IP address or range"),
        ("203.0.113.7/24", "has host bits set: the range is 203.0.113.0/24"),
    ],
)
def test_a_network_that_is_not_an_address_or_range_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidRestrictions, match=message) as refused:
        parse_networks([text])
    assert refused.value.field == "allowed_networks"


def test_networks_are_limited_in_number() -> None:
    parse_networks([f"10.0.{n}.0/24" for n in range(MAX_NETWORKS)])
    with pytest.raises(InvalidRestrictions, match=f"at most {MAX_NETWORKS}"):
        parse_networks([f"10.0.{n}.0/24" for n in range(MAX_NETWORKS + 1)])


def test_mapped_ranges_are_stored_as_ipv4() -> None:
    assert parse_networks(["::ffff:203.0.113.0/120", "203.0.113.0/24"]) == (
        ipaddress.IPv4Network("203.0.113.0/24"),
    )


def test_columns_round_trip_and_a_hand_edited_value_opens_nothing() -> None:
    reach = Reach.of({"orders": "read"}, ["203.0.113.0/24"])
    assert reach_of_columns(*reach.to_columns()) == reach
    assert reach_of_columns(None, None) == Reach()
    broken = reach_of_columns('{"orders": "sudo"}', None)
    assert not broken.permits(Permission("orders", "read")) and not broken.admits("203.0.113.1")


@pytest.mark.parametrize(
    ("old", "new", "gained"),
    [
        (Reach(), Reach.of({"orders": "write"}), []),
        (Reach.of({"orders": "write"}), Reach.of({"orders": "read"}), []),
        (Reach.of({"orders": "read"}), Reach.of({"orders": "write"}), ["orders read → write"]),
        (Reach.of({"orders": "read"}), Reach.of({"catalog": "read"}), ["catalog none → read"]),
        (Reach.of({"orders": "read"}), Reach(), ["Full access"]),
        (Reach.of(None, ["10.0.0.0/8"]), Reach.of(None, ["10.1.0.0/16"]), []),
        (Reach.of(None, ["10.0.0.0/8"]), Reach.of(None, []), ["anywhere"]),
        (Reach.of(None, ["10.0.0.0/16"]), Reach.of(None, ["10.0.0.0/8"]), ["10.0.0.0/8"]),
        (Reach.of(None, ["10.0.0.0/25", "10.0.0.128/25"]), Reach.of(None, ["10.0.0.0/24"]), []),
        (Reach.of(None, []), Reach.of(None, ["2001:db8::/64"]), []),
    ],
)
def test_what_widens(old: Reach, new: Reach, gained: list[str]) -> None:
    assert widenings(old, new) == gained


# Properties of the narrowing rule.

RESOURCES = ["orders", "catalog", "refunds"]
levels = st.dictionaries(st.sampled_from(RESOURCES), st.sampled_from(["none", "read", "write"]))
v4 = st.builds(
    lambda address, prefix: ipaddress.ip_network((address, prefix), strict=False),
    st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address),
    st.integers(8, 32),
)
v6 = st.builds(
    lambda address, prefix: ipaddress.ip_network((address, prefix), strict=False),
    st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address),
    st.integers(32, 128),
)
reaches = st.builds(
    lambda permissions, networks: Reach.of(permissions, networks),
    st.none() | levels,
    st.lists(v4 | v6, max_size=4),
)
permissions = st.builds(
    Permission, st.none() | st.sampled_from(RESOURCES), st.sampled_from(["read", "write"])
)


def _addresses_of(*reaches_: Reach) -> list[str]:
    """Addresses at the edges of every range involved, and one outside any."""
    found = ["192.0.2.1"]
    for reach in reaches_:
        for net in reach.networks:
            found += [str(net.network_address), str(net.broadcast_address)]
            if net.network_address.version == 4 and int(net.network_address) > 0:
                found.append(str(net.network_address - 1))
    return found


@FUZZ
@given(reaches, reaches, st.lists(permissions, min_size=1, max_size=4))
def test_a_narrower_reach_allows_nothing_the_old_one_does_not(
    old: Reach, new: Reach, wanted: list[Permission]
) -> None:
    if not is_narrower(old, new):
        return
    for permission in wanted:
        for address in _addresses_of(old, new):
            if new.permits(permission) and new.admits(address):
                assert old.permits(permission) and old.admits(address)


@FUZZ
@given(reaches)
def test_every_reach_is_as_narrow_as_itself_and_narrower_than_full_access(reach: Reach) -> None:
    assert is_narrower(reach, reach)
    assert is_narrower(Reach(), reach)


@FUZZ
@given(reaches, reaches, reaches)
def test_narrowing_is_transitive(a: Reach, b: Reach, c: Reach) -> None:
    if is_narrower(a, b) and is_narrower(b, c):
        assert is_narrower(a, c)


@FUZZ
@given(reaches, st.lists(st.tuples(permissions, v4 | v6), max_size=6))
def test_narrow_to_what_it_used_is_narrower_and_keeps_what_was_allowed(
    current: Reach, requests: list[tuple[Permission, ipaddress.IPv4Network | ipaddress.IPv6Network]]
) -> None:
    usage = Usage()
    allowed = []
    for now, (permission, network) in enumerate(requests):
        address = str(network.network_address)
        if not (current.permits(permission) and current.admits(address)):
            continue
        usage = usage.with_request(str(permission), client_network(address), False, now)
        allowed.append((permission, address))
    suggestion = usage.narrowest(current)
    if not allowed:
        assert suggestion is None
        return
    assert suggestion is not None and is_narrower(current, suggestion)
    for permission, address in allowed:
        assert suggestion.permits(permission) and suggestion.admits(address)


def test_narrow_to_what_it_used_keeps_the_networks_when_it_knows_none_or_too_many() -> None:
    """Unknown addresses, or more networks than a key may have: the key's own networks stay
    (an empty list would mean anywhere; too many could not be saved)."""
    current = Reach.of({"orders": "write"}, ["10.0.0.0/8"])
    unknown = Usage().with_request("orders:read", None, False, 1)
    many = Usage()
    for n in range(MAX_NETWORKS + 1):
        many = many.with_request("orders:read", f"10.{2 * n}.0.0/24", False, n)

    for usage in (unknown, many):
        suggestion = usage.narrowest(current)
        assert suggestion is not None
        assert suggestion.levels == {"orders": "read"}
        assert suggestion.networks == current.networks


def test_a_full_access_key_has_every_level_and_a_restricted_one_only_its_own() -> None:
    assert Reach.of(None).level("orders") == "write"
    restricted = Reach.of({"orders": "read"})
    assert (restricted.level("orders"), restricted.level("catalog")) == ("read", "none")


# The usage record.


def test_a_use_is_due_when_new_or_older_than_the_interval() -> None:
    usage = Usage().with_request("orders:read", "203.0.113.0/24", False, 1000)
    assert not usage.is_due("orders:read", "203.0.113.0/24", False, 1059, 60)
    assert usage.is_due("orders:read", "203.0.113.0/24", False, 1060, 60)
    assert usage.is_due("orders:write", "203.0.113.0/24", False, 1001, 60)
    assert usage.is_due("orders:read", "198.51.100.0/24", False, 1001, 60)
    assert usage.is_due("orders:write", None, True, 1001, 60)
    usage = usage.with_request("orders:write", None, True, 1001)
    assert not usage.is_due("orders:write", None, True, 1002, 60)
    assert usage.used["orders:read"] == (1000, 1000) and usage.refused == {"orders:write": 1001}
    # A refusal of no permission (an address outside the networks) adds nothing to refuse.
    assert usage.with_request(None, "198.51.100.0/24", True, 1003) == usage


def test_first_and_last_times_are_kept() -> None:
    usage = Usage().with_request("orders:read", "203.0.113.0/24", False, 10)
    usage = usage.with_request("orders:read", "203.0.113.0/24", False, 99)
    assert usage.used["orders:read"] == (10, 99)
    assert usage.networks["203.0.113.0/24"] == (10, 99)
    assert Usage.from_text(usage.to_text()) == usage


def test_the_record_is_capped_dropping_what_was_used_longest_ago() -> None:
    usage = Usage()
    for n in range(USAGE_CAP + 5):
        usage = usage.with_request(None, f"10.0.{n}.0/24", False, n)
    assert len(usage.networks) == USAGE_CAP
    assert "10.0.0.0/24" not in usage.networks and f"10.0.{USAGE_CAP + 4}.0/24" in usage.networks


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("::ffff:203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        (None, None),
        ("garbage", None),
    ],
)
def test_a_client_is_recorded_by_its_network(address: str | None, network: str | None) -> None:
    assert client_network(address) == network


@pytest.mark.parametrize("text", ["", "not json", '{"used": {"a": 1}}', "[]"])
def test_an_unreadable_record_is_empty(text: str) -> None:
    assert not Usage.from_text(text)

"""A key used from a new network after its first day: the event, the signal, the notice
on its details page and the owner's Acknowledge."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example_app.models import db
from flask_secret_keys import KeyService, signals
from flask_secret_keys.usage import Usage
from tests.helpers import Clock, count_statements, csrf_token, get_user, log_in, service_of

BASE = "/settings/secret-api-keys"
AGENT = "deploy-bot/1.0"


def use(app: Flask, token: str, address: str) -> None:
    response = app.test_client().get(
        "/admin/api/me",
        headers={"X-Api-Key": token, "User-Agent": AGENT},
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def new_network_events(app: Flask, key_id: int = 1) -> list[Any]:
    with app.app_context():
        events = service_of(app).events_of(key_id)
        return [event for event in events if event.event == "new_network"]


def flagged(app: Flask, key_id: int = 1) -> dict[str, int]:
    with app.app_context():
        db.session.remove()
        return dict(Usage.from_text(service_of(app).key_by_id(key_id).usage_record).new_networks)


@pytest.fixture
def sent(app: Flask) -> Iterator[list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    def receive(sender: Flask, **kwargs: Any) -> None:
        received.append(kwargs)

    with signals.key_used_from_new_network.connected_to(receive, app):
        yield received


@pytest.mark.parametrize(
    ("first", "same", "day_one", "later", "network"),
    [
        ("203.0.113.7", "203.0.113.250", "192.0.2.1", "198.51.100.7", "198.51.100.0/24"),
        (
            "2001:db8:1:2::1",
            "2001:db8:1:2:ffff::9",
            "2001:db8:9::1",
            "2001:db8:1:3::1",
            "2001:db8:1:3::/64",
        ),
        # IPv4-mapped IPv6 counts as IPv4, both ways.
        (
            "::ffff:203.0.113.7",
            "203.0.113.9",
            "::ffff:192.0.2.1",
            "::ffff:198.51.100.7",
            "198.51.100.0/24",
        ),
    ],
    ids=["ipv4", "ipv6", "mapped"],
)
def test_a_network_is_new_only_after_the_first_day(
    app: Flask,
    clock: Clock,
    admin_token: str,
    sent: list[dict[str, Any]],
    first: str,
    same: str,
    day_one: str,
    later: str,
    network: str,
) -> None:
    use(app, admin_token, first)
    clock.advance(hours=24)  # the first day ends more than 24 hours after the first use
    use(app, admin_token, day_one)
    clock.advance(seconds=1)
    use(app, admin_token, same)
    assert sent == [] and new_network_events(app) == [] and flagged(app) == {}

    use(app, admin_token, later)

    (event,) = new_network_events(app)
    assert event.details == {"network": network, "address": later, "user_agent": AGENT}
    assert (event.ip, event.user_agent, event.actor_kind) == (later, AGENT, "system")
    assert event.summary == f"Used from a new network, {network}"
    assert flagged(app) == {network: int(clock.now.timestamp())}
    ((signal),) = sent
    assert signal["key"].id == 1
    assert (signal["address"], signal["user_agent"]) == (later, AGENT)

    clock.advance(hours=1)  # used again from it: known now
    use(app, admin_token, later)
    assert len(new_network_events(app)) == 1 and len(sent) == 1


def test_only_the_write_that_learns_a_new_network_inserts(
    app: Flask, clock: Clock, admin_token: str
) -> None:
    use(app, admin_token, "203.0.113.7")
    clock.advance(days=2)
    with app.app_context():
        engine = db.engine
    with count_statements(engine) as log:
        use(app, admin_token, "203.0.113.8")  # a known network, due again: one UPDATE
    assert len(log.matching("UPDATE")) == 1 and log.matching("INSERT") == []
    with count_statements(engine) as log:
        use(app, admin_token, "198.51.100.7")  # the new network: the same UPDATE and the event
    assert len(log.matching("UPDATE")) == 1 and len(log.matching("INSERT")) == 1
    with count_statements(engine) as log:
        use(app, admin_token, "198.51.100.8")  # nothing new within the interval: nothing
    assert log.matching("UPDATE") == [] and log.matching("INSERT") == []


def test_a_failing_event_insert_never_fails_the_request(
    app: Flask,
    clock: Clock,
    admin_token: str,
    sent: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use(app, admin_token, "203.0.113.7")
    clock.advance(days=2)
    events = service_of(app).events
    values = events.values
    # A NOT NULL column left empty: the database refuses the insert.
    monkeypatch.setattr(events, "values", lambda *a, **kw: {**values(*a, **kw), "key_id": None})

    with caplog.at_level(logging.WARNING):
        use(app, admin_token, "198.51.100.7")

    assert "Could not record the use of secret API key 1" in caplog.text
    # The use's write and its event are one transaction: neither was kept.
    assert flagged(app) == {} and new_network_events(app) == [] and sent == []
    with app.app_context():
        usage = Usage.from_text(service_of(app).key_by_id(1).usage_record)
    assert "198.51.100.0/24" not in usage.networks


def flag(app: Flask, clock: Clock, token: str, *addresses: str) -> None:
    """Use ``token`` on its first day, then from each of ``addresses`` a minute apart."""
    use(app, token, "203.0.113.7")
    clock.advance(days=2)
    for address in addresses:
        use(app, token, address)
        clock.advance(minutes=1)


def words(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_owner_acknowledges_a_new_network(
    app: Flask, clock: Clock, admin_token: str, admin_client: FlaskClient
) -> None:
    flag(app, clock, admin_token, "198.51.100.7")

    page = words(admin_client.get(f"{BASE}/1"))
    assert "New network This key was used from a network it had not used before" in page
    assert re.search(r"198\.51\.100\.0/24 , first \d+ minutes? ago", page)
    assert "Used from a new network, 198.51.100.0/24 by a request with this key" in page
    html = admin_client.get(f"{BASE}/1").get_data(as_text=True)
    through = re.search(r'name="through" value="(\d+)"', html)
    assert through is not None

    refused = admin_client.post(f"{BASE}/1/acknowledge", data={"through": through.group(1)})
    assert refused.status_code == 400  # no CSRF token
    for bad in ("", "soon"):
        refused = admin_client.post(
            f"{BASE}/1/acknowledge", data={"through": bad, "csrf_token": csrf_token(admin_client)}
        )
        assert refused.status_code == 400
    assert flagged(app)

    response = admin_client.post(
        f"{BASE}/1/acknowledge",
        data={"through": through.group(1), "csrf_token": csrf_token(admin_client)},
    )
    assert response.status_code == 303 and response.location.endswith(f"{BASE}/1")
    assert flagged(app) == {}
    page = words(admin_client.get(f"{BASE}/1"))
    assert "New networks acknowledged." in page
    assert "had not used before" not in page
    # The event stays in Activity.
    assert "Used from a new network, 198.51.100.0/24" in page


def test_with_htmx_the_card_is_replaced(
    app: Flask, clock: Clock, admin_token: str, admin_client: FlaskClient
) -> None:
    flag(app, clock, admin_token, "198.51.100.7")
    response = admin_client.post(
        f"{BASE}/1/acknowledge",
        data={"through": str(int(clock.now.timestamp()))},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(admin_client)},
    )
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#sk-key"
    assert 'id="sk-key"' in response.get_data(as_text=True)
    assert "had not used before" not in words(response)


def test_a_network_newer_than_the_page_stays_flagged(
    app: Flask, clock: Clock, admin_token: str, service: KeyService
) -> None:
    flag(app, clock, admin_token, "198.51.100.7", "2001:db8::1")
    first, second = sorted(flagged(app).items(), key=lambda item: item[1])
    assert first[0] == "198.51.100.0/24" and second[0] == "2001:db8::/64"

    with app.app_context():
        key = service.key_by_id(1)
        # The page showed the first network only: the second came after.
        shown = dt.datetime.fromtimestamp(first[1], dt.timezone.utc)
        assert service.acknowledge_new_networks(key, through=shown)
        # The same page acknowledged again (a second click) has nothing left to change.
        assert not service.acknowledge_new_networks(key, through=shown)

    assert flagged(app) == {"2001:db8::/64": second[1]}


def test_only_the_owner_acknowledges_an_overseer_sees_it(
    app: Flask, clock: Clock, client: FlaskClient
) -> None:
    with app.app_context():
        _key, token = service_of(app).create(get_user("ops@example.com"), "Ops deploy")
    flag(app, clock, token, "198.51.100.7")
    through = str(int(clock.now.timestamp()))

    log_in(client, "admin@example.com", "admin")  # an overseer, not the owner
    page = client.get(f"{BASE}/1")
    assert "had not used before" in words(page)
    assert 'name="through"' not in page.get_data(as_text=True)
    response = client.post(
        f"{BASE}/1/acknowledge", data={"through": through, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 404
    assert flagged(app) == {"198.51.100.0/24": int(clock.now.timestamp()) - 60}

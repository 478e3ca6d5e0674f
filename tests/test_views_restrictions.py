"""The pages of restricted keys: the create and roll forms' Permissions and Allowed
networks, the Restrictions section, Edit restrictions, Narrow to what it used."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from example_app.models import db
from flask_secret_keys import Actor, Reach
from flask_secret_keys.reach import reach_of
from tests.helpers import csrf_token, get_user, service_of

BASE = "/settings/secret-api-keys"


def words(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def make_key(app: Flask, reach: Reach | None = None) -> tuple[int, str]:
    with app.app_context():
        key, token = service_of(app).create(get_user("admin@example.com"), "Sync", reach=reach)
        return key.id, token


def test_the_create_form_makes_a_restricted_key(admin_client: FlaskClient, app: Flask) -> None:
    page = admin_client.get(f"{BASE}/new").get_data(as_text=True)
    assert 'name="scope" type="radio" value="restricted"' in page.replace("checked ", "")
    for resource in ("orders", "refunds", "catalog"):
        assert f'name="level_{resource}"' in page

    response = admin_client.post(
        f"{BASE}/new",
        data={
            "csrf_token": csrf_token(admin_client, f"{BASE}/new"),
            "title": "Orders reader",
            "expiration": "never",
            "scope": "restricted",
            "level_orders": "read",
            "level_catalog": "none",
            "allowed_networks": "203.0.113.0/24\n2001:db8::/64",
        },
    )
    assert response.status_code == 200
    assert "Restricted orders read from 203.0.113.0/24, 2001:db8::/64" in words(response)
    with app.app_context():
        key = service_of(app).key_by_id(1)
        assert (key.permissions, key.allowed_networks) == (
            '{"orders": "read"}',
            '["203.0.113.0/24", "2001:db8::/64"]',
        )
    assert "Restricted" in words(admin_client.get(BASE))


def test_a_bad_network_is_a_field_error(admin_client: FlaskClient, app: Flask) -> None:
    response = admin_client.post(
        f"{BASE}/new",
        data={
            "csrf_token": csrf_token(admin_client, f"{BASE}/new"),
            "title": "X",
            "expiration": "never",
            "scope": "full",
            "allowed_networks": "203.0.113.0/24\nintranet",
        },
    )
    assert response.status_code == 422
    assert re.search(
        r'id="allowed_networks-error">&#39;intranet&#39; is not an IP address',
        response.get_data(as_text=True),
    )
    with app.app_context():
        assert service_of(app).keys_of(get_user("admin@example.com")) == []


def restrict(client: FlaskClient, key_id: int, **fields: str) -> Any:
    token = csrf_token(client, f"{BASE}/{key_id}/restrictions")
    return client.post(f"{BASE}/{key_id}/restrictions", data={"csrf_token": token, **fields})


def test_edit_restrictions_narrows_and_refuses_widening_with_a_way_to_roll(
    admin_client: FlaskClient, app: Flask
) -> None:
    key_id, _token = make_key(app, Reach.of({"orders": "write"}))

    wider = restrict(
        admin_client, key_id, scope="restricted", level_orders="write", level_catalog="read"
    )
    assert wider.status_code == 409
    assert "would add catalog none → read" in words(wider) and "roll the key" in words(wider)
    assert f'href="{BASE}/{key_id}/roll"' in wider.get_data(as_text=True)
    assert restrict(admin_client, key_id, scope="full").status_code == 409

    narrower = restrict(admin_client, key_id, scope="restricted", level_orders="read")
    assert (narrower.status_code, narrower.headers["Location"]) == (303, f"{BASE}/{key_id}")
    page = words(admin_client.get(f"{BASE}/{key_id}"))
    assert "Orders : Read" in page
    assert (
        "Restrictions narrowed from orders write from anywhere to orders read from anywhere" in page
    )


def test_a_restriction_that_is_not_valid_is_shown_by_its_field_and_changes_nothing(
    admin_client: FlaskClient, app: Flask
) -> None:
    key_id, _token = make_key(app, Reach.of({"orders": "write"}))

    refused = restrict(
        admin_client,
        key_id,
        scope="restricted",
        level_orders="read",
        allowed_networks="not an address",
    )

    assert refused.status_code == 422
    assert "is not an IP address or range" in words(refused)
    with app.app_context():
        assert reach_of(service_of(app).key_by_id(key_id)) == Reach.of({"orders": "write"})


def test_narrow_to_what_it_used_prefills_exactly_that(
    admin_client: FlaskClient, app: Flask
) -> None:
    key_id, token = make_key(app)
    api = app.test_client()
    for method, path, address in [
        ("GET", "/admin/api/orders", "203.0.113.7"),
        ("PUT", "/admin/api/catalog", "2001:db8::5"),
    ]:
        api.open(
            path,
            method=method,
            json={},
            headers={"X-Api-Key": token},
            environ_base={"REMOTE_ADDR": address},
        )
    detail = words(admin_client.get(f"{BASE}/{key_id}"))
    assert re.search(
        r"Used: catalog write \d+ seconds? ago , orders read \d+ seconds? ago"
        r" · From: (2001:db8::/64 , 203.0.113.0/24|203.0.113.0/24 , 2001:db8::/64)",
        detail,
    ), detail
    assert "Narrow to what it used" in detail and "Full access" in detail

    form = admin_client.get(f"{BASE}/{key_id}/restrictions?narrow=1").get_data(as_text=True)
    assert re.search(r'value="restricted"[^>]*checked|checked[^>]*value="restricted"', form)
    (orders_read,) = re.findall(r'<input[^>]*name="level_orders"[^>]*value="read"[^>]*>', form)
    assert "checked" in orders_read
    assert "203.0.113.0/24\n2001:db8::/64" in form
    assert (
        restrict(
            admin_client,
            key_id,
            scope="restricted",
            level_orders="read",
            level_catalog="write",
            allowed_networks="203.0.113.0/24\n2001:db8::/64",
        ).status_code
        == 303
    )


def test_the_roll_form_carries_the_restrictions(admin_client: FlaskClient, app: Flask) -> None:
    key_id, _token = make_key(app, Reach.of({"catalog": "read"}, ["10.0.0.0/8"]))
    form = admin_client.get(f"{BASE}/{key_id}/roll").get_data(as_text=True)
    assert "10.0.0.0/8</textarea>" in form.replace("\n</textarea>", "</textarea>")

    response = admin_client.post(
        f"{BASE}/{key_id}/roll",
        data={
            "csrf_token": csrf_token(admin_client, f"{BASE}/{key_id}/roll"),
            "when": "now",
            "scope": "restricted",
            "level_catalog": "write",
            "allowed_networks": "10.0.0.0/8",
        },
    )
    assert response.status_code == 200 and "catalog write from 10.0.0.0/8" in words(response)


def test_a_resource_no_route_declares_is_shown_as_such(
    admin_client: FlaskClient, app: Flask
) -> None:
    key_id, _token = make_key(app, Reach.of({"orders": "read"}))
    with app.app_context():
        key = service_of(app).key_by_id(key_id)
        key.permissions = '{"legacy": "write", "orders": "read"}'
        db.session.commit()

    page = admin_client.get(f"{BASE}/{key_id}")
    assert page.status_code == 200
    assert "Legacy : Write (no longer on any route)" in words(page)
    assert re.search(r"Routes it can reach \(5\)", words(page))


def test_the_activity_says_how_each_narrowing_changed_the_key_and_who_made_it(
    admin_client: FlaskClient, app: Flask
) -> None:
    key_id, _token = make_key(app)
    with app.app_context():
        service = service_of(app)
        for reach, actor in [
            (Reach.of(None, ["10.0.0.0/8"]), Actor.command_line("ops")),
            (Reach.of({"orders": "write"}, ["10.0.0.0/8"]), Actor.command_line()),
            (Reach.of({"orders": "none"}, ["10.0.0.0/8"]), Actor.system()),
        ]:
            service.restrict(service.key_by_id(key_id), reach, actor=actor)
        other, _token = service.create(get_user("ops@example.com"), "Ops")
        other_id = other.id
        service.restrict(other, Reach.of({}), actor=Actor.command_line())
        service.revoke(service.key_by_id(other_id), actor=Actor.command_line())

    page = words(admin_client.get(f"{BASE}/{key_id}"))
    others = words(admin_client.get(f"{BASE}/{other_id}"))

    assert (
        "Restrictions narrowed from full access from anywhere to full access from 10.0.0.0/8"
        " by ops on the command line"
    ) in page
    assert (
        "Restrictions narrowed from full access from 10.0.0.0/8 to orders write from 10.0.0.0/8"
        " by the command line"
    ) in page
    assert (
        "Restrictions narrowed from orders write from 10.0.0.0/8 to no permissions from"
        " 10.0.0.0/8 by the system"
    ) in page
    assert (
        "Restrictions narrowed from full access from anywhere to no permissions from anywhere"
    ) in others
    assert "Revoked by The command line" in others

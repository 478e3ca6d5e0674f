"""Restricted keys on the Admin API: declarations, refusals, networks, usage records, races.

The example Admin API declares ``orders`` blueprint-wide (with ``/orders/search`` a
POST that only reads and ``/orders/refund`` its own ``refunds``), ``catalog``
view by view, and leaves ``/me`` and ``/echo`` undeclared.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask
from flask.testing import FlaskClient

from example_app.models import db
from flask_secret_keys import (
    Actor,
    KeyNotRollable,
    Reach,
    SecretKeys,
    WouldWiden,
    admin_api_blueprint,
    admin_api_required,
    signals,
)
from flask_secret_keys.service.store import Store
from flask_secret_keys.usage import Usage
from tests.helpers import count_statements, csrf_token, get_user, run_together, service_of

API = "/admin/api"
INSIDE = {"REMOTE_ADDR": "203.0.113.9"}
OUTSIDE = {"REMOTE_ADDR": "198.51.100.1"}


def new_key(app: Flask, reach: Reach | None = None, email: str = "admin@example.com") -> str:
    with app.app_context():
        _key, token = service_of(app).create(get_user(email), "K", reach=reach)
    return token


def call(
    client: FlaskClient, method: str, path: str, token: str, client_env: dict[str, str] = INSIDE
) -> Any:
    return client.open(
        f"{API}{path}",
        method=method,
        headers={"Authorization": f"Bearer {token}"},
        json={} if method in ("POST", "PUT") else None,
        environ_base=client_env,
    )


ORDERS_READ = Reach.of({"orders": "read"}, ["203.0.113.0/24"])


@pytest.mark.parametrize(
    ("method", "path", "status", "required"),
    [
        ("GET", "/orders", 200, None),
        ("HEAD", "/orders", 200, None),
        ("OPTIONS", "/orders", 200, None),
        ("POST", "/orders", 403, "orders:write"),
        ("POST", "/orders/search", 200, None),  # access="read" overrides the method
        ("POST", "/orders/refund", 403, "refunds:write"),  # the view's resource wins
        ("GET", "/catalog", 403, "catalog:read"),
        ("PUT", "/catalog", 403, "catalog:write"),
        ("GET", "/me", 403, "full_access"),  # undeclared: Full access only
        ("POST", "/echo", 403, "full_access"),
    ],
)
def test_a_restricted_key_reaches_only_its_permissions(
    app: Flask, client: FlaskClient, method: str, path: str, status: int, required: str | None
) -> None:
    response = call(client, method, path, new_key(app, ORDERS_READ))

    assert response.status_code == status
    if required is not None:
        assert (response.json or {})["error"] == "insufficient_scope"
        assert (response.json or {})["required"] == required
        assert response.headers["WWW-Authenticate"] == (
            f'Bearer error="insufficient_scope", scope="{required}"'
        )
        assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/me"), ("POST", "/echo"), ("POST", "/orders"), ("PUT", "/catalog")],
)
def test_a_full_access_key_reaches_every_route(
    app: Flask, client: FlaskClient, method: str, path: str
) -> None:
    assert call(client, method, path, new_key(app)).status_code in (200, 201)


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("203.0.113.0", 200),
        ("203.0.113.255", 200),
        ("::ffff:203.0.113.4", 200),
        ("203.0.114.0", 403),
        ("2001:db8::1", 403),
    ],
)
def test_a_key_is_refused_outside_its_networks(
    app: Flask, client: FlaskClient, address: str, status: int
) -> None:
    response = call(client, "GET", "/orders", new_key(app, ORDERS_READ), {"REMOTE_ADDR": address})

    assert response.status_code == status
    if status == 403:
        assert (response.json or {})["error"] == "network_not_allowed"
        assert "WWW-Authenticate" not in response.headers


def test_sessions_are_never_restricted(app: Flask, admin_client: FlaskClient) -> None:
    new_key(app, ORDERS_READ)
    token = csrf_token(admin_client, "/settings/secret-api-keys/new")
    headers = {"X-CSRFToken": token}

    assert admin_client.get(f"{API}/me", environ_base=OUTSIDE).status_code == 200
    assert admin_client.post(f"{API}/orders", json={}, headers=headers).status_code == 201
    assert (admin_client.get(f"{API}/orders").json or [{}])[0]["refunded"] is False


def test_a_view_asks_allows_for_finer_checks(app: Flask, client: FlaskClient) -> None:
    without = call(client, "GET", "/orders", new_key(app, ORDERS_READ))
    with_refunds = call(
        client,
        "GET",
        "/orders",
        new_key(app, Reach.of({"orders": "read", "refunds": "read"}), "ops@example.com"),
    )

    assert "refunded" not in (without.json or {})[0]
    assert (with_refunds.json or {})[0]["refunded"] is False


def test_the_check_costs_no_statement(app: Flask, client: FlaskClient) -> None:
    full, restricted = new_key(app), new_key(app, ORDERS_READ, "ops@example.com")
    for token in (full, restricted):  # the first uses write their usage records
        call(client, "GET", "/orders", token)
    call(client, "POST", "/orders", restricted)
    with app.app_context():
        engine = db.engine
    counts = []
    for token in (full, restricted, restricted):
        with count_statements(engine) as log:
            assert call(client, "GET", "/orders", token).status_code == 200
        counts.append(len(log))
    with count_statements(engine) as log:
        assert call(client, "POST", "/orders", restricted).status_code == 403
    assert counts == [1, 1, 1] and len(log) == 1


# Declarations


@pytest.fixture
def host(make_app: Callable[..., Flask]) -> Flask:
    """A host with a blueprint-wide resource, nested blueprints and per-view overrides."""
    app = make_app()
    shop = admin_api_blueprint(Blueprint("shop", __name__, url_prefix="/shop"), resource="stock")
    inner = Blueprint("inner", __name__, url_prefix="/inner")

    @inner.get("/level")
    def level() -> str:
        return "stock"

    @inner.delete("/count")
    @admin_api_required(access="read")
    def count() -> str:
        return "counted"

    shop.register_blueprint(inner)
    app.register_blueprint(shop)
    return app


@pytest.mark.parametrize(
    ("method", "path", "required"),
    [("GET", "/shop/inner/level", "stock:read"), ("DELETE", "/shop/inner/count", "stock:read")],
)
def test_nested_blueprints_inherit_the_resource_and_a_view_overrides_the_access(
    host: Flask, method: str, path: str, required: str
) -> None:
    allowed = new_key(host, Reach.of({"stock": "read"}))
    denied = new_key(host, Reach.of({"orders": "write"}), "ops@example.com")
    client = host.test_client()

    assert client.open(path, method=method, headers={"X-Api-Key": allowed}).status_code == 200
    refused = client.open(path, method=method, headers={"X-Api-Key": denied})
    assert (refused.status_code, (refused.json or {})["required"]) == (403, required)


@pytest.mark.parametrize(
    "declare",
    [
        lambda: admin_api_required(resource="Not A Name"),
        lambda: admin_api_required(access="admin"),
        lambda: admin_api_blueprint(Blueprint("x", __name__), resource="x-y"),
    ],
)
def test_a_malformed_declaration_fails_at_import(declare: Any) -> None:
    with pytest.raises(ValueError, match="is not a"):
        declare()


def test_a_malformed_resource_label_fails_at_construction() -> None:
    from tests.helpers import new_db_and_user

    host_db, user = new_db_and_user("label_users")
    with pytest.raises(RuntimeError, match="resources: 'Orders!' is not a resource name"):
        SecretKeys(db=host_db, user_model=user, resources={"Orders!": "Orders"})


# Usage records, in the throttled write


def test_usage_is_recorded_with_the_throttled_write(app: Flask, client: FlaskClient) -> None:
    token = new_key(app, Reach.of({"orders": "write"}))
    with app.app_context():
        engine = db.engine
    with count_statements(engine) as log:
        call(client, "GET", "/orders", token)  # new: written with last used
        call(client, "GET", "/orders", token)  # nothing new within the interval
        call(client, "POST", "/orders", token, {"REMOTE_ADDR": "2001:db8::7"})  # new
        call(client, "GET", "/catalog", token)  # refused: new
        call(client, "GET", "/catalog", token)  # refused again: nothing new
    assert len(log.matching("UPDATE")) == 3
    with app.app_context():
        usage = Usage.from_text(service_of(app).key_by_id(1).usage_record)
    assert set(usage.used) == {"orders:read", "orders:write"}
    assert set(usage.networks) == {"203.0.113.0/24", "2001:db8::/64"}
    assert set(usage.refused) == {"catalog:read"}


def test_a_failing_usage_write_never_fails_the_request(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = new_key(app, ORDERS_READ)
    broken = sa.create_engine("sqlite:////nonexistent/folder/db.sqlite")
    monkeypatch.setattr(Store, "engine_for", lambda self, model: broken)
    with caplog.at_level(logging.WARNING):
        assert call(client, "GET", "/orders", token).status_code == 200
        assert call(client, "POST", "/orders", token).status_code == 403
    assert caplog.text.count("Could not record the use of secret API key 1") == 2
    assert token not in caplog.text


def test_refusals_are_signalled(app: Flask, client: FlaskClient) -> None:
    token = new_key(app, ORDERS_READ)
    seen: list[str] = []

    def receive(sender: Any, reason: str, key: Any) -> None:
        seen.append(reason)

    with signals.key_rejected.connected_to(receive, app):
        call(client, "POST", "/orders", token)
        call(client, "GET", "/orders", token, OUTSIDE)
    assert seen == ["insufficient_scope", "network_not_allowed"]


# Narrowing in place, and races


def test_restrict_narrows_records_an_event_and_refuses_widening(app: Flask) -> None:
    service = service_of(app)
    with app.app_context():
        key, _ = service.create(get_user("admin@example.com"), "K")
        service.restrict(key, ORDERS_READ, actor=Actor.command_line())
        with pytest.raises(WouldWiden, match=r"would add orders read → write.*roll the key"):
            service.restrict(key, Reach.of({"orders": "write"}, ["203.0.113.0/24"]))
        service.restrict(key, ORDERS_READ)  # the same again: no change, no event
        (event, _created) = service.events_of(key.id)
    assert event.event == "restricted"
    assert event.details == {
        "before": {"permissions": None, "allowed_networks": []},
        "after": {"permissions": {"orders": "read"}, "allowed_networks": ["203.0.113.0/24"]},
    }
    assert event.summary == (
        "Restrictions narrowed from Full access from anywhere to orders read from 203.0.113.0/24"
    )


@pytest.mark.concurrency
def test_two_concurrent_restrictions_never_widen(app: Flask) -> None:
    service = service_of(app)
    with app.app_context():
        key, _ = service.create(
            get_user("admin@example.com"),
            "K",
            reach=Reach.of({"orders": "write", "catalog": "write"}),
        )
        key_id = key.id
    to_orders_read = Reach.of({"orders": "read", "catalog": "write"})
    to_catalog_read = Reach.of({"orders": "write", "catalog": "read"})

    def restrict(reach: Reach) -> Any:
        return lambda: service.restrict(service.key_by_id(key_id), reach)

    results = run_together(app, [restrict(to_orders_read), restrict(to_catalog_read)])
    with app.app_context():
        final = Reach.of(json.loads(service.key_by_id(key_id).permissions or "null"))
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, WouldWiden) for r in refused) and len(refused) == 1
    assert final in (to_orders_read, to_catalog_read)


@pytest.mark.concurrency
def test_a_roll_racing_a_restriction_never_undoes_it(app: Flask) -> None:
    service = service_of(app)
    with app.app_context():
        key, _ = service.create(get_user("admin@example.com"), "K")
        key_id = key.id
    narrowed = Reach.of({"orders": "read"})

    def restrict() -> Any:
        return service.restrict(service.key_by_id(key_id), narrowed)

    def roll() -> Any:
        successor, _token = service.roll(service.key_by_id(key_id), dt.timedelta(hours=1))
        return successor.id

    results = run_together(app, [restrict, roll])
    with app.app_context():
        keys = service.keys_of(get_user("admin@example.com"))
        reaches = {k.id: (k.permissions, k.allowed_networks) for k in keys}
    if isinstance(results[1], Exception):
        assert isinstance(results[1], KeyNotRollable)
    else:
        # Whichever went first, the successor carries what the key had when it was
        # rolled, and the key itself is never widened back.
        assert reaches[results[1]] in (Reach().to_columns(), narrowed.to_columns())
    if not isinstance(results[0], Exception):
        assert reaches[key_id] == narrowed.to_columns()

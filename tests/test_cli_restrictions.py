"""The command line of restricted keys: create and roll with --permission and
--allow-network, restrict, routes, and the restrictions in list --json and log."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask_login import LoginManager

from flask_secret_keys import Reach, SecretKeys
from tests.helpers import new_db_and_user, run_cli, service_of


def created(app: Flask, *options: str) -> tuple[int, str]:
    code, out, err = run_cli(app, "create", "--user", "ops@example.com", "--title", "CI", *options)
    assert code == 0, err
    return code, out.strip().splitlines()[-1]


def listed(app: Flask) -> list[dict[str, object]]:
    code, out, _err = run_cli(app, "list", "--all", "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_create_with_permissions_and_networks(app: Flask) -> None:
    _code, token = created(
        app,
        "--permission",
        "orders:read",
        "--permission",
        "catalog:write",
        "--allow-network",
        "203.0.113.0/24",
    )
    (record,) = listed(app)

    assert record["permissions"] == {"catalog": "write", "orders": "read"}
    assert record["allowed_networks"] == ["203.0.113.0/24"]
    assert "expires_at" in record
    response = app.test_client().post(
        "/admin/api/orders",
        headers={"X-Api-Key": token},
        environ_base={"REMOTE_ADDR": "203.0.113.1"},
    )
    assert (response.json or {})["required"] == "orders:write"


def test_without_options_a_key_is_full_access_from_anywhere(app: Flask) -> None:
    created(app)
    (record,) = listed(app)
    assert (record["permissions"], record["allowed_networks"]) == (None, [])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--permission", "stock:read"], "No Admin API route declares the resource 'stock'"),
        (["--permission", "orders"], "is not a permission"),
        (["--allow-network", "nowhere"], "is not an IP address or range"),
    ],
)
def test_create_refuses_bad_restrictions_in_one_line(
    app: Flask, options: list[str], message: str
) -> None:
    code, _out, err = run_cli(app, "create", "--user", "ops@example.com", "--title", "CI", *options)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1
    assert listed(app) == []


def test_restrict_narrows_and_refuses_widening_in_one_line(app: Flask) -> None:
    created(app, "--permission", "orders:write")

    code, out, _err = run_cli(app, "restrict", "1", "--permission", "orders:read")
    assert code == 0 and "now orders read from anywhere" in out
    code, _out, err = run_cli(app, "restrict", "1", "--permission", "orders:write")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "would add orders read → write" in err and "roll the key" in err
    code, _out, _err = run_cli(app, "restrict", "1", "--allow-network", "10.0.0.0/8")
    assert code == 0
    (record,) = listed(app)
    assert record["permissions"] == {"orders": "read"}
    assert record["allowed_networks"] == ["10.0.0.0/8"]
    code, out, _err = run_cli(app, "log", "1")
    assert "Restrictions narrowed from orders write from anywhere to orders read" in out
    with app.app_context():  # the management API can take every permission away
        service = service_of(app)
        service.restrict(service.key_by_id(1), Reach.of({"orders": "none"}, ["10.0.0.0/8"]))
    assert (
        "Restrictions narrowed from orders read from 10.0.0.0/8 to no permissions from 10.0.0.0/8"
    ) in run_cli(app, "log", "1")[1]


def test_restrict_without_options_is_a_usage_error_that_changes_nothing(app: Flask) -> None:
    created(app, "--permission", "orders:write")

    code, _out, err = run_cli(app, "restrict", "1")

    assert code == 2 and "Give --permission, --allow-network or both." in err
    (record,) = listed(app)
    assert record["permissions"] == {"orders": "write"}


def test_roll_keeps_the_restrictions_unless_given_others(app: Flask) -> None:
    created(app, "--permission", "orders:read", "--allow-network", "10.0.0.0/8")

    code, _out, err = run_cli(app, "roll", "1")
    assert code == 0 and "orders read from 10.0.0.0/8" in err
    code, _out, err = run_cli(app, "roll", "2", "--permission", "orders:write")
    assert code == 0 and "orders write from 10.0.0.0/8" in err  # wider: a new secret
    records = {r["id"]: r for r in listed(app)}
    assert records[3]["permissions"] == {"orders": "write"}


def test_routes_lists_the_admin_api_with_resource_and_access(app: Flask) -> None:
    code, out, _err = run_cli(app, "routes")
    lines = [line.split() for line in out.splitlines()]

    assert code == 0 and lines[0] == ["Endpoint", "Method", "Resource", "Access", "Rule"]
    assert [
        "admin_api.orders.search_orders",
        "POST",
        "orders",
        "read",
        "/admin/api/orders/search",
    ] in lines
    assert ["admin_api.set_price", "PUT", "catalog", "write", "/admin/api/catalog"] in lines
    assert ["admin_api.me", "GET", "-", "full", "access", "/admin/api/me"] in lines
    assert not any("secret_keys." in line[0] for line in lines[2:])


def test_routes_of_a_host_without_an_admin_api_says_how_to_declare_them() -> None:
    """No route of the host's, and the management API left out."""
    db, user = new_db_and_user("routeless_users")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="routeless", SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEYS_API_PREFIX=None
    )
    db.init_app(app)
    LoginManager(app)
    SecretKeys(app, db=db, user_model=user)

    assert run_cli(app, "routes") == (
        0,
        "No Admin API routes: declare them with admin_api_required.\n",
        "",
    )

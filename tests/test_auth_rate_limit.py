"""Brute force: failed key attempts are limited per client, successes never are."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_secret_keys import crypto
from flask_secret_keys.ratelimit import client_of
from tests.helpers import csrf_token, get_user, log_in, service_of
from tests.host import create_app

LIMIT = 3
BAD = {"Authorization": "Bearer " + crypto.generate_token()}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "SECRET_KEYS_RATE_LIMIT": f"{LIMIT} per minute"}


def me(client: FlaskClient, headers: dict[str, str], addr: str = "192.0.2.1") -> Any:
    return client.get("/admin/api/me", headers=headers, environ_base={"REMOTE_ADDR": addr})


def exhaust(client: FlaskClient, addr: str = "192.0.2.1") -> None:
    for _ in range(LIMIT):
        assert me(client, BAD, addr).status_code == 401


def test_failed_attempts_beyond_the_limit_get_429_with_retry_after(client: FlaskClient) -> None:
    exhaust(client)

    response = me(client, BAD)

    assert response.status_code == 429
    assert response.is_json
    assert response.json["error"] == "too_many_attempts"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Cache-Control"] == "no-store"


def test_a_valid_key_passes_while_its_address_is_over_the_limit(
    client: FlaskClient, admin_token: str
) -> None:
    """Others' failures behind the same address (an office behind NAT) never lock a key out."""
    exhaust(client)
    assert me(client, BAD).status_code == 429

    response = me(client, {"Authorization": f"Bearer {admin_token}"})

    assert response.status_code == 200
    assert me(client, BAD).status_code == 429


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("", "unknown"),
        (None, "unknown"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_failures_count_per_ipv4_address_and_per_ipv6_64(address: str | None, client: str) -> None:
    assert client_of(address) == client


def test_malformed_keys_count_as_failures(client: FlaskClient) -> None:
    for _ in range(LIMIT):
        assert me(client, {"X-Api-Key": "sk_short"}).status_code == 401
    assert me(client, {"X-Api-Key": "sk_short"}).status_code == 429


def test_identify_counts_a_secret_that_matches_nothing_as_a_failed_attempt(
    client: FlaskClient, admin_token: str
) -> None:
    """Identify checks pasted secrets one by one, as the Admin API does: one count for both."""
    log_in(client, "admin@example.com", "admin")
    url = "/settings/secret-api-keys/identify"
    token = csrf_token(client, "/settings/secret-api-keys")

    def identify(secret: str) -> Any:
        return client.post(
            url,
            data={"csrf_token": token, "key": secret},
            environ_base={"REMOTE_ADDR": "192.0.2.1"},
        )

    for _ in range(LIMIT - 1):
        assert identify(crypto.generate_token()).status_code == 422
    assert me(client, BAD).status_code == 401
    refused = identify(crypto.generate_token())
    found = identify(admin_token)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many keys that match nothing" in refused.get_data(as_text=True)
    assert me(client, BAD).status_code == 429
    assert found.status_code == 303


def test_successful_requests_are_never_counted(client: FlaskClient, admin_token: str) -> None:
    good = {"Authorization": f"Bearer {admin_token}"}
    for _ in range(LIMIT * 20):
        assert me(client, good).status_code == 200
    for _ in range(LIMIT - 1):
        assert me(client, BAD).status_code == 401
    for _ in range(LIMIT * 20):
        assert me(client, good).status_code == 200
    assert me(client, BAD).status_code == 401
    assert me(client, BAD).status_code == 429


def test_requests_without_a_key_are_not_limited(client: FlaskClient) -> None:
    exhaust(client)

    assert me(client, {}).status_code == 401
    assert client.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200


def test_each_client_has_its_own_count(client: FlaskClient, admin_token: str) -> None:
    exhaust(client, "192.0.2.1")

    assert me(client, BAD, "192.0.2.1").status_code == 429
    assert me(client, BAD, "192.0.2.2").status_code == 401
    assert me(client, {"X-Api-Key": admin_token}, "192.0.2.3").status_code == 200


def test_x_forwarded_for_is_ignored_unless_the_host_trusts_a_proxy(client: FlaskClient) -> None:
    exhaust(client)

    for n in range(5):
        spoofed = {**BAD, "X-Forwarded-For": f"198.51.100.{n}"}
        assert me(client, spoofed).status_code == 429


def test_behind_proxyfix_each_forwarded_client_is_counted_apart(app: Flask) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    client = app.test_client()
    proxy = "10.0.0.1"

    for _ in range(LIMIT):
        assert me(client, {**BAD, "X-Forwarded-For": "203.0.113.1"}, proxy).status_code == 401
    # The client cannot escape by prepending its own values: one proxy is
    # trusted, so only the address that proxy appended counts.
    forged = {**BAD, "X-Forwarded-For": "198.51.100.9, 203.0.113.1"}
    assert me(client, forged, proxy).status_code == 429
    assert me(client, {**BAD, "X-Forwarded-For": "203.0.113.2"}, proxy).status_code == 401


def test_the_limit_lifts_when_the_window_passes(make_app: Callable[..., Flask]) -> None:
    client = make_app(SECRET_KEYS_RATE_LIMIT="1 per second").test_client()
    assert me(client, BAD).status_code == 401
    assert me(client, BAD).status_code == 429

    time.sleep(1.1)

    assert me(client, BAD).status_code == 401


def test_rate_limit_is_off_by_default(make_app: Callable[..., Flask]) -> None:
    client = make_app(SECRET_KEYS_RATE_LIMIT=None).test_client()

    assert {me(client, BAD).status_code for _ in range(LIMIT * 5)} == {401}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"SECRET_KEYS_RATE_LIMIT": "3 per fortnight"}, "such as '10 per minute'"),
        ({"SECRET_KEYS_RATE_LIMIT": 3}, "such as '10 per minute'"),
        ({"SECRET_KEYS_RATE_LIMIT_STORAGE": "localhost:6379"}, "must be a storage URI"),
        ({"SECRET_KEYS_RATE_LIMIT_STORAGE": "nosuch://x"}, "'redis://host:6379/0'"),
    ],
)
def test_rate_limit_mistakes_fail_at_start_up_saying_how_to_fix_them(
    app_config: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuntimeError, match="flask-secret-keys") as error:
        create_app({**app_config, **config})
    assert message in str(error.value)


def test_rate_limit_without_the_limits_package_says_what_to_install(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "limits", None)
    monkeypatch.delitem(sys.modules, "flask_secret_keys.ratelimit", raising=False)

    with pytest.raises(RuntimeError, match=r"pip install 'flask-secret-keys\[limiter\]'"):
        create_app(app_config)


def test_an_unreachable_storage_lets_requests_through_and_logs_it(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(SECRET_KEYS_RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0")
    with app.app_context():
        _key, token = service_of(app).create(get_user("admin@example.com"), "Key")
    client = app.test_client()

    with caplog.at_level(logging.WARNING, logger="flask_secret_keys.ratelimit"):
        statuses = {me(client, BAD).status_code for _ in range(LIMIT + 2)}
        good = me(client, {"X-Api-Key": token})

    assert statuses == {401}
    assert good.status_code == 200
    assert "Rate limit storage failed" in caplog.text


def test_workers_sharing_redis_share_the_count(
    make_app: Callable[..., Flask], redis_storage: str
) -> None:
    """Two apps stand for two worker processes: failures on one block the client on the other."""
    worker_a = make_app(SECRET_KEYS_RATE_LIMIT_STORAGE=redis_storage)
    worker_b = make_app(SECRET_KEYS_RATE_LIMIT_STORAGE=redis_storage)
    addr = f"192.0.2.{uuid.uuid4().int % 200 + 1}"

    exhaust(worker_a.test_client(), addr)

    assert me(worker_b.test_client(), BAD, addr).status_code == 429
    assert me(worker_a.test_client(), BAD, addr).status_code == 429

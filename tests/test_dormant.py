"""Dormant keys: unused for SECRET_KEYS_REVOKE_UNUSED_AFTER, refused like expired ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_secret_keys import signals
from tests.helpers import Clock, count_statements, get_user, run_cli, service_of

DAYS = 90


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(SECRET_KEYS_REVOKE_UNUSED_AFTER=DAYS)


def new_key(app: Flask, email: str = "admin@example.com") -> tuple[int, str]:
    with app.app_context():
        key, token = service_of(app).create(get_user(email), "Deploy")
        return key.id, token


def api(client: FlaskClient, token: str) -> int:
    return client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


def status(app: Flask, key_id: int) -> str:
    with app.app_context():
        service = service_of(app)
        return service.status_of(service.key_by_id(key_id))


@pytest.mark.parametrize(
    ("after", "works"),
    [(dt.timedelta(days=DAYS) - dt.timedelta(seconds=1), True), (dt.timedelta(days=DAYS), False)],
)
def test_a_key_never_used_goes_dormant_counted_from_its_creation(
    app: Flask, client: FlaskClient, clock: Clock, after: dt.timedelta, works: bool
) -> None:
    key_id, token = new_key(app)
    clock.advance(seconds=after.total_seconds())
    reasons: list[str] = []

    def on_reject(sender: Flask, reason: str, **extra: Any) -> None:
        reasons.append(reason)

    with signals.key_rejected.connected_to(on_reject, sender=app):
        assert api(client, token) == (200 if works else 401)

    assert status(app, key_id) == ("active" if works else "dormant")
    assert reasons == ([] if works else ["dormant"])


def test_each_use_starts_the_count_again(app: Flask, client: FlaskClient, clock: Clock) -> None:
    key_id, token = new_key(app)
    clock.advance(days=DAYS - 1)
    assert api(client, token) == 200
    clock.advance(days=DAYS - 1)
    assert api(client, token) == 200
    clock.advance(days=DAYS)

    assert api(client, token) == 401
    assert status(app, key_id) == "dormant"


def test_the_check_reads_the_row_the_lookup_reads(app: Flask, clock: Clock) -> None:
    _key_id, token = new_key(app)
    clock.advance(days=DAYS)
    with app.app_context():
        service = service_of(app)
        with count_statements(app.extensions["sqlalchemy"].engine) as log:
            assert service.authenticate(token) is None

    assert len(log) == 1, [statement[:60] for statement in log.statements]


def test_a_key_about_to_go_dormant_is_listed_as_expiring(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    idle_id, _token = new_key(app)
    _used_id, used_token = new_key(app, "ops@example.com")
    clock.advance(days=DAYS - 5)
    assert api(client, used_token) == 200

    with app.app_context():
        expiring = service_of(app).expiring(dt.timedelta(days=7))

    assert [key.id for key in expiring] == [idle_id]


def test_a_dormant_key_is_no_working_key_and_gives_up_its_slot(app: Flask, clock: Clock) -> None:
    key_id, _token = new_key(app)
    clock.advance(days=DAYS)
    with app.app_context():
        service = service_of(app)
        admin = get_user("admin@example.com")
        assert service.working_keys_of(admin) == []
        assert service.active_key(admin) is None
        successor, _ = service.create(admin, "Successor")
        assert service.status_of(successor) == "active"
        assert service.status_of(service.key_by_id(key_id)) == "dormant"


def test_without_the_setting_keys_never_go_dormant(
    make_app: Callable[..., Flask], clock: Clock
) -> None:
    app = make_app()
    key_id, _token = new_key(app)
    clock.advance(days=3650)

    assert status(app, key_id) == "active"


def test_the_dormant_command_lists_and_revokes(app: Flask, clock: Clock) -> None:
    old_id, _ = new_key(app)
    clock.advance(days=30)
    recent_id, _ = new_key(app, "ops@example.com")
    clock.advance(days=29)

    code, out, _ = run_cli(app, "dormant", "--unused-for", "45d")
    none_code, none_out, _ = run_cli(app, "dormant", "--unused-for", "90d")
    revoke_code, revoked, _ = run_cli(app, "dormant", "--unused-for", "45d", "--revoke")

    assert code == none_code == revoke_code == 0
    ids = [line.split()[0] for line in out.splitlines()[1:-1]]
    assert ids == [str(old_id)]
    assert "1 key; --revoke revokes them." in out
    assert "No secret API key has gone unused for 90d." in none_out
    assert "Revoked 1 secret API key." in revoked
    assert status(app, old_id) == "revoked"
    assert status(app, recent_id) == "active"


def test_the_pages_show_a_dormant_key(app: Flask, admin_client: FlaskClient, clock: Clock) -> None:
    key_id, _ = new_key(app)
    clock.advance(days=DAYS + 1)

    listed = admin_client.get("/settings/secret-api-keys").get_data(as_text=True)
    page = admin_client.get(f"/settings/secret-api-keys/{key_id}").get_data(as_text=True)

    assert 'sk-badge--dormant">Dormant<' in listed
    assert "This key is dormant" in page
    assert "longer than the 90 days this app allows" in page


def test_list_json_says_dormant(app: Flask, clock: Clock) -> None:
    new_key(app)
    clock.advance(days=DAYS)

    _code, out, _ = run_cli(app, "list", "--all", "--json")

    assert '"status": "dormant"' in out

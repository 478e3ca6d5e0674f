"""What happens as the clock passes, and rolls that must not outlive their rules.

A scheduled revocation or a grace period that ends is recorded, once, by the
system; the maximum lifetime applies to keys made before it was set; a user
has at most one key in grace; a demoted admin gets no successor; a far expiry
survives a roll.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from example_app.models import User, db
from flask_secret_keys import Actor, KeyQuery, KeyService, NotAnAdmin, signals
from tests.helpers import Clock, count_statements, get_user, run_cli, service_of

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def events(service: KeyService, key_id: int) -> list[tuple[str, str, dt.datetime]]:
    return [(e.event, e.actor_kind, e.at) for e in reversed(service.events_of(key_id))]


def revoked_signals(app: Flask) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    signals.key_revoked.connect(lambda _app, **kw: sent.append(kw), app, weak=False)
    return sent


# A revocation that takes effect by the clock is recorded once, by the system


@pytest.mark.parametrize("how", ["scheduled", "rolled"])
def test_a_revocation_that_takes_effect_by_the_clock_is_recorded_once(
    app: Flask, service: KeyService, admin: User, clock: Clock, how: str
) -> None:
    key, token = service.create(admin, "Deploy")
    if how == "scheduled":
        service.revoke(key, at=clock.now + HOUR, actor=Actor.for_user(admin))
    else:
        service.roll(key, HOUR, actor=Actor.for_user(admin))
    stops = clock.now + HOUR
    sent = revoked_signals(app)
    assert service.settle(admin) == []

    clock.advance(hours=2)
    assert service.authenticate(token) is None
    assert [k.id for k in service.settle()] == [key.id]
    assert service.settle() == []  # once

    assert events(service, key.id)[-1] == ("revoked", "system", stops)
    assert len(sent) == 1 and sent[0]["key"].id == key.id
    assert sent[0]["actor"] == Actor.system()


def test_the_pages_record_it_for_the_user_they_show(
    app: Flask, admin_client: Any, clock: Clock
) -> None:
    with app.app_context():
        service = service_of(app)
        key, _ = service.create(get_user("admin@example.com"), "Deploy")
        service.revoke(key, at=clock.now + HOUR)
        key_id = key.id
    clock.advance(hours=2)

    assert admin_client.get("/settings/secret-api-keys").status_code == 200
    with app.app_context():
        assert events(service_of(app), key_id)[-1][:2] == ("revoked", "system")


def test_recording_costs_no_statement_on_a_key_request(
    app: Flask, service: KeyService, admin: User, clock: Clock
) -> None:
    key, token = service.create(admin, "Deploy")
    service.revoke(key, at=clock.now + HOUR)
    key_id = key.id
    clock.advance(hours=2)
    db.session.remove()
    with count_statements(db.engine) as log:
        assert service.authenticate(token) is None
    assert len(log) == 1
    assert events(service, key_id)[-1][0] == "revocation_scheduled"


def test_housekeeping_records_every_users_due_revocations(
    app: Flask, service: KeyService, admin: User, ops: User, clock: Clock
) -> None:
    for user in (admin, ops):
        key, _ = service.create(user, "Deploy")
        service.revoke(key, at=clock.now + HOUR)
    clock.advance(hours=2)
    code, out, _err = run_cli(app, "housekeeping")
    assert code == 0 and "2 revocations recorded" in out
    assert service.settle() == []


# The maximum lifetime applies to keys made before it was set

#: The settings of an app with a maximum lifetime of 30 days.
MONTH_AT_MOST = {"SECRET_KEYS_DEFAULT_EXPIRATION": 30, "SECRET_KEYS_MAX_LIFETIME": 30}


def key_made_before_the_maximum(service: KeyService, email: str, now: dt.datetime) -> Any:
    """A key of ``email``'s as a key made before the maximum was set: no expiry of its own."""
    key, token = service.create(get_user(email), "Forever", expires_at=now + DAY)
    db.session.execute(
        sa.update(service.model).where(service.model.id == key.id).values(expires_at=None)
    )
    db.session.commit()
    return key.id, token


def test_a_key_older_than_the_maximum_lifetime_stops_working(
    make_app: Callable[..., Flask], clock: Clock
) -> None:
    app = make_app(**MONTH_AT_MOST)
    with app.app_context():
        service = service_of(app)
        admin = get_user("admin@example.com")
        key_id, token = key_made_before_the_maximum(service, "admin@example.com", clock.now)
        assert service.authenticate(token) is not None
        clock.advance(days=30, seconds=1)

        key = service.key_by_id(key_id)
        assert service.authenticate(token) is None
        assert service.status_of(key) == "expired"
        assert service.ends_at(key) == key.created_at + dt.timedelta(days=30)
        assert service.active_key(admin) is None
        assert [k.id for k in service.search(admin, KeyQuery(status="expired")).items] == [key_id]
        assert service.search(admin, KeyQuery(status="active")).items == []
        # The page that shows it writes the expiry down, and says why.
        key = service.key_by_id(key_id)
        assert key.expires_at == key.created_at + dt.timedelta(days=30)
        capped = service.events_of(key_id)[0]
        assert (capped.event, capped.actor_kind) == ("lifetime_capped", "system")
        assert "keys live at most 30 days" in capped.summary
        # Its slot is free: a new key can be made, and the old one deleted.
        service.create(admin, "Successor", expires_at=clock.now + DAY)
        service.delete(service.key_by_id(key_id))


def test_housekeeping_brings_every_expiry_within_a_new_maximum(
    make_app: Callable[..., Flask], clock: Clock
) -> None:
    app = make_app(**MONTH_AT_MOST)
    with app.app_context():
        key_id, _token = key_made_before_the_maximum(service_of(app), "ops@example.com", clock.now)
    code, _out, _err = run_cli(app, "housekeeping")
    assert code == 0
    with app.app_context():
        key = service_of(app).key_by_id(key_id)
        assert key.expires_at == clock.now + dt.timedelta(days=30)


def test_the_maximum_lifetime_counts_in_the_expiring_list(
    make_app: Callable[..., Flask], clock: Clock
) -> None:
    app = make_app(**MONTH_AT_MOST)
    with app.app_context():
        service = service_of(app)
        admin = get_user("admin@example.com")
        service.create(admin, "Month", expires_at=clock.now + dt.timedelta(days=30))
        clock.advance(days=25)
        assert [k.title for k in service.expiring(dt.timedelta(days=7))] == ["Month"]


# Rolls


def test_a_user_has_at_most_one_key_in_grace(
    app: Flask, service: KeyService, admin: User, clock: Clock
) -> None:
    first, first_token = service.create(admin, "Deploy")
    second, second_token = service.roll(first, dt.timedelta(days=7))
    third, third_token = service.roll(second, dt.timedelta(days=7))

    assert service.authenticate(first_token) is None
    assert service.authenticate(second_token) is not None
    assert service.authenticate(third_token) is not None
    assert [k.id for k in service.working_keys_of(admin)] == [second.id, third.id]
    assert events(service, first.id)[-1][:2] == ("revoked", "system")


def test_rolling_refuses_an_owner_who_is_no_longer_an_admin(
    service: KeyService, admin: User
) -> None:
    key, _token = service.create(admin, "Deploy")
    admin.is_admin = False
    db.session.commit()
    with pytest.raises(NotAnAdmin):
        service.roll(key, HOUR)
    assert [k.id for k in service.keys_of(admin)] == [key.id]
    assert service.key_by_id(key.id).revoked_at is None


def test_rolling_a_key_that_expires_at_the_end_of_time(
    service: KeyService, admin: User, clock: Clock
) -> None:
    far = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)
    key, _ = service.create(admin, "Far", expires_at=far)
    clock.advance(days=1, hours=1)
    successor, _ = service.roll(key, HOUR)
    assert successor.expires_at is not None and successor.expires_at >= far


def test_the_roll_dialog_and_the_cli_say_an_earlier_grace_ends(
    app: Flask, admin_client: Any
) -> None:
    with app.app_context():
        service = service_of(app)
        first, _ = service.create(get_user("admin@example.com"), "Deploy")
        second, _ = service.roll(first, DAY)
        first_id, second_id = first.id, second.id

    dialog = admin_client.get(f"/settings/secret-api-keys/{second_id}/roll").get_data(as_text=True)
    assert "stops working at once" in dialog

    code, _out, err = run_cli(app, "roll", str(second_id), "--grace", "1h")
    assert code == 0 and f"Secret API key {first_id} " in err and "revoked now" in err


def test_the_details_page_says_a_demoted_owners_key_is_suspended(
    app: Flask, admin_client: Any
) -> None:
    """admin@example.com oversees: they open ops's key after ops is demoted."""
    with app.app_context():
        ops = get_user("ops@example.com")
        key, token = service_of(app).create(ops, "Deploy")
        key_id = key.id
        url = f"/settings/secret-api-keys/{key_id}"
        before = admin_client.get(url).get_data(as_text=True)
        ops.is_admin = False
        db.session.commit()
    after = admin_client.get(url).get_data(as_text=True)

    assert 'id="sk-suspended"' not in before
    assert 'id="sk-suspended"' in after and "Otto Ops is no longer an admin" in after
    refused = app.test_client().get("/admin/api/me", headers={"X-Api-Key": token})
    assert refused.status_code == 401


def test_a_time_without_a_time_zone_never_reaches_the_database(
    app: Flask, service: KeyService, admin: User
) -> None:
    """A naive time could be read as UTC or as local time: it is refused, not guessed."""
    key, _token = service.create(admin, "K")
    key.expires_at = dt.datetime(2030, 1, 1, 12, 0)

    with pytest.raises(sa.exc.StatementError, match="UTCDateTime needs an aware datetime"):
        db.session.commit()
    db.session.rollback()

    assert service.key_by_id(key.id).expires_at is None

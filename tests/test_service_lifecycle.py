"""Key lifecycle in the service: expiry, scheduled revocation and rolling, on a driven clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from example_app.models import User, db
from flask_secret_keys import (
    ActiveKeyExists,
    Actor,
    InvalidLifetime,
    KeyAlreadyRevoked,
    KeyNotRevoked,
    KeyNotRollable,
    KeyQuery,
    KeyService,
    parse_duration,
    signals,
)
from flask_secret_keys.service import describe_duration
from tests.helpers import Clock, count_statements, get_user, service_of

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def works(service: KeyService, token: str) -> bool:
    return service.authenticate(token) is not None


def api_status(client: FlaskClient, token: str) -> int:
    """An Admin API call by key, made outside any app context the test holds."""
    return client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", dt.timedelta(seconds=90)),
        ("15m", dt.timedelta(minutes=15)),
        ("24h", dt.timedelta(hours=24)),
        ("30d", dt.timedelta(days=30)),
        ("0s", dt.timedelta(0)),
        ("3650d", dt.timedelta(days=3650)),
    ],
)
def test_durations_parse(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (dt.timedelta(days=90), "90 days"),
        (dt.timedelta(hours=1), "1 hour"),
        (dt.timedelta(hours=36), "36 hours"),
        (dt.timedelta(minutes=90), "90 minutes"),
        (dt.timedelta(seconds=45), "45 seconds"),
        (dt.timedelta(seconds=90), "90 seconds"),
        (dt.timedelta(0), "0 seconds"),
    ],
)
def test_a_duration_is_described_in_its_largest_whole_unit(
    duration: dt.timedelta, words: str
) -> None:
    """What messages say ("Keys can live at most 36 hours"): never a rounded "1.5 days"."""
    assert describe_duration(duration) == words


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5m", "is not a duration"),
        ("abc", "is not a duration"),
        ("", "is not a duration"),
        ("5", "is not a duration"),
        ("1.5h", "is not a duration"),
        ("5 weeks", "is not a duration"),
        ("99999d", "is too long"),
        ("3651d", "is too long"),
        ("٣d", "is not a duration"),
    ],
)
def test_bad_durations_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidLifetime, match=message):
        parse_duration(text)


# Expiry


def test_an_expired_key_is_refused_at_once(
    app: Flask, service: KeyService, admin: User, clock: Clock
) -> None:
    key, token = service.create(admin, "Short", expires_at=clock.now + HOUR)
    rejected: list[str] = []
    signals.key_rejected.connect(lambda _app, reason, key: rejected.append(reason), app, weak=False)

    clock.advance(minutes=59, seconds=59)
    assert works(service, token)
    assert key.status == "active"
    clock.advance(seconds=1)
    assert not works(service, token)
    assert key.status == "expired"
    assert rejected == ["expired"]


def test_authentication_reads_expiry_and_schedule_from_the_one_lookup(
    app: Flask, service: KeyService, admin: User, clock: Clock
) -> None:
    key, token = service.create(admin, "K", expires_at=clock.now + DAY)
    service.revoke(key, at=clock.now + HOUR)
    clock.advance(seconds=service.store.last_used_interval.total_seconds() + 1)
    service.authenticate(token)  # first use writes last_used_at
    db.session.remove()

    with count_statements(db.engine) as log:
        assert service.authenticate(token) is not None
    assert len(log.matching("SELECT")) == 1
    assert log.matching("UPDATE") == []


def test_an_expired_key_does_not_block_a_new_one(
    service: KeyService, admin: User, clock: Clock
) -> None:
    old, _ = service.create(admin, "Old", expires_at=clock.now + DAY)
    with pytest.raises(ActiveKeyExists):
        service.create(admin, "Too soon")
    clock.advance(days=1)

    assert service.active_key(admin) is None
    new, _ = service.create(admin, "New")

    db.session.expire_all()
    assert service.active_key(admin).id == new.id  # type: ignore[union-attr]
    assert old.status == "expired" and old.active_owner_id is None


def test_default_and_maximum_lifetime_apply(make_app: Callable[..., Flask], clock: Clock) -> None:
    app = make_app(SECRET_KEYS_DEFAULT_EXPIRATION=30, SECRET_KEYS_MAX_LIFETIME=90)
    service: KeyService = service_of(app)
    with app.app_context():
        admin = get_user("admin@example.com")
        with pytest.raises(
            InvalidLifetime, match="Keys must expire: choose an expiry within 90 days"
        ):
            service.create(admin, "Forever", expires_at=None)
        with pytest.raises(InvalidLifetime, match="at most 90 days"):
            service.create(admin, "Too long", expires_at=clock.now + dt.timedelta(days=91))
        assert service.keys_of(admin) == []
        key, _ = service.create(admin, "Default", expires_at=service.default_expiry())
        assert key.expires_at == clock.now + dt.timedelta(days=30)


@pytest.mark.parametrize("delta", [dt.timedelta(0), -HOUR])
def test_an_expiry_in_the_past_is_refused(
    service: KeyService, admin: User, clock: Clock, delta: dt.timedelta
) -> None:
    with pytest.raises(InvalidLifetime, match="must be in the future"):
        service.create(admin, "Past", expires_at=clock.now + delta)
    assert service.keys_of(admin) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"SECRET_KEYS_MAX_LIFETIME": 90, "SECRET_KEYS_DEFAULT_EXPIRATION": None},
            "None, no expiration, is not allowed",
        ),
        # A maximum below the default of 30 days needs a default of its own.
        ({"SECRET_KEYS_MAX_LIFETIME": 14}, "within the maximum lifetime"),
        (
            {"SECRET_KEYS_MAX_LIFETIME": 30, "SECRET_KEYS_DEFAULT_EXPIRATION": 60},
            "within the maximum lifetime",
        ),
        ({"SECRET_KEYS_MAX_LIFETIME": 0}, "whole number of days"),
        ({"SECRET_KEYS_DEFAULT_EXPIRATION": "30d"}, "whole number of days"),
        ({"SECRET_KEYS_DEFAULT_EXPIRATION": True}, "whole number of days"),
        ({"SECRET_KEYS_DEFAULT_EXPIRATION": -HOUR}, "whole number of days"),
    ],
)
def test_lifetime_settings_are_checked_at_init(
    make_app: Callable[..., Flask], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuntimeError, match=message):
        make_app(**overrides)


# Scheduled revocation


def test_a_scheduled_revocation_frees_the_slot_and_works_until_then(
    app: Flask, service: KeyService, admin: User, clock: Clock
) -> None:
    key, token = service.create(admin, "Old")
    scheduled: list[Any] = []
    signals.key_revocation_scheduled.connect(
        lambda _app, **kw: scheduled.append(kw), app, weak=False
    )

    service.revoke(key, actor=Actor.for_user(admin), at=clock.now + DAY)

    assert key.status == "revoking" and not key.is_active and key.is_usable
    assert scheduled == [{"key": key, "at": clock.now + DAY, "actor": Actor.for_user(admin)}]
    assert service.active_key(admin) is None
    _new, new_token = service.create(admin, "New")
    clock.advance(hours=23, minutes=59)
    assert works(service, token) and works(service, new_token)
    clock.advance(minutes=1)
    assert not works(service, token) and works(service, new_token)
    assert key.status == "revoked"


def test_a_scheduled_revocation_can_be_brought_forward_but_not_put_off(
    service: KeyService, admin: User, clock: Clock
) -> None:
    key, _ = service.create(admin, "K")
    service.revoke(key, at=clock.now + HOUR)
    with pytest.raises(KeyAlreadyRevoked, match="scheduled to be revoked sooner"):
        service.revoke(key, at=clock.now + DAY)
    assert key.revoked_at == clock.now + HOUR

    service.revoke(key)
    assert key.revoked_at == clock.now and key.status == "revoked"
    with pytest.raises(KeyAlreadyRevoked, match="already revoked"):
        service.revoke(key)


def test_a_revocation_cannot_be_scheduled_beyond_seven_days(
    service: KeyService, admin: User, clock: Clock
) -> None:
    key, _ = service.create(admin, "K")
    with pytest.raises(InvalidLifetime, match="at most 7 days"):
        service.revoke(key, at=clock.now + dt.timedelta(days=7, seconds=1))
    db.session.expire_all()
    assert key.status == "active"


def test_only_revoked_or_expired_keys_can_be_deleted(
    service: KeyService, admin: User, ops: User, clock: Clock
) -> None:
    scheduled, _ = service.create(admin, "Scheduled")
    service.revoke(scheduled, at=clock.now + HOUR)
    expiring, _ = service.create(ops, "Expiring", expires_at=clock.now + HOUR)
    for key in (scheduled, expiring):
        with pytest.raises(KeyNotRevoked):
            service.delete(key)
    clock.advance(hours=1)
    service.delete(scheduled)
    service.delete(expiring)
    assert service.keys_of(admin) == service.keys_of(ops) == []


# Rolling


def test_roll_keeps_both_keys_working_during_the_grace_period(
    app: Flask, service: KeyService, admin: User, clock: Clock
) -> None:
    old, old_token = service.create(admin, "Deploy")
    rolled: list[Any] = []
    signals.key_rolled.connect(lambda _app, **kw: rolled.append(kw), app, weak=False)

    successor, new_token = service.roll(old, HOUR, actor=Actor.for_user(admin))

    assert successor.title == "Deploy" and successor.id != old.id
    assert rolled == [
        {"key": old, "successor": successor, "grace": HOUR, "actor": Actor.for_user(admin)}
    ]
    assert service.active_key(admin).id == successor.id  # type: ignore[union-attr]
    assert old.status == "revoking" and old.revoked_at == clock.now + HOUR
    assert old.revoked_by_id == admin.id
    assert works(service, old_token) and works(service, new_token)
    clock.advance(minutes=59, seconds=59)
    assert works(service, old_token)
    clock.advance(seconds=1)
    assert not works(service, old_token) and works(service, new_token)


def test_roll_now_revokes_the_old_key_at_once(app: Flask, service: KeyService, admin: User) -> None:
    old, old_token = service.create(admin, "Deploy")
    _successor, new_token = service.roll(old, dt.timedelta(0))
    assert old.status == "revoked"
    assert not works(service, old_token) and works(service, new_token)


def test_the_events_of_a_roll_name_each_other_by_id(service: KeyService, admin: User) -> None:
    old, _ = service.create(admin, "Deploy")
    successor, _ = service.roll(old, HOUR)

    rolled = service.events_of(old.id)[0]
    created = service.events_of(successor.id)[0]
    assert (rolled.event, created.event) == ("rolled", "created")
    assert rolled.details["successor_id"] == successor.id
    assert rolled.details["replacement"] == successor.redacted
    assert created.details["rolled_from_id"] == old.id
    assert created.details["rolled_from"] == old.redacted


def test_a_key_from_before_the_maximum_lifetime_gets_a_successor_within_it(
    make_app: Callable[..., Flask], clock: Clock
) -> None:
    """A key without expiry, made before SECRET_KEYS_MAX_LIFETIME was set: its successor
    does not inherit "never", it gets the maximum from the roll."""
    app = make_app(SECRET_KEYS_DEFAULT_EXPIRATION=30, SECRET_KEYS_MAX_LIFETIME=90)
    service: KeyService = service_of(app)
    with app.app_context():
        admin = get_user("admin@example.com")
        key, _ = service.create(admin, "Old", expires_at=service.default_expiry())
        db.session.execute(sa.update(service.model).values(expires_at=None))
        db.session.commit()
        clock.advance(days=10)

        successor, _ = service.roll(service.key_by_id(key.id), HOUR)

        assert successor.expires_at == clock.now + dt.timedelta(days=90)


def test_the_successor_keeps_the_old_keys_lifetime(
    service: KeyService, admin: User, clock: Clock
) -> None:
    old, _ = service.create(admin, "Deploy", expires_at=clock.now + dt.timedelta(days=30))
    clock.advance(days=10)
    successor, _ = service.roll(old, HOUR)
    assert successor.expires_at == clock.now + dt.timedelta(days=30)


def test_rolling_a_key_that_is_not_active_is_refused_and_changes_nothing(
    service: KeyService, admin: User, ops: User, clock: Clock
) -> None:
    revoked, _ = service.create(admin, "Revoked")
    service.revoke(revoked)
    scheduled, _ = service.create(admin, "Scheduled")
    service.revoke(scheduled, at=clock.now + DAY)
    expired, _ = service.create(ops, "Expired", expires_at=clock.now + HOUR)
    clock.advance(hours=1)

    for key, status in [
        (revoked, "revoked"),
        (scheduled, "scheduled for revocation"),
        (expired, "expired"),
    ]:
        with pytest.raises(KeyNotRollable, match=f"this one is {status}"):
            service.roll(key, HOUR)
    assert len(service.keys_of(admin)) == 2 and len(service.keys_of(ops)) == 1


@pytest.mark.parametrize("grace", [-dt.timedelta(seconds=1), dt.timedelta(days=7, seconds=1)])
def test_a_grace_period_outside_zero_to_seven_days_is_refused(
    service: KeyService, admin: User, grace: dt.timedelta
) -> None:
    key, _ = service.create(admin, "K")
    with pytest.raises(InvalidLifetime, match="grace period"):
        service.roll(key, grace)
    db.session.expire_all()
    assert [k.id for k in service.keys_of(admin)] == [key.id]
    assert key.status == "active"


# Listing


def test_list_filters_and_sorts_by_the_new_statuses(
    service: KeyService, admin: User, clock: Clock
) -> None:
    revoked, _ = service.create(admin, "Revoked")
    service.revoke(revoked)
    service.create(admin, "Expired", expires_at=clock.now + HOUR)
    clock.advance(hours=2)
    revoking, _ = service.create(admin, "Revoking", expires_at=clock.now + dt.timedelta(days=3))
    service.revoke(revoking, at=clock.now + DAY)
    service.create(admin, "Active", expires_at=clock.now + dt.timedelta(days=5))

    def titles(**query: Any) -> list[str]:
        return [key.title for key in service.search(admin, KeyQuery(**query)).items]

    assert titles(status="active") == ["Active"]
    assert titles(status="revoking") == ["Revoking"]
    assert titles(status="expired") == ["Expired"]
    assert titles(status="revoked") == ["Revoked"]
    assert titles(sort="expires", direction="asc") == ["Expired", "Revoking", "Active", "Revoked"]
    assert titles(status="working") == ["Active", "Revoking"]


def test_sorting_by_status_orders_by_the_time_that_matters_for_each(
    service: KeyService, admin: User, ops: User, clock: Clock
) -> None:
    first_revoked, _ = service.create(admin, "Revoked first")
    service.revoke(first_revoked)
    service.create(admin, "Expired", expires_at=clock.now + HOUR)
    clock.advance(hours=2)
    later_revoked, _ = service.create(ops, "Revoked later")
    service.revoke(later_revoked)
    revoking_later, _ = service.create(admin, "Revoking in a day")
    service.revoke(revoking_later, at=clock.now + DAY)
    revoking_sooner, _ = service.create(ops, "Revoking in an hour")
    service.revoke(revoking_sooner, at=clock.now + HOUR)
    service.create(admin, "Active, 5 days", expires_at=clock.now + 5 * DAY)
    service.create(ops, "Active, no expiry", expires_at=None)

    def titles(direction: str) -> list[str]:
        query = KeyQuery(sort="status", direction=direction)  # type: ignore[arg-type]
        return [key.title for key in service.search_all(query).items]

    assert titles("asc") == [
        "Active, 5 days",
        "Active, no expiry",
        "Revoking in an hour",
        "Revoking in a day",
        "Expired",
        "Revoked first",
        "Revoked later",
    ]
    assert titles("desc") == [
        "Revoked later",
        "Revoked first",
        "Expired",
        "Revoking in a day",
        "Revoking in an hour",
        "Active, 5 days",
        "Active, no expiry",
    ]


def test_expiring_lists_keys_ending_within_the_window(
    service: KeyService, admin: User, ops: User, clock: Clock
) -> None:
    soon, _ = service.create(admin, "Soon", expires_at=clock.now + dt.timedelta(days=2))
    service.create(ops, "Later", expires_at=clock.now + dt.timedelta(days=20))
    service.revoke(service.active_key(ops), at=clock.now + DAY)  # type: ignore[arg-type]
    _, _ = service.create(ops, "Forever", expires_at=None)

    assert [k.title for k in service.expiring(dt.timedelta(days=7))] == ["Later", "Soon"]
    assert [k.title for k in service.expiring(HOUR)] == []
    clock.advance(days=3)
    assert [k.title for k in service.expiring(dt.timedelta(days=7))] == []
    assert soon.status == "expired"


# The same through the Admin API


def test_api_refuses_an_expired_key_with_the_usual_401(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    service: KeyService = service_of(app)
    with app.app_context():
        admin = get_user("admin@example.com")
        _key, token = service.create(admin, "Short", expires_at=clock.now + dt.timedelta(days=7))
    unknown = client.get("/admin/api/me", headers={"Authorization": "Bearer sk_x"})

    assert api_status(client, token) == 200
    clock.advance(days=7)
    response = client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json == {
        "error": "invalid_api_key",
        "message": "The secret API key is not valid.",
    }
    assert response.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]

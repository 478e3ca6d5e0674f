"""The pages of the key lifecycle: expiry on create, roll, scheduled revoke, statuses.

Each action is tested as a plain form post (redirects and pages) and as an
htmx request (partials), as in tests/test_views.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from example_app.models import db
from flask_secret_keys.rendering import calendar_date, time_until
from tests.helpers import BASE, HX, TOKEN, Clock, get_user, log_in, post, service_of, text

DAY = dt.timedelta(days=1)
HEADERS = [pytest.param({}, id="plain"), pytest.param(HX, id="htmx")]


def key_of(app: Flask, key_id: int) -> Any:
    with app.app_context():
        key = db.session.get(service_of(app).model, key_id)
        db.session.expunge(key)
        return key


def make_key(app: Flask, title: str = "Deploy", expires_at: Any = None) -> int:
    with app.app_context():
        key, _ = service_of(app).create(get_user("admin@example.com"), title, expires_at=expires_at)
        return int(key.id)


def revoke_at(app: Flask, key_id: int, at: dt.datetime | None = None) -> None:
    with app.app_context():
        service = service_of(app)
        service.revoke(service.key_by_id(key_id), at=at)


def keys(app: Flask) -> list[Any]:
    with app.app_context():
        Key = service_of(app).model
        found = list(db.session.execute(sa.select(Key).order_by(Key.id)).scalars())
        db.session.expunge_all()
        return found


# Create with an expiration


def test_create_form_offers_the_expirations_30_days_chosen(
    admin_client: FlaskClient, clock: Clock
) -> None:
    html = text(admin_client.get(f"{BASE}/new"))
    for label in ("7 days", "30 days", "60 days", "90 days", "Custom date", "No expiration"):
        assert f">{label}</option>" in html
    assert '<option selected value="2592000">30 days</option>' in html
    # The date picker starts at the first day a key can expire on: today began before now.
    tomorrow = (clock.now + DAY).date().isoformat()
    assert re.search(rf'<input [^>]*min="{tomorrow}" name="expires_on" type="date"', html)
    assert "00:00 UTC" in html
    # "No expiration" has its warning, which shows only once it is chosen (the stylesheet).
    assert 'id="sk-never-warning"' in html
    assert 'aria-describedby="sk-expiration-hint"' in html


def test_a_host_may_still_choose_no_expiration_as_the_default(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(SECRET_KEYS_DEFAULT_EXPIRATION=None)
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    html = text(client.get(f"{BASE}/new"))
    assert '<option selected value="never">No expiration</option>' in html
    assert 'aria-describedby="sk-never-warning"' in html
    # The service's own default stays: no expiry unless asked for.
    with app.app_context():
        key, _ = service_of(app).create(get_user("admin@example.com"), "Plain")
        assert key.expires_at is None


@pytest.mark.parametrize("headers", HEADERS)
def test_create_with_an_expiration(
    app: Flask, admin_client: FlaskClient, clock: Clock, headers: dict[str, str]
) -> None:
    response = post(
        admin_client, f"{BASE}/new", {"title": "Weekly", "expiration": "604800"}, headers=headers
    )
    assert response.status_code == 200
    assert TOKEN.search(text(response))
    (key,) = keys(app)
    assert key.expires_at == clock.now + dt.timedelta(days=7)


def test_create_with_a_custom_date_expires_at_its_start_in_utc(
    app: Flask, admin_client: FlaskClient, clock: Clock
) -> None:
    day = (clock.now + dt.timedelta(days=45)).date()
    response = post(
        admin_client,
        f"{BASE}/new",
        {"title": "Custom", "expiration": "custom", "expires_on": day.isoformat()},
    )
    assert response.status_code == 200
    (key,) = keys(app)
    assert key.expires_at == dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"expiration": "custom", "expires_on": "2001-01-01"}, "The expiry must be in the future."),
        ({"expiration": "custom"}, "Choose the date the key expires on."),
        ({"expiration": "custom", "expires_on": "2027-02-30"}, "Not a valid date value."),
        ({"expiration": "12345"}, "Not a valid choice."),
    ],
)
def test_bad_expirations_are_form_errors(
    app: Flask, admin_client: FlaskClient, data: dict[str, str], message: str
) -> None:
    response = post(admin_client, f"{BASE}/new", {"title": "Bad", **data})
    assert response.status_code == 422
    assert message in text(response)
    assert keys(app) == []


def test_a_maximum_lifetime_removes_no_expiration_and_is_enforced(
    make_app: Callable[..., Flask], clock: Clock
) -> None:
    app = make_app(SECRET_KEYS_DEFAULT_EXPIRATION=30, SECRET_KEYS_MAX_LIFETIME=60)
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    html = text(client.get(f"{BASE}/new"))
    assert "No expiration" not in html and "90 days" not in html
    assert '<option selected value="2592000">30 days</option>' in html
    assert "keys can live at most 60 days" in html
    last = (clock.now + dt.timedelta(days=60)).date().isoformat()
    assert re.search(rf'<input [^>]*max="{last}"', html)

    far = (clock.now + dt.timedelta(days=61)).date().isoformat()
    for data in ({"expiration": "never"}, {"expiration": "custom", "expires_on": far}):
        response = post(client, f"{BASE}/new", {"title": "Long", **data})
        assert response.status_code == 422
    assert "Keys can live at most 60 days: choose an earlier expiry." in text(response)
    assert keys(app) == []


# Roll


def test_roll_dialog_offers_the_grace_periods(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app)
    html = text(admin_client.get(f"{BASE}/{key_id}/roll", headers=HX))
    assert html.lstrip().startswith("<dialog")
    for value in ("now", "1h", "24h", "7d"):
        assert f'value="{value}"' in html


@pytest.mark.parametrize("headers", HEADERS)
def test_roll_shows_the_successor_once_and_schedules_the_old_key(
    app: Flask, admin_client: FlaskClient, clock: Clock, headers: dict[str, str]
) -> None:
    key_id = make_key(app)

    response = post(admin_client, f"{BASE}/{key_id}/roll", {"when": "24h"}, headers=headers)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    (token,) = set(TOKEN.findall(text(response)))
    old, new = keys(app)
    assert old.revoked_at == clock.now + DAY and new.title == old.title == "Deploy"
    assert new.active_owner_id == new.user_id
    assert f'href="{BASE}/{new.id}"' in text(response)
    page = text(admin_client.get(f"{BASE}/{key_id}"))
    assert "Revoking" in page and re.search(r"\(<time [^>]+>in 1 day</time>\)", page)
    assert token not in page
    assert "Revokes in 1 day" not in page  # said once, in the Revokes row
    # The old key and its successor link to each other.
    assert re.search(rf'<dt>Rolled to</dt>\s*<dd><a href="{BASE}/{new.id}">', page)
    successor = text(admin_client.get(f"{BASE}/{new.id}"))
    assert re.search(rf'<dt>Rolled from</dt>\s*<dd><a href="{BASE}/{key_id}">', successor)


def test_rolling_a_key_that_is_not_active_is_a_409(app: Flask, admin_client: FlaskClient) -> None:
    """Which keys may be rolled is the service's rule (test_service_lifecycle.py)."""
    key_id = make_key(app)
    revoke_at(app, key_id)

    response = post(admin_client, f"{BASE}/{key_id}/roll", {"when": "1h"}, headers=HX)

    assert response.status_code == 409
    assert "Only an active secret API key can be rolled" in text(response)
    assert len(keys(app)) == 1


def test_a_grace_period_not_offered_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app)
    response = post(admin_client, f"{BASE}/{key_id}/roll", {"when": "30d"})
    assert response.status_code == 200 and "Not a valid choice" in text(response)
    assert len(keys(app)) == 1


# Scheduled revoke


@pytest.mark.parametrize("headers", HEADERS)
def test_revoke_later_keeps_the_key_working_and_frees_the_slot(
    app: Flask, admin_client: FlaskClient, clock: Clock, headers: dict[str, str]
) -> None:
    key_id = make_key(app)
    assert re.search(
        r'<input checked [^>]*value="now"', text(admin_client.get(f"{BASE}/{key_id}/revoke"))
    )

    response = post(admin_client, f"{BASE}/{key_id}/revoke", {"when": "1h"}, headers=headers)

    message = "Secret API key “Deploy” will be revoked in 1 hour."
    if headers:
        trigger = json.loads(response.headers["HX-Trigger-After-Settle"])
        assert trigger["sk-toast"]["message"] == message
    else:
        assert response.status_code == 303
        assert message in text(admin_client.get(response.location))
    (key,) = keys(app)
    assert key.revoked_at == clock.now + dt.timedelta(hours=1) and key.active_owner_id is None
    page = text(admin_client.get(f"{BASE}/{key_id}"))
    assert "Scheduled by" in page and re.search(r"\(<time [^>]+>in 1 hour</time>\)", page)
    assert "Revokes in 1 hour" not in page
    # A plain revocation has no successor to move to.
    assert "new key" not in page and "so you can create a new one now" in page
    assert 'name="title"' in text(admin_client.get(f"{BASE}/new"))


@pytest.mark.parametrize(
    ("revokes_in", "expires_in", "offered"),
    [
        (None, None, ["now", "1h", "24h", "7d"]),
        (dt.timedelta(days=2), None, ["now", "1h", "24h"]),
        (dt.timedelta(hours=2), None, ["now", "1h"]),
        (None, dt.timedelta(hours=30), ["now", "1h", "24h"]),
        (dt.timedelta(minutes=30), None, []),
    ],
)
def test_the_revoke_dialog_offers_only_times_before_the_key_stops(
    app: Flask,
    admin_client: FlaskClient,
    clock: Clock,
    revokes_in: dt.timedelta | None,
    expires_in: dt.timedelta | None,
    offered: list[str],
) -> None:
    key_id = make_key(app, expires_at=clock.now + expires_in if expires_in else None)
    if revokes_in:
        revoke_at(app, key_id, clock.now + revokes_in)

    html = text(admin_client.get(f"{BASE}/{key_id}/revoke"))

    # With only "Now" left, there is nothing to choose.
    assert re.findall(r'name="when" type="radio" value="(\w+)"', html) == offered
    if not offered:
        return
    response = post(admin_client, f"{BASE}/{key_id}/revoke", {"when": "7d"})
    if "7d" not in offered:
        assert "Not a valid choice." in text(response)
        (key,) = keys(app)
        assert key.revoked_at == (clock.now + revokes_in if revokes_in else None)


@pytest.mark.parametrize("headers", HEADERS)
def test_an_expired_key_cannot_be_revoked_even_by_url(
    app: Flask, admin_client: FlaskClient, clock: Clock, headers: dict[str, str]
) -> None:
    key_id = make_key(app, expires_at=clock.now + DAY)
    clock.advance(days=2)

    shown = admin_client.get(f"{BASE}/{key_id}/revoke", headers=headers)
    assert shown.status_code == 200
    assert 'name="when"' not in text(shown) and "Revoke API key</button>" not in text(shown)
    assert "has expired, so it no longer works: there is nothing to revoke." in text(shown)

    response = post(admin_client, f"{BASE}/{key_id}/revoke", {}, headers=headers)
    assert response.status_code == 409
    assert "there is nothing to revoke" in text(response)
    (key,) = keys(app)
    assert key.revoked_at is None


def test_revoke_and_create_new_leads_to_the_create_form(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app)
    html = text(admin_client.get(f"{BASE}/{key_id}/revoke?then=create"))
    assert 'name="then" value="create"' in html

    response = post(admin_client, f"{BASE}/{key_id}/revoke", {"then": "create"})
    assert response.status_code == 303 and response.location == f"{BASE}/new"
    response = post(admin_client, f"{BASE}/{key_id + 0}/revoke", {"then": "create"}, headers=HX)
    assert response.status_code == 409

    make_key(app, "Second")
    second = keys(app)[-1].id
    response = post(admin_client, f"{BASE}/{second}/revoke", {"then": "create"}, headers=HX)
    assert 'id="sk-create-dialog"' in text(response) and 'name="title"' in text(response)
    # The create dialog confirms the revoke, and the list behind it refreshes; the
    # notice is not left in the session for a later page.
    assert re.search(
        r'aria-describedby="sk-create-notice".*<p [^>]*id="sk-create-notice" role="status">'
        r"Secret API key “Second” revoked.</p>",
        text(response),
        re.DOTALL,
    )
    assert response.headers["HX-Trigger-After-Settle"] == "sk-keys-changed"
    assert "“Second” revoked" not in text(admin_client.get(BASE))


def test_a_change_made_from_a_lists_row_refreshes_the_list(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app)
    from_list = {**HX, "HX-Current-URL": f"http://localhost{BASE}?status=active"}
    from_details = {**HX, "HX-Current-URL": f"http://localhost{BASE}/{key_id}"}

    renamed = post(admin_client, f"{BASE}/{key_id}/edit", {"title": "Renamed"}, headers=from_list)
    revoked = post(admin_client, f"{BASE}/{key_id}/revoke", headers=from_details)

    assert renamed.headers["HX-Reswap"] == "none" and text(renamed) == ""
    trigger = json.loads(renamed.headers["HX-Trigger-After-Settle"])
    assert trigger["sk-toast"] == {"message": "Title updated."}
    assert trigger["sk-done"] and trigger["sk-keys-changed"]
    assert revoked.headers["HX-Retarget"] == "#sk-key" and 'id="sk-key"' in text(revoked)


# Statuses on the pages


def test_an_expired_keys_page_says_so(app: Flask, admin_client: FlaskClient, clock: Clock) -> None:
    key_id = make_key(app, expires_at=clock.now + DAY)
    clock.advance(days=3)

    html = text(admin_client.get(f"{BASE}/{key_id}"))

    assert "sk-badge--expired" in html and "This key has expired" in html
    assert "It expired 2 days ago" in html
    assert re.search(r"\(<time [^>]+>2 days ago</time>\)", html)
    assert f"{BASE}/{key_id}/roll" not in html
    assert f'href="{BASE}/{key_id}/delete"' in html


def test_list_shows_expiry_flags_soon_and_filters_by_status(
    app: Flask, admin_client: FlaskClient, clock: Clock
) -> None:
    expired = make_key(app, "Gone", clock.now + 2 * DAY)
    clock.advance(days=2)
    revoking = make_key(app, "Leaving", clock.now + dt.timedelta(days=200))
    revoke_at(app, revoking, clock.now + dt.timedelta(hours=27))
    make_key(app, "Soon", clock.now + dt.timedelta(days=6))
    clock.advance(days=1)  # past the first day of "Soon", which the notice leaves alone

    html = text(admin_client.get(BASE))
    assert "Expires in 5 days" in html and "sk-ends--soon" in html
    assert "Revokes in 3 hours" in html and "Expired 1 day ago" in html
    assert "Your active key" in html and "expires <time" in html
    for status, title in (("expired", "Gone"), ("revoking", "Leaving"), ("active", "Soon")):
        html = text(admin_client.get(f"{BASE}?status={status}", headers=HX))
        assert f">{title}</a>" in html
        assert html.count('class="sk-row"') == 1
    assert expired


def test_the_expiry_notice_waits_out_a_short_keys_first_day(
    app: Flask, admin_client: FlaskClient, clock: Clock
) -> None:
    make_key(app, "Short", clock.now + dt.timedelta(days=7))
    assert "Your active key" not in text(admin_client.get(BASE))
    clock.advance(hours=23)
    assert "Your active key" not in text(admin_client.get(BASE))
    clock.advance(hours=1)
    assert "Your active key" in text(admin_client.get(BASE))


def test_a_far_expiry_is_written_as_a_date_and_no_notice_shows(
    app: Flask, admin_client: FlaskClient, clock: Clock
) -> None:
    make_key(app, expires_at=dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc))
    html = text(admin_client.get(BASE))
    assert "Expires on March 1, 2027" in html
    assert "Your active key" not in html


NOW = dt.datetime(2027, 2, 24, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(seconds=10), "in 10 seconds"),
        (dt.timedelta(hours=3), "in 3 hours"),
        (dt.timedelta(days=7), "in 1 week"),
        (dt.timedelta(seconds=-120), "2 minutes ago"),
    ],
)
def test_time_until_words(delta: dt.timedelta, words: str) -> None:
    assert time_until(NOW + delta, NOW) == words


def test_calendar_date_is_the_utc_day_written_out() -> None:
    late = dt.datetime(2027, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert calendar_date(NOW + dt.timedelta(days=5)) == "March 1, 2027"
    assert calendar_date(late) == "March 2, 2027"

"""Long titles, names, emails and user agents, on phones and desktops; the create form's
safe defaults; one history entry per filter field.

The data is as long as it may be: titles of 100 characters without a space, a
name of 70 characters, an email of 107 and a user agent of 200.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from example_app.extensions import secret_keys
from example_app.models import User, db
from flask_secret_keys.service import Actor
from tests.helpers import BASE, box, fits_its_width, get_user

TITLE = "X" * 100
NAME = "Maximiliana Alexandra Konstantinopoulou-Wolfeschlegelsteinhausenberger"
EMAIL = "m" * 95 + "@example.com"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 " + "Z" * 136


def seed(app: Flask) -> dict[str, int]:
    """An admin with a long name and email; long-titled keys of both admins, with activity."""
    assert len(EMAIL) == 107 and len(AGENT) == 200
    with app.app_context():
        user = User(email=EMAIL, name=NAME, is_admin=True)
        user.set_password("long")
        db.session.add(user)
        db.session.commit()
        service, admin = secret_keys.service, get_user("admin@example.com")
        by_admin = Actor.for_user(
            admin, ip="2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", user_agent=AGENT
        )
        for number in range(24):
            title = TITLE[:-2] + f"{number:02d}" if number % 2 else f"Nightly job {number}"
            service.revoke(service.create(admin, title)[0])
        own, _ = service.create(admin, TITLE, actor=by_admin)
        service.rename(own, TITLE[:-1] + "Y", actor=by_admin)
        Key = service.model
        db.session.execute(
            sa.update(Key)
            .where(Key.id == own.id)
            .values(last_used_at=dt.datetime.now(dt.timezone.utc), last_used_user_agent=AGENT)
        )
        db.session.commit()
        theirs, _ = service.create(user, TITLE)
        return {"own": own.id, "theirs": theirs.id}


def on_screen(page: Page, selector: str) -> None:
    """The element is inside the viewport, sideways and down."""
    found = box(page.locator(selector))
    size = page.viewport_size
    assert size is not None
    assert found["x"] >= 0 and found["x"] + found["width"] <= size["width"], selector
    assert found["y"] >= 0 and found["y"] + found["height"] <= size["height"], selector


def test_long_content_fits_phones_and_the_list_is_cards(
    app: Flask,
    make_page: Callable[..., Page],
    log_in: Callable[..., None],
    assert_accessible: Callable[..., None],
) -> None:
    ids = seed(app)
    all_keys = f"{BASE}/all?owner={EMAIL}"
    pages = [BASE, f"{BASE}?page=2", all_keys, f"{BASE}/{ids['own']}", f"{BASE}/{ids['theirs']}"]
    no_js_only = [f"{BASE}/new", f"{BASE}/{ids['own']}/revoke", f"{BASE}/all/revoke?owner={EMAIL}"]

    for js in (False, True):
        page = make_page(phone=True, js=js)
        log_in(page)
        for width in (320, 375):
            page.set_viewport_size({"width": width, "height": 740})
            for url in pages + ([] if js else no_js_only):
                page.goto(url)
                assert fits_its_width(page), (js, width, url)

    # At 375 px (JavaScript on, where it is set), each key is a card with its times.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(BASE)
    rows = page.locator(".sk-table tbody tr")
    expect(rows).to_have_count(20)
    card = rows.nth(1)
    assert card.evaluate("e => getComputedStyle(e).display") == "grid"
    card_box = box(card)
    for part in (".sk-col-title", ".sk-col-revoked", ".sk-col-last_used", ".sk-col-created"):
        cell = box(card.locator(part))
        assert cell["width"] > 0 and cell["x"] + cell["width"] <= card_box["x"] + card_box["width"]
    expect(card.locator(".sk-col-created")).to_have_accessible_name(re.compile("^Created .+ ago$"))
    expect(card.locator(".sk-col-title")).to_have_text(re.compile(r"X{98}\d\d"))
    # Sorting stays at hand, as a row of links of at least 24 px.
    sort = page.get_by_role("link", name="Created")
    assert box(sort)["height"] >= 24 and box(sort)["width"] >= 24
    assert_accessible(page)

    # All keys: the owner's long name and email wrap inside the card and the
    # "Revoke all" button, and the heading keeps its width.
    page.goto(all_keys)
    expect(page.locator("td.sk-col-owner").first).to_contain_text(EMAIL)
    assert box(page.get_by_role("heading", name="All keys", level=1))["width"] > 300
    on_screen(page, "#sk-revoke-all")
    assert_accessible(page)

    # Details: the activity's long titles and user agents wrap.
    page.goto(f"{BASE}/{ids['own']}")
    activity = box(page.locator(".sk-activity"))
    assert activity["x"] + activity["width"] <= 375
    assert_accessible(page)

    # The revoke dialog of a long title: its confirm button is on screen and taps.
    page.get_by_role("button", name="Key actions").tap()
    page.get_by_role("menuitem", name="Revoke API key").tap()
    dialog = page.get_by_role("dialog", name="Revoke API key")
    expect(dialog).to_be_visible()
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
    assert fits_its_width(page)
    on_screen(page, "dialog .sk-btn--danger")
    assert_accessible(page)
    dialog.get_by_role("button", name="Revoke API key").tap()
    expect(page.locator("#sk-key .sk-badge")).to_have_text("Revoked")

    # At 1280 px the table keeps every column in view, however long the title.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(BASE)
    table = box(page.locator(".sk-table"))
    assert table["x"] + table["width"] <= box(page.locator(".sk-list"))["x"] + 1060
    on_screen(page, ".sk-table thead .sk-col-created")


def test_create_form_defaults_to_30_days_and_warns_about_no_expiration(
    make_page: Callable[..., Page],
    log_in: Callable[..., None],
    assert_accessible: Callable[..., None],
) -> None:
    page = make_page(timezone_id="America/New_York")
    log_in(page)
    page.goto(BASE)
    page.get_by_role("link", name="Create", exact=True).click()
    dialog = page.get_by_role("dialog", name="Create secret API key")
    expiration = dialog.get_by_label("Expiration")
    expect(expiration).to_have_value(str(30 * 86400))
    warning = dialog.locator("#sk-never-warning")
    expect(warning).to_be_hidden()
    expect(dialog.locator("#sk-expiration-hint")).to_be_visible()

    # The title's limit, counted as it is typed.
    dialog.get_by_label("Title").fill("Nightly")
    expect(dialog.locator("#title-count")).to_have_text("7 of 100 characters")

    expiration.select_option("never")
    expect(warning).to_be_visible()
    expect(dialog.locator("#sk-expiration-hint")).to_be_hidden()
    expect(expiration).to_have_accessible_description(re.compile("without an expiration"))
    assert_accessible(page)
    expiration.select_option(str(7 * 86400))
    expect(warning).to_be_hidden()
    expect(expiration).to_have_accessible_description(re.compile("stops working then"))

    # A custom date starts at the first day accepted, and says when that is here.
    expiration.select_option("custom")
    day = dialog.get_by_label("Custom expiry date")
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date()
    expect(day).to_have_attribute("min", tomorrow.isoformat())
    day.fill("2030-03-01")
    hint = dialog.locator("#expires_on-hint")
    expect(hint).to_have_text(
        "The key stops working on Thursday, February 28, 2030 at 7:00 PM your time"
        " (00:00 UTC on 2030-03-01)."
    )
    day.fill("")
    expect(hint).to_contain_text("00:00 UTC")

    # Without JavaScript the warning shows once "No expiration" is chosen too.
    plain = make_page(js=False)
    log_in(plain)
    plain.goto(f"{BASE}/new")
    expect(plain.locator("#sk-never-warning")).to_be_hidden()
    plain.get_by_label("Expiration").select_option("never")
    expect(plain.locator("#sk-never-warning")).to_be_visible()
    expect(plain.locator("#expires_on-hint")).to_contain_text("00:00 UTC")


def test_one_history_entry_per_filter_field_and_the_rolls_first_focus(
    admin_page: Page, add_key: Callable[..., int]
) -> None:
    page = admin_page
    for title in ("Alpha", "Beta"):
        add_key(title, revoked=True)
    key_id = add_key("Gamma")
    page.goto(BASE)
    start = page.evaluate("history.length")

    status = page.get_by_label("Status")
    status.focus()
    for _ in range(4):  # Still working, Active, Revoking, Expired
        status.press("ArrowDown")
    expect(page).to_have_url(re.compile("status=expired"))
    assert page.evaluate("history.length") == start + 1

    created = page.get_by_label("Created from")
    created.focus()
    created.press_sequentially("01022025", delay=50)
    expect(page).to_have_url(re.compile("created_from=2025-01-02"))
    assert page.evaluate("history.length") == start + 2
    page.go_back()
    expect(page).to_have_url(re.compile(r"status=expired$"))

    # The roll dialog opens on its choice of grace period.
    page.goto(f"{BASE}/{key_id}")
    page.get_by_role("button", name="Key actions").click()
    page.get_by_role("menuitem", name="Roll key").click()
    dialog = page.get_by_role("dialog", name="Roll key")
    expect(dialog.get_by_role("radio", name="Now")).to_be_focused()

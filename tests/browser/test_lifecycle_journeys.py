"""The key lifecycle in a real browser, with JavaScript (htmx dialogs) and without (pages).

The live server runs in this process, so the ``clock`` fixture moves time
for the pages and the Admin API alike.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.helpers import (
    BASE,
    MODES,
    TOKEN,
    Clock,
    api_status,
    container,
    copy_then_close,
    get_user,
    open_menu_item,
    service_of,
)


@pytest.fixture(params=MODES)
def any_page(request: pytest.FixtureRequest) -> tuple[Page, bool]:
    """An admin's page with JavaScript, or without; and whether it has it."""
    js = request.param == "js"
    page: Page = request.getfixturevalue("admin_page" if js else "admin_no_js_page")
    return page, js


def choose_action(page: Page, js: bool, name: str) -> None:
    """Open an action of the ⋮ menu; without JavaScript its items are plain links."""
    if js:
        open_menu_item(page, name)
    else:
        page.get_by_role("link", name=name).click()


def open_action_on_new_key(
    page: Page, js: bool, app: Flask, title: str, action: str
) -> tuple[int, str, object]:
    """A new key of admin@example.com, its page open, ``action`` chosen: id, token, dialog."""
    with app.app_context():
        key, token = service_of(app).create(get_user("admin@example.com"), title)
        key_id = key.id
    page.goto(f"{BASE}/{key_id}")
    page.wait_for_load_state("load")
    choose_action(page, js, action)
    return key_id, token, container(page, js, action)


def test_create_with_an_expiry(any_page: tuple[Page, bool], live_server: str, clock: Clock) -> None:
    page, js = any_page
    page.goto(BASE)
    page.get_by_role("link", name="Create", exact=True).click()
    form = container(page, js, "Create secret API key")
    form.get_by_label("Title").fill("Weekly report")  # type: ignore[attr-defined]
    custom_date = form.get_by_label("Custom expiry date")  # type: ignore[attr-defined]
    if js:  # asked for only with "Custom date"
        expect(custom_date).to_be_hidden()
        form.get_by_label("Expiration").select_option(label="Custom date")  # type: ignore[attr-defined]
        expect(custom_date).to_be_visible()
    else:
        expect(custom_date).to_be_visible()
    form.get_by_label("Expiration").select_option(label="7 days")  # type: ignore[attr-defined]
    form.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]

    token = page.get_by_label("Secret API key “Weekly report”").input_value()
    assert TOKEN.fullmatch(token)
    copy_then_close(page, js)
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    expect(page.locator(".sk-fields")).to_contain_text("(in 1 week)")
    assert api_status(live_server, token) == 200

    clock.advance(days=7)
    assert api_status(live_server, token) == 401


def test_roll_with_a_grace_period(
    any_page: tuple[Page, bool], live_server: str, app: Flask, clock: Clock
) -> None:
    page, js = any_page
    key_id, old_token, dialog = open_action_on_new_key(page, js, app, "Billing sync", "Roll key")
    dialog.get_by_label("In 24 hours").check()  # type: ignore[attr-defined]
    dialog.get_by_role("button", name="Roll key").click()  # type: ignore[attr-defined]

    new_token = page.get_by_label("Secret API key “Billing sync”").input_value()
    assert TOKEN.fullmatch(new_token) and new_token != old_token
    assert api_status(live_server, old_token) == api_status(live_server, new_token) == 200
    copy_then_close(page, js)
    page.wait_for_url(re.compile(rf"{BASE}/(?!{key_id}$)\d+$"))  # the successor's page
    successor_url = page.url
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Active")

    # The two keys link to each other.
    page.locator(".sk-fields").get_by_role("link").click()  # Rolled from …
    page.wait_for_url(re.compile(rf"{BASE}/{key_id}$"))
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Revoking")
    expect(page.locator(".sk-fields")).to_contain_text("(in 1 day)")
    rolled_to = page.locator(".sk-fields .sk-field-row", has_text="Rolled to").get_by_role("link")
    expect(rolled_to).to_have_attribute("href", successor_url.removeprefix(live_server))
    clock.advance(hours=24)
    assert api_status(live_server, old_token) == 401
    assert api_status(live_server, new_token) == 200


def test_scheduled_revoke(
    any_page: tuple[Page, bool], live_server: str, app: Flask, clock: Clock
) -> None:
    page, js = any_page
    _key_id, token, dialog = open_action_on_new_key(
        page, js, app, "Nightly import", "Revoke API key"
    )
    expect(dialog.get_by_label("Now")).to_be_checked()  # type: ignore[attr-defined]
    dialog.get_by_label("In 1 hour").check()  # type: ignore[attr-defined]
    dialog.get_by_role("button", name="Revoke API key").click()  # type: ignore[attr-defined]

    expect(page.locator("#sk-toasts")).to_contain_text("will be revoked in 1 hour.")
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Revoking")
    expect(page.get_by_text("This key stops working in 1 hour")).to_be_visible()
    assert api_status(live_server, token) == 200
    clock.advance(hours=1)
    assert api_status(live_server, token) == 401
    page.reload()
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Revoked")


def test_an_expired_keys_page(any_page: tuple[Page, bool], app: Flask, clock: Clock) -> None:
    page, _js = any_page
    with app.app_context():
        key, _token = service_of(app).create(
            get_user("admin@example.com"), "Old export", expires_at=clock.now + dt.timedelta(days=1)
        )
        key_id = key.id
    clock.advance(days=2)

    page.goto(f"{BASE}/{key_id}")

    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Expired")
    expect(page.get_by_role("heading", name="This key has expired")).to_be_visible()
    expect(page.get_by_text("It expired 1 day ago.")).to_be_visible()
    expect(page.get_by_role("link", name="Roll key")).to_have_count(0)
    page.goto(BASE)
    expect(page.locator(".sk-row .sk-badge")).to_have_text(["Expired"])
    page.get_by_role("link", name="Create", exact=True).click()
    expect(page.get_by_label("Title")).to_be_visible()


def test_the_active_key_message_offers_roll_key(
    any_page: tuple[Page, bool], live_server: str, app: Flask
) -> None:
    page, js = any_page
    with app.app_context():
        key, old_token = service_of(app).create(get_user("admin@example.com"), "Deploy")
        key_id = key.id
    page.goto(BASE)
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Create", exact=True).click()
    message = container(page, js, "You already have an active key")
    # Why, which key (a link to it, not its secret), and the two ways on.
    expect(
        page.get_by_text("Each admin can have one active secret API key at a time.")
    ).to_be_visible()
    expect(message.get_by_role("link", name="“Deploy”")).to_have_attribute(  # type: ignore[attr-defined]
        "href", re.compile(rf"{BASE}/{key_id}$")
    )
    assert old_token not in page.content()
    expect(message.get_by_role("link", name="Revoke and create new")).to_be_visible()  # type: ignore[attr-defined]
    message.get_by_role("link", name="Roll key").click()  # type: ignore[attr-defined]

    dialog = container(page, js, "Roll key")
    expect(dialog.get_by_label("Now")).to_be_checked()  # type: ignore[attr-defined]
    dialog.get_by_role("button", name="Roll key").click()  # type: ignore[attr-defined]

    new_token = page.get_by_label("Secret API key “Deploy”").input_value()
    assert api_status(live_server, new_token) == 200
    assert api_status(live_server, old_token) == 401

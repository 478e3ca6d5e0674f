"""Restricted keys in a real browser, with JavaScript (dialogs) and without (pages):
create a key that can only read orders from one address, see it refused elsewhere,
narrow a Full access key to what it used in two clicks, and fail to widen it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.helpers import BASE, container, copy_then_close, get_user, service_of


@pytest.fixture(params=["js", "no_js"])
def any_page(request: pytest.FixtureRequest) -> tuple[Page, bool]:
    js = request.param == "js"
    page: Page = request.getfixturevalue("admin_page" if js else "admin_no_js_page")
    return page, js


def api(live_server: str, method: str, path: str, token: str) -> requests.Response:
    return requests.request(
        method,
        f"{live_server}/admin/api{path}",
        headers={"Authorization": f"Bearer {token}"},
        json={},
        timeout=10,
    )


def level(form: Locator, resource: str, name: str) -> Locator:
    return form.get_by_role("group", name=re.compile(f"^{resource}")).get_by_role(
        "radio", name=name
    )


def test_create_a_key_that_only_reads_orders_from_one_address(
    any_page: tuple[Page, bool], live_server: str, assert_accessible: Callable[..., None]
) -> None:
    page, js = any_page
    page.goto(BASE)
    page.get_by_role("link", name="Create", exact=True).click()
    form = container(page, js, "Create secret API key")
    form.get_by_label("Title").fill("Orders reader")  # type: ignore[attr-defined]
    orders_read = level(form, "Orders", "Read")  # type: ignore[arg-type]
    if js:  # the rows are for Restricted only
        expect(orders_read).to_be_hidden()
    form.get_by_role("radio", name=re.compile("^Restricted")).check()  # type: ignore[attr-defined]
    orders_read.check()
    form.get_by_label("Allowed networks").fill("127.0.0.1")  # type: ignore[attr-defined]
    if js:  # axe runs as a script; the pages without it are checked below
        assert_accessible(page)
    form.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]

    expect(page.get_by_text("Restricted orders read from 127.0.0.1/32")).to_be_visible()
    token = page.locator("#sk-token").input_value()
    if js:
        assert_accessible(page)

    assert api(live_server, "GET", "/orders", token).status_code == 200
    refused = api(live_server, "POST", "/orders", token)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "insufficient_scope",
        "required": "orders:write",
        "message": "This secret API key does not have the orders:write permission.",
    }
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="orders:write"'
    )

    copy_then_close(page, js)
    restrictions = page.get_by_role("region", name="Restrictions")
    expect(restrictions).to_contain_text("Orders: Read")
    expect(restrictions).to_contain_text(re.compile(r"Refused: orders write \d+ seconds? ago"))
    if js:
        assert_accessible(page)


def test_narrow_to_what_it_used_in_two_clicks_and_cannot_widen(
    any_page: tuple[Page, bool],
    app: Flask,
    live_server: str,
    assert_accessible: Callable[..., None],
) -> None:
    page, js = any_page
    with app.app_context():
        key, token = service_of(app).create(get_user("admin@example.com"), "Nightly sync")
        key_id = key.id
    assert api(live_server, "GET", "/orders", token).status_code == 200
    assert api(live_server, "PUT", "/catalog", token).status_code == 200
    page.goto(f"{BASE}/{key_id}")
    restrictions = page.get_by_role("region", name="Restrictions")
    expect(restrictions).to_contain_text("Full access")
    expect(restrictions).to_contain_text(re.compile(r"From: 127\.0\.0\.0/24"))

    restrictions.get_by_role("link", name="Narrow to what it used").click()  # click 1
    form = container(page, js, "Edit restrictions")
    expect(page.get_by_text(re.compile("Filled in with exactly what"))).to_be_visible()
    expect(level(form, "Orders", "Read")).to_be_checked()  # type: ignore[arg-type]
    expect(level(form, "Catalog", "Write")).to_be_checked()  # type: ignore[arg-type]
    expect(level(form, "Refunds", "None")).to_be_checked()  # type: ignore[arg-type]
    expect(form.get_by_label("Allowed networks")).to_have_value("127.0.0.0/24")  # type: ignore[attr-defined]
    if js:
        assert_accessible(page)
    form.get_by_role("button", name="Save restrictions").click()  # type: ignore[attr-defined]  # click 2

    restrictions = page.get_by_role("region", name="Restrictions")
    expect(restrictions).to_contain_text("Orders: Read")
    expect(restrictions).to_contain_text("Catalog: Write")
    assert api(live_server, "GET", "/orders", token).status_code == 200
    assert api(live_server, "GET", "/me", token).json()["required"] == "full_access"

    restrictions.get_by_role("link", name="Edit restrictions").click()
    form = container(page, js, "Edit restrictions")
    level(form, "Orders", "Write").check()  # type: ignore[arg-type]
    form.get_by_role("button", name="Save restrictions").click()  # type: ignore[attr-defined]
    alert = page.get_by_role("alert").filter(has_text="would add orders read → write")
    expect(alert).to_contain_text("roll the key")
    expect(alert.get_by_role("link", name="Roll key")).to_be_visible()
    if js:
        assert_accessible(page)
    assert api(live_server, "POST", "/orders", token).status_code == 403
    if js:  # the same forms as pages of their own, as a browser without JavaScript gets them
        for path in (f"{BASE}/{key_id}/restrictions?narrow=1", f"{BASE}/{key_id}/roll"):
            page.goto(path)
            assert_accessible(page)

"""The list from the keyboard, through Back and Forward, and what a pasted key may not do."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flask_secret_keys import crypto
from tests.helpers import BASE, box, mark_document, rows, same_document


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Two keys a page, so three keys make two pages."""
    return {**app_config, "SECRET_KEYS_PER_PAGE": 2}


@pytest.fixture
def keys(add_key: Callable[..., int]) -> dict[str, str]:
    """Three keys of the admin's (the newest active, used 100 s ago) and one of another
    admin's; their secrets by title."""
    tokens: dict[str, str] = {}
    add_key("Alpha sync", revoked=True, days_old=30, tokens=tokens)
    add_key("Beta export", revoked=True, days_old=20, tokens=tokens)
    add_key("Gamma sync", days_old=10, used_seconds_ago=100, tokens=tokens)
    add_key("Ops key", email="ops@example.com", tokens=tokens)
    return tokens


def test_keyboard_history_and_identify_with_javascript(
    admin_page: Page, keys: dict[str, str], assert_accessible: Callable[..., None]
) -> None:
    page = admin_page
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(BASE)
    page.wait_for_load_state()
    mark_document(page)
    assert rows(page) == ["Gamma sync", "Beta export"]
    # 100 seconds, rounded the way Babel rounds: never "1 minutes ago".
    expect(page.get_by_role("row", name=re.compile("Gamma sync"))).to_contain_text("2 minutes ago")
    expect(page.get_by_text("Press c to create, / to search")).to_be_visible()
    assert_accessible(page)

    # "/" focuses the search box; typing replaces the URL, one history entry in all.
    length = page.evaluate("history.length")
    page.locator("body").press("/")
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()
    for part in ("zz", "sync"):
        search.fill("")
        search.press_sequentially(part, delay=40)
        page.wait_for_timeout(450)
    expect(page).to_have_url(re.compile(r"\?q=sync$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Gamma sync", "Alpha sync"])
    assert page.evaluate("history.length") == length

    # A filter pushes; Back and Forward bring the form back with the table.
    page.get_by_label("Status").select_option("revoked")
    expect(page).to_have_url(re.compile(r"\?q=sync&status=revoked$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Alpha sync"])
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=sync$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Gamma sync", "Alpha sync"])
    expect(search).to_have_value("sync")
    expect(page.get_by_label("Status")).to_have_value("all")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"\?q=sync&status=revoked$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Alpha sync"])
    expect(search).to_have_value("sync")
    expect(page.get_by_label("Status")).to_have_value("revoked")
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=sync$"))
    expect(page.get_by_label("Status")).to_have_value("all")
    search.fill("")
    expect(page).to_have_url(re.compile(f"{BASE}$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Gamma sync", "Beta export"])
    assert same_document(page)

    # Focus stays on the sort header or page link that was used.
    title_sort = page.get_by_role("link", name="Title")
    title_sort.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("columnheader", name="Title")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(page.get_by_role("link", name="Title")).to_be_focused()
    page.get_by_role("link", name="Page 2").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".sk-row-link")).to_have_text(["Gamma sync"])
    expect(page.get_by_role("link", name="Page 2")).to_be_focused()
    expect(page.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Previous").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".sk-row-link")).to_have_text(["Alpha sync", "Beta export"])
    expect(page.get_by_role("link", name="Page 1")).to_be_focused()

    # A from-date after the to-date says so, rather than "No keys match".
    page.get_by_label("Created from").fill("2030-02-01")
    page.get_by_label("Created to").fill("2030-01-01")
    expect(page.get_by_role("heading", name="“Created from” is after “Created to”")).to_be_visible()
    expect(page.locator("#sk-summary")).to_have_text("The dates are the wrong way round.")
    page.get_by_role("link", name="Swap the dates").click()
    page.wait_for_url(re.compile(r"created_from=2030-01-01&created_to=2030-02-01"))
    page.get_by_label("Created from").fill("")
    page.get_by_label("Created to").fill("")
    expect(page.locator(".sk-row-link")).to_have_count(2)

    # A whole key typed into the search box is not sent anywhere.
    mark_document(page)
    secret = keys["Beta export"]
    urls.clear()
    search.fill(secret)
    search.press("Enter")
    warning = page.get_by_role("alert").filter(has_text="looks like a whole secret API key")
    expect(warning).to_be_visible()
    expect(search).to_have_accessible_description(re.compile("use Identify a key"))
    page.wait_for_timeout(400)
    assert secret not in page.url
    assert not any(secret in url for url in urls)
    # Its link moves it to Identify, which opens the key (a POST, never a URL).
    warning.get_by_role("link", name="Identify a key").click()
    identify = page.get_by_role("textbox", name="Secret API key to identify")
    expect(identify).to_be_focused()
    expect(identify).to_have_value(secret)
    expect(search).to_have_value("")
    page.get_by_role("button", name="Identify").click()
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Beta export")
    assert not any(secret in url for url in urls)

    # An overseer identifies another admin's key too (its page names the owner); a key
    # that does not exist is no match, and is not repeated.
    page.goto(BASE)
    page.wait_for_load_state()
    page.get_by_role("textbox", name="Secret API key to identify").fill(keys["Ops key"])
    page.get_by_role("button", name="Identify").click()
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    expect(page.locator(".sk-fields")).to_contain_text("Otto Ops")
    page.goto(BASE)
    page.wait_for_load_state()
    made_up = crypto.generate_token()
    page.get_by_role("textbox", name="Secret API key to identify").fill(made_up)
    page.get_by_role("button", name="Identify").click()
    expect(page.get_by_role("alert").filter(has_text="No key matches")).to_be_visible()
    assert made_up not in page.content()

    # "c" opens Create.
    page.locator("body").press("c")
    expect(page.get_by_role("dialog", name="You already have an active key")).to_be_visible()


def test_identify_dates_and_a_pasted_key_without_javascript(
    make_page: Callable[..., Page],
    log_in: Callable[[Page], None],
    keys: dict[str, str],
) -> None:
    page = make_page(phone=True, js=False)
    log_in(page)
    page.goto(BASE)
    # The filters take a small part of the first phone screen.
    filters = box(page.get_by_role("search", name="Secret API keys"))
    assert filters["height"] < 844 * 0.2

    # The dates sit behind a toggle on a phone; a wrong range says so.
    page.get_by_text("Created dates").click()
    page.get_by_label("Created from").fill("2030-02-01")
    page.get_by_label("Created to").fill("2030-01-01")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="“Created from” is after “Created to”")).to_be_visible()
    expect(page.get_by_label("Created from")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Created from")).to_be_visible()

    # A whole key submitted in the search box: not searched, not shown, not referred on.
    secret = keys["Alpha sync"]
    page.goto(BASE)
    page.get_by_role("searchbox", name="Search").fill(secret)
    with page.expect_response(re.compile(r"\?q=")) as answer:
        page.get_by_role("button", name="Apply").click()
    response = answer.value
    page.wait_for_load_state()
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert secret not in response.text()
    expect(
        page.get_by_text("That looks like a whole secret API key, so it was not searched")
    ).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("")
    expect(page.locator(".sk-row-link")).to_have_count(2)

    # Identify is a POST form: found, it opens the key; not found, it says so and forgets it.
    made_up = crypto.generate_token()
    page.get_by_role("textbox", name="Secret API key to identify").fill(made_up)
    page.get_by_role("button", name="Identify").click()
    page.wait_for_load_state()
    expect(page.get_by_text("No key matches")).to_be_visible()
    assert made_up not in page.content()
    assert "identify" in page.url and "?" not in page.url
    page.get_by_role("textbox", name="Secret API key to identify").fill(secret)
    page.get_by_role("button", name="Identify").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha sync")
    assert secret not in page.url


def test_all_keys_search_replaces_history_and_never_sends_a_pasted_key(
    admin_page: Page, keys: dict[str, str]
) -> None:
    page = admin_page
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(f"{BASE}/all")
    page.wait_for_load_state()
    mark_document(page)

    # Typing replaces the URL: one history entry in all, as on My keys.
    length = page.evaluate("history.length")
    search = page.get_by_role("searchbox", name="Search")
    for part in ("zz", "sync"):
        search.fill("")
        search.press_sequentially(part, delay=40)
        page.wait_for_timeout(450)
    expect(page).to_have_url(re.compile(r"/all\?q=sync$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Gamma sync", "Alpha sync"])
    assert page.evaluate("history.length") == length

    # A whole key is not sent; the warning's link moves it to Identify.
    urls.clear()
    search.fill(keys["Ops key"])
    search.press("Enter")
    warning = page.get_by_role("alert").filter(has_text="looks like a whole secret API key")
    expect(warning).to_be_visible()
    page.wait_for_timeout(400)
    assert not any(keys["Ops key"] in url for url in urls)
    warning.get_by_role("link", name="Identify a key").click()
    expect(page.get_by_role("textbox", name="Secret API key to identify")).to_have_value(
        keys["Ops key"]
    )
    expect(search).to_have_value("")
    assert same_document(page)

"""What an admin does on Settings → Secret API Keys, in a real browser."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.helpers import (
    BASE,
    TOKEN,
    api_status,
    mark_document,
    open_menu_item,
    rows,
    same_document,
)

# After a click that loads a new page, ``page.wait_for_url`` (which waits for the
# load event, unlike ``expect(page).to_have_url``) comes before anything that
# needs the page's scripts and htmx to be running.


#: The text selected in the focused field.
SELECTED_TEXT = (
    "() => { const f = document.activeElement;"
    " return f.value.slice(f.selectionStart, f.selectionEnd); }"
)


def clipboard(page: Page) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


def test_create_copy_use_rename_revoke_and_delete_a_key(
    page: Page,
    live_server: str,
    log_in: Callable[..., None],
    assert_accessible: Callable[..., None],
) -> None:
    log_in(page, form=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Secret API Keys").click()
    page.wait_for_url(re.compile(f"{BASE}$"))
    expect(page.get_by_role("heading", name="No secret API keys yet")).to_be_visible()
    # One primary button: the empty state's.
    expect(page.locator(".sk-btn--primary")).to_have_text(["Create your first key"])
    assert_accessible(page)

    page.get_by_role("link", name="Create", exact=True).click()
    create = page.get_by_role("dialog", name="Create secret API key")
    expect(create).to_be_visible()
    expect(create.get_by_label("Title")).to_be_focused()
    assert_accessible(page)
    create.get_by_label("Title").fill("Inventory sync")
    create.get_by_role("button", name="Save").click()

    reveal = page.get_by_role("alertdialog", name="Copy your secret API key")
    expect(reveal).to_be_visible()
    expect(reveal).to_have_accessible_description(
        re.compile("You won’t be able to see this key again")
    )
    field = reveal.get_by_label("Secret API key “Inventory sync”")
    # The whole key is in sight: nothing to scroll.
    assert field.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    assert_accessible(page)
    # Closing before copying asks once.
    page.keyboard.press("Escape")
    expect(reveal).to_be_visible()
    expect(reveal.get_by_role("alert")).to_contain_text("You haven’t copied the key")
    reveal.get_by_role("button", name="Copy as curl").click()
    expect(reveal.get_by_role("status")).to_have_text("Copied to the clipboard.")
    curl = clipboard(page)
    assert re.fullmatch(
        r'curl -H "Authorization: Bearer sk_\w+" http://127\.0\.0\.1:\d+/admin/api/me', curl
    )
    answer = subprocess.run(  # noqa: S603 - the page's own curl line, local server only
        [*shlex.split(curl), "--silent", "--fail"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert '"email":"admin@example.com"' in answer.stdout.replace(" ", "")
    reveal.get_by_role("button", name="Copy as .env line").click()
    env_line = clipboard(page)
    assert re.fullmatch(r"SECRET_API_KEY=sk_\w+", env_line)
    reveal.get_by_role("button", name="Copy", exact=True).click()
    expect(reveal.get_by_role("button", name="Copied")).to_be_visible()
    expect(reveal.get_by_role("status")).to_have_text("Copied to the clipboard.")
    token = clipboard(page)
    assert TOKEN.fullmatch(token)
    assert field.input_value() == token
    assert env_line == f"SECRET_API_KEY={token}" and token in curl
    assert api_status(live_server, token) == 200

    reveal.get_by_role("link", name="Done").click()
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inventory sync")
    assert token not in page.content()
    assert_accessible(page)

    mark_document(page)
    open_menu_item(page, "Edit")
    panel = page.get_by_role("dialog", name="Edit secret API key")
    expect(panel.get_by_label("Title")).to_have_value("Inventory sync")
    panel.get_by_label("Title").fill("   ")
    panel.get_by_role("button", name="Save").click()
    expect(panel.get_by_text("Enter a title.")).to_be_visible()
    panel.get_by_label("Title").fill("Inventory sync (production)")
    panel.get_by_role("button", name="Save").click()
    expect(panel).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inventory sync (production)")
    expect(page.locator("#sk-toasts")).to_contain_text("Title updated.")

    open_menu_item(page, "Revoke API key")
    confirm = page.get_by_role("dialog", name="Revoke API key")
    expect(confirm).to_have_accessible_description(re.compile("This cannot be undone."))
    assert_accessible(page)
    confirm.get_by_role("button", name="Revoke API key").click()
    expect(confirm).to_be_hidden()
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Revoked")
    expect(page.get_by_text("Revoked by", exact=True)).to_be_visible()
    expect(page.locator("#sk-toasts")).to_contain_text("revoked.")
    assert same_document(page)
    assert api_status(live_server, token) == 401

    assert_accessible(page)
    open_menu_item(page, "Delete")
    confirm = page.get_by_role("dialog", name="Delete secret API key")
    expect(confirm).to_have_accessible_description(re.compile("This cannot be undone."))
    assert_accessible(page)
    confirm.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(f"{BASE}$"))
    expect(page.locator("#sk-toasts")).to_contain_text("“Inventory sync (production)” deleted.")
    expect(page.get_by_role("heading", name="No secret API keys yet")).to_be_visible()
    # The notice does not stay behind a dialog's backdrop.
    page.wait_for_load_state()
    page.get_by_role("link", name="Create", exact=True).click()
    expect(page.get_by_role("dialog", name="Create secret API key")).to_be_visible()
    # At once, not after a wait: a notice leaves by itself after a few seconds.
    assert page.locator("#sk-toasts .sk-toast").count() == 0


def test_search_filter_and_sort_update_the_list_in_place_and_the_url(
    admin_page: Page, add_key: Callable[..., int]
) -> None:
    page = admin_page
    add_key("Alpha sync", revoked=True, days_old=30)
    add_key("Beta export", revoked=True, days_old=20)
    add_key("Gamma sync", days_old=10)
    page.goto(BASE)
    assert rows(page) == ["Gamma sync", "Beta export", "Alpha sync"]
    mark_document(page)

    page.get_by_role("searchbox", name="Search").press_sequentially("sync", delay=30)
    expect(page).to_have_url(re.compile(r"\?q=sync$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Gamma sync", "Alpha sync"])
    expect(page.locator("#sk-summary")).to_have_text("1–2 of 2 keys")

    page.get_by_label("Status").select_option("revoked")
    expect(page).to_have_url(re.compile(r"\?q=sync&status=revoked"))
    expect(page.locator(".sk-row-link")).to_have_text(["Alpha sync"])

    page.get_by_role("searchbox", name="Search").fill("")
    expect(page.locator(".sk-row-link")).to_have_text(["Beta export", "Alpha sync"])

    page.get_by_role("link", name="Title").click()
    expect(page).to_have_url(re.compile(r"status=revoked&sort=title&dir=asc"))
    expect(page.locator(".sk-row-link")).to_have_text(["Alpha sync", "Beta export"])
    expect(page.get_by_role("columnheader", name="Title")).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.get_by_role("link", name="Title").click()
    expect(page.locator(".sk-row-link")).to_have_text(["Beta export", "Alpha sync"])

    page.get_by_label("Status").select_option("all")
    expect(page.locator(".sk-row-link")).to_have_text(["Gamma sync", "Beta export", "Alpha sync"])
    page.get_by_role("searchbox", name="Search").fill("nothing like this")
    expect(page.get_by_role("heading", name="No keys match “nothing like this”")).to_be_visible()
    assert same_document(page)

    # The search replaced the last entry (status all) rather than adding its
    # own: Back goes to the filter before it, form and table alike.
    page.go_back()
    expect(page).not_to_have_url(re.compile("nothing"))
    expect(page).to_have_url(re.compile(r"\?status=revoked&sort=title&dir=desc$"))
    expect(page.locator(".sk-row-link")).to_have_text(["Beta export", "Alpha sync"])
    expect(page.get_by_label("Status")).to_have_value("revoked")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("")

    page.reload()
    expect(page.locator(".sk-row-link")).to_have_text(["Beta export", "Alpha sync"])
    expect(page.get_by_role("columnheader", name="Title")).to_have_attribute(
        "aria-sort", "descending"
    )


def test_the_same_journey_works_without_javascript(
    admin_no_js_page: Page, live_server: str
) -> None:
    page = admin_no_js_page
    page.goto(BASE)
    page.get_by_role("link", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(f"{BASE}/new$"))
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save").click()
    page.get_by_label("Title").fill("No-JS key")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Copy your secret API key")).to_be_visible()
    token = page.get_by_label("Secret API key “No-JS key”").input_value()
    assert TOKEN.fullmatch(token)
    assert BASE + "/new" in page.url
    expect(page.get_by_role("button", name="Copy", exact=True)).to_be_hidden()
    assert api_status(live_server, token) == 200

    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("No-JS key")

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{BASE}/\d+/edit$"))
    page.get_by_label("Title").fill(" ")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a title.")).to_be_visible()
    page.get_by_label("Title").fill("No-JS key, renamed")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"{BASE}/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("No-JS key, renamed")
    expect(page.locator("#sk-toasts")).to_contain_text("Title updated.")
    expect(page.get_by_text("Revoke the key before deleting it")).to_be_visible()

    page.get_by_role("link", name="Revoke API key").click()
    page.get_by_role("button", name="Revoke API key").click()
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Revoked")
    assert api_status(live_server, token) == 401

    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(f"{BASE}$"))
    expect(page.locator("#sk-toasts")).to_contain_text("“No-JS key, renamed” deleted.")
    expect(page.get_by_role("heading", name="No secret API keys yet")).to_be_visible()


def test_list_filters_work_without_javascript(
    admin_no_js_page: Page, add_key: Callable[..., int]
) -> None:
    page = admin_no_js_page
    add_key("Alpha sync", revoked=True)
    add_key("Beta export")
    page.goto(BASE)
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(page.locator(".sk-row-link")).to_have_text(["Beta export"])
    page.get_by_role("link", name="Title").click()
    expect(page).to_have_url(re.compile(r"status=active&sort=title&dir=asc"))


def test_keyboard_only_menu_and_dialogs(admin_page: Page, add_key: Callable[..., int]) -> None:
    page = admin_page
    key_id = add_key("Keyboard key")
    page.goto(f"{BASE}/{key_id}")
    button = page.get_by_role("button", name="Key actions")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "sk-actions-button":
            break
    expect(button).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("menuitem", name="Edit")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Roll key")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Revoke API key")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name=re.compile("^Delete"))).to_have_attribute(
        "aria-disabled", "true"
    )
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_be_hidden()
    expect(button).to_be_focused()

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Revoke API key")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()

    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Revoke API key")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Revoked")
    expect(page.get_by_role("status").filter(has_text="revoked.")).to_be_attached()
    expect(button).to_be_focused()

    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Edit")).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Edit secret API key")
    expect(panel.get_by_label("Title")).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_be_focused()


def test_reloading_after_the_key_pop_up_does_not_show_the_key_again(admin_page: Page) -> None:
    page = admin_page
    page.goto(BASE)
    page.get_by_role("link", name="Create", exact=True).click()
    page.get_by_label("Title").fill("Pop-up key")
    page.get_by_role("button", name="Save").click()
    token = page.get_by_label("Secret API key “Pop-up key”").input_value()
    page.reload()
    expect(page.locator(".sk-row-link")).to_have_text(["Pop-up key"])
    assert token not in page.content()
    # The dialog said the key was created; no notice waits to say it again later.
    # At once, not after a wait: a notice leaves by itself after a few seconds.
    assert page.locator("#sk-toasts .sk-toast").count() == 0


def test_pages_work_when_htmx_fails_to_load(admin_page: Page, live_server: str) -> None:
    page = admin_page
    page.route("**/vendor/htmx.min.js", lambda route: route.abort())
    page.goto(BASE)
    assert page.evaluate("typeof window.htmx") == "undefined"

    page.get_by_role("link", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(f"{BASE}/new$"))
    page.get_by_label("Title").fill("Without htmx")
    page.get_by_role("button", name="Save").click()
    # The key is selected, as in the dialog; the hint for pages without the script is hidden.
    field = page.get_by_label("Secret API key “Without htmx”")
    expect(field).to_be_focused()
    assert page.evaluate(SELECTED_TEXT) == field.input_value()
    expect(page.get_by_text("To copy the key, click in it")).to_be_hidden()
    page.get_by_role("button", name="Copy", exact=True).click()
    token = page.evaluate("navigator.clipboard.readText()")
    assert api_status(live_server, token) == 200
    page.get_by_role("link", name="Done").click()

    open_menu_item(page, "Revoke API key")
    expect(page).to_have_url(re.compile(rf"{BASE}/\d+/revoke$"))
    page.get_by_role("button", name="Revoke API key").click()
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text("Revoked")
    assert api_status(live_server, token) == 401

    page.goto(BASE)
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(page.get_by_role("heading", name="No keys match these filters")).to_be_visible()

"""Actions where people look, and feedback that is seen and heard: a row's ⋯ menu on the
lists, errors inside dialogs, Revoke and create new, notices that take focus, the reveal."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Dialog, Page, Route, expect

from tests.helpers import BASE, TOKEN, api_status, mark_document, same_document


def test_row_menus_errors_in_dialogs_and_revoke_and_create_new(
    admin_page: Page,
    live_server: str,
    add_key: Callable[..., int],
    assert_accessible: Callable[..., None],
) -> None:
    page = admin_page
    add_key("Old export", revoked=True, days_old=3)
    add_key("Deploy", days_old=1)
    page.goto(BASE)
    page.wait_for_load_state()
    prompts: list[str] = []

    def answer(dialog: Dialog) -> None:
        prompts.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)

    # "Revoke and create new": the revoke is confirmed inside the Create dialog,
    # and the list behind it shows the key revoked at once.
    page.get_by_role("link", name="Create", exact=True).click()
    page.get_by_role("dialog", name="You already have an active key").get_by_role(
        "link", name="Revoke and create new"
    ).click()
    page.get_by_role("dialog", name="Revoke API key").get_by_role(
        "button", name="Revoke API key"
    ).click()
    create = page.get_by_role("dialog", name="Create secret API key")
    expect(create.get_by_role("status")).to_have_text("Secret API key “Deploy” revoked.")
    expect(create).to_have_accessible_description("Secret API key “Deploy” revoked.")
    expect(create.get_by_label("Title")).to_be_focused()
    deploy_row = page.get_by_role("row").filter(has_text="Deploy")
    expect(deploy_row.locator(".sk-badge")).to_have_text("Revoked")
    assert_accessible(page)

    # A new key that was copied leaves without a question.
    create.get_by_label("Title").fill("Fresh")
    create.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    page.reload()
    page.wait_for_load_state()
    assert prompts == []
    mark_document(page)

    # Each row has a ⋯ menu, from the keyboard too, with what the key allows.
    old_menu = page.get_by_role("button", name="Actions for “Old export”")
    old_menu.click()
    expect(page.get_by_role("menuitem")).to_have_text(["Edit", "Delete"])
    page.keyboard.press("Escape")
    expect(old_menu).to_be_focused()
    menu = page.get_by_role("button", name="Actions for “Fresh”")
    menu.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem")).to_have_text(["Edit", "Roll key", "Revoke API key"])
    expect(page.get_by_role("menuitem", name="Edit")).to_be_focused()
    assert_accessible(page)

    # An error while a dialog is open shows inside the dialog; sending again works.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    revoke = page.get_by_role("dialog", name="Revoke API key")
    expect(revoke).to_contain_text("Revoke “Fresh”")

    def fail(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=500, body="")
        else:
            route.continue_()

    page.route(re.compile(r".*/\d+/revoke$"), fail)
    revoke.get_by_role("button", name="Revoke API key").click()
    expect(revoke.get_by_role("alert")).to_have_text(
        "Something went wrong. Reload the page and try again."
    )
    expect(page.locator("#sk-toasts .sk-toast")).to_have_count(0)
    assert_accessible(page)
    page.unroute(re.compile(r".*/\d+/revoke$"))
    revoke.get_by_label("In 1 hour").check()
    revoke.get_by_role("button", name="Revoke API key").click()

    # Done: the dialog closes, the notice says so, the row is refreshed in place and
    # focus is back on its ⋯ button.
    expect(revoke).to_have_count(0)
    expect(page.locator("#sk-toasts")).to_contain_text("Secret API key “Fresh” will be revoked")
    fresh_row = page.get_by_role("row").filter(has_text="Fresh")
    expect(fresh_row.locator(".sk-badge")).to_have_text("Revoking")
    expect(page.get_by_role("button", name="Actions for “Fresh”")).to_be_focused()
    assert same_document(page)

    # A page loaded with a notice (here after a delete) gives the notice focus.
    page.get_by_role("button", name="Actions for “Old export”").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("dialog", name="Delete secret API key").get_by_role(
        "button", name="Delete"
    ).click()
    notice = page.locator("#sk-toasts").get_by_role("status")
    expect(notice).to_have_text("Secret API key “Old export” deleted.")
    expect(notice).to_be_focused()
    page.wait_for_load_state()

    # A new key not yet copied: Back or reload asks first.
    page.get_by_role("link", name="Create", exact=True).click()
    create = page.get_by_role("dialog", name="Create secret API key")
    create.get_by_label("Title").fill("Unsaved")
    create.get_by_role("button", name="Save").click()
    token = page.get_by_label("Secret API key “Unsaved”").input_value()
    assert TOKEN.fullmatch(token)
    page.reload()
    page.wait_for_load_state()
    assert prompts == ["beforeunload"]
    assert api_status(live_server, token) == 200


def test_an_overseer_acts_on_all_keys_from_a_row(
    admin_page: Page, add_key: Callable[..., int], assert_accessible: Callable[..., None]
) -> None:
    page = admin_page
    tokens: dict[str, str] = {}
    add_key("Ops deploy", email="ops@example.com", tokens=tokens)
    page.goto(f"{BASE}/all")
    page.wait_for_load_state()

    # Identify finds any user's key, and its page names the owner.
    page.get_by_label("Secret API key to identify").fill(tokens["Ops deploy"])
    page.get_by_role("button", name="Identify").click()
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    expect(page.locator(".sk-fields")).to_contain_text("Otto Ops")
    page.goto(f"{BASE}/all")
    page.wait_for_load_state()

    # Another user's key: only Revoke, and the dialog names its owner.
    page.get_by_role("button", name="Actions for “Ops deploy”").click()
    expect(page.get_by_role("menuitem")).to_have_text(["Revoke API key"])
    page.get_by_role("menuitem", name="Revoke API key").click()
    revoke = page.get_by_role("dialog", name="Revoke API key")
    expect(revoke).to_contain_text("Revoke Otto Ops’s key “Ops deploy”")
    expect(revoke).to_contain_text("It stops being Otto Ops’s active key at once")
    expect(revoke).not_to_contain_text("your")
    assert_accessible(page)
    revoke.get_by_role("button", name="Revoke API key").click()
    expect(page.locator("#sk-toasts")).to_contain_text(
        "Otto Ops’s secret API key “Ops deploy” revoked."
    )
    expect(page.get_by_role("row").filter(has_text="Ops deploy").locator(".sk-badge")).to_have_text(
        "Revoked"
    )
    expect(page.get_by_role("button", name="Actions for “Ops deploy”")).to_have_count(0)


def test_notices_take_focus_and_the_reveal_explains_copying_without_javascript(
    admin_no_js_page: Page,
) -> None:
    page = admin_no_js_page
    page.goto(f"{BASE}/new")
    page.get_by_label("Title").fill("No script")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()

    # The key has focus, and the page says how to select and copy it.
    field = page.get_by_label("Secret API key “No script”")
    expect(field).to_be_focused()
    expect(field).to_have_accessible_description(re.compile(r"Ctrl\+A .* then Ctrl\+C"))
    expect(page.get_by_text("To copy the key, click in it")).to_be_visible()

    # A page loaded with a notice gives it focus, so it is read out.
    page.get_by_role("link", name="Done").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Revoke API key").click()
    page.get_by_role("button", name="Revoke API key").click()
    page.wait_for_load_state()
    notice = page.locator("#sk-toasts").get_by_role("status")
    expect(notice).to_have_text("Secret API key “No script” revoked.")
    expect(notice).to_be_focused()

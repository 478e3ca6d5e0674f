"""Oversight in a real browser: an overseer revokes another admin's key, who sees who did it."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.helpers import BASE, TOKEN, api_status


def test_an_overseer_revokes_a_key_and_its_owner_sees_who_did(
    browser: Browser, page: Page, live_server: str, log_in: Callable[..., None]
) -> None:
    # ops creates a key and uses it.
    log_in(page, "ops@example.com", "ops")
    page.goto(BASE)
    page.wait_for_url(re.compile(f"{BASE}$"))
    expect(page.get_by_role("link", name="All keys")).to_have_count(0)
    page.get_by_role("link", name="Create", exact=True).click()
    create = page.get_by_role("dialog", name="Create secret API key")
    create.get_by_label("Title").fill("Nightly export")
    create.get_by_role("button", name="Save").click()
    token = page.get_by_label("Secret API key “Nightly export”").input_value()
    assert TOKEN.fullmatch(token)
    assert api_status(live_server, token) == 200

    # admin opens All keys, finds the key by its owner and revokes it.
    admin_context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 860}
    )
    admin_context.set_default_timeout(10_000)
    admin = admin_context.new_page()
    try:
        log_in(admin)
        admin.goto(BASE)
        admin.get_by_role("link", name="All keys").click()
        admin.wait_for_url(re.compile(f"{BASE}/all$"))
        expect(admin.get_by_role("heading", level=1)).to_have_text("All keys")
        admin.get_by_label("Owner").fill("nobody@example.com")
        admin.get_by_label("Owner").press("Enter")
        expect(admin.locator("#sk-owner-error")).to_have_text("No user “nobody@example.com”.")
        admin.get_by_label("Owner").fill("ops@example.com")
        admin.get_by_label("Owner").press("Enter")
        expect(admin.locator("#sk-owner-error")).to_have_text("")
        revoke_all = admin.get_by_role("link", name="Revoke all working keys of Otto Ops")
        expect(revoke_all).to_be_visible()
        row = admin.get_by_role("row").filter(has_text="Nightly export")
        expect(row).to_contain_text("Otto Ops")
        row.get_by_role("link", name="Nightly export").click()
        admin.wait_for_url(re.compile(rf"{BASE}/\d+$"))
        expect(admin.locator(".sk-fields")).to_contain_text("Otto Ops")
        admin.get_by_role("button", name="Key actions").click()
        expect(admin.get_by_role("menuitem", name="Edit")).to_have_count(0)
        admin.get_by_role("menuitem", name="Revoke API key").click()
        dialog = admin.get_by_role("dialog", name="Revoke API key")
        dialog.get_by_role("button", name="Revoke API key").click()
        expect(admin.locator("#sk-key .sk-badge")).to_have_text("Revoked")
    finally:
        admin_context.close()

    # The key no longer works, and ops sees who revoked it.
    assert api_status(live_server, token) == 401
    page.goto(BASE)
    page.get_by_role("link", name="Nightly export").click()
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    activity = page.get_by_role("region", name="Activity")
    expect(activity.get_by_role("listitem").first).to_contain_text("Revoked by Ada Admin")
    expect(activity).to_contain_text("Created as “Nightly export” by Otto Ops")

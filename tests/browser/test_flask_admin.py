"""Secret API Keys inside a Flask-Admin panel, driven by a real Chromium.

The Flask-Admin example (``example_app/flask_admin_host.py``, assembled by
``tests/host.py``) is served on 127.0.0.1 in place of the main example, for the
fixtures of ``conftest.py``.
Screenshots go to a temporary directory, or to the directory named by
``SCREENSHOT_DIR`` (``SCREENSHOT_DIR=docs/screenshots`` refreshes the docs' ones).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page, expect

from tests.host import create_flask_admin_app


@pytest.fixture
def app_factory() -> Callable[[dict[str, Any]], Flask]:
    """The Flask-Admin host in place of the main example, for ``live_server``."""
    return create_flask_admin_app


@pytest.fixture
def assert_accessible_in_panel(assert_accessible: Callable[..., None]) -> Callable[[Page], None]:
    """axe-core on a page of the panel, leaving out what Flask-Admin's own markup causes."""

    def check(page: Page) -> None:
        assert_accessible(
            page,
            # Flask-Admin's menu: Bootstrap's .navbar-dark links, white at 50 %, are 4.2:1.
            exclude=["nav.navbar .navbar-nav"],
            # Flask-Admin's admin/base.html has no <html lang> (a whole-page
            # rule, which no selector can narrow); the pages' layout adds <main>.
            disable=["html-has-lang"],
        )

    return check


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_create_and_revoke_a_key_inside_the_flask_admin_layout(
    live_server: str,
    page: Page,
    screenshots: Path,
    assert_accessible_in_panel: Callable[[Page], None],
) -> None:
    assert_accessible = assert_accessible_in_panel
    page.goto(f"{live_server}/admin/")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    # Waits for the load event too: the Settings menu needs Bootstrap's script.
    page.wait_for_url(f"{live_server}/admin/")

    navbar = page.locator("nav.navbar")
    navbar.get_by_role("link", name="Settings").click()
    navbar.get_by_role("link", name="Secret API Keys").click()
    # Waits for the load event too: the Create link needs htmx running.
    page.wait_for_url(f"{live_server}/admin/settings/secret-api-keys")
    # Flask-Admin's layout around the page, with this entry as the current one.
    expect(navbar.get_by_role("link", name="Example Store Admin")).to_be_visible()
    expect(navbar.locator("li.active", has_text="Settings")).to_be_visible()
    expect(navbar.get_by_text("admin@example.com")).to_be_visible()
    expect(page.get_by_role("heading", name="Secret API Keys", level=1)).to_be_visible()
    # The pages' own spacing holds against Bootstrap's h1 and p margins.
    margins = page.evaluate(
        """['.sk-eyebrow', '.sk-page-title', '.sk-lede'].map((s) => {
            const style = getComputedStyle(document.querySelector(s));
            return [style.marginTop, style.marginBottom];
        })"""
    )
    assert margins == [["0px", "4px"], ["0px", "0px"], ["6px", "0px"]]
    assert_accessible(page)

    page.get_by_role("link", name="Create", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("Warehouse sync")
    assert_accessible(page)
    dialog.get_by_role("button", name="Save").click()
    token_field = page.locator("#sk-token")
    expect(token_field).to_be_visible()
    token = token_field.input_value()
    assert_accessible(page)

    me = requests.get(f"{live_server}/admin/api/me", auth=(token, ""), timeout=10)
    assert me.status_code == 200
    assert me.json()["email"] == "admin@example.com"

    page.get_by_role("alertdialog").get_by_role("button", name="Copy", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("link", name="Done").click()
    page.wait_for_url(re.compile(r"/admin/settings/secret-api-keys/\d+$"))
    expect(page.get_by_role("heading", name="Warehouse sync", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Key actions").click()
    page.get_by_role("menuitem", name="Revoke API key").click()
    expect(page.get_by_role("dialog")).to_have_accessible_description(
        re.compile("cannot be undone")
    )
    assert_accessible(page)
    page.get_by_role("dialog").get_by_role("button", name="Revoke API key").click()
    expect(page.locator("#sk-key .sk-badge")).to_have_text("Revoked")
    expect(navbar).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Delete this key").click()
    expect(page.get_by_role("dialog", name="Delete secret API key")).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")

    refused = requests.get(f"{live_server}/admin/api/me", auth=(token, ""), timeout=10)
    assert refused.status_code == 401

    page.locator(".sk-breadcrumb").get_by_role("link", name="Secret API Keys").click()
    expect(page.get_by_role("link", name="Warehouse sync")).to_be_visible()
    # Table headers as in Flask-Admin's own lists: bold, in the text colour.
    header = page.get_by_role("columnheader", name="Key")
    assert header.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    assert header.evaluate("e => getComputedStyle(e).color") == "rgb(33, 37, 41)"
    page.wait_for_load_state()
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "flask-admin.png"))


def test_menu_hides_the_entry_from_users_who_are_not_admins(
    live_server: str, page: Page, assert_accessible_in_panel: Callable[[Page], None]
) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("viewer@example.com")
    page.get_by_label("Password").fill("viewer")
    page.get_by_role("button", name="Log in").click()
    # Waits for the load event too: leaving sooner drops Flask-Admin's scripts mid-download.
    page.wait_for_url(f"{live_server}/admin/")

    expect(page.locator("nav.navbar").get_by_text("Settings")).to_have_count(0)
    response = page.goto(f"{live_server}/admin/settings/secret-api-keys")
    assert response is not None and response.status == 403
    # The refusal reads well: a main landmark, text and link in contrast.
    expect(page.get_by_role("main").get_by_role("heading", level=1)).to_have_text("403 Forbidden")
    assert_accessible_in_panel(page)


def test_pages_keep_flask_admins_light_palette_in_a_dark_colour_scheme(
    make_page: Callable[..., Page],
    add_key: Callable[..., int],
    assert_accessible_in_panel: Callable[[Page], None],
) -> None:
    page = make_page(color_scheme="dark")
    key_id = add_key("Dark key")
    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.goto("/admin/settings/secret-api-keys")

    title = page.get_by_role("heading", name="Secret API Keys", level=1)
    card = page.locator(".sk-card").first
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    assert title.evaluate("e => getComputedStyle(e).color") == "rgb(33, 37, 41)"
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    assert_accessible_in_panel(page)

    # Nothing of the dark palette leaks in: the danger button, a notice's icon.
    page.goto(f"/admin/settings/secret-api-keys/{key_id}")
    page.wait_for_load_state()
    page.get_by_role("button", name="Key actions").click()
    page.get_by_role("menuitem", name="Revoke API key").click()
    expect(page.get_by_role("dialog", name="Revoke API key")).to_be_visible()
    assert_accessible_in_panel(page)
    page.get_by_role("dialog").get_by_role("button", name="Revoke API key").click()
    toast = page.locator("#sk-toasts .sk-toast")
    expect(toast).to_have_text(re.compile("revoked"))
    assert_accessible_in_panel(page)
    icon = toast.locator(".sk-toast-icon").evaluate("e => getComputedStyle(e).color")
    assert icon == "rgb(106, 210, 143)"

"""The pages in a right-to-left host: mirrored by the stylesheet's logical sides.

The host (``create_rtl_app`` in ``tests/host.py``) is the main example with the
pages in an Arabic layout whose ``<html>`` says ``dir="rtl"``; the keys have
Arabic and Hebrew titles. Each check measures where things are on the screen:
what sits at the right in a left-to-right page sits at the left here.
Screenshots, at 1280 and 375 pixels wide, go to the test's temporary directory;
the docs' one, ``list-rtl.png``, to the directory named by ``SCREENSHOT_DIR`` if
set (``SCREENSHOT_DIR=docs/screenshots`` refreshes it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import FloatRect, Locator, Page, expect

from tests.helpers import BASE
from tests.host import create_rtl_app

DEPLOY = "مفتاح النشر"
TESTING = "מפתח בדיקה"
#: Half a pixel: edges that line up are equal up to rounding.
EDGE = 0.5


@pytest.fixture
def app_factory() -> Callable[[dict[str, Any]], Flask]:
    """The right-to-left host in place of the main example, for ``live_server``."""
    return create_rtl_app


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the screenshots go: the test's temporary directory."""
    return tmp_path


@pytest.fixture
def docs_screenshots(tmp_path: Path) -> Path:
    """Where the docs' screenshot goes: ``SCREENSHOT_DIR``, else the temporary directory."""
    directory = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def box(locator: Locator) -> FloatRect:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not on the screen"
    return found


def right(rect: FloatRect) -> float:
    return rect["x"] + rect["width"]


def settle(page: Page) -> None:
    """Waits for the dialogs' and menus' opening animations to end."""
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished.catch(() => 0)))")


def within_viewport(page: Page, rect: FloatRect) -> bool:
    viewport = page.viewport_size
    assert viewport is not None
    return rect["x"] >= 0 and right(rect) <= viewport["width"]


def test_the_list_its_row_menu_and_the_side_panel_are_mirrored(
    make_page: Callable[..., Page],
    log_in: Callable[..., None],
    add_key: Callable[..., int],
    assert_accessible: Callable[..., None],
    screenshots: Path,
    docs_screenshots: Path,
) -> None:
    add_key(TESTING, revoked=True, days_old=3)
    deploy = add_key(DEPLOY, days_old=1, used_seconds_ago=90)
    page = make_page()
    log_in(page)
    page.goto(BASE)
    page.wait_for_load_state()
    assert page.locator("#sk-root").evaluate("e => getComputedStyle(e).direction") == "rtl"

    # The page header: the title at the right, its actions to the left of it.
    title = box(page.get_by_role("heading", name="Secret API Keys", level=1))
    create = box(page.get_by_role("link", name="Create", exact=True))
    assert right(create) < title["x"]

    # The filter bar: the search field's magnifier at its right, the text clear of it.
    search = page.get_by_role("searchbox")
    field = box(search)
    magnifier = box(page.locator(".sk-search svg"))
    assert magnifier["x"] > field["x"] + field["width"] / 2
    assert right(magnifier) < right(field)
    assert search.evaluate("e => getComputedStyle(e).paddingRight") == "32px"

    # The table: the title column at the right, each heading and cell from its
    # right edge, the ⋯ column at the left end of the row.
    row = page.get_by_role("row").filter(has_text=DEPLOY)
    title_cell = box(row.get_by_role("cell").first)
    link = box(row.get_by_role("link", name=DEPLOY))
    assert right(title_cell) - right(link) < 24 < link["x"] - title_cell["x"]
    heading_cell = box(page.get_by_role("columnheader", name="Title"))
    heading = box(page.get_by_role("columnheader", name="Title").get_by_role("link"))
    assert right(heading_cell) - right(heading) < 24 < heading["x"] - heading_cell["x"]
    badge = box(row.locator(".sk-badge"))
    button = row.get_by_role("button", name=f"Actions for “{DEPLOY}”")
    menu_button = box(button)
    assert right(menu_button) < badge["x"] < link["x"]

    # The row's menu opens below its button, its left edge on the button's left
    # edge, inside the window; each item's icon at the right of its words.
    button.click()
    menu = page.locator(f"#sk-actions-{deploy}")
    expect(menu).to_be_visible()
    settle(page)
    popover = box(menu)
    assert abs(popover["x"] - menu_button["x"]) <= EDGE
    assert popover["y"] >= menu_button["y"] + menu_button["height"]
    assert within_viewport(page, popover)
    edit = page.get_by_role("menuitem", name="Edit")
    icon = box(edit.locator("svg"))
    words = edit.evaluate(
        """(e) => {
            const range = document.createRange();
            range.selectNodeContents(e.lastChild);
            const r = range.getBoundingClientRect();
            return {x: r.x, width: r.width};
        }"""
    )
    assert words["x"] + words["width"] <= icon["x"]
    assert_accessible(page)
    page.screenshot(path=str(docs_screenshots / "list-rtl.png"))
    page.keyboard.press("Escape")
    expect(button).to_be_focused()
    page.screenshot(path=str(screenshots / "rtl-list.png"))

    # The side panel comes in at the left, bordered on its right; its close
    # button at its left, its heading at its right; the fields start at the right.
    button.click()
    edit.click()
    panel = page.get_by_role("dialog", name="Edit secret API key")
    expect(panel).to_be_visible()
    settle(page)
    sheet = box(panel)
    assert abs(sheet["x"]) <= EDGE
    assert panel.evaluate("e => getComputedStyle(e).borderRightWidth") == "1px"
    assert panel.evaluate("e => getComputedStyle(e).borderLeftWidth") == "0px"
    close = box(panel.get_by_role("button", name="Close"))
    panel_heading = box(panel.get_by_role("heading", name="Edit secret API key"))
    assert right(close) < panel_heading["x"]
    label = box(panel.get_by_text("Title", exact=True))
    title_field = box(panel.get_by_label("Title"))
    assert abs(right(label) - right(title_field)) <= 1
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "rtl-edit-panel.png"))


def test_the_details_page_its_menu_a_dialog_and_the_notice_are_mirrored(
    make_page: Callable[..., Page],
    log_in: Callable[..., None],
    add_key: Callable[..., int],
    assert_accessible: Callable[..., None],
    screenshots: Path,
) -> None:
    add_key(TESTING, revoked=True, days_old=3)
    deploy = add_key(DEPLOY, days_old=1, used_seconds_ago=90)
    page = make_page()
    log_in(page)
    page.goto(f"{BASE}/{deploy}")
    page.wait_for_load_state()

    # The breadcrumb reads from the right; the key's title at the right of its
    # card, the ⋮ button at the left; the fields' names at the right of their values.
    crumbs = box(page.get_by_role("navigation", name="Breadcrumb").get_by_role("link"))
    current = box(page.locator(".sk-breadcrumb [aria-current=page]"))
    assert right(current) < crumbs["x"]
    title = box(page.get_by_role("heading", name=DEPLOY, level=1))
    badge = box(page.locator("#sk-key .sk-badge"))
    button = page.get_by_role("button", name="Key actions")
    menu_button = box(button)
    assert right(menu_button) < badge["x"] and right(badge) < title["x"]
    name = box(page.locator(".sk-field-row dt").first)
    value = box(page.locator(".sk-field-row dd").first)
    assert right(value) < name["x"]

    # The ⋮ menu: its left edge on the button's, inside the window.
    button.click()
    menu = page.get_by_role("menu", name="Key actions")
    expect(menu).to_be_visible()
    settle(page)
    popover = box(menu)
    assert abs(popover["x"] - menu_button["x"]) <= EDGE
    assert within_viewport(page, popover)
    # The disabled Delete's reason is indented from the right, under its words,
    # clear of the icon.
    delete = page.locator(".sk-menu .sk-action--disabled")
    hint = delete.locator(".sk-action-hint")
    assert hint.evaluate("e => getComputedStyle(e).paddingRight") == "26px"
    assert right(box(hint)) - 26 <= box(delete.locator("svg"))["x"]
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "rtl-details-menu.png"))

    # A dialog: its close button at the left, its buttons at the left of the footer.
    page.get_by_role("menuitem", name="Revoke API key").click()
    dialog = page.get_by_role("dialog", name="Revoke API key")
    expect(dialog).to_be_visible()
    settle(page)
    close = box(dialog.get_by_role("button", name="Close"))
    heading = box(dialog.get_by_role("heading", name="Revoke API key"))
    assert right(close) < heading["x"]
    confirm = box(dialog.get_by_role("button", name="Revoke API key"))
    cancel = box(dialog.get_by_role("link", name="Cancel"))
    sheet = box(dialog)
    assert right(confirm) < cancel["x"]
    assert confirm["x"] - sheet["x"] < sheet["width"] / 2
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "rtl-revoke.png"))

    # The notice of what was done: at the bottom left.
    dialog.get_by_role("button", name="Revoke API key").click()
    toast = page.locator(".sk-toast").filter(has_text="revoked")
    expect(toast).to_be_visible()
    settle(page)
    notice = box(toast)
    viewport = page.viewport_size
    assert viewport is not None
    assert abs(notice["x"] - 20) <= 1
    assert notice["x"] + notice["width"] < viewport["width"] / 2
    expect(page.locator("#sk-key .sk-badge")).to_have_text("Revoked")
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "rtl-details.png"), full_page=True)


def test_on_a_phone_the_list_and_its_menus_stay_mirrored_and_on_screen(
    make_page: Callable[..., Page],
    log_in: Callable[..., None],
    add_key: Callable[..., int],
    assert_accessible: Callable[..., None],
    screenshots: Path,
) -> None:
    add_key(TESTING, revoked=True, days_old=3)
    deploy = add_key(DEPLOY, days_old=1, used_seconds_ago=90)
    page = make_page(phone=True)
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page)
    page.goto(BASE)
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Each key is a card: its title at the right, its status at the left of it,
    # its ⋯ button under them at the right, where a line starts.
    page.screenshot(path=str(screenshots / "rtl-list-phone.png"), full_page=True)
    row = page.get_by_role("row").filter(has_text=DEPLOY)
    card = box(row)
    link = box(row.get_by_role("link", name=DEPLOY))
    assert right(card) - right(link) < link["x"] - card["x"]
    assert right(box(row.locator(".sk-badge"))) < link["x"]
    button = row.get_by_role("button", name=f"Actions for “{DEPLOY}”")
    menu_button = box(button)
    assert right(card) - right(menu_button) < menu_button["x"] - card["x"]

    button.click()
    menu = page.locator(f"#sk-actions-{deploy}")
    expect(menu).to_be_visible()
    settle(page)
    popover = box(menu)
    # No room for it to the left of the button's left edge: it opens the other
    # way, its right edge on the button's, inside the window.
    assert within_viewport(page, popover)
    assert abs(right(popover) - right(menu_button)) <= EDGE
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "rtl-list-menu-phone.png"))

    page.get_by_role("menuitem", name="Revoke API key").click()
    dialog = page.get_by_role("dialog", name="Revoke API key")
    expect(dialog).to_be_visible()
    settle(page)
    sheet = box(dialog)
    assert within_viewport(page, sheet)
    close = box(dialog.get_by_role("button", name="Close"))
    heading = box(dialog.get_by_role("heading", name="Revoke API key"))
    assert right(close) < heading["x"]
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "rtl-revoke-phone.png"))

    page.goto(f"{BASE}/{deploy}")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Key actions").click()
    menu = page.get_by_role("menu", name="Key actions")
    expect(menu).to_be_visible()
    settle(page)
    assert within_viewport(page, box(menu))
    page.screenshot(path=str(screenshots / "rtl-details-menu-phone.png"))

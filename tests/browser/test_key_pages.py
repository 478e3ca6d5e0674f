"""A key's details page, its dialogs and notices: at phone width, with and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Locator, Page, Route, expect

from tests.helpers import BASE, TOKEN, api_status, box, fits_its_width

#: A title as long as a title may be (100 characters).
LONG_TITLE = (
    "Nightly reconciliation of warehouse stock levels with the accounting ledger,"
    " EU and UK stores (prod)"
)


def contrast(page: Page, element: Locator, background: Locator) -> float:
    """The WCAG contrast ratio of ``element``'s colour on ``background``'s background."""
    colours: list[list[float]] = page.evaluate(
        """([a, b]) => [getComputedStyle(a).color, getComputedStyle(b).backgroundColor]
            .map((c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number))""",
        [element.element_handle(), background.element_handle()],
    )

    def luminance(rgb: list[float]) -> float:
        def channel(c: float) -> float:
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(c) for c in colours), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_details_page_fits_narrow_screens_without_javascript(
    make_page: Callable[..., Page],
    log_in: Callable[[Page], None],
    add_key: Callable[..., int],
) -> None:
    page = make_page(phone=True, js=False)
    log_in(page)
    key_id = add_key(LONG_TITLE)
    for width in (390, 600, 900):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(f"{BASE}/{key_id}")
        title = page.get_by_role("heading", level=1)
        card = page.locator(".sk-card").first
        assert fits_its_width(page), width
        # The title keeps most of the card's width: it does not collapse to a letter a line.
        assert box(title)["width"] > box(card)["width"] * 0.6, width
        for action in ("Edit", "Revoke API key"):
            link = box(page.get_by_role("link", name=action, exact=True))
            assert link["x"] + link["width"] <= box(card)["x"] + box(card)["width"], (width, action)
        # The breadcrumb stays on one line, however long the title.
        crumbs = page.get_by_role("navigation", name="Breadcrumb")
        assert box(crumbs)["height"] < 24, width
    expect(page.get_by_role("link", name="Edit", exact=True)).to_be_visible()

    # The edit page's breadcrumb too.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.wait_for_load_state()
    assert box(page.get_by_role("navigation", name="Breadcrumb"))["height"] < 24

    # "Using this key": nothing that looks copyable but does not work.
    page.goto(f"{BASE}/{key_id}")
    usage = page.get_by_role("region", name="Using this key")
    snippets = usage.locator("pre").all_inner_texts()
    assert snippets[0] == "Authorization: Bearer $SECRET_API_KEY"
    assert all("…" not in snippet for snippet in snippets)
    assert re.fullmatch(
        r'curl -H "Authorization: Bearer \$SECRET_API_KEY" http://127\.0\.0\.1:\d+/admin/api/me',
        snippets[1],
    )

    # A revoked key's page offers what it says: delete it, create a new key.
    page.get_by_role("link", name="Revoke API key").click()
    page.get_by_role("button", name="Revoke API key").click()
    page.wait_for_load_state()
    revoked = page.get_by_role("region", name="This key is revoked")
    expect(revoked.get_by_role("link", name="Delete this key")).to_be_visible()
    revoked.get_by_role("link", name="Create a new key").click()
    page.wait_for_url(re.compile(f"{BASE}/new$"))
    page.go_back()
    page.get_by_role("link", name="Delete this key").click()
    page.wait_for_load_state()
    expect(page.get_by_role("region", name="Delete secret API key")).to_have_accessible_description(
        re.compile("This cannot be undone")
    )


def test_details_dialogs_and_notices_on_a_dark_phone(
    make_page: Callable[..., Page],
    log_in: Callable[[Page], None],
    add_key: Callable[..., int],
    live_server: str,
    assert_accessible: Callable[..., None],
) -> None:
    page = make_page(phone=True, color_scheme="dark")
    log_in(page)
    key_id = add_key(LONG_TITLE)
    page.goto(f"{BASE}/{key_id}")
    page.wait_for_load_state()
    title = page.get_by_role("heading", level=1)
    button = page.get_by_role("button", name="Key actions")
    # ⋮ sits at the top of a heading of several lines, not in its middle.
    assert box(title)["height"] > 60
    assert abs(box(button)["y"] - box(title)["y"]) < 12
    assert box(page.get_by_role("navigation", name="Breadcrumb"))["height"] < 24
    assert fits_its_width(page)
    assert_accessible(page)

    # The edit panel takes the whole phone screen, and a rename renames the tab too.
    assert LONG_TITLE in page.title()
    button.click()
    page.get_by_role("menuitem", name="Edit").click()
    panel = page.get_by_role("dialog", name="Edit secret API key")
    expect(panel).to_be_visible()
    assert box(panel)["width"] > 389
    panel.get_by_label("Title").fill("Stock sync")
    panel.get_by_role("button", name="Save").click()
    expect(title).to_have_text("Stock sync")
    expect(page).to_have_title(re.compile("^Stock sync"))
    assert LONG_TITLE not in page.title()

    # A notice takes its place above the page rather than covering it; its
    # icon shows on its background; its Dismiss button is not read out with it.
    toast = page.locator("#sk-toasts .sk-toast")
    expect(toast).to_have_text(re.compile("Title updated."))
    cards = page.locator(".sk-card")
    for index in range(cards.count()):
        card, note = box(cards.nth(index)), box(toast)
        assert note["y"] + note["height"] <= card["y"] or note["y"] >= card["y"] + card["height"]
    assert contrast(page, toast.locator(".sk-toast-icon"), toast) >= 3
    dismiss = toast.get_by_role("button", name="Dismiss")
    assert not dismiss.evaluate(
        "b => Boolean(b.closest('[aria-live], [role=status], [role=alert]'))"
    )
    expect(page.locator("#sk-announcer")).to_have_text("Title updated.")

    # One notice at a time: the revoke's replaces the rename's.
    button.click()
    page.get_by_role("menuitem", name="Revoke API key").click()
    confirm = page.get_by_role("dialog", name="Revoke API key")
    expect(confirm).to_have_accessible_description(re.compile("This cannot be undone"))
    # The earlier notice does not wait under the backdrop.
    # At once, not after a wait: a notice leaves by itself after a few seconds.
    assert toast.count() == 0
    confirm.get_by_role("button", name="Revoke API key").click()
    expect(toast).to_have_count(1)
    expect(toast).to_have_text(re.compile("revoked"))
    # A notice the server sends while another shows replaces it.
    page.evaluate(
        "document.dispatchEvent(new CustomEvent('sk-toast', {detail: {message: 'Next.'}}))"
    )
    expect(toast).to_have_text(["Next.×"])

    # A revoked key offers to delete it and to create a new key, in place.
    revoked = page.get_by_role("region", name="This key is revoked")
    revoked.get_by_role("link", name="Delete this key").click()
    delete = page.get_by_role("dialog", name="Delete secret API key")
    expect(delete).to_have_accessible_description(re.compile("This cannot be undone"))
    page.keyboard.press("Escape")
    expect(delete).to_be_hidden()
    revoked.get_by_role("link", name="Create a new key").click()
    create = page.get_by_role("dialog", name="Create secret API key")
    create.get_by_label("Title").fill("Phone key")
    create.get_by_role("button", name="Save").click()

    # The reveal shows the whole key, wrapped; closing before copying asks once.
    reveal = page.get_by_role("alertdialog", name="Copy your secret API key")
    secret = reveal.get_by_label("Secret API key “Phone key”")
    token = secret.input_value()
    assert TOKEN.fullmatch(token)
    assert secret.evaluate(
        "e => e.scrollHeight <= e.clientHeight && e.scrollWidth <= e.clientWidth"
    )
    assert box(secret)["width"] < 390
    assert_accessible(page)
    reveal.get_by_role("link", name="Done").click()
    expect(reveal.get_by_role("alert")).to_contain_text("You haven’t copied the key")
    expect(reveal).to_be_visible()
    reveal.get_by_role("link", name="Close without copying").click()
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone key")
    assert api_status(live_server, token) == 200


def test_a_double_click_on_save_without_javascript_can_replace_the_unseen_key(
    admin_no_js_page: Page, live_server: str
) -> None:
    page = admin_no_js_page
    page.goto(f"{BASE}/new")
    page.get_by_label("Title").fill("Sent twice")
    lost: dict[str, Any] = {}

    def first_answer_lost(route: Route) -> None:
        # The first send reaches the server, which creates the key; its answer
        # is dropped, as when a second click starts a new navigation.
        if route.request.method == "POST" and not lost:
            lost["body"] = route.fetch().text()
            route.abort("aborted")
        else:
            route.continue_()

    page.route(f"**{BASE}/new", first_answer_lost)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    first = TOKEN.search(lost["body"])
    assert first is not None
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="You already have an active key")).to_be_visible()
    assert first.group() not in page.content()
    expect(page.get_by_text("It was created from this form a moment ago")).to_be_visible()
    # Whoever did copy it may keep it instead.
    expect(page.get_by_role("link", name="Keep this key")).to_have_attribute(
        "href", re.compile(rf"{BASE}/\d+$")
    )
    page.get_by_role("button", name="Replace with a new key").click()
    page.wait_for_load_state()

    token = page.get_by_label("Secret API key “Sent twice”").input_value()
    assert TOKEN.fullmatch(token) and token != first.group()
    assert api_status(live_server, token) == 200
    assert api_status(live_server, first.group()) == 401

"""A key's whole life in German and in Japanese, with JavaScript and without.

The browser asks for the language (its locale sets ``Accept-Language``); the
names of buttons, links and dialogs are looked up in the shipped catalog at
test time, so the test follows the translators' wording and fails where a
name is left in English. Needs the shipped ``de`` and ``ja`` catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from flask_secret_keys.i18n import shipped_locales, translations_for
from tests.helpers import BASE, MODES, TOKEN, api_status

#: The browser's locale for each language the journey runs in.
BROWSER_LOCALES = {"de": "de-DE", "ja": "ja-JP"}


@pytest.fixture(params=sorted(BROWSER_LOCALES))
def language(request: pytest.FixtureRequest) -> str:
    locale: str = request.param
    assert locale in shipped_locales(), f"no {locale} catalog is shipped"
    return locale


@pytest.fixture(params=MODES)
def js(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "js")


@pytest.fixture
def localized_page(
    browser: Browser, live_server: str, language: str, js: bool, log_in: Callable[..., None]
) -> Iterator[Page]:
    """An admin's page in a browser that asks for ``language``."""
    context = browser.new_context(
        base_url=live_server,
        locale=BROWSER_LOCALES[language],
        java_script_enabled=js,
        viewport={"width": 1280, "height": 860},
    )
    context.set_default_timeout(10_000)
    if js:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    log_in(page)
    yield page
    context.close()


def words(language: str) -> Callable[..., str]:
    """``_("Revoke API key")`` in ``language``, placeholders filled in."""
    catalog = translations_for(language)

    def translate(message: str, **variables: Any) -> str:
        translated = catalog.gettext(message)
        return translated % variables if variables else translated

    return translate


def test_create_reveal_revoke_delete(
    localized_page: Page,
    language: str,
    js: bool,
    live_server: str,
    assert_accessible: Callable[..., None],
) -> None:
    page, _ = localized_page, words(language)

    def check(page: Page) -> None:
        """axe on the German pages, as on the English ones (axe is a script: with
        JavaScript only)."""
        if language == "de" and js:
            assert_accessible(page)

    page.goto(BASE)
    expect(page.locator("#sk-root")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Secret API Keys"))
    check(page)

    # Create
    page.get_by_role("link", name=_("Create your first key")).click()
    form: Any = page.get_by_role("dialog", name=_("Create secret API key")) if js else page
    form.get_by_label(_("Title")).fill("Deploy")
    check(page)
    form.get_by_role("button", name=_("Save")).click()

    # Reveal, once
    secret = page.get_by_label(_("Secret API key “%(title)s”", title="Deploy"))
    token = secret.input_value()
    assert TOKEN.fullmatch(token)
    check(page)
    if js:
        page.get_by_role("button", name=_("Copy"), exact=True).click()
    page.get_by_role("link", name=_("Done")).click()
    page.wait_for_url(re.compile(rf"{BASE}/\d+$"))
    key_url = page.url
    page.goto(key_url)
    assert token not in page.content()
    check(page)

    # Revoke, confirmed
    if js:
        page.get_by_role("button", name=_("Key actions")).click()
        page.get_by_role("menuitem", name=_("Revoke API key")).click()
        confirm: Any = page.get_by_role("dialog", name=_("Revoke API key"))
        expect(confirm).to_be_visible()
    else:
        page.get_by_role("link", name=_("Revoke API key")).click()
        confirm = page
    check(page)
    confirm.get_by_role("button", name=_("Revoke API key")).click()
    expect(page.locator(".sk-card-header .sk-badge")).to_have_text(_("Revoked"))
    assert api_status(live_server, token) == 401
    check(page)

    # Delete, confirmed
    if js:
        page.get_by_role("button", name=_("Key actions")).click()
        page.get_by_role("menuitem", name=_("Delete")).click()
        confirm = page.get_by_role("dialog", name=_("Delete secret API key"))
        expect(confirm).to_be_visible()
    else:
        page.get_by_role("link", name=_("Delete"), exact=True).click()
        confirm = page
    check(page)
    confirm.get_by_role("button", name=_("Delete")).click()
    expect(page).to_have_url(re.compile(f"{BASE}$"))
    expect(page.get_by_role("heading", name=_("No secret API keys yet"))).to_be_visible()
    check(page)

"""Real-browser fixtures: one headless Chromium per session, a fresh context per test.

The browser drives the example app served by ``live_server``; htmx comes from
the npm package, served by the example app at ``/vendor/htmx.min.js``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from example_app.models import db
from tests.conftest import get_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: browser tests must run under CI")
        pytest.skip(f"{message}; under CI these tests run")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(browser: Browser, live_server: str, **options: Any) -> BrowserContext:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 860}, **options
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A context with JavaScript, allowed to use the clipboard."""
    context = _context(browser, live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def no_js_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a context with JavaScript disabled."""
    context = _context(browser, live_server, java_script_enabled=False)
    yield context.new_page()
    context.close()


def _log_in(page: Page, email: str = "admin@example.com", password: str = "admin") -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


@pytest.fixture
def log_in() -> Callable[..., None]:
    """Logs a page in through the login form (admin@example.com by default)."""
    return _log_in


@pytest.fixture
def admin_page(page: Page) -> Page:
    _log_in(page)
    return page


@pytest.fixture
def admin_no_js_page(no_js_page: Page) -> Page:
    _log_in(no_js_page)
    return no_js_page


@pytest.fixture
def add_key(app: Flask) -> Callable[..., int]:
    """Adds a key of admin@example.com's straight through the service; returns its id."""

    def add(title: str, *, revoked: bool = False, days_old: int = 0) -> int:
        with app.app_context():
            service = app.extensions["secret_keys"].service
            key, _token = service.create(get_user("admin@example.com"), title)
            if revoked:
                service.revoke(key)
            if days_old:
                Key = service.model
                created = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_old)
                db.session.execute(
                    sa.update(Key).where(Key.id == key.id).values(created_at=created)
                )
                db.session.commit()
            return int(key.id)

    return add

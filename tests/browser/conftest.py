"""Real-browser fixtures: one headless Chromium per session, a fresh context per test.

The browser drives the example app served by ``live_server``; htmx comes from
the npm package, served by the example app at ``/vendor/htmx.min.js``, and
axe-core (``npm install --no-save axe-core``) checks pages for accessibility.
Chromium is the one ``CHROMIUM`` names (a path or a command), else the first
of ``chromium`` and ``chromium-browser`` on the ``PATH``, else Playwright's
own, if ``playwright install chromium`` put one in place.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from example_app.extensions import secret_keys
from example_app.models import db
from tests.helpers import get_user
from tests.helpers import log_in as log_in_client

#: The commands that start Chromium on the usual systems, tried in this order.
CHROMIUM_COMMANDS = ("chromium", "chromium-browser")
AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
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


def find_chromium(playwrights_own: str | None) -> str | None:
    """The Chromium to drive: ``CHROMIUM``, a usual command, or Playwright's own; None if none."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if Path(configured).is_file() else None)
    for command in CHROMIUM_COMMANDS:
        found = shutil.which(command)
        if found:
            return found
    if playwrights_own and Path(playwrights_own).is_file():
        return playwrights_own
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = find_chromium(playwright.chromium.executable_path)
        if chromium is None:
            configured = os.environ.get("CHROMIUM")
            _missing(
                f"CHROMIUM={configured!r}" if configured else "Chromium",
                "apt-get install chromium, or set CHROMIUM to its path",
            )
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(browser: Browser, live_server: str, **options: Any) -> BrowserContext:
    options.setdefault("viewport", {"width": 1280, "height": 860})
    context = browser.new_context(base_url=live_server, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A context with JavaScript, allowed to use the clipboard."""
    context = _context(browser, live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    yield context
    context.close()


#: A phone's viewport, as the screenshots and the design review use.
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def make_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Pages in contexts of their own: ``phone``, ``js``, ``color_scheme``, ``timezone_id``
    as asked."""
    contexts: list[BrowserContext] = []

    def make(
        *,
        phone: bool = False,
        js: bool = True,
        color_scheme: str = "light",
        timezone_id: str | None = None,
    ) -> Page:
        options: dict[str, Any] = {"java_script_enabled": js, "color_scheme": color_scheme}
        if timezone_id:
            options["timezone_id"] = timezone_id
        if phone:
            options.update(viewport=PHONE, is_mobile=True, has_touch=True)
        context = _context(browser, live_server, **options)
        if js:
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
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


def _missing(thing: str, install: str) -> None:
    """Skip without ``thing``, or fail under CI, where every browser test must run."""
    message = f"{thing} is not installed ({install})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: browser tests must run under CI")
    pytest.skip(f"{message}; under CI these tests run")


@pytest.fixture(scope="session")
def axe_path() -> Path:
    if not AXE.exists():
        _missing(str(AXE), "npm install --no-save --no-audit --no-fund htmx.org@2 axe-core")
    return AXE


def axe_violations(
    page: Page, axe: Path, exclude: list[str] | None = None, disable: list[str] | None = None
) -> list[str]:
    """The violations axe-core finds on the page (all its rules, WCAG 2.x A/AA and best
    practices), as text; ``exclude`` leaves out elements, ``disable`` whole rules."""
    # Colours are only what they are once the dialogs' opening animations end
    # (an animation cancelled meanwhile, by an element removed, rejects: fine).
    page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished.catch(() => 0)))")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe))
    found: list[dict[str, Any]] = page.evaluate(
        """async ([exclude, disable]) => {
            const context = exclude.length ? {exclude: exclude.map((s) => [s])} : document;
            const rules = Object.fromEntries(disable.map((id) => [id, {enabled: false}]));
            const result = await axe.run(context, {resultTypes: ["violations"], rules});
            return result.violations.map((v) => ({
                id: v.id, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + " " + n.failureSummary),
            }));
        }""",
        [exclude or [], disable or []],
    )
    return [f"{v['id']}: {v['help']}: {node}" for v in found for node in v["nodes"]]


@pytest.fixture
def assert_accessible(axe_path: Path) -> Callable[..., None]:
    """Asserts axe-core finds no violation on the page as it is now."""

    def check(
        page: Page, exclude: list[str] | None = None, disable: list[str] | None = None
    ) -> None:
        violations = axe_violations(page, axe_path, exclude, disable)
        assert not violations, "\n".join(violations)

    return check


def log_in_by_form(page: Page, email: str = "admin@example.com", password: str = "admin") -> None:
    """Log in the way a person does: the login page, its fields and its button."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


@pytest.fixture
def log_in(app: Flask, live_server: str) -> Callable[..., None]:
    """Logs a page in (admin@example.com by default) and opens ``/``.

    The session comes from the app's own login form, posted by the Flask test
    client, and is handed to the browser as its cookie: the browser's time goes
    to the pages under test. ``form=True`` types into the login page instead.
    """

    def log_in(
        page: Page, email: str = "admin@example.com", password: str = "admin", *, form: bool = False
    ) -> None:
        if form:
            log_in_by_form(page, email, password)
            return
        client = app.test_client()
        log_in_client(client, email, password)
        cookie = client.get_cookie("session")
        assert cookie is not None
        page.context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
        page.goto("/")

    return log_in


@pytest.fixture
def admin_page(page: Page, log_in: Callable[..., None]) -> Page:
    log_in(page)
    return page


@pytest.fixture
def admin_no_js_page(no_js_page: Page, log_in: Callable[..., None]) -> Page:
    log_in(no_js_page)
    return no_js_page


@pytest.fixture
def add_key(app: Flask) -> Callable[..., int]:
    """Adds a key (admin@example.com's by default) straight through the service; returns
    its id. ``tokens``, if given, receives the key's secret under its title."""

    def add(
        title: str,
        *,
        revoked: bool = False,
        days_old: int = 0,
        used_seconds_ago: int | None = None,
        email: str = "admin@example.com",
        tokens: dict[str, str] | None = None,
    ) -> int:
        with app.app_context():
            service = secret_keys.service
            key, token = service.create(get_user(email), title)
            if tokens is not None:
                tokens[title] = token
            if revoked:
                service.revoke(key)
            now = dt.datetime.now(dt.timezone.utc)
            changes: dict[str, Any] = {}
            if days_old:
                changes["created_at"] = now - dt.timedelta(days=days_old)
            if used_seconds_ago is not None:
                changes["last_used_at"] = now - dt.timedelta(seconds=used_seconds_ago)
            if changes:
                Key = service.model
                db.session.execute(sa.update(Key).where(Key.id == key.id).values(**changes))
                db.session.commit()
            return int(key.id)

    return add

"""Take the README's screenshots of the example apps in headless Chromium.

Run from the repository root after ``npm install --no-save htmx.org@2``::

    python docs/screenshots/take_screenshots.py            # the docs' screenshots
    python docs/screenshots/take_screenshots.py --all DIR  # every combination, to review

It serves the example app and its Flask-Admin variant on 127.0.0.1 with
throwaway SQLite databases and a few demo keys. The docs' screenshots go next
to this script. ``--all`` writes the list, the reveal, the details page and
the revoke confirmation at 1280 by 800 and 390 by 844 pixels, light and dark, with and
without JavaScript, standalone and inside Flask-Admin (64 files) to ``DIR``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from example_app import create_app, flask_admin_host  # noqa: E402
from example_app.extensions import secret_keys  # noqa: E402
from example_app.models import User, db  # noqa: E402
from flask_secret_keys.service import Actor  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, find_chromium  # noqa: E402

OUT = Path(__file__).resolve().parent
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

#: Earlier keys of the demo admin: title, age in days, last used (days ago).
HISTORY = [
    ("Nightly order export", 240, 121.0),
    ("Warehouse sync (staging)", 130, 64.0),
    ("Old CI runner", 75, None),
    ("Billing reconciliation", 21, 0.2),
]

#: The two hosts: their app factory and where the pages are mounted.
HOSTS: dict[str, tuple[Callable[[dict[str, Any]], Flask], str]] = {
    "standalone": (create_app, "/settings/secret-api-keys"),
    "flask-admin": (flask_admin_host.create_app, "/admin/settings/secret-api-keys"),
}


def seed(app: Flask) -> None:
    """Revoked keys with believable times, so the list has something to show."""
    with app.app_context():
        service = secret_keys.service
        admin = db.session.execute(
            sa.select(User).where(User.email == "admin@example.com")
        ).scalar_one()
        now = dt.datetime.now(dt.timezone.utc)
        for title, age, used in HISTORY:
            key, _token = service.create(admin, title)
            service.revoke(key, actor=Actor.for_user(admin))
            created = now - dt.timedelta(days=age)
            db.session.execute(
                sa.update(service.model)
                .where(service.model.id == key.id)
                .values(
                    created_at=created,
                    last_used_at=None if used is None else now - dt.timedelta(days=used),
                    revoked_at=created + dt.timedelta(days=age / 2),
                )
            )
            db.session.commit()


#: Keys of the other admin, for All keys: title, age in days, revoked.
OPS_KEYS = [("Nightly backup", 300, True), ("Deploy bot", 9, False)]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"


def seed_ops(app: Flask) -> int:
    """Keys of ops@example.com with a history of events; returns the active key's id."""
    with app.app_context():
        service = secret_keys.service
        ops = db.session.execute(
            sa.select(User).where(User.email == "ops@example.com")
        ).scalar_one()
        now = dt.datetime.now(dt.timezone.utc)
        by_ops = Actor.for_user(ops, ip="198.51.100.23", user_agent=BROWSER)
        active_id = 0
        for title, age, revoked in OPS_KEYS:
            key, _token = service.create(ops, "CI" if not revoked else title, actor=by_ops)
            if not revoked:
                service.rename(key, title, actor=by_ops)
            else:
                service.revoke(key, actor=by_ops)
            created = now - dt.timedelta(days=age)
            Key, Event = service.model, service.event_model
            values: dict[str, object] = {"created_at": created}
            if revoked:
                values["revoked_at"] = created + dt.timedelta(days=age / 2)
            else:
                values.update(
                    last_used_at=now - dt.timedelta(minutes=2),
                    last_used_ip="203.0.113.7",
                    last_used_user_agent="python-requests/2.32",
                )
                active_id = key.id
            db.session.execute(sa.update(Key).where(Key.id == key.id).values(**values))
            events = db.session.execute(
                sa.select(Event).where(Event.key_id == key.id).order_by(Event.id)
            ).scalars()
            for event, at in zip(events, (created, created + dt.timedelta(hours=2)), strict=False):
                event.at = at
            db.session.commit()
        return active_id


class QuietHandler(WSGIRequestHandler):
    """No line per request: the script prints the files it writes."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve(host: str) -> Iterator[str]:
    """One host with its own database and demo keys, served on 127.0.0.1."""
    factory, _base = HOSTS[host]
    folder = Path(tempfile.mkdtemp())
    app = factory(
        {"SECRET_KEY": "screenshots", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db'}"}
    )
    seed(app)
    seed_ops(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def log_in(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def shoot(page: Page, path: Path) -> None:
    page.wait_for_timeout(350)  # let dialog and menu animations finish
    page.screenshot(path=str(path))
    print(f"wrote {path}")


def docs_set(browser: Browser) -> None:
    """The screenshots the README and docs show."""
    with serve("standalone") as base_url:
        base = HOSTS["standalone"][1]
        for scheme in ("light", "dark"):
            context = browser.new_context(base_url=base_url, viewport=DESKTOP, color_scheme=scheme)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
            page = context.new_page()
            log_in(page)
            page.goto(base)
            if scheme == "light":
                page.get_by_role("link", name="Create", exact=True).click()
                page.get_by_label("Title").fill("Inventory sync")
                page.get_by_role("button", name="Save").click()
                page.get_by_role("button", name="Copy", exact=True).click()
                shoot(page, OUT / "created-key.png")
                page.get_by_role("link", name="Done").click()
                page.wait_for_load_state()
                page.get_by_role("button", name="Key actions").click()
                shoot(page, OUT / "details-menu.png")
                page.get_by_role("menuitem", name="Edit").click()
                page.get_by_label("Title").fill("Inventory sync (production)")
                shoot(page, OUT / "edit-panel.png")
                page.keyboard.press("Escape")
                page.get_by_role("button", name="Key actions").click()
                page.get_by_role("menuitem", name="Roll key").click()
                page.get_by_label("In 24 hours").check()
                shoot(page, OUT / "roll-key.png")
                page.keyboard.press("Escape")
                page.goto(base)
                page.mouse.move(0, 0)
            shoot(page, OUT / ("list.png" if scheme == "light" else "list-dark.png"))
            if scheme == "light":
                page.get_by_role("link", name="All keys").click()
                page.wait_for_url(f"**{base}/all")
                page.mouse.move(0, 0)
                shoot(page, OUT / "all-keys.png")
                page.get_by_role("link", name="Deploy bot").click()
                page.wait_for_load_state()
                page.get_by_role("button", name="Key actions").click()
                page.get_by_role("menuitem", name="Revoke API key").click()
                page.locator("dialog[open]").get_by_role("button", name="Revoke API key").click()
                page.locator("#sk-toasts").get_by_text("revoked").wait_for()
                page.locator("#sk-toasts .sk-toast-close").click()
                page.set_viewport_size({"width": 1280, "height": 1000})
                page.mouse.move(0, 0)
                shoot(page, OUT / "activity.png")
            context.close()
        phone = browser.new_context(
            base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True
        )
        page = phone.new_page()
        log_in(page)
        page.goto(base)
        shoot(page, OUT / "list-phone.png")
        phone.close()
    with serve("flask-admin") as base_url:
        base = HOSTS["flask-admin"][1]
        context = browser.new_context(base_url=base_url, viewport=DESKTOP)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        page = context.new_page()
        log_in(page)
        page.goto(base)
        page.get_by_role("link", name="Create", exact=True).click()
        page.get_by_label("Title").fill("Warehouse sync")
        page.get_by_role("button", name="Save").click()
        page.get_by_role("button", name="Copy", exact=True).click()
        shoot(page, OUT / "flask-admin-reveal.png")
        page.goto(base)
        page.mouse.move(0, 0)
        shoot(page, OUT / "flask-admin.png")
        context.close()


def every_combination(browser: Browser, out: Path) -> None:
    """List, reveal, details and revoke confirmation in every combination."""
    out.mkdir(parents=True, exist_ok=True)
    for host, (_factory, base) in HOSTS.items():
        with serve(host) as base_url:
            for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
                for scheme in ("light", "dark"):
                    for js in (True, False):
                        name = f"{host}-{size_name}-{scheme}-{'js' if js else 'nojs'}"
                        context = browser.new_context(
                            base_url=base_url,
                            viewport=size,
                            color_scheme=scheme,
                            java_script_enabled=js,
                            is_mobile=size is PHONE,
                            has_touch=size is PHONE,
                        )
                        page = context.new_page()
                        log_in(page)
                        page.goto(base)
                        shoot(page, out / f"{name}-list.png")
                        page.get_by_role("link", name="Create", exact=True).click()
                        page.wait_for_load_state()
                        page.get_by_label("Title").fill(f"Key for {name}")
                        page.get_by_role("button", name="Save").click()
                        page.wait_for_load_state()
                        shoot(page, out / f"{name}-reveal.png")
                        page.locator("#sk-token").focus()
                        page.keyboard.press("ControlOrMeta+c")
                        page.get_by_role("link", name="Done").click()
                        page.wait_for_load_state()
                        shoot(page, out / f"{name}-details.png")
                        if js:
                            page.get_by_role("button", name="Key actions").click()
                            page.get_by_role("menuitem", name="Revoke API key").click()
                        else:
                            page.get_by_role("link", name="Revoke API key").click()
                        page.wait_for_load_state()
                        shoot(page, out / f"{name}-revoke.png")
                        page.get_by_role("button", name="Revoke API key").click()
                        # The next context creates a key: this one must be revoked first.
                        expect(page.locator("#sk-key .sk-badge")).to_have_text("Revoked")
                        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", type=Path, metavar="DIR", help="every combination, to DIR")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        chromium = find_chromium(playwright.chromium.executable_path)
        if chromium is None:
            sys.exit("Chromium is not installed: apt-get install chromium, or set CHROMIUM")
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            if args.all:
                every_combination(browser, args.all)
            else:
                docs_set(browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()

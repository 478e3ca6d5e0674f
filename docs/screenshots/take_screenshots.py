"""Take the README's screenshots of the example app in headless Chromium.

Run from the repository root after ``npm install --no-save htmx.org@2``::

    python docs/screenshots/take_screenshots.py

It serves the example app on 127.0.0.1 with a throwaway SQLite database and
a few demo keys, and writes the PNG files next to this script.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import threading
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from example_app import create_app  # noqa: E402
from example_app.models import User, db  # noqa: E402
from flask_secret_keys.service import Actor  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUT = Path(__file__).resolve().parent
BASE = "/settings/secret-api-keys"

#: Earlier keys of the demo admin: title, age in days, last used (days ago).
HISTORY = [
    ("Nightly order export", 240, 121.0),
    ("Warehouse sync (staging)", 130, 64.0),
    ("Old CI runner", 75, None),
    ("Billing reconciliation", 21, 0.2),
]


def seed(app: Flask) -> None:
    """Revoked keys with believable times, so the list has something to show."""
    with app.app_context():
        service = app.extensions["secret_keys"].service
        admin = db.session.execute(
            sa.select(User).where(User.email == "admin@example.com")
        ).scalar_one()
        now = dt.datetime.now(dt.timezone.utc)
        for title, age, used in HISTORY:
            key, _token = service.create(admin, title)
            service.revoke(key, by=admin)
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
        service = app.extensions["secret_keys"].service
        ops = db.session.execute(
            sa.select(User).where(User.email == "ops@example.com")
        ).scalar_one()
        now = dt.datetime.now(dt.timezone.utc)
        by_ops = Actor.for_user(ops, ip="198.51.100.23", user_agent=BROWSER)
        active_id = 0
        for title, age, revoked in OPS_KEYS:
            key, _token = service.create(ops, "CI" if not revoked else title, by_ops)
            if not revoked:
                service.rename(key, title, by_ops)
            else:
                service.revoke(key, by=ops, actor=by_ops)
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


def log_in(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(350)  # let dialog and menu animations finish
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(f"wrote {OUT / name}.png")


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {"SECRET_KEY": "screenshots", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db'}"}
    )
    seed(app)
    ops_key = seed_ops(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    base_url=base_url,
                    viewport={"width": 1280, "height": 720},
                    device_scale_factor=1,
                    color_scheme=scheme,
                )
                page = context.new_page()
                log_in(page)
                suffix = "" if scheme == "light" else "-dark"
                page.goto(BASE)
                if scheme == "light":
                    page.get_by_role("link", name="Create", exact=True).click()
                    page.get_by_label("Title").fill("Inventory sync")
                    page.get_by_label("Expiration").select_option(label="90 days")
                    page.get_by_role("button", name="Save").click()
                    page.get_by_role("button", name="Copy").click()
                    shoot(page, "created-key")
                    page.get_by_role("link", name="Done").click()
                    page.get_by_role("button", name="Key actions").click()
                    shoot(page, "details-menu")
                    page.get_by_role("menuitem", name="Edit").click()
                    page.get_by_label("Title").fill("Inventory sync (production)")
                    shoot(page, "edit-panel")
                    page.keyboard.press("Escape")
                    page.get_by_role("button", name="Key actions").click()
                    page.get_by_role("menuitem", name="Roll key").click()
                    page.get_by_label("In 24 hours").check()
                    shoot(page, "roll-key")
                    page.keyboard.press("Escape")
                    page.goto(BASE)
                    page.mouse.move(0, 0)
                shoot(page, f"list{suffix}")
                if scheme == "light":
                    page.get_by_role("link", name="All keys").click()
                    page.wait_for_url(f"**{BASE}/all")
                    page.mouse.move(0, 0)
                    shoot(page, "all-keys")
                    page.goto(f"{BASE}/{ops_key}")
                    page.get_by_role("button", name="Key actions").click()
                    page.get_by_role("menuitem", name="Revoke API key").click()
                    page.get_by_role("dialog").get_by_role("button", name="Revoke API key").click()
                    toasts = page.locator("#sk-toasts")
                    toasts.get_by_text("revoked").wait_for()
                    toasts.locator(".sk-toast-close").click()
                    page.set_viewport_size({"width": 1280, "height": 1000})
                    page.mouse.move(0, 0)
                    shoot(page, "activity")
                context.close()
            phone = browser.new_context(
                base_url=base_url, viewport={"width": 390, "height": 760}, is_mobile=True
            )
            page = phone.new_page()
            log_in(page)
            page.goto(BASE)
            shoot(page, "list-phone")
            phone.close()
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()

"""A leaked key's owner, in a real browser with JavaScript and without: GitHub reports
the key, and its owner finds out where it leaked, what to do, and makes a successor."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page, expect

from tests.helpers import BASE, MODES, container, get_user, service_of
from tests.scanning_server import URL, KeyServer, match, sign

WHERE = "https://github.com/acme/app/blob/abc/settings.py"


@pytest.fixture
def app(make_app: Callable[..., Flask], key_server: KeyServer) -> Flask:
    return make_app(
        SECRET_KEYS_GITHUB_SCANNING_URL=URL,
        SECRET_KEYS_GITHUB_KEYS_URL=key_server.url,
    )


@pytest.mark.parametrize("mode", MODES)
def test_the_owner_of_a_leaked_key_finds_out_and_makes_a_successor(
    request: pytest.FixtureRequest,
    app: Flask,
    live_server: str,
    key_server: KeyServer,
    assert_accessible: Callable[..., None],
    mode: str,
) -> None:
    js = mode == "js"
    page: Page = request.getfixturevalue("admin_page" if js else "admin_no_js_page")
    with app.app_context():
        key, token = service_of(app).create(get_user("admin@example.com"), "Deploy bot")
        key_id = key.id
    body = json.dumps([match(token, WHERE)]).encode()
    alert = requests.post(
        f"{live_server}{URL}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": "one",
            "Github-Public-Key-Signature": sign(key_server.keys["one"], body),
        },
        timeout=10,
    )
    assert alert.json()[0]["label"] == "true_positive"

    page.goto(BASE)
    row = page.get_by_role("row", name="Deploy bot")
    expect(row.get_by_text("Leaked", exact=True)).to_be_visible()
    row.get_by_role("link", name="Deploy bot").click()
    page.wait_for_url(f"**{BASE}/{key_id}")

    leak = page.get_by_role("region", name="This key leaked")
    expect(leak).to_contain_text("GitHub secret scanning reported it found in public")
    expect(leak.get_by_role("link", name=WHERE)).to_have_attribute("href", WHERE)
    expect(leak.get_by_role("heading", name="What to do next")).to_be_visible()
    expect(page.get_by_role("region", name="Activity")).to_contain_text(
        f"Revoked as leaked: found at {WHERE} by GitHub secret scanning"
    )
    if js:  # axe runs as a script: the page without JavaScript is the same HTML
        assert_accessible(page)

    leak.get_by_role("link", name="Create a successor key").click()
    form = container(page, js, "Create secret API key")
    form.get_by_label("Title").fill("Deploy bot 2")  # type: ignore[attr-defined]
    form.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(page.get_by_label("Secret API key “Deploy bot 2”")).to_be_visible()

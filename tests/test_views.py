"""The Settings → Secret API Keys pages, through the Flask test client.

Setup happens in short app contexts of its own: a context held open around
client requests would share ``g`` and the database session between them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import types
from typing import Any

import pytest
import sqlalchemy as sa
from babel import Locale
from flask import Flask
from flask.testing import FlaskClient

from example_app.models import db
from flask_secret_keys.rendering import exact_time, short_user_agent, time_ago
from flask_secret_keys.settings import HTMX_INTEGRITY, HTMX_URL
from tests.helpers import (
    BASE,
    HX,
    TOKEN,
    csrf_token,
    get_user,
    log_in,
    post,
    service_of,
    text,
)


def make_key(
    app: Flask,
    title: str = "Deploy bot",
    *,
    email: str = "admin@example.com",
    revoked: bool = False,
    created_at: dt.datetime | None = None,
    last_used_at: dt.datetime | None = None,
) -> int:
    """A key of ``email``'s, revoked if asked, with chosen times; returns its id."""
    with app.app_context():
        service = service_of(app)
        key, _token = service.create(get_user(email), title)
        if revoked:
            service.revoke(key)
        values = {
            name: value
            for name, value in (("created_at", created_at), ("last_used_at", last_used_at))
            if value is not None
        }
        if values:
            Key = service.model
            db.session.execute(sa.update(Key).where(Key.id == key.id).values(**values))
            db.session.commit()
        return int(key.id)


def key_exists(app: Flask, key_id: int) -> bool:
    with app.app_context():
        return db.session.get(service_of(app).model, key_id) is not None


def is_revoked(app: Flask, key_id: int) -> bool:
    with app.app_context():
        return db.get_or_404(service_of(app).model, key_id).revoked_at is not None


def key_title(app: Flask, key_id: int) -> str:
    with app.app_context():
        return str(db.get_or_404(service_of(app).model, key_id).title)


def key_count(app: Flask) -> int:
    with app.app_context():
        return len(service_of(app).keys_of(get_user("admin@example.com")))


def routes(key_id: int) -> list[tuple[str, str]]:
    """Every page of the blueprint, as (method, path)."""
    return [
        ("GET", BASE),
        ("GET", f"{BASE}/new"),
        ("POST", f"{BASE}/new"),
        ("GET", f"{BASE}/{key_id}"),
        ("GET", f"{BASE}/{key_id}/edit"),
        ("POST", f"{BASE}/{key_id}/edit"),
        ("GET", f"{BASE}/{key_id}/revoke"),
        ("POST", f"{BASE}/{key_id}/revoke"),
        ("GET", f"{BASE}/{key_id}/roll"),
        ("POST", f"{BASE}/{key_id}/roll"),
        ("GET", f"{BASE}/{key_id}/delete"),
        ("POST", f"{BASE}/{key_id}/delete"),
    ]


ROUTE_IDS = [f"{method} {path}" for method, path in routes(0)]


# Who may see the pages: the rules of every route are in test_views_access.py.


def test_a_key_beside_a_session_leaves_the_session_in_charge(
    app: Flask, viewer_client: FlaskClient, admin_token: str
) -> None:
    response = viewer_client.get(BASE, headers={"X-Api-Key": admin_token})
    # The viewer's session decides (not an admin: 403), not the admin's key.
    assert response.status_code == 403


# Full pages and partials


@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_every_response_varies_on_hx_request(
    app: Flask, admin_client: FlaskClient, index: int, headers: dict[str, str]
) -> None:
    key_id = make_key(app, revoked=True)
    method, path = routes(key_id)[index]
    data = {"csrf_token": csrf_token(admin_client), "title": "A title"}
    response = admin_client.open(
        path, method=method, headers=headers, data=data if method == "POST" else None
    )
    assert response.status_code < 500
    assert "HX-Request" in response.vary


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("", 'id="sk-results"'),
        ("/new", '<dialog class="sk-dialog"'),
        ("/{id}", 'id="sk-key"'),
        ("/{id}/edit", "sk-dialog--panel"),
        ("/{id}/revoke", 'id="sk-revoke-dialog"'),
        ("/{id}/delete", 'id="sk-delete-dialog"'),
    ],
)
def test_htmx_gets_a_partial_and_a_browser_the_whole_page(
    app: Flask, admin_client: FlaskClient, path: str, marker: str
) -> None:
    key_id = make_key(app, revoked=True)
    url = BASE + path.format(id=key_id)

    page = text(admin_client.get(url))
    assert page.startswith("<!doctype html>")
    assert "Example Store Admin" in page
    assert 'id="sk-root"' in page

    partial = text(admin_client.get(url, headers=HX))
    assert marker in partial
    assert "<html" not in partial
    assert 'id="sk-root"' not in partial


def test_history_restore_gets_the_whole_page(admin_client: FlaskClient) -> None:
    response = admin_client.get(BASE, headers={**HX, "HX-History-Restore-Request": "true"})
    assert text(response).startswith("<!doctype html>")


def test_page_carries_the_csrf_token_for_htmx(admin_client: FlaskClient) -> None:
    page = text(admin_client.get(BASE))
    match = re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", page)
    assert match, "no hx-headers with the CSRF token"
    assert match.group(1) == csrf_token(admin_client)


# The list


def test_empty_list_invites_to_create_a_key(admin_client: FlaskClient) -> None:
    page = text(admin_client.get(BASE))
    assert "No secret API keys yet" in page
    assert f'href="{BASE}/new"' in page


def test_list_shows_only_the_users_own_keys(app: Flask, admin_client: FlaskClient) -> None:
    make_key(app, "Admin key")
    make_key(app, "Ops key", email="ops@example.com")
    page = text(admin_client.get(BASE))
    assert "Admin key" in page
    assert "Ops key" not in page


def test_list_row_shows_title_redacted_key_status_and_times(
    app: Flask, admin_client: FlaskClient
) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    make_key(app, "Old one", revoked=True)
    key_id = make_key(app, "CI runner", last_used_at=now - dt.timedelta(minutes=3))
    page = text(admin_client.get(BASE))
    row = page[page.index("CI runner") - 200 :]
    with app.app_context():
        redacted = db.get_or_404(service_of(app).model, key_id).redacted
    assert f'href="{BASE}/{key_id}"' in row
    assert redacted in row
    assert "Active" in row
    assert "3 minutes ago" in row
    assert "Revoked" in page
    assert "Never" in page


def _titles(html: str) -> list[str]:
    return re.findall(r'class="sk-row-link" href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def three_keys(app: Flask) -> None:
    """Alpha (revoked, oldest), Beta (revoked), Gamma (active, newest, used)."""
    day = dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc)
    make_key(app, "Alpha sync", revoked=True, created_at=day)
    make_key(app, "Beta export", revoked=True, created_at=day + dt.timedelta(days=5))
    make_key(
        app,
        "Gamma sync",
        created_at=day + dt.timedelta(days=10),
        last_used_at=day + dt.timedelta(days=11),
    )


@pytest.mark.usefixtures("three_keys")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Gamma sync", "Beta export", "Alpha sync"]),
        ("?q=sync", ["Gamma sync", "Alpha sync"]),
        ("?q=SYNC", ["Gamma sync", "Alpha sync"]),
        ("?q=sk_", ["Gamma sync", "Beta export", "Alpha sync"]),
        ("?status=active", ["Gamma sync"]),
        ("?status=revoked", ["Beta export", "Alpha sync"]),
        ("?created_from=2026-03-15", ["Gamma sync", "Beta export"]),
        ("?created_to=2026-03-15", ["Beta export", "Alpha sync"]),
        ("?created_from=2026-03-11&created_to=2026-03-19", ["Beta export"]),
        ("?sort=title&dir=asc", ["Alpha sync", "Beta export", "Gamma sync"]),
        ("?sort=title&dir=desc", ["Gamma sync", "Beta export", "Alpha sync"]),
        ("?sort=created&dir=asc", ["Alpha sync", "Beta export", "Gamma sync"]),
        ("?sort=last_used&dir=desc", ["Gamma sync", "Beta export", "Alpha sync"]),
        ("?q=sync&status=revoked", ["Alpha sync"]),
    ],
)
def test_list_search_filters_and_sort(
    admin_client: FlaskClient, query: str, expected: list[str]
) -> None:
    assert _titles(text(admin_client.get(BASE + query))) == expected
    assert _titles(text(admin_client.get(BASE + query, headers=HX))) == expected


@pytest.mark.usefixtures("three_keys")
def test_sort_by_revoked_puts_active_keys_last(admin_client: FlaskClient) -> None:
    assert _titles(text(admin_client.get(f"{BASE}?sort=revoked&dir=desc")))[-1] == "Gamma sync"


@pytest.mark.usefixtures("three_keys")
@pytest.mark.parametrize(
    "query",
    [
        "?status=bogus",
        "?sort=token_hash",
        "?dir=sideways",
        "?page=abc",
        "?page=-3",
        "?created_from=yesterday",
        "?created_to=2026-02-31",
        "?sort=%0D",  # blank values pass Optional() unchecked
        "?status=%20",
        "?dir=%09",
    ],
)
def test_list_ignores_bad_query_values(admin_client: FlaskClient, query: str) -> None:
    response = admin_client.get(BASE + query)
    assert response.status_code == 200
    assert _titles(text(response)) == ["Gamma sync", "Beta export", "Alpha sync"]


@pytest.mark.usefixtures("three_keys")
def test_page_number_beyond_any_database_offset_shows_an_empty_page(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.get(f"{BASE}?page=99999999999999999999999")
    assert response.status_code == 200
    assert "There is no page 1000000" in text(response)


@pytest.mark.usefixtures("three_keys")
def test_search_without_a_match_says_so(admin_client: FlaskClient) -> None:
    html = text(admin_client.get(f"{BASE}?q=nothing-like-this", headers=HX))
    assert "No keys match “nothing-like-this”" in html
    assert "Clear filters" in html
    assert "No secret API keys yet" not in html


@pytest.mark.usefixtures("three_keys")
def test_sort_header_links_keep_the_filters_and_flip_direction(admin_client: FlaskClient) -> None:
    html = text(admin_client.get(f"{BASE}?q=sync&sort=title&dir=asc"))
    assert 'aria-sort="ascending"' in html
    assert f'href="{BASE}?q=sync&amp;sort=title&amp;dir=desc"' in html
    assert f'href="{BASE}?q=sync&amp;sort=last_used&amp;dir=desc"' in html
    assert f'href="{BASE}?q=sync"' in html


@pytest.mark.usefixtures("three_keys")
def test_htmx_list_updates_the_result_summary_out_of_band(admin_client: FlaskClient) -> None:
    html = text(admin_client.get(f"{BASE}?status=active", headers=HX))
    assert re.search(r'<p id="sk-summary" hx-swap-oob="innerHTML">1–1 of 1 key</p>', html)


@pytest.mark.parametrize("app_config", [{"SECRET_KEYS_PER_PAGE": 2}], indirect=True)
def test_list_is_paginated_by_the_configured_page_size(
    app_config: dict[str, Any], app: Flask, admin_client: FlaskClient
) -> None:
    for title in ("One", "Two", "Three", "Four"):
        make_key(app, title, revoked=True)
    make_key(app, "Five")
    first = text(admin_client.get(BASE))
    assert len(_titles(first)) == 2
    assert "1–2 of 5 keys" in first
    assert f'href="{BASE}?page=2"' in first
    last = text(admin_client.get(f"{BASE}?page=3"))
    assert _titles(last) == ["One"]
    assert "5–5 of 5 keys" in last
    # A page typed into the URL: no "fewer pages now", which only a shrinking list earns.
    beyond = text(admin_client.get(f"{BASE}?page=9"))
    assert "There is no page 9" in beyond and "The list has 3 pages." in beyond
    assert f'href="{BASE}?page=3">Go to the last page' in beyond
    assert "fewer pages" not in beyond


@pytest.mark.usefixtures("three_keys")
@pytest.mark.parametrize(
    ("query", "short"),
    [
        # What the filters form sends without JavaScript, Apply pressed with nothing chosen.
        ("?q=&status=all&created_from=&created_to=&sort=created&dir=desc", ""),
        (
            "?q=sync&status=all&created_from=&created_to=&sort=title&dir=desc",
            "?q=sync&sort=title&dir=desc",
        ),
        (
            "?q=&status=revoked&created_from=2025-01-01&created_to=&page=1",
            "?status=revoked&created_from=2025-01-01",
        ),
    ],
)
def test_the_filters_form_without_javascript_leads_to_a_short_url(
    admin_client: FlaskClient, query: str, short: str
) -> None:
    response = admin_client.get(BASE + query)
    assert response.status_code == 303
    assert response.location == BASE + short
    assert admin_client.get(BASE + short).status_code == 200
    # htmx leaves the empty fields out itself, and is answered in place.
    assert admin_client.get(BASE + query, headers=HX).status_code == 200


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The shared config, plus whatever a test parametrises it with."""
    return {**app_config, **getattr(request, "param", {})}


# Create and the one-time reveal


def test_create_reveals_the_key_once_and_never_caches_it(
    app: Flask, admin_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = post(admin_client, f"{BASE}/new", {"title": "  Billing sync  "})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = TOKEN.findall(text(response))
    assert len(set(tokens)) == 1
    token = tokens[0]

    with app.app_context():
        key = service_of(app).active_key(get_user("admin@example.com"))
        assert key is not None and key.title == "Billing sync"
        assert service_of(app).authenticate(token) == key
    assert f'href="{BASE}/{key.id}"' in text(response)
    assert "Location" not in response.headers
    assert token not in "".join(response.headers.getlist("Set-Cookie"))
    with admin_client.session_transaction() as session:
        assert token not in repr(dict(session))
    assert token not in caplog.text

    for path in (BASE, f"{BASE}/{key.id}", f"{BASE}/new"):
        assert token not in text(admin_client.get(path))


def test_posting_the_create_form_again_is_refused_and_shows_no_key(
    app: Flask, admin_client: FlaskClient
) -> None:
    first = post(admin_client, f"{BASE}/new", {"title": "First"})
    token = TOKEN.findall(text(first))[0]
    again = post(admin_client, f"{BASE}/new", {"title": "First"})
    assert again.status_code == 409
    html = text(again)
    assert token not in html
    assert TOKEN.search(html) is None
    assert "You already have an active key" in html
    assert key_count(app) == 1


def test_create_with_an_active_key_explains_and_links_to_it(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app, "In use")
    for headers in ({}, HX):
        html = text(admin_client.get(f"{BASE}/new", headers=headers))
        assert "You already have an active key" in html
        assert f'href="{BASE}/{key_id}/roll"' in html and ">Roll key</a>" in html
        assert f'href="{BASE}/{key_id}/revoke?then=create"' in html
        assert ">Revoke and create new</a>" in html
        assert f'href="{BASE}/{key_id}"' in html
        assert 'name="title"' not in html


def test_a_create_form_sent_twice_offers_to_replace_the_key_whose_reveal_was_lost(
    app: Flask, admin_client: FlaskClient
) -> None:
    """A double click sends the form twice: the second answer, a 409, replaced the page
    that showed the key. The key that form made, unused, can be replaced by a new one."""
    opened = re.search(r'name="opened"[^>]*value="(\d+)"', text(admin_client.get(f"{BASE}/new")))
    assert opened
    form = {"title": "Deploy", "opened": opened.group(1)}
    assert post(admin_client, f"{BASE}/new", form).status_code == 200
    with app.app_context():
        lost = service_of(app).active_key(get_user("admin@example.com"))
        assert lost is not None
        lost_id = lost.id

    again = post(admin_client, f"{BASE}/new", form)
    assert again.status_code == 409
    assert f'<input type="hidden" name="replace" value="{lost_id}">' in text(again)
    # Another id than the lost key's replaces nothing.
    assert post(admin_client, f"{BASE}/new", {**form, "replace": "999"}).status_code == 409
    replaced = post(admin_client, f"{BASE}/new", {**form, "replace": str(lost_id)})

    assert replaced.status_code == 200 and TOKEN.search(text(replaced))
    with app.app_context():
        service = service_of(app)
        new = service.active_key(get_user("admin@example.com"))
        assert new is not None and new.id != lost_id and new.title == "Deploy"
        assert service.status_of(service.key_by_id(lost_id)) == "revoked"


def test_a_key_made_before_the_form_was_opened_is_not_offered_for_replacement(
    app: Flask, admin_client: FlaskClient
) -> None:
    """Only the key this very form made, never used: not an older key, nor a used one."""
    key_id = make_key(app, "In use")
    later = int(dt.datetime.now(dt.timezone.utc).timestamp()) + 60
    form = {"title": "Deploy", "opened": str(later)}

    refused = post(admin_client, f"{BASE}/new", {**form, "replace": str(key_id)})

    assert refused.status_code == 409 and 'name="replace"' not in text(refused)
    with app.app_context():
        assert service_of(app).status_of(service_of(app).key_by_id(key_id)) == "active"


def test_htmx_create_answers_with_the_reveal_dialog(app: Flask, admin_client: FlaskClient) -> None:
    response = post(admin_client, f"{BASE}/new", {"title": "Via htmx"}, headers=HX)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    assert html.lstrip().startswith('<dialog class="sk-dialog"')
    assert 'hx-history="false"' in html
    assert TOKEN.search(html)
    with app.app_context():
        key = service_of(app).active_key(get_user("admin@example.com"))
    assert key is not None
    assert f'data-sk-close-href="{BASE}/{key.id}"' in html


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_create_with_a_bad_title_shows_the_error_by_the_field(
    app: Flask, admin_client: FlaskClient, headers: dict[str, str]
) -> None:
    """Which titles are refused, and why, is the table of test_service_titles.py."""
    response = post(admin_client, f"{BASE}/new", {"title": "   "}, headers=headers)
    assert response.status_code == 422
    html = text(response)
    assert "Enter a title." in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="title-hint title-count title-error"' in html
    assert TOKEN.search(html) is None
    assert key_count(app) == 0


# Details


def test_details_page_shows_status_times_and_actions(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app, "Warehouse")
    html = text(admin_client.get(f"{BASE}/{key_id}"))
    assert '<h1 class="sk-page-title" id="sk-key-title">Warehouse</h1>' in html
    assert "sk-badge--active" in html
    assert 'aria-label="Key actions"' in html
    assert 'aria-haspopup="menu"' in html
    assert f'href="{BASE}/{key_id}/edit"' in html
    assert f'href="{BASE}/{key_id}/revoke"' in html
    assert 'aria-disabled="true"' in html
    assert "Revoke the key before deleting it" in html
    assert f'href="{BASE}/{key_id}/delete"' not in html
    assert "Revoked by" not in html
    created = r'<time datetime="[^"]+\+00:00" title="[^"]+ UTC">\d+ seconds? ago</time>'
    assert re.search(created, html)


def test_details_of_a_revoked_key_show_when_and_by_whom(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app)
    post(admin_client, f"{BASE}/{key_id}/revoke")
    html = text(admin_client.get(f"{BASE}/{key_id}"))
    assert "sk-badge--revoked" in html
    assert "Revoked by" in html
    assert "<dd>You</dd>" in html
    assert f'href="{BASE}/{key_id}/delete"' in html
    assert f'href="{BASE}/{key_id}/revoke"' not in html


def test_details_page_shows_exact_times_and_each_fact_once(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app, "Forever")

    html = text(admin_client.get(f"{BASE}/{key_id}"))

    exact = r'<time datetime="[^"]+">[A-Z][a-z]+ \d{1,2}, \d{4}[^<]* UTC</time>'
    relative = r"<span class=\"sk-muted\">\(<time [^>]+>\d+ seconds? ago</time>\)"
    assert re.search(rf"<dt>Created</dt>\s*<dd>{exact} {relative}", html)
    assert re.search(r"<dt>Expires</dt>\s*<dd>Never</dd>", html)
    assert "Never expires" not in html


def test_activity_quotes_titles_links_rolls_and_shortens_user_agents(
    app: Flask, admin_client: FlaskClient
) -> None:
    chrome = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/120.0.0.0 Safari/537.36"
    )
    admin_client.environ_base["HTTP_USER_AGENT"] = chrome
    key_id = make_key(app, "CI")
    post(admin_client, f"{BASE}/{key_id}/edit", {"title": "CI deploy"})
    post(admin_client, f"{BASE}/{key_id}/roll", {"when": "1h"})
    with app.app_context():
        successor = service_of(app).active_key(get_user("admin@example.com"))
        assert successor is not None
        successor_id, successor_redacted = successor.id, successor.redacted

    html = text(admin_client.get(f"{BASE}/{key_id}"))
    activity = html.split('id="sk-activity-title"')[1]

    assert "Renamed from “CI” to “CI deploy” by Ada Admin" in activity
    assert "'CI'" not in activity and "&#39;CI&#39;" not in activity
    assert re.search(
        rf'Rolled to <a href="{BASE}/{successor_id}"><code class="sk-code">{successor_redacted}',
        activity,
    )
    assert re.search(
        rf'<details class="sk-agent"><summary>Chrome 120 on Linux</summary>'
        rf'<span class="sk-agent-full">{re.escape(chrome)}</span></details>',
        activity,
    )
    successor_page = text(admin_client.get(f"{BASE}/{successor_id}"))
    assert f'rolled from <a href="{BASE}/{key_id}">' in successor_page


@pytest.mark.parametrize(
    ("agent", "short"),
    [
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like"
            " Gecko) Version/17.1 Safari/605.1.15",
            "Safari 17 on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox 121 on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/120.0.6099.43 Mobile Safari/537.36",
            "Chrome 120 on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari 17 on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
            "Edge 120 on Windows",
        ),
        ("curl/8.4.0", "curl 8.4.0"),
        ("python-requests/2.31.0", "python-requests 2.31.0"),
        ("an agent without a product token " * 3, "an agent without a product token an age…"),
    ],
)
def test_user_agents_are_shortened_to_browser_and_system(agent: str, short: str) -> None:
    assert short_user_agent(agent) == short


# Edit


def test_edit_without_javascript_redirects_to_the_details_with_a_notice(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app, "Old name")
    form = text(admin_client.get(f"{BASE}/{key_id}/edit"))
    assert 'value="Old name"' in form
    response = post(admin_client, f"{BASE}/{key_id}/edit", {"title": "New name"})
    assert response.status_code == 303
    assert response.location == f"{BASE}/{key_id}"
    assert key_title(app, key_id) == "New name"
    page = text(admin_client.get(response.location))
    assert "Title updated." in page


def test_htmx_edit_replaces_the_key_card_and_announces_it(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app, "Old name")
    response = post(admin_client, f"{BASE}/{key_id}/edit", {"title": "New name"}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#sk-key"
    assert response.headers["HX-Reswap"] == "outerHTML"
    triggers = response.headers["HX-Trigger-After-Settle"]
    assert '"sk-toast": {"message": "Title updated."}' in triggers
    assert "sk-done" in triggers
    assert 'id="sk-key-title">New name</h1>' in text(response)


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_edit_with_a_bad_title_keeps_the_old_one(
    app: Flask, admin_client: FlaskClient, headers: dict[str, str]
) -> None:
    key_id = make_key(app, "Keep me")
    response = post(admin_client, f"{BASE}/{key_id}/edit", {"title": " "}, headers=headers)
    assert response.status_code == 422
    assert "Enter a title." in text(response)
    assert key_title(app, key_id) == "Keep me"


# Revoke


def test_revoke_asks_for_confirmation_first(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app)
    assert admin_client.get(f"{BASE}/{key_id}/revoke").status_code == 200
    assert not is_revoked(app, key_id)


def test_revoke_without_javascript_redirects_to_the_details(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app)
    response = post(admin_client, f"{BASE}/{key_id}/revoke")
    assert response.status_code == 303
    assert response.location == f"{BASE}/{key_id}"
    assert is_revoked(app, key_id)
    assert "Secret API key “Deploy bot” revoked." in text(admin_client.get(response.location))


def test_htmx_revoke_replaces_the_key_card(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app)
    response = post(admin_client, f"{BASE}/{key_id}/revoke", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#sk-key"
    assert "sk-badge--revoked" in text(response)
    assert "revoked." in response.headers["HX-Trigger-After-Settle"]


def test_revoking_twice_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app, revoked=True)
    response = post(admin_client, f"{BASE}/{key_id}/revoke")
    assert response.status_code == 409
    assert "is already revoked" in text(response)


# Delete


def test_active_key_cannot_be_deleted(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app)
    page = text(admin_client.get(f"{BASE}/{key_id}/delete"))
    assert "Only a revoked key can be deleted" in page
    assert ">Delete</button>" not in page
    response = post(admin_client, f"{BASE}/{key_id}/delete")
    assert response.status_code == 409
    assert key_exists(app, key_id)


def test_delete_without_javascript_lands_on_the_list_with_a_notice(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app, "Gone soon", revoked=True)
    assert ">Delete</button>" in text(admin_client.get(f"{BASE}/{key_id}/delete"))
    response = post(admin_client, f"{BASE}/{key_id}/delete")
    assert response.status_code == 303
    assert response.location == BASE
    assert not key_exists(app, key_id)
    page = text(admin_client.get(BASE))
    assert "Secret API key “Gone soon” deleted." in page
    assert 'class="sk-row-link"' not in page


def test_htmx_delete_sends_the_browser_to_the_list(app: Flask, admin_client: FlaskClient) -> None:
    key_id = make_key(app, revoked=True)
    response = post(admin_client, f"{BASE}/{key_id}/delete", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == BASE
    assert not key_exists(app, key_id)


# CSRF


def test_htmx_post_may_send_the_csrf_token_in_a_header(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app)
    token = csrf_token(admin_client)
    response = admin_client.post(f"{BASE}/{key_id}/revoke", headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200
    assert is_revoked(app, key_id)


@pytest.mark.parametrize(
    "app_config", [{"WTF_CSRF_CHECK_DEFAULT": False}], indirect=True, ids=["no-csrf-protect"]
)
def test_forms_check_csrf_even_when_the_host_does_not(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = make_key(app)
    response = admin_client.post(f"{BASE}/{key_id}/revoke", data={})
    assert response.status_code == 400
    assert not is_revoked(app, key_id)
    assert post(admin_client, f"{BASE}/{key_id}/revoke").status_code == 303


# Layout, templates and htmx loading


@pytest.mark.parametrize(
    "app_config",
    [{"SECRET_KEYS_BASE_TEMPLATE": "secret_keys/layout.html"}],
    indirect=True,
    ids=["default-layout"],
)
def test_default_layout_is_a_standalone_page(app: Flask, admin_client: FlaskClient) -> None:
    html = text(admin_client.get(BASE))
    assert "<title>Secret API Keys</title>" in html
    assert 'class="sk-standalone"' in html
    assert "Example Store Admin" not in html


def test_htmx_and_assets_are_loaded_by_the_page_body(admin_client: FlaskClient) -> None:
    html = text(admin_client.get(BASE))
    assert '<script src="/vendor/htmx.min.js" defer></script>' in html
    assert f'href="{BASE}/static/secret_keys.css"' in html
    assert f'<script src="{BASE}/static/secret_keys.js" defer></script>' in html


@pytest.mark.parametrize(
    "app_config", [{"SECRET_KEYS_HTMX_URL": HTMX_URL}], indirect=True, ids=["default"]
)
def test_default_htmx_url_carries_its_integrity_hash(admin_client: FlaskClient) -> None:
    assert (
        f'<script src="{HTMX_URL}" defer integrity="{HTMX_INTEGRITY}"'
        ' crossorigin="anonymous"></script>'
    ) in text(admin_client.get(BASE))


@pytest.mark.parametrize(
    "app_config", [{"SECRET_KEYS_HTMX_URL": None}], indirect=True, ids=["host"]
)
def test_htmx_url_none_leaves_loading_htmx_to_the_layout(admin_client: FlaskClient) -> None:
    html = text(admin_client.get(BASE))
    assert "htmx.min.js" not in html
    assert "secret_keys.js" in html


# Times in words

NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        # A clock held still or stepped back never puts the past in the future.
        (dt.timedelta(seconds=-30), "1 second ago"),
        (dt.timedelta(0), "1 second ago"),
        (dt.timedelta(seconds=50), "50 seconds ago"),
        # Babel rounds up to the next unit from 85 % of it.
        (dt.timedelta(seconds=51), "1 minute ago"),
        (dt.timedelta(hours=30), "1 day ago"),
        (dt.timedelta(days=400), "1 year ago"),
    ],
)
def test_times_are_shown_in_words(ago: dt.timedelta, words: str) -> None:
    assert time_ago(NOW - ago, NOW) == words


def test_exact_time_is_unambiguous_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    # CLDR puts a narrow no-break space before "PM".
    assert exact_time(NOW) == "November 26, 2026, 8:00:00\u202fPM UTC"
    assert exact_time(NOW.astimezone(paris)) == "November 26, 2026, 8:00:00\u202fPM UTC"


def test_times_follow_the_locale_of_a_host_that_uses_flask_babel(
    app: Flask, admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Flask-Babel stands in by what the pages use of it: its entry in
    # app.extensions and get_locale(). It is not a test dependency, because
    # Flask-Admin, once Flask-Babel is importable, needs every host to set it up.
    flask_babel = types.ModuleType("flask_babel")
    flask_babel.get_locale = lambda: Locale("de")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "flask_babel", flask_babel)
    monkeypatch.setitem(app.extensions, "babel", object())
    used = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=3)
    make_key(app, "CI runner", last_used_at=used)
    assert "vor 3 Minuten" in text(admin_client.get(BASE))
    with app.test_request_context():
        assert time_ago(NOW - dt.timedelta(days=3), NOW) == "vor 3 Tagen"
        assert exact_time(NOW) == "26. November 2026, 20:00:00 UTC"


def test_times_are_english_without_flask_babel(app: Flask) -> None:
    with app.test_request_context():
        assert time_ago(NOW - dt.timedelta(days=3), NOW) == "3 days ago"


# Identify a key, and a key typed into the search box


def test_identify_is_a_post_that_never_repeats_the_secret(app: Flask) -> None:
    # ops@example.com is an admin who does not oversee: other users' keys are no match.
    client = app.test_client()
    log_in(client, "ops@example.com", "ops")
    with app.app_context():
        key, token = service_of(app).create(get_user("ops@example.com"), "Mine")
        key_id = key.id
        _other, theirs = service_of(app).create(get_user("admin@example.com"), "Theirs")
    assert client.get(f"{BASE}/identify").status_code == 405
    csrf = csrf_token(client, BASE)

    found = client.post(f"{BASE}/identify", data={"csrf_token": csrf, "key": f" {token} "})
    assert found.status_code == 303 and found.location == f"{BASE}/{key_id}"
    found = client.post(f"{BASE}/identify", data={"csrf_token": csrf, "key": token}, headers=HX)
    assert found.headers["HX-Redirect"] == f"{BASE}/{key_id}"

    answers = []
    for secret in (theirs, token[:-1], "sk_" + "x" * 300):
        for headers in ({}, HX):
            answer = client.post(
                f"{BASE}/identify", data={"csrf_token": csrf, "key": secret}, headers=headers
            )
            body = answer.get_data(as_text=True)
            assert answer.status_code == 422
            assert secret not in body and "No key of yours matches" in body
            assert "no-store" in answer.headers["Cache-Control"]
            # Without JavaScript the form is the page, and its heading the page's.
            level = "h2" if headers else "h1"
            assert f'<{level} class="sk-section-title" id="sk-identify-heading">' in body
            # CSRF tokens are signed with the time: a second may pass between answers.
            answers.append(re.sub(r'name="csrf_token"[^>]*>|"X-CSRFToken": "[^"]*"', "", body))
    assert answers[0] == answers[2]  # another admin's key is no match, like a made-up one
    assert client.post(f"{BASE}/identify", data={"key": token}).status_code == 400

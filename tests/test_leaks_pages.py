"""A leaked key's owner sees why: the list, the details page, Activity; and races of a leak."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_secret_keys import Actor, LeakReport
from flask_secret_keys.errors import KeyAlreadyRevoked, KeyNotRollable
from flask_secret_keys.rules import GITHUB_SCANNING
from tests.helpers import count_statements, get_user, run_together, service_of

BASE = "/settings/secret-api-keys"
WHERE = "https://github.com/acme/app/blob/abc/settings.py"


def leak(app: Flask, url: str | None = WHERE, source: str = "commit") -> int:
    """A key of admin@example.com, revoked by GitHub as leaked at ``url``; its id."""
    with app.app_context():
        service = service_of(app)
        key, _token = service.create(get_user("admin@example.com"), "Deploy")
        service.revoke_leaked([LeakReport(key, source, url)], actor=Actor.system(GITHUB_SCANNING))
        return key.id


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_details_page_says_where_by_whom_when_and_what_next(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = leak(app)

    html = admin_client.get(f"{BASE}/{key_id}").get_data(as_text=True)

    assert 'id="sk-leak-title">This key leaked<' in html
    assert f'href="{WHERE}" rel="nofollow noopener noreferrer"' in html
    words = text(html)
    assert "GitHub secret scanning reported it found in public" in words
    assert "Reported by GitHub secret scanning" in words
    assert "(commit)" in words
    assert "What to do next" in words
    assert "Create a successor key" in words
    assert f"Revoked as leaked: found at {WHERE} by GitHub secret scanning" in words
    assert "Revoked by GitHub secret scanning" in words


def test_a_url_that_is_no_web_address_is_shown_not_linked(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id = leak(app, url="javascript:alert(1)")

    html = admin_client.get(f"{BASE}/{key_id}").get_data(as_text=True)

    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html


def test_the_list_marks_leaked_keys_with_no_statement_more(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        service_of(app).create(get_user("admin@example.com"), "Fine")
    with count_statements(engine) as clean:
        fine = admin_client.get(BASE).get_data(as_text=True)
    with app.app_context():
        service = service_of(app)
        active = service.active_key(get_user("admin@example.com"))
        assert active is not None
        service.revoke(active, actor=Actor.system())
    leak(app)
    with count_statements(engine) as marked:
        listed = admin_client.get(BASE).get_data(as_text=True)

    assert "sk-badge--leaked" not in fine
    assert listed.count('sk-badge--leaked">Leaked<') == 1
    assert len(marked) == len(clean)


@pytest.mark.concurrency
@pytest.mark.parametrize("rival", ["roll", "revoke"])
def test_a_leak_racing_a_roll_or_a_revocation_ends_the_key_once(app: Flask, rival: str) -> None:
    with app.app_context():
        key, _token = service_of(app).create(get_user("admin@example.com"), "Raced")
        key_id = key.id

    def report() -> Any:
        service = service_of(app)
        return service.revoke_leaked(
            [LeakReport(service.key_by_id(key_id), "content")], actor=Actor.system(GITHUB_SCANNING)
        )

    def other() -> Any:
        service = service_of(app)
        if rival == "roll":
            return service.roll(service.key_by_id(key_id), dt.timedelta(0), actor=Actor.system())
        return service.revoke(service.key_by_id(key_id), actor=Actor.system())

    leaked, rivalled = run_together(app, [report, other])

    rival_won = not isinstance(rivalled, (KeyAlreadyRevoked, KeyNotRollable))
    assert not isinstance(leaked, Exception), leaked
    assert not isinstance(rivalled, Exception) or not rival_won, rivalled
    assert (len(leaked) == 1) != rival_won
    with app.app_context():
        service = service_of(app)
        assert service.status_of(service.key_by_id(key_id)) == "revoked"
        ending = [e.event for e in service.events_of(key_id) if e.event != "created"]
        assert ending == (
            ["rolled"]
            if rival == "roll" and rival_won
            else ["revoked"]
            if rival_won
            else ["leaked"]
        )
        working = service.working_keys_of(get_user("admin@example.com"))
        assert len(working) == (1 if rival == "roll" and rival_won else 0)

"""Titles: a clear validation error, or stored exactly and shown escaped.

The one table of title rules goes through the service (the forms run the same
``clean_title``); stored titles are read back from the database and from the
rendered pages. How a form shows the service's error is tested with the pages
(test_views.py).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from example_app.models import db
from flask_secret_keys import InvalidTitle
from flask_secret_keys.models import TITLE_MAX_LENGTH
from flask_secret_keys.service import clean_title
from tests.helpers import csrf_token, get_user, service_of

NEW = "/settings/secret-api-keys/new"
EDIT = "/settings/secret-api-keys/1/edit"


def post_title(client: FlaskClient, url: str, title: str) -> TestResponse:
    """Submit the create or edit form at ``url`` with ``title``."""
    return client.post(url, data={"title": title, "csrf_token": csrf_token(client, url)})


REFUSED = [
    pytest.param("", "Enter a title.", id="empty"),
    pytest.param("   ", "Enter a title.", id="spaces-only"),
    pytest.param("\t \u3000\u00a0", "Enter a title.", id="unicode-whitespace-only"),
    pytest.param("\u200b\u200d", "Enter a title.", id="zero-width-only"),
    pytest.param("x" * (TITLE_MAX_LENGTH + 1), "at most 100 characters", id="one-over-the-limit"),
    pytest.param(
        "🔑" * (TITLE_MAX_LENGTH + 1), "at most 100 characters", id="emoji-over-the-limit"
    ),
    pytest.param("x" * 10_000, "at most 100 characters", id="ten-thousand-characters"),
    pytest.param("bad\x00title", "control characters", id="nul"),
    pytest.param("line\nbreak", "control characters", id="newline-inside"),
    pytest.param("tab\there", "control characters", id="tab-inside"),
    pytest.param("bell\x07", "control characters", id="bell"),
    pytest.param("\x1b[31mred", "control characters", id="ansi-escape"),
    pytest.param("del\x7f", "control characters", id="delete-char"),
    *(
        pytest.param(f"Billing{char}sync", "text-direction controls", id=f"U+{ord(char):04X}")
        for char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    ),
    pytest.param("gnp.\u202eexe", "text-direction controls", id="right-to-left-override-spoof"),
    pytest.param("line\u2028separator", "line and paragraph separators", id="U+2028"),
    pytest.param("paragraph\u2029separator", "line and paragraph separators", id="U+2029"),
]

STORED = [
    pytest.param("Billing sync", "Billing sync", id="plain"),
    pytest.param("  padded  ", "padded", id="trimmed"),
    pytest.param("x" * TITLE_MAX_LENGTH, "x" * TITLE_MAX_LENGTH, id="at-the-limit"),
    pytest.param("🔑" * TITLE_MAX_LENGTH, "🔑" * TITLE_MAX_LENGTH, id="emoji-at-the-limit"),
    pytest.param("Deploy 🚀 👩‍💻", "Deploy 🚀 👩‍💻", id="emoji-and-zwj"),
    pytest.param("مفتاح الفوترة", "مفتاح الفوترة", id="arabic-rtl"),
    pytest.param("מפתח API לחיוב", "מפתח API לחיוב", id="hebrew-mixed-direction"),
    pytest.param("Ключ 北京 κλειδί", "Ключ 北京 κλειδί", id="mixed-scripts"),
    pytest.param("<script>alert(1)</script>", "<script>alert(1)</script>", id="script-tag"),
    pytest.param(
        '"><img src=x onerror=alert(1)>', '"><img src=x onerror=alert(1)>', id="attr-break"
    ),
    pytest.param("{{ 7*7 }} {% raw %}", "{{ 7*7 }} {% raw %}", id="template-syntax"),
    pytest.param("'; DROP TABLE users; --", "'; DROP TABLE users; --", id="sql-ish"),
    pytest.param("100% _under_ \\back", "100% _under_ \\back", id="like-wildcards"),
]


def stored_titles(app: Flask) -> list[str]:
    Key = service_of(app).model
    with app.app_context():
        return list(db.session.execute(sa.select(Key.title).order_by(Key.id)).scalars())


@pytest.mark.parametrize(
    ("title", "message"), [*REFUSED, pytest.param(None, "Enter a title.", id="none")]
)
def test_service_refuses_a_bad_title_with_a_clear_message(
    app: Flask, title: str | None, message: str
) -> None:
    service = service_of(app)
    with app.app_context(), pytest.raises(InvalidTitle, match=message):
        service.create(get_user("admin@example.com"), title)
    assert stored_titles(app) == []


@pytest.mark.parametrize(("title", "expected"), STORED)
def test_a_clean_title_passes_the_rules_again_unchanged(title: str, expected: str) -> None:
    """The forms run ``clean_title`` first, so the service never refuses what they pass."""
    assert clean_title(clean_title(title)) == clean_title(title) == expected


@pytest.mark.parametrize(("title", "expected"), STORED)
def test_a_title_is_stored_exactly_and_shown_escaped(
    app: Flask, admin_client: FlaskClient, title: str, expected: str
) -> None:
    response = post_title(admin_client, NEW, title)
    assert response.status_code == 200
    assert stored_titles(app) == [expected]

    for url in ("/settings/secret-api-keys", "/settings/secret-api-keys/1"):
        page = admin_client.get(url).get_data(as_text=True)
        assert str(escape(expected)) in page, url
        if "<" in expected:
            assert expected not in page, url
        if "{{" in expected:
            assert "49 {%" not in page, url

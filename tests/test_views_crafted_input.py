"""Crafted input is a 404, a form error or a one-line CLI error: never a 500 or a traceback."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import fixed_tokens, get_user, service_of

PAGES = "/settings/secret-api-keys"

HUGE_IDS = ["2147483648", "9223372036854775808", "18446744073709551616", "99999999999999999999"]


@pytest.mark.parametrize("key_id", HUGE_IDS)
@pytest.mark.parametrize("action", ["", "/edit", "/revoke", "/delete"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_out_of_range_key_ids_are_404(
    admin_client: FlaskClient, key_id: str, action: str, htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}

    response = admin_client.get(f"{PAGES}/{key_id}{action}", headers=headers)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"created_to": "9999-12-31"},
        {"created_from": "9999-12-31", "created_to": "9999-12-31"},
        {"created_from": "0001-01-01"},
        {"created_to": "0001-01-01"},
    ],
    ids=["last-day-as-end", "last-day-both", "first-day-as-start", "first-day-as-end"],
)
def test_extreme_dates_show_a_list(admin_client: FlaskClient, query: dict[str, str]) -> None:
    for headers in ({}, {"HX-Request": "true"}):
        assert admin_client.get(PAGES, query_string=query, headers=headers).status_code == 200


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "10000-01-01", "yesterday"])
def test_an_impossible_date_is_the_fields_error(
    admin_client: FlaskClient, admin_token: str, value: str
) -> None:
    response = admin_client.get(PAGES, query_string={"created_to": value})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="sk-created-to-error"' in page
    assert "Enter a real date, as YYYY-MM-DD." in page


@pytest.mark.parametrize("search", ["\x00", "bill\x00ing", "\x1b[31m", "a\x7fb", "\x00" * 200])
def test_control_characters_in_search_are_dropped(
    app: Flask, admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch, search: str
) -> None:
    # A fixed secret: "ab" could otherwise match a random key's redacted form.
    fixed_tokens(monkeypatch)
    with app.app_context():
        service_of(app).create(get_user("admin@example.com"), "Test key")
    for headers in ({}, {"HX-Request": "true"}):
        response = admin_client.get(PAGES, query_string={"q": search}, headers=headers)
        assert response.status_code == 200
    printable = "".join(char for char in search if char.isprintable())
    page = admin_client.get(PAGES, query_string={"q": search}).get_data(as_text=True)
    # What is left is searched: nothing left matches every key.
    assert ("Test key" in page) == (printable == "")

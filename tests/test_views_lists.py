"""My keys and All keys are one list: the same filters, guard and errors on both.

admin@example.com oversees in the example app, so the admin client sees both lists.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_secret_keys.rules import STATUSES
from tests.helpers import get_user, service_of

BASE = "/settings/secret-api-keys"
HX = {"HX-Request": "true"}
LISTS = pytest.mark.parametrize("path", [BASE, f"{BASE}/all"], ids=["my-keys", "all-keys"])


def text(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


@pytest.fixture
def token(app: Flask) -> str:
    """The secret of an active key of the admin's, titled "Mine"."""
    with app.app_context():
        _key, secret = service_of(app).create(get_user("admin@example.com"), "Mine")
    return secret


@LISTS
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_key_in_the_search_box_is_neither_searched_nor_shown(
    admin_client: FlaskClient, token: str, path: str, headers: dict[str, str]
) -> None:
    answer = admin_client.get(path, query_string={"q": token}, headers=headers)

    body = text(answer)
    assert answer.status_code == 200
    assert token not in body and token[3:20] not in body
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in answer.headers["Cache-Control"]
    assert ">Mine</a>" in body  # the list, unsearched
    plain = admin_client.get(path, query_string={"q": "Mine"})
    assert plain.headers.get("Referrer-Policy") != "no-referrer"


@LISTS
def test_a_key_in_the_search_box_points_to_identify(
    admin_client: FlaskClient, token: str, path: str
) -> None:
    page = text(admin_client.get(path, query_string={"q": token}))

    warning = re.search(r'<p class="sk-secret-warning" id="sk-q-secret" role="alert"[^>]*>', page)
    assert warning is not None and "hidden" not in warning.group()
    assert 'href="#sk-identify-key"' in page and 'id="sk-identify-key"' in page
    assert 'aria-describedby="sk-q-secret"' in page


@LISTS
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_is_offered_and_the_urls_is_chosen(
    admin_client: FlaskClient, token: str, path: str, status: str
) -> None:
    page = text(admin_client.get(path, query_string={"status": status}, follow_redirects=True))

    select = re.search(r'<select [^>]*id="sk-status".*?</select>', page, re.DOTALL)
    assert select is not None
    assert re.findall(r'<option value="(\w+)"', select.group()) == list(STATUSES)
    assert re.findall(r'<option value="(\w+)" selected>', select.group()) == [status]
    assert '<option value="working">Still working</option>' in page.replace(" selected", "")


@LISTS
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_dates_the_wrong_way_round_say_so(
    admin_client: FlaskClient, token: str, path: str, headers: dict[str, str]
) -> None:
    query = {"created_from": "2030-02-01", "created_to": "2030-01-01"}

    page = text(admin_client.get(path, query_string=query, headers=headers))

    assert "“Created from” is after “Created to”" in page
    assert "The dates are the wrong way round." in page
    assert "Swap the dates" in page
    if not headers:
        assert 'aria-describedby="sk-range-error"' in page


@LISTS
def test_an_impossible_date_is_the_fields_error(
    admin_client: FlaskClient, token: str, path: str
) -> None:
    page = text(admin_client.get(path, query_string={"created_from": "2026-02-30"}))

    assert re.search(r'id="sk-created-from" [^>]*aria-invalid="true"', page)
    assert '<p class="sk-error" id="sk-created-from-error">Enter a real date' in page
    assert ">Mine</a>" in page  # the date is left out, the list shown

"""Property-based fuzzing of the pages' forms and list queries, as a logged-in admin.

Any title, query string or raw body gets a page, a form error or a 4xx: never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from flask_secret_keys import Actor
from tests.helpers import FORM_FUZZ, csrf_token, get_user, log_in, service_of

#: Text a browser can submit in a form field: any Unicode but lone surrogates.
form_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=150)


@pytest.fixture
def admin_pages(app: Flask, admin_token: str) -> FlaskClient:
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    return client


@FORM_FUZZ
@given(title=form_text)
def test_any_title_on_the_create_form_is_created_or_refused_never_500(
    app: Flask, admin_pages: FlaskClient, title: str
) -> None:
    service = service_of(app)
    with app.app_context():
        user = get_user("admin@example.com")
        active = service.active_key(user)
        if active is not None:
            service.revoke(active, actor=Actor.for_user(user))
    url = "/settings/secret-api-keys/new"

    response = admin_pages.post(
        url, data={"title": title, "csrf_token": csrf_token(admin_pages, url)}
    )

    assert response.status_code in (200, 422)
    with app.app_context():
        created = service.active_key(get_user("admin@example.com"))
        assert (response.status_code == 200) == (created is not None)
        if created is not None:
            assert created.title == title.strip()


@FORM_FUZZ
@given(title=form_text, htmx=st.booleans())
def test_any_title_on_the_edit_form_is_saved_or_refused_never_500(
    admin_pages: FlaskClient, title: str, htmx: bool
) -> None:
    url = "/settings/secret-api-keys/1/edit"
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"title": title, "csrf_token": csrf_token(admin_pages, url)}

    response = admin_pages.post(url, data=data, headers=headers)

    assert response.status_code in (200, 303, 422)


@FORM_FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["q", "status", "created_from", "created_to", "sort", "dir", "page", "x"]),
        form_text | st.integers().map(str) | st.dates().map(str),
        max_size=8,
    ),
    htmx=st.booleans(),
)
def test_any_list_query_shows_a_list(
    admin_pages: FlaskClient, params: dict[str, str], htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    response = admin_pages.get("/settings/secret-api-keys", query_string=params, headers=headers)
    response = without_empty_parameters(admin_pages, response, htmx)
    assert response.status_code == 200


def without_empty_parameters(client: FlaskClient, response: TestResponse, htmx: bool) -> Any:
    """The answer after a plain request's redirect to its URL without empty and default
    parameters, which asks for no second one."""
    if response.status_code != 303:
        return response
    assert not htmx and response.location
    response = client.get(response.location)
    assert response.status_code != 303
    return response


@FORM_FUZZ
@given(
    body=st.binary(max_size=500),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
    ),
    path=st.sampled_from(["/new", "/1/edit", "/1/revoke", "/1/delete"]),
)
def test_any_raw_body_posted_to_a_form_gets_a_4xx_never_500(
    admin_pages: FlaskClient, body: bytes, content_type: str, path: str
) -> None:
    response = admin_pages.post(
        "/settings/secret-api-keys" + path, data=body, headers={"Content-Type": content_type}
    )
    assert 400 <= response.status_code < 500


#: Text a URL can carry: any code point but lone surrogates, NUL and control characters included.
url_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=120)


@FORM_FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["owner", "q", "status", "created_from", "created_to", "sort", "page"]),
        url_text | st.integers().map(str),
        max_size=7,
    ),
    path=st.sampled_from(["/all", "/all/revoke"]),
    htmx=st.booleans(),
)
def test_any_oversight_query_gets_a_page_or_a_4xx_never_500(
    admin_pages: FlaskClient, params: dict[str, str], path: str, htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    response = admin_pages.get(
        "/settings/secret-api-keys" + path, query_string=params, headers=headers
    )
    if path == "/all":
        response = without_empty_parameters(admin_pages, response, htmx)
    assert response.status_code in (200, 404)


@pytest.mark.parametrize("owner", ["\x00", "a\x00b", "\x1b[31m", "x" * 5000])
def test_an_owner_no_user_can_have_is_not_found(admin_pages: FlaskClient, owner: str) -> None:
    response = admin_pages.get(
        "/settings/secret-api-keys/all/revoke", query_string={"owner": owner}
    )
    assert response.status_code == 404

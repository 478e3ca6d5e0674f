"""Property-based fuzzing of header parsing, token verification, key requests and forms.

Hypothesis generates header values, Basic payloads and near-miss tokens; no
exception may escape, no response may be a 500, and nothing but an exact,
live key may authenticate.
"""

from __future__ import annotations

import base64
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from flask_secret_keys import crypto
from flask_secret_keys.auth import read_credential
from tests.conftest import csrf_token, get_user, log_in, service_of

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

#: Fewer examples where each one is several requests and database round trips.
FORM_FUZZ = settings(FUZZ, max_examples=100)

#: What an HTTP server can hand the app as a header value: latin-1, no CR/LF.
header_values = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n"),
    max_size=300,
)
schemes = st.sampled_from(["Bearer", "bearer", "Basic", "BASIC", "Token", "", "Bearer:", "Digest"])
tokens = st.builds(lambda: crypto.generate_token())


def request_with(headers: dict[str, str]) -> EnvironBuilder:
    return EnvironBuilder(path="/admin/api/me", headers=headers)


@FUZZ
@given(scheme=schemes, value=header_values, custom=st.none() | header_values)
def test_reading_any_header_never_raises(scheme: str, value: str, custom: str | None) -> None:
    headers = {"Authorization": f"{scheme} {value}"}
    if custom is not None:
        headers["X-Api-Key"] = custom
    request = request_with(headers).get_request()
    credential = read_credential(request, "X-Api-Key", "sk_")
    assert credential is None or isinstance(credential, str)


@FUZZ
@given(
    payload=st.binary(max_size=200)
    | st.builds(lambda k, p: f"{k}{p}".encode(), tokens, st.sampled_from(["", ":", ":pw", "x:"]))
)
def test_a_basic_payload_is_ours_only_when_its_username_has_the_prefix(payload: bytes) -> None:
    encoded = base64.b64encode(payload).decode("ascii")
    request = request_with({"Authorization": f"Basic {encoded}"}).get_request()
    credential = read_credential(request, None, "sk_")
    try:
        username, _, password = payload.decode().partition(":")
    except UnicodeError:
        assert credential is None
        return
    if not username.startswith("sk_"):
        assert credential is None
    else:
        assert credential == ("" if password else username)


@FUZZ
@given(text=st.text(max_size=120) | st.from_regex(r"sk_[0-9A-Za-z]{49}", fullmatch=True))
def test_text_is_well_formed_only_with_the_prefix_length_alphabet_and_checksum(
    text: str,
) -> None:
    shaped = re.fullmatch(crypto.token_pattern(), text) is not None
    expected = shaped and crypto.checksum(text[3:46]) == text[46:]
    assert crypto.is_well_formed(text) == expected


@FUZZ
@given(
    token=tokens,
    position=st.integers(min_value=3, max_value=crypto.token_length("sk_") - 1),
    char=st.sampled_from(crypto.ALPHABET),
)
def test_every_single_character_change_fails_the_checksum(
    token: str, position: int, char: str
) -> None:
    mutated = token[:position] + char + token[position + 1 :]
    assert crypto.is_well_formed(mutated) == (mutated == token)


@FUZZ
@given(token=tokens, cut=st.integers(min_value=0, max_value=51), extra=st.text(max_size=5))
def test_truncated_or_extended_tokens_are_not_well_formed(token: str, cut: int, extra: str) -> None:
    candidate = token[:cut] + extra
    if candidate != token:
        assert not crypto.is_well_formed(candidate)


@pytest.fixture
def fuzz_app(app: Flask, admin_token: str) -> Flask:
    return app


@FUZZ
@given(
    name=st.sampled_from(["Authorization", "X-Api-Key", "x-api-key"]),
    scheme=schemes,
    value=header_values,
)
def test_any_key_header_gets_401_json_never_500(
    fuzz_app: Flask, name: str, scheme: str, value: str
) -> None:
    client = fuzz_app.test_client()
    header = f"{scheme} {value}" if name == "Authorization" else value
    response = client.get("/admin/api/me", headers={name: header})
    assert response.status_code == 401
    assert response.is_json
    assert response.json["error"] in ("invalid_api_key", "authentication_required")
    assert "Set-Cookie" not in response.headers


@FUZZ
@given(
    position=st.integers(min_value=0, max_value=51),
    char=st.characters(min_codepoint=32, max_codepoint=255),
    form=st.sampled_from(["bearer", "basic", "custom"]),
)
def test_near_miss_of_a_live_key_never_authenticates(
    fuzz_app: Flask, admin_token: str, position: int, char: str, form: str
) -> None:
    candidate = admin_token[:position] + char + admin_token[position + 1 :]
    headers = {
        "bearer": {"Authorization": f"Bearer {candidate}"},
        "basic": {
            "Authorization": "Basic "
            + base64.b64encode(f"{candidate}:".encode("latin-1")).decode("ascii")
        },
        "custom": {"X-Api-Key": candidate},
    }[form]
    response = fuzz_app.test_client().get("/admin/api/me", headers=headers)
    if candidate == admin_token:
        assert response.status_code == 200
    else:
        assert response.status_code == 401
        # The custom header is always ours; in Authorization, a broken prefix
        # makes it someone else's credential: anonymous rather than refused.
        # (werkzeug reads a Basic payload as UTF-8, so one Latin-1 byte
        # makes it no Basic credential at all.)
        ours = form == "custom" or (
            candidate.startswith("sk_") and (form == "bearer" or candidate.isascii())
        )
        assert response.json["error"] == ("invalid_api_key" if ours else "authentication_required")


# The pages' forms, as a logged-in admin.

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
            service.revoke(active, by=user)
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
    assert response.status_code == 200


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

"""Property-based fuzzing of header parsing and key requests.

Hypothesis generates header values, Basic payloads and near-miss keys; no
exception may escape, no response may be a 500, and nothing but an exact,
live key may authenticate.
"""

from __future__ import annotations

import base64

import pytest
from flask import Flask, Request
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from flask_secret_keys import crypto
from flask_secret_keys.credentials import read_credential
from tests.helpers import FUZZ

#: What an HTTP server can hand the app as a header value: latin-1, no CR/LF.
header_values = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n"),
    max_size=300,
)
schemes = st.sampled_from(["Bearer", "bearer", "Basic", "BASIC", "Token", "", "Bearer:", "Digest"])
tokens = st.builds(lambda: crypto.generate_token())


def request_with(headers: dict[str, str]) -> Request:
    builder = EnvironBuilder(path="/admin/api/me", headers=list(headers.items()))
    return Request(builder.get_environ())


@FUZZ
@given(scheme=schemes, value=header_values, custom=st.none() | header_values)
def test_reading_any_header_never_raises(scheme: str, value: str, custom: str | None) -> None:
    headers = {"Authorization": f"{scheme} {value}"}
    if custom is not None:
        headers["X-Api-Key"] = custom
    request = request_with(headers)
    credential = read_credential(request, "X-Api-Key", "sk_")
    assert credential is None or isinstance(credential, str)


@FUZZ
@given(
    payload=st.binary(max_size=200)
    | st.builds(lambda k, p: f"{k}{p}".encode(), tokens, st.sampled_from(["", ":", ":pw", "x:"]))
)
def test_a_basic_payload_is_ours_only_when_its_username_has_the_prefix(payload: bytes) -> None:
    encoded = base64.b64encode(payload).decode("ascii")
    request = request_with({"Authorization": f"Basic {encoded}"})
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
    assert response.json is not None
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
        assert response.json is not None
        assert response.json["error"] == ("invalid_api_key" if ours else "authentication_required")

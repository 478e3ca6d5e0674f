"""Property-based fuzzing of header parsing, token verification and key requests.

Hypothesis generates header values, Basic payloads and near-miss tokens; no
exception may escape, no response may be a 500, and nothing but an exact,
live key may authenticate.
"""

from __future__ import annotations

import base64
import re

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from flask_secret_keys import crypto
from flask_secret_keys.auth import read_credential

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

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
@given(payload=st.binary(max_size=200))
def test_any_basic_payload_yields_no_key_unless_it_is_a_username_alone(payload: bytes) -> None:
    encoded = base64.b64encode(payload).decode("ascii")
    request = request_with({"Authorization": f"Basic {encoded}"}).get_request()
    credential = read_credential(request, None, "sk_")
    assert credential is not None
    if credential:
        assert payload == credential.encode("ascii") + b":"


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
        assert response.json["error"] == "invalid_api_key"

"""Keys over real HTTP: a real client's requests, and malformed, misplaced and unusable
credentials, against the app served on 127.0.0.1.

Every case is sent on a raw socket, byte for byte, to the example app served by
werkzeug's threaded server, and must get a 401 JSON answer with a Bearer
challenge — or the HTTP server's own 431 for what never reaches the app —
never a 200, a redirect or a 500. Each case also states how many SQL
statements it may cost: a credential that fails the checksum costs none.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests
from flask import Flask

from example_app.models import db
from flask_secret_keys import crypto
from tests.conftest import (
    KEY_FORMS,
    StatementLog,
    count_statements,
    get_user,
    key_headers,
    key_in_state,
    service_of,
)
from tests.rawhttp import RawResponse, send

API = "/admin/api/me"


INVALID = (401, "invalid_api_key")
REQUIRED = (401, "authentication_required")
TOO_LARGE = (431, None)

Build = Callable[[str], "tuple[str, list[bytes]]"]


def b64(text: str | bytes) -> bytes:
    raw = text.encode("latin-1") if isinstance(text, str) else text
    return base64.b64encode(raw)


def header(name: str, value: str | bytes) -> bytes:
    raw = value.encode("latin-1") if isinstance(value, str) else value
    return name.encode("ascii") + b": " + raw


def bearer(value: str | bytes) -> list[bytes]:
    raw = value.encode("latin-1") if isinstance(value, str) else value
    return [b"Authorization: Bearer " + raw]


def api(*lines: bytes) -> tuple[str, list[bytes]]:
    return API, list(lines)


def other_checksum(token: str) -> str:
    """``token``'s body with the checksum of a different body."""
    body = token[3 : 3 + crypto.BODY_LENGTH]
    other = body[:-1] + ("A" if body[-1] != "A" else "B")
    return "sk_" + body + crypto.checksum(other)


def flip_last(text: str) -> str:
    return text[:-1] + ("a" if text[-1] != "a" else "b")


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    expected: tuple[int, str | None]
    #: SQL statements the request may run: None when it does not matter.
    queries: int | None = 0
    #: What state the key handed to ``build`` is in.
    key: str = "valid"


CASES = [
    # Empty and missing values.
    Case("authorization-empty", lambda k: api(b"Authorization: "), REQUIRED),
    Case("bearer-without-key", lambda k: api(b"Authorization: Bearer"), REQUIRED),
    Case("bearer-space-only", lambda k: api(b"Authorization: Bearer    "), REQUIRED),
    Case("basic-without-credential", lambda k: api(b"Authorization: Basic"), REQUIRED),
    Case("custom-header-empty", lambda k: api(b"X-Api-Key: "), INVALID),
    # Wrong prefix, checksum or length.
    Case("wrong-prefix", lambda k: api(*bearer("pk_" + k[3:])), REQUIRED),
    Case("no-prefix", lambda k: api(*bearer(k[3:])), REQUIRED),
    Case("uppercase-prefix", lambda k: api(*bearer("SK_" + k[3:])), REQUIRED),
    Case("wrong-checksum", lambda k: api(*bearer(flip_last(k))), INVALID),
    Case("checksum-of-another-body", lambda k: api(*bearer(other_checksum(k))), INVALID),
    Case(
        "body-changed-checksum-kept",
        lambda k: api(*bearer(k[:5] + flip_last(k[5:6]) + k[6:])),
        INVALID,
    ),
    Case("truncated-by-one", lambda k: api(*bearer(k[:-1])), INVALID),
    Case("prefix-only", lambda k: api(*bearer("sk_")), INVALID),
    Case("overlong-by-one", lambda k: api(*bearer(k + "A")), INVALID),
    Case("key-twice", lambda k: api(*bearer(k + k)), INVALID),
    Case("key-8kb", lambda k: api(*bearer(k + "A" * 8192)), INVALID),
    Case("key-60kb", lambda k: api(*bearer("sk_" + "A" * 60_000)), INVALID),
    Case("header-100kb", lambda k: api(*bearer("sk_" + "A" * 100_000)), TOO_LARGE, None),
    Case(
        "two-hundred-headers",
        lambda k: api(*bearer(k), *(f"X-Pad-{i}: {i}".encode() for i in range(200))),
        TOO_LARGE,
        None,
    ),
    Case(
        "made-up-key-valid-checksum",
        lambda k: api(*bearer(crypto.generate_token())),
        INVALID,
        1,
    ),
    # Bytes that are not a key's alphabet.
    Case("latin1-byte-in-key", lambda k: api(*bearer(k[:10] + "é" + k[11:])), INVALID),
    Case(
        "utf8-emoji-in-key",
        lambda k: api(*bearer(k[:10].encode() + "🔑".encode() + k[11:].encode())),
        INVALID,
    ),
    Case(
        "zero-width-space-in-key",
        lambda k: api(*bearer(k[:10].encode() + "\u200b".encode() + k[10:].encode())),
        INVALID,
    ),
    Case(
        "cyrillic-lookalike-prefix",
        lambda k: api(*bearer("ѕk_".encode() + k[3:].encode())),
        REQUIRED,
    ),
    Case("nul-inside-key", lambda k: api(*bearer(k[:10] + "\x00" + k[11:])), INVALID),
    Case("nul-after-key", lambda k: api(*bearer(k + "\x00")), INVALID),
    Case("control-char-in-key", lambda k: api(*bearer(k[:10] + "\x01" + k[11:])), INVALID),
    Case("nul-in-custom-header", lambda k: api(header("X-Api-Key", "\x00" + k)), INVALID),
    # Basic credentials.
    Case("basic-broken-base64", lambda k: api(b"Authorization: Basic !!!not-base64!!!"), REQUIRED),
    Case(
        "basic-bad-padding", lambda k: api(b"Authorization: Basic " + b64(k + ":")[:-1]), REQUIRED
    ),
    Case(
        "basic-non-ascii-payload",
        lambda k: api(b"Authorization: Basic " + b64(b"\xff\xfe:")),
        REQUIRED,
    ),
    Case(
        "basic-with-password", lambda k: api(b"Authorization: Basic " + b64(k + ":secret")), INVALID
    ),
    Case("basic-key-as-password", lambda k: api(b"Authorization: Basic " + b64(":" + k)), REQUIRED),
    Case("basic-password-colon", lambda k: api(b"Authorization: Basic " + b64(k + "::")), INVALID),
    Case(
        "basic-email-and-password",
        lambda k: api(b"Authorization: Basic " + b64("admin@example.com:admin")),
        REQUIRED,
    ),
    Case("bare-basic-made-up", lambda k: api(b"Authorization: Basic sk_madeup"), INVALID),
    # Schemes, separators and quoting.
    Case("token-scheme", lambda k: api(header("Authorization", "Token " + k)), REQUIRED),
    Case("apikey-scheme", lambda k: api(header("Authorization", "ApiKey " + k)), REQUIRED),
    Case("bearer-colon-no-space", lambda k: api(header("Authorization", "Bearer:" + k)), REQUIRED),
    Case("bearer-tab-separator", lambda k: api(header("Authorization", "Bearer\t" + k)), REQUIRED),
    Case("key-without-scheme", lambda k: api(header("Authorization", k)), REQUIRED),
    Case("bearer-quoted-key", lambda k: api(*bearer('"' + k + '"')), REQUIRED),
    Case("bearer-key-and-extra-word", lambda k: api(*bearer(k + " extra")), INVALID),
    Case("custom-header-with-scheme", lambda k: api(header("X-Api-Key", "Bearer " + k)), INVALID),
    Case("underscore-header-name", lambda k: api(header("X_Api_Key", k)), REQUIRED),
    # More than one credential.
    Case(
        "two-authorization-headers-same-key",
        lambda k: api(*bearer(k), *bearer(k)),
        INVALID,
    ),
    Case(
        "two-authorization-headers-valid-and-junk",
        lambda k: api(*bearer(k), b"Authorization: Bearer junk"),
        INVALID,
    ),
    Case(
        "authorization-and-custom-header",
        lambda k: api(*bearer(k), header("X-Api-Key", k)),
        INVALID,
    ),
    Case(
        "two-custom-headers",
        lambda k: api(header("X-Api-Key", k), header("X-Api-Key", k)),
        INVALID,
    ),
    # The key anywhere but a header.
    Case("key-in-query-string", lambda k: (f"{API}?api_key={k}", []), REQUIRED),
    Case(
        "key-in-many-query-names",
        lambda k: (f"{API}?key={k}&token={k}&access_token={k}&X-Api-Key={k}", []),
        REQUIRED,
    ),
    Case("key-in-cookie", lambda k: api(header("Cookie", f"api_key={k}; X-Api-Key={k}")), REQUIRED),
    # Well-formed keys that may not authenticate.
    Case("revoked-key", lambda k: api(*bearer(k)), INVALID, 1, "revoked"),
    Case("deleted-key", lambda k: api(*bearer(k)), INVALID, 1, "deleted"),
    Case("inactive-user-key", lambda k: api(*bearer(k)), INVALID, 1, "inactive_user"),
    Case("non-admin-user-key", lambda k: api(*bearer(k)), INVALID, 1, "not_admin"),
    Case(
        "revoked-key-as-basic",
        lambda k: api(b"Authorization: Basic " + b64(k + ":")),
        INVALID,
        1,
        "revoked",
    ),
    Case(
        "revoked-key-in-custom-header", lambda k: api(header("X-Api-Key", k)), INVALID, 1, "revoked"
    ),
]

#: Unusual but valid spellings that RFC 9110 allows: they authenticate.
ACCEPTED = [
    Case("lowercase-bearer", lambda k: api(header("Authorization", "bearer " + k)), (200, None), 2),
    Case("uppercase-bearer", lambda k: api(header("Authorization", "BEARER " + k)), (200, None), 2),
    Case(
        "bearer-two-spaces", lambda k: api(header("Authorization", "Bearer  " + k)), (200, None), 2
    ),
    Case("lowercase-basic", lambda k: api(b"Authorization: basic " + b64(k + ":")), (200, None), 2),
    Case("bare-basic-key", lambda k: api(header("Authorization", "Basic " + k)), (200, None), 2),
    Case("lowercase-custom-header", lambda k: api(header("x-api-key", k)), (200, None), 2),
    Case(
        "custom-header-padded", lambda k: api(header("X-Api-Key", "  " + k + "  ")), (200, None), 2
    ),
]


@pytest.fixture
def statements(app: Flask) -> Iterator[StatementLog]:
    """Every SQL statement the app runs while the test is in progress."""
    with app.app_context():
        engine = db.engine
    with count_statements(engine) as log:
        yield log


def ops_key_in_state(app: Flask, state: str) -> str:
    """The plaintext of a key of ops@example.com in ``state``."""
    with app.app_context():
        return key_in_state(service_of(app), get_user("ops@example.com"), state)


def send_case(app: Flask, live_server: str, statements: StatementLog, case: Case) -> RawResponse:
    """Send ``case`` with a key in its state, counting only the statements of the request."""
    token = ops_key_in_state(app, case.key)
    target, lines = case.build(token)
    statements.clear()
    return send(live_server, target, lines)


def _check_refused(response: RawResponse, expected: tuple[int, str | None]) -> None:
    status, error = expected
    assert response.status == status, response.body[:300]
    assert response.header("Set-Cookie") is None
    assert response.header("Location") is None
    if error is not None:
        assert response.header("Content-Type") == "application/json"
        assert response.json()["error"] == error
        assert (response.header("WWW-Authenticate") or "").startswith("Bearer ")
        assert b"Traceback" not in response.body


def test_matrix_has_at_least_forty_refused_cases() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES + ACCEPTED}) == len(CASES + ACCEPTED)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_credential_is_refused_without_error(
    app: Flask, live_server: str, statements: StatementLog, case: Case
) -> None:
    response = send_case(app, live_server, statements, case)
    _check_refused(response, case.expected)
    if case.queries is not None:
        assert len(statements) == case.queries, statements.statements


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.id for case in ACCEPTED])
def test_unusual_but_valid_spelling_authenticates(
    app: Flask, live_server: str, statements: StatementLog, case: Case
) -> None:
    response = send_case(app, live_server, statements, case)
    assert response.status == 200, response.body[:300]
    assert response.json()["email"] == "ops@example.com"
    assert response.header("Set-Cookie") is None
    # The key lookup, and the first use's last_used_at update.
    assert len(statements) == case.queries


# A real HTTP client.


@pytest.mark.parametrize("form", KEY_FORMS)
def test_valid_key_over_http(live_server: str, admin_token: str, form: str) -> None:
    response = requests.get(
        f"{live_server}{API}", headers=key_headers(form, admin_token), timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"id": 1, "email": "admin@example.com"}
    assert "Set-Cookie" not in response.headers


def test_post_with_a_key_over_http(live_server: str, admin_token: str) -> None:
    response = requests.post(
        f"{live_server}/admin/api/echo", json={"n": 1}, auth=(admin_token, ""), timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"n": 1}
    assert "Set-Cookie" not in response.headers


def test_revoked_and_deleted_keys_stop_working_at_once(
    app: Flask, live_server: str, admin_token: str
) -> None:
    service = service_of(app)

    def me() -> requests.Response:
        return requests.get(f"{live_server}{API}", auth=(admin_token, ""), timeout=10)

    assert me().status_code == 200
    with app.app_context():
        key = service.authenticate(admin_token)
        assert key is not None
        key_id = key.id
        service.revoke(key)
    revoked = me()
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "invalid_api_key"
    with app.app_context():
        service.delete(service.key_by_id(key_id))
    assert me().status_code == 401

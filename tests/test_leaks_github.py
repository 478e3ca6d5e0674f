"""GitHub's secret scanning intake: signatures, the key server, feedback, limits.

GitHub's key server is a local one each test starts, publishing key pairs the
tests generate; nothing reaches the internet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient

from flask_secret_keys import Actor, crypto, scanning, signals
from tests.helpers import count_statements, get_user, service_of
from tests.scanning_server import URL, KeyServer, match, new_key, sign


@pytest.fixture
def app(make_app: Callable[..., Flask], key_server: KeyServer) -> Flask:
    return make_app(
        SECRET_KEYS_GITHUB_SCANNING_URL=URL,
        SECRET_KEYS_GITHUB_KEYS_URL=key_server.url,
    )


def alert(
    client: FlaskClient,
    matches: Any,
    key: ec.EllipticCurvePrivateKey | None,
    identifier: str = "one",
    *,
    body: bytes | None = None,
    signature: str | None = None,
) -> Any:
    raw = json.dumps(matches).encode() if body is None else body
    headers = {"Github-Public-Key-Identifier": identifier}
    if key is not None or signature is not None:
        headers["Github-Public-Key-Signature"] = signature or sign(key, raw)  # type: ignore[arg-type]
    return client.post(URL, data=raw, headers=headers, content_type="application/json")


@pytest.fixture
def working(app: Flask) -> tuple[int, str]:
    with app.app_context():
        key, token = service_of(app).create(get_user("admin@example.com"), "Deploy")
        return key.id, token


def test_a_signed_alert_revokes_the_key_and_answers_with_feedback(
    app: Flask, client: FlaskClient, key_server: KeyServer, working: tuple[int, str]
) -> None:
    key_id, token = working
    stranger = crypto.generate_token()
    leaked: list[dict[str, Any]] = []

    def on_leak(sender: Flask, **extra: Any) -> None:
        leaked.append({**extra, "key": extra["key"].id})

    with signals.key_leaked.connected_to(on_leak, sender=app):
        response = alert(client, [match(token), match(stranger)], key_server.keys["one"])

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == [
        {
            "token_hash": hashlib.sha256(token.encode()).hexdigest(),
            "token_type": "acme_secret_api_key",
            "label": "true_positive",
        },
        {
            "token_hash": hashlib.sha256(stranger.encode()).hexdigest(),
            "token_type": "acme_secret_api_key",
            "label": "false_positive",
        },
    ]
    assert token not in response.get_data(as_text=True)
    with app.app_context():
        service = service_of(app)
        assert service.status_of(service.key_by_id(key_id)) == "revoked"
        (event, _created) = service.events_of(key_id)
        assert event.event == "leaked"
        assert event.actor_label == "GitHub secret scanning"
        assert event.details == {
            "source": "content",
            "url": "https://github.com/acme/app/blob/abc/settings.py",
        }
    assert [(e["url"], e["source"], e["actor"].name) for e in leaked] == [
        ("https://github.com/acme/app/blob/abc/settings.py", "content", "GitHub secret scanning")
    ]
    assert leaked[0]["key"] == key_id


def test_a_key_that_already_stopped_working_is_a_true_positive_left_as_it_is(
    app: Flask, client: FlaskClient, key_server: KeyServer, working: tuple[int, str]
) -> None:
    key_id, token = working
    with app.app_context():
        service = service_of(app)
        service.revoke(service.key_by_id(key_id), actor=Actor.system())

    response = alert(client, [match(token)], key_server.keys["one"])

    assert response.get_json()[0]["label"] == "true_positive"
    with app.app_context():
        assert [e.event for e in service_of(app).events_of(key_id)] == ["revoked", "created"]


def _wrong_key(matches: Any, server: KeyServer) -> dict[str, Any]:
    return {"key": new_key()}


def _changed_byte(matches: Any, server: KeyServer) -> dict[str, Any]:
    body = json.dumps(matches).encode()
    changed = body.replace(b"content", b"contenT")
    return {"key": None, "body": changed, "signature": sign(server.keys["one"], body)}


def _truncated(matches: Any, server: KeyServer) -> dict[str, Any]:
    body = json.dumps(matches).encode()
    return {"key": None, "body": body, "signature": sign(server.keys["one"], body)[:-8]}


def _not_base64(matches: Any, server: KeyServer) -> dict[str, Any]:
    return {"key": None, "signature": "not base64 at all!"}


def _missing(matches: Any, server: KeyServer) -> dict[str, Any]:
    return {"key": None}


def _unpublished_identifier(matches: Any, server: KeyServer) -> dict[str, Any]:
    return {"key": server.keys["one"], "identifier": "nobody"}


@pytest.mark.parametrize(
    "bad",
    [_wrong_key, _changed_byte, _truncated, _not_base64, _missing, _unpublished_identifier],
)
def test_a_bad_or_missing_signature_is_401_and_revokes_nothing(
    app: Flask,
    client: FlaskClient,
    key_server: KeyServer,
    working: tuple[int, str],
    bad: Callable[[Any, KeyServer], dict[str, Any]],
) -> None:
    key_id, token = working
    matches = [match(token)]
    options = bad(matches, key_server)

    response = alert(client, matches, options.pop("key"), **options)

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    with app.app_context():
        service = service_of(app)
        assert service.status_of(service.key_by_id(key_id)) == "active"


def test_an_unknown_identifier_fetches_the_keys_again_at_most_once_a_minute(
    app: Flask,
    client: FlaskClient,
    key_server: KeyServer,
    working: tuple[int, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _key_id, token = working
    now = [1000.0]
    monkeypatch.setattr(scanning, "monotonic", lambda: now[0])
    assert alert(client, [match("x")], key_server.keys["one"]).status_code == 200
    assert key_server.fetches == 1
    # GitHub rotates: a new key is published, and an alert signed with it comes.
    key_server.keys["two"] = new_key()
    assert alert(client, [match(token)], key_server.keys["two"], "two").status_code == 401
    now[0] += 60

    assert alert(client, [match(token)], key_server.keys["two"], "two").status_code == 200
    assert key_server.fetches == 2

    # Within the minute, another unknown identifier is not worth a fetch.
    key_server.keys["three"] = new_key()
    assert alert(client, [match(token)], key_server.keys["three"], "three").status_code == 401
    # Known keys are served from the cache.
    assert alert(client, [match(token)], key_server.keys["one"]).status_code == 200
    assert key_server.fetches == 2


def test_a_key_server_outage_is_503_and_revokes_nothing(
    app: Flask, client: FlaskClient, key_server: KeyServer, working: tuple[int, str]
) -> None:
    key_id, token = working
    key_server.down = True

    response = alert(client, [match(token)], key_server.keys["one"])

    assert response.status_code == 503
    assert response.get_json()["error"] == "key_server_unavailable"
    assert response.headers["Retry-After"] == "60"
    with app.app_context():
        service = service_of(app)
        assert service.status_of(service.key_by_id(key_id)) == "active"


def test_after_a_key_server_outage_alerts_wait_a_minute_for_the_next_fetch(
    client: FlaskClient,
    key_server: KeyServer,
    working: tuple[int, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _key_id, token = working
    now = [1000.0]
    monkeypatch.setattr(scanning, "monotonic", lambda: now[0])
    key_server.down = True
    assert alert(client, [match(token)], key_server.keys["one"]).status_code == 503
    key_server.down = False

    # Within the minute the outage is remembered: 503 again, and GitHub is not asked.
    assert alert(client, [match(token)], key_server.keys["one"]).status_code == 503
    assert key_server.fetches == 1
    now[0] += 60
    assert alert(client, [match(token)], key_server.keys["one"]).status_code == 200
    assert key_server.fetches == 2


def test_a_published_key_on_another_curve_is_not_trusted(
    app: Flask, client: FlaskClient, key_server: KeyServer, working: tuple[int, str]
) -> None:
    key_id, token = working
    key_server.keys["p384"] = ec.generate_private_key(ec.SECP384R1())

    response = alert(client, [match(token)], key_server.keys["p384"], "p384")

    assert response.status_code == 401
    with app.app_context():
        service = service_of(app)
        assert service.status_of(service.key_by_id(key_id)) == "active"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"token": "x"}', b'[{"url": "https://x"}]', b"[1]", b'[{"token": 3}]'],
)
def test_a_malformed_alert_is_400(client: FlaskClient, key_server: KeyServer, body: bytes) -> None:
    response = alert(client, None, key_server.keys["one"], body=body)

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_an_oversized_alert_is_413(client: FlaskClient, key_server: KeyServer) -> None:
    body = json.dumps([match("x" * 1000)] * 1200).encode()

    response = alert(client, None, key_server.keys["one"], body=body)

    assert response.status_code == 413


def test_a_thousand_matches_are_handled_in_one_request(
    app: Flask, client: FlaskClient, key_server: KeyServer, working: tuple[int, str]
) -> None:
    key_id, token = working
    matches = [match(crypto.generate_token(), f"https://gist.github.com/{i}") for i in range(999)]
    matches.insert(500, match(token))
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    with count_statements(engine) as log:
        response = alert(client, matches, key_server.keys["one"])

    assert response.status_code == 200
    labels = [entry["label"] for entry in response.get_json()]
    assert len(labels) == 1000
    assert labels.count("true_positive") == 1 and labels[500] == "true_positive"
    # Looked up two batches at a time, not one statement per match.
    assert len(log.matching("SELECT")) == 2
    with app.app_context():
        service = service_of(app)
        assert service.status_of(service.key_by_id(key_id)) == "revoked"


def test_nothing_of_a_token_is_logged(
    app: Flask,
    client: FlaskClient,
    key_server: KeyServer,
    working: tuple[int, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _key_id, token = working
    caplog.set_level("DEBUG")
    alert(client, [match(token)], key_server.keys["one"])
    key_server.down = True
    key_server.keys["two"] = new_key()
    alert(client, [match(token)], key_server.keys["two"], "two")

    assert token not in caplog.text
    assert token[len("sk_") : len("sk_") + 12] not in caplog.text


def test_the_endpoint_is_off_by_default(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    assert app.test_client().post(URL, json=[]).status_code == 404


def test_an_alert_ends_a_rolled_key_s_grace_period(
    app: Flask, client: FlaskClient, key_server: KeyServer, working: tuple[int, str]
) -> None:
    """A key in its grace period after a roll still works: the alert ends it now."""
    key_id, token = working
    with app.app_context():
        service = service_of(app)
        successor, _ = service.roll(service.key_by_id(key_id), dt.timedelta(hours=1))
        successor_id = successor.id

    alert(client, [match(token)], key_server.keys["one"])

    with app.app_context():
        service = service_of(app)
        assert service.status_of(service.key_by_id(key_id)) == "revoked"
        assert service.status_of(service.key_by_id(successor_id)) == "active"

"""The public leak report endpoint: 202 always, no oracle, rate limited; and revoke-leaked."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_secret_keys import crypto
from tests.helpers import count_statements, get_user, run_cli, service_of

URL = "/secret-keys/report-leaked"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(SECRET_KEYS_LEAK_REPORT_URL=URL, SECRET_KEYS_RATE_LIMIT="3 per minute")


@pytest.fixture
def working(app: Flask) -> tuple[int, str]:
    with app.app_context():
        key, token = service_of(app).create(get_user("admin@example.com"), "Deploy")
        return key.id, token


def report(client: FlaskClient, credentials: Any, **options: Any) -> Any:
    """Post a report and close the response, as a server does once it is sent."""
    response = client.post(URL, json={"credentials": credentials}, **options)
    response.close()
    return response


def status(app: Flask, key_id: int) -> str:
    with app.app_context():
        service = service_of(app)
        return service.status_of(service.key_by_id(key_id))


def test_a_reported_key_is_revoked_once_the_answer_is_sent(
    app: Flask, client: FlaskClient, working: tuple[int, str]
) -> None:
    key_id, token = working

    response = client.post(
        URL,
        json={"credentials": [token, crypto.generate_token()]},
        headers={"User-Agent": "leak-finder/1.0"},
    )

    assert response.status_code == 202
    assert status(app, key_id) == "active"
    response.close()
    assert status(app, key_id) == "revoked"
    with app.app_context():
        event = service_of(app).events_of(key_id)[0]
        assert (event.event, event.actor_label, event.details) == (
            "leaked",
            "Leak report",
            {"source": "report"},
        )
        assert (event.ip, event.user_agent) == ("127.0.0.1", "leak-finder/1.0")
    newest = run_cli(app, "log", str(key_id))[1].splitlines()[0]
    assert newest.endswith("Revoked as leaked by Leak report from 127.0.0.1")


def test_the_answer_is_the_same_whether_or_not_a_key_matched(
    app: Flask, client: FlaskClient, working: tuple[int, str]
) -> None:
    _key_id, token = working
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    answers = []
    for credentials in ([crypto.generate_token()], [token]):
        with count_statements(engine) as log:
            response = client.post(URL, json={"credentials": credentials})
            statements = len(log)
        response.close()
        headers = sorted((k, v) for k, v in response.headers.items() if k != "Date")
        answers.append((response.status_code, response.get_data(), headers, statements))

    assert answers[0] == answers[1]
    assert answers[0][0] == 202
    # Not one statement before the answer: the lookup comes after it is sent.
    assert answers[0][3] == 0


def test_reports_are_rate_limited_per_client(client: FlaskClient) -> None:
    for _ in range(3):
        assert report(client, [crypto.generate_token()]).status_code == 202

    refused = report(client, [crypto.generate_token()])
    other = report(client, ["x"], environ_base={"REMOTE_ADDR": "192.0.2.7"})

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"] == "too_many_requests"
    assert other.status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {"credentials": []},
        {"credentials": "sk_x"},
        {"credentials": [1]},
        {"tokens": ["x"]},
        ["x"],
        {"credentials": ["x"] * 1001},
    ],
)
def test_a_malformed_report_is_400(client: FlaskClient, body: Any) -> None:
    response = client.post(URL, json=body)

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_a_report_past_a_megabyte_is_413_even_without_a_length(client: FlaskClient) -> None:
    body = json.dumps({"credentials": ["x" * 1000] * 1100}).encode()

    response = client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_base={"wsgi.input_terminated": True},
    )

    assert response.status_code == 413


def test_a_report_needs_the_rate_limit(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(
        RuntimeError, match="SECRET_KEYS_LEAK_REPORT_URL needs SECRET_KEYS_RATE_LIMIT"
    ):
        make_app(SECRET_KEYS_LEAK_REPORT_URL=URL)


def test_the_report_and_github_scanning_cannot_share_a_path(
    make_app: Callable[..., Flask],
) -> None:
    with pytest.raises(RuntimeError, match="must be different paths"):
        make_app(
            SECRET_KEYS_LEAK_REPORT_URL=URL,
            SECRET_KEYS_GITHUB_SCANNING_URL=URL,
            SECRET_KEYS_RATE_LIMIT="3 per minute",
        )


def test_the_report_needs_no_csrf_token_and_sets_no_cookie(
    admin_client: FlaskClient, working: tuple[int, str]
) -> None:
    response = report(admin_client, [working[1]])

    assert response.status_code == 202
    assert "Set-Cookie" not in response.headers


def test_revoke_leaked_reads_a_file_and_prints_no_key(
    app: Flask, working: tuple[int, str], tmp_path: Any
) -> None:
    key_id, token = working
    leaked = tmp_path / "leaked.txt"
    leaked.write_text(f"{token}\n\nnot a key\n{crypto.generate_token()}\n{token}\n")

    code, out, _err = run_cli(app, "revoke-leaked", str(leaked), "--actor", "sec@example.com")
    again, out_again, _ = run_cli(app, "revoke-leaked", str(leaked))

    assert code == 0 and again == 0
    assert token not in out + out_again
    assert f"Revoked secret API key {key_id} (" in out
    assert "4 lines read, 1 matched a secret API key: 1 revoked now, 0 had" in out
    assert "1 matched a secret API key: 0 revoked now, 1 had already stopped working" in out_again
    with app.app_context():
        event = service_of(app).events_of(key_id)[0]
        assert (event.event, event.actor_label, event.details["source"]) == (
            "leaked",
            "sec@example.com on the command line",
            "command_line",
        )


def test_revoke_leaked_reads_standard_input(app: Flask, working: tuple[int, str]) -> None:
    key_id, token = working

    result = app.test_cli_runner().invoke(
        args=["secret-keys", "revoke-leaked", "-"], input=f"{token}\n"
    )

    assert result.exit_code == 0, result.output
    assert status(app, key_id) == "revoked"


def test_log_json_has_the_leak(app: Flask, working: tuple[int, str]) -> None:
    key_id, token = working
    run_cli(app, "revoke-leaked", "-")  # nothing read: no change
    app.test_cli_runner().invoke(args=["secret-keys", "revoke-leaked", "-"], input=token)

    _code, out, _ = run_cli(app, "log", str(key_id), "--json")

    assert '"event": "leaked"' in out and '"source": "command_line"' in out

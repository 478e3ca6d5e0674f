"""Secrets hygiene over a full journey through a real server.

An admin logs in, creates a key, uses it every way it can be sent, renames,
revokes and deletes it. Every response, every URL, every session cookie and
every log record (SQLAlchemy's statement log included) is kept, and then
searched: the plaintext key may appear in one place only, the response to the
create form; its hash nowhere; and the database, dumped, holds no plaintext.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from example_app.models import db
from flask_secret_keys import Actor, crypto, signals
from tests.helpers import DATABASE_URL, csrf_token_in, get_user, service_of

BASE = "/settings/secret-api-keys"
_TOKEN = re.compile(crypto.token_pattern())


@dataclass
class Journey:
    """Everything the journey produced that a secret could leak into."""

    responses: list[tuple[str, requests.Response]] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)

    def record(self, label: str, response: requests.Response) -> requests.Response:
        for step in [*response.history, response]:
            self.responses.append((label, step))
        return response


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG, SQLAlchemy's statements, parameters and result rows included."""
    engine_logger = logging.getLogger("sqlalchemy.engine")
    level = engine_logger.level
    engine_logger.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        yield caplog
    engine_logger.setLevel(level)


def session_contents(app: Flask, browser: requests.Session) -> str:
    """The browser's session cookie, decoded."""
    cookie = browser.cookies.get("session")
    if cookie is None:
        return ""
    serializer = app.session_interface.inner.get_signing_serializer(app)  # type: ignore[attr-defined]
    return repr(serializer.loads(cookie))


def run_journey(app: Flask, base: str) -> tuple[Journey, str]:
    """Log in, create, use, rename, revoke and delete a key; returns what it left, and the key."""
    journey = Journey()
    browser = requests.Session()

    def submit(label: str, path: str, **fields: str) -> requests.Response:
        """Record the form at ``path`` (as "<label> form") and its submission (as ``label``)."""
        form = journey.record(f"{label} form", browser.get(f"{base}{path}", timeout=10))
        data = {**fields, "csrf_token": csrf_token_in(form.text)}
        return journey.record(label, browser.post(f"{base}{path}", data=data, timeout=10))

    def on_signal(sender: Any, **kwargs: Any) -> None:
        journey.signals.append(repr(kwargs))

    watched = [
        signals.key_created,
        signals.key_title_changed,
        signals.key_revoked,
        signals.key_deleted,
        signals.key_authenticated,
        signals.key_rejected,
    ]
    for signal in watched:
        signal.connect(on_signal)
    try:
        page = journey.record("login form", browser.get(f"{base}/login", timeout=10))
        journey.record(
            "log in",
            browser.post(
                f"{base}/login",
                data={
                    "email": "admin@example.com",
                    "password": "admin",
                    "csrf_token": csrf_token_in(page.text),
                },
                timeout=10,
            ),
        )
        journey.sessions.append(session_contents(app, browser))
        journey.record("list", browser.get(f"{base}{BASE}", timeout=10))
        created = submit("create", f"{BASE}/new", title="Journey")
        journey.sessions.append(session_contents(app, browser))
        token = _TOKEN.search(created.text).group(0)  # type: ignore[union-attr]
        key_id = int(re.search(rf"{BASE}/(\d+)", created.text).group(1))  # type: ignore[union-attr]

        api = requests.Session()
        for headers in (
            {"Authorization": f"Bearer {token}"},
            {"X-Api-Key": token},
        ):
            journey.record("api", api.get(f"{base}/admin/api/me", headers=headers, timeout=10))
        journey.record("api basic", api.get(f"{base}/admin/api/me", auth=(token, ""), timeout=10))
        journey.record(
            "api echo",
            api.post(
                f"{base}/admin/api/echo", json={"hello": "world"}, auth=(token, ""), timeout=10
            ),
        )
        assert not api.cookies, "a key-authenticated request was given a cookie"

        journey.record("detail", browser.get(f"{base}{BASE}/{key_id}", timeout=10))
        submit("edit", f"{BASE}/{key_id}/edit", title="Journey renamed")
        submit("revoke", f"{BASE}/{key_id}/revoke")
        journey.record("revoked key", api.get(f"{base}/admin/api/me", auth=(token, ""), timeout=10))
        submit("delete", f"{BASE}/{key_id}/delete")
        journey.sessions.append(session_contents(app, browser))
        journey.record("list after", browser.get(f"{base}{BASE}", timeout=10))
    finally:
        for signal in watched:
            signal.disconnect(on_signal)
    return journey, token


def everything_in(response: requests.Response) -> str:
    """A response's URL, headers and body (the request's own headers carry the key by design)."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    return f"{response.url}\n{headers}\n{response.text}"


def test_a_full_journey_leaks_the_key_nowhere(
    app: Flask, live_server: str, captured_logs: pytest.LogCaptureFixture
) -> None:
    journey, token = run_journey(app, live_server)
    digest = crypto.hash_token(token)
    body = token[3 : 3 + crypto.BODY_LENGTH]

    statuses = {label: response.status_code for label, response in journey.responses}
    assert statuses["create"] == 200
    assert statuses["api"] == statuses["api basic"] == statuses["api echo"] == 200
    assert statuses["revoked key"] == 401

    # The plaintext: in the create response's body only, and there once.
    showing = [
        label
        for label, response in journey.responses
        if body in response.text or body in str(response.headers)
    ]
    assert showing == ["create"]
    created = dict(journey.responses)["create"]
    assert created.headers["Cache-Control"] == "no-store"

    # Nothing else carries the key or its hash: no URL, no header, no cookie, no page.
    for label, response in journey.responses:
        text = everything_in(response)
        assert digest not in text, label
        assert body not in response.url, label
        assert body not in str(response.headers), label
        if response.request.headers.get("Authorization") or response.request.headers.get(
            "X-Api-Key"
        ):
            assert "Set-Cookie" not in response.headers, label

    for contents in journey.sessions:
        assert body not in contents and digest not in contents
    for payload in journey.signals:
        assert body not in payload and digest not in payload

    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in captured_logs.records
    )
    assert "INSERT INTO secret_api_keys" in logged, "the statement log was not captured"
    assert "Row (" in logged, "the result rows were not captured"
    assert body not in logged
    assert digest not in logged


def test_the_database_holds_no_plaintext_key(app: Flask, tmp_path: Path) -> None:
    service = service_of(app)
    tokens = []
    with app.app_context():
        for email in ("admin@example.com", "ops@example.com"):
            user = get_user(email)
            key, token = service.create(user, "Dumped")
            tokens.append(token)
            service.revoke(key, actor=Actor.for_user(user))
            _key, token = service.create(user, "Dumped active")
            tokens.append(token)

    dump = logical_dump(app) + native_dump(app, tmp_path)

    assert "Dumped active" in dump, "the dump does not hold the keys table"
    for token in tokens:
        assert token[3 : 3 + crypto.BODY_LENGTH] not in dump
        assert crypto.hash_token(token) in dump  # only the hash is stored


def logical_dump(app: Flask) -> str:
    """Every row of every table, as text."""
    lines = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)).all():
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def native_dump(app: Flask, tmp_path: Path) -> str:
    """The database as its own tools see it: the SQLite file's bytes, pg_dump or mariadb-dump."""
    with app.app_context():
        url = db.engine.url
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        assert url.database
        files = [Path(url.database), *Path(url.database).parent.glob("*.db-*")]
        return "\n".join(p.read_bytes().decode("latin-1") for p in files if p.exists())
    postgres = url.get_backend_name() == "postgresql"
    tool = (
        shutil.which("pg_dump")
        if postgres
        else (shutil.which("mariadb-dump") or shutil.which("mysqldump"))
    )
    if tool is None:
        pytest.skip(f"no dump tool on PATH for {DATABASE_URL}")
    user_flag, default_user = ("-U", "postgres") if postgres else ("-u", "root")
    command = [
        tool,
        "-h",
        url.host or "127.0.0.1",
        user_flag,
        url.username or default_user,
        url.database or "",
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout  # noqa: S603

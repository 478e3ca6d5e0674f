"""Running this version before `flask db upgrade`: a clear 503 that says to upgrade, never a 500.

The tables are built as release 0.1.0 built them (or upgraded but for
``expires_at``), then the app of this version serves a key request, a page and
a command on them; after the documented upgrade the same key works. On the
database of ``TEST_DATABASE_URL`` when set.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask import Flask

import flask_secret_keys.models
from flask_secret_keys import crypto
from tests import migration_host
from tests.helpers import (
    DATABASE_URL,
    EVENTS,
    KEYS,
    OPERATORS,
    RESTRICTION_COLUMNS,
    documented_upgrade,
    old_schema,
    run_cli,
)

pytestmark = pytest.mark.slow  # builds and upgrades old schemas

THEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def _drop(engine: sa.Engine) -> None:
    existing = set(sa.inspect(engine).get_table_names())
    metadata = sa.MetaData()
    metadata.reflect(engine, only=[t for t in (EVENTS, KEYS, OPERATORS) if t in existing])
    metadata.drop_all(engine)


def old_database(engine: sa.Engine) -> dict[str, str]:
    """The 0.1.0 tables on ``engine``, with three keys; their tokens by name."""
    _drop(engine)
    metadata = old_schema()
    metadata.create_all(engine)
    operators, keys = metadata.tables[OPERATORS], metadata.tables[KEYS]
    tokens = {name: crypto.generate_token() for name in ("active", "revoked", "other")}

    def row(name: str, user_id: int, revoked: bool) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "title": name.title(),
            "redacted": crypto.redact(tokens[name]),
            "token_hash": crypto.hash_token(tokens[name]),
            "created_at": THEN,
            "updated_at": THEN,
            "revoked_at": THEN if revoked else None,
            "active_owner_id": None if revoked else user_id,
        }

    with engine.begin() as conn:
        conn.execute(
            operators.insert(),
            [
                {"id": 1, "email": "one@ops.test", "is_admin": True},
                {"id": 2, "email": "two@ops.test", "is_admin": True},
            ],
        )
        conn.execute(
            keys.insert(),
            [row("active", 1, False), row("revoked", 1, True), row("other", 2, False)],
        )
    return tokens


def upgrade(engine: sa.Engine, *, expiry: bool = True, events: bool = True) -> None:
    """The documented upgrade: its ``expires_at`` step (``expiry``), then the event step."""
    namespace: dict[str, Any] = {}
    exec(documented_upgrade(), namespace)  # noqa: S102 - the documented migration itself
    with engine.begin() as conn:
        namespace.update(
            op=Operations(MigrationContext.configure(conn)),
            sa=sa,
            flask_secret_keys=flask_secret_keys,
        )
        if expiry:
            namespace["upgrade"]()
        if not events:
            return
        # The generated migration that follows it in the docs (its operations
        # are checked in tests/test_hosts_upgrade_events.py): the event table, the
        # usage-context columns and the list index.
        op = namespace["op"]
        op.add_column(KEYS, sa.Column("last_used_ip", sa.String(45), nullable=True))
        op.add_column(KEYS, sa.Column("last_used_user_agent", sa.String(255), nullable=True))
        op.create_index(f"ix_{KEYS}_created_at", KEYS, ["created_at", "id"])
        migration_host.db.metadata.tables[EVENTS].create(conn)
        # The generated migration of restricted keys (checked in
        # tests/test_hosts_upgrade_events.py): three nullable text columns.
        for column in RESTRICTION_COLUMNS:
            op.add_column(KEYS, sa.Column(column, sa.Text(), nullable=True))


@contextmanager
def migration_host_on(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("DATABASE_URL", url)
    app = migration_host.create_app()
    try:
        yield app
    finally:
        with app.app_context():
            migration_host.db.session.remove()
            migration_host.db.engine.dispose()


@pytest.mark.parametrize("before", ["0.1.0 tables", "all but expires_at"])
def test_before_the_upgrade_keys_get_a_clear_503_saying_to_upgrade(
    before: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """New code on old tables: a JSON 503 on the Admin API, a 503 page, a CLI error; no 500."""
    url = DATABASE_URL or f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    tokens = old_database(engine)
    if before == "all but expires_at":
        upgrade(engine, expiry=False)
    try:
        with migration_host_on(url, monkeypatch) as app:
            client = app.test_client()
            with caplog.at_level(logging.ERROR):
                api = client.get("/api/whoami", headers={"X-Api-Key": tokens["active"]})
            with client.session_transaction() as session:
                session["_user_id"] = "1"
            page = client.get("/settings/secret-api-keys")
            cli = run_cli(app, "list", "--all")
            upgrade(engine, events=before == "0.1.0 tables")
            after = client.get("/api/whoami", headers={"X-Api-Key": tokens["active"]})
    finally:
        _drop(engine)
        engine.dispose()

    assert (api.status_code, (api.json or {})["error"]) == (503, "database_upgrade_needed")
    assert "`flask db upgrade`" in (api.json or {})["message"]
    assert f"{KEYS}.expires_at" in caplog.text and "run `flask db upgrade`" in caplog.text
    assert page.status_code == 503 and "<code>flask db upgrade</code>" in page.text
    assert cli[0] == 1 and "run `flask db upgrade`" in cli[2], cli
    assert after.status_code == 200

"""Upgrading a table made before key expiry, with the migration docs/integration.md gives.

The table is built as the release without expiry built it (its columns,
constraints and CHECK copied here, since the package now declares the new
ones), filled with keys, then upgraded by running the documented ``upgrade()``
through Alembic's operations. The keys must still authenticate, and the new
lifecycle must work on the upgraded table. On the database of
``TEST_DATABASE_URL`` when set.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask.testing import FlaskClient

import flask_secret_keys.models
from flask_secret_keys import crypto
from tests import migration_host
from tests.conftest import DATABASE_URL, service_of

DOCS = Path(__file__).resolve().parent.parent / "docs" / "integration.md"
KEYS = "migrated_api_keys"
OPERATORS = "migrated_operators"
EVENTS = f"{KEYS}_events"
#: The CHECK of the release before expiry.
OLD_CHECK = (
    "(revoked_at IS NULL AND active_owner_id IS NOT NULL AND active_owner_id = user_id)"
    " OR (revoked_at IS NOT NULL AND active_owner_id IS NULL)"
)
THEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def old_schema() -> sa.MetaData:
    """The operators table and the key table as release 0.1.0, before expiry, declared them."""
    metadata = sa.MetaData()
    sa.Table(
        OPERATORS,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), unique=True, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
    )
    utc = flask_secret_keys.models.UTCDateTime
    sa.Table(
        KEYS,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey(f"{OPERATORS}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("redacted", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.Column("last_used_at", utc(), nullable=True),
        sa.Column("revoked_at", utc(), nullable=True),
        sa.Column(
            "revoked_by_id",
            sa.Integer,
            sa.ForeignKey(f"{OPERATORS}.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("active_owner_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("token_hash", name=f"uq_{KEYS}_token_hash"),
        sa.UniqueConstraint("active_owner_id", name=f"uq_{KEYS}_active_owner_id"),
        sa.Index(f"ix_{KEYS}_user_id", "user_id"),
        sa.CheckConstraint(OLD_CHECK, name=f"ck_{KEYS}_active_owner"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    return metadata


def documented_upgrade() -> str:
    """The ``upgrade()`` docs/integration.md gives for key expiry, for our table name."""
    text = DOCS.read_text()
    (snippet,) = re.findall(
        r"```python\n(def upgrade\(\):\n.*?add_column.*?)\n\n\ndef downgrade", text, re.S
    )
    return str(snippet).replace("secret_api_keys", KEYS)


def _drop(engine: sa.Engine) -> None:
    existing = set(sa.inspect(engine).get_table_names())
    metadata = sa.MetaData()
    metadata.reflect(engine, only=[t for t in (EVENTS, KEYS, OPERATORS) if t in existing])
    metadata.drop_all(engine)


@pytest.fixture
def upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, dict[str, str]]]:
    """The migration host on an upgraded table; yields the app and tokens by name."""
    url = DATABASE_URL or f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
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

    namespace: dict[str, Any] = {}
    exec(documented_upgrade(), namespace)  # noqa: S102 - the documented migration itself
    with engine.begin() as conn:
        namespace.update(
            op=Operations(MigrationContext.configure(conn)),
            sa=sa,
            flask_secret_keys=flask_secret_keys,
        )
        namespace["upgrade"]()
        # The generated migration that follows it in the docs (its operations
        # are checked in tests/test_hosts_upgrade_events.py): the event table, the
        # usage-context columns and the list index.
        op = namespace["op"]
        op.add_column(KEYS, sa.Column("last_used_ip", sa.String(45), nullable=True))
        op.add_column(KEYS, sa.Column("last_used_user_agent", sa.String(255), nullable=True))
        op.create_index(f"ix_{KEYS}_created_at", KEYS, ["created_at", "id"])
        migration_host.db.metadata.tables[EVENTS].create(conn)

    monkeypatch.setenv("DATABASE_URL", url)
    app = migration_host.create_app()
    try:
        yield app, tokens
    finally:
        with app.app_context():
            migration_host.db.session.remove()
            migration_host.db.engine.dispose()
        _drop(engine)
        engine.dispose()


def whoami(client: FlaskClient, token: str) -> int:
    return client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).status_code


def test_upgrade_adds_the_column_and_widens_the_check(upgraded: tuple[Any, dict[str, str]]) -> None:
    app, _tokens = upgraded
    with app.app_context():
        inspector = sa.inspect(migration_host.db.engine)
        columns = {column["name"]: column for column in inspector.get_columns(KEYS)}
        checks = inspector.get_check_constraints(KEYS)
    assert columns["expires_at"]["nullable"]
    assert [check["name"] for check in checks] == [f"ck_{KEYS}_active_owner"]
    sqltext = checks[0]["sqltext"].replace("`", "").replace('"', "").lower()
    assert "expires_at is not null" in sqltext
    with app.app_context():
        keys = sa.Table(KEYS, sa.MetaData(), autoload_with=migration_host.db.engine)
        row = {
            "user_id": 2,
            "title": "Expired",
            "redacted": "sk_x…",
            "created_at": THEN,
            "updated_at": THEN,
            "active_owner_id": None,
        }
        with migration_host.db.engine.connect() as conn, conn.begin() as transaction:
            # A key with an expiry may give up the marker; one without may not.
            conn.execute(keys.insert().values({**row, "token_hash": "e" * 64, "expires_at": THEN}))
            with pytest.raises((sa.exc.IntegrityError, sa.exc.OperationalError)):
                conn.execute(
                    keys.insert().values({**row, "token_hash": "f" * 64, "expires_at": None})
                )
            transaction.rollback()


def test_keys_made_before_the_upgrade_still_authenticate(
    upgraded: tuple[Any, dict[str, str]],
) -> None:
    app, tokens = upgraded
    client = app.test_client()

    assert whoami(client, tokens["active"]) == 200
    assert whoami(client, tokens["other"]) == 200
    assert whoami(client, tokens["revoked"]) == 401


def test_the_lifecycle_works_on_the_upgraded_table(
    upgraded: tuple[Any, dict[str, str]],
) -> None:
    app, tokens = upgraded
    service = service_of(app, migration_host.secret_keys)
    client = app.test_client()
    with app.app_context():
        old = service.active_key(migration_host.db.session.get(migration_host.Operator, 1))
        assert old is not None
        successor, new_token = service.roll(old, dt.timedelta(hours=1))
        assert successor.expires_at is None
        other = service.active_key(migration_host.db.session.get(migration_host.Operator, 2))
        assert other is not None
        service.revoke(other, at=flask_secret_keys.models.utcnow() + dt.timedelta(days=1))

    assert whoami(client, tokens["active"]) == 200  # in its grace period
    assert whoami(client, new_token) == 200
    assert whoami(client, tokens["other"]) == 200  # scheduled, not yet revoked
    with app.app_context():
        operator = migration_host.db.session.get(migration_host.Operator, 2)
        _key, token = service.create(
            operator, "Expiring", flask_secret_keys.models.utcnow() + dt.timedelta(days=30)
        )
    assert whoami(client, token) == 200

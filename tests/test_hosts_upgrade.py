"""Upgrading a Flask-Migrate host from 0.1.0, all the documented way.

The host's database starts with the key table exactly as release 0.1.0 made
it, with a key in it. The steps of docs/integration.md ("When a release of the
extension changes the table") then apply the hand-written lifecycle migration,
generate and apply the one for the event table and the usage-context columns,
and apply the hand-written one that keeps key ids from being used again. The
old key keeps working, now with its usage context and events recorded; the
lifecycle (roll, expiry) works on the upgraded table, and the database still
enforces the key rules, with the CHECK widened for expiry. On the database of
``TEST_DATABASE_URL`` when set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_secret_keys import crypto, models
from tests import migration_host
from tests.helpers import (
    DATABASE_URL,
    EVENTS,
    IMPORT_LINE,
    KEYS,
    OPERATORS,
    RESTRICTION_COLUMNS,
    Migrated,
    documented_ids_upgrade,
    documented_upgrade,
    drop_leftovers,
    enforce_sqlite_foreign_keys,
    old_schema,
    service_of,
)

pytestmark = pytest.mark.slow  # flask db in a subprocess

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
REFUSED = (sa.exc.IntegrityError, sa.exc.OperationalError)


def as_generated_by_0_2_0(revision: Path) -> str:
    """The events migration as 0.2.0 generated it: without the columns of restricted keys,
    which this version's models add (an upgrade from 0.1.0 straight to this version gets
    them in this migration; the sequence here is the one of a host that ran 0.2.0)."""
    source = "".join(
        line
        for line in revision.read_text().splitlines(keepends=True)
        if not any(f"'{column}'" in line for column in RESTRICTION_COLUMNS)
    )
    revision.write_text(source)
    return source


def add_deleted_key(engine: sa.Engine) -> None:
    """A key with its events, deleted, as 0.2.0 leaves one: its id must never come back."""
    keys = sa.Table(KEYS, sa.MetaData(), autoload_with=engine)
    events = sa.Table(EVENTS, sa.MetaData(), autoload_with=engine)
    naive = NOW.replace(tzinfo=None)
    deleted_id = 7
    with engine.begin() as connection:
        connection.execute(
            keys.insert().values(
                id=deleted_id,
                user_id=1,
                title="Gone",
                redacted="sk_gone…",
                token_hash=f"{7:064x}",
                created_at=naive,
                updated_at=naive,
                revoked_at=naive,
            )
        )
        if engine.dialect.name == "postgresql":
            # As if the sequence had given the id (an explicit one leaves it behind).
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{KEYS}', 'id'), {deleted_id})"
            )
        for kind in ("created", "revoked", "deleted"):
            connection.execute(
                events.insert().values(
                    key_id=deleted_id,
                    event=kind,
                    at=naive,
                    actor_kind="system",
                    key_title="Gone",
                    key_redacted="sk_gone…",
                )
            )
        connection.execute(keys.delete().where(keys.c.id == deleted_id))


@pytest.fixture(scope="module")
def upgraded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Migrated, str, str, str]]:
    """A 0.1.0 database with one active key, upgraded by the documented steps.

    Yields the host, the events migration's source, the key's plaintext and the
    restricted-keys migration's source.
    """
    workdir = tmp_path_factory.mktemp("upgrade_host")
    url = DATABASE_URL or f"sqlite:///{workdir / 'host.db'}"
    engine = sa.create_engine(url)
    sa.event.listen(engine, "connect", enforce_sqlite_foreign_keys)
    drop_leftovers(engine)
    metadata = old_schema()
    metadata.create_all(engine)
    operators, keys = metadata.tables[OPERATORS], metadata.tables[KEYS]
    token = crypto.generate_token()
    with engine.begin() as connection:
        # No explicit ids: on PostgreSQL they would leave the sequences behind.
        connection.execute(operators.insert().values(email="root@ops.test", is_admin=True))
        connection.execute(
            keys.insert().values(
                user_id=1,
                active_owner_id=1,
                title="Deploy",
                redacted=crypto.redact(token),
                token_hash=crypto.hash_token(token),
                created_at=NOW,
                updated_at=NOW,
            )
        )
    host = Migrated(workdir, url, engine)
    try:
        # The host's migrations as they stood with 0.1.0 (its tables are in the database).
        host.flask_db("init")
        # The documented upgrade: the hand-written lifecycle migration first,
        # with the import it needs at its top ...
        host.flask_db("revision", "-m", "Key lifecycle")
        (lifecycle,) = host.revisions
        lifecycle.write_text(
            lifecycle.read_text()
            .replace("import sqlalchemy as sa\n", f"import sqlalchemy as sa\n{IMPORT_LINE}\n", 1)
            .replace("def upgrade():\n    pass\n", documented_upgrade(), 1)
        )
        host.flask_db("upgrade")
        # ... then the generated one: generate, review, apply.
        host.flask_db("migrate", "-m", "Upgrade flask-secret-keys")
        (revision,) = (path for path in host.revisions if path != lifecycle)
        source = as_generated_by_0_2_0(revision)
        host.flask_db("upgrade")
        # 0.2.0 in use: a key with its events, then deleted.
        add_deleted_key(engine)
        # The 0.3.0 one: key ids never reused, written by hand.
        host.flask_db("revision", "-m", "Key ids never reused")
        (ids,) = (path for path in host.revisions if path not in (lifecycle, revision))
        ids.write_text(
            ids.read_text()
            .replace("def upgrade():\n    pass\n", documented_ids_upgrade() + "\n\n", 1)
            .replace("def downgrade():\n    pass\n", "", 1)
        )
        host.flask_db("upgrade")
        # Restricted keys (0.3.0): generated, reviewed, applied.
        done = set(host.revisions)
        host.flask_db("migrate", "-m", "Restricted keys")
        (restricted,) = (path for path in host.revisions if path not in done)
        restricted_source = restricted.read_text()
        host.flask_db("upgrade")
        yield host, source, token, restricted_source
    finally:
        drop_leftovers(engine)
        engine.dispose()


def test_the_upgrade_adds_the_event_table_and_two_columns_only(
    upgraded: tuple[Migrated, str, str, str],
) -> None:
    _host, source, _token, _restricted = upgraded
    upgrade = source.split("def upgrade():")[1].split("def downgrade():")[0]

    assert f"op.create_table('{EVENTS}'" in upgrade
    assert (
        f"sa.ForeignKeyConstraint(['actor_id'], ['{OPERATORS}.id'],"
        f" name='fk_{EVENTS}_actor_id', ondelete='SET NULL')" in upgrade
    )
    assert f"create_index('ix_{EVENTS}_key_id', ['key_id', 'at']" in upgrade
    assert f"create_index('ix_{EVENTS}_at', ['at']" in upgrade
    assert f"create_index('ix_{KEYS}_created_at', ['created_at', 'id']" in upgrade
    assert "add_column(sa.Column('last_used_ip', sa.String(length=45), nullable=True))" in upgrade
    assert (
        "add_column(sa.Column('last_used_user_agent', sa.String(length=255), nullable=True))"
        in upgrade
    )
    assert f"create_table('{KEYS}'" not in upgrade and "drop_" not in upgrade
    assert "expires_at" not in upgrade  # the hand-written migration added it
    assert "key_id" in upgrade and f"['{KEYS}.id']" not in upgrade


def test_the_old_key_still_works_and_is_recorded(
    upgraded: tuple[Migrated, str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    host, _source, token, _restricted = upgraded
    monkeypatch.setenv("DATABASE_URL", host.url)
    app = migration_host.create_app()
    service = service_of(app, migration_host.secret_keys)
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "deploy-script/1.0"}
    client = app.test_client()
    try:
        response = client.get(
            "/api/whoami", headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.1"}
        )
        assert response.json == {"email": "root@ops.test"}
        with app.app_context():
            key = service.key_by_id(1)
            assert (key.last_used_ip, key.last_used_user_agent) == (
                "192.0.2.1",
                "deploy-script/1.0",
            )
            assert service.events_of(1) == []
            successor, new_token = service.roll(key, dt.timedelta(hours=1))
            assert successor.expires_at is None
        new = {"Authorization": f"Bearer {new_token}"}
        # Both work in the grace period; the old key stops when revoked.
        assert client.get("/api/whoami", headers=headers).status_code == 200
        assert client.get("/api/whoami", headers=new).status_code == 200
        with app.app_context():
            service.revoke(service.key_by_id(1))
            assert [e.event for e in service.events_of(1)] == ["revoked", "rolled"]  # newest first
            operator = migration_host.Operator(email="two@ops.test", is_admin=True)
            migration_host.db.session.add(operator)
            migration_host.db.session.commit()
            _key, expiring = service.create(
                operator, "Expiring", expires_at=models.utcnow() + dt.timedelta(days=30)
            )
        assert client.get("/api/whoami", headers=headers).status_code == 401
        assert client.get("/api/whoami", headers={"Authorization": f"Bearer {expiring}"}).json == {
            "email": "two@ops.test"
        }
    finally:
        with app.app_context():
            migration_host.db.engine.dispose()


def test_after_the_upgrade_autogenerate_finds_nothing_to_change(
    upgraded: tuple[Migrated, str, str, str],
) -> None:
    host, _source, _token, _restricted = upgraded
    output = host.flask_db("migrate", "-m", "Nothing")
    assert "No changes in schema detected." in output


def test_the_database_still_enforces_the_key_rules(
    upgraded: tuple[Migrated, str, str, str],
) -> None:
    host, _source, _token, _restricted = upgraded
    keys = sa.Table(KEYS, sa.MetaData(), autoload_with=host.engine)
    row: dict[str, Any] = {
        "user_id": 1,
        "active_owner_id": 1,
        "title": "Second",
        "redacted": "sk_2…",
        "token_hash": f"{2:064x}",
        "created_at": NOW.replace(tzinfo=None),
        "updated_at": NOW.replace(tzinfo=None),
    }
    with host.engine.connect() as connection, connection.begin() as transaction:
        connection.execute(keys.update().values(revoked_at=NOW, active_owner_id=None))
        connection.execute(
            keys.update().where(keys.c.id == 1).values(revoked_at=None, active_owner_id=1)
        )
        with pytest.raises(REFUSED), connection.begin_nested():
            connection.execute(keys.insert().values(row))
        # The widened CHECK: a key with an expiry may give up the marker; one without may not.
        released = {**row, "active_owner_id": None, "expires_at": NOW.replace(tzinfo=None)}
        connection.execute(keys.insert().values(released))
        with pytest.raises(REFUSED), connection.begin_nested():
            connection.execute(
                keys.insert().values({**row, "token_hash": f"{3:064x}", "active_owner_id": None})
            )
        transaction.rollback()


@contextmanager
def app_on(host: Migrated, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The migration host's app on the upgraded database."""
    monkeypatch.setenv("DATABASE_URL", host.url)
    app = migration_host.create_app()
    try:
        yield app
    finally:
        with app.app_context():
            migration_host.db.engine.dispose()


def test_a_new_key_after_the_upgrade_takes_no_used_id_and_no_history(
    upgraded: tuple[Migrated, str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    host = upgraded[0]
    with app_on(host, monkeypatch) as app, app.app_context():
        service = service_of(app, migration_host.secret_keys)
        operator = migration_host.db.session.get(migration_host.Operator, 1)
        service.revoke_all(operator)
        key, _ = service.create(operator, "After the upgrade")
        assert key.id > 7
        assert [e.event for e in service.events_of(key.id)] == ["created"]
    if host.engine.dialect.name == "sqlite":
        with host.engine.connect() as connection:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (KEYS,)
            ).scalar_one()
        assert "AUTOINCREMENT" in sql and f"ck_{KEYS}_active_owner" in sql


def test_the_restricted_keys_migration_adds_three_nullable_columns(
    upgraded: tuple[Migrated, str, str, str],
) -> None:
    restricted = upgraded[3]
    upgrade = restricted.split("def upgrade():")[1].split("def downgrade():")[0]
    for column in RESTRICTION_COLUMNS:
        assert f"add_column(sa.Column('{column}', sa.Text(), nullable=True))" in upgrade
    assert "drop_" not in upgrade and "create_table" not in upgrade


def test_the_old_key_is_full_access_after_the_upgrade(
    upgraded: tuple[Migrated, str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_on(upgraded[0], monkeypatch) as app, app.app_context():
        key = service_of(app, migration_host.secret_keys).key_by_id(1)
        assert (key.permissions, key.allowed_networks) == (None, None)
        assert key.allows("anything", "write")

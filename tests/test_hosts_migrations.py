"""Schema migrations: a Flask-Migrate host gets the key table from autogenerate.

Runs the steps of docs/integration.md on ``tests/migration_host.py`` with the
real ``flask db`` commands in a subprocess (Alembic reconfigures logging,
which must not leak into the rest of the suite), then checks that the
database enforces the key rules on its own and that the extension works on
the migrated schema. On the database of ``TEST_DATABASE_URL`` when set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import (
    DATABASE_URL,
    IMPORT_LINE,
    KEYS,
    OPERATORS,
    Migrated,
    drop_leftovers,
    enforce_sqlite_foreign_keys,
)

pytestmark = pytest.mark.slow  # flask db in a subprocess


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migrated]:
    """A host whose schema came from ``flask db init``, ``migrate`` and ``upgrade``."""
    workdir = tmp_path_factory.mktemp("migration_host")
    url = DATABASE_URL or f"sqlite:///{workdir / 'host.db'}"
    engine = sa.create_engine(url)
    sa.event.listen(engine, "connect", enforce_sqlite_foreign_keys)
    drop_leftovers(engine)
    host = Migrated(workdir, url, engine)
    host.flask_db("init")
    host.flask_db("migrate", "-m", "Add secret API keys")
    host.flask_db("upgrade")
    try:
        yield host
    finally:
        drop_leftovers(engine)
        engine.dispose()


def test_autogenerate_writes_the_key_table_with_its_constraints(migrated: Migrated) -> None:
    (revision,) = migrated.revisions
    source = revision.read_text()

    assert f"op.create_table('{KEYS}'" in source
    assert f"sa.UniqueConstraint('active_owner_id', name='uq_{KEYS}_active_owner_id')" in source
    assert f"sa.UniqueConstraint('token_hash', name='uq_{KEYS}_token_hash')" in source
    assert f"name='ck_{KEYS}_active_owner'" in source
    assert f"sa.ForeignKeyConstraint(['user_id'], ['{OPERATORS}.id'], ondelete='CASCADE')" in source
    assert f"create_index('ix_{KEYS}_user_id', ['user_id']" in source
    assert IMPORT_LINE in source


def test_upgrade_creates_the_tables_with_their_constraints(migrated: Migrated) -> None:
    inspector = sa.inspect(migrated.engine)

    assert {KEYS, OPERATORS} <= migrated.table_names()
    unique = {tuple(c["column_names"]) for c in inspector.get_unique_constraints(KEYS)}
    assert {("active_owner_id",), ("token_hash",)} <= unique
    foreign = {
        (tuple(fk["constrained_columns"]), fk["referred_table"])
        for fk in inspector.get_foreign_keys(KEYS)
    }
    assert foreign == {(("user_id",), OPERATORS), (("revoked_by_id",), OPERATORS)}
    assert f"ck_{KEYS}_active_owner" in {c["name"] for c in inspector.get_check_constraints(KEYS)}


NOW = dt.datetime(2026, 1, 2, 3, 4, 5)


def _key(
    number: int, user_id: int, *, active_owner_id: int | None, revoked: bool
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "title": f"Key {number}",
        "redacted": f"sk_{number}…",
        "token_hash": f"{number:064x}",
        "created_at": NOW,
        "updated_at": NOW,
        "revoked_at": NOW if revoked else None,
        "active_owner_id": active_owner_id,
    }


#: Rows the database itself must refuse, next to an active key 1 of operator 1.
REFUSED_ROWS = {
    "second active key of a user": _key(2, 1, active_owner_id=1, revoked=False),
    "active key without the active-owner marker": _key(2, 1, active_owner_id=None, revoked=False),
    "active key marked with another owner": _key(2, 2, active_owner_id=1, revoked=False),
    "revoked key that keeps the marker": _key(2, 2, active_owner_id=2, revoked=True),
    "duplicate token hash": {
        **_key(2, 2, active_owner_id=2, revoked=False),
        "token_hash": f"{1:064x}",
    },
    "owner that does not exist": _key(2, 999, active_owner_id=999, revoked=False),
}


@pytest.fixture
def connection(migrated: Migrated) -> Iterator[tuple[sa.Connection, sa.Table]]:
    """A connection in a transaction that is rolled back, with operators 1 and 2 and key 1."""
    keys = sa.Table(KEYS, sa.MetaData(), autoload_with=migrated.engine)
    operators = sa.Table(OPERATORS, sa.MetaData(), autoload_with=migrated.engine)
    with migrated.engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.execute(
                operators.insert(),
                [
                    {"id": 1, "email": "one@ops.test", "is_admin": True},
                    {"id": 2, "email": "two@ops.test", "is_admin": True},
                ],
            )
            connection.execute(keys.insert().values(_key(1, 1, active_owner_id=1, revoked=False)))
            yield connection, keys
        finally:
            transaction.rollback()


@pytest.mark.parametrize("row", REFUSED_ROWS.values(), ids=REFUSED_ROWS.keys())
def test_migrated_database_refuses_rows_that_break_key_rules(
    connection: tuple[sa.Connection, sa.Table], row: dict[str, Any]
) -> None:
    conn, keys = connection

    with pytest.raises((sa.exc.IntegrityError, sa.exc.OperationalError)) as error:
        conn.execute(keys.insert().values(row))

    if isinstance(error.value, sa.exc.OperationalError):
        # MariaDB reports a failed CHECK as error 4025 through PyMySQL.
        assert error.value.orig is not None and error.value.orig.args[0] == 4025


def test_migrated_database_keeps_revoked_keys_beside_the_active_one(
    connection: tuple[sa.Connection, sa.Table],
) -> None:
    conn, keys = connection

    conn.execute(
        keys.update().where(keys.c.id.isnot(None)).values(revoked_at=NOW, active_owner_id=None)
    )
    conn.execute(keys.insert().values(_key(2, 1, active_owner_id=None, revoked=True)))
    conn.execute(keys.insert().values(_key(3, 1, active_owner_id=1, revoked=False)))

    assert conn.execute(sa.select(sa.func.count()).select_from(keys)).scalar() == 3


def test_second_autogenerate_finds_nothing_to_change(migrated: Migrated) -> None:
    output = migrated.flask_db("migrate", "-m", "Nothing")

    assert "No changes in schema detected." in output
    assert len(migrated.revisions) == 1


def test_downgrade_drops_the_key_table_and_upgrade_restores_it(migrated: Migrated) -> None:
    if migrated.engine.dialect.name in ("mysql", "mariadb"):
        # The edit docs/integration.md gives for MySQL and MariaDB: they refuse
        # to drop an index a foreign key uses, and dropping the table drops it anyway.
        (revision,) = migrated.revisions
        source = revision.read_text()
        revision.write_text(source.replace(f"batch_op.drop_index('ix_{KEYS}_user_id')", "pass"))

    migrated.flask_db("downgrade")
    assert not {KEYS, OPERATORS} & migrated.table_names()

    migrated.flask_db("upgrade")
    assert {KEYS, OPERATORS} <= migrated.table_names()

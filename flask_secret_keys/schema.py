"""Whether the database holds what the key models map, for a clear error before a migration.

Run 0.2 code on a database still at 0.1 (no ``expires_at``, no event table)
and every statement on the key table fails. After such a failure, and only
then, the tables are compared with the models, so the answer can say to run
``flask db upgrade`` rather than show a 500. Never at start-up: ``flask db
upgrade`` itself starts the app, and an app factory must not need the
database. Once the tables are found complete, an app does not look again.
"""

from __future__ import annotations

import weakref
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from .state import current_state

#: Apps whose tables were found complete.
_complete: weakref.WeakSet[Flask] = weakref.WeakSet()


def missing_from(bind: sa.Engine | sa.Connection, models: list[Any]) -> list[str]:
    """The tables (``table``) and columns (``table.column``) of ``models`` the database lacks."""
    inspector = sa.inspect(bind)
    missing: list[str] = []
    for model in models:
        table: sa.Table = model.__table__
        if not inspector.has_table(table.name, schema=table.schema):
            missing.append(table.name)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name, table.schema)}
        missing += [
            f"{table.name}.{column.name}" for column in table.columns if column.name not in present
        ]
    return missing


def missing_after(error: Exception) -> list[str]:
    """What the key tables lack, when ``error`` may have come from that; else an empty list.

    A lost connection is an outage, not a schema, and is not looked into;
    neither is a database that cannot be read at all.
    """
    if not isinstance(error, sa.exc.DBAPIError) or error.connection_invalidated:
        return []
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app in _complete:
        return []
    users = current_state().users
    models = [users.Key, users.Event]
    try:
        missing = missing_from(users.db.session.get_bind(mapper=sa.inspect(users.Key)), models)
    except sa.exc.SQLAlchemyError:
        return []
    if not missing:
        _complete.add(app)
    return missing


def upgrade_message(missing: list[str]) -> str:
    """What the log and the command line say about an incomplete schema."""
    return (
        f"The database lacks {', '.join(missing)}, which this version of flask-secret-keys"
        " needs: run `flask db upgrade` (with the migrations the upgrade notes describe)."
    )

"""Counting the SQL statements an engine runs, through SQLAlchemy's events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


class StatementLog:
    """The statements an engine ran while :func:`recording` was open."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def count(self, verb: str, table: str) -> int:
        """How many statements start with ``verb`` and name ``table``."""
        verb = verb.upper()
        return sum(
            1
            for statement in self.statements
            if statement.lstrip().upper().startswith(verb) and table in statement
        )


@contextmanager
def recording(engine: sa.Engine) -> Iterator[StatementLog]:
    """Record every statement ``engine`` sends to the database, on any connection."""
    log = StatementLog()

    def before_cursor_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        log.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)

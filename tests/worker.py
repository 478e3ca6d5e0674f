"""One app worker process for the many-workers tests: ``python -m tests.worker``.

Serves the tests' host (``tests/host.py``) on 127.0.0.1 (a free port, printed as ``port <n>`` on
stdout) against the database in ``TEST_DATABASE_URL``, with the extra config
given as JSON in ``WORKER_CONFIG``. It counts the rows its ``last_used_at``
updates wrote and reports them at ``/_worker/stats``, so a test can add them
up across processes. It never resets the database.
"""

from __future__ import annotations

import json
import os
from typing import Any

import sqlalchemy as sa
from werkzeug.serving import make_server

from example_app.models import db
from tests.host import create_app

written = {"last_used_rows": 0, "last_used_statements": 0}


def count_last_used_writes(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    text = statement.lstrip().upper()
    if text.startswith("UPDATE SECRET_API_KEYS ") and "LAST_USED_AT=" in text.replace(" ", ""):
        written["last_used_statements"] += 1
        written["last_used_rows"] += max(cursor.rowcount, 0)


def main() -> None:
    config = {
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": os.environ["TEST_DATABASE_URL"],
        **json.loads(os.environ.get("WORKER_CONFIG", "{}")),
    }
    app = create_app(config)
    with app.app_context():
        sa.event.listen(db.engine, "after_cursor_execute", count_last_used_writes)

    @app.get("/_worker/stats")
    def stats() -> dict[str, Any]:
        return {"pid": os.getpid(), **written}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"port {server.server_port}", flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()

"""Item 5: listing one user's keys when the table is large.

Calls :meth:`KeyService.list`, the service behind the Settings → Secret API
Keys page, for the list user (who owns many keys) in a table of many more,
with each kind of request the page makes: plain, search, status filter, date
filter, each sort, a later page. Reports the SQL statements per request and
the median time.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from example_app.models import User, db
from flask_secret_keys import KeyQuery

from .environment import LIST_USER_EMAIL, Seeded
from .report import Result
from .statements import recording
from .stats import Batch, interleaved, spread, summary

QUERIES: dict[str, KeyQuery] = {
    "first page": KeyQuery(),
    "search title 'deploy'": KeyQuery(search="deploy"),
    "search redacted 'sk_0'": KeyQuery(search="sk_0"),
    "filter active": KeyQuery(status="active"),
    "filter revoked": KeyQuery(status="revoked"),
    "filter created Jan 2025": KeyQuery(
        created_from=dt.date(2025, 1, 1), created_to=dt.date(2025, 1, 31)
    ),
    "sort title asc": KeyQuery(sort="title", direction="asc"),
    "sort last used desc": KeyQuery(sort="last_used"),
    "sort revoked asc": KeyQuery(sort="revoked", direction="asc"),
    "page 5": KeyQuery(page=5),
}


def _list_user(seeded: Seeded) -> Any:
    with seeded.app.app_context():
        return db.session.execute(sa.select(User).where(User.email == LIST_USER_EMAIL)).scalar_one()


def list_batch(seeded: Seeded, user: Any, query: KeyQuery, calls: int) -> Batch:
    """Seconds per ``list(user, query)`` with its rows loaded, each in a fresh app context."""
    app, service = seeded.app, seeded.service()

    def batch() -> float:
        total = 0.0
        for _ in range(calls):
            with app.app_context():
                start = time.perf_counter()
                page = service.list(user, query)
                items = list(page.items)
                total += time.perf_counter() - start
                assert page.total is not None and len(items) <= query.per_page
        return total / calls

    return batch


def statements_per_list(seeded: Seeded, user: Any, query: KeyQuery) -> tuple[int, int, int]:
    """Statements one list request runs, and the rows it shows and counts."""
    with seeded.app.app_context(), recording(db.engine) as log:
        page = seeded.service().list(user, query)
        shown = len(list(page.items))
        total = page.total or 0
        return len(log), shown, total


def run(databases: Sequence[Seeded], rounds: int, calls: int) -> Result:
    """Every query of :data:`QUERIES` on each database, timed in the same rounds."""
    result = Result(
        name="list_at_scale",
        title="5. Listing one user's keys in a large table (KeyService.list)",
        header=("backend", "request", "statements", "rows", "matching", "per request"),
    )
    for seeded in databases:
        user = _list_user(seeded)
        samples = interleaved(
            {name: list_batch(seeded, user, query, calls) for name, query in QUERIES.items()},
            rounds,
        )
        figures = {}
        for name, query in QUERIES.items():
            count, shown, total = statements_per_list(seeded, user, query)
            figures[name] = {
                "statements": count,
                "rows_shown": shown,
                "rows_matching": total,
                "seconds": summary(samples[name]),
            }
            result.rows.append(
                (
                    seeded.backend.name,
                    name,
                    str(count),
                    str(shown),
                    str(total),
                    spread(summary(samples[name])),
                )
            )
        result.data[seeded.backend.name] = {
            "keys_in_table": seeded.size,
            "keys_of_user": seeded.list_keys,
            "calls_per_round": calls,
            "queries": figures,
        }
        result.notes.append(
            f"{seeded.backend.name}: {seeded.list_keys:,} keys for the user,"
            f" {seeded.size:,} in the table".replace(",", " ")
        )
    result.notes.append(f"median [min–max] over {rounds} rounds of {calls} calls")
    return result

"""Item 5: listing one user's keys when the table is large.

For the list user (who owns many keys) in a table of many more, with each
kind of request the list makes (plain, search, status filter, date filter,
each sort, a later page), measures both :meth:`KeyService.search`, the service
behind the Settings → Secret API Keys page, and the page itself: a session
request through the test client, template rendering included. Reports the SQL
statements per request and the median time.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask.testing import FlaskClient

from example_app.models import User, db
from flask_secret_keys import KeyQuery

from .environment import LIST_USER_EMAIL, LIST_USER_PASSWORD, Seeded
from .methods import request_batch, session_client
from .report import Result
from .statements import recording
from .stats import Batch, interleaved, method, spread, thousands, timing

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


def query_string(query: KeyQuery) -> dict[str, str]:
    """The list page's URL parameters for ``query``, defaults left out as the pages do
    (a URL with them is answered by a redirect to the one without)."""
    default = KeyQuery()
    sorted_by = (query.sort, query.direction) != (default.sort, default.direction)
    params = {
        "q": query.search,
        "status": "" if query.status == default.status else query.status,
        "sort": query.sort if sorted_by else "",
        "dir": query.direction if sorted_by else "",
        "page": "" if query.page == 1 else str(query.page),
        "created_from": query.created_from.isoformat() if query.created_from else "",
        "created_to": query.created_to.isoformat() if query.created_to else "",
    }
    return {name: value for name, value in params.items() if value}


def _list_user(seeded: Seeded) -> Any:
    with seeded.app.app_context():
        return db.session.execute(sa.select(User).where(User.email == LIST_USER_EMAIL)).scalar_one()


def list_batch(seeded: Seeded, user: Any, query: KeyQuery, calls: int) -> Batch:
    """Seconds per ``search(user, query)`` with its rows loaded, each in a fresh app context."""
    app, service = seeded.app, seeded.service()

    def batch() -> float:
        durations = []
        for _ in range(calls):
            with app.app_context():
                start = time.perf_counter()
                page = service.search(user, query)
                items = list(page.items)
                durations.append(time.perf_counter() - start)
                assert page.total is not None and len(items) <= query.per_page
        return statistics.median(durations)

    return batch


def page_batch(client: FlaskClient, path: str, query: KeyQuery, calls: int) -> Batch:
    """Seconds per list page request, a full page render by a logged-in session."""
    return request_batch(client, path, {}, calls, query_string=query_string(query))


def statements_per_page(
    seeded: Seeded, client: FlaskClient, path: str, query: KeyQuery
) -> tuple[int, int]:
    """Statements one list page request runs in all, and those on the key table.

    The others are the host's: its session user loader reads the user.
    """
    with seeded.app.app_context():
        engine = db.engine
    with recording(engine) as log:
        response = client.get(path, query_string=query_string(query))
    assert response.status_code == 200, response.status_code
    return len(log), log.count("SELECT", "secret_api_keys")


def statements_per_list(seeded: Seeded, user: Any, query: KeyQuery) -> tuple[int, int, int]:
    """Statements one list request runs, and the rows it shows and counts."""
    with seeded.app.app_context(), recording(db.engine) as log:
        page = seeded.service().search(user, query)
        shown = len(list(page.items))
        total = page.total or 0
        return len(log), shown, total


def run(databases: Sequence[Seeded], rounds: int, calls: int) -> Result:
    """Every query of :data:`QUERIES` on each database, timed in the same rounds."""
    result = Result(
        name="list_at_scale",
        title="5. Listing one user's keys in a large table (KeyService.search)",
        header=(
            "backend",
            "request",
            "rows",
            "matching",
            "search() statements",
            "search() time",
            "page statements",
            "page time",
        ),
    )
    for seeded in databases:
        user = _list_user(seeded)
        client = session_client(seeded.app, LIST_USER_EMAIL, LIST_USER_PASSWORD)
        with seeded.app.test_request_context():
            path = url_for("secret_keys.index")
        cases: dict[str, Batch] = {}
        for name, query in QUERIES.items():
            cases[f"list/{name}"] = list_batch(seeded, user, query, calls)
            cases[f"page/{name}"] = page_batch(client, path, query, calls)
        samples = interleaved(cases, rounds)
        figures = {}
        for name, query in QUERIES.items():
            count, shown, total = statements_per_list(seeded, user, query)
            page_count, page_key_count = statements_per_page(seeded, client, path, query)
            service_time = timing(samples[f"list/{name}"])
            page_time = timing(samples[f"page/{name}"])
            figures[name] = {
                "statements": count,
                "rows_shown": shown,
                "rows_matching": total,
                "seconds": service_time,
                "page_statements": page_count,
                "page_statements_on_keys": page_key_count,
                "page_seconds": page_time,
            }
            result.rows.append(
                (
                    seeded.backend.name,
                    name,
                    str(shown),
                    str(total),
                    str(count),
                    spread(service_time),
                    f"{page_count} ({page_key_count} on keys)",
                    spread(page_time),
                )
            )
        result.data[seeded.backend.name] = {
            "keys_in_table": seeded.size,
            "keys_of_user": seeded.list_keys,
            "calls_per_round": calls,
            "queries": figures,
        }
        result.notes.append(
            f"{seeded.backend.name}: {thousands(seeded.list_keys)} keys for the user,"
            f" {thousands(seeded.size)} in the table"
        )
    result.notes.append(method(rounds, calls))
    return result


#: The requests of the All keys page (every user's keys, for an overseer).
ALL_QUERIES: dict[str, KeyQuery] = {
    "first page": KeyQuery(),
    "search title 'deploy'": KeyQuery(search="deploy"),
    "filter active": KeyQuery(status="active"),
    "owner: the list user": KeyQuery(owner=LIST_USER_EMAIL),
    "owner + sort title asc": KeyQuery(owner=LIST_USER_EMAIL, sort="title", direction="asc"),
    "sort last used desc": KeyQuery(sort="last_used"),
    "page 5": KeyQuery(page=5),
}


def _owners(seeded: Seeded, query: KeyQuery) -> list[Any] | None:
    if not query.owner:
        return None
    with seeded.app.app_context():
        return [db.session.execute(sa.select(User).where(User.email == query.owner)).scalar_one()]


def all_batch(seeded: Seeded, query: KeyQuery, calls: int) -> Batch:
    """Seconds per ``search_all(query)`` with its rows and their owners loaded."""
    app, service = seeded.app, seeded.service()
    owners = _owners(seeded, query)

    def batch() -> float:
        durations = []
        for _ in range(calls):
            with app.app_context():
                start = time.perf_counter()
                page = service.search_all(query, owners)
                names = [key.owner.email for key in page.items]
                durations.append(time.perf_counter() - start)
                assert page.total is not None and len(names) <= query.per_page
        return statistics.median(durations)

    return batch


def all_query_string(query: KeyQuery) -> dict[str, str]:
    params = query_string(query)
    if query.owner:
        params["owner"] = query.owner
    return params


def statements_per_all(seeded: Seeded, query: KeyQuery) -> tuple[int, int, int]:
    """Statements one ``search_all`` runs with the owners read, and the rows it shows and counts."""
    owners = _owners(seeded, query)
    with seeded.app.app_context(), recording(db.engine) as log:
        page = seeded.service().search_all(query, owners)
        shown = len([key.owner.email for key in page.items])
        return len(log), shown, page.total or 0


def statements_per_all_page(seeded: Seeded, client: FlaskClient, path: str, query: KeyQuery) -> int:
    with seeded.app.app_context():
        engine = db.engine
    with recording(engine) as log:
        response = client.get(path, query_string=all_query_string(query))
    assert response.status_code == 200, response.status_code
    return len(log)


def run_all_keys(databases: Sequence[Seeded], rounds: int, calls: int) -> Result:
    """Every query of :data:`ALL_QUERIES` on each database: the service and the page."""
    result = Result(
        name="list_all_at_scale",
        title="5b. All keys: every user's keys, owners joined in (KeyService.search_all)",
        header=(
            "backend",
            "request",
            "rows",
            "matching",
            "search_all() statements",
            "search_all() time",
            "page statements",
            "page time",
        ),
    )
    for seeded in databases:
        client = session_client(seeded.app)  # the demo admin, an overseer in the example app
        with seeded.app.test_request_context():
            path = url_for("secret_keys.all_keys")
        cases: dict[str, Batch] = {}
        for name, query in ALL_QUERIES.items():
            cases[f"all/{name}"] = all_batch(seeded, query, calls)
            cases[f"page/{name}"] = request_batch(
                client, path, {}, calls, query_string=all_query_string(query)
            )
        samples = interleaved(cases, rounds)
        figures = {}
        for name, query in ALL_QUERIES.items():
            count, shown, total = statements_per_all(seeded, query)
            page_count = statements_per_all_page(seeded, client, path, query)
            service_time = timing(samples[f"all/{name}"])
            page_time = timing(samples[f"page/{name}"])
            figures[name] = {
                "statements": count,
                "rows_shown": shown,
                "rows_matching": total,
                "seconds": service_time,
                "page_statements": page_count,
                "page_seconds": page_time,
            }
            result.rows.append(
                (
                    seeded.backend.name,
                    name,
                    str(shown),
                    str(total),
                    str(count),
                    spread(service_time),
                    str(page_count),
                    spread(page_time),
                )
            )
        result.data[seeded.backend.name] = {
            "keys_in_table": seeded.size,
            "calls_per_round": calls,
            "queries": figures,
        }
        result.notes.append(f"{seeded.backend.name}: {thousands(seeded.size)} keys in the table")
    result.notes.append(method(rounds, calls))
    return result

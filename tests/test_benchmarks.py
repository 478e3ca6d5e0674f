"""The benchmark suite still runs, on tiny sizes; its figures are not checked here.

What is checked are counts, not times: statements per list request and
``last_used_at`` writes per burst of requests are properties of the code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks import alternatives, listing, methods, profiling, verification, writes
from benchmarks.__main__ import main
from benchmarks.environment import Backend, Seeded, seed
from benchmarks.report import Result, render
from example_app.models import db
from tests.conftest import DATABASE_URL


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    if DATABASE_URL and DATABASE_URL.startswith("postgresql"):
        made = Backend.postgresql(DATABASE_URL)
    else:
        made = Backend.sqlite()
    yield made
    made.close()


@pytest.fixture(scope="module")
def small(backend: Backend) -> Seeded:
    return seed(backend, 5, 1)


@pytest.fixture(scope="module")
def larger(backend: Backend) -> Seeded:
    return seed(backend, 300, 40)


def assert_renders(result: Result) -> None:
    text = render(result)
    assert result.title in text
    for row in result.rows:
        assert len(row) == len(result.header)


def test_seeding_makes_the_requested_number_of_keys(larger: Seeded) -> None:
    with larger.app.app_context():
        Key = larger.service().model
        total = db.session.execute(sa.select(sa.func.count()).select_from(Key)).scalar_one()
        active = db.session.execute(
            sa.select(sa.func.count()).select_from(Key).where(Key.revoked_at.is_(None))
        ).scalar_one()
        key = larger.service().authenticate(larger.token)
    assert total == 300
    assert active == 2
    assert key is not None and key.owner.email == "admin@example.com"


def test_verification_reports_every_size(small: Seeded, larger: Seeded) -> None:
    result = verification.run([small, larger], rounds=1, calls=2)
    sizes = result.data[small.backend.name]["sizes"]
    assert [entry["keys"] for entry in sizes] == [5, 300]
    assert sizes[0]["authenticate_ratio_to_smallest"]["median"] == 1
    assert_renders(result)


def test_request_methods_all_answer(small: Seeded) -> None:
    result = methods.run([small], rounds=1, calls=2)
    assert set(result.data[small.backend.name]["methods"]) == {
        "none (public twin)",
        "session cookie",
        "key: Bearer",
        "key: Basic",
        "key: X-Api-Key",
    }
    assert_renders(result)


def test_alternatives_compare_with_scrypt_and_werkzeug(small: Seeded) -> None:
    result = alternatives.run(small, scan_sizes=[1], rounds=1, our_calls=2)
    assert {"ours", "ours in memory", "scrypt x1", "werkzeug"} <= set(result.data)
    assert_renders(result)


def test_one_last_used_write_per_interval(small: Seeded) -> None:
    result = writes.run(small, requests=30, intervals=[3600])
    figures = result.data["3600s"]
    assert figures["last_used_updates"] == 1
    assert figures["other_writes"] == 0


def test_list_requests_run_the_same_few_statements_whatever_the_query(larger: Seeded) -> None:
    result = listing.run([larger], rounds=1, calls=1)
    queries = result.data[larger.backend.name]["queries"]
    assert set(queries) == set(listing.QUERIES)
    assert {figures["statements"] for figures in queries.values()} == {2}
    on_keys = {figures["page_statements_on_keys"] for figures in queries.values()}
    assert len(on_keys) == 1 and on_keys.pop() <= 3
    assert queries["first page"]["rows_matching"] == 40
    assert queries["filter active"]["rows_matching"] == 1


def test_all_keys_requests_run_the_same_few_statements_whatever_the_query(
    larger: Seeded,
) -> None:
    result = listing.run_all_keys([larger], rounds=1, calls=1)
    queries = result.data[larger.backend.name]["queries"]
    assert set(queries) == set(listing.ALL_QUERIES)
    # The rows with their owners, and the count: no statement per owner.
    assert {figures["statements"] for figures in queries.values()} == {2}
    assert queries["first page"]["rows_shown"] == 20
    assert queries["owner: the list user"]["rows_matching"] == 40
    unfiltered = {queries[name]["page_statements"] for name in ("first page", "page 5")}
    assert len(unfiltered) == 1


def test_profile_attributes_time_to_packages(small: Seeded, tmp_path: Path) -> None:
    result = profiling.run(small, calls=20, folder=tmp_path, stamp="test")
    assert "flask_secret_keys" in result.data["by_package"]
    assert Path(result.data["report_text"]).exists()


def test_command_writes_the_figures_of_every_backend_to_json(tmp_path: Path) -> None:
    on_postgres = bool(DATABASE_URL and DATABASE_URL.startswith("postgresql"))
    backends = {"sqlite", "postgresql"} if on_postgres else {"sqlite"}
    postgres = DATABASE_URL if on_postgres else ""
    argv = ["--quick", "--only", "writes", "--postgres", postgres, "--output", str(tmp_path)]
    assert main(argv) == 0
    [written] = tmp_path.glob("*-quick.json")
    results = json.loads(written.read_text(encoding="utf-8"))["results"]
    assert set(results) == {f"last_used_writes_{name}" for name in backends}
    for name in backends:
        assert results[f"last_used_writes_{name}"]["data"]["60s"]["last_used_updates"] == 1

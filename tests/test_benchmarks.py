"""What the benchmarks rest on; their figures are not checked here.

Checked are counts, not times (statements per list request and
``last_used_at`` writes per burst of requests are properties of the code),
the seeding the figures depend on, and the statistics pyperf does not do for
us: interleaved rounds, per-round ratios, and the durations handed to pyperf.
``python -m benchmarks --quick`` in CI shows that the suite runs.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path

import pyperf
import pytest
import sqlalchemy as sa

from benchmarks import listing, stats, writes
from benchmarks.environment import Backend, Seeded, seed
from example_app.models import db
from tests.helpers import DATABASE_URL


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


def test_rounds_rotate_the_order_of_the_cases() -> None:
    order: list[str] = []

    def case(name: str) -> stats.Batch:
        def batch() -> float:
            order.append(name)
            return 1.0

        return batch

    samples = stats.interleaved({name: case(name) for name in "abc"}, 3)
    assert order == [*"abc", *"bca", *"cab"]
    assert samples == {name: [1.0, 1.0, 1.0] for name in "abc"}


def test_ratios_are_taken_inside_each_round() -> None:
    # Round by round 2x, 2x and 4x: the median is 2x, where the ratio of the
    # medians (4 / 1) would say 4x.
    figure = stats.ratio([2.0, 4.0, 4.0], [1.0, 2.0, 1.0])
    assert figure == {"median": 2.0, "min": 2.0, "max": 4.0, "rounds": 3}


def test_durations_are_summarised_by_pyperf_and_saved_for_compare_to(tmp_path: Path) -> None:
    seconds = [3e-6, 1e-6, 2e-6, 6e-6]
    figure = stats.timing(seconds)
    assert figure["median"] == pytest.approx(2.5e-6)
    assert figure["mean"] == pytest.approx(3e-6)
    assert figure["stdev"] == pytest.approx(statistics.stdev(seconds))
    assert (figure["min"], figure["max"], figure["rounds"]) == (1e-6, 6e-6, 4)

    data = {"keys": {"sqlite": [{"seconds": figure, "ratio": stats.ratio([2.0], [1.0])}]}}
    suite = stats.suite(data)
    assert suite is not None
    suite.dump(str(tmp_path / "run.json"))
    [loaded] = pyperf.BenchmarkSuite.load(str(tmp_path / "run.json")).get_benchmarks()
    assert loaded.get_name() == "keys / sqlite / 0 / seconds"
    assert loaded.get_values() == tuple(seconds)
    assert stats.suite({"ratio": stats.ratio([2.0], [1.0])}) is None

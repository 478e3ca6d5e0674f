"""Many workers, one database: revocation and the last-used throttle hold across processes.

The workers are separate Python processes (``tests/worker.py``), each serving
the example app with werkzeug on its own 127.0.0.1 port, all on the test's
server database, so a test can send "the very next request" to each of them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from example_app.models import db
from tests.helpers import (
    DATABASE_URL,
    csrf_token_in,
    get_user,
    is_server_database,
    log_in_over_http,
    service_of,
)


def test_using_a_key_records_last_use_without_touching_updated_at(app: Flask) -> None:
    service = service_of(app)
    with app.app_context():
        key, token = service.create(get_user("admin@example.com"), "Key")
        key_id, updated_at = key.id, key.updated_at

    with app.app_context():
        assert service.authenticate(token) is not None

    with app.app_context():
        key = db.get_or_404(service.model, key_id)
        assert key.last_used_at is not None
        assert key.last_used_at - key.created_at < dt.timedelta(minutes=1)
        assert key.updated_at == updated_at


# Several app processes on one server database.

needs_server_database = pytest.mark.skipif(
    not is_server_database(),
    reason=(
        "worker processes share one server database: set TEST_DATABASE_URL to PostgreSQL or"
        f" MariaDB (now {DATABASE_URL or 'unset, SQLite'})"
    ),
)

WORKERS = 3
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Worker:
    process: subprocess.Popen[str]
    url: str

    def stats(self) -> dict[str, int]:
        return requests.get(f"{self.url}/_worker/stats", timeout=10).json()  # type: ignore[no-any-return]


@pytest.fixture
def start_workers(app: Flask) -> Iterator[Callable[..., list[Worker]]]:
    """Starts app processes on the test database; stops them afterwards."""
    started: list[Worker] = []

    def start(count: int = WORKERS, **config: Any) -> list[Worker]:
        env = {**os.environ, "WORKER_CONFIG": json.dumps(config), "PYTHONPATH": str(ROOT)}
        batch = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(count)
        ]
        workers = []
        for process in batch:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line.startswith("port "), f"worker did not start: {line!r}"
            workers.append(Worker(process, f"http://127.0.0.1:{line.split()[1]}"))
        started.extend(workers)
        return workers

    yield start
    for worker in started:
        worker.process.terminate()
    for worker in started:
        worker.process.wait(timeout=10)
        if worker.process.stdout is not None:
            worker.process.stdout.close()


def me(worker: Worker, token: str) -> int:
    return requests.get(f"{worker.url}/admin/api/me", auth=(token, ""), timeout=10).status_code


@pytest.mark.slow
@needs_server_database
def test_a_revoke_in_one_worker_is_honoured_by_every_worker_on_the_next_request(
    admin_token: str, start_workers: Callable[..., list[Worker]]
) -> None:
    workers = start_workers()
    assert [me(worker, admin_token) for worker in workers] == [200] * WORKERS
    assert len({worker.stats()["pid"] for worker in workers}) == WORKERS

    browser = log_in_over_http(workers[0].url)
    url = f"{workers[0].url}/settings/secret-api-keys/1/revoke"
    csrf = csrf_token_in(browser.get(url, timeout=10).text)
    revoked = browser.post(url, data={"csrf_token": csrf}, timeout=10)
    assert revoked.status_code == 200 and "Revoked" in revoked.text

    assert [me(worker, admin_token) for worker in workers] == [401] * WORKERS


@pytest.mark.slow
@pytest.mark.concurrency
@needs_server_database
def test_the_last_used_throttle_holds_across_workers(
    app: Flask, admin_token: str, start_workers: Callable[..., list[Worker]]
) -> None:
    workers = start_workers(SECRET_KEYS_LAST_USED_INTERVAL=3600)
    requests_per_wave = 10 * WORKERS

    def wave() -> list[int]:
        targets = [workers[i % WORKERS] for i in range(requests_per_wave)]
        with ThreadPoolExecutor(max_workers=requests_per_wave) as pool:
            return list(pool.map(lambda worker: me(worker, admin_token), targets))

    assert wave() == [200] * requests_per_wave
    first = last_used(app)
    assert first is not None
    assert sum(worker.stats()["last_used_rows"] for worker in workers) == 1

    assert wave() == [200] * requests_per_wave
    assert sum(worker.stats()["last_used_rows"] for worker in workers) == 1
    assert last_used(app) == first


def last_used(app: Flask) -> dt.datetime | None:
    service = service_of(app)
    with app.app_context():
        return db.get_or_404(service.model, 1).last_used_at


@pytest.mark.slow
@needs_server_database
def test_failed_attempts_are_counted_across_workers_with_redis(
    start_workers: Callable[..., list[Worker]], redis_storage: str
) -> None:
    workers = start_workers(
        SECRET_KEYS_RATE_LIMIT="4 per minute", SECRET_KEYS_RATE_LIMIT_STORAGE=redis_storage
    )
    bad = "sk_" + "A" * 49
    statuses = [me(workers[i % WORKERS], bad) for i in range(4)]
    blocked = [me(worker, bad) for worker in workers]

    assert statuses == [401] * 4
    assert blocked == [429] * WORKERS

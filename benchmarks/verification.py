"""Item 1: what verifying a key costs as the key table grows.

Times :meth:`KeyService.authenticate` and the full request loader
(:func:`flask_secret_keys.auth.authenticate_request`, which also parses the
header) on databases of different sizes, interleaved in the same rounds, and
reports each size's time as a ratio to the smallest.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from flask_secret_keys.auth import authenticate_request

from .environment import API_PATH, Seeded
from .report import Result
from .stats import Batch, interleaved, method, ratio, spread, thousands, times, timing


def authenticate_batch(seeded: Seeded, calls: int) -> Batch:
    """Seconds per ``authenticate(token)``, each in a fresh app context as a request has."""
    app, service, token = seeded.app, seeded.service(), seeded.token

    def batch() -> float:
        durations = []
        for _ in range(calls):
            with app.app_context():
                start = time.perf_counter()
                key = service.authenticate(token)
                durations.append(time.perf_counter() - start)
                assert key is not None
        return statistics.median(durations)

    return batch


def loader_batch(seeded: Seeded, calls: int) -> Batch:
    """Seconds per request-loader call on a request that carries the key as a Bearer token."""
    app = seeded.app
    headers = {"Authorization": f"Bearer {seeded.token}"}

    def batch() -> float:
        durations = []
        for _ in range(calls):
            with app.test_request_context(API_PATH, headers=headers):
                start = time.perf_counter()
                key = authenticate_request()
                durations.append(time.perf_counter() - start)
                assert key is not None
        return statistics.median(durations)

    return batch


def run(databases: Sequence[Seeded], rounds: int, calls: int) -> Result:
    """Compare every size of each backend in ``databases`` with that backend's smallest."""
    result = Result(
        name="verification_vs_keys",
        title="1. Verification cost vs number of keys",
        header=("backend", "keys", "authenticate()", "ratio", "request loader", "ratio"),
    )
    backends = dict.fromkeys(seeded.backend.name for seeded in databases)
    for backend in backends:
        group = sorted((s for s in databases if s.backend.name == backend), key=lambda s: s.size)
        cases: dict[str, Batch] = {}
        for seeded in group:
            cases[f"authenticate/{seeded.size}"] = authenticate_batch(seeded, calls)
            cases[f"loader/{seeded.size}"] = loader_batch(seeded, calls)
        samples = interleaved(cases, rounds)
        smallest = group[0].size
        figures = []
        for seeded in group:
            auth = samples[f"authenticate/{seeded.size}"]
            loader = samples[f"loader/{seeded.size}"]
            auth_ratio = ratio(auth, samples[f"authenticate/{smallest}"])
            loader_ratio = ratio(loader, samples[f"loader/{smallest}"])
            figures.append(
                {
                    "keys": seeded.size,
                    "seed_seconds": seeded.seed_seconds,
                    "authenticate_seconds": timing(auth),
                    "loader_seconds": timing(loader),
                    "authenticate_ratio_to_smallest": auth_ratio,
                    "loader_ratio_to_smallest": loader_ratio,
                }
            )
            result.rows.append(
                (
                    backend,
                    thousands(seeded.size),
                    spread(timing(auth)),
                    times(auth_ratio["median"]),
                    spread(timing(loader)),
                    times(loader_ratio["median"]),
                )
            )
        result.data[backend] = {"calls_per_round": calls, "sizes": figures}
    result.notes.append(
        method(rounds, calls) + "; ratio = time / time with the fewest keys, per round"
    )
    return result

"""``python -m benchmarks [--quick] [--postgres URL] [--only NAME ...]``.

Runs the benchmarks, prints a table per benchmark and writes every figure to
``benchmarks/results/<UTC time>-<mode>.json``, and every duration's per-round
values to ``<UTC time>-<mode>.pyperf.json`` too, so that two runs compare with
``python -m pyperf compare_to``. ``--quick`` uses small sizes
and few rounds, to check in under a minute that the suite still works; its
figures are not meant to be quoted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import alternatives, listing, methods, throughput, verification, writes
from .environment import Backend, Seeded, seed
from .report import Result, machine, render, save
from .stats import suite

RESULTS = Path(__file__).resolve().parent / "results"
NAMES = ("keys", "methods", "alternatives", "writes", "listing", "throughput")


@dataclass(frozen=True)
class Plan:
    """How big and how long each benchmark runs."""

    sizes: tuple[int, ...]
    list_keys: int
    rounds: int
    calls: int
    scan_sizes: tuple[int, ...]
    scan_rounds: int
    write_requests: int
    write_intervals: tuple[float, ...]
    list_calls: int
    load_seconds: int
    load_rounds: int


FULL = Plan(
    sizes=(10, 10_000, 1_000_000),
    list_keys=1_000,
    rounds=7,
    calls=1_000,
    scan_sizes=(1, 2, 5, 10),
    scan_rounds=5,
    write_requests=10_000,
    write_intervals=(60, 1),
    list_calls=50,
    load_seconds=8,
    load_rounds=5,
)
QUICK = Plan(
    sizes=(10, 10_000),
    list_keys=100,
    rounds=3,
    calls=150,
    scan_sizes=(1, 2),
    scan_rounds=3,
    write_requests=1_000,
    write_intervals=(60, 0.2),
    list_calls=10,
    load_seconds=2,
    load_rounds=1,
)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, few rounds: checks the suite works"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="a PostgreSQL database to borrow (schemas bench_* are made and dropped);"
        " default $BENCH_POSTGRES_URL; skipped when unset or unreachable",
    )
    parser.add_argument(
        "--only", nargs="+", choices=NAMES, metavar="NAME", help=f"run only these: {NAMES}"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where JSON is written")
    return parser.parse_args(argv)


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    plan = QUICK if args.quick else FULL
    wanted = set(args.only or NAMES)
    started = time.monotonic()
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "-full")
    notes: list[str] = []

    backends = [Backend.sqlite()]
    if args.postgres:
        try:
            backends.append(Backend.postgresql(args.postgres))
        except Exception as error:
            notes.append(f"PostgreSQL skipped: cannot connect ({type(error).__name__})")
    else:
        notes.append("PostgreSQL skipped: pass --postgres URL or set BENCH_POSTGRES_URL")
    for note in notes:
        print(f"note: {note}")

    results: list[Result] = []
    failed: list[str] = []
    try:
        versions = {backend.name: backend.server_version() for backend in backends}
        needs_large = wanted & {"keys", "listing"}
        sizes = plan.sizes if needs_large else plan.sizes[:1]
        databases: dict[str, list[Seeded]] = {}
        for backend in backends:
            databases[backend.name] = []
            for size in sizes:
                _progress(f"seeding {size:,} keys on {backend.name}")
                seeded = seed(backend, size, plan.list_keys)
                _progress(f"seeded in {seeded.seed_seconds:.1f} s")
                databases[backend.name].append(seeded)
        smallest = [group[0] for group in databases.values()]
        largest = [group[-1] for group in databases.values()]

        steps: list[tuple[str, Callable[[], Result | list[Result]]]] = [
            (
                "keys",
                lambda: verification.run(
                    [s for group in databases.values() for s in group], plan.rounds, plan.calls
                ),
            ),
            ("methods", lambda: methods.run(smallest, plan.rounds, plan.calls)),
            (
                "alternatives",
                lambda: alternatives.run(
                    smallest[0], plan.scan_sizes, plan.scan_rounds, plan.calls
                ),
            ),
            (
                "writes",
                lambda: [
                    writes.run(s, plan.write_requests, plan.write_intervals) for s in smallest
                ],
            ),
            (
                "listing",
                lambda: [
                    listing.run(largest, plan.rounds, plan.list_calls),
                    # Fewer calls: unfiltered pages of every key count the whole table.
                    listing.run_all_keys(largest, plan.rounds, max(1, plan.list_calls // 10)),
                ],
            ),
            ("throughput", lambda: _throughput(databases, plan)),
        ]
        for name, step in steps:
            if name not in wanted:
                continue
            _progress(f"running {name}")
            try:
                outcome = step()
            except Exception as error:
                # One broken benchmark must not lose the figures of the others.
                traceback.print_exc()
                failed.append(name)
                outcome = Result(name=name, title=name, header=(), notes=[f"failed: {error!r}"])
            for result in outcome if isinstance(outcome, list) else [outcome]:
                results.append(result)
                print()
                print(render(result), flush=True)
    finally:
        for backend in backends:
            backend.close()

    meta = {
        "date": now.isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks", *(argv or sys.argv[1:])]),
        "mode": "quick" if args.quick else "full",
        "plan": plan.__dict__,
        "machine": machine(),
        "databases": versions,
        "notes": notes,
        "failed": failed,
        "seconds": time.monotonic() - started,
    }
    path = save(args.output, stamp, meta, results)
    print(f"figures written to {path} ({meta['seconds']:.0f} s)")
    durations = suite({result.name: result.data for result in results})
    if durations is not None:
        pyperf_path = path.with_suffix(".pyperf.json")
        durations.dump(str(pyperf_path), replace=True)
        print(f"durations written to {pyperf_path} (python -m pyperf compare_to OLD NEW)")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _throughput(databases: dict[str, list[Seeded]], plan: Plan) -> Result:
    result = Result(
        name="throughput",
        title="6. Throughput: gunicorn with 2 workers, wrk",
        header=(),
    )
    if "postgresql" not in databases:
        result.notes.append("skipped: needs PostgreSQL (--postgres URL)")
        return result
    missing = throughput.missing_tools()
    if missing:
        result.notes.append(f"skipped: missing {', '.join(missing)}")
        return result
    return throughput.run(databases["postgresql"][0], plan.load_seconds, plan.load_rounds)


if __name__ == "__main__":
    sys.exit(main())

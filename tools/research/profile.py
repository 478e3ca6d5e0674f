"""Where the time of a key-authenticated request goes.

``python -m tools.research.profile [--calls N] [--postgres URL]`` profiles
Bearer requests to ``GET /admin/api/me`` through the test client with
pyinstrument (``pip install --group research``), saves the full report (HTML
and text) in ``benchmarks/results/``, and prints the sampled time summed by the
package the code belongs to.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.environment import API_PATH, Backend, Seeded, seed
from benchmarks.report import Result, render

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"

#: Sampling period, fine enough for a request of a few hundred microseconds.
INTERVAL = 0.0001
_INSTALLED = re.compile(r"(?:site|dist)-packages/([A-Za-z0-9_]+)")
_STDLIB = re.compile(r"lib/python3\.\d+/([A-Za-z0-9_]+)")


def _package(path: str | None, caller: str) -> str:
    """The top-level package a source file belongs to.

    Built-in functions and pyinstrument's ``[self]`` entries have no file of
    their own: their time counts for the package that called them.
    """
    if not path or path.startswith("<"):
        return caller
    if "/flask_secret_keys/" in path:
        return "flask_secret_keys"
    if "/example_app/" in path:
        return "example_app"
    if "/benchmarks/" in path:
        return "benchmarks"
    match = _INSTALLED.search(path) or _STDLIB.search(path)
    return match.group(1) if match else "(other)"


def _self_times(frame: Any, caller: str, totals: Counter[str]) -> None:
    package = _package(frame.file_path, caller)
    totals[package] += frame.time - sum(child.time for child in frame.children)
    for child in frame.children:
        _self_times(child, package, totals)


def run(seeded: Seeded, calls: int, folder: Path, stamp: str) -> Result:
    """Profile ``calls`` key requests; report the share of time by package."""
    from pyinstrument import Profiler

    result = Result(
        name=f"profile_{seeded.backend.name}",
        title=f"Profile of {calls} key requests on {seeded.backend.name} (pyinstrument)",
        header=("package", "share of request time", "per request, profiler on"),
    )
    client = seeded.app.test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {seeded.token}"}
    for _ in range(50):
        client.get(API_PATH, headers=headers)
    profiler = Profiler(interval=INTERVAL)
    profiler.start()
    for _ in range(calls):
        response = client.get(API_PATH, headers=headers)
        assert response.status_code == 200, response.status_code
    session = profiler.stop()
    root = session.root_frame()
    assert root is not None
    totals: Counter[str] = Counter()
    _self_times(root, "(other)", totals)
    total = sum(totals.values())
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"{stamp}-profile-{seeded.backend.name}.html"
    text = folder / f"{stamp}-profile-{seeded.backend.name}.txt"
    html.write_text(profiler.output_html(), encoding="utf-8")
    text.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    shares = {}
    for package, seconds in totals.most_common():
        shares[package] = {"seconds": seconds, "share": seconds / total}
        if seconds / total >= 0.01:
            result.rows.append(
                (package, f"{seconds / total:.0%}", f"{seconds / calls * 1e6:.0f} µs")
            )
    result.data = {
        "calls": calls,
        "backend": seeded.backend.name,
        "sampled_seconds": total,
        "seconds_per_request": total / calls,
        "by_package": shares,
        "report_html": str(html),
        "report_text": str(text),
    }
    result.notes.append(f"full report: {text}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.research.profile", description=__doc__)
    parser.add_argument("--calls", type=int, default=3_000, help="key requests to profile")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="also profile on this PostgreSQL database (default $BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    backends = [Backend.sqlite()]
    if args.postgres:
        backends.append(Backend.postgresql(args.postgres))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        for backend in backends:
            print(render(run(seed(backend, 10, 1), args.calls, RESULTS, stamp)), flush=True)
    finally:
        for backend in backends:
            backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

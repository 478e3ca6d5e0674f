"""Before/after: the key-auth path of this working tree against an earlier revision.

``python -m tools.research.compare REV [--pairs N] [--postgres URL]`` checks REV
out into a temporary git worktree, then runs the same probe alternately
against REV's package and this tree's, in fresh processes, ``N`` times each.
Each probe times ``authenticate()`` and requests by key, by session and
without auth; the after/before ratios are taken per pair, so that a change in
the machine's load between pairs cancels out. The worktree is removed at the
end.

The before and after durations are also written as two pyperf files, and
pyperf's ``compare_to`` says which changes are significant; the per-pair
ratio is ours, since pyperf compares the two sets of values, not the pairs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_TREE = Path(__file__).resolve().parents[2]
RESULTS = _TREE / "benchmarks" / "results"


def _probe(tree: str, postgres: str | None, calls: int) -> dict[str, float]:
    """Seconds per operation with the package of ``tree`` (run in a fresh process)."""
    sys.path.insert(0, tree)
    import example_app
    import flask_secret_keys

    for module in (example_app, flask_secret_keys):
        assert str(module.__file__).startswith(tree), module.__file__
    sys.path.remove(tree)

    from benchmarks import methods, verification
    from benchmarks.environment import Backend, seed
    from benchmarks.stats import interleaved

    backend = Backend.postgresql(postgres) if postgres else Backend.sqlite()
    try:
        seeded = seed(backend, 10, 1)
        cases = {"authenticate()": verification.authenticate_batch(seeded, calls)}
        for name, batch in methods.cases(seeded, calls).items():
            if name in ("none (public twin)", "session cookie", "key: Bearer"):
                cases[f"request, {name}"] = batch
        samples = interleaved(cases, 3)
    finally:
        backend.close()
    return {name: sorted(values)[1] for name, values in samples.items()}


def _run_probe(tree: Path, postgres: str | None, calls: int) -> dict[str, float]:
    command = [sys.executable, "-m", "tools.research.compare", "--probe", str(tree)]
    command += ["--calls", str(calls)]
    if postgres:
        command += ["--postgres", postgres]
    output = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, cwd=_TREE, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.research.compare", description=__doc__)
    parser.add_argument("revision", nargs="?", help="the git revision to compare against")
    parser.add_argument("--pairs", type=int, default=5, help="before/after runs to alternate")
    parser.add_argument("--calls", type=int, default=1000, help="operations per timed batch")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL instead of SQLite")
    parser.add_argument("--probe", metavar="TREE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(_probe(args.probe, args.postgres, args.calls)))
        return 0
    if not args.revision:
        parser.error("give a revision to compare against, e.g. HEAD~1")

    folder = tempfile.mkdtemp(prefix="flask-secret-keys-before-")
    subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", "worktree", "add", "--detach", folder, args.revision],  # noqa: S607
        cwd=_TREE,
        check=True,
        capture_output=True,
    )
    before: list[dict[str, float]] = []
    after: list[dict[str, float]] = []
    try:
        for pair in range(args.pairs):
            runs = [(before, Path(folder)), (after, _TREE)]
            for results, tree in runs if pair % 2 == 0 else runs[::-1]:
                results.append(_run_probe(tree, args.postgres, args.calls))
            print(f"... pair {pair + 1}/{args.pairs} done", file=sys.stderr, flush=True)
    finally:
        subprocess.run(  # noqa: S603 - git with fixed arguments
            ["git", "worktree", "remove", "--force", folder],  # noqa: S607
            cwd=_TREE,
            check=False,
            capture_output=True,
        )
    table, figures = _table(args.revision, before, after, args.postgres)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}-compare.json"
    payload = {"revision": args.revision, "postgres": bool(args.postgres), "figures": figures}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures written to {path}")
    print(_significance(figures, RESULTS / f"{stamp}-compare"))
    return 0


def _significance(figures: dict[str, Any], prefix: Path) -> str:
    """pyperf's comparison of the before and after durations, with its significance test."""
    from benchmarks.stats import suite

    files = []
    for side in ("before", "after"):
        durations = suite({name: figure[side] for name, figure in figures.items()})
        assert durations is not None
        file = prefix.with_name(f"{prefix.name}-{side}.pyperf.json")
        durations.dump(str(file), replace=True)
        files.append(str(file))
    return subprocess.run(  # noqa: S603 - our own interpreter and pyperf
        [sys.executable, "-m", "pyperf", "compare_to", *files],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _table(
    revision: str,
    before: list[dict[str, float]],
    after: list[dict[str, float]],
    postgres: str | None,
) -> tuple[str, dict[str, Any]]:
    from benchmarks.stats import micro, summary, times, timing

    rows: list[tuple[str, ...]] = []
    figures: dict[str, Any] = {}
    for name in before[0]:
        b = timing([run[name] for run in before])
        a = timing([run[name] for run in after])
        change = summary([x[name] / y[name] for x, y in zip(after, before, strict=True)])
        figures[name] = {"before": b, "after": a, "after_over_before": change}
        rows.append(
            (
                name,
                micro(b["median"]),
                micro(a["median"]),
                f"{times(change['median'])} [{change['min']:.2f}–{change['max']:.2f}]",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = f"{'operation':<{widths[0]}}  before ({revision})  after (this tree)  after/before\n"
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:<{len(revision) + 9}}  {row[2]:<17}  {row[3]}"
        for row in rows
    ]
    backend = "postgresql" if postgres else "sqlite"
    note = f"\nmedian over {len(before)} alternating pairs on {backend}; ratio [min–max] per pair"
    return header + "\n".join(lines) + note, figures


if __name__ == "__main__":
    sys.exit(main())

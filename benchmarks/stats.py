"""Timing and summaries: durations summarised by pyperf; rounds and ratios our own.

The machine a benchmark runs on is shared and noisy, so every figure is taken
over several rounds, every round measures all the cases it compares one after
the other, and comparisons are ratios taken inside each round.

pyperf summarises the durations (median, mean ± standard deviation, min and
max) and stores them as pyperf JSON, so two runs compare with
``python -m pyperf compare_to``, which says whether a change is significant.
What pyperf has no part for stays here: rounds that interleave the cases in
one process, the ratio of two cases inside each round, and summaries of
figures that are not durations (ratios, requests per second, differences).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyperf

#: A batch of work that returns the seconds one operation took: the median of
#: its operations, which a burst of activity elsewhere on the machine moves
#: far less than it moves the mean.
Batch = Callable[[], float]


def benchmark(name: str, seconds: Sequence[float]) -> pyperf.Benchmark:
    """Durations, one per round, as a pyperf benchmark of one run."""
    run = pyperf.Run(
        list(seconds), metadata={"name": name, "unit": "second"}, collect_metadata=False
    )
    return pyperf.Benchmark([run])


def timing(seconds: Sequence[float]) -> dict[str, Any]:
    """Durations, one per round, summarised by pyperf; the values are kept for
    :func:`suite`."""
    bench = benchmark("timing", seconds)
    values = bench.get_values()
    return {
        "median": bench.median(),
        "mean": bench.mean(),
        "stdev": bench.stdev() if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "rounds": len(values),
        "unit": "second",
        "values": list(values),
    }


def summary(samples: Sequence[float]) -> dict[str, Any]:
    """Median, minimum and maximum of figures pyperf has no unit for (ratios,
    rates, differences), and how many there were."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "rounds": len(samples),
    }


def suite(figures: dict[str, Any]) -> pyperf.BenchmarkSuite | None:
    """Every :func:`timing` inside ``figures`` as one pyperf suite, each named by
    its path (``keys / sqlite / sizes / 0 / authenticate_seconds``), or None."""
    found = [benchmark(name, values) for name, values in _timings(figures, ())]
    return pyperf.BenchmarkSuite(found) if found else None


def _timings(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, list[float]]]:
    if isinstance(value, dict):
        if value.get("unit") == "second" and "values" in value:
            yield " / ".join(path), value["values"]
            return
        for key, item in value.items():
            yield from _timings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _timings(item, (*path, str(index)))


def interleaved(cases: dict[str, Batch], rounds: int) -> dict[str, list[float]]:
    """Run each case once per round, rotating their order; per-round results by case.

    Rotating the order keeps a case from always running first (cold caches) or
    always after the same neighbour.
    """
    names = list(cases)
    results: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(cases[name]())
    return results


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> dict[str, Any]:
    """The per-round ratio ``numerator / denominator``, summarised."""
    return summary([a / b for a, b in zip(numerator, denominator, strict=True)])


def per_call(function: Callable[[], object], count: int) -> float:
    """Seconds per call of ``function``: the median of ``count`` back-to-back calls."""
    durations = []
    for _ in range(count):
        start = time.perf_counter()
        function()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def method(rounds: int, calls: int, what: str = "calls") -> str:
    """How a figure was taken, for a table's notes."""
    return (
        f"each round: median of {calls} {what}; shown: median [min–max] over {rounds} rounds"
        " (pyperf's median, mean and standard deviation are in the JSON)"
    )


def micro(seconds: float) -> str:
    """A duration in the unit that reads best."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= 1e-5:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1e6:.1f} µs"


def spread(stat: dict[str, Any], unit: Callable[[float], str] = micro) -> str:
    """``median [min-max]`` of a summary, in ``unit``."""
    return f"{unit(stat['median'])} [{unit(stat['min'])}–{unit(stat['max'])}]"


def thousands(number: int) -> str:
    """``1 000 000``: digits grouped by a space, as the tables print counts."""
    return f"{number:,}".replace(",", " ")


def times(value: float) -> str:
    """A ratio, as ``1.02x`` or ``23 000x`` (with a multiplication sign)."""
    if value >= 100:
        return f"{thousands(round(value))}×"
    return f"{value:.2f}×"

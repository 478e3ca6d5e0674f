"""What a benchmark returns, and how results are printed and saved."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass
class Result:
    """One benchmark's outcome: a table for people and the figures for machines.

    :ivar name: short identifier, the key in the JSON file.
    :ivar title: what was measured, in a line.
    :ivar header: the table's column names.
    :ivar rows: the table's rows, already formatted.
    :ivar data: the raw figures (seconds, counts, ratios) for the JSON file.
    :ivar notes: what was skipped and why, or what a figure means.
    """

    name: str
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def render(result: Result) -> str:
    """The result as a plain-text table with its notes."""
    lines = [result.title, "=" * len(result.title)]
    if result.rows:
        widths = [
            max(len(cell) for cell in column)
            for column in zip(result.header, *result.rows, strict=True)
        ]
        for i, row in enumerate([result.header, *result.rows]):
            lines.append(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            )
            if i == 0:
                lines.append("  ".join("-" * width for width in widths))
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines).rstrip() + "\n"


def machine() -> dict[str, Any]:
    """The machine and software the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in ("flask", "werkzeug", "sqlalchemy", "flask-sqlalchemy", "psycopg", "gunicorn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions,
    }


def save(folder: Path, stamp: str, meta: dict[str, Any], results: list[Result]) -> Path:
    """Write the run as ``<folder>/<stamp>.json`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stamp}.json"
    payload = {"meta": meta, "results": {result.name: asdict(result) for result in results}}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

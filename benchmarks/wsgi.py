"""The benchmark app for a real WSGI server: ``gunicorn 'benchmarks.wsgi:create()'``.

Reads the database from ``BENCH_DATABASE_URL`` and the engine options (JSON)
from ``BENCH_ENGINE_OPTIONS``, as set by :mod:`benchmarks.throughput`.
"""

from __future__ import annotations

import json
import os

from flask import Flask

from .environment import bench_app


def create() -> Flask:
    """The example app with the public twin endpoint, on the benchmark's database."""
    options = json.loads(os.environ.get("BENCH_ENGINE_OPTIONS", "{}"))
    return bench_app(os.environ["BENCH_DATABASE_URL"], options)

"""Reproducible measurements of flask-secret-keys: run ``python -m benchmarks``.

Not tests: nothing here asserts a time. See ``docs/benchmarks.md`` for what
each benchmark measures and the figures of a full run.
"""

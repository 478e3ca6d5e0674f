"""Real services for tests: a WSGI server that stops quickly, and Redis.

``fast_server`` is like the ``live_server`` fixture, but polls for shutdown
every 50 ms so that suites which start a server per test stay fast.
``redis_storage`` is the Redis that shared rate-limit counters live in
(``TEST_REDIS_URL``, by default database 5 on 127.0.0.1:6379).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from flask_secret_keys.ratelimit import NAMESPACE

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def fast_server(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_storage() -> Iterator[str]:
    """The Redis URL for shared counters, cleared of this extension's counters before and after.

    Skipped when Redis is unreachable, except under CI, where it must run.
    """
    import redis

    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    connection = redis.Redis.from_url(REDIS_URL)

    def clear() -> None:
        for name in connection.scan_iter(f"*{NAMESPACE}*"):
            connection.delete(name)

    clear()
    yield REDIS_URL
    clear()
    connection.close()

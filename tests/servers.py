"""A real threaded WSGI server on 127.0.0.1 that shuts down quickly.

Like the ``live_server`` fixture, but polling for shutdown every 50 ms so that
suites which start a server per test stay fast.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server


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

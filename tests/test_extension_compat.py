"""The private APIs of other libraries that ``flask_secret_keys._compat`` relies on.

Each test fails when the library stops behaving as ``_compat`` assumes, so an
upgrade that breaks key authentication shows here first, by name.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect

from flask_secret_keys import _compat


def test_flask_login_reads_the_request_user_from_g() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    LoginManager(app)
    user = object()

    with app.test_request_context():
        _compat.set_login_user(user)
        assert current_user._get_current_object() is user
        assert g._login_user is user


def test_the_first_hook_runs_before_hooks_registered_earlier_and_later() -> None:
    app = Flask(__name__)
    order: list[str] = []
    app.before_request(lambda: order.append("earlier"))
    _compat.run_first(app, lambda: order.append("ours"))
    app.before_request(lambda: order.append("later"))

    @app.get("/")
    def index() -> str:
        return "ok"

    app.test_client().get("/")

    assert order == ["ours", "earlier", "later"]


@pytest.mark.parametrize("csrf_first", [True, False], ids=["csrf before", "csrf after"])
def test_csrfprotect_checks_through_the_wrapped_protect(csrf_first: bool) -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    exempt = {"now": False}
    if csrf_first:
        CSRFProtect(app)
        _compat.exempt_from_csrf(app, lambda: exempt["now"])
    else:
        _compat.exempt_from_csrf(app, lambda: exempt["now"])  # no CSRFProtect yet: a no-op
        CSRFProtect(app)
        _compat.exempt_from_csrf(app, lambda: exempt["now"])

    @app.post("/form")
    def form() -> str:
        return "posted"

    client = app.test_client()
    assert client.post("/form").status_code == 400
    exempt["now"] = True
    assert client.post("/form").status_code == 200


def test_wrapping_csrfprotect_twice_wraps_it_once() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    csrf = CSRFProtect(app)
    calls: list[Any] = []

    def is_exempt() -> bool:
        calls.append(1)
        return False

    _compat.exempt_from_csrf(app, is_exempt)
    _compat.exempt_from_csrf(app, is_exempt)

    @app.post("/form")
    def form() -> str:
        return "posted"

    app.test_client().post("/form")
    assert len(calls) == 1
    assert csrf.protect.__wrapped__ is not None

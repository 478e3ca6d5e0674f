"""The private APIs of other libraries that ``flask_secret_keys._compat`` relies on.

Each test fails when the library stops behaving as ``_compat`` assumes, so an
upgrade that breaks key authentication shows here first, by name.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf

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


def test_flask_login_keeps_a_session_user_id_and_not_a_request_loader_one() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    app.config["REMEMBER_COOKIE_DURATION"] = 60
    login_manager = LoginManager(app)
    user = UserMixin()
    user.id = "7"
    login_manager.user_loader(lambda user_id: user if user_id == "7" else None)
    login_manager.request_loader(lambda request: user if request.headers.get("X-T") else None)

    @app.post("/login")
    def log_in() -> str:
        login_user(user, remember=True)
        return "in"

    @app.get("/")
    def index() -> str:
        return f"{current_user.is_authenticated} {_compat.user_from_session()}"

    assert app.test_client().get("/", headers={"X-T": "1"}).text == "True False"
    by_session = app.test_client()
    by_session.post("/login")
    assert by_session.get("/").text == "True True"
    by_remember_cookie = app.test_client()
    remember = by_session.get_cookie("remember_token")
    assert remember is not None
    by_remember_cookie.set_cookie("remember_token", remember.value)
    assert by_remember_cookie.get("/").text == "True True"


def test_csrfprotect_marks_a_request_it_passed() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    CSRFProtect(app)

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return f"{generate_csrf()} {_compat.csrf_checked()}"

    client = app.test_client()
    token, checked = client.get("/").text.split()
    assert checked == "False"
    assert client.post("/", headers={"X-CSRFToken": token}).text.split()[1] == "True"

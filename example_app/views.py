"""The example host's own pages: log in, log out, a dashboard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import Forbidden, NotFound
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from flask_secret_keys import AdminRequired, InsufficientScope, NetworkNotAllowed

from .models import User, db

bp = Blueprint("host", __name__)


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    r"""``?next=`` if it is a path on this site, else the dashboard.

    Browsers drop tabs and newlines from URLs, trim spaces and control
    characters, and read a backslash as a slash, so ``/\t/evil.example`` and
    ``/\evil.example`` lead off-site like ``//evil.example`` and
    ``///evil.example`` do: a target holding any of them is refused rather
    than cleaned.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(char <= " " or char in "\\\x7f" for char in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("host.index")


def log_in(template: str) -> Any:
    """The login form: on success log the user in and go on, else show ``template``."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.execute(
            sa.select(User).where(User.email == form.email.data.strip().lower())
        ).scalar_one_or_none()
        if user is not None and user.is_active and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "Wrong email or password."
    return render_template(template, form=form, error=error), 200 if error is None else 401


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    return log_in("login.html")


@bp.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    return redirect(url_for("host.login"))


@bp.get("/")
@login_required
def index() -> Any:
    return render_template("index.html")


@bp.app_errorhandler(Forbidden)
@bp.app_errorhandler(NotFound)
def error_page(error: Forbidden | NotFound) -> Any:
    """Forbidden and missing pages in the admin layout; Admin API errors stay JSON."""
    if isinstance(error, (AdminRequired, InsufficientScope, NetworkNotAllowed)):
        return error
    return render_template("error.html", error=error), error.code

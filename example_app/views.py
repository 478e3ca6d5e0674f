"""The example host's own pages: log in, log out, a dashboard."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import Forbidden, NotFound
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from flask_secret_keys import AdminRequired

from .models import User, db

bp = Blueprint("host", __name__)


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so ?next= cannot send a user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("host.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
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
    return render_template("login.html", form=form, error=error), 200 if error is None else 401


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
    if isinstance(error, AdminRequired):
        return error
    return render_template("error.html", error=error), error.code

"""The example store admin as a Flask-Admin 2 panel, with Settings → Secret API Keys in its menu.

Run it with ``flask --app example_app.flask_admin_host run`` (after
``pip install -e '.[admin]'``) and log in at
``/login`` with the demo users of ``example_app`` (admin@example.com / admin,
ops@example.com / ops, viewer@example.com / viewer). It shares their model,
extension objects and Admin API; its own SQLite database is
``instance/flask_admin_host.db`` unless ``DATABASE_URL`` says otherwise.

What mounting takes, beyond ``secret_keys.init_app(app)``: two settings that
put the pages in Flask-Admin's layout, and one view in the Admin menu.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, redirect, render_template, request, send_file, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import Forbidden, NotFound

from flask_secret_keys.contrib.flask_admin import SecretKeysView

from . import HTMX_FILE, _secret_key, api
from .extensions import csrf, htmx, login_manager, secret_keys
from .models import User, create_demo_users, db
from .views import LoginForm, _safe_next

bp = Blueprint("host", __name__)


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
    status = 200 if error is None else 401
    return render_template("flask_admin_host/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    return redirect(url_for("host.login"))


@bp.get("/")
def index() -> Any:
    return redirect(url_for("admin.index"))


@bp.app_errorhandler(Forbidden)
@bp.app_errorhandler(NotFound)
def error_page(error: Forbidden | NotFound) -> Any:
    """Refusals of the Secret API Keys pages in the panel's layout; others as they come.

    Only those pages have the Flask-Admin context (``SecretKeysView`` gives
    it to them); the Admin API keeps its JSON errors.
    """
    if request.blueprint != "secret_keys":
        return error
    return render_template("flask_admin_host/error.html", error=error), error.code


class HomeView(AdminIndexView):  # type: ignore[misc]
    """The panel's home page, for logged-in users."""

    @expose("/")  # type: ignore[untyped-decorator]
    def index(self) -> Any:
        return self.render("flask_admin_host/home.html")

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("host.login", next=request.full_path.rstrip("?")))


class UserView(ModelView):  # type: ignore[misc]
    """A read-only list of users, as a store admin would have."""

    can_create = can_edit = can_delete = False
    column_list = ("email", "name", "is_admin", "active")

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_admin)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("host.login", next=request.full_path.rstrip("?")))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///flask_admin_host.db"),
        # The pages in Flask-Admin's layout, under the panel's URL.
        SECRET_KEYS_BASE_TEMPLATE="secret_keys/flask_admin.html",
        SECRET_KEYS_CONTENT_BLOCK="body",
        SECRET_KEYS_URL_PREFIX="/admin/settings/secret-api-keys",
    )
    if HTMX_FILE.exists():
        app.config["SECRET_KEYS_HTMX_URL"] = "/vendor/htmx.min.js"
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    secret_keys.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(bp)

    admin = Admin(
        app,
        name="Example Store Admin",
        index_view=HomeView(name="Home"),
        theme=Bootstrap4Theme(base_template="flask_admin_host/base.html"),
    )
    admin.add_view(UserView(User, db, name="Users", category="Store"))
    admin.add_view(SecretKeysView(category="Settings"))

    if HTMX_FILE.exists():

        @app.get("/vendor/htmx.min.js")
        def htmx_js() -> Any:
            return send_file(HTMX_FILE, mimetype="text/javascript", max_age=3600)

    with app.app_context():
        db.create_all()
        create_demo_users(app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
    return app

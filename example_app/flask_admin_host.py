"""The example store admin as a Flask-Admin 2 panel, with Settings → Secret API Keys in its menu.

Run it with ``flask --app example_app.flask_admin_host run`` (after
``pip install -e '.[admin]'``) and log in at
``/login`` with the demo users of ``example_app`` (admin@example.com / admin,
ops@example.com / ops, viewer@example.com / viewer). It shares their model,
extension objects and Admin API; its own SQLite database is
``instance/flask_admin_host.db`` unless ``DATABASE_URL`` says otherwise.

What mounting takes, beyond ``secret_keys.init_app(app)``: two settings that
put the pages in Flask-Admin's layout, and one view in the Admin menu. With
Flask-Babel installed, the panel follows the browser's language, and the key
pages with it.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user, login_required, logout_user
from werkzeug.exceptions import Forbidden, NotFound

from flask_secret_keys.contrib.flask_admin import SecretKeysView

try:
    from flask_babel import Babel
except ImportError:  # optional: Flask-Admin and the key pages work in English without it
    Babel = None

from . import setup_host
from .models import User, db
from .views import log_in

bp = Blueprint("host", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    return log_in("flask_admin_host/login.html")


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


#: The languages the panel offers, by the browser's preference.
LANGUAGES = ["en", "de", "fr", "es", "pt_BR", "ja"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    setup_host(
        app,
        config,
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///flask_admin_host.db"),
        # The pages in Flask-Admin's layout, under the panel's URL.
        SECRET_KEYS_BASE_TEMPLATE="secret_keys/flask_admin.html",
        SECRET_KEYS_CONTENT_BLOCK="body",
        SECRET_KEYS_URL_PREFIX="/admin/settings/secret-api-keys",
    )
    app.register_blueprint(bp)
    if Babel is not None:
        # Flask-Admin translates with Flask-Babel whenever it is installed, and then
        # needs it set up; the key pages follow the locale it selects.
        Babel(app, locale_selector=lambda: request.accept_languages.best_match(LANGUAGES))

    admin = Admin(
        app,
        name="Example Store Admin",
        index_view=HomeView(name="Home"),
        theme=Bootstrap4Theme(base_template="flask_admin_host/base.html"),
    )
    admin.add_view(UserView(User, db, name="Users", category="Store"))
    admin.add_view(SecretKeysView(category="Settings"))

    return app

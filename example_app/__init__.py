"""An example admin panel that mounts flask-secret-keys.

Run it with ``flask --app example_app run``. On first start it creates its
SQLite database in the instance folder and three demo users:
admin@example.com / admin, ops@example.com / ops (admins) and
viewer@example.com / viewer (not an admin). ``DATABASE_URL`` points it at
another database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, send_file

from . import leak_trial
from .extensions import csrf, login_manager, secret_keys
from .models import User, create_demo_users, db

#: htmx from the npm package (``npm install --no-save htmx.org@2``), served by the app itself.
HTMX_FILE = Path(__file__).resolve().parent.parent / "node_modules/htmx.org/dist/htmx.min.js"


def _secret_key(app: Flask) -> str:
    """SECRET_KEY from the environment, or one kept in the instance folder."""
    if "SECRET_KEY" in os.environ:
        return os.environ["SECRET_KEY"]
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def setup_host(app: Flask, config: dict[str, Any] | None, **defaults: Any) -> None:
    """What both example hosts share: config, extensions, local htmx, schema and demo users.

    ``defaults`` are the host's own settings; ``config``, the settings given to
    its ``create_app``, override them.
    """
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(
        # Check pooled connections before use, so the app recovers by itself
        # after a database restart; keep bound values (a key lookup's hash)
        # out of error messages and logs.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
        # The Admin API endpoint the pages' curl examples call.
        SECRET_KEYS_API_EXAMPLE_URL="/admin/api/me",
        **defaults,
    )
    if HTMX_FILE.exists():
        app.config["SECRET_KEYS_HTMX_URL"] = "/vendor/htmx.min.js"
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    secret_keys.init_app(app)

    from . import api

    app.register_blueprint(api.bp)

    if HTMX_FILE.exists():

        @app.get("/vendor/htmx.min.js")
        def htmx_js() -> Any:
            return send_file(HTMX_FILE, mimetype="text/javascript", max_age=3600)

    with app.app_context():
        db.create_all()
        create_demo_users()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    setup_host(
        app,
        config,
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///example.db"),
        SECRET_KEYS_BASE_TEMPLATE="base.html",
        # GitHub's secret scanning, tried against a key pair of the example's own.
        **leak_trial.settings(),
    )
    from . import views

    app.register_blueprint(views.bp)
    leak_trial.install(app)
    return app


__all__ = ["User", "create_app", "db", "secret_keys"]

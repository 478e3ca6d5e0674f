"""A host that manages its schema with Flask-Migrate, for ``tests/test_hosts_migrations.py``.

The tests run ``flask --app tests.migration_host db ...`` on it in a subprocess,
exactly as a host developer would. ``DATABASE_URL`` names the database.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_login import LoginManager, current_user
from flask_migrate import Migrate

from flask_secret_keys import SecretKeys, admin_api_required
from tests.helpers import new_db_and_user

db, Operator = new_db_and_user("migrated_operators")


#: The tables the migration creates, besides ``alembic_version``.
TABLES = ("migrated_operators", "migrated_api_keys", "migrated_api_keys_events")

login_manager = LoginManager()
migrate = Migrate()
secret_keys = SecretKeys(db=db, user_model=Operator, table_name="migrated_api_keys")


@login_manager.user_loader
def load_operator(user_id: str) -> Any:
    return db.session.get(Operator, int(user_id))


def create_app() -> Flask:
    """No ``create_all`` here: the schema comes from the migrations alone."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="migration-secret", SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"]
    )
    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    secret_keys.init_app(app)

    @app.get("/api/whoami")
    @admin_api_required
    def whoami() -> dict[str, str]:
        return {"email": current_user.email}

    return app

"""``flask db migrate`` writes a migration that runs as generated.

A host laid out as the docs say, with the stock ``migrations/script.py.mako``
left alone and Flask-Migrate set up after the extension, runs ``flask db
init``, ``migrate`` and ``upgrade`` in a subprocess (Alembic reconfigures
logging, which must not leak into the suite); then a key is created and
authenticates an Admin API request on the migrated schema.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate

from flask_secret_keys import SecretKeys
from flask_secret_keys.models import UTCDateTime
from tests.helpers import new_db_and_user, run_python

pytestmark = pytest.mark.slow  # flask db in a subprocess

ROOT = Path(__file__).resolve().parent.parent

HOST = """
import os

import sqlalchemy as sa
from flask import Flask
from flask_login import LoginManager, UserMixin, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm

from flask_secret_keys import SecretKeys, admin_api_required


class Base(orm.DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
migrate = Migrate()


class User(UserMixin, db.Model):
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    email: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    is_admin: orm.Mapped[bool] = orm.mapped_column(default=False)


secret_keys = SecretKeys(db=db, user_model=User)


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


def create_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="autogenerate", SQLALCHEMY_DATABASE_URI=os.environ["DB_URL"])
    db.init_app(app)
    login_manager.init_app(app)
    secret_keys.init_app(app)
    migrate.init_app(app, db)  # after the extension: the order must not matter

    @app.get("/admin/api/me")
    @admin_api_required
    def me():
        return {"email": current_user.email}

    return app
"""

#: Run on the migrated database: a key is created on the command line and used.
USE_A_KEY = """
import json
from host import create_app, db, secret_keys, User

app = create_app()
with app.app_context():
    db.session.add(User(email="ada@example.com", is_admin=True))
    db.session.commit()
created = app.test_cli_runner().invoke(
    args=["secret-keys", "create", "--user", "ada@example.com", "--title", "CI"]
)
token = created.stdout.splitlines()[-1]
response = app.test_client().get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
with app.app_context():
    (key,) = db.session.execute(db.select(secret_keys.Key)).scalars()
    aware = key.created_at.tzinfo is not None
print(json.dumps({"status": response.status_code, "body": response.get_json(), "aware": aware}))
"""


def _run(workdir: Path, *args: str) -> str:
    env = {
        **os.environ,
        "FLASK_APP": "host:create_app",
        "DB_URL": f"sqlite:///{workdir / 'host.db'}",
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
    }
    return run_python(*args, cwd=workdir, env=env).stdout


def test_generated_migration_upgrades_without_editing_the_template(tmp_path: Path) -> None:
    (tmp_path / "host.py").write_text(HOST)

    _run(tmp_path, "-m", "flask", "db", "init")
    stock_template = (tmp_path / "migrations" / "script.py.mako").read_text()
    _run(tmp_path, "-m", "flask", "db", "migrate", "-m", "Add secret API keys")
    _run(tmp_path, "-m", "flask", "db", "upgrade")

    assert (tmp_path / "migrations" / "script.py.mako").read_text() == stock_template
    (revision,) = (tmp_path / "migrations" / "versions").glob("*.py")
    source = revision.read_text()
    assert "import flask_secret_keys.models\n" in source
    assert "flask_secret_keys.models.UTCDateTime()" in source
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'host.db'}")
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"user", "secret_api_keys", "secret_api_keys_events"} <= tables

    used = json.loads(_run(tmp_path, "-c", USE_A_KEY).splitlines()[-1])

    assert used == {"status": 200, "body": {"email": "ada@example.com"}, "aware": True}


def _host(*, migrate_first: bool, **migrate_args: Any) -> Flask:
    db, person = new_db_and_user("person")

    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite://")
    db.init_app(app)
    LoginManager().init_app(app)
    migrate = Migrate(**migrate_args)
    if migrate_first:
        migrate.init_app(app, db)
    SecretKeys(db=db, user_model=person).init_app(app)
    if not migrate_first:
        migrate.init_app(app, db)
    return app


class _Context:
    def __init__(self) -> None:
        self.imports: set[str] = set()


@pytest.mark.parametrize("migrate_first", [True, False], ids=["migrate first", "migrate last"])
def test_render_item_is_chained_in_front_of_the_hosts(migrate_first: bool) -> None:
    seen: list[str] = []

    def host_render(type_: str, obj: Any, autogen_context: Any) -> str:
        seen.append(type_)
        return "host"

    app = _host(migrate_first=migrate_first, render_item=host_render)
    with app.app_context():
        render = app.extensions["migrate"].configure_args["render_item"]
    context = _Context()
    utc = UTCDateTime()

    assert render("type", utc, context) == "host"
    assert context.imports == {"import flask_secret_keys.models"}
    assert render("type", sa.Integer(), _Context()) == "host"
    assert seen == ["type", "type"]

"""Helpers the tests share, one of each kind; the fixtures are in ``conftest.py``.

``serve`` (a real server on 127.0.0.1), ``csrf_token_in``/``csrf_token`` (the CSRF
token of a page), ``count_statements`` (the SQL an engine runs), ``run_together``
(threads released at once by a barrier; tests using it are marked ``concurrency``),
``new_db`` and ``new_db_and_user`` (the database and user model of a host a test
declares), ``key_in_state`` (a key revoked, deleted, or of an owner deactivated or
demoted), ``run_python`` (our interpreter in a subprocess, as a host developer runs it),
``fixed_tokens`` (keys whose secrets a test chooses), ``write_catalog`` and
``catalogs_at`` (catalogs a test writes, in place of the shipped ones),
``extracted_messages`` (the messages the sources mark, as ``pybabel extract`` finds them).
"""

from __future__ import annotations

import atexit
import base64
import configparser
import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from hypothesis import HealthCheck, settings
from sqlalchemy import orm
from werkzeug.serving import make_server

from example_app.extensions import secret_keys
from example_app.models import db
from flask_secret_keys import Actor, KeyService, SecretKeys, crypto, models
from flask_secret_keys.settings import Settings
from tests.host import add_demo_users

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page
from tests.host import get_user as get_user

DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

#: The pages' root, the header of an htmx request, and what a key looks like in a page.
BASE = "/settings/secret-api-keys"
HX = {"HX-Request": "true"}
TOKEN = re.compile(r"sk_[0-9A-Za-z]{49}")


#: Hypothesis settings of the fuzzing tests: no deadline (a slow machine is no bug), and
#: fixtures shared by the examples of a test (each example leaves what it made behind).
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
#: Fewer examples where each one is several requests and database round trips.
FORM_FUZZ = settings(FUZZ, max_examples=100)


def new_db() -> SQLAlchemy:
    """A Flask-SQLAlchemy of its own, with its own metadata, for a host a test declares."""

    class Base(orm.DeclarativeBase):
        pass

    return SQLAlchemy(model_class=Base)


def new_db_and_user(
    tablename: str, *, admin_by_default: bool = False
) -> tuple[SQLAlchemy, type[Any]]:
    """``new_db()`` and, in it, the plainest user model: ``id``, ``email`` and ``is_admin``.

    Hosts whose tests are about the shape of the user model declare their own.
    """
    db = new_db()

    class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = tablename

        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        email: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
        is_admin: orm.Mapped[bool] = orm.mapped_column(default=admin_by_default)

    return db, User


def database_url(tmp_path: Any) -> str:
    return DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"


def is_server_database() -> bool:
    return DATABASE_URL is not None and not DATABASE_URL.startswith("sqlite")


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """Test databases are thrown away: SQLite need not wait for the disk at each commit."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")


#: The first SQLite database made by ``reset_database``, copied for the tests that follow.
_sqlite_template: list[Path] = []


def _new_sqlite_file(app: Flask) -> Path | None:
    """The app's SQLite file if it has nothing in it yet, else None."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if path.exists() and path.stat().st_size else path


#: Whether the test host's tables stand on the server database, made by
#: ``reset_database`` and not dropped since (``drop_server_tables``).
_server_tables_made: list[bool] = []


def _empty_server_tables() -> bool:
    """Delete every row of the test host's tables and start their ids again at 1, as
    new tables would; False if they are not all there."""
    try:
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
                if table.autoincrement_column is None:
                    continue
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        sa.text("SELECT setval(pg_get_serial_sequence(:t, :c), 1, false)"),
                        {"t": table.name, "c": table.autoincrement_column.name},
                    )
                else:
                    connection.execute(sa.text(f"ALTER TABLE {table.name} AUTO_INCREMENT = 1"))
    except sa.exc.DBAPIError:
        return False
    return True


def reset_database(app: Flask) -> None:
    """Empty tables and the demo users, whatever an earlier run left behind.

    Making the schema would otherwise be most of a test's setup: a new SQLite
    file starts as a copy of the first one made here, and on a server database
    the tables made for one test are emptied for the next, until a test that
    does not use the test host needs the database (``drop_server_tables``).
    """
    new_file = _new_sqlite_file(app)
    if new_file is not None and _sqlite_template:
        shutil.copyfile(_sqlite_template[0], new_file)
        return
    with app.app_context():
        if not (_server_tables_made and _empty_server_tables()):
            db.drop_all()
            db.create_all()
            if is_server_database():
                _server_tables_made[:] = [True]
        add_demo_users()
    if new_file is not None:
        folder = tempfile.mkdtemp(prefix="flask-secret-keys-tests-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "template.db"
        shutil.copyfile(new_file, template)
        _sqlite_template.append(template)


def drop_server_tables() -> None:
    """Drop the test host's tables from the server database, if ``reset_database`` left
    them there: hosts that declare their own tables start from an empty database."""
    if not _server_tables_made:
        return
    _server_tables_made.clear()
    engine = sa.create_engine(DATABASE_URL or "")
    try:
        db.metadata.drop_all(engine)
    finally:
        engine.dispose()


class Clock:
    """The package's clock, held still and moved by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def service_of(app: Flask, extension: SecretKeys = secret_keys) -> KeyService:
    """``extension.service`` of ``app``, for use outside the app's context too."""
    with app.app_context():
        return extension.service


def settings_of(app: Flask, extension: SecretKeys = secret_keys) -> Settings:
    """``extension.settings`` of ``app``, for use outside the app's context too."""
    with app.app_context():
        return extension.settings


# Header forms: the one table of how a key may be presented.


def key_in_state(service: KeyService, user: Any, state: str) -> str:
    """The plaintext of a new key of ``user`` in ``state``, in an app context.

    ``state`` is one of "active", "revoked", "deleted", "inactive_user" (its owner
    deactivated) and "not_admin" (its owner no longer an admin).
    """
    key, token = service.create(user, f"A {state} key")
    if state in ("revoked", "deleted"):
        service.revoke(key, actor=Actor.for_user(user))
    if state == "deleted":
        service.delete(key)
    if state == "inactive_user":
        user.active = False
    if state == "not_admin":
        user.is_admin = False
    db.session.commit()
    return token


def basic(value: str) -> str:
    """An ``Authorization: Basic`` value for ``value`` (``user:password``)."""
    return "Basic " + base64.b64encode(value.encode()).decode()


#: Every accepted way to present a key, by name: ``form(token, custom_header)`` -> headers.
HEADER_FORMS: dict[str, Callable[..., dict[str, str]]] = {
    "bearer": lambda k, h="X-Api-Key": {"Authorization": f"Bearer {k}"},
    "bearer lowercase scheme": lambda k, h="X-Api-Key": {"Authorization": f"bearer {k}"},
    "bearer extra spaces": lambda k, h="X-Api-Key": {"Authorization": f"Bearer   {k} "},
    "basic": lambda k, h="X-Api-Key": {"Authorization": basic(f"{k}:")},
    "basic bare key": lambda k, h="X-Api-Key": {"Authorization": f"Basic {k}"},
    "basic key without colon": lambda k, h="X-Api-Key": {"Authorization": basic(k)},
    "custom": lambda k, h="X-Api-Key": {h: k},
}

#: One form of each kind, for the tests that check a host rather than the parsing.
KEY_FORMS = ["bearer", "basic", "custom"]


def key_headers(form: str, token: str, custom_header: str = "X-Api-Key") -> dict[str, str]:
    """The request headers that present ``token`` in the form named ``form``."""
    return HEADER_FORMS[form](token, custom_header)


# CSRF tokens and logging in.

_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form in a rendered page."""
    match = _CSRF_FIELD.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """A CSRF token for the client's session, read from the form at ``path``."""
    return csrf_token_in(client.get(path).get_data(as_text=True))


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def post(client: FlaskClient, path: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
    """A form post with a valid CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client), **(data or {})}, **kw)


def fixed_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """New keys get secrets of digits and a counter, not random ones.

    For tests that search: a random secret's redacted form (``sk_AbCd…wXyZ``) could
    match the search by chance, a few times in a thousand runs.
    """
    count = iter(range(1, 10**6))

    def generate(prefix: str = crypto.DEFAULT_PREFIX) -> str:
        body = f"{next(count):0{crypto.BODY_LENGTH}d}"
        return prefix + body + crypto.checksum(body)

    monkeypatch.setattr(crypto, "generate_token", generate)


def log_in(client: FlaskClient, email: str, password: str) -> None:
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def log_in_over_http(
    base_url: str, email: str = "admin@example.com", password: str = "admin"
) -> requests.Session:
    """A ``requests`` session logged in through the login form of a served app."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/login", timeout=10).text
    response = browser.post(
        f"{base_url}/login",
        data={"email": email, "password": password, "csrf_token": csrf_token_in(page)},
        timeout=10,
    )
    assert response.status_code == 200, response.text[:300]
    return browser


def run_cli(app: Flask, *args: str) -> tuple[int, str, str]:
    """``flask secret-keys ARGS`` on ``app``: its exit code, stdout and stderr."""
    result = app.test_cli_runner().invoke(args=["secret-keys", *args])
    return result.exit_code, result.stdout, result.stderr


def run_python(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run our interpreter with ``args`` in ``cwd``, as a host developer would; it must succeed."""
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# A real server.


@contextlib.contextmanager
def serve(app: Flask) -> Iterator[str]:
    """``app`` served by a threaded werkzeug server on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# SQL statements.


class StatementLog:
    """The SQL statements an engine executes while the log is open."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()

    def matching(self, prefix: str) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(prefix)]


@contextlib.contextmanager
def count_statements(engine: sa.Engine) -> Iterator[StatementLog]:
    log = StatementLog()

    def before_cursor_execute(*args: Any) -> None:
        log.statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


# Concurrency.


def run_together(app: Flask, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread and app context (so its own session and connection),
    all released at once by a barrier; their results or the exceptions they raised."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = job()
            except Exception as error:
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


# Redis.


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


# Migrations: the Flask-Migrate host of tests/migration_host.py, run as its developer runs it.

TESTS = Path(__file__).resolve().parent
KEYS = "migrated_api_keys"
EVENTS = "migrated_api_keys_events"
OPERATORS = "migrated_operators"
#: The import a migration naming the extension's column type needs.
IMPORT_LINE = "import flask_secret_keys.models"


@dataclass
class Migrated:
    workdir: Path
    url: str
    engine: sa.Engine

    def flask_db(self, *args: str) -> str:
        """Run ``flask db <args>`` on the host; returns its output (stdout and stderr)."""
        env = {
            **os.environ,
            "FLASK_APP": "tests.migration_host",
            "DATABASE_URL": self.url,
            "PYTHONPATH": str(TESTS.parent),
        }
        result = run_python("-m", "flask", "db", *args, cwd=self.workdir, env=env)
        return result.stdout + result.stderr

    @property
    def revisions(self) -> list[Path]:
        return sorted((self.workdir / "migrations" / "versions").glob("*.py"))

    def table_names(self) -> set[str]:
        return set(sa.inspect(self.engine).get_table_names())


def drop_leftovers(engine: sa.Engine) -> None:
    """Drop the migration host's tables, whatever an earlier run left, and the test
    host's (module fixtures run before ``conftest``'s per-test clean-up)."""
    drop_server_tables()
    metadata = sa.MetaData()
    existing = set(sa.inspect(engine).get_table_names())
    metadata.reflect(
        engine, only=[t for t in (EVENTS, KEYS, OPERATORS, "alembic_version") if t in existing]
    )
    metadata.drop_all(engine)


def enforce_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    if "sqlite" in type(dbapi_connection).__module__:
        dbapi_connection.execute("PRAGMA foreign_keys = ON")


# Browser pages (Playwright's ``Page``, imported for types only).


def api_status(live_server: str, token: str) -> int:
    """The status of an Admin API call made with ``token``."""
    response = requests.get(
        f"{live_server}/admin/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return response.status_code


def rows(page: Page) -> list[str]:
    """The titles of the list's rows, in order."""
    return page.locator(".sk-row-link").all_inner_texts()


def mark_document(page: Page) -> None:
    """Tag the loaded document; the tag survives htmx swaps but not a page load."""
    page.evaluate("window.skSamePage = true")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.skSamePage === true"))


def open_menu_item(page: Page, name: str) -> None:
    page.get_by_role("button", name="Key actions").click()
    page.get_by_role("menuitem", name=name).click()


def box(locator: Locator) -> dict[str, float]:
    """The element's bounding box; it must be displayed."""
    found = locator.bounding_box()
    assert found is not None
    return {"x": found["x"], "y": found["y"], "width": found["width"], "height": found["height"]}


# Races and the management API

needs_row_locks = pytest.mark.skipif(
    not is_server_database(),
    reason=(
        "races need a server database with row locks: set TEST_DATABASE_URL to PostgreSQL"
        f" or MariaDB (now {DATABASE_URL or 'unset, SQLite'})"
    ),
)

THREADS = 20


def key_rows(app: Flask) -> list[Any]:
    """Every key row, read fresh."""
    Key = service_of(app).model
    with app.app_context():
        return list(db.session.execute(sa.select(Key).order_by(Key.id)).scalars())


def assert_rows_consistent(app: Flask) -> None:
    """No row breaks the one-active-key invariant, whatever the CHECK constraint saw."""
    active_owners = []
    for key in key_rows(app):
        if key.revoked_at is None:
            assert key.active_owner_id == key.user_id
            active_owners.append(key.user_id)
        else:
            assert key.active_owner_id is None
    assert len(active_owners) == len(set(active_owners))


def usable_active_keys(app: Flask) -> list[Any]:
    """The keys that are someone's active key now, checked against the markers."""
    now = models.utcnow()
    active = [key for key in key_rows(app) if key.status_at(now) == "active"]
    for key in key_rows(app):
        if key.active_owner_id is not None:
            assert key.active_owner_id == key.user_id
        if key.revoked_at is not None:
            assert key.active_owner_id is None
    assert all(key.active_owner_id == key.user_id for key in active)
    return active


API = "/admin/api/secret-keys"


def session_client(app: Flask, email: str = "admin@example.com") -> FlaskClient:
    """A test client signed in as ``email``, with the CSRF token on every request."""
    client = app.test_client()
    log_in(client, email, email.partition("@")[0])
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client, "/settings/secret-api-keys/new")
    return client


# The tables of earlier releases, and the migrations docs/integration.md gives

#: The CHECK of the release before expiry.
OLD_CHECK = (
    "(revoked_at IS NULL AND active_owner_id IS NOT NULL AND active_owner_id = user_id)"
    " OR (revoked_at IS NOT NULL AND active_owner_id IS NULL)"
)

#: The columns restricted keys add: permissions, networks, the usage record.
RESTRICTION_COLUMNS = ("permissions", "allowed_networks", "usage_record")


def old_schema() -> sa.MetaData:
    """The operators table and the key table as release 0.1.0, before expiry, declared them."""
    metadata = sa.MetaData()
    sa.Table(
        OPERATORS,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), unique=True, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
    )
    utc = models.UTCDateTime
    sa.Table(
        KEYS,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey(f"{OPERATORS}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("redacted", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.Column("last_used_at", utc(), nullable=True),
        sa.Column("revoked_at", utc(), nullable=True),
        sa.Column(
            "revoked_by_id",
            sa.Integer,
            sa.ForeignKey(f"{OPERATORS}.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("active_owner_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("token_hash", name=f"uq_{KEYS}_token_hash"),
        sa.UniqueConstraint("active_owner_id", name=f"uq_{KEYS}_active_owner_id"),
        sa.Index(f"ix_{KEYS}_user_id", "user_id"),
        sa.CheckConstraint(OLD_CHECK, name=f"ck_{KEYS}_active_owner"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    return metadata


def documented_upgrade() -> str:
    """The ``upgrade()`` docs/integration.md gives for key expiry, for our table name."""
    text = (TESTS.parent / "docs" / "integration.md").read_text()
    (snippet,) = re.findall(
        r"```python\n(def upgrade\(\):\n.*?add_column.*?)\n\n\ndef downgrade", text, re.S
    )
    return str(snippet).replace("secret_api_keys", KEYS)


def documented_ids_upgrade() -> str:
    """The ``upgrade()`` docs/integration.md gives for key ids never reused, for our table."""
    text = (TESTS.parent / "docs" / "integration.md").read_text()
    (snippet,) = re.findall(
        r"```python\n(def upgrade\(\):\n    if op\.get_bind\(\).*?)\n\n\ndef downgrade", text, re.S
    )
    return str(snippet).replace("secret_api_keys", KEYS)


# Translations

#: The keywords that mark a message in the sources, besides gettext's own (``gettext``,
#: ``ngettext`` …): what ``pybabel extract`` is given in docs/translations.md.
KEYWORDS = ("sk_gettext", "sk_ngettext:1,2", "lazy_gettext", "lazy_ngettext:1,2")
#: The languages the pages must be translated to (issue 22).
REQUIRED_LOCALES = ("de", "fr", "es", "pt_BR", "ja")


def write_catalog(
    root: Path, locale: str, messages: Mapping[Any, Any], *, domain: str = "flask_secret_keys"
) -> Path:
    """A ``.po`` of ``messages`` for ``locale`` at ``root/<locale>/LC_MESSAGES/<domain>.po``:
    msgid to msgstr, or for a plural (singular, plural) to the tuple of its forms."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale=locale, domain=domain)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    folder = root / locale / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{domain}.po"
    with path.open("wb") as out:
        write_po(out, catalog)
    return path


def clear_catalog_caches() -> None:
    from flask_secret_keys import i18n

    i18n.shipped_locales.cache_clear()
    i18n.translations_for.cache_clear()


@contextlib.contextmanager
def catalogs_at(root: Path) -> Iterator[None]:
    """The extension reads its catalogs from ``root`` instead of the shipped ones.

    Enter it before the app is made: ``SECRET_KEYS_LOCALE`` is checked against the
    catalogs at ``init_app``.
    """
    from flask_secret_keys import i18n

    shipped = i18n.TRANSLATIONS
    i18n.TRANSLATIONS = root
    clear_catalog_caches()
    try:
        yield
    finally:
        i18n.TRANSLATIONS = shipped
        clear_catalog_caches()


#: The extraction methods babel.cfg names, by their import path.
EXTRACTORS = {"jinja2": "jinja2.ext:babel_extract"}


def extracted_messages() -> Any:
    """The messages the sources mark now, as a babel ``Catalog`` (with their locations):
    ``pybabel extract`` with babel.cfg and the project's keywords, run in this process."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_keywords

    root = TESTS.parent
    # babel.cfg's sections are "method: pattern" (Babel reads it alike in every
    # version; its own reader moved between versions).
    config = configparser.RawConfigParser()
    config.read(root / "babel.cfg", encoding="utf-8")
    method_map: list[tuple[str, str]] = []
    options_map: dict[str, dict[str, str]] = {}
    for section in config.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        # Jinja's extractor by its import path: an older Babel without setuptools
        # does not find Jinja's entry point by name.
        method_map.append((pattern, EXTRACTORS.get(method, method)))
        options_map[pattern] = dict(config.items(section))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(list(KEYWORDS))}
    catalog = Catalog(domain="flask_secret_keys")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=keywords,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


# Browser pages, continued

#: A journey with JavaScript, and the same without.
MODES = ["js", "no_js"]


def container(page: Page, js: bool, name: str) -> object:
    """The dialog named ``name`` with JavaScript, the page itself without."""
    from playwright.sync_api import expect

    if js:
        dialog = page.get_by_role("dialog", name=name)
        expect(dialog).to_be_visible()
        return dialog
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    return page


def copy_then_close(page: Page, js: bool) -> None:
    """Leave the reveal as a user who copied the key: closing first would ask to."""
    if js:
        page.get_by_role("button", name="Copy", exact=True).click()
    page.get_by_role("link", name="Done").click()


def fits_its_width(page: Page) -> bool:
    """Nothing sticks out sideways: no horizontal scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))

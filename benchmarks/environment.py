"""Throwaway databases, the example app on them, and fast bulk seeding.

Each benchmark database lives apart from everything else: SQLite files in a
temporary folder, and on PostgreSQL a schema of its own (``bench_<label>``)
selected with ``search_path``, so the database named on the command line is
only borrowed. :meth:`Backend.close` deletes all of it.

Keys are seeded with precomputed rows sent in bulk (``COPY`` on PostgreSQL,
one ``executemany`` transaction on SQLite), bypassing the ORM: a million rows
take seconds, not the hour one ``create()`` per key would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask

from example_app import create_app
from example_app.extensions import secret_keys
from example_app.models import User, db
from flask_secret_keys import KeyService

#: Cheap password hashing for the demo users, who are made for every database.
#: The demo admin whose key every authentication benchmark presents.
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin"  # noqa: S105 - the example app's documented demo password
#: The demo admin who owns the many keys the list benchmarks page through.
LIST_USER_EMAIL = "ops@example.com"
LIST_USER_PASSWORD = "ops"  # noqa: S105 - the example app's documented demo password
#: Keys per filler user; filler users own the keys that are not the list user's.
KEYS_PER_FILLER_USER = 100
#: First id given to filler users, clear of the demo users.
FILLER_USER_ID_START = 1000
#: The Admin API endpoint the benchmarks call, and its unauthenticated twin.
API_PATH = "/admin/api/me"
PUBLIC_PATH = "/public/api/me"
#: Rows sent per bulk-insert batch.
CHUNK = 20_000
#: Words that key titles are made of, so that searches have something to find.
TITLE_WORDS = ("Deploy bot", "CI runner", "Backup job", "Metrics exporter", "Ops laptop")

_KEY_COLUMNS = (
    "user_id",
    "title",
    "redacted",
    "token_hash",
    "created_at",
    "updated_at",
    "last_used_at",
    "revoked_at",
    "revoked_by_id",
    "active_owner_id",
)


def add_public_twin(app: Flask) -> None:
    """Serve :data:`API_PATH`'s answer without authentication at :data:`PUBLIC_PATH`.

    The twin loads the same user by primary key, as a session request's user
    loader does, so the difference between the two is the cost of checking
    who is asking.
    """
    admin_id = _user_id(app, ADMIN_EMAIL)

    @app.get(PUBLIC_PATH)
    def public_me() -> dict[str, Any]:
        user = db.session.get(User, admin_id)
        assert user is not None
        return {"id": user.id, "email": user.email}


def bench_app(url: str, engine_options: dict[str, Any], **config: Any) -> Flask:
    """The example app on ``url``, with its schema, demo users and the public twin."""
    app = create_app(
        {
            "SECRET_KEY": "benchmark-secret-key",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            **config,
        }
    )
    add_public_twin(app)
    return app


def _user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return int(db.session.execute(sa.select(User.id).where(User.email == email)).scalar_one())


class Backend:
    """Where benchmark databases are made: SQLite files or PostgreSQL schemas."""

    def __init__(self, name: str, url: str | None = None) -> None:
        self.name = name
        self._url = url
        self._folder = tempfile.mkdtemp(prefix="flask-secret-keys-bench-")
        self._schemas: list[str] = []
        self._apps: list[Flask] = []

    @classmethod
    def sqlite(cls) -> Backend:
        return cls("sqlite")

    @classmethod
    def postgresql(cls, url: str) -> Backend:
        """A PostgreSQL backend on ``url``; raises if the server cannot be reached."""
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        finally:
            engine.dispose()
        return cls("postgresql", url)

    def database(self, label: str) -> tuple[str, dict[str, Any]]:
        """A new empty database: its URL and the engine options that select it."""
        if self.name == "sqlite":
            return f"sqlite:///{os.path.join(self._folder, label)}.db", {}
        assert self._url is not None
        # One schema per process: two runs on one server keep out of each other's way.
        schema = f"bench_{os.getpid()}_{label}"
        self._run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        return self._url, {"connect_args": {"options": f"-csearch_path={schema}"}}

    def app(self, url: str, engine_options: dict[str, Any], **config: Any) -> Flask:
        """:func:`bench_app` on one of this backend's databases, closed with it."""
        app = bench_app(url, engine_options, **config)
        self._apps.append(app)
        return app

    def server_version(self) -> str:
        """The database engine's version, for the record."""
        if self.name == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        engine = sa.create_engine(self._url or "")
        try:
            with engine.connect() as connection:
                return str(connection.execute(sa.text("SHOW server_version")).scalar_one())
        finally:
            engine.dispose()

    def _run(self, *statements: str) -> None:
        engine = sa.create_engine(self._url or "", isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(sa.text(statement))
        finally:
            engine.dispose()

    def close(self) -> None:
        """Close the apps' connections and delete every database this backend made."""
        for app in self._apps:
            with app.app_context():
                db.engine.dispose()
        self._apps.clear()
        if self._schemas:
            self._run(*(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE' for schema in self._schemas))
            self._schemas.clear()
        shutil.rmtree(self._folder, ignore_errors=True)


@dataclass
class Seeded:
    """An example app on a database with ``size`` keys, one of them the admin's.

    :ivar token: the plaintext of the admin's active key.
    :ivar list_keys: how many keys the list user owns.
    :ivar seed_seconds: how long the bulk insert took.
    """

    backend: Backend
    size: int
    app: Flask
    url: str
    engine_options: dict[str, Any]
    token: str
    list_keys: int
    seed_seconds: float

    def service(self) -> KeyService:
        """The app's :class:`~flask_secret_keys.KeyService`."""
        with self.app.app_context():
            return secret_keys.service

    def app_with(self, **config: Any) -> Flask:
        """Another app on this database, with different settings."""
        return self.backend.app(self.url, self.engine_options, **config)


def seed(backend: Backend, size: int, list_keys: int) -> Seeded:
    """A database with ``size`` keys: ``list_keys`` for the list user, one for the admin.

    The rest belong to filler users, :data:`KEYS_PER_FILLER_USER` each, and
    are revoked, as most keys of a long-lived table are.
    """
    list_keys = min(list_keys, size - 1)
    label = f"k{size}"
    url, options = backend.database(label)
    app = backend.app(url, options)
    filler = max(0, size - list_keys - 1)
    started = time.perf_counter()
    with app.app_context():
        list_user_id = _user_id(app, LIST_USER_EMAIL)
        filler_users = -(-filler // KEYS_PER_FILLER_USER)
        _bulk_insert(
            backend.name,
            "users",
            ("id", "email", "name", "password_hash", "is_admin", "active"),
            (
                (FILLER_USER_ID_START + i, f"filler{i}@example.invalid", f"Filler {i}", "!", 0, 1)
                for i in range(filler_users)
            ),
        )
        rows = itertools.chain(
            (_key_row(i, list_user_id, active=i == list_keys - 1) for i in range(list_keys)),
            (
                _key_row(list_keys + i, FILLER_USER_ID_START + i // KEYS_PER_FILLER_USER)
                for i in range(filler)
            ),
        )
        _bulk_insert(backend.name, "secret_api_keys", _KEY_COLUMNS, rows)
        admin = db.session.execute(sa.select(User).where(User.email == ADMIN_EMAIL)).scalar_one()
        _key, token = secret_keys.service.create(admin, "Benchmark key")
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    return Seeded(
        backend=backend,
        size=size,
        app=app,
        url=url,
        engine_options=options,
        token=token,
        list_keys=list_keys,
        seed_seconds=time.perf_counter() - started,
    )


_EPOCH = dt.datetime(2025, 1, 1)


def _key_row(n: int, user_id: int, *, active: bool = False) -> tuple[Any, ...]:
    """A made-up key row; its hash is unique and matches no token anyone holds."""
    digest = hashlib.sha256(f"benchmark filler key {n}".encode()).hexdigest()
    created = _EPOCH + dt.timedelta(minutes=n % 500_000)
    used = None if n % 3 == 0 else created + dt.timedelta(days=1 + n % 40)
    revoked = None if active else created + dt.timedelta(days=2 + n % 50)
    return (
        user_id,
        f"{TITLE_WORDS[n % len(TITLE_WORDS)]} {n}",
        f"sk_{digest[:4]}…{digest[-4:]}",
        digest,
        created,
        revoked or created,
        used,
        revoked,
        None,
        user_id if active else None,
    )


def _bulk_insert(
    dialect: str, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` with the fastest plain tool the driver has."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        names = ", ".join(columns)
        if dialect == "postgresql":
            booleans = {i for i, name in enumerate(columns) if name in ("is_admin", "active")}
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [bool(v) if i in booleans else v for i, v in enumerate(row)]
                        if booleans
                        else row
                    )
        else:
            marks = ", ".join("?" for _ in columns)
            while batch := [_sqlite_values(row) for row in itertools.islice(rows, CHUNK)]:
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - fixed names
                    batch,
                )
        connection.commit()
    finally:
        connection.close()


def _sqlite_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Datetimes as the text SQLAlchemy's SQLite ``DateTime`` stores and parses."""
    return tuple(
        value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, dt.datetime) else value
        for value in row
    )

"""The :class:`SecretKeys` extension: configuration, checks and wiring."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import sqlalchemy as sa
from flask import Flask

from . import _compat, auth, crypto
from .models import (
    KeyEventMixin,
    SecretKeyMixin,
    make_event_model,
    make_key_model,
    render_item,
)
from .service import MAX_DURATION, KeyService

if TYPE_CHECKING:
    from .ratelimit import FailedAttemptLimiter

#: Every configuration key and its default. Anything else starting with
#: ``SECRET_KEYS_`` is reported as a probable typo.
DEFAULTS: dict[str, Any] = {
    "SECRET_KEYS_PREFIX": crypto.DEFAULT_PREFIX,
    "SECRET_KEYS_PEPPER": None,
    "SECRET_KEYS_HEADER": "X-Api-Key",
    "SECRET_KEYS_LAST_USED_INTERVAL": 60,
    "SECRET_KEYS_URL_PREFIX": "/settings/secret-api-keys",
    "SECRET_KEYS_BASE_TEMPLATE": "secret_keys/layout.html",
    "SECRET_KEYS_CONTENT_BLOCK": "content",
    "SECRET_KEYS_PER_PAGE": 20,
    # htmx.org 2.0.11's dist/htmx.min.js and its Subresource Integrity hash;
    # change both together, or set the URL to None when the layout loads htmx.
    "SECRET_KEYS_HTMX_URL": "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js",
    "SECRET_KEYS_HTMX_INTEGRITY": (
        "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
    ),
    "SECRET_KEYS_RATE_LIMIT": None,
    "SECRET_KEYS_RATE_LIMIT_STORAGE": "memory://",
    "SECRET_KEYS_SQLITE_FOREIGN_KEYS": True,
    "SECRET_KEYS_DEFAULT_EXPIRATION": None,
    "SECRET_KEYS_MAX_LIFETIME": None,
    "SECRET_KEYS_EVENT_RETENTION": 365,
    "SECRET_KEYS_API_EXAMPLE_URL": None,
}

_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_RESERVED_HEADERS = {"authorization", "cookie", "host", "content-type", "content-length"}
_BLOCK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INTEGRITY = re.compile(r"(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}")


def _default_is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_admin", False))


def _nobody_oversees(user: Any) -> bool:
    return False


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one app, read once at ``init_app``."""

    prefix: str
    pepper: bytes | None
    header: str | None
    last_used_interval: dt.timedelta
    url_prefix: str
    base_template: str
    content_block: str
    per_page: int
    htmx_url: str | None
    htmx_integrity: str | None
    rate_limit: str | None
    rate_limit_storage: str
    sqlite_foreign_keys: bool
    event_retention: dt.timedelta | None
    default_expiration: dt.timedelta | None = None
    max_lifetime: dt.timedelta | None = None
    api_example_url: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """Validate the config; a mistake raises a RuntimeError that says how to fix it."""
        prefix = config["SECRET_KEYS_PREFIX"]
        if not isinstance(prefix, str) or not crypto.PREFIX_PATTERN.fullmatch(prefix):
            _fail(
                f"SECRET_KEYS_PREFIX={prefix!r} is not a valid prefix: use 1 to 15 lowercase"
                " letters or digits, starting with a letter and ending in '_', such as 'sk_'."
            )

        pepper = config["SECRET_KEYS_PEPPER"]
        if isinstance(pepper, str):
            pepper = pepper.encode("utf-8")
        if pepper is not None and (not isinstance(pepper, bytes) or len(pepper) < 32):
            _fail(
                "SECRET_KEYS_PEPPER must be None or at least 32 bytes of secret, for example"
                " secrets.token_hex(32), kept apart from SECRET_KEY."
            )
        secret_key = config.get("SECRET_KEY")
        if (
            pepper is not None
            and secret_key is not None
            and pepper
            in (
                secret_key,
                secret_key.encode("utf-8") if isinstance(secret_key, str) else None,
            )
        ):
            _fail(
                "SECRET_KEYS_PEPPER must not be the app's SECRET_KEY: rotating SECRET_KEY would"
                " then invalidate every secret API key. Generate a separate value."
            )

        header = config["SECRET_KEYS_HEADER"] or None
        if header is not None and (
            not isinstance(header, str)
            or not _HEADER_NAME.fullmatch(header)
            or header.lower() in _RESERVED_HEADERS
        ):
            _fail(
                f"SECRET_KEYS_HEADER={header!r} is not usable: give a header name such as"
                " 'X-Api-Key', or None to accept keys in the Authorization header only."
            )

        interval = config["SECRET_KEYS_LAST_USED_INTERVAL"]
        if isinstance(interval, (int, float)) and not isinstance(interval, bool):
            interval = dt.timedelta(seconds=interval)
        if not isinstance(interval, dt.timedelta) or interval < dt.timedelta(0):
            _fail(
                "SECRET_KEYS_LAST_USED_INTERVAL must be a number of seconds (or a timedelta)"
                " of zero or more, such as 60."
            )

        url_prefix = config["SECRET_KEYS_URL_PREFIX"]
        if not isinstance(url_prefix, str) or not url_prefix.startswith("/"):
            _fail(
                f"SECRET_KEYS_URL_PREFIX={url_prefix!r} must be a path starting with '/',"
                " such as '/settings/secret-api-keys'."
            )

        base_template = config["SECRET_KEYS_BASE_TEMPLATE"]
        if not isinstance(base_template, str) or not base_template:
            _fail(
                "SECRET_KEYS_BASE_TEMPLATE must name the template the pages extend, such as"
                " 'admin/base.html'."
            )
        content_block = config["SECRET_KEYS_CONTENT_BLOCK"]
        if not isinstance(content_block, str) or not _BLOCK_NAME.fullmatch(content_block):
            _fail(
                f"SECRET_KEYS_CONTENT_BLOCK={content_block!r} must be the name of the block"
                " of SECRET_KEYS_BASE_TEMPLATE that holds the page body, such as 'content'."
            )

        per_page = config["SECRET_KEYS_PER_PAGE"]
        if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= 200:
            _fail("SECRET_KEYS_PER_PAGE must be a whole number from 1 to 200, such as 20.")

        htmx_url = config["SECRET_KEYS_HTMX_URL"] or None
        if htmx_url is not None and not isinstance(htmx_url, str):
            _fail("SECRET_KEYS_HTMX_URL must be the URL of htmx 2, or None if the layout loads it.")
        htmx_integrity = config["SECRET_KEYS_HTMX_INTEGRITY"] or None
        if htmx_integrity is not None and (
            not isinstance(htmx_integrity, str) or not _INTEGRITY.fullmatch(htmx_integrity)
        ):
            _fail(
                "SECRET_KEYS_HTMX_INTEGRITY must be a Subresource Integrity hash such as"
                " 'sha384-…' of the file at SECRET_KEYS_HTMX_URL, or None."
            )
        rate_limit = config["SECRET_KEYS_RATE_LIMIT"] or None
        if rate_limit is not None and not isinstance(rate_limit, str):
            _fail(
                "SECRET_KEYS_RATE_LIMIT must be None or a rate of failed key attempts per"
                " client, such as '10 per minute'."
            )
        rate_limit_storage = config["SECRET_KEYS_RATE_LIMIT_STORAGE"]
        if not isinstance(rate_limit_storage, str) or "://" not in rate_limit_storage:
            _fail(
                f"SECRET_KEYS_RATE_LIMIT_STORAGE={rate_limit_storage!r} must be a storage URI:"
                " 'memory://' for one process, or 'redis://host:6379/0' shared by workers."
            )

        sqlite_foreign_keys = config["SECRET_KEYS_SQLITE_FOREIGN_KEYS"]
        if not isinstance(sqlite_foreign_keys, bool):
            _fail(
                f"SECRET_KEYS_SQLITE_FOREIGN_KEYS={sqlite_foreign_keys!r} must be True (SQLite"
                " enforces foreign keys, so a user's keys go with the user) or False."
            )

        max_lifetime = _days(config, "SECRET_KEYS_MAX_LIFETIME", "90")
        default_expiration = _days(config, "SECRET_KEYS_DEFAULT_EXPIRATION", "30")
        if max_lifetime is not None and (
            default_expiration is None or default_expiration > max_lifetime
        ):
            _fail(
                f"SECRET_KEYS_DEFAULT_EXPIRATION={config['SECRET_KEYS_DEFAULT_EXPIRATION']!r}"
                " is longer than SECRET_KEYS_MAX_LIFETIME"
                f"={config['SECRET_KEYS_MAX_LIFETIME']!r}: set a default expiration within"
                " the maximum lifetime (None, no expiration, is not allowed with a maximum)."
            )

        retention = config["SECRET_KEYS_EVENT_RETENTION"]
        if isinstance(retention, (int, float)) and not isinstance(retention, bool):
            retention = dt.timedelta(days=retention)
        if retention is not None and (
            not isinstance(retention, dt.timedelta) or retention <= dt.timedelta(0)
        ):
            _fail(
                "SECRET_KEYS_EVENT_RETENTION must be a number of days (or a timedelta) above"
                " zero, such as 365, or None to keep key events for good."
            )

        api_example_url = config["SECRET_KEYS_API_EXAMPLE_URL"] or None
        if api_example_url is not None and (
            not isinstance(api_example_url, str)
            or not re.fullmatch(r"(https?://[^\s/]+)?/\S*", api_example_url)
        ):
            _fail(
                f"SECRET_KEYS_API_EXAMPLE_URL={api_example_url!r} must be None, a path such as"
                " '/admin/api/me' or a URL such as 'https://admin.example.com/api/me': an Admin"
                " API endpoint that answers a GET, for the pages' curl examples."
            )

        return cls(
            prefix=prefix,
            pepper=pepper,
            header=header,
            last_used_interval=interval,
            url_prefix=url_prefix.rstrip("/") or "/",
            base_template=base_template,
            content_block=content_block,
            per_page=per_page,
            htmx_url=htmx_url,
            htmx_integrity=htmx_integrity,
            rate_limit=rate_limit,
            rate_limit_storage=rate_limit_storage,
            sqlite_foreign_keys=sqlite_foreign_keys,
            default_expiration=default_expiration,
            max_lifetime=max_lifetime,
            event_retention=retention,
            api_example_url=api_example_url,
        )


def _days(config: dict[str, Any], name: str, example: str) -> dt.timedelta | None:
    """A lifetime setting: a number of days, a timedelta, or None (no limit)."""
    value = config[name]
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = dt.timedelta(days=value)
    if (
        not isinstance(value, dt.timedelta)
        or value < dt.timedelta(seconds=1)
        or value > MAX_DURATION
    ):
        _fail(
            f"{name}={value!r} must be a whole number of days from 1 to {MAX_DURATION.days}"
            f" (or a timedelta), such as {example}, or None."
        )
    return value


def _fail(message: str) -> NoReturn:
    raise RuntimeError(f"flask-secret-keys: {message}")


def _enforce_sqlite_foreign_keys(engine: sa.Engine) -> None:
    """Have SQLite enforce foreign keys on every connection ``engine`` hands out.

    SQLite ignores ``ON DELETE CASCADE`` unless ``PRAGMA foreign_keys=ON`` is
    set on the connection; without it a deleted user's keys survive, and the
    next user given the same id inherits them. Set at checkout, once per
    connection, so connections opened before ``init_app`` get it too.
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "checkout")
    def _foreign_keys_on(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("secret_keys_foreign_keys"):
            return
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        record.info["secret_keys_foreign_keys"] = True


def _make_limiter(settings: Settings) -> FailedAttemptLimiter | None:
    """The failed-attempt limiter the settings ask for, checked now rather than per request."""
    if settings.rate_limit is None:
        return None
    try:
        from .ratelimit import FailedAttemptLimiter

        return FailedAttemptLimiter(settings.rate_limit, settings.rate_limit_storage)
    except ImportError:
        _fail(
            "SECRET_KEYS_RATE_LIMIT needs the 'limits' package:"
            " pip install 'flask-secret-keys[limiter]'."
        )
    except ValueError as error:
        _fail(
            f"SECRET_KEYS_RATE_LIMIT={settings.rate_limit!r} with SECRET_KEYS_RATE_LIMIT_STORAGE="
            f"{settings.rate_limit_storage!r} cannot be used ({error}). Give a rate such as"
            " '10 per minute' and a storage such as 'memory://' or 'redis://host:6379/0'"
            " (pip install redis)."
        )


@dataclass(frozen=True)
class _State:
    """What one app's extension keeps in ``app.extensions["secret_keys"]``."""

    ext: SecretKeys
    settings: Settings
    service: KeyService
    #: Counts failed key attempts per client, when ``SECRET_KEYS_RATE_LIMIT`` is set.
    limiter: FailedAttemptLimiter | None = None


class SecretKeys:
    """Secret API keys for the admin users of a Flask app.

    ::

        db = SQLAlchemy(model_class=Base)
        login_manager = LoginManager()
        secret_keys = SecretKeys(db=db, user_model=User)

        def create_app():
            app = Flask(__name__)
            db.init_app(app)
            login_manager.init_app(app)
            secret_keys.init_app(app)
            return app

    :param app: an app to initialise right away.
    :param db: the host's Flask-SQLAlchemy object; the key table joins its metadata.
    :param user_model: the host's user model; keys reference its primary key.
    :param is_admin: who may own and use keys. Defaults to a truthy ``is_admin``
        attribute of the user.
    :param find_user: finds a user by an identifier given on the command line.
        Defaults to looking the identifier up in the user model's ``email`` column.
    :param user_name: how pages, events and the CLI name a user. Defaults to
        the user's ``name`` attribute, else ``email``, else the primary key.
    :param can_oversee: who may see every user's keys and revoke them (a
        security team, say). Defaults to nobody. Overseers must also pass
        ``is_admin`` to reach the pages.
    :param table_name: the key table's name; the event table is named after
        it, with ``_events`` appended.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        db: Any,
        user_model: type[Any],
        is_admin: Callable[[Any], bool] | None = None,
        find_user: Callable[[str], Any | None] | None = None,
        user_name: Callable[[Any], str] | None = None,
        can_oversee: Callable[[Any], bool] | None = None,
        table_name: str = "secret_api_keys",
    ) -> None:
        if is_admin is None and not hasattr(user_model, "is_admin"):
            _fail(
                f"{user_model.__name__} has no 'is_admin' attribute: pass"
                " SecretKeys(..., is_admin=lambda user: ...) to say which users are admins."
            )
        if find_user is None and not hasattr(user_model, "email"):
            _fail(
                f"{user_model.__name__} has no 'email' column: pass"
                " SecretKeys(..., find_user=lambda identifier: ...) so the CLI can find users."
            )
        self.db = db
        self.user_model = user_model
        self.is_admin: Callable[[Any], bool] = is_admin or _default_is_admin
        self._find_user = find_user
        self._user_name = user_name
        #: Who may see and revoke every user's keys.
        self.can_oversee: Callable[[Any], bool] = can_oversee or _nobody_oversees
        taken = {table_name, f"{table_name}_events"} & set(db.metadata.tables)
        if taken:
            _fail(
                f"the table {min(taken)!r} is already declared on this db, by an earlier"
                " SecretKeys (constructed inside an app factory?): construct it once, at import"
                " time, next to db (secret_keys = SecretKeys(db=db, user_model=User)), and call"
                " secret_keys.init_app(app) in the factory. For a deliberate second set of keys"
                " on the same db, or if the table is one of yours, pass another table_name."
            )
        mapper = sa.inspect(user_model)
        self._user_pk = mapper.get_property_by_column(mapper.primary_key[0]).key
        #: The key model, on the host's ``db.Model`` metadata.
        self.Key: type[SecretKeyMixin] = make_key_model(db, user_model, table_name)
        #: The key event model, on the same metadata.
        self.Event: type[KeyEventMixin] = make_event_model(db, user_model, f"{table_name}_events")
        if app is not None:
            self.init_app(app)

    def user_id(self, user: Any) -> Any:
        """A user's primary key value."""
        return getattr(user, self._user_pk)

    def user_name(self, user: Any) -> str:
        """How a user is named: ``user_name(user)``, else their name, email or id."""
        if self._user_name is not None:
            return str(self._user_name(user))
        for attribute in ("name", "email"):
            value = getattr(user, attribute, None)
            if value:
                return str(value)
        return str(self.user_id(user))

    def find_user(self, identifier: str) -> Any | None:
        """The user an identifier names on the command line, or None."""
        if self._find_user is not None:
            return self._find_user(identifier)
        return self.db.session.execute(
            sa.select(self.user_model).where(self.user_model.email == identifier)
        ).scalar_one_or_none()

    def init_app(self, app: Flask) -> None:
        """Check the configuration and wire the extension into ``app``."""
        if "secret_keys" in app.extensions:
            raise RuntimeError(
                "A 'SecretKeys' instance has already been registered on this Flask app."
                " Import and use that instance instead."
            )
        if app.extensions.get("sqlalchemy") is not self.db:
            _fail(
                "the db passed to SecretKeys is not initialised on this app: call"
                " db.init_app(app) before secret_keys.init_app(app)."
            )
        login_manager = getattr(app, "login_manager", None)
        if login_manager is None:
            _fail(
                "Flask-Login is not set up on this app: call login_manager.init_app(app)"
                " before secret_keys.init_app(app)."
            )

        for name, value in DEFAULTS.items():
            app.config.setdefault(name, value)
        unknown = sorted(
            name for name in app.config if name.startswith("SECRET_KEYS_") and name not in DEFAULTS
        )
        if unknown:
            warnings.warn(
                f"Unknown flask-secret-keys settings {', '.join(unknown)}; the known ones are"
                f" {', '.join(DEFAULTS)}.",
                stacklevel=2,
            )
        settings = Settings.from_config(app.config)
        service = KeyService(
            db=self.db,
            model=self.Key,
            user_id=self.user_id,
            is_admin=self.is_admin,
            prefix=settings.prefix,
            pepper=settings.pepper,
            last_used_interval=settings.last_used_interval,
            default_expiration=settings.default_expiration,
            max_lifetime=settings.max_lifetime,
            event_model=self.Event,
            user_name=self.user_name,
            event_retention=settings.event_retention,
        )
        app.extensions["secret_keys"] = _State(
            ext=self, settings=settings, service=service, limiter=_make_limiter(settings)
        )

        if settings.sqlite_foreign_keys:
            with app.app_context():
                _enforce_sqlite_foreign_keys(app.extensions["sqlalchemy"].engine)
        _compat.run_first(app, auth.authenticate)
        app.after_request(auth.add_key_response_headers)
        auth.keep_cookies_off(app)

        from . import cli, faults, headers, views

        faults.handle_on(views.bp)
        app.register_blueprint(views.bp, url_prefix=settings.url_prefix)
        app.after_request(headers.add_security_headers)
        app.cli.add_command(cli.group)
        _compat.render_in_migrations(app, render_item)

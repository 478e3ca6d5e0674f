"""The :class:`SecretKeys` extension: configuration, checks and wiring."""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Flask

from . import _compat, api, auth, cli, headers, leaks, views
from .models import (
    KeyEventMixin,
    SecretKeyMixin,
    make_event_model,
    make_key_model,
    render_item,
)
from .resources import Resource, RouteIndex, check_resources
from .scanning import GitHubKeys
from .service import KeyService
from .settings import DEFAULTS, Settings, check_layout, fail
from .state import EXTENSION_NAME, AppState, current_state

if TYPE_CHECKING:
    from .ratelimit import FailedAttemptLimiter

#: The longest user identifier looked up (an email address is at most 320 characters).
IDENTIFIER_MAX_LENGTH = 320


def _default_is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_admin", False))


def _nobody_oversees(user: Any) -> bool:
    return False


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


def _make_limiter(settings: Settings, *, reports: bool = False) -> FailedAttemptLimiter | None:
    """The failed-attempt limiter the settings ask for, checked now rather than per request;
    with ``reports``, the leak report endpoint's, counted apart."""
    if settings.rate_limit is None or (reports and settings.leak_report_url is None):
        return None
    try:
        from .ratelimit import NAMESPACE, REPORTS_NAMESPACE, FailedAttemptLimiter

        namespace = REPORTS_NAMESPACE if reports else NAMESPACE
        return FailedAttemptLimiter(settings.rate_limit, settings.rate_limit_storage, namespace)
    except ImportError:
        fail(
            "SECRET_KEYS_RATE_LIMIT needs the 'limits' package:"
            " pip install 'flask-secret-keys[limiter]'."
        )
    except ValueError as error:
        fail(
            f"SECRET_KEYS_RATE_LIMIT={settings.rate_limit!r} with SECRET_KEYS_RATE_LIMIT_STORAGE="
            f"{settings.rate_limit_storage!r} cannot be used ({error}). Give a rate such as"
            " '10 per minute' and a storage such as 'memory://' or 'redis://host:6379/0'"
            " (pip install redis)."
        )


def _github_keys(settings: Settings) -> GitHubKeys | None:
    """GitHub's key cache when the secret scanning endpoint is on; it needs ``cryptography``."""
    if settings.github_scanning_url is None:
        return None
    try:
        return GitHubKeys(settings.github_keys_url)
    except ImportError:
        fail(
            "SECRET_KEYS_GITHUB_SCANNING_URL needs the 'cryptography' package:"
            " pip install 'flask-secret-keys[scanning]'."
        )


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
    :param resources: how the pages show the resources the Admin API declares
        (``resource=`` on its routes): a :class:`~flask_secret_keys.Resource`
        (label and one-line description) or a label, by name. Optional: a
        resource is found on the routes either way.

    .. versionchanged:: 0.3.0
       Takes ``resources``.
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
        resources: Mapping[str, Resource | str] | None = None,
    ) -> None:
        if is_admin is None and not hasattr(user_model, "is_admin"):
            fail(
                f"{user_model.__name__} has no 'is_admin' attribute: pass"
                " SecretKeys(..., is_admin=lambda user: ...) to say which users are admins."
            )
        if find_user is None and not hasattr(user_model, "email"):
            fail(
                f"{user_model.__name__} has no 'email' column: pass"
                " SecretKeys(..., find_user=lambda identifier: ...) so the CLI can find users."
            )
        try:
            #: How the pages show each resource, by name.
            self.resources = check_resources(resources)
        except ValueError as error:
            fail(f"resources: {error}")
        self.db = db
        self.user_model = user_model
        self.is_admin: Callable[[Any], bool] = is_admin or _default_is_admin
        self._find_user = find_user
        self._user_name = user_name
        #: Who may see and revoke every user's keys.
        self.can_oversee: Callable[[Any], bool] = can_oversee or _nobody_oversees
        taken = {table_name, f"{table_name}_events"} & set(db.metadata.tables)
        if taken:
            fail(
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
        """The user an identifier names on the command line, or None.

        An identifier no user can have (empty, over 320 characters, or with a
        control character such as NUL, which PostgreSQL refuses in a query)
        is None without asking the database or the host's ``find_user``.
        """
        if (
            not identifier
            or len(identifier) > IDENTIFIER_MAX_LENGTH
            or any(unicodedata.category(char) == "Cc" for char in identifier)
        ):
            return None
        if self._find_user is not None:
            return self._find_user(identifier)
        return self.db.session.execute(
            sa.select(self.user_model).where(self.user_model.email == identifier)
        ).scalar_one_or_none()

    def user_by_id(self, value: str) -> Any | None:
        """The user whose primary key, as text, is ``value`` (the management API's owner
        filter), or None; a value no user id can be is None without a query.

        .. versionadded:: 0.3.0
        """
        if len(value) > IDENTIFIER_MAX_LENGTH or not value.isprintable():
            return None
        column = sa.inspect(self.user_model).primary_key[0]
        try:
            python_type: type[Any] = column.type.python_type
        except NotImplementedError:
            python_type = str
        try:
            user_id = value if python_type is str else python_type(value)
        except (TypeError, ValueError):
            return None
        if isinstance(user_id, int) and not -(2**63) <= user_id < 2**63:
            return None
        return self.db.session.get(self.user_model, user_id)

    @property
    def service(self) -> KeyService:
        """The :class:`~flask_secret_keys.KeyService` of the current app.

        .. versionadded:: 0.2.0
        """
        return self._state().service

    @property
    def settings(self) -> Settings:
        """The validated ``SECRET_KEYS_*`` settings of the current app.

        .. versionadded:: 0.2.0
        """
        return self._state().settings

    def _state(self) -> AppState:
        state = current_state()
        if state.users is not self:
            raise RuntimeError(
                "flask-secret-keys: the current app was initialised by another SecretKeys"
                " object: use that one (construct SecretKeys once, at import time)."
            )
        return state

    def init_app(self, app: Flask) -> None:
        """Check the configuration and wire the extension into ``app``."""
        if EXTENSION_NAME in app.extensions:
            raise RuntimeError(
                "A 'SecretKeys' instance has already been registered on this Flask app."
                " Import and use that instance instead."
            )
        if app.extensions.get("sqlalchemy") is not self.db:
            fail(
                "the db passed to SecretKeys is not initialised on this app: call"
                " db.init_app(app) before secret_keys.init_app(app)."
            )
        login_manager = getattr(app, "login_manager", None)
        if login_manager is None:
            fail(
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
        check_layout(app.jinja_env, settings)
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
            unused_after=settings.revoke_unused_after,
        )
        app.extensions[EXTENSION_NAME] = AppState(
            users=self,
            settings=settings,
            service=service,
            routes=RouteIndex(self.resources),
            limiter=_make_limiter(settings),
            report_limiter=_make_limiter(settings, reports=True),
            github_keys=_github_keys(settings),
        )

        if settings.sqlite_foreign_keys:
            with app.app_context():
                _enforce_sqlite_foreign_keys(app.extensions["sqlalchemy"].engine)
        _compat.run_first(app, auth.authenticate)
        app.after_request(auth.add_key_response_headers)
        app.after_request(headers.routing_errors_under(settings.url_prefix))
        auth.keep_cookies_off(app)

        app.register_blueprint(views.bp, url_prefix=settings.url_prefix)
        if settings.api_prefix is not None:
            app.register_blueprint(api.bp, url_prefix=settings.api_prefix)
            app.before_request(api.not_found_under(settings.api_prefix))
        leaks.register(app, settings)
        app.cli.add_command(cli.group)
        _compat.render_in_migrations(app, render_item)

"""What the extension keeps per app, and how its HTTP layer and CLI reach it.

:class:`~flask_secret_keys.SecretKeys` stores an :class:`AppState` in
``app.extensions["secret_keys"]`` at ``init_app``; the request hooks, views,
commands and contrib views read it with :func:`current_state`. Hosts and
tests use ``secret_keys.service`` and ``secret_keys.settings`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from flask import current_app, has_app_context

from .resources import RouteIndex
from .service import KeyService
from .settings import Settings

if TYPE_CHECKING:
    from jinja2 import Template

    from .models import KeyEventMixin, SecretKeyMixin
    from .ratelimit import FailedAttemptLimiter
    from .scanning import GitHubKeys

#: The key of the extension's state in ``app.extensions``.
EXTENSION_NAME = "secret_keys"


class Users(Protocol):
    """What the extension asks about the host's users; the ``SecretKeys`` object answers."""

    #: The host's Flask-SQLAlchemy object, and the key and event models on it.
    db: Any
    Key: type[SecretKeyMixin]
    Event: type[KeyEventMixin]

    def is_admin(self, user: Any) -> bool:
        """Whether ``user`` may own and use keys."""

    def can_oversee(self, user: Any) -> bool:
        """Whether ``user`` may see and revoke every user's keys."""

    def user_id(self, user: Any) -> Any:
        """``user``'s primary key value."""

    def user_name(self, user: Any) -> str:
        """How pages, events and the CLI name ``user``."""

    def find_user(self, identifier: str) -> Any | None:
        """The user an identifier names (an email, say), or None."""

    def user_by_id(self, value: str) -> Any | None:
        """The user whose primary key, as text, is ``value``, or None."""


@dataclass(frozen=True)
class AppState:
    """One app's extension: its settings, its service, and who answers about users.

    .. versionadded:: 0.2.0
    """

    #: The ``SecretKeys`` initialised on the app, answering about users.
    users: Users
    settings: Settings
    service: KeyService
    #: The Admin API's routes, the resources they declare and their labels.
    routes: RouteIndex
    #: Counts failed key attempts per client, when ``SECRET_KEYS_RATE_LIMIT`` is set.
    limiter: FailedAttemptLimiter | None = None
    #: Counts leak reports per client, when ``SECRET_KEYS_LEAK_REPORT_URL`` is set.
    report_limiter: FailedAttemptLimiter | None = None
    #: GitHub's public keys, when ``SECRET_KEYS_GITHUB_SCANNING_URL`` is set.
    github_keys: GitHubKeys | None = None
    #: Templates compiled for this app from its settings, by name; they go with the app.
    compiled: dict[str, Template] = field(default_factory=dict, compare=False, repr=False)


def current_state() -> AppState:
    """The state of the current app, or a RuntimeError that says what is missing."""
    if not has_app_context():
        raise RuntimeError(
            "flask-secret-keys: working outside of an application context. Use"
            " 'with app.app_context():' around code that uses the service or settings."
        )
    state = current_app.extensions.get(EXTENSION_NAME)
    if state is None:
        raise RuntimeError(
            f"flask-secret-keys is not initialised on the app {current_app.name!r}:"
            " call secret_keys.init_app(app) in the app factory."
        )
    return cast(AppState, state)

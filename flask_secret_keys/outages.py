"""Database outages: a clear 503 instead of a 500, on the extension's own ground.

Covered here: the extension's pages (a 503 page, through an error handler on
its blueprint) and the key check that runs before every key-bearing request
(a 503 JSON, raised as :class:`~flask_secret_keys.errors.DatabaseUnavailable`).
The host's own views are the host's to handle; it can reuse
:data:`DATABASE_UNAVAILABLE` and ``DatabaseUnavailable`` on its blueprints, as
the example app does for its Admin API. No app-wide handler is installed, so a
host's own error handling is left alone.

Nothing from the error reaches the client: no traceback, no SQL, no bound
parameters. The log gets the error's class and the driver's message only,
because a statement error's text holds the statement's parameters, and the
parameter of a key lookup is the key's hash.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import exc
from werkzeug.wrappers import Response

from . import schema
from .errors import DatabaseUnavailable
from .i18n import gettext, ngettext

#: What a failing or unreachable database raises, as opposed to a bug in a
#: query: connection refused or lost, server gone or read-only, a deadlock or
#: lock timeout, no free connection in the pool.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
)


def log_unavailable(error: Exception) -> None:
    """Log an outage without the statement or its parameters."""
    detail = getattr(error, "orig", None) or "no detail"
    current_app.logger.error("Database unavailable: %s: %s", type(error).__name__, detail)


def unavailable_page(error: Exception) -> tuple[str, int, dict[str, str]]:
    """The extension's 503 page (``secret_keys/unavailable.html``, which a host may override).

    Rendered without context processors and without the host's layout: both
    may read the database (Flask-Login's loads ``current_user``), which is
    what just failed. When the failure comes from tables older than the code,
    the page says an upgrade is due (``upgrade_needed``) and the log names
    what is missing.
    """
    missing = schema.missing_after(error)
    if missing:
        current_app.logger.error(schema.upgrade_message(missing))
    else:
        log_unavailable(error)
    template = current_app.jinja_env.get_template("secret_keys/unavailable.html")
    headers = (
        {"Cache-Control": "no-store"}
        if missing
        else {"Retry-After": "30", "Cache-Control": "no-store"}
    )
    # Only the translation helpers, which read no database (Flask-Babel's selector aside).
    page = template.render(upgrade_needed=bool(missing), sk_gettext=gettext, sk_ngettext=ngettext)
    return page, 503, headers


def outdated_schema_page(error: Exception) -> tuple[str, int, dict[str, str]]:
    """:func:`unavailable_page` for a statement error that comes from missing tables or columns.

    Any other such error is a bug, raised again for the host's usual 500.
    """
    if not schema.missing_after(error):
        raise error
    return unavailable_page(error)


def unavailable_json(error: Exception) -> Response:
    """A 503 JSON answer, for a host's API blueprint."""
    log_unavailable(error)
    return DatabaseUnavailable().get_response()

"""Errors: service-layer exceptions and the HTTP errors views turn them into.

Service errors carry a message fit to show a user. HTTP errors are werkzeug
:class:`~werkzeug.exceptions.HTTPException` subclasses with a class-level
``description``, so a host can restyle them with ``app.errorhandler``.

Both messages are lazy (:func:`~flask_secret_keys.i18n.lazy_gettext`): ``str()``
of them is in the request's language, and English outside a request (the
command line). The JSON bodies translate them when the response is made.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from babel.support import LazyProxy
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    MethodNotAllowed,
    RequestEntityTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)

from .i18n import gettext, lazy_gettext

if TYPE_CHECKING:
    from .models import SecretKeyMixin


class SecretKeyError(Exception):
    """Base class of every rule the service layer enforces."""

    #: The message when none is given: lazy, so each subclass's is in the reader's language.
    message: str | LazyProxy = lazy_gettext("The secret API key operation failed.")

    def __init__(self, message: str | LazyProxy | None = None) -> None:
        super().__init__(message or self.message)

    def __str__(self) -> str:
        return str(self.args[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ActiveKeyExists(SecretKeyError):
    """The user already has an active key; it must be revoked first.

    .. versionchanged:: 0.3.0
       Carries the blocking key alone, as :attr:`key`; ``active_key_id`` is ``key.id``.
    """

    message = lazy_gettext(
        "You already have an active secret API key. Revoke it before creating a new one."
    )

    def __init__(self, key: SecretKeyMixin, message: str | LazyProxy | None = None) -> None:
        super().__init__(message)
        #: The key that blocks the creation, so the caller need not look it up again.
        self.key = key


class KeyAlreadyRevoked(SecretKeyError):
    """Revoking is irreversible and happens once."""

    message = lazy_gettext("This secret API key is already revoked.")


class KeyNotRevoked(SecretKeyError):
    """Only a revoked or expired key can be deleted."""

    message = lazy_gettext("Revoke this secret API key before deleting it.")


class KeyNotRollable(SecretKeyError):
    """Only the user's active key can be rolled: not a revoked, expired or scheduled one."""

    message = lazy_gettext("Only an active secret API key can be rolled.")


class InvalidLifetime(SecretKeyError, ValueError):
    """A duration, expiry date or grace period that cannot be used."""

    message = lazy_gettext("The duration is not valid.")


class KeyNotFound(SecretKeyError):
    """No such key, or not one of this user's keys."""

    message = lazy_gettext("No such secret API key.")


class InvalidTitle(SecretKeyError, ValueError):
    """The title is empty, too long or contains characters a title cannot hold."""

    message = lazy_gettext("The title is not valid.")


class NotAnAdmin(SecretKeyError):
    """The user does not pass the host's admin predicate."""

    message = lazy_gettext("Only admin users can have secret API keys.")


class InvalidRestrictions(SecretKeyError, ValueError):
    """Permissions or allowed networks that cannot be used: an unknown level, a resource
    name that is not an identifier, something that is not an address or range, too many.

    ``field`` names what is wrong (``"permissions"`` or ``"allowed_networks"``).

    .. versionadded:: 0.3.0
    """

    message = lazy_gettext("The restrictions are not valid.")

    def __init__(self, message: str | LazyProxy | None = None, field: str = "permissions") -> None:
        super().__init__(message)
        self.field = field


class WouldWiden(SecretKeyError):
    """Restrictions can only narrow a key's reach; a wider one needs a new secret (a roll).

    .. versionadded:: 0.3.0
    """

    message = lazy_gettext(
        "Restrictions can only narrow a key's reach. To widen it, roll the key: its"
        " successor is a new secret, and can be given wider restrictions."
    )


class KeyNotRestrictable(SecretKeyError):
    """Only a key that still works (active, or in its grace period) can be restricted.

    .. versionadded:: 0.3.0
    """

    message = lazy_gettext("Only a secret API key that still works can be restricted.")


class KeyRefused(SecretKeyError):
    """A valid key may not make this request: outside its networks, or beyond its
    permissions. ``reason`` is ``"network_not_allowed"`` or ``"insufficient_scope"``,
    ``required`` the permission the request needs (``"orders:write"``, or
    ``"full_access"`` on an Admin API route that declares no resource).

    .. versionadded:: 0.3.0
    """

    message = lazy_gettext("This secret API key may not make this request.")

    def __init__(self, key: SecretKeyMixin, reason: str, required: str | None = None) -> None:
        super().__init__()
        #: The key that was refused.
        self.key = key
        self.reason = reason
        self.required = required


def _lazy(message: LazyProxy) -> str:
    """A lazy message where werkzeug expects a ``str``: it formats, escapes and compares as
    the string it stands for, in the language of the moment it is used."""
    return cast(str, message)


class _JSONError(HTTPException):
    """An HTTP error whose body is ``{"error": ..., "message": ...}``, the message in the
    request's language."""

    error = "error"

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [("Content-Type", "application/json"), ("Cache-Control", "no-store")]

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        return json.dumps({"error": self.error, "message": str(self.description)})


class _BearerChallenge(_JSONError, Unauthorized):
    """A 401 that challenges with the Bearer scheme.

    Never Basic: a Basic challenge makes browsers show a login prompt and then
    attach what was typed to later requests, cross-site ones included, which
    would defeat the CSRF exemption of key-authenticated requests.
    """

    challenge = 'Bearer realm="api"'

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", self.challenge)]


class InvalidKey(_BearerChallenge):
    """A request presented a secret API key that does not authenticate.

    The same answer is given whether the key is malformed, unknown, revoked or
    its owner may no longer use it, so the response reveals nothing about which.
    """

    description = _lazy(lazy_gettext("The secret API key is not valid."))
    error = "invalid_api_key"
    challenge = 'Bearer realm="api", error="invalid_token"'


class AuthenticationRequired(_BearerChallenge):
    """An Admin API was called with no credentials."""

    description = _lazy(
        lazy_gettext("Authentication is required: send a secret API key or log in.")
    )
    error = "authentication_required"


class AdminRequired(_JSONError, Forbidden):
    """An Admin API was called by a user who is not an admin."""

    description = _lazy(lazy_gettext("This API is for admin users only."))
    error = "admin_required"


class InsufficientScope(_JSONError, Forbidden):
    """A key's permissions do not cover the request: ``403`` with what it needs.

    The body is ``{"error": "insufficient_scope", "required": "orders:write", ...}`` and
    the ``WWW-Authenticate`` header says so in RFC 6750's terms (section 3.1).

    .. versionadded:: 0.3.0
    """

    description = _lazy(
        lazy_gettext("This secret API key's permissions do not cover this request.")
    )
    error = "insufficient_scope"

    def __init__(self, required: str, description: str | None = None) -> None:
        super().__init__(description)
        #: The permission the request needs, as ``resource:access``, or ``full_access``.
        self.required = required

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        challenge = f'Bearer error="insufficient_scope", scope="{self.required}"'
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", challenge)]

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        if "description" in vars(self):
            message = str(self.description)
        elif self.required == "full_access":
            message = gettext("This route declares no resource: only a Full access key reaches it.")
        else:
            message = gettext(
                "This secret API key does not have the %(permission)s permission.",
                permission=self.required,
            )
        return json.dumps({"error": self.error, "required": self.required, "message": message})


class NetworkNotAllowed(_JSONError, Forbidden):
    """A key was sent from an address outside its allowed networks: ``403``.

    .. versionadded:: 0.3.0
    """

    description = _lazy(lazy_gettext("This secret API key may not be used from this address."))
    error = "network_not_allowed"


class CSRFFailed(_JSONError, BadRequest):
    """A session (cookie) request to an Admin API failed Flask-WTF's CSRF check.

    Raised in place of Flask-WTF's ``CSRFError`` on Admin API routes only, so
    the API answers in JSON while the host's pages, and a host's own
    ``CSRFError`` handler for them, are left as they are. The message is
    Flask-WTF's ("The CSRF token is missing." …).

    .. versionadded:: 0.2.0
    """

    description = _lazy(lazy_gettext("The CSRF token is missing or invalid."))
    error = "csrf_failed"


class MethodNotAllowedJSON(_JSONError, MethodNotAllowed):
    """An Admin API URL was called with a method its view does not take.

    Answered in JSON, with the ``Allow`` header, on Admin API URLs only; a
    wrong method elsewhere gets the host's usual 405.

    .. versionadded:: 0.2.0
    """

    description = _lazy(lazy_gettext("The method is not allowed for this URL."))
    error = "method_not_allowed"

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class TooManyAttempts(_JSONError, TooManyRequests):
    """A client sent too many failed keys; it may try again after ``retry_after`` seconds.

    Raised for a failed attempt only, after the key was checked: a valid key
    passes whatever other clients at the same address have sent.
    """

    description = _lazy(lazy_gettext("Too many failed secret API key attempts. Try again later."))
    error = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("Retry-After", str(self.retry_after))]


class DatabaseUnavailable(_JSONError, ServiceUnavailable):
    """The database failed while checking a key or serving an API call.

    A 503 rather than a 500 tells clients to retry; it carries no detail of
    the failure.
    """

    description = _lazy(lazy_gettext("The service is temporarily unavailable. Try again shortly."))
    error = "service_unavailable"

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("Retry-After", "30")]


class SchemaOutdated(_JSONError, ServiceUnavailable):
    """The database lacks a table or column of this version: ``flask db upgrade`` is due.

    Answered on the Admin API when a key cannot be checked because of it; the
    log names what is missing, the client only that an upgrade is due.
    """

    description = _lazy(
        lazy_gettext(
            "The service is not ready: its database needs an upgrade (an operator must run"
            " `flask db upgrade`)."
        )
    )
    error = "database_upgrade_needed"


class ManagementAPIError(_JSONError):
    """A refusal of the JSON management API: a status, an error code, a message, and
    any fields of its own (``active_key_id`` …) beside them in the body.

    .. versionadded:: 0.3.0
    """

    def __init__(self, code: int, error: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.error = error
        #: More fields of the body, such as the id of the key that blocks a creation.
        self.fields = fields

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        body = {"error": self.error, "message": str(self.description), **self.fields}
        return json.dumps(body)


class SignatureInvalid(_JSONError, Unauthorized):
    """A secret scanning alert whose GitHub signature is missing, unknown or wrong.

    .. versionadded:: 0.3.0
    """

    description = _lazy(lazy_gettext("The request is not signed by a known GitHub key."))
    error = "invalid_signature"


class KeyServerUnavailable(_JSONError, ServiceUnavailable):
    """GitHub's public keys could not be fetched, so a secret scanning alert cannot be checked.

    Nothing is revoked; GitHub sends the alert again.

    .. versionadded:: 0.3.0
    """

    description = _lazy(lazy_gettext("The signature cannot be checked now. Try again shortly."))
    error = "key_server_unavailable"

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("Retry-After", "60")]


class LeakRequestInvalid(_JSONError, BadRequest):
    """A leak report or secret scanning alert whose body is not what the endpoint reads.

    .. versionadded:: 0.3.0
    """

    description = _lazy(lazy_gettext("The body is not a valid report."))
    error = "invalid_request"


class LeakRequestTooLarge(_JSONError, RequestEntityTooLarge):
    """A leak report or secret scanning alert over the size the endpoints read.

    .. versionadded:: 0.3.0
    """

    description = _lazy(lazy_gettext("The body is too large."))
    error = "request_too_large"


class TooManyReports(TooManyAttempts):
    """A client sent more leak reports than ``SECRET_KEYS_RATE_LIMIT`` allows.

    .. versionadded:: 0.3.0
    """

    description = _lazy(lazy_gettext("Too many reports. Try again later."))
    error = "too_many_requests"

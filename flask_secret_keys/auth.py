"""Header authentication: reading a key from a request and logging its owner in.

A key is accepted from, and only from:

- ``Authorization: Bearer <key>``;
- ``Authorization: Basic base64(<key>:)`` (what ``requests`` sends for
  ``auth=(key, "")``), or ``Authorization: Basic <key>`` unencoded;
- the configured custom header (``X-Api-Key`` by default).

Never from the query string, the body or a cookie. A request that carries a
key is authenticated by that key alone: a valid key logs its owner in for this
request only (no session is written), anything else is a 401 — even when the
same request also carries a valid session cookie.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Flask, Request, current_app, g, request
from flask.sessions import SessionInterface, SessionMixin
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.local import LocalProxy

from .errors import (
    AdminRequired,
    AuthenticationRequired,
    DatabaseUnavailable,
    InvalidKey,
    TooManyAttempts,
)
from .faults import DATABASE_UNAVAILABLE, log_unavailable
from .models import SecretKeyMixin

if TYPE_CHECKING:
    from .extension import _State

F = TypeVar("F", bound=Callable[..., Any])

#: What a presented credential that cannot be a key becomes: it fails the
#: well-formedness check, so it is refused like any other bad key.
_UNUSABLE = ""


def read_credential(request: Request, header_name: str | None, prefix: str) -> str | None:
    """The key a request presents, or None if it presents none.

    A request that presents something in a key's place but not in a usable
    form (a Basic password, two credentials, bad base64) gets a value that
    will fail verification, so it is refused rather than treated as anonymous.
    """
    found: list[str] = []
    if header_name and header_name in request.headers:
        found.append(request.headers[header_name].strip())
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        scheme, _, rest = authorization.strip().partition(" ")
        scheme, rest = scheme.lower(), rest.strip()
        if scheme == "bearer":
            found.append(rest)
        elif scheme == "basic":
            found.append(_basic_credential(rest, prefix))
    if not found:
        return None
    if len(found) > 1:
        return _UNUSABLE
    return found[0]


def _basic_credential(value: str, prefix: str) -> str:
    """The key in a Basic credential: the username, with an empty password."""
    if value.startswith(prefix):
        return value
    try:
        decoded = b64decode(value.encode("ascii"), validate=True).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        return _UNUSABLE
    username, colon, password = decoded.partition(":")
    if not colon or password:
        return _UNUSABLE
    return username


def _state() -> _State:
    return cast("_State", current_app.extensions["secret_keys"])


def authenticate_request() -> SecretKeyMixin | None:
    """The key that authenticates the current request, once per request.

    Returns None when the request presents no key. Raises
    :class:`~flask_secret_keys.errors.InvalidKey` when it presents one that
    does not authenticate;
    :class:`~flask_secret_keys.errors.TooManyAttempts`, without looking at the
    key, when the client has used up its failed attempts;
    :class:`~flask_secret_keys.errors.DatabaseUnavailable` when the database
    fails during the check.
    """
    if "_secret_keys_key" in g:
        key = g._secret_keys_key
        if key is False:
            raise InvalidKey()
        return cast("SecretKeyMixin | None", key)
    state = _state()
    settings = state.settings
    credential = read_credential(request, settings.header, settings.prefix)
    if credential is None:
        g._secret_keys_key = None
        return None
    limiter = state.limiter
    if limiter is not None:
        retry_after = limiter.retry_after(_client())
        if retry_after is not None:
            g._secret_keys_key = False
            raise TooManyAttempts(retry_after)
    try:
        key = state.service.authenticate(credential)
    except DATABASE_UNAVAILABLE as error:
        log_unavailable(error)
        raise DatabaseUnavailable() from None
    if key is None:
        g._secret_keys_key = False
        if limiter is not None:
            limiter.record_failure(_client())
        raise InvalidKey()
    g._secret_keys_key = key
    return key


def _client() -> str:
    """Who a failed attempt is counted against: the client's address.

    Behind a reverse proxy this is the proxy's address unless the host trusts
    ``X-Forwarded-For`` explicitly, with werkzeug's ``ProxyFix``; the header
    itself is never read here, so a client cannot pick its own identity.
    """
    return request.remote_addr or "unknown"


def load_user_from_request(request: Request) -> Any | None:
    """A Flask-Login request loader: the owner of the key the request presents.

    A refused key leaves the request anonymous here: :func:`before_request`
    has already answered the refusal, and an error page that reads
    ``current_user`` must still render.
    """
    try:
        key = authenticate_request()
    except HTTPException:
        return None
    return None if key is None else key.owner


def before_request() -> None:
    """Authenticate a key-bearing request before anything else sees it.

    Runs first among the app's ``before_request`` functions so that CSRF
    protection and views see the key's owner as the current user.
    """
    key = authenticate_request()
    if key is None:
        return
    # Flask-Login keeps the request's user in ``g._login_user``; putting the
    # key's owner there makes the key win over any session cookie.
    g._login_user = key.owner
    _exempt_key_requests_from_csrf(current_app)


def _exempt_key_requests_from_csrf(app: Flask) -> None:
    """Let Flask-WTF's ``CSRFProtect`` pass requests authenticated by a key.

    A browser cannot attach an ``Authorization`` or custom header to a
    cross-site request, so such a request is no CSRF risk. Requests that rely
    on a session cookie are still checked. Done lazily so the order in which
    the host initialises ``CSRFProtect`` and this extension does not matter.
    """
    csrf = app.extensions.get("csrf")
    if csrf is None or getattr(csrf, "_secret_keys_exempts_keys", False):
        return
    protect = csrf.protect

    @wraps(protect)
    def protect_unless_key(*args: Any, **kwargs: Any) -> Any:
        if g.get("_secret_keys_key"):
            return None
        return protect(*args, **kwargs)

    csrf.protect = protect_unless_key
    csrf._secret_keys_exempts_keys = True


class KeySessionInterface(SessionInterface):
    """Wraps the host's session interface so key-authenticated requests get no cookie.

    An API client has no use for a session, and a cookie set in answer to a
    key would turn the key into a browser credential.
    """

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self.inner.open_session(app, request)

    def make_null_session(self, app: Flask) -> Any:
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)

    def save_session(self, app: Flask, session: SessionMixin, response: Any) -> None:
        if g.get("_secret_keys_key"):
            return
        self.inner.save_session(app, session, response)


def _current_key() -> SecretKeyMixin | None:
    key = g.get("_secret_keys_key")
    return key or None


#: The key that authenticated the current request, or None (session or anonymous).
current_key: SecretKeyMixin | None = LocalProxy(_current_key)  # type: ignore[assignment]


def admin_api_required(view: F) -> F:
    """Protect an Admin API view: a logged-in admin, by session or by key.

    Anonymous callers get a 401 JSON with a Bearer challenge (never a redirect
    to a login page), non-admins a 403 JSON.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise AuthenticationRequired()
        if not _state().ext.is_admin(current_user._get_current_object()):
            raise AdminRequired()
        return current_app.ensure_sync(view)(*args, **kwargs)

    return cast(F, wrapper)

"""Header authentication on the host's Admin API, and nowhere else.

A secret API key is a credential for the Admin API: the views protected with
:func:`admin_api_required` and the blueprints declared with
:func:`admin_api_blueprint`. On those routes one ``before_request`` hook,
which runs before every other, reads a key from:

- ``Authorization: Bearer sk_…``;
- ``Authorization: Basic base64(sk_…:)`` (what ``requests`` sends for
  ``auth=(key, "")``), or ``Authorization: Basic sk_…`` unencoded;
- the configured custom header (``X-Api-Key`` by default).

An ``Authorization`` credential without the key prefix is not ours and is left
to the host's own authentication (a JWT, a proxy's Basic login). A key is
never read from the query string, the body or a cookie.

A valid key makes its owner the current user for this request only: no
cookie is set, no CSRF token is needed, and the key wins over a session
cookie. Any other credential of ours is a 401, even next to a valid session
cookie. A request authenticated by the session cookie must carry Flask-WTF's
CSRF token to change anything, whether or not the host set up
``CSRFProtect``. On every other route a key authenticates nobody: the request
is handled exactly as if it carried none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from flask import Blueprint, Flask, Request, current_app, g, request
from flask.sessions import SessionInterface, SessionMixin
from flask_login import current_user
from flask_wtf.csrf import same_origin, validate_csrf
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response
from wtforms import ValidationError

from . import _compat, schema
from .credentials import read_credential
from .errors import (
    AdminRequired,
    AuthenticationRequired,
    CSRFFailed,
    DatabaseUnavailable,
    InsufficientScope,
    InvalidKey,
    KeyRefused,
    MethodNotAllowedJSON,
    NetworkNotAllowed,
    SchemaOutdated,
    TooManyAttempts,
)
from .i18n import gettext
from .models import SecretKeyMixin
from .outages import DATABASE_UNAVAILABLE, log_unavailable
from .reach import check_access, check_resource_name
from .resources import mark
from .state import current_state

F = TypeVar("F", bound=Callable[..., Any])
B = TypeVar("B", bound=Blueprint)

#: The endpoints of the leak endpoints (:mod:`flask_secret_keys.leaks`): public,
#: and outside CSRF, as their callers have no session.
GITHUB_SCANNING_ENDPOINT = "secret_keys_github_scanning"
LEAK_REPORT_ENDPOINT = "secret_keys_leak_report"
_PUBLIC_ENDPOINTS = frozenset({GITHUB_SCANNING_ENDPOINT, LEAK_REPORT_ENDPOINT})

#: The methods that need a CSRF token, unless ``WTF_CSRF_METHODS`` says otherwise
#: (Flask-WTF's defaults).
_CSRF_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# Which routes are the Admin API


def require_admin() -> None:
    """Raise unless the current user is a logged-in admin, by session or by key.

    Anonymous callers get a 401 JSON with a Bearer challenge (never a redirect
    to a login page), a session request without its CSRF token a 400 JSON
    (with or without ``CSRFProtect``), non-admins a 403 JSON, and a database
    outage while the user is loaded a 503 JSON.
    """
    try:
        # Loading a session's user reads the database.
        authenticated = current_user.is_authenticated
        admin = authenticated and current_state().users.is_admin(current_user._get_current_object())
    except DATABASE_UNAVAILABLE as error:
        log_unavailable(error)
        raise DatabaseUnavailable() from None
    if not authenticated:
        raise AuthenticationRequired()
    _require_csrf_token()
    if not admin:
        raise AdminRequired()


def _require_csrf_token() -> None:
    """Refuse a session-cookie request that changes something without Flask-WTF's CSRF token.

    The pages' forms check their token themselves, and so must the Admin API:
    without it, a web page the admin visits could post to the API with the
    admin's cookie. The token is read as ``CSRFProtect`` reads it (the
    ``csrf_token`` form field or the ``X-CSRFToken`` header), and the request
    checked with or without ``CSRFProtect``; a request that ``CSRFProtect``
    has already passed is not checked twice. Key requests need no token, and
    neither do users a host's ``request_loader`` loads from a header, as no
    browser sends those on its own. ``WTF_CSRF_ENABLED = False`` turns the
    check off, as it does for the pages' forms.
    """
    config = current_app.config
    if (
        request.method not in config.get("WTF_CSRF_METHODS", _CSRF_METHODS)
        or not config.get("WTF_CSRF_ENABLED", True)
        or _is_key_request()
        or _compat.csrf_checked()
        or not _compat.user_from_session()
    ):
        return
    try:
        validate_csrf(_csrf_token_sent(config.get("WTF_CSRF_FIELD_NAME", "csrf_token")))
    except ValidationError as error:
        raise CSRFFailed(str(error.args[0])) from None
    if request.is_secure and config.get("WTF_CSRF_SSL_STRICT", True):
        # What CSRFProtect adds over HTTPS: the post comes from a page of this host.
        if not request.referrer:
            raise CSRFFailed(gettext("The referrer header is missing."))
        if not same_origin(request.referrer, f"https://{request.host}/"):
            raise CSRFFailed(gettext("The referrer does not match the host."))


def _csrf_token_sent(field_name: str) -> str | None:
    """The CSRF token of the request: in its form (a prefixed form's too), else a header."""
    form = request.form
    for name in form:
        if name.endswith(field_name):
            token = form[name]
            if token:
                return token
    for header in current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]):
        value = request.headers.get(header)
        if value:
            return value
    return None


@overload
def admin_api_required(view: F, /) -> F: ...


@overload
def admin_api_required(
    *, resource: str | None = None, access: str | None = None
) -> Callable[[F], F]: ...


def admin_api_required(
    view: F | None = None, /, *, resource: str | None = None, access: str | None = None
) -> F | Callable[[F], F]:
    """Make a view part of the Admin API: secret API keys authenticate on it.

    Only logged-in admins get through, by session or by key; see
    :func:`.require_admin` for the answers to everyone else. ``resource``
    names what the view touches (``"orders"``), so a Restricted key needs a
    permission for it: read for GET, HEAD and OPTIONS, write for every other
    method, unless ``access`` (``"read"`` or ``"write"``) says otherwise. In a
    blueprint declared with a resource, ``access`` alone overrides the access
    of one view. Without a resource (the bare ``@admin_api_required``) the
    route is undeclared: only a Full access key reaches it.

    .. versionchanged:: 0.3.0
       Takes ``resource`` and ``access``.
    """

    # A typo fails where it is made, at import time, not at the first request.
    if resource is not None:
        check_resource_name(resource)
    if access is not None:
        check_access(access)

    def declare(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_admin()
            return current_app.ensure_sync(view)(*args, **kwargs)

        mark(wrapper, resource, access)
        return cast(F, wrapper)

    return declare if view is None else declare(view)


def admin_api_blueprint(blueprint: B, *, resource: str | None = None) -> B:
    """Make every view of ``blueprint`` (and of blueprints nested in it) Admin API.

    The same as decorating each view with :func:`admin_api_required`, with
    the same ``resource`` (a view's own declaration wins)::

        api = admin_api_blueprint(
            Blueprint("orders_api", __name__, url_prefix="/admin/api/orders"), resource="orders"
        )

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.3.0
       Takes ``resource``.
    """
    blueprint.before_request(_require_admin_unless_automatic_options)
    mark(blueprint, resource, None)
    return blueprint


def _require_admin_unless_automatic_options() -> None:
    """:func:`require_admin`, except for the ``OPTIONS`` answer Flask gives by itself.

    Flask answers ``OPTIONS`` without calling the view unless the view lists
    the method, so a decorated view lets it through; a blueprint's
    ``before_request`` would not, and both forms must answer alike.
    """
    rule = request.url_rule
    if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
        return
    require_admin()


def is_admin_api_request() -> bool:
    """Whether the current request is routed to an Admin API view."""
    endpoint = request.endpoint
    return endpoint is not None and is_admin_api_endpoint(endpoint)


def is_admin_api_endpoint(endpoint: str) -> bool:
    """Whether the view of ``endpoint`` is Admin API, by itself or by its blueprints."""
    return current_state().routes.declaration(endpoint) is not None


def _refuse_wrong_method() -> None:
    """Answer a wrong method on an Admin API URL in JSON (Flask would send its HTML 405)."""
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed) or not error.valid_methods:
        return
    allowed = list(error.valid_methods)
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return
    try:
        endpoint, _values = adapter.match(method=allowed[0])
    except HTTPException:
        return
    if isinstance(endpoint, str) and is_admin_api_endpoint(endpoint):
        raise MethodNotAllowedJSON(valid_methods=allowed)


# Authenticating


def authenticate_request() -> SecretKeyMixin | None:
    """The key that authenticates the current request, checked once per request.

    Returns None when the request presents no key of ours. Raises
    :class:`~flask_secret_keys.errors.InvalidKey` when it presents one that
    does not authenticate (or
    :class:`~flask_secret_keys.errors.TooManyAttempts` once its client has
    used up its failed attempts), and
    :class:`~flask_secret_keys.errors.DatabaseUnavailable` when the database
    fails during the check, or :class:`~flask_secret_keys.errors.SchemaOutdated`
    when that is because its tables are older than the code. A valid key that may
    not make the request raises :class:`~flask_secret_keys.errors.NetworkNotAllowed`
    or :class:`~flask_secret_keys.errors.InsufficientScope`.
    """
    if "_secret_keys_key" in g:
        key = g._secret_keys_key
        if key is False:
            raise g.get("_secret_keys_refusal") or InvalidKey()
        return cast("SecretKeyMixin | None", key)
    state = current_state()
    settings = state.settings
    credential = read_credential(request, settings.header, settings.prefix)
    if credential is None:
        g._secret_keys_key = None
        return None
    endpoint = request.endpoint
    declaration = None if endpoint is None else state.routes.declaration(endpoint)
    try:
        key = state.service.authenticate(
            credential,
            ip=request.remote_addr,
            user_agent=request.user_agent.string,
            permission=None if declaration is None else declaration.permission(request.method),
        )
    except KeyRefused as refused:
        g._secret_keys_key = False
        g._secret_keys_refusal = (
            NetworkNotAllowed()
            if refused.reason == "network_not_allowed"
            else InsufficientScope(refused.required or "")
        )
        raise g._secret_keys_refusal from None
    except DBAPIError as error:
        missing = schema.missing_after(error)
        if missing:
            current_app.logger.error(schema.upgrade_message(missing))
            raise SchemaOutdated() from None
        if not isinstance(error, DATABASE_UNAVAILABLE):
            raise
        log_unavailable(error)
        raise DatabaseUnavailable() from None
    if key is None:
        g._secret_keys_key = False
        # A valid key is never refused for others' failures: the limit is
        # applied to failed attempts only, after the key was checked.
        limiter = state.limiter
        retry_after = None if limiter is None else limiter.record_failure(request.remote_addr)
        if retry_after is not None:
            raise TooManyAttempts(retry_after)
        raise InvalidKey()
    g._secret_keys_key = key
    return key


def authenticate() -> None:
    """The ``before_request`` hook: on Admin API routes, log a key's owner in.

    Registered to run before every other ``before_request`` function, so
    that ``CSRFProtect`` and the host's own hooks see the key's owner.
    """
    if not is_admin_api_request():
        if request.routing_exception is not None:
            _refuse_wrong_method()
        elif request.endpoint in _PUBLIC_ENDPOINTS:
            g._secret_keys_public = True
            _compat.exempt_from_csrf(
                current_app._get_current_object(),  # type: ignore[attr-defined]
                _csrf_left_to_require_admin,
                _csrf_failed,
            )
        return
    g._secret_keys_admin_api = True
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Before the key check, so that CSRFProtect (which may have been set up
    # after the extension) answers a session request to the API in JSON too.
    _compat.exempt_from_csrf(app, _csrf_left_to_require_admin, _csrf_failed)
    try:
        key = authenticate_request()
    except HTTPException:
        # The error page must not show the user of a session cookie that
        # came with the refused key.
        _compat.set_login_user(app.login_manager.anonymous_user())
        raise
    if key is None:
        return
    _compat.set_login_user(key.owner)
    keep_cookies_off(app)


def _is_key_request() -> bool:
    return bool(g.get("_secret_keys_key"))


def _csrf_left_to_require_admin() -> bool:
    """Whether ``CSRFProtect`` lets a request through without its token.

    The public leak endpoints need none: their callers have no session. On
    the Admin API, a key request needs no token; a request with no session
    user gets its 401 in :func:`require_admin` rather than a 400 for a token it
    could not have. A session user's token is checked there too, whether or
    not ``CSRFProtect`` did.
    """
    if g.get("_secret_keys_public"):
        return True
    return bool(g.get("_secret_keys_admin_api")) and (
        _is_key_request() or not _compat.user_from_session()
    )


def _csrf_failed(error: Exception) -> CSRFFailed | None:
    """The Admin API's JSON answer to a failed CSRF check; None elsewhere."""
    if not g.get("_secret_keys_admin_api"):
        return None
    return CSRFFailed(getattr(error, "description", None))


def add_key_response_headers(response: Response) -> Response:
    """An ``after_request`` function for Admin API responses.

    They depend on the credential headers, so ``Vary`` names them; a
    key-authenticated response is ``no-store`` unless the view chose its own
    caching.
    """
    if not g.get("_secret_keys_admin_api"):
        return response
    header = current_state().settings.header
    credentials = ("Authorization", header) if header else ("Authorization",)
    headers = response.headers
    if "Vary" in headers:
        response.vary.update(credentials)
    else:
        # Most responses have no Vary yet: skip parsing one.
        headers["Vary"] = ", ".join(credentials)
    if _is_key_request() and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


class KeySessionInterface(SessionInterface):
    """Wraps the host's session interface so key-authenticated responses set no cookie.

    An API client has no use for a session, and a cookie set in answer to a
    key would turn the key into a browser credential. The session is not
    saved, and any other cookie set on the way (Flask-Login's remember cookie,
    refreshed on each request when ``REMEMBER_COOKIE_REFRESH_EACH_REQUEST`` is
    on, or the host's own) is taken off: ``save_session`` runs after every
    ``after_request`` function.
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
        if _is_key_request():
            del response.headers["Set-Cookie"]
            return
        self.inner.save_session(app, session, response)


def keep_cookies_off(app: Flask) -> None:
    """Wrap the app's session interface in :class:`KeySessionInterface`, if it is not.

    Done at ``init_app`` and again on each key request, so a host that sets
    ``app.session_interface`` later (Flask-Session does) is wrapped too
    before its response is saved.
    """
    if not isinstance(app.session_interface, KeySessionInterface):
        app.session_interface = KeySessionInterface(app.session_interface)


def _current_key() -> SecretKeyMixin | None:
    key = g.get("_secret_keys_key")
    return key or None


#: The key that authenticated the current request, or None (session or anonymous).
current_key: SecretKeyMixin | None = LocalProxy(_current_key)  # type: ignore[assignment]


def allows(resource: str, access: str = "read") -> bool:
    """Whether the current request's credential may have ``access`` to ``resource``.

    For a finer check inside a view (a route that reads orders and, for some
    callers, their refunds). A key answers by its permissions (a Full access
    key allows everything); a session allows everything, as restrictions
    belong to keys: the host's own checks still decide what the user may do.

    .. versionadded:: 0.3.0
    """
    key = _current_key()
    return True if key is None else key.allows(resource, access)

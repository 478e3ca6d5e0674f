"""The ``secret_keys`` blueprint: the rules every page follows, and what its views share.

The views themselves are in :mod:`.keys` (a user's own keys) and
:mod:`.oversight` (every user's keys); both register on :data:`bp`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_htmx import HTMX
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import ProgrammingError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from .. import crypto
from ..errors import KeyNotFound
from ..forms import IdentifyForm, ListForm
from ..headers import add_security_headers
from ..i18n import gettext
from ..outages import DATABASE_UNAVAILABLE, outdated_schema_page, unavailable_page
from ..rendering import render_page, render_partial, signed_in_user, template_helpers
from ..rules import Actor, KeyQuery
from ..service import KeyService
from ..state import current_state

#: The pages' blueprint. Its templates and static files are the package's own.
bp = Blueprint(
    "secret_keys",
    __name__,
    root_path=str(Path(__file__).parent.parent),
    template_folder="templates",
    static_folder="static",
)

#: Reads htmx's request headers. It needs no ``init_app``, so the host app
#: does not have to set up flask-htmx itself.
htmx = HTMX()

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def key_service() -> KeyService:
    """The service of the current app."""
    return current_state().service


def current_actor() -> Actor:
    """The signed-in user as the actor of a change, with the client werkzeug sees."""
    return Actor.for_user(
        signed_in_user(), ip=request.remote_addr, user_agent=request.user_agent.string
    )


def wants_partial() -> bool:
    """Whether to answer with a partial: an htmx request, except a history restore."""
    return bool(htmx) and not htmx.history_restore_request


# Access rules


@bp.before_request
def _require_admin_session() -> ResponseReturnValue | None:
    """Let only the browser session of an admin user through (the stylesheet excepted)."""
    if request.endpoint == "secret_keys.static":
        return None
    if not current_user.is_authenticated:
        return _unauthorized()
    if not current_state().users.is_admin(signed_in_user()):
        abort(403, gettext("Secret API keys are for admin users only."))
    return None


def _unauthorized() -> ResponseReturnValue:
    """The host's Flask-Login answer to an anonymous user.

    An htmx request would follow a redirect to the login page and swap that
    page into a fragment, so it is told to load the login page in full instead.
    """
    response: Response = current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if bool(htmx) and response.status_code in _REDIRECT_CODES and response.location:
        return cast(Response, htmx_response("", 401, redirect=response.location))
    return response


@bp.errorhandler(KeyNotFound)
def _key_not_found(error: KeyNotFound) -> ResponseReturnValue:
    """A key that is gone, or is another user's, is a 404 like any missing page."""
    return current_app.handle_http_exception(NotFound())


@bp.after_request
def _vary_on_htmx(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


# The blueprint carries all its wiring, so ``init_app`` only registers it:
# security headers on its responses, a 503 page when the database fails, and
# the helpers its templates use.
bp.after_request(add_security_headers)
for _outage in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_outage, unavailable_page)
# PostgreSQL reports a missing column so: before `flask db upgrade`, a 503 page that says so.
bp.register_error_handler(ProgrammingError, outdated_schema_page)
bp.context_processor(template_helpers)


# What the views share


def validated(form: Any) -> bool:
    """Validate a posted form; a bad CSRF token is a 400, as with ``CSRFProtect``."""
    valid = bool(form.validate())
    if form.meta.csrf and form.csrf_token.errors:
        raise CSRFError(form.csrf_token.errors[0])
    return valid


def dialog_or_page(partial: str, title: str, status: int = 200, **context: Any) -> Response:
    """A dialog for htmx, or the same content as a page of its own without JavaScript."""
    if wants_partial():
        return render_partial(partial, status, as_dialog=True, **context)
    return render_page(
        "secret_keys/action.html", title, status, partial=partial, as_dialog=False, **context
    )


#: A list's search: the page of keys a query finds, and what else its templates show.
ListSearch = Callable[[KeyQuery], tuple[Pagination, dict[str, Any]]]


#: The list parameters the filters form sends that say nothing: their defaults.
_LIST_DEFAULTS = {"status": "all", "page": "1"}
_DEFAULT_SORT = ("created", "desc")


def _without_defaults(args: MultiDict[str, str]) -> list[tuple[str, str]]:
    """``args`` without empty values and defaults (a sort only as the pair ``sort``, ``dir``)."""
    default_sort = (args.get("sort"), args.get("dir")) == _DEFAULT_SORT
    return [
        (name, value)
        for name, value in args.items(multi=True)
        if value != ""
        and _LIST_DEFAULTS.get(name) != value
        and not (default_sort and name in ("sort", "dir"))
    ]


def key_list(
    form: ListForm, search: ListSearch, template: str, title: str, partial: str, **page: Any
) -> Response:
    """My keys and All keys: parse the query string, guard the search box, search, render.

    A whole key typed into the search box came in the URL: it is searched for
    nowhere and echoed nowhere, and the answer keeps the URL out of later
    requests' Referer. ``partial`` answers htmx; ``page`` is more context for
    the full page only.
    """
    settings = current_state().settings
    query = form.to_query(settings.per_page)
    secret_in_search = crypto.looks_like_token(query.search, settings.prefix)
    if secret_in_search:
        query = dataclasses.replace(query, search="", page=1)
    if not wants_partial() and not secret_in_search:
        # The filters form without JavaScript sends every field, empty or not:
        # the list answers at the URL without the empty and default ones.
        short = _without_defaults(request.args)
        if len(short) < len(list(request.args.items(multi=True))):
            url = request.path + (f"?{urlencode(short)}" if short else "")
            return cast(Response, redirect(url, 303))
    found, context = search(query)
    filtered = query.search or query.status != "all" or query.created_from or query.created_to
    context.update(
        form=form,
        query=query,
        page=found,
        filtered=bool(filtered or query.owner or secret_in_search),
        range_error=bool(
            query.created_from and query.created_to and query.created_from > query.created_to
        ),
        secret_in_search=secret_in_search,
    )
    if wants_partial():
        response = render_partial(partial, oob=True, **context)
    else:
        identify_form = IdentifyForm(formdata=None)
        response = render_page(template, title, identify_form=identify_form, **page, **context)
    if secret_in_search:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response

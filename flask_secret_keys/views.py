"""The Settings → Secret API Keys pages: list, create, details, edit, revoke, delete.

Views translate HTTP to :class:`~flask_secret_keys.service.KeyService` calls and
service errors to responses. Every page and action works as a plain HTML form
with redirects; a request made by htmx (``HX-Request``) is answered with a
partial instead, and every response carries ``Vary: HX-Request``.

The pages are for the browser sessions of admin users. A request
authenticated by a secret API key gets a 403 here, so a leaked key can never
be used to manage keys.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shlex
from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_htmx import HTMX
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from jinja2 import Environment, Template
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from . import crypto
from .auth import current_key
from .errors import ActiveKeyExists, InvalidTitle, KeyAlreadyRevoked, KeyNotFound, KeyNotRevoked
from .forms import ConfirmForm, CreateForm, IdentifyForm, ListForm, TitleForm
from .models import SecretKeyMixin, utcnow
from .service import KeyQuery, KeyService

if TYPE_CHECKING:
    from .extension import _State

bp = Blueprint("secret_keys", __name__, template_folder="templates", static_folder="static")

#: Reads htmx's request headers. It needs no ``init_app``, so the host app
#: does not have to set up flask-htmx itself.
htmx = HTMX()

#: The flash category of the pages' notices, so they are told apart from the host's.
FLASH_CATEGORY = "secret_keys"

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

#: One compiled layout bridge per Jinja environment (that is, per app).
_bridges: WeakKeyDictionary[Environment, Template] = WeakKeyDictionary()


def _state() -> _State:
    return cast("_State", current_app.extensions["secret_keys"])


def _service() -> KeyService:
    return _state().service


def _user() -> Any:
    return current_user._get_current_object()


def _wants_partial() -> bool:
    """Whether to answer with a partial: an htmx request, except a history restore."""
    return bool(htmx) and not htmx.history_restore_request


# Access rules


@bp.before_request
def _require_admin_session() -> ResponseReturnValue | None:
    """Let only the browser session of an admin user through (the stylesheet excepted)."""
    if request.endpoint == "secret_keys.static":
        return None
    if current_key:
        abort(
            403,
            "Secret API keys are managed from a browser session: a request"
            " authenticated by a secret API key cannot manage keys.",
        )
    if not current_user.is_authenticated:
        return _unauthorized()
    if not _state().ext.is_admin(_user()):
        abort(403, "Secret API keys are for admin users only.")
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


def _validated(form: Any) -> bool:
    """Validate a posted form; a bad CSRF token is a 400, as with ``CSRFProtect``."""
    valid = bool(form.validate())
    if form.meta.csrf and form.csrf_token.errors:
        raise CSRFError(form.csrf_token.errors[0])
    return valid


# Rendering


def _bridge() -> Template:
    """A template that puts a rendered page body into the configured layout.

    Jinja cannot choose a block by a variable's value, so the bridge is
    compiled once per app from the validated ``SECRET_KEYS_CONTENT_BLOCK``.
    """
    env = current_app.jinja_env
    template = _bridges.get(env)
    if template is None:
        block = _state().settings.content_block
        title = "" if block == "title" else "{% block title %}{{ sk_title }}{% endblock %}"
        template = env.from_string(
            "{% extends sk_base_template %}"
            + title
            + f"{{% block {block} %}}{{{{ sk_body }}}}{{% endblock %}}"
        )
        _bridges[env] = template
    return template


def _page(template: str, title: str, status: int = 200, **context: Any) -> Response:
    """A full page: the body ``template`` rendered inside the configured layout."""
    body = Markup(render_template(template, **context))  # noqa: S704
    html = render_template(
        _bridge(),
        sk_base_template=_state().settings.base_template,
        sk_title=title,
        sk_body=body,
    )
    return make_response(html, status)


def _partial(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, **context), status)


def _dialog_or_page(partial: str, title: str, status: int = 200, **context: Any) -> Response:
    """A dialog for htmx, or the same content as a page of its own without JavaScript."""
    if _wants_partial():
        return _partial(partial, status, as_dialog=True, **context)
    return _page(
        "secret_keys/action.html", title, status, partial=partial, as_dialog=False, **context
    )


def _key_context(key: SecretKeyMixin) -> dict[str, Any]:
    """What the details card needs: a revoked key's page offers to create a new
    key, unless another key of the user's is active."""
    active_key = None if key.is_active else _service().active_key(_user())
    return {"key": key, "active_key": active_key}


def _key_changed(key: SecretKeyMixin, message: str) -> ResponseReturnValue:
    """After an edit or a revoke: the key's card replaced in place, or its details page."""
    if _wants_partial():
        return cast(
            Response,
            htmx_response(
                render_template("secret_keys/_key.html", **_key_context(key)),
                retarget="#sk-key",
                reswap="outerHTML",
                trigger_after_settle={"sk-toast": {"message": message}, "sk-done": True},
            ),
        )
    flash(message, FLASH_CATEGORY)
    return redirect(url_for(".detail", key_id=key.id), 303)


# Template helpers


def time_ago(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """``when`` in words relative to ``now``: "just now", "3 minutes ago", "2 days ago"."""
    seconds = ((now or utcnow()) - when).total_seconds()
    minutes, hours, days = seconds / 60, seconds / 3600, seconds / 86400
    if seconds < 45:
        return "just now"
    if seconds < 90:
        return "a minute ago"
    if minutes < 45:
        # From 90 seconds on: never "1 minutes ago".
        return f"{max(2, round(minutes))} minutes ago"
    if minutes < 90:
        return "an hour ago"
    if hours < 22:
        return f"{round(hours)} hours ago"
    if hours < 36:
        return "a day ago"
    if days < 26:
        return f"{round(days)} days ago"
    if days < 45:
        return "a month ago"
    if days < 320:
        return f"{round(days / 30.44)} months ago"
    if days < 548:
        return "a year ago"
    return f"{round(days / 365.25)} years ago"


def exact_time(when: dt.datetime) -> str:
    """``when`` as an unambiguous UTC time, for a tooltip."""
    return when.astimezone(dt.timezone.utc).strftime("%d %b %Y, %H:%M:%S UTC")


def user_label(user: Any | None) -> str:
    """How a user is named on a page: "You", their email, or their id."""
    if user is None:
        return "a user who no longer exists"
    if user == _user():
        return "You"
    return str(getattr(user, "email", None) or _state().ext.user_id(user))


def list_url(query: KeyQuery, **changes: Any) -> str:
    """The list's URL for ``query`` with ``changes``, leaving defaults out."""
    query = dataclasses.replace(query, **changes)
    default = KeyQuery()
    args: dict[str, Any] = {}
    if query.search:
        args["q"] = query.search
    if query.status != default.status:
        args["status"] = query.status
    if query.created_from is not None:
        args["created_from"] = query.created_from.isoformat()
    if query.created_to is not None:
        args["created_to"] = query.created_to.isoformat()
    if (query.sort, query.direction) != (default.sort, default.direction):
        args["sort"], args["dir"] = query.sort, query.direction
    if query.page != 1:
        args["page"] = query.page
    return url_for(".index", **args)


def curl_line(token: str) -> str | None:
    """A curl command that calls the host's Admin API with ``token``, or None
    when the host has not named an endpoint (``SECRET_KEYS_API_EXAMPLE_URL``)."""
    url = _state().settings.api_example_url
    if url is None:
        return None
    if url.startswith("/"):
        url = request.host_url.rstrip("/") + url
    return f'curl -H "Authorization: Bearer {token}" {shlex.quote(url)}'


def _is_filtered(query: KeyQuery) -> bool:
    return bool(query.search or query.status != "all" or query.created_from or query.created_to)


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "sk_settings": _state().settings,
        "sk_csrf_token": generate_csrf,
        "sk_ago": time_ago,
        "sk_exact": exact_time,
        "sk_user_label": user_label,
        "sk_list_url": list_url,
        "sk_flash_category": FLASH_CATEGORY,
        "sk_curl_line": curl_line,
        "sk_secret_pattern": crypto.secret_pattern(_state().settings.prefix),
    }


# Views


@bp.get("", strict_slashes=False)
def index() -> Response:
    """The current user's keys: search, filters, sort and pages, all in the query string."""
    form = ListForm(request.args)
    query = form.to_query(_state().settings.per_page)
    # A whole key typed into the search box came in the URL: search nothing
    # and echo nothing, and keep the URL out of later requests' Referer.
    secret_in_search = crypto.looks_like_token(query.search, _state().settings.prefix)
    if secret_in_search:
        query = dataclasses.replace(query, search="", page=1)
    user = _user()
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "page": _service().list(user, query),
        "filtered": _is_filtered(query) or secret_in_search,
        "range_error": bool(
            query.created_from and query.created_to and query.created_from > query.created_to
        ),
        "secret_in_search": secret_in_search,
    }
    if _wants_partial():
        response = _partial("secret_keys/_results.html", oob=True, **context)
    else:
        response = _page(
            "secret_keys/index.html",
            "Secret API Keys",
            active_key=_service().active_key(user),
            identify_form=IdentifyForm(formdata=None),
            **context,
        )
    if secret_in_search:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/identify")
def identify() -> ResponseReturnValue:
    """Open the key a pasted secret belongs to; another user's key is no match.

    A POST, so the secret stays out of URLs, history and access logs; the
    answer never repeats it.
    """
    form = IdentifyForm()
    if _validated(form):
        key = _service().identify(_user(), (form.key.data or "").strip())
        if key is not None:
            url = url_for(".detail", key_id=key.id)
            if _wants_partial():
                return cast(Response, htmx_response("", redirect=url))
            return redirect(url, 303)
        form.key.errors.append(
            "No key of yours matches. Check that the whole key was pasted: it is"
            f" {crypto.token_length(_state().settings.prefix)} characters long."
        )
    form.key.data = ""
    if _wants_partial():
        response = _partial("secret_keys/_identify.html", 422, identify_form=form)
    else:
        response = _page(
            "secret_keys/action.html",
            "Identify a key",
            422,
            partial="secret_keys/_identify.html",
            identify_form=form,
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response:
    """The create form; its POST answers with the new key, shown this once.

    The reveal is the POST's own response, never a redirect target, and is
    not cached. Posting again (a reload) finds the new key active and is refused.
    A second send of the same form whose first answer was lost (a double
    click over a slow link, without JavaScript) is offered a replacement.
    """
    service, user = _service(), _user()
    form = CreateForm()
    posted = request.method == "POST"
    valid = posted and _validated(form)
    title = "Create a secret API key"
    active_key = lost_key = None
    if valid and form.replace.data:
        # "Replace with a new key": only the key this form made, never used.
        replaced = _replaceable(form, service.active_key(user))
        if replaced is not None and form.replace.data == str(replaced.id):
            # A concurrent send may have revoked it first; then create below decides.
            with contextlib.suppress(KeyAlreadyRevoked):
                service.revoke(replaced, by=user)
    if valid:
        try:
            key, token = service.create(user, form.title.data)
        except ActiveKeyExists:
            active_key = service.active_key(user)
            lost_key = _replaceable(form, active_key)
        except InvalidTitle as error:
            form.title.errors.append(str(error))
        else:
            if not _wants_partial():
                # With htmx the dialog itself says so; a notice would wait in
                # the session and greet the next page, whenever that is.
                flash(f"Secret API key “{key.title}” created.", FLASH_CATEGORY)
            response = _dialog_or_page(
                "secret_keys/_reveal.html", "Copy your new secret API key", key=key, token=token
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    else:
        active_key = service.active_key(user)
        # Whole seconds: some databases store times without fractions.
        form.opened.data = str(int(utcnow().timestamp()))
    status = 200
    if posted:
        status = 409 if active_key is not None else 422
    return _dialog_or_page(
        "secret_keys/_create.html",
        title,
        status,
        form=form,
        active_key=active_key,
        lost_key=lost_key,
    )


def _replaceable(form: CreateForm, key: SecretKeyMixin | None) -> SecretKeyMixin | None:
    """``key`` if this very form could have created it and it was never used.

    Such a key was made by an earlier send of the form (its answer, the only
    one with the key, was lost), so replacing it takes nothing from anyone.
    """
    opened = form.opened_at()
    if key is None or opened is None or key.last_used_at is not None:
        return None
    return key if key.created_at >= opened else None


@bp.get("/<int:key_id>")
def detail(key_id: int) -> Response:
    """A key's details page: its status, times and the actions menu."""
    key = _service().get(_user(), key_id)
    if _wants_partial():
        return _partial("secret_keys/_key.html", **_key_context(key))
    return _page("secret_keys/detail.html", key.title, **_key_context(key))


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
def edit(key_id: int) -> ResponseReturnValue:
    """Rename a key: a side panel with htmx, a form page without."""
    key = _service().get(_user(), key_id)
    if request.method == "GET":
        form = TitleForm(obj=key)
        return _dialog_or_page("secret_keys/_edit.html", "Edit secret API key", form=form, key=key)
    form = TitleForm()
    if _validated(form):
        try:
            _service().rename(key, form.title.data)
        except InvalidTitle as error:
            form.title.errors.append(str(error))
        else:
            return _key_changed(key, "Title updated.")
    return _dialog_or_page("secret_keys/_edit.html", "Edit secret API key", 422, form=form, key=key)


@bp.route("/<int:key_id>/revoke", methods=["GET", "POST"])
def revoke(key_id: int) -> ResponseReturnValue:
    """Revoke a key for good, after a confirmation."""
    key = _service().get(_user(), key_id)
    form = ConfirmForm()
    status = 200
    if request.method == "POST" and _validated(form):
        try:
            _service().revoke(key, by=_user())
        except KeyAlreadyRevoked:
            status = 409
        else:
            return _key_changed(key, f"Secret API key “{key.title}” revoked.")
    return _dialog_or_page("secret_keys/_revoke.html", "Revoke API key", status, form=form, key=key)


@bp.route("/<int:key_id>/delete", methods=["GET", "POST"])
def delete(key_id: int) -> ResponseReturnValue:
    """Delete a revoked key, after a confirmation; then back to the list."""
    key = _service().get(_user(), key_id)
    form = ConfirmForm()
    status = 200
    if request.method == "POST" and _validated(form):
        title = key.title
        try:
            _service().delete(key)
        except KeyNotRevoked:
            status = 409
        else:
            flash(f"Secret API key “{title}” deleted.", FLASH_CATEGORY)
            if _wants_partial():
                return cast(Response, htmx_response("", redirect=url_for(".index")))
            return redirect(url_for(".index"), 303)
    return _dialog_or_page(
        "secret_keys/_delete.html", "Delete secret API key", status, form=form, key=key
    )

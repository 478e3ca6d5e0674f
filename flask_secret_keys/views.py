"""The Settings → Secret API Keys pages: list, create, details, edit, revoke, delete.

Users the ``can_oversee`` predicate names also get **All keys**: every user's
keys, any of which they may open and revoke, and the revocation of all active
keys of one user at once.

Views translate HTTP to :class:`~flask_secret_keys.service.KeyService` calls and
service errors to responses. Every page and action works as a plain HTML form
with redirects; a request made by htmx (``HX-Request``) is answered with a
partial instead, and every response carries ``Vary: HX-Request``.

The pages are for the browser sessions of admin users. They are not Admin
API, so a secret API key authenticates nobody here: a leaked key can never be
used to manage keys.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shlex
from collections.abc import Callable
from typing import Any, cast
from weakref import WeakKeyDictionary

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    has_request_context,
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
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf
from jinja2 import Environment, Template
from markupsafe import Markup
from sqlalchemy.exc import ProgrammingError
from werkzeug.exceptions import NotFound

from . import crypto, models
from .errors import (
    ActiveKeyExists,
    InvalidLifetime,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    KeyNotRollable,
    SecretKeyError,
)
from .forms import (
    AllKeysForm,
    ConfirmForm,
    CreateForm,
    DelayForm,
    IdentifyForm,
    ListForm,
    TitleForm,
)
from .headers import add_security_headers
from .models import IP_MAX_LENGTH, USER_AGENT_MAX_LENGTH, KeyEventMixin, SecretKeyMixin
from .outages import DATABASE_UNAVAILABLE, outdated_schema_page, unavailable_page
from .service import EXPIRY_WARNING, Actor, KeyQuery, KeyService, describe_duration
from .state import current_state

bp = Blueprint("secret_keys", __name__, template_folder="templates", static_folder="static")

#: Reads htmx's request headers. It needs no ``init_app``, so the host app
#: does not have to set up flask-htmx itself.
htmx = HTMX()

#: The flash category of the pages' notices, so they are told apart from the host's.
FLASH_CATEGORY = "secret_keys"

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

#: One compiled layout bridge per Jinja environment (that is, per app).
_bridges: WeakKeyDictionary[Environment, Template] = WeakKeyDictionary()


def _service() -> KeyService:
    return current_state().service


def _user() -> Any:
    return current_user._get_current_object()


def _actor() -> Actor:
    """The signed-in user as the actor of a change, with the client werkzeug sees."""
    return Actor.for_user(
        _user(),
        ip=(request.remote_addr or "")[:IP_MAX_LENGTH] or None,
        user_agent=(request.user_agent.string or "")[:USER_AGENT_MAX_LENGTH] or None,
    )


def _oversees() -> bool:
    return bool(current_state().users.can_oversee(_user()))


def _is_own(key: SecretKeyMixin) -> bool:
    return bool(key.user_id == current_state().users.user_id(_user()))


def _viewable_key(key_id: int) -> SecretKeyMixin:
    """A key the user may open and revoke: their own, or any key for an overseer."""
    if _oversees():
        return _service().key_by_id(key_id)
    return _service().key_of(_user(), key_id)


def _require_overseer() -> None:
    if not _oversees():
        abort(403, "Only users who oversee secret API keys can see every user's keys.")


def _wants_partial() -> bool:
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
    if not current_state().users.is_admin(_user()):
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


# The blueprint carries all its wiring, so ``init_app`` only registers it:
# security headers on its responses, and a 503 page when the database fails.
bp.after_request(add_security_headers)
for _outage in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_outage, unavailable_page)
# PostgreSQL reports a missing column so: before `flask db upgrade`, a 503 page that says so.
bp.register_error_handler(ProgrammingError, outdated_schema_page)


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
        block = current_state().settings.content_block
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
        sk_base_template=current_state().settings.base_template,
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


def _confirmed(
    key: SecretKeyMixin,
    form: FlaskForm,
    act: Callable[[], ResponseReturnValue],
    refusals: tuple[type[SecretKeyError], ...],
    partial: str,
    title: str,
    **context: Any,
) -> ResponseReturnValue:
    """The shape of the revoke, roll and delete views: a confirmation, then the action.

    A GET (or a form that does not validate) shows the confirmation; a valid
    POST runs ``act``, whose response is the answer. A refusal in ``refusals``
    (the key changed since the confirmation was shown) is a 409 showing the
    confirmation again, with the reason as ``error``.
    """
    status, error = 200, None
    if request.method == "POST" and _validated(form):
        try:
            return act()
        except refusals as refused:
            status, error = 409, str(refused)
    return _dialog_or_page(partial, title, status, form=form, key=key, error=error, **context)


# Template helpers


#: The locale of dates and relative times when the host does not use Flask-Babel.
DEFAULT_LOCALE = "en"


def current_locale() -> Locale | str:
    """The locale of dates and times on the pages: Flask-Babel's for this request
    when the host has initialised Flask-Babel, else :data:`DEFAULT_LOCALE`."""
    if has_request_context() and "babel" in current_app.extensions:
        from flask_babel import get_locale  # only there when the host installed it

        return get_locale() or DEFAULT_LOCALE
    return DEFAULT_LOCALE


def time_ago(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long before ``now`` ``when`` was, in words: "3 minutes ago", "2 days ago"."""
    elapsed = (now or models.utcnow()) - when
    # What has happened is "1 second ago" at the least, never "in 0 seconds",
    # even when a held or stepped clock puts it at now or a little after.
    elapsed = max(elapsed, dt.timedelta(seconds=1))
    return format_timedelta(-elapsed, add_direction=True, locale=current_locale())


def time_until(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """``when`` relative to ``now`` in words: "in 5 days", "in 3 hours", or
    "2 minutes ago" once it has passed."""
    delta = when - (now or models.utcnow())
    return format_timedelta(delta, add_direction=True, locale=current_locale())


def calendar_date(when: dt.datetime) -> str:
    """``when``'s UTC date written out: "March 1, 2027"."""
    return format_date(when.astimezone(dt.timezone.utc), "long", locale=current_locale())


def exact_time(when: dt.datetime) -> str:
    """``when`` as an unambiguous UTC time, for a tooltip: "November 26, 2026, 8:00:00 PM UTC"."""
    return format_datetime(when, "long", tzinfo=dt.timezone.utc, locale=current_locale())


def user_label(user: Any | None) -> str:
    """How a user is named on a page: "You", or as ``SecretKeys.user_name`` names them."""
    if user is None:
        return "a user who no longer exists"
    if user == _user():
        return "You"
    return current_state().users.user_name(user)


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
    if request.endpoint == "secret_keys.all_keys":
        if query.owner:
            args["owner"] = query.owner
        return url_for(".all_keys", **args)
    return url_for(".index", **args)


def curl_line(token: str) -> str | None:
    """A curl command that calls the host's Admin API with ``token``, or None
    when the host has not named an endpoint (``SECRET_KEYS_API_EXAMPLE_URL``)."""
    url = current_state().settings.api_example_url
    if url is None:
        return None
    if url.startswith("/"):
        url = request.host_url.rstrip("/") + url
    return f'curl -H "Authorization: Bearer {token}" {shlex.quote(url)}'


def _is_filtered(query: KeyQuery) -> bool:
    return bool(
        query.search or query.status != "all" or query.created_from or query.created_to
    ) or bool(query.owner)


def activity(key: SecretKeyMixin) -> list[KeyEventMixin]:
    """A key's latest events, newest first, for its Activity section."""
    return _service().events_of(key.id, limit=ACTIVITY_LIMIT)


#: The Activity section shows this many events at most; ``flask secret-keys log`` shows all.
ACTIVITY_LIMIT = 50


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "sk_settings": current_state().settings,
        "sk_csrf_token": generate_csrf,
        "sk_ago": time_ago,
        "sk_until": time_until,
        "sk_date": calendar_date,
        "sk_exact": exact_time,
        "sk_now": models.utcnow(),
        "sk_expiry_warning": EXPIRY_WARNING,
        "sk_describe": describe_duration,
        "sk_user_label": user_label,
        "sk_list_url": list_url,
        "sk_flash_category": FLASH_CATEGORY,
        "sk_activity": activity,
        "sk_activity_limit": ACTIVITY_LIMIT,
        "sk_oversees": _oversees,
        "sk_is_own": _is_own,
        "sk_user_name": current_state().users.user_name,
        "sk_curl_line": curl_line,
        "sk_secret_pattern": crypto.secret_pattern(current_state().settings.prefix),
    }


# Views


@bp.get("", strict_slashes=False)
def index() -> Response:
    """The current user's keys: search, filters, sort and pages, all in the query string."""
    form = ListForm(request.args)
    query = form.to_query(current_state().settings.per_page)
    # A whole key typed into the search box came in the URL: search nothing
    # and echo nothing, and keep the URL out of later requests' Referer.
    secret_in_search = crypto.looks_like_token(query.search, current_state().settings.prefix)
    if secret_in_search:
        query = dataclasses.replace(query, search="", page=1)
    user = _user()
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "page": _service().search(user, query),
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
    status, retry_after = 422, None
    if _validated(form):
        key = _service().identify(_user(), (form.key.data or "").strip())
        if key is not None:
            url = url_for(".detail", key_id=key.id)
            if _wants_partial():
                return cast(Response, htmx_response("", redirect=url))
            return redirect(url, 303)
        # A secret that matches nothing is a failed key attempt, as on the Admin API.
        limiter = current_state().limiter
        retry_after = None if limiter is None else limiter.record_failure(request.remote_addr)
        if retry_after is not None:
            status = 429
            form.key.errors.append(
                f"Too many keys that match nothing. Try again in {retry_after} seconds."
            )
        else:
            form.key.errors.append(
                "No key of yours matches. Check that the whole key was pasted: it is"
                f" {crypto.token_length(current_state().settings.prefix)} characters long."
            )
    form.key.data = ""
    if _wants_partial():
        response = _partial("secret_keys/_identify.html", status, identify_form=form)
    else:
        response = _page(
            "secret_keys/action.html",
            "Identify a key",
            status,
            partial="secret_keys/_identify.html",
            identify_form=form,
        )
    response.headers["Cache-Control"] = "no-store"
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _create_form(formdata: Any = None) -> CreateForm:
    settings = current_state().settings
    form = CreateForm() if formdata is None else CreateForm(formdata=formdata)
    return form.setup(settings.default_expiration, settings.max_lifetime)


def _reveal(key: SecretKeyMixin, token: str, message: str) -> Response:
    """The new key, shown this once: the POST's own response, never cached.

    ``message`` is flashed for the page that follows, without JavaScript only:
    with htmx the dialog itself says so, and a notice would wait in the
    session and greet the next page, whenever that is.
    """
    if not _wants_partial():
        flash(message, FLASH_CATEGORY)
    response = _dialog_or_page(
        "secret_keys/_reveal.html", "Copy your new secret API key", key=key, token=token
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
    form = _create_form()
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
                service.revoke(replaced, actor=_actor())
    if valid:
        try:
            key, token = service.create(
                user, form.title.data, form.expires_at(models.utcnow()), actor=_actor()
            )
        except ActiveKeyExists as refused:
            active_key = refused.key
            lost_key = _replaceable(form, active_key)
        except InvalidLifetime as error:
            field = form.expires_on if form.expiration.data == "custom" else form.expiration
            field.errors = [*field.errors, str(error)]
        else:
            return _reveal(key, token, f"Secret API key “{key.title}” created.")
    else:
        active_key = service.active_key(user)
        # Whole seconds: some databases store times without fractions.
        form.opened.data = str(int(models.utcnow().timestamp()))
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
    """A key's details page: its status, times, activity and the actions menu."""
    key = _viewable_key(key_id)
    if _wants_partial():
        return _partial("secret_keys/_key.html", **_key_context(key))
    return _page("secret_keys/detail.html", key.title, **_key_context(key))


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
def edit(key_id: int) -> ResponseReturnValue:
    """Rename a key: a side panel with htmx, a form page without."""
    key = _service().key_of(_user(), key_id)
    if request.method == "GET":
        form = TitleForm(obj=key)
        return _dialog_or_page("secret_keys/_edit.html", "Edit secret API key", form=form, key=key)
    form = TitleForm()
    # The form ran the service's title rules already, so the rename cannot refuse the title.
    if _validated(form):
        _service().rename(key, form.title.data, _actor())
        return _key_changed(key, "Title updated.")
    return _dialog_or_page("secret_keys/_edit.html", "Edit secret API key", 422, form=form, key=key)


@bp.route("/<int:key_id>/revoke", methods=["GET", "POST"])
def revoke(key_id: int) -> ResponseReturnValue:
    """Revoke a key for good, now or later, after a confirmation; an overseer may revoke any key.

    With ``then=create`` (the "Revoke and create new" step of the create
    form), a revocation leads straight to the create form.
    """
    key = _viewable_key(key_id)
    form = DelayForm()
    then_create = request.values.get("then") == "create"

    def act() -> ResponseReturnValue:
        delay = form.delay
        _service().revoke(key, at=models.utcnow() + delay if delay else None, actor=_actor())
        if delay:
            message = f"Secret API key “{key.title}” will be revoked in {describe_duration(delay)}."
        else:
            message = f"Secret API key “{key.title}” revoked."
        if not then_create:
            return _key_changed(key, message)
        flash(message, FLASH_CATEGORY)
        if _wants_partial():
            return _partial(
                "secret_keys/_create.html",
                as_dialog=True,
                form=_create_form(formdata={}),
                active_key=None,
            )
        return redirect(url_for(".create"), 303)

    return _confirmed(
        key,
        form,
        act,
        (KeyAlreadyRevoked,),
        "secret_keys/_revoke.html",
        "Revoke API key",
        then_create=then_create,
    )


@bp.route("/<int:key_id>/roll", methods=["GET", "POST"])
def roll(key_id: int) -> ResponseReturnValue:
    """Roll a key: a successor with the same title, shown once; the old key revoked later."""
    key = _service().key_of(_user(), key_id)
    form = DelayForm()

    def act() -> ResponseReturnValue:
        successor, token = _service().roll(key, form.delay, actor=_actor())
        return _reveal(successor, token, f"Secret API key “{key.title}” rolled.")

    return _confirmed(
        key, form, act, (KeyNotRollable, ActiveKeyExists), "secret_keys/_roll.html", "Roll key"
    )


@bp.route("/<int:key_id>/delete", methods=["GET", "POST"])
def delete(key_id: int) -> ResponseReturnValue:
    """Delete a revoked key, after a confirmation; then back to the list."""
    key = _service().key_of(_user(), key_id)
    form = ConfirmForm()

    def act() -> ResponseReturnValue:
        title = key.title
        _service().delete(key, _actor())
        flash(f"Secret API key “{title}” deleted.", FLASH_CATEGORY)
        if _wants_partial():
            return cast(Response, htmx_response("", redirect=url_for(".index")))
        return redirect(url_for(".index"), 303)

    return _confirmed(
        key, form, act, (KeyNotRevoked,), "secret_keys/_delete.html", "Delete secret API key"
    )


# Oversight


@bp.get("/all")
def all_keys() -> Response:
    """Every user's keys, for overseers: the list's search, filters and sort, and an owner."""
    _require_overseer()
    form = AllKeysForm(request.args)
    query = form.to_query(current_state().settings.per_page)
    owner = None
    if query.owner:
        owner = current_state().users.find_user(query.owner)
        if owner is None:
            form.owner.errors = [f"No user “{query.owner}”."]
    service = _service()
    # An owner filter naming no user matches no key.
    page = service.search_all(
        query, owners=[owner] if owner is not None else [] if query.owner else None
    )
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "page": page,
        "filtered": _is_filtered(query),
        "all_keys": True,
        "owner": owner,
        "active_count": len(service.working_keys_of(owner)) if owner is not None else 0,
    }
    if _wants_partial():
        return _partial("secret_keys/_all_results.html", oob=True, **context)
    return _page("secret_keys/all.html", "All keys", **context)


@bp.route("/all/revoke", methods=["GET", "POST"])
def revoke_all() -> ResponseReturnValue:
    """Revoke every active key of one user at once, after a confirmation naming how many."""
    _require_overseer()
    identifier = (request.values.get("owner") or "").strip()
    owner = current_state().users.find_user(identifier) if identifier else None
    if owner is None:
        abort(404)
    service = _service()
    form = ConfirmForm()
    if request.method == "POST" and _validated(form):
        revoked = service.revoke_all(owner, _actor())
        count = len(revoked)
        name = current_state().users.user_name(owner)
        flash(
            f"Revoked {count} active {'key' if count == 1 else 'keys'} of {name}.",
            FLASH_CATEGORY,
        )
        target = url_for(".all_keys", owner=identifier)
        if _wants_partial():
            return cast(Response, htmx_response("", redirect=target))
        return redirect(target, 303)
    return _dialog_or_page(
        "secret_keys/_revoke_all.html",
        "Revoke all active keys",
        form=form,
        owner=owner,
        identifier=identifier,
        keys=service.working_keys_of(owner),
    )

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
from collections.abc import Callable
from typing import Any, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_htmx import HTMX
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
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
from .models import IP_MAX_LENGTH, USER_AGENT_MAX_LENGTH, SecretKeyMixin
from .outages import DATABASE_UNAVAILABLE, unavailable_page
from .rendering import (
    FLASH_CATEGORY,
    oversees,
    render_page,
    render_partial,
    signed_in_user,
    template_helpers,
)
from .service import Actor, KeyQuery, KeyService, describe_duration
from .state import current_state

bp = Blueprint("secret_keys", __name__, template_folder="templates", static_folder="static")

#: Reads htmx's request headers. It needs no ``init_app``, so the host app
#: does not have to set up flask-htmx itself.
htmx = HTMX()

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def _service() -> KeyService:
    return current_state().service


def _actor() -> Actor:
    """The signed-in user as the actor of a change, with the client werkzeug sees."""
    return Actor.for_user(
        signed_in_user(),
        ip=(request.remote_addr or "")[:IP_MAX_LENGTH] or None,
        user_agent=(request.user_agent.string or "")[:USER_AGENT_MAX_LENGTH] or None,
    )


def _viewable_key(key_id: int) -> SecretKeyMixin:
    """A key the user may open and revoke: their own, or any key for an overseer."""
    if oversees():
        return _service().key_by_id(key_id)
    return _service().key_of(signed_in_user(), key_id)


def _require_overseer() -> None:
    if not oversees():
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
    if not current_state().users.is_admin(signed_in_user()):
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


def _validated(form: Any) -> bool:
    """Validate a posted form; a bad CSRF token is a 400, as with ``CSRFProtect``."""
    valid = bool(form.validate())
    if form.meta.csrf and form.csrf_token.errors:
        raise CSRFError(form.csrf_token.errors[0])
    return valid


# Responses


def _dialog_or_page(partial: str, title: str, status: int = 200, **context: Any) -> Response:
    """A dialog for htmx, or the same content as a page of its own without JavaScript."""
    if _wants_partial():
        return render_partial(partial, status, as_dialog=True, **context)
    return render_page(
        "secret_keys/action.html", title, status, partial=partial, as_dialog=False, **context
    )


def _key_context(key: SecretKeyMixin) -> dict[str, Any]:
    """What the details card needs: a revoked key's page offers to create a new
    key, unless another key of the user's is active."""
    active_key = None if key.is_active else _service().active_key(signed_in_user())
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


#: A list's search: the page of keys a query finds, and what else its templates show.
ListSearch = Callable[[KeyQuery], tuple[Pagination, dict[str, Any]]]


def _key_list(
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
    if _wants_partial():
        response = render_partial(partial, oob=True, **context)
    else:
        identify_form = IdentifyForm(formdata=None)
        response = render_page(template, title, identify_form=identify_form, **page, **context)
    if secret_in_search:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


bp.context_processor(template_helpers)


# Views


@bp.get("", strict_slashes=False)
def index() -> Response:
    """The current user's keys: search, filters, sort and pages, all in the query string."""
    user = signed_in_user()

    def search(query: KeyQuery) -> tuple[Pagination, dict[str, Any]]:
        return _service().search(user, query), {}

    page = {} if _wants_partial() else {"active_key": _service().active_key(user)}
    return _key_list(
        ListForm(request.args),
        search,
        "secret_keys/index.html",
        "Secret API Keys",
        "secret_keys/_results.html",
        **page,
    )


@bp.post("/identify")
def identify() -> ResponseReturnValue:
    """Open the key a pasted secret belongs to; another user's key is no match.

    A POST, so the secret stays out of URLs, history and access logs; the
    answer never repeats it.
    """
    form = IdentifyForm()
    if _validated(form):
        key = _service().identify(signed_in_user(), (form.key.data or "").strip())
        if key is not None:
            url = url_for(".detail", key_id=key.id)
            if _wants_partial():
                return cast(Response, htmx_response("", redirect=url))
            return redirect(url, 303)
        form.key.errors.append(
            "No key of yours matches. Check that the whole key was pasted: it is"
            f" {crypto.token_length(current_state().settings.prefix)} characters long."
        )
    form.key.data = ""
    if _wants_partial():
        response = render_partial("secret_keys/_identify.html", 422, identify_form=form)
    else:
        response = render_page(
            "secret_keys/action.html",
            "Identify a key",
            422,
            partial="secret_keys/_identify.html",
            identify_form=form,
        )
    response.headers["Cache-Control"] = "no-store"
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
    service, user = _service(), signed_in_user()
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
        return render_partial("secret_keys/_key.html", **_key_context(key))
    return render_page("secret_keys/detail.html", key.title, **_key_context(key))


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
def edit(key_id: int) -> ResponseReturnValue:
    """Rename a key: a side panel with htmx, a form page without."""
    key = _service().key_of(signed_in_user(), key_id)
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
            return render_partial(
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
    key = _service().key_of(signed_in_user(), key_id)
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
    key = _service().key_of(signed_in_user(), key_id)
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

    def search(query: KeyQuery) -> tuple[Pagination, dict[str, Any]]:
        service, owner = _service(), None
        if query.owner:
            owner = current_state().users.find_user(query.owner)
            if owner is None:
                form.owner.errors = [f"No user “{query.owner}”."]
        # An owner filter naming no user matches no key.
        owners = [owner] if owner is not None else [] if query.owner else None
        return service.search_all(query, owners=owners), {
            "all_keys": True,
            "owner": owner,
            "active_count": len(service.working_keys_of(owner)) if owner is not None else 0,
        }

    return _key_list(
        form, search, "secret_keys/all.html", "All keys", "secret_keys/_all_results.html"
    )


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

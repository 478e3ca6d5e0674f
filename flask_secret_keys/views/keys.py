"""A user's own keys: the list, Identify a key, create, details, edit, revoke, roll, delete.

An overseer may also open and revoke any user's key here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_htmx import make_response as htmx_response
from flask_sqlalchemy.pagination import Pagination
from flask_wtf import FlaskForm

from .. import crypto, models
from ..errors import (
    ActiveKeyExists,
    InvalidLifetime,
    KeyAlreadyRevoked,
    KeyNotRevoked,
    KeyNotRollable,
    NotAnAdmin,
    SecretKeyError,
)
from ..forms import (
    ConfirmForm,
    CreateForm,
    DelayForm,
    IdentifyForm,
    ListForm,
    TitleForm,
    with_reach,
)
from ..i18n import gettext, ngettext
from ..models import SecretKeyMixin
from ..reach import reach_of
from ..rendering import (
    FLASH_CATEGORY,
    is_own,
    oversees,
    render_page,
    render_partial,
    signed_in_user,
)
from ..rules import KeyQuery, describe_duration
from ..state import current_state
from .blueprint import (
    bp,
    current_actor,
    dialog_or_page,
    key_list,
    key_service,
    validated,
    wants_partial,
)


def _viewable_key(key_id: int) -> SecretKeyMixin:
    """A key the user may open and revoke: their own, or any key for an overseer."""
    service = key_service()
    key = service.key_by_id(key_id) if oversees() else service.key_of(signed_in_user(), key_id)
    service.settle(among=[key])
    return key


def _key_context(key: SecretKeyMixin) -> dict[str, Any]:
    """What the details card needs: a revoked key's page offers to create a new
    key, unless another key of the user's is active."""
    active_key = None if key.is_active else key_service().active_key(signed_in_user())
    # An owner who is no longer an admin: the key is refused, not revoked, and
    # would work again were they made an admin again.
    owner = key.owner
    suspended = owner is not None and key.is_usable and not current_state().users.is_admin(owner)
    return {"key": key, "active_key": active_key, "suspended": suspended}


#: The event an htmx answer triggers when keys changed: a list on the page refreshes.
KEYS_CHANGED = "sk-keys-changed"


def _on_details_page(key: SecretKeyMixin) -> bool:
    """Whether the htmx request comes from ``key``'s details page (or does not say where
    from), rather than from a list whose row menu opened the dialog."""
    current = request.headers.get("HX-Current-URL")
    return not current or urlsplit(current).path == url_for(".detail", key_id=key.id)


def _revoked_notice(key: SecretKeyMixin, delay: dt.timedelta) -> str:
    """The notice of a revocation: of "Secret API key “Billing”", or, for another user's
    key, of "Grace Hopper's secret API key “Billing”"; now, or in ``delay``."""
    title = key.title
    if is_own(key):
        if delay:
            return gettext(
                "Secret API key “%(title)s” will be revoked in %(duration)s.",
                title=title,
                duration=describe_duration(delay),
            )
        return gettext("Secret API key “%(title)s” revoked.", title=title)
    owner = current_state().users.user_name(key.owner)
    if delay:
        return gettext(
            "%(owner)s’s secret API key “%(title)s” will be revoked in %(duration)s.",
            owner=owner,
            title=title,
            duration=describe_duration(delay),
        )
    return gettext("%(owner)s’s secret API key “%(title)s” revoked.", owner=owner, title=title)


def key_changed(key: SecretKeyMixin, message: str) -> ResponseReturnValue:
    """After an edit or a revoke: the key's card replaced in place (or, from a list, the
    dialog closed and the list refreshed), or its details page."""
    if wants_partial() and not _on_details_page(key):
        return cast(
            Response,
            htmx_response(
                "",
                reswap="none",
                trigger_after_settle={
                    "sk-toast": {"message": message},
                    "sk-done": True,
                    KEYS_CHANGED: True,
                },
            ),
        )
    if wants_partial():
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
    if request.method == "POST" and validated(form):
        try:
            return act()
        except refusals as refused:
            status, error = 409, str(refused)
    return dialog_or_page(partial, title, status, form=form, key=key, error=error, **context)


# Views


@bp.get("", strict_slashes=False)
def index() -> Response:
    """The current user's keys: search, filters, sort and pages, all in the query string."""
    user = signed_in_user()

    def search(query: KeyQuery) -> tuple[Pagination, dict[str, Any]]:
        return key_service().search(user, query), {}

    page = {} if wants_partial() else {"active_key": key_service().active_key(user)}
    return key_list(
        ListForm(request.args),
        search,
        "secret_keys/index.html",
        gettext("Secret API Keys"),
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
    # Its one field takes any text: only a bad CSRF token fails it (a 400).
    validated(form)
    status = 422
    # An overseer may identify any user's key; its page names the owner.
    whose = None if oversees() else signed_in_user()
    key = key_service().identify(whose, (form.key.data or "").strip())
    if key is not None:
        url = url_for(".detail", key_id=key.id)
        if wants_partial():
            return cast(Response, htmx_response("", redirect=url))
        return redirect(url, 303)
    # A secret that matches nothing is a failed key attempt, as on the Admin API.
    limiter = current_state().limiter
    retry_after = None if limiter is None else limiter.record_failure(request.remote_addr)
    if retry_after is not None:
        status = 429
        form.key.errors.append(
            ngettext(
                "Too many keys that match nothing. Try again in %(num)s second.",
                "Too many keys that match nothing. Try again in %(num)s seconds.",
                retry_after,
            )
        )
    else:
        length = crypto.token_length(current_state().settings.prefix)
        form.key.errors.append(
            gettext(
                "No key matches. Check that the whole key was pasted: it is %(length)s"
                " characters long.",
                length=length,
            )
            if oversees()
            else gettext(
                "No key of yours matches. Check that the whole key was pasted: it is"
                " %(length)s characters long.",
                length=length,
            )
        )
    form.key.data = ""
    if wants_partial():
        response = render_partial("secret_keys/_identify.html", status, identify_form=form)
    else:
        response = render_page(
            "secret_keys/action.html",
            gettext("Identify a key"),
            status,
            partial="secret_keys/_identify.html",
            identify_form=form,
            identify_page=True,
        )
    response.headers["Cache-Control"] = "no-store"
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _create_form(formdata: Any = None) -> Any:
    """The create form, with a permission row per resource the Admin API declares."""
    state = current_state()
    settings = state.settings
    form_class = with_reach(CreateForm, state.routes.declared_resources())
    form = form_class() if formdata is None else form_class(formdata=formdata)
    return form.setup(settings.default_expiration, settings.max_lifetime, models.utcnow())


def _reveal(key: SecretKeyMixin, token: str, message: str) -> Response:
    """The new key, shown this once: the POST's own response, never cached.

    ``message`` is flashed for the page that follows, without JavaScript only:
    with htmx the dialog itself says so, and a notice would wait in the
    session and greet the next page, whenever that is.
    """
    if not wants_partial():
        flash(message, FLASH_CATEGORY)
    response = dialog_or_page(
        "secret_keys/_reveal.html", gettext("Copy your new secret API key"), key=key, token=token
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
    service, user = key_service(), signed_in_user()
    form = _create_form()
    posted = request.method == "POST"
    valid = posted and validated(form)
    title = gettext("Create a secret API key")
    active_key = lost_key = None
    if valid and form.replace.data:
        # "Replace with a new key": only the key this form made, never used.
        replaced = _replaceable(form, service.active_key(user))
        if replaced is not None and form.replace.data == str(replaced.id):
            # A concurrent send may have revoked it first; then create below decides.
            with contextlib.suppress(KeyAlreadyRevoked):
                service.revoke(replaced, actor=current_actor())
    if valid:
        try:
            key, token = service.create(
                user,
                form.title.data,
                expires_at=form.expires_at(models.utcnow()),
                actor=current_actor(),
                reach=form.reach(),
            )
        except ActiveKeyExists as refused:
            active_key = refused.key
            lost_key = _replaceable(form, active_key)
        except InvalidLifetime as error:
            field = form.expires_on if form.expiration.data == "custom" else form.expiration
            field.errors = [*field.errors, str(error)]
        else:
            return _reveal(
                key, token, gettext("Secret API key “%(title)s” created.", title=key.title)
            )
    else:
        active_key = service.active_key(user)
        # Whole seconds: some databases store times without fractions.
        form.opened.data = str(int(models.utcnow().timestamp()))
    status = 200
    if posted:
        status = 409 if active_key is not None else 422
    return dialog_or_page(
        "secret_keys/_create.html",
        title,
        status,
        form=form,
        active_key=active_key,
        lost_key=lost_key,
    )


def _replaceable(form: Any, key: SecretKeyMixin | None) -> SecretKeyMixin | None:
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
    if wants_partial():
        return render_partial("secret_keys/_key.html", **_key_context(key))
    return render_page("secret_keys/detail.html", key.title, **_key_context(key))


@bp.route("/<int:key_id>/edit", methods=["GET", "POST"])
def edit(key_id: int) -> ResponseReturnValue:
    """Rename a key: a side panel with htmx, a form page without."""
    key = key_service().key_of(signed_in_user(), key_id)
    if request.method == "GET":
        form = TitleForm(obj=key)
        return dialog_or_page(
            "secret_keys/_edit.html", gettext("Edit secret API key"), form=form, key=key
        )
    form = TitleForm()
    # The form ran the service's title rules already, so the rename cannot refuse the title.
    if validated(form):
        key_service().rename(key, form.title.data, actor=current_actor())
        return key_changed(key, gettext("Title updated."))
    return dialog_or_page(
        "secret_keys/_edit.html", gettext("Edit secret API key"), 422, form=form, key=key
    )


@bp.route("/<int:key_id>/revoke", methods=["GET", "POST"])
def revoke(key_id: int) -> ResponseReturnValue:
    """Revoke a key for good, now or later, after a confirmation; an overseer may revoke any key.

    With ``then=create`` (the "Revoke and create new" step of the create
    form), a revocation leads straight to the create form.
    """
    key = _viewable_key(key_id)
    now = models.utcnow()
    if key.status_at(now) == "expired":
        # It works no more, so there is nothing to revoke: no form, by any URL.
        return dialog_or_page(
            "secret_keys/_revoke.html",
            gettext("Revoke API key"),
            409 if request.method == "POST" else 200,
            key=key,
            error=gettext(
                "“%(title)s” has expired, so it no longer works: there is nothing to revoke.",
                title=key.title,
            ),
        )
    # A delay is offered only if it ends before the key stops working anyway.
    ends = [t for t in (key.revoked_at, key_service().ends_at(key)) if t is not None]
    form = DelayForm().before(min(ends, default=None), now)
    then_create = request.values.get("then") == "create"

    def act() -> ResponseReturnValue:
        delay = form.delay
        key_service().revoke(
            key, at=models.utcnow() + delay if delay else None, actor=current_actor()
        )
        message = _revoked_notice(key, delay)
        if not then_create:
            return key_changed(key, message)
        if wants_partial():
            # The create dialog says what was revoked; the list behind it refreshes.
            response = render_partial(
                "secret_keys/_create.html",
                as_dialog=True,
                form=_create_form(formdata={}),
                active_key=None,
                notice=message,
            )
            response.headers["HX-Trigger-After-Settle"] = KEYS_CHANGED
            return response
        flash(message, FLASH_CATEGORY)
        return redirect(url_for(".create"), 303)

    return _confirmed(
        key,
        form,
        act,
        (KeyAlreadyRevoked,),
        "secret_keys/_revoke.html",
        gettext("Revoke API key"),
        then_create=then_create,
    )


@bp.route("/<int:key_id>/roll", methods=["GET", "POST"])
def roll(key_id: int) -> ResponseReturnValue:
    """Roll a key: a successor with the same title, shown once; the old key revoked later.

    The successor's restrictions are pre-filled with the key's, and may be
    changed, wider too: it is a new secret.
    """
    key = key_service().key_of(signed_in_user(), key_id)
    form = with_reach(DelayForm, current_state().routes.declared_resources())()
    if request.method == "GET":
        form.prefill(reach_of(key))

    def act() -> ResponseReturnValue:
        successor, token = key_service().roll(
            key, form.delay, actor=current_actor(), reach=form.reach()
        )
        return _reveal(
            successor, token, gettext("Secret API key “%(title)s” rolled.", title=key.title)
        )

    return _confirmed(
        key,
        form,
        act,
        (KeyNotRollable, ActiveKeyExists, NotAnAdmin),
        "secret_keys/_roll.html",
        # Translators: the title of the dialog that replaces a key by a new one.
        gettext("Roll key"),
        in_grace=[o for o in key_service().working_keys_of(signed_in_user()) if o.id != key.id],
    )


@bp.route("/<int:key_id>/delete", methods=["GET", "POST"])
def delete(key_id: int) -> ResponseReturnValue:
    """Delete a revoked key, after a confirmation; then back to the list."""
    key = key_service().key_of(signed_in_user(), key_id)
    form = ConfirmForm()

    def act() -> ResponseReturnValue:
        title = key.title
        key_service().delete(key, actor=current_actor())
        flash(gettext("Secret API key “%(title)s” deleted.", title=title), FLASH_CATEGORY)
        if wants_partial():
            return cast(Response, htmx_response("", redirect=url_for(".index")))
        return redirect(url_for(".index"), 303)

    return _confirmed(
        key,
        form,
        act,
        (KeyNotRevoked,),
        "secret_keys/_delete.html",
        gettext("Delete secret API key"),
    )

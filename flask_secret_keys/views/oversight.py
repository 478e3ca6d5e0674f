"""Oversight: every user's keys (All keys), and revoking all working keys of one user.

Only users the ``can_oversee`` predicate names get these pages; others get a 403.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_htmx import make_response as htmx_response
from flask_sqlalchemy.pagination import Pagination

from ..forms import AllKeysForm, ConfirmForm
from ..i18n import gettext, ngettext
from ..rendering import FLASH_CATEGORY, oversees
from ..rules import KeyQuery
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


def _require_overseer() -> None:
    if not oversees():
        abort(403, gettext("Only users who oversee secret API keys can see every user's keys."))


@bp.get("/all")
def all_keys() -> Response:
    """Every user's keys, for overseers: the list's search, filters and sort, and an owner."""
    _require_overseer()
    form = AllKeysForm(request.args)

    def search(query: KeyQuery) -> tuple[Pagination, dict[str, Any]]:
        service, owner = key_service(), None
        if query.owner:
            owner = current_state().users.find_user(query.owner)
            if owner is None:
                form.owner.errors = [gettext("No user “%(owner)s”.", owner=query.owner)]
        # An owner filter naming no user matches no key.
        owners = [owner] if owner is not None else [] if query.owner else None
        return service.search_all(query, owners=owners), {
            "all_keys": True,
            "owner": owner,
            "working_count": len(service.working_keys_of(owner)) if owner is not None else 0,
        }

    return key_list(
        form,
        search,
        "secret_keys/all.html",
        gettext("All keys"),
        "secret_keys/_all_results.html",
    )


@bp.route("/all/revoke", methods=["GET", "POST"])
def revoke_all() -> ResponseReturnValue:
    """Revoke every working key of one user at once (active, or scheduled for revocation:
    what the "Still working" filter shows), after a confirmation naming how many."""
    _require_overseer()
    identifier = (request.values.get("owner") or "").strip()
    owner = current_state().users.find_user(identifier) if identifier else None
    if owner is None:
        abort(404)
    service = key_service()
    form = ConfirmForm()
    if request.method == "POST" and validated(form):
        revoked = service.revoke_all(owner, actor=current_actor())
        count = len(revoked)
        name = current_state().users.user_name(owner)
        flash(
            ngettext(
                "Revoked %(num)s working key of %(name)s.",
                "Revoked %(num)s working keys of %(name)s.",
                count,
                name=name,
            ),
            FLASH_CATEGORY,
        )
        target = url_for(".all_keys", owner=identifier)
        if wants_partial():
            return cast(Response, htmx_response("", redirect=target))
        return redirect(target, 303)
    return dialog_or_page(
        "secret_keys/_revoke_all.html",
        gettext("Revoke all working keys"),
        form=form,
        owner=owner,
        identifier=identifier,
        keys=service.working_keys_of(owner),
    )

"""A key's restrictions: the details page's Restrictions section, Edit restrictions, and
Narrow to what it used.

Edit restrictions accepts only a narrower reach; widening takes a roll, whose
form carries the restrictions (see :func:`.keys.roll`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ..errors import KeyNotRestrictable, WouldWiden
from ..forms import with_reach
from ..i18n import gettext
from ..models import SecretKeyMixin
from ..reach import Reach, reach_of
from ..rendering import signed_in_user
from ..resources import AdminRoute, ResourceInfo
from ..state import current_state
from ..usage import Usage
from .blueprint import bp, current_actor, dialog_or_page, key_service, validated
from .keys import key_changed


@dataclass(frozen=True)
class Used:
    """One line of what a key used: ``orders read``, or a network, and when."""

    what: str
    first: dt.datetime | None
    last: dt.datetime


@dataclass(frozen=True)
class KeyRestrictions:
    """What the Restrictions section shows about a key."""

    reach: Reach
    #: The resources the key has a level for, or, for Full access, every declared one.
    resources: list[ResourceInfo]
    #: The Admin API routes the key can call.
    routes: list[AdminRoute]
    used: list[Used]
    refused: list[Used]
    networks: list[Used]
    #: The narrowest reach for what the key used, when it is narrower than the key's.
    narrowest: Reach | None


def _when(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _words(permission: str) -> str:
    """``orders:read`` as "orders read"; a route that declares no resource in words."""
    if permission == "full_access":
        return gettext("routes without a resource")
    resource, _, access = permission.partition(":")
    if access == "read":
        # Translators: a permission a key used, as "orders read"; the resource is a name.
        return gettext("%(resource)s read", resource=resource)
    if access == "write":
        # Translators: a permission a key used, as "orders write"; the resource is a name.
        return gettext("%(resource)s write", resource=resource)
    return permission.replace(":", " ")


def restrictions_of(key: SecretKeyMixin) -> KeyRestrictions:
    """The Restrictions section of ``key``'s details page."""
    routes = current_state().routes
    reach = reach_of(key)
    usage = Usage.from_text(key.usage_record)
    narrowest = usage.narrowest(reach)
    return KeyRestrictions(
        reach=reach,
        resources=routes.info(reach.levels or {}),
        routes=routes.reachable(reach),
        used=[
            Used(_words(name), _when(first), _when(last))
            for name, (first, last) in sorted(usage.used.items(), key=lambda item: -item[1][1])
        ],
        refused=[
            Used(_words(name), None, _when(last))
            for name, last in sorted(usage.refused.items(), key=lambda item: -item[1])
        ],
        networks=[
            Used(name, _when(first), _when(last))
            for name, (first, last) in sorted(usage.networks.items(), key=lambda item: -item[1][1])
        ],
        narrowest=None if narrowest is None or narrowest == reach else narrowest,
    )


def resources_of(form: Any) -> list[ResourceInfo]:
    """The resources a form has a level field for, with their labels."""
    names = form.resource_names
    return [info for info in current_state().routes.info(names) if info.name in names]


@bp.context_processor
def _restriction_helpers() -> dict[str, Any]:
    return {"sk_restrictions": restrictions_of, "sk_restriction_resources": resources_of}


def _restrict_form() -> Any:
    return with_reach(FlaskForm, current_state().routes.declared_resources())()


@bp.route("/<int:key_id>/restrictions", methods=["GET", "POST"])
def restrict(key_id: int) -> ResponseReturnValue:
    """Edit restrictions: narrower only. ``?narrow=1`` pre-fills what the key used."""
    key = key_service().key_of(signed_in_user(), key_id)
    form = _restrict_form()
    title = gettext("Edit restrictions")
    if request.method == "GET":
        current = reach_of(key)
        suggestion = None
        if request.args.get("narrow") == "1":
            suggestion = Usage.from_text(key.usage_record).narrowest(current)
        form.prefill(suggestion or current)
        return dialog_or_page(
            "secret_keys/_restrict.html", title, form=form, key=key, narrowed=suggestion is not None
        )
    status, error = 422, None
    if validated(form):
        try:
            key_service().restrict(key, form.reach(), actor=current_actor())
        except (WouldWiden, KeyNotRestrictable) as refused:
            status, error = 409, str(refused)
        else:
            return key_changed(key, gettext("Restrictions updated."))
    return dialog_or_page(
        "secret_keys/_restrict.html", title, status, form=form, key=key, error=error, narrowed=False
    )

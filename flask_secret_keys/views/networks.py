"""A key's new networks: the details page's notice, and the owner's Acknowledge."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue

from ..forms import AcknowledgeForm
from ..i18n import gettext
from ..models import SecretKeyMixin
from ..rendering import signed_in_user
from ..usage import Usage
from .blueprint import bp, key_service, validated
from .keys import key_changed


@dataclass(frozen=True)
class NewNetwork:
    """A network the key was first used from after its first day, not yet acknowledged."""

    network: str
    at: dt.datetime


def new_networks_of(key: SecretKeyMixin) -> list[NewNetwork]:
    """``key``'s unacknowledged new networks, latest first."""
    usage = Usage.from_text(key.usage_record)
    return [
        NewNetwork(network, dt.datetime.fromtimestamp(at, dt.timezone.utc))
        for network, at in sorted(usage.new_networks.items(), key=lambda item: -item[1])
    ]


@bp.context_processor
def _network_helpers() -> dict[str, Any]:
    return {"sk_new_networks": new_networks_of, "sk_acknowledge_form": AcknowledgeForm}


@bp.post("/<int:key_id>/acknowledge")
def acknowledge(key_id: int) -> ResponseReturnValue:
    """The owner acknowledges the new networks their page showed: the notice goes."""
    key = key_service().key_of(signed_in_user(), key_id)
    form = AcknowledgeForm()
    if not validated(form):
        abort(400)
    through = dt.datetime.fromtimestamp(form.through.data, dt.timezone.utc)
    key_service().acknowledge_new_networks(key, through=through)
    return key_changed(key, gettext("New networks acknowledged."))

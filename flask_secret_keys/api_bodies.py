"""What the management API reads and writes: request bodies and query strings, and key
and event objects in JSON.

Everything a request sends is checked strictly (an unknown field, a wrong type
or a value out of range is a ``400 invalid_request`` naming the field), so the
API answers exactly what its OpenAPI document says. The rules of keys
themselves (titles, lifetimes, delays) are the service's, in
:mod:`flask_secret_keys.rules`; nothing here repeats them.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from . import crypto
from .errors import InvalidLifetime, ManagementAPIError
from .forms import ListForm
from .i18n import gettext
from .models import TITLE_MAX_LENGTH, KeyEventMixin, SecretKeyMixin
from .reach import MAX_NETWORKS, Reach, reach_of
from .rules import DIRECTIONS, MAX_DELAY, MAX_DURATION, SORT_FIELDS, STATUSES, KeyQuery
from .state import current_state

#: The largest ``offset`` of a list: beyond it no admin has keys, and the
#: database is asked for no OFFSET it cannot represent.
MAX_OFFSET = 10_000_000
#: The largest ``limit`` of a list, as for ``SECRET_KEYS_PER_PAGE``.
MAX_LIMIT = 200
#: The events of a key shown by default, as on its details page.
EVENTS_LIMIT = 50
#: The longest search: a title is no longer.
MAX_SEARCH = TITLE_MAX_LENGTH
#: The longest owner filter: no user id is that long.
MAX_OWNER = 255
#: The most resources ``permissions`` may name, far more than an app declares: what is
#: stored stays small.
MAX_RESOURCES = 64
#: The longest entry of ``allowed_networks``: an IPv6 range is shorter.
MAX_NETWORK_LENGTH = 64

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def invalid(message: str) -> ManagementAPIError:
    """The refusal of a request that does not match the document."""
    return ManagementAPIError(400, "invalid_request", message)


# Request bodies


def json_body(*fields: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object the request sent, with only ``fields`` and every one of ``required``.

    No body at all is an empty object, for the actions whose fields are all optional.
    """
    if not request.get_data(cache=True) and not required:
        return {}
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise invalid(gettext("The body must be a JSON object."))
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise invalid(
            gettext(
                "Unknown field %(field)s: the fields are %(fields)s.",
                field=repr(unknown[0]),
                fields=", ".join(fields),
            )
        )
    missing = [name for name in required if name not in body]
    if missing:
        raise invalid(gettext("The field %(field)s is required.", field=repr(missing[0])))
    return body


def integer(value: Any, name: str, minimum: int, maximum: int) -> int:
    """``value`` as a whole number within the bounds, or a 400 naming ``name``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(gettext("%(field)s must be a whole number.", field=repr(name)))
    if not minimum <= value <= maximum:
        raise invalid(
            gettext(
                "%(field)s must be from %(minimum)s to %(maximum)s.",
                field=repr(name),
                minimum=minimum,
                maximum=maximum,
            )
        )
    return value


def title_in(body: Mapping[str, Any]) -> str:
    """The ``title`` of a body: a string, checked by the service's title rules later."""
    title = body.get("title")
    if not isinstance(title, str):
        raise invalid(gettext("'title' must be a string."))
    return title


def delay_in(body: Mapping[str, Any], name: str) -> dt.timedelta:
    """A delay in seconds (``grace``, ``revoke_in``): zero when not given."""
    if body.get(name) is None:
        return dt.timedelta(0)
    seconds = integer(body[name], name, 0, int(MAX_DELAY.total_seconds()))
    return dt.timedelta(seconds=seconds)


def reach_in(body: Mapping[str, Any], base: Reach) -> Reach:
    """The restrictions a body gives (``permissions``, ``allowed_networks``), each field not
    given taken from ``base``; the service's rules check the values
    (:class:`~flask_secret_keys.InvalidRestrictions`)."""
    levels = base.levels
    if "permissions" in body:
        levels = body["permissions"]
        if levels is not None and (
            not isinstance(levels, dict)
            or not all(isinstance(level, str) for level in levels.values())
        ):
            raise invalid(
                gettext(
                    "'permissions' must be null (Full access) or an object of levels by"
                    ' resource, such as {"orders": "read"}.'
                )
            )
        if levels is not None and len(levels) > MAX_RESOURCES:
            raise invalid(
                gettext("'permissions' can name at most %(max)s resources.", max=MAX_RESOURCES)
            )
    networks: list[Any] = [str(network) for network in base.networks]
    if "allowed_networks" in body:
        networks = body["allowed_networks"]
        if not isinstance(networks, list) or not all(
            isinstance(entry, str) and len(entry) <= MAX_NETWORK_LENGTH for entry in networks
        ):
            raise invalid(
                gettext(
                    "'allowed_networks' must be a list of addresses and ranges, such as"
                    ' ["203.0.113.0/24"]; empty for anywhere.'
                )
            )
        if len(networks) > MAX_NETWORKS:
            raise invalid(
                gettext("'allowed_networks' can hold at most %(max)s entries.", max=MAX_NETWORKS)
            )
    return Reach.of(levels, networks)


#: What :func:`expiry_in` returns for a body that names no expiry: the app's default.
DEFAULT = object()


def expiry_in(body: Mapping[str, Any], now: dt.datetime) -> dt.datetime | object | None:
    """When a new key expires: ``expires_in`` seconds from ``now``, ``expires_at``, None
    for never (either given as null), or :data:`DEFAULT` when neither is given."""
    given = [name for name in ("expires_in", "expires_at") if name in body]
    if not given:
        return DEFAULT
    if len(given) == 2 and body["expires_in"] is not None and body["expires_at"] is not None:
        raise invalid(gettext("Give 'expires_in' or 'expires_at', not both."))
    if body.get("expires_in") is not None:
        seconds = integer(body["expires_in"], "expires_in", 1, int(MAX_DURATION.total_seconds()))
        return now + dt.timedelta(seconds=seconds)
    if body.get("expires_at") is not None:
        return date_time(body["expires_at"])
    return None


def date_time(value: Any) -> dt.datetime:
    """An RFC 3339 date and time with its offset, in UTC."""
    match = _DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise invalid(gettext("'expires_at' must be a date and time such as 2030-01-31T12:00:00Z."))
    try:
        parsed = dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return parsed.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        # A leap second, or a time the calendar cannot hold: valid form, unusable value.
        raise InvalidLifetime(
            gettext("%(value)s is not a time a key can expire at.", value=repr(value))
        ) from None


# Query strings


@dataclass(frozen=True)
class ListRequest:
    """A list's query, its window (``offset``, ``limit``), and whose keys it lists."""

    query: KeyQuery
    offset: int
    limit: int
    #: ``""`` for the caller's own keys, ``"all"``, or an owner's id.
    owner: str
    #: Whether a whole key was typed into ``q``: it was searched for nowhere.
    secret_in_search: bool


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.args.get(name)
    if value is None:
        return default
    if value not in choices:
        raise invalid(
            gettext(
                "%(field)s must be one of %(choices)s.",
                field=repr(name),
                choices=", ".join(choices),
            )
        )
    return value


def query_integer(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole number of the query string within the bounds; ``default`` when not given."""
    value = request.args.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise invalid(
            gettext(
                "%(field)s must be a whole number from %(minimum)s to %(maximum)s.",
                field=repr(name),
                minimum=minimum,
                maximum=maximum,
            )
        )
    return integer(int(value), name, minimum, maximum)


def _date(name: str) -> dt.date | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(
            gettext("%(field)s must be a date, as YYYY-MM-DD.", field=repr(name))
        ) from None


def list_request() -> ListRequest:
    """The list's parameters, with the pages' meanings and limits."""
    search = request.args.get("q", "")
    if len(search) > MAX_SEARCH:
        raise invalid(gettext("'q' can be at most %(max)s characters long.", max=MAX_SEARCH))
    # Cleaned as the pages' search box is (a NUL cannot even reach PostgreSQL).
    search = ListForm(MultiDict({"q": search})).to_query(1).search
    secret = crypto.looks_like_token(search, current_state().settings.prefix)
    limit = query_integer("limit", current_state().settings.per_page, 1, MAX_LIMIT)
    query = KeyQuery(
        search="" if secret else search,
        status=_choice("status", STATUSES, "all"),  # type: ignore[arg-type]
        created_from=_date("created_from"),
        created_to=_date("created_to"),
        sort=_choice("sort", SORT_FIELDS, "created"),  # type: ignore[arg-type]
        direction=_choice("order", DIRECTIONS, "desc"),  # type: ignore[arg-type]
        per_page=limit,
    )
    owner = request.args.get("owner", "")
    if len(owner) > MAX_OWNER:
        raise invalid(gettext("'owner' can be at most %(max)s characters long.", max=MAX_OWNER))
    return ListRequest(
        query=query,
        offset=query_integer("offset", 0, 0, MAX_OFFSET),
        limit=limit,
        owner=owner,
        secret_in_search=secret,
    )


# Responses


def utc(value: dt.datetime | None) -> str | None:
    """An ISO 8601 time in UTC, ``Z`` for the offset."""
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def user_object(user: Any, user_id: Any = None) -> dict[str, Any] | None:
    """A user as the API shows one: ``{"id", "name"}``; a missing user is None."""
    if user is None:
        return None
    users = current_state().users
    value = users.user_id(user) if user_id is None else user_id
    shown = value if isinstance(value, (int, str)) else str(value)
    return {"id": shown, "name": users.user_name(user)}


def key_object(key: SecretKeyMixin, owner: Any = None) -> dict[str, Any]:
    """A key as the API shows it: never its hash, never its secret.

    ``owner`` saves loading a key's owner the caller already has.
    """
    service = current_state().service
    reach = reach_of(key).to_json()
    return {
        "id": key.id,
        "object": "secret_key",
        "title": key.title,
        "status": service.status_of(key),
        "redacted": key.redacted,
        "owner": user_object(key.owner if owner is None else owner),
        "created_at": utc(key.created_at),
        "expires_at": utc(service.ends_at(key)),
        "last_used_at": utc(key.last_used_at),
        "last_used_ip": key.last_used_ip,
        "revoked_at": utc(key.revoked_at),
        "revoked_by": user_object(key.revoked_by) if key.revoked_by_id is not None else None,
        "permissions": reach["permissions"],
        "allowed_networks": reach["allowed_networks"],
    }


def event_object(event: KeyEventMixin) -> dict[str, Any]:
    """One event of a key's activity, as ``flask secret-keys log --json`` shows it."""
    return {
        "id": event.id,
        "event": event.event,
        "at": utc(event.at),
        "actor": {"kind": event.actor_kind, "name": event.actor},
        "ip": event.ip,
        "user_agent": event.user_agent,
        "key_id": event.key_id,
        "title": event.key_title,
        "redacted": event.key_redacted,
        "details": event.details,
    }

"""The JSON management API: the Secret API Keys pages' features, for single-page admins
and automation, under ``SECRET_KEYS_API_PREFIX``.

It is an Admin API blueprint, so a session (with its CSRF token on every write)
or a key authenticates on it, and it goes through the same service calls as the
pages: the same rules, events with their actors, signals and limits. What a key
may do here is narrower than what a session may do: see :func:`key_may_write`.
Its OpenAPI document, served at ``openapi.json``, is built by
:mod:`flask_secret_keys.openapi`.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from flask import Blueprint, jsonify, request, url_for
from flask.wrappers import Response
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import DBAPIError, ProgrammingError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as ResponseBase

from . import models, openapi, schema
from .api_bodies import (
    DEFAULT,
    EVENTS_LIMIT,
    MAX_LIMIT,
    delay_in,
    event_object,
    expiry_in,
    invalid,
    json_body,
    key_object,
    list_request,
    query_integer,
    reach_in,
    title_in,
)
from .auth import admin_api_blueprint, admin_api_required, authenticate_request
from .errors import (
    ActiveKeyExists,
    InsufficientScope,
    InvalidLifetime,
    InvalidRestrictions,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRestrictable,
    KeyNotRevoked,
    KeyNotRollable,
    ManagementAPIError,
    NotAnAdmin,
    SchemaOutdated,
    SecretKeyError,
    WouldWiden,
)
from .headers import add_security_headers
from .i18n import gettext
from .models import SecretKeyMixin
from .outages import DATABASE_UNAVAILABLE, unavailable_json
from .reach import Reach, reach_of, widenings
from .rules import Actor, KeyQuery
from .state import current_state

#: The resource of the management API's routes, for Restricted keys' permissions.
RESOURCE = "secret_keys"
#: The permission a key needs to change keys other than revoking itself.
WRITE_PERMISSION = f"{RESOURCE}:write"

#: The management API's blueprint, registered under ``SECRET_KEYS_API_PREFIX``: a
#: Restricted key needs ``secret_keys:read`` to read and ``secret_keys:write`` to change.
bp = admin_api_blueprint(Blueprint("secret_keys_api", __name__), resource=RESOURCE)


# Who may do what


def key_may_write() -> bool:
    """Whether the request may create, rename, roll, restrict or delete keys, or revoke
    another key.

    A session may (the Admin API has checked its CSRF token), and so may a
    Restricted key that the host granted ``secret_keys:write`` (a deployment
    pipeline rotating its own key). A Full access key may only read, and revoke
    itself: a leaked key must not be able to mint its own successor.

    .. versionchanged:: 0.3.0
       A Restricted key with ``secret_keys:write`` may.
    """
    key = authenticate_request()
    return key is None or (key.is_restricted and key.allows(RESOURCE, "write"))


def _require_write() -> None:
    if not key_may_write():
        raise InsufficientScope(
            WRITE_PERMISSION,
            gettext(
                "A Full access key may read keys and revoke itself; other changes need a"
                " session, or a Restricted key granted secret_keys:write."
            ),
        )


def _within_callers_reach(reach: Reach) -> Reach:
    """``reach``, unless the caller is a key and ``reach`` goes beyond the key's own: a key
    gives a key no more than it has itself."""
    key = authenticate_request()
    gained = [] if key is None else widenings(reach_of(key), reach)
    if gained:
        raise WouldWiden(
            gettext(
                "A secret API key can give a key no more than its own reach, and this would"
                " add %(gained)s. Give wider restrictions from a session.",
                gained=", ".join(gained),
            )
        )
    return reach


def _user() -> Any:
    return current_user._get_current_object()


def _oversees() -> bool:
    """Whether the caller may see and revoke every user's keys: overseers, by session only."""
    return authenticate_request() is None and current_state().users.can_oversee(_user())


def _actor() -> Actor:
    return Actor.for_user(_user(), ip=request.remote_addr, user_agent=request.user_agent.string)


def _own_key(key_id: int) -> SecretKeyMixin:
    service = current_state().service
    key = service.key_of(_user(), key_id)
    service.settle(among=[key])
    return key


def _viewable_key(key_id: int) -> SecretKeyMixin:
    """A key the caller may read and revoke: their own, or any key for an overseer's session."""
    service = current_state().service
    if not _oversees():
        return _own_key(key_id)
    key = service.key_by_id(key_id)
    service.settle(among=[key])
    return key


# Errors: each service refusal has one code


#: (status, error code) for each refusal of the service.
REFUSALS: dict[type[SecretKeyError], tuple[int, str]] = {
    KeyNotFound: (404, "not_found"),
    ActiveKeyExists: (409, "active_key_exists"),
    KeyAlreadyRevoked: (409, "already_revoked"),
    KeyNotRevoked: (409, "not_revoked"),
    KeyNotRollable: (409, "not_rollable"),
    KeyNotRestrictable: (409, "not_restrictable"),
    WouldWiden: (409, "would_widen"),
    InvalidTitle: (422, "invalid_title"),
    InvalidLifetime: (422, "invalid_lifetime"),
    InvalidRestrictions: (422, "invalid_restrictions"),
    NotAnAdmin: (403, "admin_required"),
}


@bp.errorhandler(SecretKeyError)
def _refused(error: SecretKeyError) -> ResponseBase:
    status, code = next(
        (answer for kind, answer in REFUSALS.items() if isinstance(error, kind)),
        (409, "conflict"),
    )
    fields: dict[str, Any] = {}
    if isinstance(error, ActiveKeyExists):
        fields["active_key_id"] = error.key.id
    elif isinstance(error, InvalidRestrictions):
        fields["field"] = error.field
    return ManagementAPIError(status, code, str(error), **fields).get_response()


@bp.errorhandler(ProgrammingError)
def _outdated_schema(error: DBAPIError) -> ResponseBase:
    """Before ``flask db upgrade``: a 503 that says so; any other such error is a bug."""
    if not schema.missing_after(error):
        raise error
    return SchemaOutdated().get_response()


for _outage in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_outage, unavailable_json)
bp.after_request(add_security_headers)


def not_found_under(prefix: str) -> Callable[[], None]:
    """An app-wide ``before_request`` function: a JSON 404 for URLs under ``prefix`` that no
    route matches (an id that is not a number, a path that does not exist).

    A routing error belongs to no blueprint, so the blueprint cannot answer it itself.
    """
    below = prefix + "/"

    def refuse_unknown_path() -> None:
        if isinstance(request.routing_exception, NotFound):
            path = request.path
            if path == prefix or path.startswith(below):
                raise ManagementAPIError(
                    404, "not_found", gettext("No such URL in the management API.")
                )

    return refuse_unknown_path


# Views


def _revealed(key: SecretKeyMixin, token: str) -> Response:
    """A new key and its secret, this once: the only answers that hold a secret, never cached."""
    response = jsonify(secret_key=key_object(key, owner=_user()), token=token)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    response.headers["Location"] = url_for(".get_key", key_id=key.id)
    return response


@bp.get("", strict_slashes=False)
def list_keys() -> Response:
    """The caller's keys, or (``owner``, overseers' sessions only) every user's or one user's."""
    wanted = list_request()
    service, user = current_state().service, _user()
    owner = None
    if wanted.owner:
        if not _oversees():
            raise ManagementAPIError(
                403,
                "overseer_required",
                gettext("Only overseers, signed in, can list other users' keys."),
            )
        if wanted.owner != "all":
            found = current_state().users.user_by_id(wanted.owner)
            owners = [found] if found is not None else []
        search: Callable[[KeyQuery], Pagination] = (
            (lambda query: service.search_all(query))
            if wanted.owner == "all"
            else (lambda query: service.search_all(query, owners=owners))
        )
    else:
        owner = user
        search = lambda query: service.search(user, query)  # noqa: E731
    page_number, skip = divmod(wanted.offset, wanted.limit)
    first = search(dataclasses.replace(wanted.query, page=page_number + 1))
    items = list(first.items)[skip:]
    if skip:
        # An offset between pages: the rest of the window from the next page.
        following = search(dataclasses.replace(wanted.query, page=page_number + 2))
        items += list(following.items)[: wanted.limit - len(items)]
    response = jsonify(
        secret_keys=[key_object(key, owner=owner) for key in items],
        count=first.total,
        offset=wanted.offset,
        limit=wanted.limit,
    )
    if wanted.secret_in_search:
        # A whole key came in the URL: searched for nowhere, and the URL goes no further.
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("", strict_slashes=False)
def create_key() -> Response:
    """Create a key for the caller; the answer holds its secret, this once."""
    _require_write()
    body = json_body(
        "title",
        "expires_in",
        "expires_at",
        "permissions",
        "allowed_networks",
        required=("title",),
    )
    title = title_in(body)
    service = current_state().service
    expiry = expiry_in(body, models.utcnow())
    expires_at = service.default_expiry() if expiry is DEFAULT else expiry
    reach = _within_callers_reach(reach_in(body, Reach()))
    key, token = service.create(
        _user(),
        title,
        expires_at=cast("dt.datetime | None", expires_at),
        actor=_actor(),
        reach=reach,
    )
    return _revealed(key, token)


@bp.get("/<int:key_id>")
def get_key(key_id: int) -> Response:
    """One key: the caller's own, or any for an overseer's session."""
    return jsonify(key_object(_viewable_key(key_id)))


@bp.post("/<int:key_id>")
def rename_key(key_id: int) -> Response:
    """Change a key's title, the one thing about a key that is edited."""
    _require_write()
    key = _own_key(key_id)
    title = title_in(json_body("title", required=("title",)))
    current_state().service.rename(key, title, actor=_actor())
    return jsonify(key_object(key, owner=_user()))


@bp.post("/<int:key_id>/revoke")
@admin_api_required(access="read")
def revoke_key(key_id: int) -> Response:
    """Revoke a key for good, now or in ``revoke_in`` seconds. A key may revoke itself
    (a Restricted key with ``secret_keys:read``, as it needs to reach this API at all)."""
    current = authenticate_request()
    if current is None or current.id != key_id:
        _require_write()
    key = _viewable_key(key_id)
    delay = delay_in(json_body("revoke_in"), "revoke_in")
    at = models.utcnow() + delay if delay else None
    current_state().service.revoke(key, at=at, actor=_actor())
    return jsonify(key_object(key))


@bp.post("/<int:key_id>/roll")
def roll_key(key_id: int) -> Response:
    """Replace a key by a successor with the same title; the old one works ``grace`` seconds.

    The successor keeps the key's restrictions, except those the body gives.
    """
    _require_write()
    key = _own_key(key_id)
    body = json_body("grace", "permissions", "allowed_networks")
    grace = delay_in(body, "grace")
    reach = _within_callers_reach(reach_in(body, reach_of(key)))
    successor, token = current_state().service.roll(key, grace, actor=_actor(), reach=reach)
    return _revealed(successor, token)


@bp.post("/<int:key_id>/restrict")
def restrict_key(key_id: int) -> Response:
    """Narrow a key's restrictions in place; widening them takes a roll."""
    _require_write()
    key = _own_key(key_id)
    body = json_body("permissions", "allowed_networks")
    if not body:
        raise invalid(gettext("Give 'permissions', 'allowed_networks' or both."))
    current_state().service.restrict(key, reach_in(body, reach_of(key)), actor=_actor())
    return jsonify(key_object(key, owner=_user()))


@bp.delete("/<int:key_id>")
def delete_key(key_id: int) -> Response:
    """Delete a revoked or expired key; its events stay."""
    _require_write()
    key = _own_key(key_id)
    current_state().service.delete(key, actor=_actor())
    return jsonify(id=key_id, object="secret_key", deleted=True)


@bp.get("/<int:key_id>/events")
def key_events(key_id: int) -> Response:
    """A key's activity, newest first, within the event retention."""
    key = _viewable_key(key_id)
    count = query_integer("limit", EVENTS_LIMIT, 1, MAX_LIMIT)
    events = current_state().service.events_of(key.id, count)
    return jsonify(events=[event_object(event) for event in events], limit=count)


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """This API's OpenAPI 3.1 document."""
    return jsonify(openapi.document(current_state().settings))

"""The OpenAPI 3.1 document of the management API, built from an app's settings.

Served at ``{SECRET_KEYS_API_PREFIX}/openapi.json``, rendered in the reference
documentation, and checked by ``openapi-spec-validator`` and schemathesis in
the tests. The limits it states are the ones the API enforces, read from the
same constants.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from .api_bodies import EVENTS_LIMIT, MAX_LIMIT, MAX_OFFSET, MAX_OWNER, MAX_SEARCH
from .models import ACTOR_KINDS, EVENT_KINDS, MAX_KEY_ID, TITLE_MAX_LENGTH
from .rules import DIRECTIONS, MAX_DELAY, MAX_DURATION, SORT_FIELDS, STATUSES
from .settings import Settings

#: Every error code of the API, by status, with what it means.
ERRORS: dict[int, dict[str, str]] = {
    400: {
        "invalid_request": "A body or parameter does not match this document; the message"
        " names it.",
        "csrf_failed": "A session request that changes something came without its CSRF token"
        " (`X-CSRFToken`).",
    },
    401: {
        "authentication_required": "No credentials: send a key or sign in.",
        "invalid_api_key": "The key is malformed, unknown, revoked or expired.",
    },
    403: {
        "admin_required": "The user is not an admin.",
        "insufficient_scope": "A key may read keys and revoke itself; `required` names the"
        " permission anything else needs (`secret_keys:write`).",
        "overseer_required": "Only an overseer's session may list other users' keys.",
    },
    404: {"not_found": "No such key, or not one the caller may see."},
    409: {
        "active_key_exists": "The user has an active key: revoke it first."
        " `active_key_id` is its id.",
        "already_revoked": "The key is already revoked.",
        "not_revoked": "Only a revoked or expired key can be deleted.",
        "not_rollable": "Only an active key can be rolled.",
    },
    422: {
        "invalid_title": "The title breaks a title rule; the message says which.",
        "invalid_lifetime": "The expiry is in the past, too far ahead, or missing where the"
        " app has a maximum lifetime; the message says which.",
    },
    429: {"too_many_attempts": "Too many failed keys from this client; see `Retry-After`."},
    503: {
        "service_unavailable": "The database is unavailable; retry after `Retry-After`.",
        "database_upgrade_needed": "The database needs `flask db upgrade`.",
    },
}

_MAX_DELAY = int(MAX_DELAY.total_seconds())
#: Characters no title may hold: control characters, text-direction controls,
#: line and paragraph separators. The service checks the rest (a title of
#: blanks alone, say) and answers ``invalid_title``.
_TITLE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


_TIME = {"type": "string", "format": "date-time"}
_USER = {
    "type": "object",
    "description": "A user: their id and the name the app shows.",
    "properties": {"id": {"type": ["integer", "string"]}, "name": {"type": "string"}},
    "required": ["id", "name"],
    "additionalProperties": False,
}
_TITLE = {
    "type": "string",
    "minLength": 1,
    "maxLength": TITLE_MAX_LENGTH,
    "pattern": _TITLE_PATTERN,
    "description": "What the key is for. Trimmed; not blank, without control or"
    " text-direction characters.",
}


def _schemas() -> dict[str, Any]:
    return {
        "User": _USER,
        "SecretKey": {
            "type": "object",
            "description": "A key: never its secret, never its hash. Times are ISO 8601, in UTC.",
            "properties": {
                "id": {"type": "integer"},
                "object": {"const": "secret_key"},
                "title": {"type": "string"},
                "status": {"enum": [status for status in STATUSES if status != "all"]},
                "redacted": {
                    "type": "string",
                    "description": "The key's prefix and last characters, to recognise it.",
                },
                "owner": _nullable(_USER),
                "created_at": _TIME,
                "expires_at": {
                    **_nullable(_TIME),
                    "description": "When it stops working,"
                    " counting the app's maximum lifetime; null for never.",
                },
                "last_used_at": _nullable(_TIME),
                "last_used_ip": {"type": ["string", "null"]},
                "revoked_at": {
                    **_nullable(_TIME),
                    "description": "When it was or will be"
                    " revoked (in the future while its status is `revoking`).",
                },
                "revoked_by": _nullable(_USER),
            },
            "required": [
                "id",
                "object",
                "title",
                "status",
                "redacted",
                "owner",
                "created_at",
                "expires_at",
                "last_used_at",
                "last_used_ip",
                "revoked_at",
                "revoked_by",
            ],
            "additionalProperties": False,
        },
        "SecretKeyList": {
            "type": "object",
            "properties": {
                "secret_keys": {"type": "array", "items": _ref("SecretKey")},
                "count": {"type": "integer", "description": "How many keys match, in all."},
                "offset": {"type": "integer"},
                "limit": {"type": "integer"},
            },
            "required": ["secret_keys", "count", "offset", "limit"],
            "additionalProperties": False,
        },
        "NewSecretKey": {
            "type": "object",
            "description": "A new key and its secret, shown this once (`Cache-Control: no-store`).",
            "properties": {
                "secret_key": _ref("SecretKey"),
                "token": {"type": "string", "description": "The secret: store it now."},
            },
            "required": ["secret_key", "token"],
            "additionalProperties": False,
        },
        "Deleted": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "object": {"const": "secret_key"},
                "deleted": {"const": True},
            },
            "required": ["id", "object", "deleted"],
            "additionalProperties": False,
        },
        "Event": {
            "type": "object",
            "description": "One change to a key, with who made it and from where.",
            "properties": {
                "id": {"type": "integer"},
                "event": {"enum": list(EVENT_KINDS)},
                "at": _TIME,
                "actor": {
                    "type": "object",
                    "properties": {"kind": {"enum": list(ACTOR_KINDS)}, "name": {"type": "string"}},
                    "required": ["kind", "name"],
                    "additionalProperties": False,
                },
                "ip": {"type": ["string", "null"]},
                "user_agent": {"type": ["string", "null"]},
                "key_id": {"type": "integer"},
                "title": {"type": "string", "description": "The key's title at the time."},
                "redacted": {"type": "string"},
                "details": {
                    "type": "object",
                    "description": "The event's own facts, such as"
                    " `old_title` and `new_title` of a rename.",
                },
            },
            "required": [
                "id",
                "event",
                "at",
                "actor",
                "ip",
                "user_agent",
                "key_id",
                "title",
                "redacted",
                "details",
            ],
            "additionalProperties": False,
        },
        "EventList": {
            "type": "object",
            "properties": {
                "events": {"type": "array", "items": _ref("Event")},
                "limit": {"type": "integer"},
            },
            "required": ["events", "limit"],
            "additionalProperties": False,
        },
        "Error": {
            "type": "object",
            "properties": {
                "error": {"enum": [code for codes in ERRORS.values() for code in codes]},
                "message": {"type": "string", "description": "What went wrong, for a person."},
                "active_key_id": {
                    "type": "integer",
                    "description": "With `active_key_exists`: the key that blocks the creation.",
                },
                "required": {
                    "type": "string",
                    "description": "With `insufficient_scope`: the permission the request needs.",
                },
            },
            "required": ["error", "message"],
            "additionalProperties": False,
        },
        "CreateRequest": {
            "type": "object",
            "description": "Give `expires_in` or `expires_at`, or neither for the app's default"
            " expiry; either as null means no expiry (refused when the app has a maximum"
            " lifetime).",
            "properties": {
                "title": _TITLE,
                "expires_in": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": int(MAX_DURATION.total_seconds()),
                    "description": "Seconds from now.",
                },
                "expires_at": {
                    **_nullable(_TIME),
                    "description": "An RFC 3339 time, in the future.",
                },
            },
            "required": ["title"],
            "not": {
                "required": ["expires_in", "expires_at"],
                "properties": {"expires_in": {"type": "integer"}, "expires_at": {"type": "string"}},
            },
            "additionalProperties": False,
        },
        "RenameRequest": {
            "type": "object",
            "properties": {"title": _TITLE},
            "required": ["title"],
            "additionalProperties": False,
        },
        "RevokeRequest": {
            "type": "object",
            "properties": {"revoke_in": _delay("Seconds until the revocation takes effect.")},
            "additionalProperties": False,
        },
        "RollRequest": {
            "type": "object",
            "properties": {"grace": _delay("Seconds the old key keeps working.")},
            "additionalProperties": False,
        },
    }


def _delay(description: str) -> dict[str, Any]:
    return {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": _MAX_DELAY,
        "description": f"{description} 0 (or absent) means now; at most {_MAX_DELAY} (7 days).",
    }


def _errors(*statuses: int) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in statuses:
        codes = ERRORS[status]
        response: dict[str, Any] = {
            "description": "; ".join(f"`{code}`: {text}" for code, text in codes.items()),
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[str(status)] = response
    return responses


def _ok(status: int, schema: str, description: str, links: dict[str, Any] | None = None) -> Any:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }
    if links:
        response["links"] = links
    return {str(status): response}


def _link(operation: str, expression: str, description: str) -> dict[str, Any]:
    return {
        "operationId": operation,
        "parameters": {"key_id": expression},
        "description": description,
    }


def _body(schema: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(schema)}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_KEY_ID = {
    "name": "key_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_KEY_ID},
}
_READ = (401, 403, 429, 503)
_WRITE = (400, 401, 403, 429, 503)


def _paths() -> dict[str, Any]:
    new_key_links = {
        "get": _link("getSecretKey", "$response.body#/secret_key/id", "The new key."),
        "rename": _link("renameSecretKey", "$response.body#/secret_key/id", "Rename it."),
        "revoke": _link("revokeSecretKey", "$response.body#/secret_key/id", "Revoke it."),
        "roll": _link("rollSecretKey", "$response.body#/secret_key/id", "Roll it."),
    }
    key_links = {
        "get": _link("getSecretKey", "$response.body#/id", "The key again."),
        "revoke": _link("revokeSecretKey", "$response.body#/id", "Revoke it."),
        "delete": _link("deleteSecretKey", "$response.body#/id", "Delete it, once revoked."),
        "events": _link("listSecretKeyEvents", "$response.body#/id", "Its activity."),
    }
    return {
        "/": {
            "get": {
                "operationId": "listSecretKeys",
                "summary": "List keys",
                "description": "The caller's keys, newest first unless `sort` says otherwise."
                " An overseer's session lists every user's keys with `owner=all`, or one"
                " user's with their id.",
                "parameters": [
                    _query(
                        "q",
                        {"type": "string", "maxLength": MAX_SEARCH},
                        "Search titles and redacted keys. A whole key is searched for nowhere.",
                    ),
                    _query("status", {"enum": list(STATUSES)}, "Only keys in this status."),
                    _query(
                        "created_from",
                        {"type": "string", "format": "date"},
                        "Created on this day (UTC) or later.",
                    ),
                    _query(
                        "created_to",
                        {"type": "string", "format": "date"},
                        "Created on this day (UTC) or earlier.",
                    ),
                    _query("sort", {"enum": list(SORT_FIELDS)}, "The order of the list."),
                    _query("order", {"enum": list(DIRECTIONS)}, "Ascending or descending."),
                    _query(
                        "offset",
                        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                        "How many keys to skip.",
                    ),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        "How many keys to return; `SECRET_KEYS_PER_PAGE` by default.",
                    ),
                    _query(
                        "owner",
                        {"type": "string", "maxLength": MAX_OWNER},
                        "`all`, or a user's id: whose keys to list (overseers' sessions).",
                    ),
                ],
                "responses": {
                    **_ok(200, "SecretKeyList", "A window of the list."),
                    **_errors(400, *_READ),
                },
            },
            "post": {
                "operationId": "createSecretKey",
                "summary": "Create a key",
                "description": "A new key for the caller, who must have no active key. The"
                " answer holds its secret, this once. Sessions only: a key gets"
                " `insufficient_scope`.",
                "requestBody": _body("CreateRequest"),
                "responses": {
                    **_ok(201, "NewSecretKey", "The new key.", new_key_links),
                    **_errors(*_WRITE, 409, 422),
                },
            },
        },
        "/{key_id}": {
            "parameters": [_KEY_ID],
            "get": {
                "operationId": "getSecretKey",
                "summary": "Get a key",
                "description": "One of the caller's keys, or any key for an overseer's session.",
                "responses": {
                    **_ok(200, "SecretKey", "The key.", key_links),
                    **_errors(*_READ, 404),
                },
            },
            "post": {
                "operationId": "renameSecretKey",
                "summary": "Rename a key",
                "description": "Change the title, the one thing about a key that is edited."
                " Sessions only.",
                "requestBody": _body("RenameRequest"),
                "responses": {
                    **_ok(200, "SecretKey", "The renamed key.", key_links),
                    **_errors(*_WRITE, 404, 422),
                },
            },
            "delete": {
                "operationId": "deleteSecretKey",
                "summary": "Delete a key",
                "description": "Delete a revoked or expired key; its events stay. Sessions only.",
                "responses": {
                    **_ok(200, "Deleted", "The key is gone."),
                    **_errors(*_WRITE, 404, 409),
                },
            },
        },
        "/{key_id}/revoke": {
            "parameters": [_KEY_ID],
            "post": {
                "operationId": "revokeSecretKey",
                "summary": "Revoke a key",
                "description": "Revoke a key for good, now or in `revoke_in` seconds. A key may"
                " revoke itself; an overseer's session any key.",
                "requestBody": _body("RevokeRequest", required=False),
                "responses": {
                    **_ok(200, "SecretKey", "The revoked key.", key_links),
                    **_errors(*_WRITE, 404, 409),
                },
            },
        },
        "/{key_id}/roll": {
            "parameters": [_KEY_ID],
            "post": {
                "operationId": "rollSecretKey",
                "summary": "Roll a key",
                "description": "Replace an active key by a successor with the same title and"
                " expiry; the old key keeps working for `grace` seconds. The answer holds the"
                " successor's secret, this once. Sessions only.",
                "requestBody": _body("RollRequest", required=False),
                "responses": {
                    **_ok(201, "NewSecretKey", "The successor.", new_key_links),
                    **_errors(*_WRITE, 404, 409),
                },
            },
        },
        "/{key_id}/events": {
            "parameters": [_KEY_ID],
            "get": {
                "operationId": "listSecretKeyEvents",
                "summary": "A key's activity",
                "description": "Its events, newest first, within the app's event retention.",
                "parameters": [
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        f"How many events to return; {EVENTS_LIMIT} by default.",
                    ),
                ],
                "responses": {**_ok(200, "EventList", "The events."), **_errors(400, *_READ, 404)},
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenAPIDocument",
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_errors(*_READ),
                },
            },
        },
    }


def document(settings: Settings, *, session_cookie: str = "session") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the management API under ``settings.api_prefix``."""
    schemes: dict[str, Any] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": f"`Authorization: Bearer {settings.prefix}…`.",
        },
        "basic": {
            "type": "http",
            "scheme": "basic",
            "description": "The key as the user name, no password (`curl -u sk_…:`).",
        },
    }
    key_schemes = ["bearer", "basic"]
    if settings.header:
        schemes["header"] = {
            "type": "apiKey",
            "in": "header",
            "name": settings.header,
            "description": "The key alone in this header.",
        }
        key_schemes.append("header")
    schemes["session"] = {
        "type": "apiKey",
        "in": "cookie",
        "name": session_cookie,
        "description": "A signed-in admin's browser session.",
    }
    schemes["csrf"] = {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "The session's CSRF token (Flask-WTF's `csrf_token()`),"
        " on every session request that changes something.",
    }
    paths = _paths()
    for item in paths.values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            session = ["session"] if method == "get" else ["session", "csrf"]
            operation["security"] = [{name: [] for name in session}] + [
                {name: []} for name in key_schemes
            ]
    try:
        version = metadata.version("flask-secret-keys")
    except metadata.PackageNotFoundError:
        version = "0"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Secret API Keys management API",
            "version": version,
            "description": "Create, list, rename, roll, revoke and delete secret API keys, as"
            " the Secret API Keys pages do. A session may do everything its user may do on the"
            " pages (its CSRF token in `X-CSRFToken` on every write); a key may read keys and"
            " revoke itself, and anything else is refused with `insufficient_scope`.",
        },
        "servers": [{"url": settings.api_prefix or "/"}],
        "paths": paths,
        "components": {"schemas": _schemas(), "securitySchemes": schemes},
    }

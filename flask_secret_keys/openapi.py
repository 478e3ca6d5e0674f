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
from .models import MAX_KEY_ID
from .openapi_schemas import ERRORS, ref, schemas
from .rules import DIRECTIONS, SORT_FIELDS, STATUSES
from .settings import Settings


#: Every error code of the API, by status, with what it means.
def _errors(*statuses: int) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        codes = ERRORS[status]
        response: dict[str, Any] = {
            "description": "; ".join(f"`{code}`: {text}" for code, text in codes.items()),
            "content": {"application/json": {"schema": ref("Error")}},
        }
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[str(status)] = response
    return responses


def _ok(status: int, schema: str, description: str, links: dict[str, Any] | None = None) -> Any:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ref(schema)}},
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
    return {"required": required, "content": {"application/json": {"schema": ref(schema)}}}


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
_WRITERS = (
    " Sessions, and Restricted keys with `secret_keys:write` (a key gives a key no more than"
    " its own reach); a Full access key gets `insufficient_scope`."
)
_WRITE = (400, 401, 403, 429, 503)


def _paths() -> dict[str, Any]:
    new_key_links = {
        "get": _link("getSecretKey", "$response.body#/secret_key/id", "The new key."),
        "rename": _link("renameSecretKey", "$response.body#/secret_key/id", "Rename it."),
        "revoke": _link("revokeSecretKey", "$response.body#/secret_key/id", "Revoke it."),
        "roll": _link("rollSecretKey", "$response.body#/secret_key/id", "Roll it."),
        "restrict": _link(
            "restrictSecretKey", "$response.body#/secret_key/id", "Narrow its restrictions."
        ),
    }
    key_links = {
        "get": _link("getSecretKey", "$response.body#/id", "The key again."),
        "revoke": _link("revokeSecretKey", "$response.body#/id", "Revoke it."),
        "delete": _link("deleteSecretKey", "$response.body#/id", "Delete it, once revoked."),
        "events": _link("listSecretKeyEvents", "$response.body#/id", "Its activity."),
        "restrict": _link("restrictSecretKey", "$response.body#/id", "Narrow its restrictions."),
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
                "description": "A new key for the caller, who must have no active key, with"
                " Full access from anywhere unless `permissions` or `allowed_networks` say"
                " otherwise. The answer holds its secret, this once." + _WRITERS,
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
                "description": "Change the title." + _WRITERS,
                "requestBody": _body("RenameRequest"),
                "responses": {
                    **_ok(200, "SecretKey", "The renamed key.", key_links),
                    **_errors(*_WRITE, 404, 422),
                },
            },
            "delete": {
                "operationId": "deleteSecretKey",
                "summary": "Delete a key",
                "description": "Delete a revoked or expired key; its events stay." + _WRITERS,
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
                " revoke itself (a Restricted one with `secret_keys:read`); an overseer's"
                " session any key.",
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
                "description": "Replace an active key by a successor with the same title,"
                " expiry and restrictions (or the `permissions` and `allowed_networks` given,"
                " wider ones too); the old key keeps working for `grace` seconds. The answer"
                " holds the successor's secret, this once." + _WRITERS,
                "requestBody": _body("RollRequest", required=False),
                "responses": {
                    **_ok(201, "NewSecretKey", "The successor.", new_key_links),
                    **_errors(*_WRITE, 404, 409, 422),
                },
            },
        },
        "/{key_id}/restrict": {
            "parameters": [_KEY_ID],
            "post": {
                "operationId": "restrictSecretKey",
                "summary": "Restrict a key",
                "description": "Narrow a key's `permissions` or `allowed_networks` in place:"
                " lower levels, fewer resources, Full access to Restricted, fewer or narrower"
                " networks. Anything wider is `would_widen`: roll the key instead." + _WRITERS,
                "requestBody": _body("RestrictRequest"),
                "responses": {
                    **_ok(200, "SecretKey", "The restricted key.", key_links),
                    **_errors(*_WRITE, 404, 409, 422),
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
            " pages (its CSRF token in `X-CSRFToken` on every write). A Full access key may"
            " read keys and revoke itself; a Restricted key needs `secret_keys:read` to read and"
            " revoke itself, and `secret_keys:write` for the rest. Anything else is refused"
            " with `insufficient_scope`.",
        },
        "servers": [{"url": settings.api_prefix or "/"}],
        "paths": paths,
        "components": {"schemas": schemas(), "securitySchemes": schemes},
    }

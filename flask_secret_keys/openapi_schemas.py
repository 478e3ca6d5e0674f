"""The schemas of the management API's OpenAPI document: keys, events, errors, bodies.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

from typing import Any

from .api_bodies import MAX_NETWORK_LENGTH, MAX_RESOURCES
from .models import ACTOR_KINDS, EVENT_KINDS, TITLE_MAX_LENGTH
from .reach import LEVELS, MAX_NETWORKS, RESOURCE_NAME
from .rules import MAX_DELAY, MAX_DURATION, STATUSES

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
        "insufficient_scope": "The key's permissions do not cover the request; `required`"
        " names the permission it needs. A Full access key may read keys and revoke itself;"
        " other changes need a session or a Restricted key with `secret_keys:write`.",
        "network_not_allowed": "The key may not be used from the client's address.",
        "overseer_required": "Only an overseer's session may list other users' keys.",
    },
    404: {"not_found": "No such key, or not one the caller may see."},
    409: {
        "active_key_exists": "The user has an active key: revoke it first."
        " `active_key_id` is its id.",
        "already_revoked": "The key is already revoked.",
        "not_revoked": "Only a revoked or expired key can be deleted.",
        "not_rollable": "Only an active key can be rolled.",
        "not_restrictable": "Only a key that still works can be restricted.",
        "would_widen": "Restrictions only narrow a key in place (roll it to widen them), and a"
        " key gives a key no more than its own reach; the message says what would be added.",
    },
    422: {
        "invalid_title": "The title breaks a title rule; the message says which.",
        "invalid_lifetime": "The expiry is in the past, too far ahead, or missing where the"
        " app has a maximum lifetime; the message says which.",
        "invalid_restrictions": "A permission or network cannot be used (an unknown level, a"
        " resource name that is not an identifier, a malformed range, too many networks);"
        " `field` names which, the message says why.",
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


def ref(name: str) -> dict[str, str]:
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
_PERMISSIONS = {
    "type": ["object", "null"],
    "description": "Null for Full access (every Admin API route), else the access of a"
    ' Restricted key by resource, such as `{"orders": "read"}`.',
    "propertyNames": {"pattern": f"^{RESOURCE_NAME.pattern}$"},
    "additionalProperties": {"enum": list(LEVELS)},
    "maxProperties": MAX_RESOURCES,
}
_NETWORKS = {
    "type": "array",
    "description": "Addresses and CIDR ranges the key may be used from; empty for anywhere.",
    "items": {"type": "string", "maxLength": MAX_NETWORK_LENGTH},
    "maxItems": MAX_NETWORKS,
}
_TITLE = {
    "type": "string",
    "minLength": 1,
    "maxLength": TITLE_MAX_LENGTH,
    "pattern": _TITLE_PATTERN,
    "description": "What the key is for. Trimmed; not blank, without control or"
    " text-direction characters.",
}


def schemas() -> dict[str, Any]:
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
                "permissions": {
                    **_PERMISSIONS,
                    "additionalProperties": {
                        "enum": [level for level in LEVELS if level != "none"]
                    },
                },
                "allowed_networks": _NETWORKS,
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
                "permissions",
                "allowed_networks",
            ],
            "additionalProperties": False,
        },
        "SecretKeyList": {
            "type": "object",
            "properties": {
                "secret_keys": {"type": "array", "items": ref("SecretKey")},
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
                "secret_key": ref("SecretKey"),
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
                "events": {"type": "array", "items": ref("Event")},
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
                "field": {
                    "enum": ["permissions", "allowed_networks"],
                    "description": "With `invalid_restrictions`: the field that is wrong.",
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
                "permissions": _PERMISSIONS,
                "allowed_networks": _NETWORKS,
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
            "description": "The successor keeps the key's `permissions` and"
            " `allowed_networks`, except those given.",
            "properties": {
                "grace": _delay("Seconds the old key keeps working."),
                "permissions": _PERMISSIONS,
                "allowed_networks": _NETWORKS,
            },
            "additionalProperties": False,
        },
        "RestrictRequest": {
            "type": "object",
            "description": "The key's new `permissions` or `allowed_networks` (one not given"
            " stays): only narrower ones.",
            "properties": {"permissions": _PERMISSIONS, "allowed_networks": _NETWORKS},
            "minProperties": 1,
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

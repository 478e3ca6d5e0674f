"""Secret API keys for Flask admin panels."""

from __future__ import annotations

from .auth import admin_api_blueprint, admin_api_required, current_key
from .errors import (
    ActiveKeyExists,
    AdminRequired,
    AuthenticationRequired,
    CSRFFailed,
    DatabaseUnavailable,
    InvalidKey,
    InvalidLifetime,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    KeyNotRollable,
    MethodNotAllowedJSON,
    NotAnAdmin,
    SecretKeyError,
    TooManyAttempts,
)
from .extension import SecretKeys
from .rules import Actor, KeyQuery, parse_duration
from .service import KeyService

__all__ = [
    "ActiveKeyExists",
    "Actor",
    "AdminRequired",
    "AuthenticationRequired",
    "CSRFFailed",
    "DatabaseUnavailable",
    "InvalidKey",
    "InvalidLifetime",
    "InvalidTitle",
    "KeyAlreadyRevoked",
    "KeyNotFound",
    "KeyNotRevoked",
    "KeyNotRollable",
    "KeyQuery",
    "KeyService",
    "MethodNotAllowedJSON",
    "NotAnAdmin",
    "SecretKeyError",
    "SecretKeys",
    "TooManyAttempts",
    "admin_api_blueprint",
    "admin_api_required",
    "current_key",
    "parse_duration",
]

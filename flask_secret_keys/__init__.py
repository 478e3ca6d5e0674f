"""Secret API keys for Flask admin panels."""

from __future__ import annotations

from .auth import admin_api_required, current_key, load_user_from_request
from .errors import (
    ActiveKeyExists,
    AdminRequired,
    AuthenticationRequired,
    DatabaseUnavailable,
    InvalidKey,
    InvalidLifetime,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    KeyNotRollable,
    NotAnAdmin,
    SecretKeyError,
    TooManyAttempts,
)
from .extension import SecretKeys
from .service import KeyQuery, KeyService, parse_duration

__all__ = [
    "ActiveKeyExists",
    "AdminRequired",
    "AuthenticationRequired",
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
    "NotAnAdmin",
    "SecretKeyError",
    "SecretKeys",
    "TooManyAttempts",
    "admin_api_required",
    "current_key",
    "load_user_from_request",
    "parse_duration",
]

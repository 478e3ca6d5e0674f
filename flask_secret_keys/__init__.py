"""Secret API keys for Flask admin panels."""

from __future__ import annotations

from .auth import admin_api_blueprint, admin_api_required, current_key
from .errors import (
    ActiveKeyExists,
    AdminRequired,
    AuthenticationRequired,
    DatabaseUnavailable,
    InvalidKey,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    NotAnAdmin,
    SecretKeyError,
    TooManyAttempts,
)
from .extension import SecretKeys
from .service import KeyQuery, KeyService

__all__ = [
    "ActiveKeyExists",
    "AdminRequired",
    "AuthenticationRequired",
    "DatabaseUnavailable",
    "InvalidKey",
    "InvalidTitle",
    "KeyAlreadyRevoked",
    "KeyNotFound",
    "KeyNotRevoked",
    "KeyQuery",
    "KeyService",
    "NotAnAdmin",
    "SecretKeyError",
    "SecretKeys",
    "TooManyAttempts",
    "admin_api_blueprint",
    "admin_api_required",
    "current_key",
]

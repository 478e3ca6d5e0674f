"""Secret API keys for Flask admin panels."""

from __future__ import annotations

from .auth import admin_api_required, current_key, load_user_from_request
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
from .service import Actor, KeyQuery, KeyService

__all__ = [
    "ActiveKeyExists",
    "Actor",
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
    "admin_api_required",
    "current_key",
    "load_user_from_request",
]

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
    KeyServerUnavailable,
    LeakRequestInvalid,
    LeakRequestTooLarge,
    MethodNotAllowedJSON,
    NotAnAdmin,
    SecretKeyError,
    SignatureInvalid,
    TooManyAttempts,
    TooManyReports,
)
from .extension import SecretKeys
from .rules import Actor, KeyQuery, parse_duration
from .service import KeyService, LeakReport

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
    "KeyServerUnavailable",
    "KeyService",
    "LeakReport",
    "LeakRequestInvalid",
    "LeakRequestTooLarge",
    "MethodNotAllowedJSON",
    "NotAnAdmin",
    "SecretKeyError",
    "SecretKeys",
    "SignatureInvalid",
    "TooManyAttempts",
    "TooManyReports",
    "admin_api_blueprint",
    "admin_api_required",
    "current_key",
    "parse_duration",
]

"""Secret API keys for Flask admin panels."""

from __future__ import annotations

from .auth import admin_api_blueprint, admin_api_required, allows, current_key
from .errors import (
    ActiveKeyExists,
    AdminRequired,
    AuthenticationRequired,
    CSRFFailed,
    DatabaseUnavailable,
    InsufficientScope,
    InvalidKey,
    InvalidLifetime,
    InvalidRestrictions,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRestrictable,
    KeyNotRevoked,
    KeyNotRollable,
    KeyRefused,
    MethodNotAllowedJSON,
    NetworkNotAllowed,
    NotAnAdmin,
    SecretKeyError,
    TooManyAttempts,
    WouldWiden,
)
from .extension import SecretKeys
from .resources import Resource
from .rules import Actor, KeyQuery, Reach, parse_duration
from .service import KeyService

__all__ = [
    "ActiveKeyExists",
    "Actor",
    "AdminRequired",
    "AuthenticationRequired",
    "CSRFFailed",
    "DatabaseUnavailable",
    "InsufficientScope",
    "InvalidKey",
    "InvalidLifetime",
    "InvalidRestrictions",
    "InvalidTitle",
    "KeyAlreadyRevoked",
    "KeyNotFound",
    "KeyNotRestrictable",
    "KeyNotRevoked",
    "KeyNotRollable",
    "KeyQuery",
    "KeyRefused",
    "KeyService",
    "MethodNotAllowedJSON",
    "NetworkNotAllowed",
    "NotAnAdmin",
    "Reach",
    "Resource",
    "SecretKeyError",
    "SecretKeys",
    "TooManyAttempts",
    "WouldWiden",
    "admin_api_blueprint",
    "admin_api_required",
    "allows",
    "current_key",
    "parse_duration",
]

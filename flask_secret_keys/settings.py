"""The validated configuration of one app: every ``SECRET_KEYS_*`` setting and its checks."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from . import crypto
from .service import MAX_DURATION

#: Every configuration key and its default. Anything else starting with
#: ``SECRET_KEYS_`` is reported as a probable typo.
DEFAULTS: dict[str, Any] = {
    "SECRET_KEYS_PREFIX": crypto.DEFAULT_PREFIX,
    "SECRET_KEYS_PEPPER": None,
    "SECRET_KEYS_HEADER": "X-Api-Key",
    "SECRET_KEYS_LAST_USED_INTERVAL": 60,
    "SECRET_KEYS_URL_PREFIX": "/settings/secret-api-keys",
    "SECRET_KEYS_BASE_TEMPLATE": "secret_keys/layout.html",
    "SECRET_KEYS_CONTENT_BLOCK": "content",
    "SECRET_KEYS_PER_PAGE": 20,
    # htmx.org 2.0.11's dist/htmx.min.js and its Subresource Integrity hash;
    # change both together, or set the URL to None when the layout loads htmx.
    "SECRET_KEYS_HTMX_URL": "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js",
    "SECRET_KEYS_HTMX_INTEGRITY": (
        "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
    ),
    "SECRET_KEYS_RATE_LIMIT": None,
    "SECRET_KEYS_RATE_LIMIT_STORAGE": "memory://",
    "SECRET_KEYS_SQLITE_FOREIGN_KEYS": True,
    "SECRET_KEYS_DEFAULT_EXPIRATION": None,
    "SECRET_KEYS_MAX_LIFETIME": None,
    "SECRET_KEYS_EVENT_RETENTION": 365,
    "SECRET_KEYS_API_EXAMPLE_URL": None,
}

_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_RESERVED_HEADERS = {"authorization", "cookie", "host", "content-type", "content-length"}
_BLOCK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INTEGRITY = re.compile(r"(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}")


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one app, read once at ``init_app``."""

    prefix: str
    pepper: bytes | None
    header: str | None
    last_used_interval: dt.timedelta
    url_prefix: str
    base_template: str
    content_block: str
    per_page: int
    htmx_url: str | None
    htmx_integrity: str | None
    rate_limit: str | None
    rate_limit_storage: str
    sqlite_foreign_keys: bool
    event_retention: dt.timedelta | None
    default_expiration: dt.timedelta | None = None
    max_lifetime: dt.timedelta | None = None
    api_example_url: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """Validate the config; a mistake raises a RuntimeError that says how to fix it."""
        prefix = config["SECRET_KEYS_PREFIX"]
        if not isinstance(prefix, str) or not crypto.PREFIX_PATTERN.fullmatch(prefix):
            fail(
                f"SECRET_KEYS_PREFIX={prefix!r} is not a valid prefix: use 1 to 15 lowercase"
                " letters or digits, starting with a letter and ending in '_', such as 'sk_'."
            )

        pepper = config["SECRET_KEYS_PEPPER"]
        if isinstance(pepper, str):
            pepper = pepper.encode("utf-8")
        if pepper is not None and (not isinstance(pepper, bytes) or len(pepper) < 32):
            fail(
                "SECRET_KEYS_PEPPER must be None or at least 32 bytes of secret, for example"
                " secrets.token_hex(32), kept apart from SECRET_KEY."
            )
        secret_key = config.get("SECRET_KEY")
        if (
            pepper is not None
            and secret_key is not None
            and pepper
            in (
                secret_key,
                secret_key.encode("utf-8") if isinstance(secret_key, str) else None,
            )
        ):
            fail(
                "SECRET_KEYS_PEPPER must not be the app's SECRET_KEY: rotating SECRET_KEY would"
                " then invalidate every secret API key. Generate a separate value."
            )

        header = config["SECRET_KEYS_HEADER"] or None
        if header is not None and (
            not isinstance(header, str)
            or not _HEADER_NAME.fullmatch(header)
            or header.lower() in _RESERVED_HEADERS
        ):
            fail(
                f"SECRET_KEYS_HEADER={header!r} is not usable: give a header name such as"
                " 'X-Api-Key', or None to accept keys in the Authorization header only."
            )

        interval = config["SECRET_KEYS_LAST_USED_INTERVAL"]
        if isinstance(interval, (int, float)) and not isinstance(interval, bool):
            interval = dt.timedelta(seconds=interval)
        if not isinstance(interval, dt.timedelta) or interval < dt.timedelta(0):
            fail(
                "SECRET_KEYS_LAST_USED_INTERVAL must be a number of seconds (or a timedelta)"
                " of zero or more, such as 60."
            )

        url_prefix = config["SECRET_KEYS_URL_PREFIX"]
        if not isinstance(url_prefix, str) or not url_prefix.startswith("/"):
            fail(
                f"SECRET_KEYS_URL_PREFIX={url_prefix!r} must be a path starting with '/',"
                " such as '/settings/secret-api-keys'."
            )

        base_template = config["SECRET_KEYS_BASE_TEMPLATE"]
        if not isinstance(base_template, str) or not base_template:
            fail(
                "SECRET_KEYS_BASE_TEMPLATE must name the template the pages extend, such as"
                " 'admin/base.html'."
            )
        content_block = config["SECRET_KEYS_CONTENT_BLOCK"]
        if not isinstance(content_block, str) or not _BLOCK_NAME.fullmatch(content_block):
            fail(
                f"SECRET_KEYS_CONTENT_BLOCK={content_block!r} must be the name of the block"
                " of SECRET_KEYS_BASE_TEMPLATE that holds the page body, such as 'content'."
            )

        per_page = config["SECRET_KEYS_PER_PAGE"]
        if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= 200:
            fail("SECRET_KEYS_PER_PAGE must be a whole number from 1 to 200, such as 20.")

        htmx_url = config["SECRET_KEYS_HTMX_URL"] or None
        if htmx_url is not None and not isinstance(htmx_url, str):
            fail("SECRET_KEYS_HTMX_URL must be the URL of htmx 2, or None if the layout loads it.")
        htmx_integrity = config["SECRET_KEYS_HTMX_INTEGRITY"] or None
        if htmx_integrity is not None and (
            not isinstance(htmx_integrity, str) or not _INTEGRITY.fullmatch(htmx_integrity)
        ):
            fail(
                "SECRET_KEYS_HTMX_INTEGRITY must be a Subresource Integrity hash such as"
                " 'sha384-…' of the file at SECRET_KEYS_HTMX_URL, or None."
            )
        rate_limit = config["SECRET_KEYS_RATE_LIMIT"] or None
        if rate_limit is not None and not isinstance(rate_limit, str):
            fail(
                "SECRET_KEYS_RATE_LIMIT must be None or a rate of failed key attempts per"
                " client, such as '10 per minute'."
            )
        rate_limit_storage = config["SECRET_KEYS_RATE_LIMIT_STORAGE"]
        if not isinstance(rate_limit_storage, str) or "://" not in rate_limit_storage:
            fail(
                f"SECRET_KEYS_RATE_LIMIT_STORAGE={rate_limit_storage!r} must be a storage URI:"
                " 'memory://' for one process, or 'redis://host:6379/0' shared by workers."
            )

        sqlite_foreign_keys = config["SECRET_KEYS_SQLITE_FOREIGN_KEYS"]
        if not isinstance(sqlite_foreign_keys, bool):
            fail(
                f"SECRET_KEYS_SQLITE_FOREIGN_KEYS={sqlite_foreign_keys!r} must be True (SQLite"
                " enforces foreign keys, so a user's keys go with the user) or False."
            )

        max_lifetime = _days(config, "SECRET_KEYS_MAX_LIFETIME", "90")
        default_expiration = _days(config, "SECRET_KEYS_DEFAULT_EXPIRATION", "30")
        if max_lifetime is not None and (
            default_expiration is None or default_expiration > max_lifetime
        ):
            fail(
                f"SECRET_KEYS_DEFAULT_EXPIRATION={config['SECRET_KEYS_DEFAULT_EXPIRATION']!r}"
                " is longer than SECRET_KEYS_MAX_LIFETIME"
                f"={config['SECRET_KEYS_MAX_LIFETIME']!r}: set a default expiration within"
                " the maximum lifetime (None, no expiration, is not allowed with a maximum)."
            )

        retention = config["SECRET_KEYS_EVENT_RETENTION"]
        if isinstance(retention, (int, float)) and not isinstance(retention, bool):
            retention = dt.timedelta(days=retention)
        if retention is not None and (
            not isinstance(retention, dt.timedelta) or retention <= dt.timedelta(0)
        ):
            fail(
                "SECRET_KEYS_EVENT_RETENTION must be a number of days (or a timedelta) above"
                " zero, such as 365, or None to keep key events for good."
            )

        api_example_url = config["SECRET_KEYS_API_EXAMPLE_URL"] or None
        if api_example_url is not None and (
            not isinstance(api_example_url, str)
            or not re.fullmatch(r"(https?://[^\s/]+)?/\S*", api_example_url)
        ):
            fail(
                f"SECRET_KEYS_API_EXAMPLE_URL={api_example_url!r} must be None, a path such as"
                " '/admin/api/me' or a URL such as 'https://admin.example.com/api/me': an Admin"
                " API endpoint that answers a GET, for the pages' curl examples."
            )

        return cls(
            prefix=prefix,
            pepper=pepper,
            header=header,
            last_used_interval=interval,
            url_prefix=url_prefix.rstrip("/") or "/",
            base_template=base_template,
            content_block=content_block,
            per_page=per_page,
            htmx_url=htmx_url,
            htmx_integrity=htmx_integrity,
            rate_limit=rate_limit,
            rate_limit_storage=rate_limit_storage,
            sqlite_foreign_keys=sqlite_foreign_keys,
            default_expiration=default_expiration,
            max_lifetime=max_lifetime,
            event_retention=retention,
            api_example_url=api_example_url,
        )


def _days(config: dict[str, Any], name: str, example: str) -> dt.timedelta | None:
    """A lifetime setting: a number of days, a timedelta, or None (no limit)."""
    value = config[name]
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = dt.timedelta(days=value)
    if (
        not isinstance(value, dt.timedelta)
        or value < dt.timedelta(seconds=1)
        or value > MAX_DURATION
    ):
        fail(
            f"{name}={value!r} must be a whole number of days from 1 to {MAX_DURATION.days}"
            f" (or a timedelta), such as {example}, or None."
        )
    return value


def fail(message: str) -> NoReturn:
    """Stop ``init_app`` over a configuration mistake; ``message`` says how to fix it."""
    raise RuntimeError(f"flask-secret-keys: {message}")

"""Every ``SECRET_KEYS_*`` setting as one table: its default, its check and its documentation.

The table drives :data:`DEFAULTS`, :meth:`Settings.from_config` and the
settings page of the documentation, which is :func:`markdown_table`'s output.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from jinja2 import nodes

from . import crypto
from .rules import MAX_DURATION

#: htmx.org 2.0.11's ``dist/htmx.min.js`` and its Subresource Integrity hash: the
#: pages load it with that hash from this URL only. Change both together.
HTMX_URL = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

#: Where GitHub publishes the public keys that sign its secret scanning alerts.
GITHUB_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning"

#: The extension's own templates, where the default layouts live.
TEMPLATES = Path(__file__).resolve().parent / "templates"

_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_RESERVED_HEADERS = {"authorization", "cookie", "host", "content-type", "content-length"}
_BLOCK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_API_EXAMPLE_URL = re.compile(r"(https?://[^\s/]+)?/\S*")


def fail(message: str) -> NoReturn:
    """Stop ``init_app`` with a configuration mistake and how to fix it."""
    raise RuntimeError(f"flask-secret-keys: {message}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _prefix(name: str, value: Any) -> str:
    if not isinstance(value, str) or not crypto.PREFIX_PATTERN.fullmatch(value):
        fail(
            f"{name}={value!r} is not a valid prefix: use 1 to 15 lowercase"
            " letters or digits, starting with a letter and ending in '_', such as 'sk_'."
        )
    return value


def _pepper(name: str, value: Any) -> bytes | None:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if value is not None and (not isinstance(value, bytes) or len(value) < 32):
        fail(
            f"{name} must be None or at least 32 bytes of secret, for example"
            " secrets.token_hex(32), kept apart from SECRET_KEY."
        )
    return value


def _header(name: str, value: Any) -> str | None:
    value = value or None
    if value is not None and (
        not isinstance(value, str)
        or not _HEADER_NAME.fullmatch(value)
        or value.lower() in _RESERVED_HEADERS
    ):
        fail(
            f"{name}={value!r} is not usable: give a header name such as"
            " 'X-Api-Key', or None to accept keys in the Authorization header only."
        )
    return value


def _seconds(name: str, value: Any) -> dt.timedelta:
    if _is_number(value):
        value = dt.timedelta(seconds=value)
    if not isinstance(value, dt.timedelta) or value < dt.timedelta(0):
        fail(f"{name} must be a number of seconds (or a timedelta) of zero or more, such as 60.")
    return value


def _url_prefix(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        fail(
            f"{name}={value!r} must be a path starting with '/',"
            " such as '/settings/secret-api-keys'."
        )
    return value.rstrip("/") or "/"


def _api_prefix(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/") or not value.rstrip("/"):
        fail(
            f"{name}={value!r} must be a path starting with '/', such as"
            " '/admin/api/secret-keys', or None to leave the management API out."
        )
    return value.rstrip("/")


def _template_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        fail(f"{name} must name the template the pages extend, such as 'admin/base.html'.")
    return value


def _block_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _BLOCK_NAME.fullmatch(value):
        fail(
            f"{name}={value!r} must be the name of the block"
            " of SECRET_KEYS_BASE_TEMPLATE that holds the page body, such as 'content'."
        )
    return value


def _per_page(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 200:
        fail(f"{name} must be a whole number from 1 to 200, such as 20.")
    return value


def _htmx_url(name: str, value: Any) -> str | None:
    value = value or None
    if value is not None and not isinstance(value, str):
        fail(f"{name} must be the URL of htmx 2, or None if the layout loads it.")
    return value


def _rate_limit(name: str, value: Any) -> str | None:
    value = value or None
    if value is not None and not isinstance(value, str):
        fail(
            f"{name} must be None or a rate of failed key attempts per"
            " client, such as '10 per minute'."
        )
    return value


def _storage_uri(name: str, value: Any) -> str:
    if not isinstance(value, str) or "://" not in value:
        fail(
            f"{name}={value!r} must be a storage URI:"
            " 'memory://' for one process, or 'redis://host:6379/0' shared by workers."
        )
    return value


def _flag_foreign_keys(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        fail(
            f"{name}={value!r} must be True (SQLite"
            " enforces foreign keys, so a user's keys go with the user) or False."
        )
    return value


def _lifetime(example: str) -> Callable[[str, Any], dt.timedelta | None]:
    """A lifetime setting: a whole number of days, a timedelta, or None (no limit)."""

    def parse(name: str, value: Any) -> dt.timedelta | None:
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

    return parse


def _retention(name: str, value: Any) -> dt.timedelta | None:
    if _is_number(value):
        value = dt.timedelta(days=value)
    if value is not None and (not isinstance(value, dt.timedelta) or value <= dt.timedelta(0)):
        fail(
            f"{name} must be a number of days (or a timedelta) above"
            " zero, such as 365, or None to keep key events for good."
        )
    return value


def _api_example_url(name: str, value: Any) -> str | None:
    value = value or None
    if value is not None and (not isinstance(value, str) or not _API_EXAMPLE_URL.fullmatch(value)):
        fail(
            f"{name}={value!r} must be None, a path such as"
            " '/admin/api/me' or a URL such as 'https://admin.example.com/api/me': an Admin"
            " API endpoint that answers a GET, for the pages' curl examples."
        )
    return value


def _endpoint_path(name: str, value: Any) -> str | None:
    value = value or None
    if value is not None and (
        not isinstance(value, str)
        or not value.startswith("/")
        or any(char.isspace() or char in "?#<>" for char in value)
    ):
        fail(
            f"{name}={value!r} must be None (off) or the path to serve the endpoint at,"
            " such as '/secret-keys/github-scanning'."
        )
    return value


def _keys_url(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        fail(
            f"{name}={value!r} must be the URL of GitHub's public keys, such as"
            f" {GITHUB_KEYS_URL!r}."
        )
    return value


def _locale(name: str, value: Any) -> str | None:
    from .i18n import match_locale, shipped_locales

    if value is None:
        return None
    found = match_locale(value) if isinstance(value, str) else None
    if found is None:
        fail(
            f"{name}={value!r} must be None (follow the browser's Accept-Language) or one"
            f" of the languages the pages are translated to: {', '.join(shipped_locales())}."
        )
    return found


@dataclass(frozen=True)
class Setting:
    """One ``SECRET_KEYS_*`` setting: its default, how it is checked and what it does."""

    name: str
    default: Any
    #: Checks a configured value and returns what :class:`Settings` holds;
    #: a mistake raises a RuntimeError that says how to fix it.
    parse: Callable[[str, Any], Any]
    #: One Markdown paragraph for the docs table.
    doc: str

    @property
    def field(self) -> str:
        """The :class:`Settings` attribute that holds the parsed value."""
        return self.name.removeprefix("SECRET_KEYS_").lower()


#: Every setting, in the order the docs list them.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEYS_PREFIX",
        crypto.DEFAULT_PREFIX,
        _prefix,
        "The prefix of new keys: 1 to 15 lowercase letters or digits, starting with a letter"
        " and ending in `_`. Keys made with another prefix stop working if you change it.",
    ),
    Setting(
        "SECRET_KEYS_PEPPER",
        None,
        _pepper,
        "A secret of at least 32 bytes (`str` or `bytes`) to store keys as HMAC-SHA256"
        " instead of SHA-256. Keep it apart from `SECRET_KEY` (it is refused if equal):"
        " changing it invalidates every key.",
    ),
    Setting(
        "SECRET_KEYS_HEADER",
        "X-Api-Key",
        _header,
        "The custom header a key may be sent in, besides `Authorization`; the details page"
        " names it. `None` accepts `Authorization` only.",
    ),
    Setting(
        "SECRET_KEYS_LAST_USED_INTERVAL",
        60,
        _seconds,
        'Seconds (or a `timedelta`) between writes of a key\'s "last used" time; uses in'
        " between write nothing.",
    ),
    Setting(
        "SECRET_KEYS_URL_PREFIX",
        "/settings/secret-api-keys",
        _url_prefix,
        "Where the pages are mounted.",
    ),
    Setting(
        "SECRET_KEYS_API_PREFIX",
        "/admin/api/secret-keys",
        _api_prefix,
        "Where the JSON management API is mounted, with its OpenAPI document at"
        " `openapi.json` below it. `None` leaves the API out. See"
        " [A single-page admin](integration.md#a-single-page-admin).",
    ),
    Setting(
        "SECRET_KEYS_BASE_TEMPLATE",
        "secret_keys/layout.html",
        _template_name,
        "The layout the pages extend: point it at your admin panel's base template. The"
        " default is a small standalone layout. `init_app` loads it, so it must be findable"
        " then: in your app's templates, or in a blueprint registered before `init_app`.",
    ),
    Setting(
        "SECRET_KEYS_CONTENT_BLOCK",
        "content",
        _block_name,
        "The block of that layout that holds the page body. `init_app` checks that the layout,"
        " or a layout it extends, defines it.",
    ),
    Setting(
        "SECRET_KEYS_PER_PAGE",
        20,
        _per_page,
        "Keys per page of the list (1 to 200).",
    ),
    Setting(
        "SECRET_KEYS_HTMX_URL",
        HTMX_URL,
        _htmx_url,
        "Where the pages load htmx 2 from. The default, htmx 2.0.11 from jsDelivr, is loaded"
        " with its Subresource Integrity hash; another URL, such as your own copy from the"
        " `htmx.org@2` npm package, is loaded as it is. `None` if your layout already loads"
        " htmx (with an `integrity` of its own for another CDN).",
    ),
    Setting(
        "SECRET_KEYS_RATE_LIMIT",
        None,
        _rate_limit,
        'Failed key attempts allowed per client, such as `"10 per minute"`; more get `429`'
        " with `Retry-After`. Needs `pip install 'flask-secret-keys[limiter]'`. `None` turns"
        " the limit off. See [security.md](security.md#brute-force-limiting-failed-attempts),"
        " also for running behind a proxy.",
    ),
    Setting(
        "SECRET_KEYS_RATE_LIMIT_STORAGE",
        "memory://",
        _storage_uri,
        "Where failed attempts are counted: `memory://` in each process,"
        " `redis://host:6379/0` shared by every worker.",
    ),
    Setting(
        "SECRET_KEYS_SQLITE_FOREIGN_KEYS",
        True,
        _flag_foreign_keys,
        "On SQLite, run `PRAGMA foreign_keys=ON` on every connection of `db.engine`, so a"
        " deleted user's keys are deleted with them (SQLite ignores `ON DELETE CASCADE`"
        " otherwise). It applies to your tables too. `False` leaves SQLite as it is; other"
        " databases always enforce foreign keys.",
    ),
    Setting(
        "SECRET_KEYS_DEFAULT_EXPIRATION",
        30,
        _lifetime("30"),
        "How long a new key works unless its creator chooses otherwise: a number of days (or"
        " a `timedelta`). It is the choice preselected on the create form and what"
        " `flask secret-keys create` uses without `--expires-in`. `None` preselects no"
        " expiration. `KeyService.create` without `expires_at` makes a key that never expires,"
        " whatever this is.",
    ),
    Setting(
        "SECRET_KEYS_MAX_LIFETIME",
        None,
        _lifetime("90"),
        'The longest a key may work, in days (or a `timedelta`). With a maximum, "No'
        ' expiration" is not offered, longer expiries are refused with a message that gives'
        " the limit, and `SECRET_KEYS_DEFAULT_EXPIRATION` must be set within it. It applies"
        " to existing keys too: a key older than the maximum stops working at its creation"
        " plus the maximum and shows as expired, and the pages and `flask secret-keys"
        " housekeeping` write that expiry down with a `lifetime_capped` event. `None` means"
        " no limit.",
    ),
    Setting(
        "SECRET_KEYS_EVENT_RETENTION",
        365,
        _retention,
        "Days (or a `timedelta`) that key events are kept; older ones are neither shown nor"
        " kept. `None` keeps them for good. See [Retention](integration.md#retention).",
    ),
    Setting(
        "SECRET_KEYS_API_EXAMPLE_URL",
        None,
        _api_example_url,
        'An Admin API endpoint that answers a GET, as a path (`"/admin/api/me"`, on the'
        " pages' own host) or a URL. The reveal dialog's \"Copy as curl\" and the details"
        " page's curl example call it. `None` leaves both out.",
    ),
    Setting(
        "SECRET_KEYS_LOCALE",
        None,
        _locale,
        'The language of the pages when the app does not use Flask-Babel: `"de"`,'
        ' `"fr"`, `"es"`, `"pt_BR"`, `"ja"` or `"en"`. `None` follows each'
        " browser's `Accept-Language`. With Flask-Babel, its locale selector decides. See"
        " [Translations](translations.md).",
    ),
    Setting(
        "SECRET_KEYS_REVOKE_UNUSED_AFTER",
        None,
        _lifetime("90"),
        "Days (or a `timedelta`) a key may go unused before it stops working, as if it had"
        " expired; a key never used counts from its creation. Such a key is shown as"
        " **Dormant**, and `flask secret-keys dormant` lists them. `None` means no limit. See"
        " [security.md](security.md#dormant-keys).",
    ),
    Setting(
        "SECRET_KEYS_GITHUB_SCANNING_URL",
        None,
        _endpoint_path,
        "The path of the endpoint that GitHub's secret scanning calls with the keys it finds"
        " in public, which revokes them at once; `None` turns it off. Needs `pip install"
        " 'flask-secret-keys[scanning]'`. See [security.md](security.md#when-a-key-leaks).",
    ),
    Setting(
        "SECRET_KEYS_GITHUB_KEYS_URL",
        GITHUB_KEYS_URL,
        _keys_url,
        "Where that endpoint fetches the public keys GitHub signs its calls with (cached,"
        " fetched again for a key it does not know, at most once a minute). Change it only"
        " to try the endpoint with keys of your own.",
    ),
    Setting(
        "SECRET_KEYS_LEAK_REPORT_URL",
        None,
        _endpoint_path,
        "The path of a public endpoint where anyone can report leaked keys (`POST"
        ' {"credentials": [...]}`), which revokes them; it always answers `202`. `None`'
        " turns it off. It needs `SECRET_KEYS_RATE_LIMIT`, which it applies to each report"
        " per client. See [security.md](security.md#when-a-key-leaks).",
    ),
)

#: Every setting's default. Anything else starting with ``SECRET_KEYS_`` is
#: reported as a probable typo.
DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one app, read once at ``init_app``."""

    prefix: str
    pepper: bytes | None
    header: str | None
    last_used_interval: dt.timedelta
    url_prefix: str
    api_prefix: str | None
    base_template: str
    content_block: str
    per_page: int
    htmx_url: str | None
    rate_limit: str | None
    rate_limit_storage: str
    sqlite_foreign_keys: bool
    default_expiration: dt.timedelta | None
    max_lifetime: dt.timedelta | None
    event_retention: dt.timedelta | None
    api_example_url: str | None
    locale: str | None
    revoke_unused_after: dt.timedelta | None
    github_scanning_url: str | None
    github_keys_url: str
    leak_report_url: str | None

    @property
    def htmx_integrity(self) -> str | None:
        """The Subresource Integrity hash to load htmx with: known for the default URL only."""
        return HTMX_INTEGRITY if self.htmx_url == HTMX_URL else None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Validate the config; a mistake raises a RuntimeError that says how to fix it."""
        settings = cls(**{s.field: s.parse(s.name, config[s.name]) for s in SETTINGS})
        settings._check_together(config)
        return settings

    def _check_together(self, config: Mapping[str, Any]) -> None:
        """The rules that involve two settings."""
        secret_key = config.get("SECRET_KEY")
        if (
            self.pepper is not None
            and secret_key is not None
            and self.pepper
            in (
                secret_key,
                secret_key.encode("utf-8") if isinstance(secret_key, str) else None,
            )
        ):
            fail(
                "SECRET_KEYS_PEPPER must not be the app's SECRET_KEY: rotating SECRET_KEY would"
                " then invalidate every secret API key. Generate a separate value."
            )
        if self.leak_report_url is not None and self.rate_limit is None:
            fail(
                "SECRET_KEYS_LEAK_REPORT_URL needs SECRET_KEYS_RATE_LIMIT: a public endpoint must"
                " be rate limited per client. Set a rate such as '10 per minute'."
            )
        if self.leak_report_url is not None and self.leak_report_url == self.github_scanning_url:
            fail(
                "SECRET_KEYS_LEAK_REPORT_URL and SECRET_KEYS_GITHUB_SCANNING_URL must be"
                " different paths."
            )
        if self.max_lifetime is not None and (
            self.default_expiration is None or self.default_expiration > self.max_lifetime
        ):
            fail(
                f"SECRET_KEYS_DEFAULT_EXPIRATION={config['SECRET_KEYS_DEFAULT_EXPIRATION']!r}"
                " is longer than SECRET_KEYS_MAX_LIFETIME"
                f"={config['SECRET_KEYS_MAX_LIFETIME']!r}: set a default expiration within"
                " the maximum lifetime (None, no expiration, is not allowed with a maximum)."
            )


def check_layout(env: jinja2.Environment, settings: Settings) -> None:
    """Check that the layout exists and defines the content block, itself or by inheritance.

    ``env`` is the app's Jinja environment. The layout is looked up as the pages
    will look it up: the app's templates, its blueprints registered so far, then
    the extension's own templates (registered later in ``init_app``). The layout
    itself must be found now. A layout it extends that cannot be found yet ends
    the search without a verdict: its blueprint may be registered after
    ``init_app``, as Flask-Admin's is when ``Admin(app)`` comes second, and a
    parent that never appears is a TemplateNotFound at the first render anyway.
    So is a parent chosen at render time (``{% extends admin_base_template %}``)
    and a layout this environment cannot parse yet.
    """
    loader: jinja2.BaseLoader = jinja2.FileSystemLoader(TEMPLATES)
    if env.loader is not None:
        loader = jinja2.ChoiceLoader([env.loader, loader])
    name = settings.base_template
    seen: list[str] = []
    blocks: list[str] = []
    while True:
        try:
            source, _filename, _uptodate = loader.get_source(env, name)
        except jinja2.TemplateNotFound:
            if not seen:
                fail(
                    f"SECRET_KEYS_BASE_TEMPLATE={name!r} is not a template this app can find:"
                    " put it in the app's templates folder, or register the blueprint that"
                    " provides it before secret_keys.init_app(app)."
                )
            return
        try:
            tree = env.parse(source, name)
        except jinja2.TemplateSyntaxError:
            # Perhaps a tag of an extension added after init_app, such as
            # Flask-Babel's {% trans %}; a real mistake shows at the first render.
            return
        names = [block.name for block in tree.find_all(nodes.Block)]
        if settings.content_block in names:
            return
        blocks += [block for block in names if block not in blocks]
        seen.append(name)
        extends = tree.find(nodes.Extends)
        if extends is None:
            break
        if not isinstance(extends.template, nodes.Const) or extends.template.value in seen:
            return  # a parent chosen at render time, or a loop Jinja reports itself
        name = str(extends.template.value)
    chain = " → ".join(repr(template) for template in seen)
    has = f"its blocks are {', '.join(map(repr, blocks))}" if blocks else "it has no blocks"
    fail(
        f"SECRET_KEYS_CONTENT_BLOCK={settings.content_block!r} is not a block of"
        f" SECRET_KEYS_BASE_TEMPLATE ({chain}), so the pages would be blank ({has}): set it"
        " to the block that holds the page body, or add"
        f" {{% block {settings.content_block} %}}{{% endblock %}} to the layout."
    )


def markdown_table() -> str:
    """The settings table of the documentation, in Markdown."""
    lines = ["| Setting | Default | What it does |", "|---|---|---|"]
    for setting in SETTINGS:
        default = setting.default
        shown = f'"{default}"' if isinstance(default, str) else repr(default)
        lines.append(f"| `{setting.name}` | `{shown}` | {setting.doc} |")
    return "\n".join(lines) + "\n"

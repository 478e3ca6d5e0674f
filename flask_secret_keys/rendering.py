"""How the Secret API Keys pages are rendered: the layout bridge, and the helpers templates get.

No views live here; the views in :mod:`flask_secret_keys.views` render with
:func:`render_page` and :func:`render_partial`, and register
:func:`template_helpers` as their blueprint's context processor. Dates and
relative times are written by Babel, in the request's locale.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import shlex
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from flask import (
    Response,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import Template
from markupsafe import Markup

from . import crypto, models
from .errors import KeyNotFound
from .i18n import gettext, lazy_gettext, ngettext, page_locale, text_direction
from .models import KeyEventMixin, SecretKeyMixin
from .rules import (
    EXPIRY_WARNING,
    GITHUB_SCANNING,
    KEY_USE,
    LEAK_REPORT,
    KeyQuery,
    describe_duration,
)
from .state import current_state

#: The flash category of the pages' notices, so they are told apart from the host's.
FLASH_CATEGORY = "secret_keys"

#: The Activity section shows this many events at most; ``flask secret-keys log`` shows all.
ACTIVITY_LIMIT = 50


def signed_in_user() -> Any:
    """The user of the browser session, as the host's user model has them."""
    return current_user._get_current_object()


def oversees() -> bool:
    """Whether the signed-in user may see and revoke every user's keys (``can_oversee``)."""
    return bool(current_state().users.can_oversee(signed_in_user()))


def is_own(key: SecretKeyMixin) -> bool:
    """Whether ``key`` belongs to the signed-in user."""
    return bool(key.user_id == current_state().users.user_id(signed_in_user()))


# The layout


def _bridge() -> Template:
    """A template that puts a rendered page body into the configured layout.

    Jinja cannot choose a block by a variable's value, so the bridge is
    compiled once per app from the validated ``SECRET_KEYS_CONTENT_BLOCK``.
    """
    state = current_state()
    template = state.compiled.get("bridge")
    if template is None:
        block = state.settings.content_block
        title = "" if block == "title" else "{% block title %}{{ sk_title }}{% endblock %}"
        template = current_app.jinja_env.from_string(
            "{% extends sk_base_template %}"
            + title
            + f"{{% block {block} %}}{{{{ sk_body }}}}{{% endblock %}}"
        )
        state.compiled["bridge"] = template
    return template


def render_page(template: str, title: str, status: int = 200, **context: Any) -> Response:
    """A full page: the body ``template`` rendered inside the configured layout."""
    body = Markup(render_template(template, **context))  # noqa: S704
    html = render_template(
        _bridge(),
        sk_base_template=current_state().settings.base_template,
        sk_title=title,
        sk_body=body,
    )
    return make_response(html, status)


def render_partial(template: str, status: int = 200, **context: Any) -> Response:
    """A fragment for htmx to swap in: ``template`` alone, without the layout."""
    return make_response(render_template(template, **context), status)


# Locale and times


def current_locale() -> Locale:
    """The locale of dates and times on the pages: the one their sentences are in
    (:func:`flask_secret_keys.i18n.page_locale`)."""
    return page_locale()


def time_ago(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long before ``now`` ``when`` was, in words: "3 minutes ago", "2 days ago"."""
    elapsed = (now or models.utcnow()) - when
    # What has happened is "1 second ago" at the least, never "in 0 seconds",
    # even when a held or stepped clock puts it at now or a little after.
    elapsed = max(elapsed, dt.timedelta(seconds=1))
    return format_timedelta(-elapsed, add_direction=True, locale=current_locale())


def time_until(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """``when`` relative to ``now`` in words: "in 5 days", "in 3 hours", or
    "2 minutes ago" once it has passed."""
    delta = when - (now or models.utcnow())
    return format_timedelta(delta, add_direction=True, locale=current_locale())


def calendar_date(when: dt.datetime) -> str:
    """``when``'s UTC date written out: "March 1, 2027"."""
    return format_date(when.astimezone(dt.timezone.utc), "long", locale=current_locale())


def exact_time(when: dt.datetime | str) -> str:
    """``when`` (or an ISO 8601 time, as event details hold it) as an unambiguous UTC
    time: "November 26, 2026, 8:00:00 PM UTC"."""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when)
    return format_datetime(when, "long", tzinfo=dt.timezone.utc, locale=current_locale())


def user_label(user: Any | None) -> str:
    """How a user is named on a page: "You", or as ``SecretKeys.user_name`` names them."""
    if user is None:
        # Translators: who did something, when that user has since been deleted.
        return gettext("a user who no longer exists")
    if user == signed_in_user():
        # Translators: who did something (revoked a key …), when it was the reader.
        return gettext("You")
    return current_state().users.user_name(user)


#: The services that act on their own, as the pages name them: alone, in a sentence.
_SYSTEM_ACTORS = {
    # Translators: who reported a leaked key: GitHub's secret scanning service.
    GITHUB_SCANNING: (
        lazy_gettext("GitHub secret scanning"),
        lazy_gettext("GitHub secret scanning"),
    ),
    # Translators: who reported a leaked key: someone who sent the public report form.
    LEAK_REPORT: (lazy_gettext("A leak report"), lazy_gettext("a leak report")),
    # Translators: who acted: a request made with the key itself (a key revoking itself).
    KEY_USE: (lazy_gettext("A request with this key"), lazy_gettext("a request with this key")),
}


def actor_label(event: KeyEventMixin, *, alone: bool = False) -> str:
    """Who acted in ``event``: "Ada Admin", "ops on the command line", "the system";
    capitalised (``alone``) where it stands on its own rather than in a sentence.
    The pages' form of :attr:`KeyEventMixin.actor_label`, which the CLI prints."""
    name = event.actor_name
    if event.actor_kind == "command_line":
        if name:
            # Translators: who acted: the name a command was given, "ops on the command line".
            return gettext("%(name)s on the command line", name=name)
        # Translators: who acted, as in "Revoked by the command line, 3 minutes ago";
        # the capitalised form stands on its own, in a field of the key's details.
        return gettext("The command line") if alone else gettext("the command line")
    if event.actor_kind == "system" and name in _SYSTEM_ACTORS:
        capitalised, in_sentence = _SYSTEM_ACTORS[name]
        return str(capitalised if alone else in_sentence)
    if name:
        return name
    if event.actor_kind == "system":
        # Translators: who acted: the extension itself (a scheduled revocation, a cap).
        return gettext("The system") if alone else gettext("the system")
    return gettext("A deleted user") if alone else gettext("a deleted user")


def reach_words(reach: dict[str, Any]) -> str:
    """A reach as events store it (``permissions``, ``allowed_networks``) in words, in
    the request's language: "full access from anywhere", "orders read from 203.0.113.0/24"
    (:func:`flask_secret_keys.models.reach_text` for the pages). Permission names stay."""
    permissions = reach.get("permissions")
    networks = ", ".join(reach.get("allowed_networks") or [])
    if permissions is None:
        if networks:
            return gettext("full access from %(networks)s", networks=networks)
        return gettext("full access from anywhere")
    if not permissions:
        if networks:
            return gettext("no permissions from %(networks)s", networks=networks)
        return gettext("no permissions from anywhere")
    granted = ", ".join(f"{name} {level}" for name, level in sorted(permissions.items()))
    if networks:
        # Translators: permissions are names such as "orders read"; networks are addresses.
        return gettext("%(permissions)s from %(networks)s", permissions=granted, networks=networks)
    return gettext("%(permissions)s from anywhere", permissions=granted)


# URLs


def list_url(query: KeyQuery, **changes: Any) -> str:
    """The URL of the list being shown (My keys or All keys) for ``query`` with
    ``changes``, leaving defaults out."""
    query = dataclasses.replace(query, **changes)
    default = KeyQuery()
    args: dict[str, Any] = {}
    if query.search:
        args["q"] = query.search
    if query.status != default.status:
        args["status"] = query.status
    if query.created_from is not None:
        args["created_from"] = query.created_from.isoformat()
    if query.created_to is not None:
        args["created_to"] = query.created_to.isoformat()
    if (query.sort, query.direction) != (default.sort, default.direction):
        args["sort"], args["dir"] = query.sort, query.direction
    if query.page != 1:
        args["page"] = query.page
    if request.endpoint == "secret_keys.all_keys":
        if query.owner:
            args["owner"] = query.owner
        return url_for(".all_keys", **args)
    return url_for(".index", **args)


def curl_line(token: str) -> str | None:
    """A curl command that calls the host's Admin API with ``token``, or None
    when the host has not named an endpoint (``SECRET_KEYS_API_EXAMPLE_URL``)."""
    url = current_state().settings.api_example_url
    if url is None:
        return None
    if url.startswith("/"):
        url = request.host_url.rstrip("/") + url
    return f'curl -H "Authorization: Bearer {token}" {shlex.quote(url)}'


def activity(key: SecretKeyMixin) -> list[KeyEventMixin]:
    """A key's latest events, newest first, for its Activity section."""
    return current_state().service.events_of(key.id, limit=ACTIVITY_LIMIT)


#: The event details that name another key by id: a roll's successor and predecessor.
_KEY_LINKS = ("successor_id", "rolled_from_id")


def linked_keys(events: list[KeyEventMixin]) -> dict[int, SecretKeyMixin]:
    """The keys that still exist among those ``events`` name (a rolled key's successor,
    a successor's predecessor), by id, so the pages can link to them."""
    service = current_state().service
    found: dict[int, SecretKeyMixin] = {}
    for event in events:
        details = event.details
        for name in _KEY_LINKS:
            key_id = details.get(name)
            if isinstance(key_id, int) and key_id not in found:
                with contextlib.suppress(KeyNotFound):
                    found[key_id] = service.key_by_id(key_id)
    return found


#: Browsers by the product token that tells them apart, most specific first
#: (Edge and Opera also say Chrome; Chrome also says Safari).
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("Firefox", "Firefox"),
    ("FxiOS", "Firefox"),
    ("HeadlessChrome", "Chrome"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
)
#: Systems by a word of the user agent's comment, most specific first.
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)
_PRODUCT = re.compile(r"([A-Za-z][\w.-]*)/([0-9][\w.]*)")


def short_user_agent(agent: str) -> str:
    """A user agent in a few words: "Chrome 120 on macOS", "curl 8.4.0"; its start if
    nothing in it is known."""
    products = dict(_PRODUCT.findall(agent))
    browser = next(
        (
            f"{label} {products[token].split('.')[0]}"
            for token, label in _BROWSERS
            if token in products
        ),
        None,
    )
    if browser is None and "Safari" in products and "Version" in products:
        browser = f"Safari {products['Version'].split('.')[0]}"
    system = next((label for word, label in _SYSTEMS if word in agent), None)
    if browser is not None:
        if system:
            # Translators: a browser and its operating system, as "Chrome 120 on macOS".
            return gettext("%(browser)s on %(system)s", browser=browser, system=system)
        return browser
    other = [(name, version) for name, version in products.items() if name != "Mozilla"]
    if other:
        return " ".join(other[0])
    return agent if len(agent) <= 40 else agent[:39] + "…"


def status(key: SecretKeyMixin) -> str:
    """``key``'s status as the service tells it: the maximum lifetime and dormancy counted."""
    return current_state().service.status_of(key)


def isolate(text: str) -> Markup:
    """``text`` (a key's title, as its owner wrote it, in any script) isolated from
    the direction of the sentence it is placed in: ``<bdi>``."""
    return Markup("<bdi>%s</bdi>") % text


def safe_link(url: str | None) -> str | None:
    """``url`` if it is a web address to link to, None otherwise (never ``javascript:``)."""
    return url if url and url.startswith(("https://", "http://")) else None


def template_helpers() -> dict[str, Any]:
    """What every template of the pages gets: the ``sk_*`` names the UI guide lists."""
    settings = current_state().settings
    return {
        "sk_settings": settings,
        "sk_gettext": gettext,
        "sk_ngettext": ngettext,
        "sk_lang": str(page_locale()).replace("_", "-"),
        "sk_dir": text_direction(),
        "sk_csrf_token": generate_csrf,
        "sk_ago": time_ago,
        "sk_until": time_until,
        "sk_date": calendar_date,
        "sk_exact": exact_time,
        "sk_now": models.utcnow(),
        "sk_expiry_warning": EXPIRY_WARNING,
        "sk_describe": describe_duration,
        "sk_user_label": user_label,
        "sk_actor": actor_label,
        "sk_reach_words": reach_words,
        "sk_list_url": list_url,
        "sk_flash_category": FLASH_CATEGORY,
        "sk_activity": activity,
        "sk_linked_keys": linked_keys,
        "sk_short_agent": short_user_agent,
        "sk_status": status,
        "sk_safe_link": safe_link,
        "sk_isolate": isolate,
        "sk_activity_limit": ACTIVITY_LIMIT,
        "sk_oversees": oversees,
        "sk_is_own": is_own,
        "sk_user_name": current_state().users.user_name,
        "sk_curl_line": curl_line,
        "sk_secret_pattern": crypto.secret_pattern(settings.prefix),
    }

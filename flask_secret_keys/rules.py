"""Value types and rules of keys that need no database: queries, actors, durations, titles.

What a key may reach, and how that may change, is in :mod:`flask_secret_keys.reach`;
what it used, in :mod:`flask_secret_keys.usage`.

The forms, the settings and the command line check what people type with
these functions before the service sees it, and the service checks again
with the same ones, so the two can never disagree.

.. versionadded:: 0.3.0
   Moved out of :mod:`flask_secret_keys.service`, which still re-exports them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InvalidLifetime, InvalidTitle
from .i18n import lazy_gettext, ngettext
from .models import (
    ACTOR_NAME_MAX_LENGTH,
    IP_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
)

Status = Literal["all", "working", "active", "revoking", "expired", "revoked"]
SortField = Literal["title", "created", "last_used", "revoked", "expires", "status"]
Direction = Literal["asc", "desc"]

#: The list's status filters: ``working`` is every key that still authenticates
#: (``active`` and ``revoking``), as "Revoke all working keys" counts them.
STATUSES: tuple[Status, ...] = ("all", "working", "active", "revoking", "expired", "revoked")
#: The list's sort fields: ``status`` orders by status, then by the time that
#: matters for it (when it expires, or is or was revoked).
SORT_FIELDS: tuple[SortField, ...] = (
    "title",
    "created",
    "last_used",
    "revoked",
    "expires",
    "status",
)
DIRECTIONS: tuple[Direction, ...] = ("asc", "desc")

#: The longest grace period of a roll and the longest delay of a scheduled revocation.
MAX_DELAY = dt.timedelta(days=7)
#: The longest duration accepted anywhere (ten years): beyond it a typo is likelier.
MAX_DURATION = dt.timedelta(days=3650)
#: Keys that expire or are revoked within this window are flagged on the pages.
EXPIRY_WARNING = dt.timedelta(days=7)

_DURATION = re.compile(r"([0-9]{1,7})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> dt.timedelta:
    """``"90s"``, ``"15m"``, ``"24h"`` or ``"30d"`` as a timedelta, or :class:`InvalidLifetime`."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidLifetime(
            lazy_gettext(
                "%(text)s is not a duration: give a whole number and a unit, such as 90s, 15m,"
                " 24h or 30d.",
                text=repr(text),
            )
        )
    duration = dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if duration > MAX_DURATION:
        raise InvalidLifetime(
            lazy_gettext(
                "%(text)s is too long: the longest duration is %(longest)s.",
                text=repr(text),
                longest=f"{MAX_DURATION.days}d",
            )
        )
    return duration


def describe_duration(duration: dt.timedelta) -> str:
    """A duration in words for messages: "90 days", "1 hour", "45 seconds".

    In the request's language, its plural forms and digits; in English outside
    a request (the command line).

    .. versionchanged:: 0.3.0
       Translated.
    """
    seconds = int(duration.total_seconds())
    if seconds >= 86400 and seconds % 86400 == 0:
        return ngettext("%(num)s day", "%(num)s days", seconds // 86400)
    if seconds >= 3600 and seconds % 3600 == 0:
        return ngettext("%(num)s hour", "%(num)s hours", seconds // 3600)
    if seconds >= 60 and seconds % 60 == 0:
        return ngettext("%(num)s minute", "%(num)s minutes", seconds // 60)
    return ngettext("%(num)s second", "%(num)s seconds", seconds)


def check_delay(delay: dt.timedelta, what: Literal["grace", "revocation"]) -> None:
    """Refuse a negative delay, or one longer than :data:`MAX_DELAY`: ``what`` is a roll's
    grace period or the delay before a scheduled revocation.

    .. versionchanged:: 0.3.0
       ``what`` is ``"grace"`` or ``"revocation"``, no longer words of the message.
    """
    if delay < dt.timedelta(0):
        raise InvalidLifetime(
            lazy_gettext("The grace period cannot be negative.")
            if what == "grace"
            else lazy_gettext("The delay before the revocation cannot be negative.")
        )
    if delay > MAX_DELAY:
        longest = describe_duration(MAX_DELAY)
        raise InvalidLifetime(
            lazy_gettext("The grace period can be at most %(duration)s.", duration=longest)
            if what == "grace"
            else lazy_gettext(
                "The delay before the revocation can be at most %(duration)s.", duration=longest
            )
        )


@dataclass(frozen=True)
class KeyQuery:
    """What a list of keys is narrowed and ordered by."""

    search: str = ""
    status: Status = "all"
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    sort: SortField = "created"
    direction: Direction = "desc"
    page: int = 1
    per_page: int = 20
    #: On the list of every key: who the owner filter names (as the CLI's
    #: ``find_user`` takes it); the view resolves it to a user.
    owner: str = ""


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as an event and a signal record it.

    Build one with :meth:`for_user` (a signed-in user, with the client address
    and user agent of their request, which the HTTP layer passes in),
    :meth:`command_line` or :meth:`system`.

    .. versionadded:: 0.2.0
    """

    kind: Literal["user", "command_line", "system"]
    user: Any | None = None
    name: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    def __post_init__(self) -> None:
        # Stored as given by the HTTP layer, cut to the columns' lengths.
        object.__setattr__(self, "ip", (self.ip or "")[:IP_MAX_LENGTH] or None)
        agent = (self.user_agent or "")[:USER_AGENT_MAX_LENGTH] or None
        object.__setattr__(self, "user_agent", agent)

    @classmethod
    def for_user(cls, user: Any, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
        """A signed-in user, with the client address and user agent of their request."""
        return cls("user", user=user, ip=ip, user_agent=user_agent)

    @classmethod
    def command_line(cls, operator: str | None = None) -> Actor:
        """The command line, optionally naming the operator (``--actor``)."""
        return cls("command_line", name=operator or None)

    @classmethod
    def system(
        cls, name: str | None = None, *, ip: str | None = None, user_agent: str | None = None
    ) -> Actor:
        """The extension itself: a revocation that took effect by its clock, or no one given.

        ``name`` names a service acting on its own, such as ``GITHUB_SCANNING``,
        with the client address and user agent of its request when there is one.

        .. versionchanged:: 0.3.0
           Takes a ``name``, an ``ip`` and a ``user_agent``.
        """
        return cls("system", name=name, ip=ip, user_agent=user_agent)


#: The actor of a revocation by GitHub's secret scanning.
GITHUB_SCANNING = "GitHub secret scanning"
#: The actor of a revocation through the public leak report endpoint.
LEAK_REPORT = "Leak report"
#: Who acts in a ``new_network`` event: the key's own use, from the client it names.
KEY_USE = "a request with this key"


def clean_operator(name: str) -> str:
    """An operator name for ``--actor``: trimmed, printable, not too long."""
    name = name.strip()
    if not name:
        raise ValueError("Give a name, such as an email address.")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in name):
        raise ValueError("The name cannot contain control characters.")
    if len(name) > ACTOR_NAME_MAX_LENGTH:
        raise ValueError(f"The name can be at most {ACTOR_NAME_MAX_LENGTH} characters long.")
    return name


#: Characters that make a title display as something else: bidi embeddings,
#: overrides and isolates reorder what follows them (in the list, in a
#: terminal), and line and paragraph separators break a row in two.
_SPOOFING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def clean_title(title: str | None) -> str:
    """The title trimmed, or :class:`InvalidTitle` saying what is wrong with it."""
    title = (title or "").strip()
    if not title:
        raise InvalidTitle(lazy_gettext("Enter a title."))
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidTitle(
            lazy_gettext("The title can be at most %(max)s characters long.", max=TITLE_MAX_LENGTH)
        )
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in title):
        raise InvalidTitle(lazy_gettext("The title cannot contain control characters."))
    if any(char in _SPOOFING for char in title):
        raise InvalidTitle(
            lazy_gettext(
                "The title cannot contain text-direction controls or line and paragraph separators."
            )
        )
    # Only separators and format characters (a zero-width space, say) would
    # show as a blank title.
    if all(unicodedata.category(char)[0] in "ZC" for char in title):
        raise InvalidTitle(lazy_gettext("Enter a title."))
    return title

"""The forms of the Settings → Secret API Keys pages.

Title rules live in the service (:func:`~flask_secret_keys.rules.clean_title`);
the title form only runs them early so errors show next to the field.

Labels, hints and messages are lazy (:func:`~flask_secret_keys.i18n.lazy_gettext`),
so each page shows them in its reader's language; the messages WTForms would
give in English (an unknown choice, a date that does not parse) are ours too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional, ValidationError

from .errors import InvalidRestrictions, InvalidTitle
from .i18n import gettext, lazy_gettext
from .models import TITLE_MAX_LENGTH
from .reach import MAX_NETWORKS, Reach, parse_networks
from .rules import DIRECTIONS, SORT_FIELDS, STATUSES, KeyQuery, clean_title, describe_duration

#: Pages beyond this are clamped, so a crafted URL cannot ask the database for
#: an OFFSET it cannot represent.
_MAX_PAGE = 1_000_000
#: Longer owner filters are cut: no user identifier is that long.
_MAX_OWNER_LENGTH = 255


def _printable(text: str) -> str:
    """``text`` without control characters: a NUL cannot even be sent to PostgreSQL."""
    return "".join(char for char in text if unicodedata.category(char) not in ("Cc", "Cs"))


def _valid_title(form: Any, field: Any) -> None:
    try:
        field.data = clean_title(field.data)
    except InvalidTitle as error:
        raise ValidationError(str(error)) from None


class _Select(SelectField):  # type: ignore[misc]
    """A select whose refusal of a value it does not offer is in the reader's language."""

    def pre_validate(self, form: Any) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(gettext("Not a valid choice.")) from None


class _Radio(RadioField):  # type: ignore[misc]
    """Radio buttons whose refusal of a value they do not offer is in the reader's language."""

    def pre_validate(self, form: Any) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(gettext("Not a valid choice.")) from None


class _Date(DateField):  # type: ignore[misc]
    """A ``YYYY-MM-DD`` date whose error, :attr:`invalid`, is in the reader's language."""

    data: Any
    invalid = lazy_gettext("Not a valid date value.")

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(self.invalid)) from None


class _Day(_Date):
    """A ``YYYY-MM-DD`` date whose error says what to enter."""

    invalid = lazy_gettext("Enter a real date, as YYYY-MM-DD.")


class TitleForm(FlaskForm):  # type: ignore[misc]
    """The title of a new key, or the new title of an existing one."""

    title = StringField(
        lazy_gettext("Title"),
        validators=[_valid_title],
        description=lazy_gettext(
            "A name that tells you where the key is used, such as “Billing sync”."
        ),
        render_kw={"maxlength": TITLE_MAX_LENGTH, "autocomplete": "off", "spellcheck": "false"},
    )


#: The expirations the create form offers, in days, besides a custom date and none.
EXPIRATION_DAYS = (7, 30, 60, 90)

#: The delays the revoke and roll dialogs offer: (value, label, duration).
DELAYS = (
    # Translators: when a revocation takes effect.
    ("now", lazy_gettext("Now"), dt.timedelta(0)),
    ("1h", lazy_gettext("In 1 hour"), dt.timedelta(hours=1)),
    ("24h", lazy_gettext("In 24 hours"), dt.timedelta(hours=24)),
    ("7d", lazy_gettext("In 7 days"), dt.timedelta(days=7)),
)


def expiration_choices(
    default: dt.timedelta | None, maximum: dt.timedelta | None
) -> list[SelectChoice]:
    """The create form's expiration options within ``maximum``, ``default`` among them."""
    lifetimes = {dt.timedelta(days=days) for days in EXPIRATION_DAYS}
    if default is not None:
        lifetimes.add(default)
    choices = [
        SelectChoice(str(int(lifetime.total_seconds())), describe_duration(lifetime))
        for lifetime in sorted(lifetimes)
        if maximum is None or lifetime <= maximum
    ]
    choices.append(SelectChoice("custom", gettext("Custom date")))
    if maximum is None:
        choices.append(SelectChoice("never", gettext("No expiration")))
    return choices


class CreateForm(TitleForm):
    """A new key's title and expiration.

    The expiration is a number of seconds from now, ``"custom"`` (the key
    expires at the start of ``expires_on``, UTC) or ``"never"``. The service
    has the last word on the limits. ``opened`` is when the form was shown, so
    a second send of the same form (a double click) is told apart from a new
    attempt.
    """

    opened = HiddenField()
    replace = HiddenField()

    expiration = _Select(lazy_gettext("Expiration"))
    expires_on = _Date(
        lazy_gettext("Custom expiry date"),
        validators=[Optional()],
        description=lazy_gettext(
            "Used with “Custom date”: the key stops working as that day begins in"
            " UTC (00:00 UTC), which may be the day before in your time zone."
        ),
    )

    def setup(
        self, default: dt.timedelta | None, maximum: dt.timedelta | None, now: dt.datetime
    ) -> CreateForm:
        """Offer the choices the settings allow; the default unless one was posted.

        The date picker offers the days a key made ``now`` may expire on: from
        tomorrow (today began before now, in UTC) to the last day within ``maximum``.
        """
        self.expiration.choices = expiration_choices(default, maximum)
        days = {"min": (now + dt.timedelta(days=1)).date().isoformat()}
        if maximum is not None:
            days["max"] = (now + maximum).date().isoformat()
        self.expires_on.render_kw = days
        if not self.expiration.raw_data:
            self.expiration.data = "never" if default is None else str(int(default.total_seconds()))
        return self

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        field = self.expires_on
        if self.expiration.data == "custom" and field.data is None and not field.errors:
            field.errors = [gettext("Choose the date the key expires on.")]
            return False
        return valid

    def expires_at(self, now: dt.datetime) -> dt.datetime | None:
        """The chosen expiry, for a key created at ``now``."""
        choice = self.expiration.data
        if choice == "never":
            return None
        if choice == "custom":
            return dt.datetime.combine(self.expires_on.data, dt.time.min, tzinfo=dt.timezone.utc)
        return now + dt.timedelta(seconds=int(choice))

    def opened_at(self) -> dt.datetime | None:
        """When the form was shown, or None if the field is missing or garbled."""
        try:
            return dt.datetime.fromtimestamp(float(self.opened.data), dt.timezone.utc)
        except (TypeError, ValueError, OverflowError, OSError):
            return None


class DelayForm(FlaskForm):  # type: ignore[misc]
    """When a revocation takes effect: now (also if not posted), or after one of :data:`DELAYS`."""

    when = _Radio(
        # Translators: the label of the choice of when a revocation takes effect.
        lazy_gettext("When"),
        choices=[SelectChoice(value, label) for value, label, _delay in DELAYS],
        default="now",
    )

    @property
    def delay(self) -> dt.timedelta:
        return {value: delay for value, _label, delay in DELAYS}[self.when.data]

    def before(self, deadline: dt.datetime | None, now: dt.datetime) -> DelayForm:
        """Offer only the delays that end before ``deadline`` (the key stops working then
        anyway), and "Now"; a delay no longer offered is refused as not a valid choice."""
        if deadline is not None:
            self.when.choices = [
                SelectChoice(value, label)
                for value, label, delay in DELAYS
                if not delay or now + delay < deadline
            ]
        return self


def _valid_networks(form: Any, field: Any) -> None:
    try:
        parse_networks((field.data or "").splitlines())
    except InvalidRestrictions as error:
        raise ValidationError(str(error)) from None


#: The levels a resource's row offers.
LEVEL_CHOICES = [
    # Translators: a key's access to a resource: no access.
    SelectChoice("none", lazy_gettext("None")),
    # Translators: a key's access to a resource: it may read it.
    SelectChoice("read", lazy_gettext("Read")),
    # Translators: a key's access to a resource: it may read and change it.
    SelectChoice("write", lazy_gettext("Write")),
]


class ReachFields:
    """Permissions (Full access, or a level per resource) and allowed networks, mixed into a
    form by :func:`with_reach`, which adds one ``level_<resource>`` field per resource."""

    #: The resources with a level field, in the order shown.
    resource_names: tuple[str, ...] = ()

    scope = _Radio(
        lazy_gettext("Permissions"),
        choices=[
            # Translators: a key's permissions: every Admin API route.
            SelectChoice("full", lazy_gettext("Full access")),
            # Translators: a key's permissions: only the resources and levels chosen.
            SelectChoice("restricted", lazy_gettext("Restricted")),
        ],
        default="full",
    )
    allowed_networks = TextAreaField(
        lazy_gettext("Allowed networks"),
        validators=[_valid_networks],
        description=lazy_gettext(
            "One IPv4 or IPv6 address or range a line, such as 203.0.113.0/24 or"
            " 2001:db8::/64, at most %(max)s. Empty: any address.",
            max=MAX_NETWORKS,
        ),
        render_kw={"rows": 3, "autocomplete": "off", "spellcheck": "false"},
    )

    def level_field(self, resource: str) -> Any:
        return getattr(self, f"level_{resource}")

    def prefill(self, reach: Reach) -> None:
        """Show ``reach`` (what the key has now, or a suggestion) in the fields."""
        self.scope.data = "full" if reach.is_full else "restricted"
        for name in self.resource_names:
            self.level_field(name).data = "none" if reach.is_full else reach.level(name)
        self.allowed_networks.data = "\n".join(str(net) for net in reach.networks)

    def reach(self) -> Reach:
        """The reach the fields hold, once validated."""
        networks = (self.allowed_networks.data or "").splitlines()
        if self.scope.data != "restricted":
            return Reach.of(None, networks)
        levels = {name: self.level_field(name).data or "none" for name in self.resource_names}
        return Reach.of(levels, networks)


def with_reach(base: type[Any], resources: Sequence[str]) -> type[Any]:
    """``base`` with :class:`ReachFields` and a None/Read/Write field per resource."""
    fields = {
        f"level_{name}": _Radio(name, choices=LEVEL_CHOICES, default="none") for name in resources
    }
    return type(base.__name__, (ReachFields, base), {"resource_names": tuple(resources), **fields})


class IdentifyForm(FlaskForm):  # type: ignore[misc]
    """A pasted secret, to find the key it belongs to."""

    key = StringField(lazy_gettext("Secret API key to identify"))


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A confirmation of an irreversible action: it carries only the CSRF token."""


class AcknowledgeForm(FlaskForm):  # type: ignore[misc]
    """Acknowledge a key's new networks: those first used ``through`` (seconds since the
    epoch, the latest the page showed) or before."""

    through = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=2**40)])


class ListForm(Form):  # type: ignore[misc]
    """The list's search, filters, sort and page, read from the query string.

    Values that do not parse fall back to their defaults, so a hand-edited
    URL shows a list rather than an error; an impossible date is also shown
    as the field's error.
    """

    q = SearchField(
        lazy_gettext("Search"), render_kw={"placeholder": lazy_gettext("Search by title or key")}
    )
    status = StringField(lazy_gettext("Status"), validators=[Optional(), AnyOf(STATUSES)])
    created_from = _Day(lazy_gettext("Created from"), validators=[Optional()])
    created_to = _Day(lazy_gettext("Created to"), validators=[Optional()])
    sort = StringField(validators=[Optional(), AnyOf(SORT_FIELDS)])
    dir = StringField(validators=[Optional(), AnyOf(DIRECTIONS)])
    page = IntegerField(default=1, validators=[Optional()])

    def to_query(self, per_page: int) -> KeyQuery:
        """The :class:`KeyQuery` these values describe, with defaults for bad ones."""
        self.validate()

        def value(field: Any, default: Any) -> Any:
            # Optional() lets a blank value through unchecked, whitespace included.
            blank = field.data is None or (isinstance(field.data, str) and not field.data.strip())
            return default if field.errors or blank else field.data

        page: int = value(self.page, 1)
        created_from: dt.date | None = value(self.created_from, None)
        created_to: dt.date | None = value(self.created_to, None)
        return KeyQuery(
            search=_printable(self.q.data or "").strip()[:TITLE_MAX_LENGTH],
            status=value(self.status, "all"),
            created_from=created_from,
            created_to=created_to,
            sort=value(self.sort, "created"),
            direction=value(self.dir, "desc"),
            page=min(max(page, 1), _MAX_PAGE),
            per_page=per_page,
        )


class AllKeysForm(ListForm):
    """The list of every user's keys: the same fields, and an owner."""

    owner = SearchField(
        # Translators: the user a key belongs to.
        lazy_gettext("Owner"),
        render_kw={"placeholder": lazy_gettext("Email address")},
        description=lazy_gettext("Show the keys of one user."),
    )

    def to_query(self, per_page: int) -> KeyQuery:
        query = super().to_query(per_page)
        owner = "".join(ch for ch in (self.owner.data or "") if ch.isprintable()).strip()
        return dataclasses.replace(query, owner=owner[:_MAX_OWNER_LENGTH])

"""The forms of the Settings → Secret API Keys pages.

Title rules live in the service (:func:`~flask_secret_keys.service.clean_title`);
the title form only runs them early so errors show next to the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Form, HiddenField, IntegerField, SearchField, StringField
from wtforms.validators import AnyOf, Optional, ValidationError

from .errors import InvalidTitle
from .models import TITLE_MAX_LENGTH
from .service import DIRECTIONS, SORT_FIELDS, STATUSES, KeyQuery, clean_title

#: Pages beyond this are clamped, so a crafted URL cannot ask the database for
#: an OFFSET it cannot represent.
_MAX_PAGE = 1_000_000


def _valid_title(form: Any, field: Any) -> None:
    try:
        field.data = clean_title(field.data)
    except InvalidTitle as error:
        raise ValidationError(str(error)) from None


class TitleForm(FlaskForm):  # type: ignore[misc]
    """The title of a new key, or the new title of an existing one."""

    title = StringField(
        "Title",
        validators=[_valid_title],
        description="A name that tells you where the key is used, such as “Billing sync”.",
        render_kw={"maxlength": TITLE_MAX_LENGTH, "autocomplete": "off", "spellcheck": "false"},
    )


class CreateForm(TitleForm):
    """The create form. ``opened`` is when the form was shown, so a second send
    of the same form (a double click) is told apart from a new attempt."""

    opened = HiddenField()
    replace = HiddenField()

    def opened_at(self) -> dt.datetime | None:
        """When the form was shown, or None if the field is missing or garbled."""
        try:
            return dt.datetime.fromtimestamp(float(self.opened.data), dt.timezone.utc)
        except (TypeError, ValueError, OverflowError, OSError):
            return None


class IdentifyForm(FlaskForm):  # type: ignore[misc]
    """A pasted secret, to find the key it belongs to."""

    key = StringField("Secret API key to identify")


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A confirmation of an irreversible action: it carries only the CSRF token."""


class ListForm(Form):  # type: ignore[misc]
    """The list's search, filters, sort and page, read from the query string.

    Values that do not parse fall back to their defaults, so a hand-edited
    URL shows a list rather than an error.
    """

    q = SearchField("Search", render_kw={"placeholder": "Search by title or key"})
    status = StringField("Status", validators=[Optional(), AnyOf(STATUSES)])
    created_from = DateField("Created from", validators=[Optional()])
    created_to = DateField("Created to", validators=[Optional()])
    sort = StringField(validators=[Optional(), AnyOf(SORT_FIELDS)])
    dir = StringField(validators=[Optional(), AnyOf(DIRECTIONS)])
    page = IntegerField(default=1, validators=[Optional()])

    def to_query(self, per_page: int) -> KeyQuery:
        """The :class:`KeyQuery` these values describe, with defaults for bad ones."""
        self.validate()

        def value(field: Any, default: Any) -> Any:
            return default if field.errors or field.data in (None, "") else field.data

        page: int = value(self.page, 1)
        created_from: dt.date | None = value(self.created_from, None)
        created_to: dt.date | None = value(self.created_to, None)
        return KeyQuery(
            search=(self.q.data or "").strip()[:TITLE_MAX_LENGTH],
            status=value(self.status, "all"),
            created_from=created_from,
            created_to=created_to,
            sort=value(self.sort, "created"),
            direction=value(self.dir, "desc"),
            page=min(max(page, 1), _MAX_PAGE),
            per_page=per_page,
        )

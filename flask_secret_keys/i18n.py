"""The language of the pages: gettext over the extension's own catalogs.

Every sentence a person reads on the pages, in their dialogs and notices, in
the scripts' messages and in the JSON ``message`` of an error goes through
:func:`gettext` or :func:`ngettext` (or their lazy forms for text defined at
import time). The catalogs are the extension's own gettext domain,
``flask_secret_keys``, in ``flask_secret_keys/translations``: they never mix
with a host's catalogs, whether or not the host uses Flask-Babel.

One locale is chosen per request, for sentences, dates and numbers alike
(:func:`page_locale`): Flask-Babel's locale when the host has Flask-Babel,
else ``SECRET_KEYS_LOCALE``, else the browser's ``Accept-Language``, matched
against the languages the extension ships; English when nothing matches.
Outside a request (the CLI, logs) everything stays English.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import LazyProxy, NullTranslations, Translations
from flask import current_app, g, has_request_context, request
from markupsafe import Markup

#: The gettext domain of the extension's catalogs.
DOMAIN = "flask_secret_keys"

#: Where the catalogs live: ``<locale>/LC_MESSAGES/flask_secret_keys.po`` (and ``.mo``).
TRANSLATIONS = Path(__file__).parent / "translations"

#: The language the messages are written in, used when no catalog matches.
SOURCE_LOCALE = "en"


@functools.cache
def shipped_locales() -> tuple[str, ...]:
    """The locales the extension has a catalog for, English (the source) first."""
    found = (
        sorted(
            path.name
            for path in TRANSLATIONS.iterdir()
            if (path / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
            or (path / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
        )
        if TRANSLATIONS.is_dir()
        else []
    )
    return (SOURCE_LOCALE, *(name for name in found if name != SOURCE_LOCALE))


def match_locale(wanted: str | Locale | None, *, sep: str = "_") -> str | None:
    """The shipped locale that serves ``wanted`` ("de_AT" → "de", "pt" → "pt_BR"),
    or None when the extension has no catalog for its language."""
    if wanted is None:
        return None
    try:
        locale = wanted if isinstance(wanted, Locale) else Locale.parse(str(wanted), sep=sep)
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    shipped = shipped_locales()
    exact = str(locale)
    if exact in shipped:
        return exact
    if locale.territory and f"{locale.language}_{locale.territory}" in shipped:
        return f"{locale.language}_{locale.territory}"
    if locale.language in shipped:
        return locale.language
    return next((name for name in shipped if name.split("_")[0] == locale.language), None)


def _browser_locale() -> str | None:
    """The first language of the request's ``Accept-Language`` the extension ships."""
    for tag, quality in request.accept_languages:
        if quality <= 0 or tag == "*":
            continue
        found = match_locale(tag, sep="-")
        if found is not None:
            return found
    return None


def _choose_locale() -> str:
    if "babel" in current_app.extensions:
        from flask_babel import get_locale  # only there when the host installed it

        # The host's selector decides; its language or English, never a mix.
        return match_locale(get_locale()) or SOURCE_LOCALE
    # The validated SECRET_KEYS_LOCALE, from the app's state (this module sits
    # below the state in the layers, so it reads it without importing it).
    state = current_app.extensions.get("secret_keys")
    configured: str | None = getattr(getattr(state, "settings", None), "locale", None)
    if configured is not None:
        return configured
    return _browser_locale() or SOURCE_LOCALE


def _catalog_name() -> str:
    """The shipped locale of this request's sentences (English outside one), as its catalog
    is named: "zh_TW", where :func:`page_locale` is Babel's ``zh_Hant_TW``."""
    if not has_request_context():
        return SOURCE_LOCALE
    name: str | None = g.get("_secret_keys_catalog")
    if name is None:
        name = _choose_locale()
        g._secret_keys_catalog = name
    return name


def page_locale() -> Locale:
    """The locale of this request's sentences, dates and numbers (English outside one)."""
    if not has_request_context():
        return Locale.parse(SOURCE_LOCALE)
    chosen: Locale | None = g.get("_secret_keys_locale")
    if chosen is None:
        chosen = Locale.parse(_catalog_name())
        g._secret_keys_locale = chosen
    return chosen


def _compiled(po_path: Path) -> Translations:
    """A catalog compiled in memory from its ``.po`` (a checkout without built ``.mo``)."""
    with po_path.open("rb") as source:
        catalog = read_po(source, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@functools.cache
def translations_for(locale: str) -> NullTranslations:
    """The catalog of ``locale``, one of :func:`shipped_locales`: its compiled ``.mo``,
    else (none, or older than the ``.po``) its ``.po`` compiled in memory; no
    translation for the source language."""
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    mo_path = folder / f"{DOMAIN}.mo"
    po_path = folder / f"{DOMAIN}.po"
    if mo_path.is_file() and (
        not po_path.is_file() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as source:
            return Translations(source, domain=DOMAIN)
    return _compiled(po_path)


def current_translations() -> NullTranslations:
    """The catalog of this request's locale."""
    return translations_for(_catalog_name())


def _format(message: str, variables: dict[str, Any]) -> str:
    if not variables:
        return message
    if any(isinstance(value, Markup) for value in variables.values()):
        # Markup arguments stay markup; the sentence and the other arguments are escaped.
        return Markup.escape(message) % variables
    return message % variables


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the request's language, with ``%(name)s`` placeholders filled in."""
    return _format(current_translations().ugettext(message), variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The form of ``singular``/``plural`` for ``num`` in the request's language;
    ``%(num)s`` is ``num`` written in that language."""
    # Written the page's way ("1.000" in German); outside a request (the CLI) as is.
    variables.setdefault(
        "num", format_decimal(num, locale=page_locale()) if has_request_context() else str(num)
    )
    return _format(current_translations().ungettext(singular, plural, num), variables)


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """:func:`gettext`, translated each time the text is used (form labels, errors)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables: Any) -> LazyProxy:
    """:func:`ngettext`, translated each time the text is used."""
    return LazyProxy(ngettext, singular, plural, num, enable_cache=False, **variables)


def text_direction() -> str:
    """``"rtl"`` or ``"ltr"``: the writing direction of the request's language."""
    return "rtl" if page_locale().character_order == "right-to-left" else "ltr"

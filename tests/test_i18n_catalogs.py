"""The shipped catalogs: complete, well-formed, and up to date with the sources.

Parametrised over every catalog in ``flask_secret_keys/translations`` but
English (the source), and over the languages issue 22 requires whether or not
they are there yet: a missing one fails each test, none is skipped.
"""

from __future__ import annotations

import io
import re
from gettext import c2py
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from flask_secret_keys import i18n
from tests.helpers import REQUIRED_LOCALES, extracted_messages

TRANSLATED = sorted(
    {name for name in i18n.shipped_locales() if name != i18n.SOURCE_LOCALE} | set(REQUIRED_LOCALES)
)
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%\(\w+\)[^s]|%[^(%]")


def test_the_required_languages_are_shipped() -> None:
    missing = [name for name in REQUIRED_LOCALES if name not in i18n.shipped_locales()]
    assert not missing, f"no catalog in {i18n.TRANSLATIONS} for: {', '.join(missing)}"


def po_path(locale: str) -> Path:
    return i18n.TRANSLATIONS / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def load(locale: str) -> Catalog:
    assert po_path(locale).is_file(), f"no catalog for {locale}: {po_path(locale)}"
    with po_path(locale).open("rb") as source:
        catalog: Catalog = read_po(source, locale=locale, domain=i18n.DOMAIN)
    return catalog


def messages(catalog: Catalog) -> list[Message]:
    """The catalog's messages, its header left out."""
    return [message for message in catalog if message.id]


def ids_of(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def strings_of(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, (list, tuple)):
        return tuple(message.string)
    return (message.string or "",)


def names(text: str) -> set[str]:
    """The named placeholders of a message; an unnamed one (``%s``, ``%d``) counts as
    its own text, so that it differs from any name."""
    found = set()
    for match in PLACEHOLDER.finditer(text):
        found.add(match.group(1) or match.group(0))
    return found


locales = pytest.mark.parametrize("locale", TRANSLATED)


@locales
def test_the_catalog_has_no_fuzzy_and_no_untranslated_message(locale: str) -> None:
    catalog = load(locale)
    assert messages(catalog), f"{po_path(locale)} has no messages"
    fuzzy = [ids_of(m)[0] for m in messages(catalog) if m.fuzzy]
    untranslated = [ids_of(m)[0] for m in messages(catalog) if not all(strings_of(m))]
    assert not fuzzy and not untranslated, f"{locale}: fuzzy {fuzzy}, untranslated {untranslated}"
    assert not catalog.fuzzy, f"{locale}: the catalog's header is marked fuzzy"


@locales
def test_the_catalog_compiles_and_babels_checkers_find_nothing(locale: str) -> None:
    catalog = load(locale)
    problems = [
        f"{ids_of(message)[0]!r}: {'; '.join(str(error) for error in errors)}"
        for message, errors in catalog.check()
    ]
    assert not problems, f"{locale}:\n" + "\n".join(problems)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    assert compiled.getvalue()


@locales
def test_every_translation_has_the_placeholders_of_its_english(locale: str) -> None:
    wrong = []
    for message in messages(load(locale)):
        english = ids_of(message)
        plural = len(english) > 1
        # A plural's forms answer its plural msgid; a form may write its number in
        # words ("one key") instead of %(num)s, and only that may be left out.
        expected = names(english[-1]) - ({"num"} if plural else set())
        for index, translated in enumerate(strings_of(message)):
            got = names(translated) - ({"num"} if plural else set())
            if got != expected:
                wrong.append(f"{english[0]!r} form {index}: {sorted(got)} != {sorted(expected)}")
    assert not wrong, f"{locale}:\n" + "\n".join(wrong)


@locales
def test_plural_entries_have_the_forms_of_the_languages_plural_rule(locale: str) -> None:
    """The catalog's rule is the language's: the numbers it gives the first form are
    CLDR's "one" (Babel's locale data), and it has at least the forms Babel's rule
    has (CLDR 46, in Babel 2.19, gave French, Spanish and Portuguese a form for
    millions; older Babels know two forms, and read the catalog's own rule)."""
    catalog = load(locale)
    language = Locale.parse(locale)
    assert catalog.num_plurals >= get_plural(language).num_plurals
    form = c2py(catalog.plural_expr)
    numbers = [*range(0, 1001), 1_000_000, 2_000_000, 1_000_001]
    if catalog.num_plurals > 1:
        assert [n for n in numbers if form(n) == 0] == [
            n for n in numbers if language.plural_form(n) == "one"
        ]
    assert {form(n) for n in numbers} == set(range(catalog.num_plurals))
    wrong = [
        f"{ids_of(m)[0]!r}: {len(strings_of(m))} forms"
        for m in messages(catalog)
        if m.pluralizable and len(strings_of(m)) != catalog.num_plurals
    ]
    assert not wrong, f"{locale} has {catalog.num_plurals} plural forms:\n" + "\n".join(wrong)


@pytest.fixture(scope="module")
def sources() -> Catalog:
    catalog: Catalog = extracted_messages()
    return catalog


@locales
def test_the_catalog_is_up_to_date_with_the_sources(locale: str, sources: Catalog) -> None:
    catalog = load(locale)
    missing = []
    for message in messages(sources):
        found = catalog.get(message.id, message.context)
        if found is None or ids_of(found) != ids_of(message):
            where = ", ".join(f"{name}:{line}" for name, line in message.locations)
            missing.append(f"{ids_of(message)[0]!r} ({where})")
    assert not missing, f"{locale} lacks, or has as another plural:\n" + "\n".join(missing)


def test_the_sources_mark_messages() -> None:
    # The extraction the test above compares with finds what is marked.
    found = {ids_of(message)[0] for message in messages(extracted_messages())}
    assert {"Secret API Keys", "Create your first key"} <= found

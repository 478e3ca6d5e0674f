"""One table of settings: the defaults, the checks and docs/settings.md agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flask_secret_keys.settings import DEFAULTS, SETTINGS, Settings, markdown_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def table_in(text: str) -> str:
    """The Markdown table of a page: its lines starting with ``|``, in one block."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Setting |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return "\n".join(lines[start:end]) + "\n"


def test_docs_table_is_the_generated_one() -> None:
    assert table_in(DOC.read_text()) == markdown_table(), (
        "docs/settings.md is out of date: paste flask_secret_keys.settings.markdown_table()"
    )


def test_every_settings_field_is_a_row_of_the_table() -> None:
    fields = [field.name for field in dataclasses.fields(Settings)]

    assert fields == [setting.field for setting in SETTINGS]


def test_every_row_is_documented_in_one_line() -> None:
    for setting in SETTINGS:
        assert setting.doc and "\n" not in setting.doc and "|" not in setting.doc, setting.name


def test_the_defaults_pass_their_own_checks() -> None:
    settings = Settings.from_config(DEFAULTS)

    assert settings.prefix == DEFAULTS["SECRET_KEYS_PREFIX"]
    assert settings.htmx_integrity is not None  # the default URL is loaded with its hash

"""docs/api.rst documents every public name and every signal."""

from __future__ import annotations

import re
from pathlib import Path

import blinker
import pytest

import flask_secret_keys
from flask_secret_keys import signals

API = (Path(__file__).resolve().parent.parent / "docs" / "api.rst").read_text()
DOCUMENTED = set(re.findall(r"^\.\. (?:auto\w+|data)::\s+(?:[\w.]+\.)?(\w+)", API, re.M))
SIGNALS = sorted(name for name, value in vars(signals).items() if isinstance(value, blinker.Signal))


@pytest.mark.parametrize("name", flask_secret_keys.__all__)
def test_public_name_is_documented(name: str) -> None:
    assert name in DOCUMENTED


@pytest.mark.parametrize("name", SIGNALS)
def test_signal_is_documented(name: str) -> None:
    assert name in DOCUMENTED

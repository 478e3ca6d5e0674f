"""How the browser tests find Chromium: a setting, the usual commands, then Playwright's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import find_chromium


def executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH of one empty folder, and no CHROMIUM setting."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("CHROMIUM", raising=False)
    return folder


def test_the_chromium_setting_comes_first(
    bare_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable(bare_path, "chromium")
    configured = executable(tmp_path, "my-chromium")
    monkeypatch.setenv("CHROMIUM", str(configured))

    assert find_chromium(None) == str(configured)


@pytest.mark.parametrize("name", ["chromium", "chromium-browser"])
def test_a_usual_command_on_the_path_is_found(bare_path: Path, name: str) -> None:
    assert find_chromium(None) is None
    command = executable(bare_path, name)

    assert find_chromium(None) == str(command)


def test_playwrights_own_chromium_is_the_last_resort(bare_path: Path, tmp_path: Path) -> None:
    own = tmp_path / "ms-playwright" / "chrome"

    assert find_chromium(str(own)) is None
    own.parent.mkdir()
    executable(own.parent, "chrome")
    assert find_chromium(str(own)) == str(own)

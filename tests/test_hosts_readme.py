"""The README's quickstart is a whole host: it runs as printed, and its key works."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def quickstart_source() -> str:
    """The first Python block under the README's "Quickstart" heading."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Quickstart") :]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match is not None, "the Quickstart section has no Python block"
    return match.group(1)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The quickstart, saved as ``shop.py`` and imported, with its database in ``tmp_path``."""
    path = tmp_path / "shop.py"
    path.write_text(quickstart_source(), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    monkeypatch.setenv("SECRET_KEY", "quickstart-test-secret")
    spec = importlib.util.spec_from_file_location("shop", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "shop", module)
    spec.loader.exec_module(module)
    return module


def test_quickstart_runs_and_its_admin_api_takes_a_key_from_the_command_line(
    shop: Any,
) -> None:
    app = shop.create_app()
    with app.app_context():
        shop.db.session.add(shop.User(email="ada@example.com", is_admin=True))
        shop.db.session.commit()

    result = app.test_cli_runner().invoke(
        args=["secret-keys", "create", "--user", "ada@example.com", "--title", "CI"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"sk_[0-9A-Za-z]{49}", token)

    client = app.test_client()
    answer = client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json) == (200, {"email": "ada@example.com"})
    refused = client.get("/admin/api/me", headers={"Authorization": "Bearer sk_wrong"})
    assert refused.status_code == 401
    assert refused.json is not None and refused.json["error"] == "invalid_api_key"


def test_quickstart_pages_answer_an_anonymous_visitor_without_an_error(shop: Any) -> None:
    app = shop.create_app()

    page = app.test_client().get("/settings/secret-api-keys/")

    # No login_view is set in the quickstart: Flask-Login refuses with a 401.
    assert page.status_code == 401

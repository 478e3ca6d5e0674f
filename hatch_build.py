"""Compile the translation catalogs into the wheel: hatchling's custom build hook.

The ``.mo`` files are built, never committed. Each
``flask_secret_keys/translations/<locale>/LC_MESSAGES/flask_secret_keys.po`` is
compiled with Babel into a temporary folder and added to the wheel beside its
``.po``, so the source tree stays as it was. An editable install compiles
nothing: the package compiles a ``.po`` in memory when it finds no ``.mo``
(``flask_secret_keys/i18n.py``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DOMAIN = "flask_secret_keys"
TRANSLATIONS = Path("flask_secret_keys", "translations")


class CompileCatalogs(BuildHookInterface):
    """Adds ``<locale>/LC_MESSAGES/flask_secret_keys.mo`` for every ``.po`` to the wheel."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        self._compiled = Path(tempfile.mkdtemp(prefix="flask-secret-keys-mo-"))
        root = Path(self.root)
        for po_path in sorted((root / TRANSLATIONS).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            in_wheel = po_path.relative_to(root).with_suffix(".mo")
            mo_path = self._compiled / in_wheel
            mo_path.parent.mkdir(parents=True)
            with po_path.open("rb") as source:
                catalog = read_po(source, locale=po_path.parents[1].name, domain=DOMAIN)
            # Fuzzy entries stay untranslated, as when the package compiles a .po itself.
            with mo_path.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            build_data["force_include"][str(mo_path)] = in_wheel.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if version != "editable":
            shutil.rmtree(self._compiled, ignore_errors=True)

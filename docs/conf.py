"""Sphinx configuration for the Flask-Secret-Keys documentation.

Build with warnings as errors::

    pip install -e . --group docs   # or: nox -s docs
    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

from typing import Any

from pallets_sphinx_themes import get_version
from sphinx.application import Sphinx

project = "Flask-Secret-Keys"
copyright = "Flask-Secret-Keys contributors"
release, version = get_version("flask-secret-keys")

extensions = [
    "sphinx.ext.autodoc",
    "myst_parser",
    "pallets_sphinx_themes",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "screenshots"]

# The guides are Markdown and link to each other's headings
# (``security.md#brute-force-limiting-failed-attempts``).
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# Document what this package says, not the docstrings of the SQLAlchemy,
# werkzeug and Flask methods its classes override.
autodoc_inherit_docstrings = False

# Every reference to one of our own names must resolve. The build has no
# network, so there is no intersphinx: references to the standard library and
# to the libraries the extension builds on cannot resolve and are ignored, by
# module, here and only here.
nitpicky = True
EXTERNAL_MODULES = (
    "collections",
    "datetime",
    "flask",
    "flask_sqlalchemy",
    "secrets",
    "sqlalchemy",
    "werkzeug",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(EXTERNAL_MODULES)})(\..*)?"),
]
# Werkzeug's own annotations, shown on the HTTP errors' inherited constructors,
# name these without their module.
nitpick_ignore = [
    ("py:class", name) for name in ("SansIOResponse", "WWWAuthenticate", "t.Iterable")
]
# The decorators' type variables: each returns the view or blueprint it is given.
nitpick_ignore += [("py:class", f"flask_secret_keys.auth.{name}") for name in ("F", "B")]

html_theme = "flask"
html_title = f"Flask-Secret-Keys {release}"
html_static_path = ["_static"]
html_css_files = ["tables.css"]
html_show_sourcelink = False
# The theme's banner asks Read the Docs which version is the newest.
version_banner = False


def public_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: list[type]) -> None:
    """Show a class's public ancestors in place of a private base class.

    ``InvalidKey`` derives from a private helper that makes errors JSON; its
    reader needs to know that it is a werkzeug ``Unauthorized``, and that is
    all: an ancestor of another base shown is left out.
    """
    public: list[type] = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if base.__name__.startswith("_"):
            pending[:0] = [b for b in base.__bases__ if b is not object]
        elif base not in public:
            public.append(base)
    bases[:] = [
        base
        for base in public
        if not any(other is not base and issubclass(other, base) for other in public)
    ]


def setup(app: Sphinx) -> None:
    app.connect("autodoc-process-bases", public_bases)

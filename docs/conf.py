"""Sphinx configuration for the Flask-Secret-Keys documentation.

Build with warnings as errors::

    pip install -e . --group docs   # or: nox -s docs
    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from pallets_sphinx_themes import get_version
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from flask_secret_keys import openapi
from flask_secret_keys.settings import DEFAULTS, Settings

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
    "babel",
    "flask_sqlalchemy",
    "ipaddress",
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
# Babel's lazy text, as the errors' messages are annotated (some Sphinx versions
# show it without its module).
nitpick_ignore.append(("py:class", "LazyProxy"))
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


# The management API's OpenAPI document, with the default settings.
OPENAPI = openapi.document(Settings.from_config(DEFAULTS))


def _schema_type(schema: dict[str, Any]) -> str:
    """A schema in a few words: ``integer 1-200``, ``one of active, revoked``, ``SecretKey``."""
    if "$ref" in schema:
        return schema["$ref"].rpartition("/")[2]
    if "enum" in schema:
        return "one of " + ", ".join(f"``{value}``" for value in schema["enum"])
    if "const" in schema:
        return f"``{json.dumps(schema['const'])}``"
    kinds = schema.get("type", "any")
    text = " or ".join(kinds) if isinstance(kinds, list) else kinds
    if "format" in schema:
        text += f" ({schema['format']})"
    if "minimum" in schema or "maximum" in schema:
        text += f", {schema.get('minimum', '')}–{schema.get('maximum', '')}"
    if "maxLength" in schema:
        text += f", at most {schema['maxLength']} characters"
    return text


def _fields(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", ()))
    lines = []
    for name, field in schema.get("properties", {}).items():
        need = "required" if name in required else "optional"
        text = field.get("description", "")
        lines.append(f"* ``{name}`` ({_schema_type(field)}, {need}) {text}".rstrip())
    return lines


def openapi_lines(document: dict[str, Any]) -> list[str]:
    """The document as reStructuredText: each operation, then each schema."""
    lines: list[str] = [document["info"]["description"], ""]
    lines += ["Credentials", "-----------", ""]
    for name, scheme in document["components"]["securitySchemes"].items():
        lines.append(f"* ``{name}``: {scheme['description']}")
    lines.append("")
    prefix = document["servers"][0]["url"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            title = f"{operation['summary']}: ``{method.upper()} {prefix}{path}``"
            lines += [title, "-" * len(title), "", operation.get("description", ""), ""]
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            if parameters:
                lines += ["Parameters:", ""]
                for parameter in parameters:
                    text = parameter.get("description", "")
                    lines.append(
                        f"* ``{parameter['name']}`` ({parameter['in']},"
                        f" {_schema_type(parameter['schema'])}) {text}".rstrip()
                    )
                lines.append("")
            body = operation.get("requestBody")
            if body:
                schema = body["content"]["application/json"]["schema"]
                lines += [f"Body: {_schema_type(schema)}", ""]
            lines += ["Responses:", ""]
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json", {})
                kind = _schema_type(content["schema"]) if "schema" in content else ""
                lines.append(f"* ``{status}`` {kind}: {response['description']}")
            lines.append("")
    lines += ["Schemas", "-------", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += [f"``{name}``", "", schema.get("description", ""), "", *_fields(schema), ""]
    return lines


class OpenAPIReference(SphinxDirective):
    """``.. openapi-reference::``: the management API's OpenAPI document, readable."""

    def run(self) -> list[nodes.Node]:
        container = nodes.section()
        nested_parse_with_titles(self.state, StringList(openapi_lines(OPENAPI)), container)
        return list(container.children)


def write_openapi(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        (Path(app.outdir) / "openapi.json").write_text(json.dumps(OPENAPI, indent=2) + "\n")


def setup(app: Sphinx) -> None:
    app.connect("autodoc-process-bases", public_bases)
    app.add_directive("openapi-reference", OpenAPIReference)
    app.connect("build-finished", write_openapi)

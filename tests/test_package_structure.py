"""The package's import graph: data flows one way, and no module reaches for another's privates.

Every import counts, including those under ``if TYPE_CHECKING:`` and inside
functions: a cycle hidden from the interpreter is still a cycle for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import flask_secret_keys

PACKAGE = "flask_secret_keys"
ROOT = Path(flask_secret_keys.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from … import`` names, relative or not."""
    if node.level == 0:
        return node.module or ""
    is_package = MODULES[importer].name == "__init__.py"
    base = importer.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(name: str) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for every import of a package module in ``name``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name in MODULES]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(name, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:
                    found.append((submodule, None))
                elif source in MODULES:
                    found.append((source, alias.name))
    return found


def graph() -> dict[str, set[str]]:
    return {name: {module for module, _ in imports_of(name) if module != name} for name in MODULES}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports as a path that starts and ends at the same module, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_package_has_modules_to_check() -> None:
    assert {f"{PACKAGE}.extension", f"{PACKAGE}.state", f"{PACKAGE}.views"} <= set(MODULES)


def test_imports_form_no_cycle() -> None:
    assert find_cycle(graph()) is None


def test_no_module_imports_a_private_name_from_another() -> None:
    private = [
        f"{name} imports {imported} from {module}"
        for name in MODULES
        for module, imported in imports_of(name)
        if imported is not None and imported.startswith("_") and module != name
    ]
    assert private == []


@pytest.mark.parametrize(
    ("module", "lower"),
    [
        ("i18n", "rules"),
        ("i18n", "settings"),
        ("crypto", "models"),
        ("models", "reach"),
        ("reach", "usage"),
        ("usage", "rules"),
        ("models", "rules"),
        ("rules", "service"),
        ("settings", "service"),
        ("forms", "service"),
        ("service", "state"),
        ("state", "auth"),
        ("state", "rendering"),
        ("auth", "views"),
        ("rendering", "views"),
        ("views", "extension"),
        ("cli", "extension"),
        ("contrib.flask_admin", "extension"),
    ],
)
def test_lower_layers_do_not_import_higher_ones(module: str, lower: str) -> None:
    """Data flows crypto → models → rules → service → state → HTTP (auth, rendering → views,
    CLI) → extension; ``i18n`` (the catalogs) is below them all.

    ``settings`` and ``forms`` share the limits of ``rules``, never the service.
    """
    edges = graph()
    reachable: set[str] = set()
    todo = [f"{PACKAGE}.{module}"]
    while todo:
        for target in edges[todo.pop()] - reachable:
            reachable.add(target)
            todo.append(target)
    higher = f"{PACKAGE}.{lower}"
    assert not {name for name in reachable if name == higher or name.startswith(f"{higher}.")}


def test_the_checker_sees_a_cycle_hidden_under_type_checking() -> None:
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None

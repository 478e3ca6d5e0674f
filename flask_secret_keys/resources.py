"""Which routes are the Admin API, and what each needs: read from the host's URL map.

A host declares its Admin API with :func:`~flask_secret_keys.admin_api_required`
and :func:`~flask_secret_keys.admin_api_blueprint`, optionally naming the
resource a route touches (``resource="orders"``) and, on a view, the access it
needs when its method would say otherwise (``access="read"``). The
declarations are attributes on view functions and blueprints; this module
reads them once per app (when the first request or command needs them, as
routes may be added until then) and answers, per request, with a dictionary
lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from .i18n import lazy_gettext
from .reach import Access, Permission, Reach, access_for, check_access, check_resource_name

#: The attribute that marks a view function or a blueprint as Admin API.
ADMIN_API_MARK = "_secret_keys_admin_api"
#: The attribute naming the resource of a view function or a blueprint.
RESOURCE_MARK = "_secret_keys_resource"
#: The attribute holding a view's own access, overriding its method's.
ACCESS_MARK = "_secret_keys_access"


@dataclass(frozen=True)
class Resource:
    """How the pages show a resource: a label and a one-line description.

    Given to :class:`~flask_secret_keys.SecretKeys` as
    ``resources={"orders": Resource("Orders", "Orders, their lines and refunds")}``;
    a resource without one is shown by its name.

    .. versionadded:: 0.3.0
    """

    label: str
    description: str = ""


#: The resource of the extension's own management API, in the pages' language
#: (a host may still label it its way).
_OWN_LABELS: dict[str, Resource] = {
    "secret_keys": Resource(
        lazy_gettext("Secret API keys"),  # type: ignore[arg-type]
        # Translators: what the secret_keys permission of a restricted key covers.
        lazy_gettext("List, create, roll and revoke keys through the management API"),  # type: ignore[arg-type]
    )
}


def check_resources(resources: Mapping[str, Resource | str] | None) -> dict[str, Resource]:
    """The ``resources`` option as :class:`Resource` values by name, or a ValueError."""
    checked: dict[str, Resource] = {}
    for name, value in (resources or {}).items():
        check_resource_name(name)
        checked[name] = value if isinstance(value, Resource) else Resource(str(value))
    return checked


def mark(target: Any, resource: str | None, access: str | None) -> None:
    """Declare ``target`` (a view function or a blueprint) Admin API, with its resource and
    access if given; refuse a malformed name or access at once (at import time)."""
    setattr(target, ADMIN_API_MARK, True)
    if resource is not None:
        setattr(target, RESOURCE_MARK, check_resource_name(resource))
    if access is not None:
        setattr(target, ACCESS_MARK, check_access(access))


@dataclass(frozen=True)
class Declaration:
    """What an Admin API endpoint declares: its resource (None: none) and access override."""

    resource: str | None
    access: Access | None

    def permission(self, method: str) -> Permission:
        """The permission a request with ``method`` needs."""
        return Permission(self.resource, access_for(method, self.access))


@dataclass(frozen=True)
class AdminRoute:
    """One method of one Admin API URL rule, as ``flask secret-keys routes`` lists it."""

    endpoint: str
    method: str
    path: str
    permission: Permission

    @property
    def access(self) -> Access:
        return self.permission.access


@dataclass(frozen=True)
class ResourceInfo:
    """A resource as the pages show it: name, label, description, and whether any route
    declares it still (a key may name one that is gone)."""

    name: str
    label: str
    description: str
    on_routes: bool


def _declaration(app: Flask, endpoint: str) -> Declaration | None:
    """The declaration of ``endpoint``'s view, its own marks first, then its blueprints'
    (nearest first); None if neither it nor a blueprint of it is Admin API."""
    view = app.view_functions.get(endpoint)
    admin_api = bool(getattr(view, ADMIN_API_MARK, False))
    resource = getattr(view, RESOURCE_MARK, None)
    access = getattr(view, ACCESS_MARK, None)
    blueprint = endpoint.rpartition(".")[0]
    while blueprint:
        declared = app.blueprints.get(blueprint)
        if getattr(declared, ADMIN_API_MARK, False):
            admin_api = True
            if resource is None:
                resource = getattr(declared, RESOURCE_MARK, None)
        blueprint = blueprint.rpartition(".")[0]
    return Declaration(resource, access) if admin_api else None


class RouteIndex:
    """An app's Admin API declarations, read from its URL map and kept until it changes."""

    def __init__(self, resources: Mapping[str, Resource]) -> None:
        self.labels = dict(resources)
        self._declarations: dict[str, Declaration | None] = {}
        self._size = -1

    def declaration(self, endpoint: str) -> Declaration | None:
        """``endpoint``'s declaration, None if it is not Admin API; one lookup once known."""
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        if len(app.view_functions) != self._size:
            # Routes are added until the first request; then the map stays as it is.
            self._declarations = {}
            self._size = len(app.view_functions)
        try:
            return self._declarations[endpoint]
        except KeyError:
            found = self._declarations[endpoint] = _declaration(app, endpoint)
            return found

    def routes(self) -> list[AdminRoute]:
        """Every method of every Admin API URL rule, by path then method."""
        found: dict[tuple[str, str], AdminRoute] = {}
        for rule in current_app.url_map.iter_rules():
            declaration = self.declaration(rule.endpoint)
            if declaration is None:
                continue
            for method in rule.methods or ():
                # Two rules on one path both answer OPTIONS: list it once.
                found.setdefault(
                    (rule.rule, method),
                    AdminRoute(rule.endpoint, method, rule.rule, declaration.permission(method)),
                )
        return [found[where] for where in sorted(found)]

    def declared_resources(self) -> list[str]:
        """The resources the app's routes declare, sorted."""
        return sorted({r.permission.resource for r in self.routes() if r.permission.resource})

    def info(self, names: Iterable[str]) -> list[ResourceInfo]:
        """The declared resources and ``names`` (those a key holds), for the pages."""
        declared = set(self.declared_resources())
        infos = []
        for name in sorted(declared | set(names)):
            label = self.labels.get(name) or _OWN_LABELS.get(name)
            infos.append(
                ResourceInfo(
                    name,
                    label.label if label else name.replace("_", " ").capitalize(),
                    label.description if label else "",
                    name in declared,
                )
            )
        return infos

    def reachable(self, reach: Reach) -> list[AdminRoute]:
        """The Admin API routes a key with ``reach`` can call (from an allowed network)."""
        return [route for route in self.routes() if reach.permits(route.permission)]

    def unknown(self, reach: Reach) -> list[str]:
        """The resources of ``reach`` that no route declares."""
        declared = set(self.declared_resources())
        return [name for name in (reach.levels or {}) if name not in declared]

"""Who may do what, for every route in the app's URL map.

The routes come from ``app.url_map``, not from a list in this file: every
endpoint must fall into one of the classes below or the matrix fails, so a
new route cannot be added without saying who may use it.

- ``page``: the extension's pages. Anonymous → redirect to the login page
  (htmx: 401 with ``HX-Redirect``); non-admin → 403; a key is not looked at
  (a login redirect, or CSRF's 400 for a post); another user's key id, active
  or revoked → 404. None of these changes a row.
- ``api``: the host's Admin API and the management API. Anonymous → 401 JSON; non-admin → 403 JSON.
- ``session``: the host's own pages for any logged-in user.
- ``public`` and ``asset``: open to all.

Every mutation from a session needs a CSRF token, and no GET changes a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient

from example_app.models import User, db
from flask_secret_keys import Actor
from tests.helpers import csrf_token, get_user, log_in, service_of

HOST_ROUTES = {
    "host.login": "public",
    "host.logout": "session",
    "host.index": "session",
    "static": "asset",
    "htmx_js": "asset",
}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def classify(endpoint: str) -> str | None:
    if endpoint == "secret_keys.static":
        return "asset"
    if endpoint.startswith("secret_keys."):
        return "page"
    if endpoint.startswith(("admin_api.", "secret_keys_api.")):
        return "api"
    return HOST_ROUTES.get(endpoint)


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    kind: str
    takes_key: bool

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint}"


def routes_of(app: Flask) -> list[Route]:
    """Every (endpoint, method) the app serves, except assets."""
    found = []
    for rule in app.url_map.iter_rules():
        kind = classify(rule.endpoint)
        assert kind is not None, f"classify the new route {rule.endpoint} ({rule.rule})"
        if kind == "asset":
            continue
        assert rule.arguments <= {"key_id"}, f"{rule.endpoint} takes {rule.arguments}"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(Route(rule.endpoint, method, kind, "key_id" in rule.arguments))
    return found


@dataclass
class World:
    app: Flask
    own_key: int
    own_revoked_key: int
    others_key: int
    admin_token: str

    def url(self, route: Route, key_id: int | None = None) -> str:
        with self.app.test_request_context():
            args: dict[str, Any] = {"key_id": key_id or self.own_key} if route.takes_key else {}
            if route.endpoint == "secret_keys.revoke_all":
                args["owner"] = "ops@example.com"
            return url_for(route.endpoint, **args)


@pytest.fixture
def world(app: Flask) -> World:
    service = service_of(app)
    with app.app_context():
        admin = get_user("admin@example.com")
        revoked, _ = service.create(admin, "Mine, revoked")
        service.revoke(revoked, actor=Actor.for_user(admin))
        own, token = service.create(admin, "Mine")
        other, _ = service.create(get_user("ops@example.com"), "Not mine")
        return World(app, own.id, revoked.id, other.id, token)


def call(
    client: FlaskClient, route: Route, url: str, token: str | None = None, **kwargs: Any
) -> Any:
    data = {"title": "Changed", **({"csrf_token": token} if token else {})}
    if route.method == "GET":
        return client.get(url, **kwargs)
    return client.open(url, method=route.method, data=data, **kwargs)


def snapshot(app: Flask, *ignore: str) -> list[tuple[Any, ...]]:
    """Every key and user row as plain tuples, without the ``ignore`` columns."""
    Key = service_of(app).model
    columns = [c for c in Key.__table__.columns if c.name not in ignore]  # type: ignore[attr-defined]
    with app.app_context():
        keys = db.session.execute(sa.select(*columns).order_by(Key.id)).all()
        users = db.session.execute(sa.select(User.__table__).order_by(User.id)).all()
        return [tuple(row) for row in keys] + [tuple(row) for row in users]


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    routes = routes_of(app)
    endpoints = {route.endpoint for route in routes}
    assert {"secret_keys.index", "secret_keys.create", "admin_api.me"} <= endpoints
    assert any(route.method in MUTATING for route in routes if route.kind == "page")


@pytest.fixture
def matrix(app: Flask, world: World) -> Iterator[list[Route]]:
    yield routes_of(app)


def test_anonymous_gets_the_login_page_or_401_json(
    client: FlaskClient, world: World, matrix: list[Route]
) -> None:
    token = csrf_token(client)
    before = snapshot(world.app)
    for route in matrix:
        response = call(client, route, world.url(route), token)
        assert snapshot(world.app) == before, route
        if route.kind in ("page", "session"):
            assert response.status_code == 302, route
            assert response.location.startswith("/login"), route
        elif route.kind == "api":
            assert response.status_code == 401, route
            assert response.json["error"] == "authentication_required", route
        else:
            assert response.status_code in (200, 302), route


def test_anonymous_htmx_request_is_sent_to_the_login_page_in_full(
    client: FlaskClient, world: World, matrix: list[Route]
) -> None:
    token = csrf_token(client)
    for route in (route for route in matrix if route.kind == "page"):
        response = call(client, route, world.url(route), token, headers={"HX-Request": "true"})
        assert response.status_code == 401, route
        assert response.headers["HX-Redirect"].startswith("/login"), route


def test_non_admin_gets_403(client: FlaskClient, world: World, matrix: list[Route]) -> None:
    log_in(client, "viewer@example.com", "viewer")
    token = csrf_token(client, "/")
    before = snapshot(world.app)
    for route in (route for route in matrix if route.kind in ("page", "api")):
        response = call(client, route, world.url(route), token)
        assert snapshot(world.app) == before, route
        if route.kind == "page":
            assert response.status_code == 403, route
        elif route.kind == "api":
            assert response.status_code == 403, route
            assert response.json["error"] == "admin_required", route


def test_a_key_cannot_reach_the_pages_that_manage_keys(
    client: FlaskClient, world: World, matrix: list[Route]
) -> None:
    before = snapshot(world.app)
    for route in (route for route in matrix if route.kind == "page"):
        response = call(
            client,
            route,
            world.url(route),
            headers={"Authorization": f"Bearer {world.admin_token}"},
        )
        # Not Admin API: the key is not even looked at, let alone used: handled as
        # if no key came with it, a login redirect, or CSRF's 400 for a post.
        if route.method == "GET":
            assert response.status_code == 302, route
            assert response.location.startswith("/login"), route
        else:
            assert response.status_code == 400, route
    assert snapshot(world.app) == before


def test_another_users_key_id_is_404(
    client: FlaskClient, world: World, matrix: list[Route]
) -> None:
    log_in(client, "ops@example.com", "ops")  # an admin who does not oversee keys
    token = csrf_token(client, "/")
    before = snapshot(world.app)
    checked = 0
    for route in (route for route in matrix if route.takes_key):
        for key_id in (world.own_key, world.own_revoked_key):
            response = call(client, route, world.url(route, key_id), token)
            assert response.status_code == 404, (route, key_id)
            checked += 1
    assert checked >= 8
    assert snapshot(world.app) == before


def test_admin_can_get_every_page(client: FlaskClient, world: World, matrix: list[Route]) -> None:
    log_in(client, "admin@example.com", "admin")
    for route in (route for route in matrix if route.method == "GET"):
        assert client.get(world.url(route)).status_code == 200, route


def test_no_get_changes_anything(client: FlaskClient, world: World, matrix: list[Route]) -> None:
    log_in(client, "admin@example.com", "admin")
    before = snapshot(world.app)
    for route in (route for route in matrix if route.method == "GET"):
        client.get(world.url(route))
        client.get(world.url(route), headers={"HX-Request": "true"})
        client.get(world.url(route, world.others_key))
    assert snapshot(world.app) == before


def test_every_session_mutation_needs_a_csrf_token(
    app: Flask, client: FlaskClient, world: World, matrix: list[Route]
) -> None:
    log_in(client, "admin@example.com", "admin")
    mutations = [route for route in matrix if route.method in MUTATING]
    assert mutations
    before = snapshot(app)
    for route in mutations:
        for bad in (None, "not-a-token"):
            response = call(client, route, world.url(route), bad)
            assert response.status_code == 400, route
            assert "CSRF" in response.get_data(as_text=True), route
            assert snapshot(app) == before, route


def test_a_valid_csrf_token_lets_the_mutation_through(client: FlaskClient, world: World) -> None:
    """The CSRF refusal above is not a refusal of everything: with the token, edits work."""
    log_in(client, "admin@example.com", "admin")
    url = f"/settings/secret-api-keys/{world.own_key}/edit"
    response = client.post(url, data={"title": "Changed", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 303
    with world.app.app_context():
        service = service_of(world.app)
        assert service.key_by_id(world.own_key).title == "Changed"


def test_a_cross_site_form_post_with_the_session_cookie_alone_is_refused(
    client: FlaskClient, world: World
) -> None:
    """What a malicious page can send: the cookie rides along, the token cannot."""
    log_in(client, "admin@example.com", "admin")
    url = f"/settings/secret-api-keys/{world.own_key}/revoke"
    response = client.post(
        url, headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"}
    )
    assert response.status_code == 400
    with world.app.app_context():
        service = service_of(world.app)
        assert service.key_by_id(world.own_key).revoked_at is None

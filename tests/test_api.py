"""The JSON management API: its routes on a session, the errors, and what a key may do there."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_secret_keys import Actor, KeyService, Reach, crypto
from flask_secret_keys.settings import DEFAULTS, Settings
from tests.helpers import API, Clock, get_user, session_client


@pytest.fixture
def api(app: Flask) -> FlaskClient:
    """admin@example.com (an overseer) by session."""
    return session_client(app)


def new_key(
    service: KeyService,
    email: str,
    title: str = "Key",
    revoked: bool = False,
    reach: Reach | None = None,
) -> tuple[int, str]:
    """A key of ``email``'s (in an app context): its id and its secret."""
    user = get_user(email)
    key, token = service.create(user, title, reach=reach)
    if revoked:
        service.revoke(key, actor=Actor.for_user(user))
    return key.id, token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# A session


def test_create_answers_the_key_and_its_secret_once_and_records_the_request(
    app: Flask, api: FlaskClient, service: KeyService
) -> None:
    response = api.post(API, json={"title": " Deploy "}, headers={"User-Agent": "pipeline/1"})

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    key, token = body["secret_key"], body["token"]
    assert key["title"] == "Deploy" and key["status"] == "active" and key["object"] == "secret_key"
    assert key["owner"] == {"id": get_user_id(app), "name": "Ada Admin"}
    assert response.headers["Location"].endswith(f"{API}/{key['id']}")
    assert api.get("/admin/api/me", headers=bearer(token)).status_code == 200
    (event,) = api.get(f"{API}/{key['id']}/events").get_json()["events"]
    assert event["event"] == "created" and event["actor"] == {"kind": "user", "name": "Ada Admin"}
    assert event["ip"] == "127.0.0.1" and event["user_agent"] == "pipeline/1"
    # The secret is in no other answer.
    for url in (API, f"{API}/{key['id']}", f"{API}/{key['id']}/events"):
        assert token not in api.get(url).get_data(as_text=True)


def test_a_second_create_is_refused_with_the_active_keys_id(api: FlaskClient) -> None:
    first = api.post(API, json={"title": "One"}).get_json()["secret_key"]

    response = api.post(API, json={"title": "Two"})

    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "active_key_exists" and body["active_key_id"] == first["id"]
    assert not re.search(crypto.token_pattern(), response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"title": "   "}, 422, "invalid_title"),
        ({"title": "a" * 101}, 422, "invalid_title"),
        ({"title": "bad\u202etitle"}, 422, "invalid_title"),
        ({"title": "Old", "expires_at": "2001-01-01T00:00:00Z"}, 422, "invalid_lifetime"),
        ({"title": "Leap", "expires_at": "2030-06-30T23:59:60Z"}, 422, "invalid_lifetime"),
        ({"title": "Both", "expires_in": 60, "expires_at": "2030-01-01T00:00:00Z"}, 400, None),
        ({"title": "Far", "expires_in": 10**12}, 400, None),
        ({"title": "Bool", "expires_in": True}, 400, None),
        ({"title": "Naive", "expires_at": "2030-01-01T00:00:00"}, 400, None),
        ({"title": "X", "scopes": None}, 400, None),
        ({"title": "X", "permissions": {"orders": "admin"}}, 422, "invalid_restrictions"),
        ({"title": "X", "permissions": {"Orders": "read"}}, 422, "invalid_restrictions"),
        ({"title": "X", "allowed_networks": ["intranet"]}, 422, "invalid_restrictions"),
        ({"title": "X", "allowed_networks": ["203.0.113.7/24"]}, 422, "invalid_restrictions"),
        ({"title": "X", "permissions": ["orders:read"]}, 400, None),
        ({"title": "X", "permissions": {"orders": 1}}, 400, None),
        ({"title": "X", "allowed_networks": "203.0.113.0/24"}, 400, None),
        ({"title": "X", "allowed_networks": [None]}, 400, None),
        ({"title": "X", "permissions": {f"r{n}": "read" for n in range(65)}}, 400, None),
        ({"title": "X", "allowed_networks": [f"203.0.113.{n}" for n in range(21)]}, 400, None),
        ({"title": 5}, 400, None),
        ({}, 400, None),
        (["title"], 400, None),
        ("not json", 400, None),
    ],
)
def test_bad_bodies_are_refused_with_one_code_each(
    api: FlaskClient, body: Any, status: int, error: str | None
) -> None:
    if isinstance(body, str):
        response = api.post(API, data=body, content_type="application/json")
    else:
        response = api.post(API, json=body)

    assert response.status_code == status
    assert response.get_json()["error"] == (error or "invalid_request")
    assert response.get_json()["message"]


def test_expiry_is_the_default_unless_given(make_app: Any, clock: Clock) -> None:
    client = session_client(make_app(SECRET_KEYS_DEFAULT_EXPIRATION=30))
    bodies: list[dict[str, Any]] = [
        {},
        {"expires_in": 3600},
        {"expires_in": 7200.0},
        {"expires_at": "2031-02-03T04:05:06+01:00"},
        {"expires_in": None},
    ]
    expiries = []
    for body in bodies:
        created = client.post(API, json={"title": "K", **body}).get_json()["secret_key"]
        expiries.append(created["expires_at"])
        assert client.post(f"{API}/{created['id']}/revoke").status_code == 200

    def utc(value: dt.datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")

    hour = dt.timedelta(hours=1)
    assert expiries == [
        utc(clock.now + 30 * 24 * hour),
        utc(clock.now + hour),
        utc(clock.now + 2 * hour),
        "2031-02-03T03:05:06Z",
        None,
    ]


def test_list_windows_filters_and_counts_like_the_pages(
    app: Flask, api: FlaskClient, service: KeyService
) -> None:
    with app.app_context():
        ids = [new_key(service, "admin@example.com", f"Key {n}", revoked=True)[0] for n in range(5)]
        new_key(service, "ops@example.com", "Ops key")
    ids.reverse()  # newest first

    def listed(query: str) -> tuple[list[int], int]:
        response = api.get(f"{API}?{query}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return [key["id"] for key in body["secret_keys"]], body["count"]

    assert listed("") == (ids, 5)
    assert listed("limit=2&offset=1") == (ids[1:3], 5)
    assert listed("limit=2&offset=4") == (ids[4:], 5)
    assert listed("sort=created&order=asc&limit=3") == (ids[::-1][:3], 5)
    assert listed("q=Key%203") == ([ids[1]], 1)
    assert listed("status=active") == ([], 0)
    assert listed("owner=all")[1] == 6


@pytest.mark.parametrize(
    "query",
    [
        "status=gone",
        "status=",
        "sort=owner",
        "order=up",
        "limit=0",
        "limit=201",
        "offset=-1",
        "offset=1.5",
        "created_from=2024-02-30",
        "created_to=yesterday",
        "q=" + "a" * 101,
        "owner=" + "a" * 256,
    ],
)
def test_bad_list_parameters_are_refused(api: FlaskClient, query: str) -> None:
    response = api.get(f"{API}?{query}")

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert query.partition("=")[0] in response.get_json()["message"]


def test_a_whole_key_in_the_search_is_searched_for_nowhere(
    app: Flask, api: FlaskClient, service: KeyService
) -> None:
    with app.app_context():
        _key, token = new_key(service, "admin@example.com")

    response = api.get(f"{API}?q={token}")

    assert response.get_json()["count"] == 1
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert token not in response.get_data(as_text=True)


def test_only_an_overseers_session_lists_other_users_keys(
    app: Flask, api: FlaskClient, service: KeyService
) -> None:
    with app.app_context():
        ops_key, ops_token = new_key(service, "ops@example.com", "Ops key")
        ops_id = get_user("ops@example.com").id
        _admin_key, admin_token = new_key(service, "admin@example.com")
    (listed,) = api.get(f"{API}?owner={ops_id}").get_json()["secret_keys"]
    assert listed["owner"] == {"id": ops_id, "name": "Otto Ops"}
    assert api.get(f"{API}?owner=99999").get_json()["count"] == 0
    assert api.get(f"{API}?owner=%00x").get_json()["count"] == 0
    # An id beyond the database's integers is no user either, not a database error.
    assert api.get(f"{API}?owner={2**64}").get_json()["count"] == 0
    assert api.get(f"{API}/{ops_key}").status_code == 200

    # Not by a key, even an overseer's; not by another admin's session.
    for client, headers in (
        (app.test_client(), bearer(admin_token)),
        (session_client(app, "ops@example.com"), {}),
    ):
        response = client.get(f"{API}?owner=all", headers=headers)
        assert response.status_code == 403
        assert response.get_json()["error"] == "overseer_required"
    assert app.test_client().get(f"{API}/{ops_key}", headers=bearer(admin_token)).status_code == 404
    assert ops_token


def test_rename_revoke_and_delete_go_through_the_service(
    app: Flask, api: FlaskClient, service: KeyService
) -> None:
    key_id = api.post(API, json={"title": "CI"}).get_json()["secret_key"]["id"]

    renamed = api.post(f"{API}/{key_id}", json={"title": "CI deploy"})
    assert renamed.status_code == 200 and renamed.get_json()["title"] == "CI deploy"
    assert api.delete(f"{API}/{key_id}").get_json()["error"] == "not_revoked"

    scheduled = api.post(f"{API}/{key_id}/revoke", json={"revoke_in": 3600}).get_json()
    assert scheduled["status"] == "revoking"
    assert scheduled["revoked_by"] == {"id": get_user_id(app), "name": "Ada Admin"}
    assert api.delete(f"{API}/{key_id}").status_code == 409
    assert api.post(f"{API}/{key_id}/revoke").get_json()["status"] == "revoked"
    again = api.post(f"{API}/{key_id}/revoke")
    assert again.status_code == 409 and again.get_json()["error"] == "already_revoked"

    deleted = api.delete(f"{API}/{key_id}")
    assert deleted.get_json() == {"id": key_id, "object": "secret_key", "deleted": True}
    assert api.get(f"{API}/{key_id}").get_json()["error"] == "not_found"
    with app.app_context():
        kinds = [event.event for event in service.events_of(key_id)]
    assert kinds == ["deleted", "revoked", "revocation_scheduled", "renamed", "created"]


def get_user_id(app: Flask, email: str = "admin@example.com") -> int:
    with app.app_context():
        return int(get_user(email).id)


def test_roll_reveals_the_successor_and_keeps_the_old_key_for_the_grace(api: FlaskClient) -> None:
    created = api.post(API, json={"title": "Deploy"}).get_json()
    old_id, old_token = created["secret_key"]["id"], created["token"]

    response = api.post(f"{API}/{old_id}/roll", json={"grace": 600})

    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    successor, token = response.get_json()["secret_key"], response.get_json()["token"]
    assert successor["title"] == "Deploy" and successor["status"] == "active"
    assert api.get(f"{API}/{old_id}").get_json()["status"] == "revoking"
    for secret in (old_token, token):
        assert api.get("/admin/api/me", headers=bearer(secret)).status_code == 200
    again = api.post(f"{API}/{old_id}/roll")
    assert again.status_code == 409 and again.get_json()["error"] == "not_rollable"


def test_restrictions_are_given_at_creation_and_kept_or_changed_by_a_roll(
    api: FlaskClient,
) -> None:
    full = api.post(API, json={"title": "Full"}).get_json()["secret_key"]
    assert (full["permissions"], full["allowed_networks"]) == (None, [])
    api.post(f"{API}/{full['id']}/revoke")

    created = api.post(
        API,
        json={
            "title": "Orders",
            "permissions": {"orders": "read", "refunds": "none"},
            "allowed_networks": ["203.0.113.0/24", "::ffff:198.51.100.7"],
        },
    ).get_json()["secret_key"]
    assert created["permissions"] == {"orders": "read"}
    assert created["allowed_networks"] == ["198.51.100.7/32", "203.0.113.0/24"]

    kept = api.post(f"{API}/{created['id']}/roll").get_json()["secret_key"]
    assert (kept["permissions"], kept["allowed_networks"]) == (
        created["permissions"],
        created["allowed_networks"],
    )
    widened = api.post(
        f"{API}/{kept['id']}/roll", json={"permissions": {"orders": "write"}}
    ).get_json()["secret_key"]
    assert widened["permissions"] == {"orders": "write"}
    assert widened["allowed_networks"] == created["allowed_networks"]
    full_again = api.post(
        f"{API}/{widened['id']}/roll", json={"permissions": None, "allowed_networks": []}
    ).get_json()["secret_key"]
    assert (full_again["permissions"], full_again["allowed_networks"]) == (None, [])
    bad = api.post(f"{API}/{full_again['id']}/roll", json={"allowed_networks": ["x"]})
    assert bad.status_code == 422
    assert bad.get_json()["error"] == "invalid_restrictions"
    assert bad.get_json()["field"] == "allowed_networks"


def test_restrict_only_narrows_and_says_to_roll_to_widen(
    app: Flask, api: FlaskClient, service: KeyService
) -> None:
    key = api.post(API, json={"title": "K", "permissions": {"orders": "write"}}).get_json()
    key_id = key["secret_key"]["id"]

    narrowed = api.post(
        f"{API}/{key_id}/restrict",
        json={"permissions": {"orders": "read"}, "allowed_networks": ["203.0.113.0/24"]},
    )
    assert narrowed.status_code == 200
    assert narrowed.get_json()["permissions"] == {"orders": "read"}
    assert narrowed.get_json()["allowed_networks"] == ["203.0.113.0/24"]
    networks_only = api.post(
        f"{API}/{key_id}/restrict", json={"allowed_networks": ["203.0.113.8/29"]}
    ).get_json()
    assert networks_only["permissions"] == {"orders": "read"}
    assert networks_only["allowed_networks"] == ["203.0.113.8/29"]

    wider: dict[str, Any]
    for wider in ({"permissions": {"orders": "write"}}, {"allowed_networks": []}):
        refused = api.post(f"{API}/{key_id}/restrict", json=wider)
        assert refused.status_code == 409
        assert refused.get_json()["error"] == "would_widen"
        assert "roll" in refused.get_json()["message"]
    assert api.post(f"{API}/{key_id}/restrict", json={}).status_code == 400
    assert api.post(f"{API}/{key_id}/revoke").status_code == 200
    gone = api.post(f"{API}/{key_id}/restrict", json={"allowed_networks": ["203.0.113.8/30"]})
    assert gone.status_code == 409 and gone.get_json()["error"] == "not_restrictable"
    with app.app_context():
        kinds = [event.event for event in service.events_of(key_id)]
    assert kinds == ["revoked", "restricted", "restricted", "created"]


# A key


WRITES = [
    ("post", "", {"title": "Successor"}),
    ("post", "/{id}", {"title": "Renamed"}),
    ("post", "/{id}/roll", {"grace": 60}),
    ("post", "/{id}/restrict", {"allowed_networks": ["127.0.0.1"]}),
    ("delete", "/{id}", None),
    ("post", "/{other}/revoke", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_key_may_not_change_keys_beyond_revoking_itself(
    app: Flask, service: KeyService, method: str, path: str, body: Any
) -> None:
    with app.app_context():
        other, _ = new_key(service, "admin@example.com", "Older", revoked=True)
        key, token = new_key(service, "admin@example.com")
    client = app.test_client()

    response = getattr(client, method)(
        API + path.format(id=key, other=other), json=body, headers=bearer(token)
    )

    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    assert response.get_json()["required"] == "secret_keys:write"
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="secret_keys:write"'
    )
    with app.app_context():
        keys = service.keys_of(get_user("admin@example.com"))
        assert [(k.id, k.title, k.status) for k in keys] == [
            (key, "Key", "active"),
            (other, "Older", "revoked"),
        ]


def test_a_key_reads_its_owners_keys_and_revokes_itself(app: Flask, service: KeyService) -> None:
    with app.app_context():
        key, token = new_key(service, "admin@example.com", "Pipeline")
    client = app.test_client()
    headers = {**bearer(token), "User-Agent": "pipeline/2"}

    assert client.get(API, headers=headers).get_json()["count"] == 1
    assert client.get(f"{API}/{key}", headers=headers).get_json()["title"] == "Pipeline"
    revoked = client.post(f"{API}/{key}/revoke", headers=headers)

    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert "Set-Cookie" not in revoked.headers
    assert client.get(API, headers=headers).status_code == 401
    with app.app_context():
        event = service.events_of(key)[0]
        assert (event.event, event.actor, event.user_agent) == (
            "revoked",
            "Ada Admin",
            "pipeline/2",
        )


PIPELINE = Reach.of({"secret_keys": "write", "orders": "read"}, ["127.0.0.0/8"])


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        # Past the write rule, to the one-active-key rule: the caller is the active key.
        (
            "post",
            "",
            {"title": "New", "permissions": {"orders": "read"}, "allowed_networks": ["127.0.0.1"]},
            409,
        ),
        ("post", "/{id}", {"title": "Renamed"}, 200),
        ("post", "/{id}/roll", {"grace": 60}, 201),
        ("post", "/{id}/restrict", {"allowed_networks": ["127.0.0.1"]}, 200),
        ("delete", "/{revoked}", None, 200),
        ("post", "/{revoking}/revoke", None, 200),
    ],
)
def test_a_restricted_key_granted_secret_keys_write_may_change_keys(
    app: Flask, service: KeyService, method: str, path: str, body: Any, status: int
) -> None:
    with app.app_context():
        revoked, _ = new_key(service, "admin@example.com", "Older", revoked=True)
        revoking, _ = new_key(service, "admin@example.com", "Old")
        service.revoke(
            service.key_by_id(revoking),
            at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
            actor=Actor.command_line(),
        )
        key, token = new_key(service, "admin@example.com", reach=PIPELINE)
    client = app.test_client()

    response = getattr(client, method)(
        API + path.format(id=key, revoked=revoked, revoking=revoking),
        json=body,
        headers=bearer(token),
    )

    assert response.status_code == status, response.get_json()
    if status == 409:
        assert response.get_json()["error"] == "active_key_exists"


@pytest.mark.parametrize("permissions", [{"secret_keys": "read"}, {"orders": "write"}])
def test_a_restricted_key_without_secret_keys_write_may_not(
    app: Flask, service: KeyService, permissions: dict[str, str]
) -> None:
    with app.app_context():
        key, token = new_key(service, "admin@example.com", reach=Reach.of(permissions))
    client = app.test_client()

    rolled = client.post(f"{API}/{key}/roll", headers=bearer(token))
    listed = client.get(API, headers=bearer(token))

    assert rolled.status_code == 403
    assert rolled.get_json()["required"] == "secret_keys:write"
    if "secret_keys" in permissions:
        assert listed.status_code == 200
        assert client.post(f"{API}/{key}/revoke", headers=bearer(token)).status_code == 200
    else:
        assert listed.status_code == 403
        assert listed.get_json()["required"] == "secret_keys:read"


def test_a_pipeline_key_rotates_itself_with_grace_and_no_wider(
    app: Flask, service: KeyService
) -> None:
    with app.app_context():
        key, token = new_key(service, "admin@example.com", "Deploy", reach=PIPELINE)
    client = app.test_client()

    wider = client.post(f"{API}/{key}/roll", json={"permissions": None}, headers=bearer(token))
    assert wider.status_code == 409 and wider.get_json()["error"] == "would_widen"
    elsewhere = client.post(
        f"{API}/{key}/roll", json={"allowed_networks": ["0.0.0.0/0"]}, headers=bearer(token)
    )
    assert elsewhere.status_code == 409
    rolled = client.post(f"{API}/{key}/roll", json={"grace": 300}, headers=bearer(token))

    assert rolled.status_code == 201
    successor, new_token = rolled.get_json()["secret_key"], rolled.get_json()["token"]
    assert successor["permissions"] == {"orders": "read", "secret_keys": "write"}
    assert successor["allowed_networks"] == ["127.0.0.0/8"]
    assert client.get(f"{API}/{key}", headers=bearer(token)).get_json()["status"] == "revoking"
    assert client.get(f"{API}/{key}", headers=bearer(new_token)).status_code == 200


def test_a_key_outside_its_networks_is_refused(app: Flask, service: KeyService) -> None:
    with app.app_context():
        _key, token = new_key(
            service, "admin@example.com", reach=Reach.of(None, ["203.0.113.0/24"])
        )

    response = app.test_client().get(API, headers=bearer(token))

    assert response.status_code == 403
    assert response.get_json()["error"] == "network_not_allowed"


# Routing, settings


def test_unknown_urls_and_methods_under_the_prefix_answer_json(api: FlaskClient) -> None:
    for url in (f"{API}/abc", f"{API}/-1", f"{API}/1/nothing"):
        response = api.get(url)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    response = api.put(f"{API}/1")
    assert response.status_code == 405 and "DELETE" in response.headers["Allow"]


def test_anonymous_writes_get_401_also_with_csrf_protect(client: FlaskClient) -> None:
    for url in (API, "/admin/api/echo"):
        response = client.post(url, json={"title": "x"})
        assert response.status_code == 401
        assert response.get_json()["error"] == "authentication_required"


def test_the_prefix_setting_moves_or_removes_the_api(make_app: Any) -> None:
    moved = make_app(SECRET_KEYS_API_PREFIX="/api/keys/").test_client()
    assert moved.get("/api/keys").status_code == 401
    assert moved.get(API).status_code == 404

    off = make_app(SECRET_KEYS_API_PREFIX=None)
    assert "secret_keys_api" not in off.blueprints
    assert off.test_client().get(API).status_code == 404


@pytest.mark.parametrize("value", ["api", "/", "", 5])
def test_a_bad_prefix_is_refused_with_how_to_fix_it(value: Any) -> None:
    with pytest.raises(RuntimeError, match=r"SECRET_KEYS_API_PREFIX=.* or None"):
        Settings.from_config({**DEFAULTS, "SECRET_KEYS_API_PREFIX": value})

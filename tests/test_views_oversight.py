"""Oversight: users named by ``can_oversee`` see every key and revoke any of them.

In the example app admin@example.com oversees and ops@example.com does not.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from example_app.models import User, db
from flask_secret_keys import KeyService
from flask_secret_keys.service import Actor, KeyQuery
from tests.helpers import BASE, count_statements, get_user, log_in, post, service_of, text


def words(response: Any) -> str:
    """The page's text without tags and scripts, spaces collapsed."""
    page = re.sub(r"<script\b.*?</script>", " ", text(response), flags=re.S)
    page = re.sub(r"</?bdi>", "", page)  # a title isolated inside its sentence
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&#39;", "'")


def make_key(app: Flask, email: str, title: str, *, revoked: bool = False) -> tuple[int, str]:
    with app.app_context():
        service = service_of(app)
        key, token = service.create(get_user(email), title)
        if revoked:
            service.revoke(key)
        return int(key.id), token


@pytest.fixture
def ops_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    log_in(client, "ops@example.com", "ops")
    return client


# Everyone else sees only their own keys


def test_only_overseers_get_the_all_keys_link(
    admin_client: FlaskClient, ops_client: FlaskClient
) -> None:
    assert f'href="{BASE}/all"' in text(admin_client.get(BASE))
    assert "All keys" not in text(ops_client.get(BASE))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/all"),
        ("GET", "/all?owner=admin@example.com"),
        ("GET", "/all/revoke?owner=admin@example.com"),
        ("POST", "/all/revoke"),
    ],
)
def test_all_keys_pages_are_refused_to_other_admins(
    app: Flask, ops_client: FlaskClient, method: str, path: str
) -> None:
    _key_id, token = make_key(app, "admin@example.com", "Admin's")
    if method == "GET":
        response = ops_client.get(BASE + path)
    else:
        response = post(ops_client, BASE + path, {"owner": "admin@example.com"})

    assert response.status_code == 403
    assert app.test_client().get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 200


# All keys


def test_all_keys_lists_every_key_with_its_owner(app: Flask, admin_client: FlaskClient) -> None:
    make_key(app, "admin@example.com", "Admin deploy")
    make_key(app, "ops@example.com", "Ops backup", revoked=True)
    make_key(app, "ops@example.com", "Ops deploy")

    page = words(admin_client.get(f"{BASE}/all"))

    assert "All keys" in page and "3 of 3 keys" in page
    assert "Admin deploy Ada Admin admin@example.com" in page
    assert "Ops deploy Otto Ops ops@example.com" in page
    assert "Ops backup Otto Ops" in page


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("owner=ops@example.com", ["Ops deploy", "Ops backup"]),
        ("owner=admin@example.com", ["Admin deploy"]),
        ("q=deploy", ["Ops deploy", "Admin deploy"]),
        ("q=deploy&owner=ops@example.com", ["Ops deploy"]),
        ("status=revoked", ["Ops backup"]),
        ("sort=title&dir=asc", ["Admin deploy", "Ops backup", "Ops deploy"]),
        ("owner=ops@example.com&status=active", ["Ops deploy"]),
    ],
)
def test_all_keys_has_the_lists_search_filters_and_sort_and_an_owner_filter(
    app: Flask, admin_client: FlaskClient, query: str, titles: list[str]
) -> None:
    make_key(app, "admin@example.com", "Admin deploy")
    make_key(app, "ops@example.com", "Ops backup", revoked=True)
    make_key(app, "ops@example.com", "Ops deploy")

    html = text(admin_client.get(f"{BASE}/all?{query}"))

    assert re.findall(r'class="sk-row-link" href="[^"]+">([^<]+)</a>', html) == titles


def test_all_keys_links_keep_the_owner_filter(app: Flask, admin_client: FlaskClient) -> None:
    for number in range(3):
        make_key(app, "ops@example.com", f"Ops {number}", revoked=True)

    html = text(admin_client.get(f"{BASE}/all?owner=ops@example.com"))

    assert f'href="{BASE}/all?sort=title&amp;dir=asc&amp;owner=ops@example.com"' in html


def test_an_owner_filter_naming_no_user_is_a_form_error(
    app: Flask, admin_client: FlaskClient
) -> None:
    make_key(app, "ops@example.com", "Ops deploy")

    for headers in ({}, {"HX-Request": "true"}):
        response = admin_client.get(f"{BASE}/all?owner=nobody@example.com", headers=headers)
        assert response.status_code == 200
        assert "Ops deploy" not in text(response)
    page = text(admin_client.get(f"{BASE}/all?owner=nobody@example.com"))
    assert "No user “nobody@example.com”." in page
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize("owner", ["\x00", "a" * 5000, "ops@example.com\u202e", "%"])
def test_odd_owner_filters_are_no_error(admin_client: FlaskClient, owner: str) -> None:
    assert admin_client.get(f"{BASE}/all", query_string={"owner": owner}).status_code == 200


def test_htmx_all_keys_gets_the_results_partial(app: Flask, admin_client: FlaskClient) -> None:
    make_key(app, "ops@example.com", "Ops deploy")

    response = admin_client.get(f"{BASE}/all?q=ops", headers={"HX-Request": "true"})

    html = text(response)
    assert html.lstrip().startswith('<div id="sk-results"')
    assert "Otto Ops" in html and 'hx-swap-oob="innerHTML"' in html


def test_all_keys_costs_two_statements_whatever_the_owners(
    app: Flask, service: KeyService, admin: User
) -> None:
    for number in range(12):
        user = User(email=f"admin{number}@example.com", name=f"Admin {number}", is_admin=True)
        user.password_hash = "not used"
        db.session.add(user)
        db.session.commit()
        service.create(user, f"Key {number}")
    db.session.expire_all()

    with count_statements(db.engine) as log:
        page = service.search_all(KeyQuery(per_page=10))
        owners = [key.owner.name for key in page.items]

    assert len(owners) == 10 and len(set(owners)) == 10
    assert len(log) == 2


# An overseer opens and revokes any key


def test_overseer_opens_another_users_key_and_may_only_revoke_it(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id, _token = make_key(app, "ops@example.com", "Ops deploy")

    response = admin_client.get(f"{BASE}/{key_id}")

    assert response.status_code == 200
    page = words(response)
    assert "Owner Otto Ops ops@example.com" in page
    assert f'href="{BASE}/all"' in text(response)
    assert f'href="{BASE}/{key_id}/revoke"' in text(response)
    assert f'href="{BASE}/{key_id}/edit"' not in text(response)
    assert f'href="{BASE}/{key_id}/delete"' not in text(response)
    assert admin_client.get(f"{BASE}/{key_id}/edit").status_code == 404
    assert admin_client.get(f"{BASE}/{key_id}/delete").status_code == 404


def test_an_overseer_identifies_any_users_key_and_sees_its_owner(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id, token = make_key(app, "ops@example.com", "Ops deploy")

    found = post(admin_client, f"{BASE}/identify", {"key": token})

    assert found.status_code == 303 and found.location == f"{BASE}/{key_id}"
    assert "Owner Otto Ops ops@example.com" in words(admin_client.get(found.location))
    missed = post(admin_client, f"{BASE}/identify", {"key": token[:-1] + "x"})
    assert missed.status_code == 422 and "No key matches." in words(missed)


def test_dialogs_and_notices_name_the_owner_of_another_users_key(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id, _token = make_key(app, "ops@example.com", "Ops deploy")
    own_id, _own = make_key(app, "admin@example.com", "Mine")

    theirs = words(admin_client.get(f"{BASE}/{key_id}/revoke"))
    mine = words(admin_client.get(f"{BASE}/{own_id}/revoke"))
    post(admin_client, f"{BASE}/{key_id}/revoke")
    notice = words(admin_client.get(f"{BASE}/{key_id}"))

    assert "Revoke Otto Ops’s key “Ops deploy”" in theirs
    assert "It stops being Otto Ops’s active key at once" in theirs
    assert "your" not in theirs.split("Revoke API key", 1)[1]
    assert "It stops being your active key at once" in mine
    assert "Otto Ops’s secret API key “Ops deploy” revoked." in notice


def test_all_keys_empty_states_speak_of_every_users_keys(admin_client: FlaskClient) -> None:
    nothing = words(admin_client.get(f"{BASE}/all"))
    no_match = words(admin_client.get(f"{BASE}/all?q=nothing"))

    assert "No user has a secret API key yet." in nothing
    assert "clear the filters to see every user’s keys" in no_match
    assert "your keys" not in nothing + no_match


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_overseer_revokes_another_users_key_and_is_recorded(
    app: Flask, admin_client: FlaskClient, ops_client: FlaskClient, htmx: bool
) -> None:
    key_id, token = make_key(app, "ops@example.com", "Ops deploy")
    headers = {"HX-Request": "true"} if htmx else {}

    response = post(admin_client, f"{BASE}/{key_id}/revoke", headers=headers)

    assert response.status_code == (200 if htmx else 303)
    assert app.test_client().get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 401
    owner_view = words(ops_client.get(f"{BASE}/{key_id}"))
    assert re.search(r"Revoked by Ada Admin, \d+ seconds? ago", owner_view)
    assert "Revoked by Ada Admin" in owner_view.split("Activity")[0]


def test_overseer_schedules_the_revocation_of_another_users_key(
    app: Flask, admin_client: FlaskClient
) -> None:
    key_id, token = make_key(app, "ops@example.com", "Ops deploy")

    response = post(admin_client, f"{BASE}/{key_id}/revoke", {"when": "1h"})

    assert response.status_code == 303
    assert "Otto Ops’s secret API key “Ops deploy” will be revoked in 1 hour." in words(
        admin_client.get(response.location)
    )
    assert app.test_client().get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 200


# Revoking every active key of one user


def test_revoke_all_counts_the_keys_still_working_shows(
    app: Flask, admin_client: FlaskClient
) -> None:
    make_key(app, "ops@example.com", "Old", revoked=True)
    with app.app_context():
        service = service_of(app)
        rolled, _ = service.create(get_user("ops@example.com"), "Rolled")
        service.roll(rolled, dt.timedelta(hours=1))  # "Rolled" revoking, its successor active

    listing = words(admin_client.get(f"{BASE}/all?owner=ops@example.com"))
    assert "Revoke all working keys of Otto Ops" in listing
    working = admin_client.get(f"{BASE}/all?owner=ops@example.com&status=working")
    confirm = words(admin_client.get(f"{BASE}/all/revoke?owner=ops@example.com"))

    assert "1–2 of 2 keys" in words(working)
    assert "Revoke 2 working keys of Otto Ops?" in confirm
    assert confirm.count("“Rolled”") == 2 and "“Old”" not in confirm
    assert "Revoke 2 keys" in confirm


def test_revoke_all_dialog_is_described_by_its_warning(
    app: Flask, admin_client: FlaskClient
) -> None:
    make_key(app, "ops@example.com", "Current")
    html = admin_client.get(
        f"{BASE}/all/revoke?owner=ops@example.com", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert re.search(r'<dialog [^>]*aria-describedby="sk-revoke-all-warning"', html)
    assert 'id="sk-revoke-all-warning"' in html


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_revoke_all_revokes_every_active_key_of_the_user(
    app: Flask, admin_client: FlaskClient, htmx: bool
) -> None:
    _admin_key, admin_token = make_key(app, "admin@example.com", "Admin's")
    key_id, token = make_key(app, "ops@example.com", "Current")
    headers = {"HX-Request": "true"} if htmx else {}

    response = post(
        admin_client, f"{BASE}/all/revoke", {"owner": "ops@example.com"}, headers=headers
    )

    target = f"{BASE}/all?owner=ops@example.com"
    if htmx:
        assert response.headers["HX-Redirect"] == target
    else:
        assert response.status_code == 303 and response.location == target
    api = app.test_client()
    assert api.get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 401
    assert api.get("/admin/api/me", headers={"X-Api-Key": admin_token}).status_code == 200
    assert "Revoked 1 working key of Otto Ops." in text(admin_client.get(target))
    with app.app_context():
        (event,) = [e for e in service_of(app).events_of(key_id) if e.event == "revoked"]
        assert (event.actor_kind, event.actor_name) == ("user", "Ada Admin")


def test_revoke_all_of_a_user_without_active_keys_says_so(
    app: Flask, admin_client: FlaskClient
) -> None:
    make_key(app, "ops@example.com", "Old", revoked=True)

    assert "Revoke all" not in words(admin_client.get(f"{BASE}/all?owner=ops@example.com"))
    assert "Otto Ops has no working keys." in words(
        admin_client.get(f"{BASE}/all/revoke?owner=ops@example.com")
    )


@pytest.mark.parametrize("owner", ["", "nobody@example.com"])
def test_revoke_all_of_an_unknown_user_is_404(admin_client: FlaskClient, owner: str) -> None:
    assert admin_client.get(f"{BASE}/all/revoke", query_string={"owner": owner}).status_code == 404
    assert post(admin_client, f"{BASE}/all/revoke", {"owner": owner}).status_code == 404


def test_revoke_all_needs_a_csrf_token(app: Flask, admin_client: FlaskClient) -> None:
    _key_id, token = make_key(app, "ops@example.com", "Current")
    admin_client.get(BASE)
    response = admin_client.post(f"{BASE}/all/revoke", data={"owner": "ops@example.com"})
    assert response.status_code == 400
    assert app.test_client().get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 200


def test_revoke_all_through_the_service_uses_one_transaction(
    app: Flask, service: KeyService, admin: User, ops: User
) -> None:
    service.create(ops, "Ops deploy")
    with count_statements(db.engine) as log:
        service.revoke_all(ops, actor=Actor.for_user(admin))
    assert len(log.matching("UPDATE")) == 1 and len(log.matching("INSERT")) == 1
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(service.model)
            .where(service.model.revoked_at.is_(None))
        ).scalar()
        == 0
    )

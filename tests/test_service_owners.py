"""A key never outlives its owner, on SQLite, PostgreSQL and MariaDB.

SQLite reuses the highest row id, and ignores ``ON DELETE CASCADE`` unless
foreign keys are turned on: a key that survived its owner would log in the
next user given the same id. Each test deletes an owner, gives a new user the
same id, and checks that the old key is refused and the new user has no keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.security import generate_password_hash

from example_app.models import User, db
from tests.helpers import get_user, is_server_database, log_in, service_of
from tests.host import FAST_PASSWORD_METHOD


def delete_by_orm(user: User) -> None:
    db.session.delete(user)
    db.session.commit()


def delete_by_core(user: User) -> None:
    user_id = user.id
    db.session.expunge(user)
    db.session.execute(sa.delete(User).where(User.id == user_id))
    db.session.commit()


DELETIONS: dict[str, Callable[[User], None]] = {"orm": delete_by_orm, "core": delete_by_core}


def key_rows(app: Flask) -> int:
    with app.app_context():
        table = service_of(app).model.__table__  # type: ignore[attr-defined]
        return int(db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def newcomer_with_the_id_of(user_id: int) -> None:
    """A new admin who gets the deleted owner's id, as SQLite would hand it out."""
    newcomer = User(id=user_id, email="newcomer@example.com", name="New Comer", is_admin=True)
    newcomer.password_hash = generate_password_hash("newcomer", FAST_PASSWORD_METHOD)
    db.session.add(newcomer)
    db.session.commit()


@pytest.mark.parametrize("deletion", DELETIONS)
def test_a_deleted_owners_key_is_refused_and_not_inherited(app: Flask, deletion: str) -> None:
    with app.app_context():
        owner = get_user("viewer@example.com")
        owner.is_admin = True
        db.session.commit()
        _key, token = service_of(app).create(owner, "Leaves with the owner")
        owner_id = owner.id
    client = app.test_client()
    assert client.get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 200

    with app.app_context():
        DELETIONS[deletion](get_user("viewer@example.com"))
        newcomer_with_the_id_of(owner_id)
        newcomer = get_user("newcomer@example.com")
        assert service_of(app).keys_of(newcomer) == []
        assert service_of(app).active_key(newcomer) is None

    refused = client.get("/admin/api/me", headers={"X-Api-Key": token})
    assert refused.status_code == 401
    assert refused.json is not None and refused.json["error"] == "invalid_api_key"
    assert key_rows(app) == 0

    pages = app.test_client()
    log_in(pages, "newcomer@example.com", "newcomer")
    listing = pages.get("/settings/secret-api-keys").get_data(as_text=True)
    assert "Leaves with the owner" not in listing
    with app.app_context():
        _key, fresh = service_of(app).create(get_user("newcomer@example.com"), "Mine")
    assert pages.get("/admin/api/me", headers={"X-Api-Key": fresh}).json == {
        "id": owner_id,
        "email": "newcomer@example.com",
    }


def test_sqlite_foreign_keys_are_on_for_every_connection(app: Flask) -> None:
    if is_server_database():
        pytest.skip("foreign keys are always enforced on PostgreSQL and MariaDB")
    with app.app_context():
        for _ in range(3):
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_without_foreign_keys_a_key_whose_owner_is_gone_is_refused(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that turns SQLite's foreign keys off still gets no key without an owner."""
    if is_server_database():
        pytest.skip("foreign keys cannot be turned off on PostgreSQL and MariaDB here")
    app = make_app(SECRET_KEYS_SQLITE_FOREIGN_KEYS=False)
    with app.app_context():
        _key, token = service_of(app).create(get_user("ops@example.com"), "Orphan")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        delete_by_core(get_user("ops@example.com"))
    rejected: list[Any] = []

    from flask_secret_keys.signals import key_rejected

    with key_rejected.connected_to(lambda sender, **kw: rejected.append(kw["reason"]), app):
        response = app.test_client().get("/admin/api/me", headers={"X-Api-Key": token})

    assert key_rows(app) == 1
    assert response.status_code == 401
    assert rejected == ["owner_missing"]

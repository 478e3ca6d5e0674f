"""Host user models: integer and UUID primary keys, custom names, custom predicates.

Two hosts, each with its own ``db``: one whose users live in ``accounts``
with an integer primary key named ``account_id``, a role column instead of
``is_admin`` and login by username; one whose users live in ``people`` with a
UUID primary key. Both name the key table themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import LoginManager, UserMixin
from flask_wtf import CSRFProtect
from sqlalchemy import orm

from flask_secret_keys import NotAnAdmin, SecretKeys
from tests.helpers import csrf_token, database_url, key_headers, new_db, service_of
from tests.host import add_host_routes, create_key, create_key_in_pages, fresh_tables, log_in_host

# A host with integer ids under a custom name, roles and usernames.


account_db = new_db()


class Account(UserMixin, account_db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "accounts"

    account_id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    username: orm.Mapped[str] = orm.mapped_column(sa.String(80), unique=True)
    role: orm.Mapped[str] = orm.mapped_column(sa.String(20))

    def get_id(self) -> str:
        return str(self.account_id)


def find_account(username: str) -> Account | None:
    return account_db.session.execute(
        sa.select(Account).where(Account.username == username)
    ).scalar_one_or_none()


account_keys = SecretKeys(
    db=account_db,
    user_model=Account,
    is_admin=lambda account: account.role in ("owner", "admin"),
    find_user=find_account,
    table_name="account_api_keys",
)
account_login = LoginManager()


@account_login.user_loader
def load_account(user_id: str) -> Account | None:
    return account_db.session.get(Account, int(user_id))


# A host with UUID ids.


person_db = new_db()


class Person(UserMixin, person_db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "people"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    email: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    is_admin: orm.Mapped[bool] = orm.mapped_column(default=False)


person_keys = SecretKeys(db=person_db, user_model=Person, table_name="person_tokens")
person_login = LoginManager()


@person_login.user_loader
def load_person(user_id: str) -> Person | None:
    return person_db.session.get(Person, uuid.UUID(user_id))


def find_person(email: str) -> Person | None:
    return person_db.session.execute(
        sa.select(Person).where(Person.email == email)
    ).scalar_one_or_none()


@dataclass
class Host:
    """One of the hosts above, built for a test; ``ids`` maps login names to user ids."""

    app: Flask
    db: Any
    ext: SecretKeys
    ids: dict[str, Any]
    admin: str
    non_admin: str


def build_app(
    db: Any, login: LoginManager, ext: SecretKeys, find: Callable[[str], Any], url: str
) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="models-secret", TESTING=True, SQLALCHEMY_DATABASE_URI=url)
    db.init_app(app)
    login.init_app(app)
    CSRFProtect(app)
    ext.init_app(app)
    add_host_routes(app, find)
    return app


def account_users() -> list[Account]:
    return [
        Account(username="olga", role="owner"),
        Account(username="adam", role="admin"),
        Account(username="sam", role="support"),
    ]


def person_users() -> list[Person]:
    return [
        Person(email="pia@people.test", is_admin=True),
        Person(email="pat@people.test", is_admin=True),
        Person(email="quinn@people.test", is_admin=False),
    ]


HOSTS: dict[str, tuple[Any, ...]] = {
    "integer-pk": (
        account_db,
        account_login,
        account_keys,
        find_account,
        account_users,
        "olga",
        "sam",
    ),
    "uuid-pk": (
        person_db,
        person_login,
        person_keys,
        find_person,
        person_users,
        "pia@people.test",
        "quinn@people.test",
    ),
}


@pytest.fixture(params=list(HOSTS))
def host(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Host]:
    db, login, ext, find, users, admin, non_admin = HOSTS[request.param]
    app = build_app(db, login, ext, find, database_url(tmp_path))
    with fresh_tables(app, db):
        with app.app_context():
            made = users()
            db.session.add_all(made)
            db.session.commit()
            ids = {
                getattr(user, "username", None) or user.email: ext.user_id(user) for user in made
            }
        yield Host(app, db, ext, ids, admin, non_admin)


def test_key_authenticates_its_owner(host: Host) -> None:
    key_id, token = create_key(host.app, host.ext, host.ids[host.admin])

    response = host.app.test_client().get("/api/whoami", headers=key_headers("bearer", token))

    assert response.status_code == 200
    assert response.json == {"id": str(host.ids[host.admin]), "key_id": key_id}


def test_host_admin_predicate_decides_who_may_have_a_key(host: Host) -> None:
    with host.app.app_context(), pytest.raises(NotAnAdmin):
        user = host.db.session.get(host.ext.user_model, host.ids[host.non_admin])
        service_of(host.app, host.ext).create(user, "Not allowed")


def test_key_of_a_demoted_user_stops_working(host: Host) -> None:
    _, token = create_key(host.app, host.ext, host.ids[host.admin])
    with host.app.app_context():
        user = host.db.session.get(host.ext.user_model, host.ids[host.admin])
        if isinstance(user, Account):
            user.role = "support"
        else:
            user.is_admin = False
        host.db.session.commit()

    response = host.app.test_client().get("/api/whoami", headers=key_headers("bearer", token))

    assert response.status_code == 401


def test_key_table_references_the_host_user_table(host: Host) -> None:
    table = host.ext.Key.__table__  # type: ignore[attr-defined]
    user_pk = sa.inspect(host.ext.user_model).primary_key[0]

    assert table.name in ("account_api_keys", "person_tokens")
    for column in ("user_id", "revoked_by_id"):
        (fk,) = table.c[column].foreign_keys
        assert fk.column is user_pk
        assert type(table.c[column].type) is type(user_pk.type)
    assert type(table.c.active_owner_id.type) is type(user_pk.type)
    with host.app.app_context():
        names = set(sa.inspect(host.db.engine).get_table_names())
    assert {table.name, user_pk.table.name} <= names


def test_cli_creates_a_key_for_a_user_found_the_host_way(host: Host) -> None:
    result = host.app.test_cli_runner().invoke(
        args=["secret-keys", "create", "--user", host.admin, "--title", "Deploy bot"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]

    response = host.app.test_client().get("/api/whoami", headers=key_headers("custom", token))

    assert response.status_code == 200
    assert response.json is not None and response.json["id"] == str(host.ids[host.admin])


def test_one_active_key_per_user_holds_for_the_host_key_type(host: Host) -> None:
    create_key(host.app, host.ext, host.ids[host.admin])
    with host.app.app_context():
        Key = host.ext.Key
        session = host.db.session
        owner = host.ids[host.admin]
        session.add(
            Key(
                user_id=owner,
                active_owner_id=owner,
                title="Sneaked in",
                redacted="sk_x…y",
                token_hash="f" * 64,
            )
        )
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()
        session.rollback()


PAGES = "/settings/secret-api-keys"


def test_pages_manage_the_keys_of_host_users(host: Host) -> None:
    client = host.app.test_client()
    log_in_host(client, host.admin)
    token = create_key_in_pages(client, PAGES, "Made in the pages")
    api = host.app.test_client()

    me = api.get("/api/whoami", headers=key_headers("bearer", token))
    assert me.status_code == 200 and me.json is not None
    assert me.json["id"] == str(host.ids[host.admin])
    key_id = me.json["key_id"]
    assert "Made in the pages" in client.get(f"{PAGES}/{key_id}").get_data(as_text=True)
    revoked = client.post(
        f"{PAGES}/{key_id}/revoke",
        data={"csrf_token": csrf_token(client, f"{PAGES}/{key_id}/revoke")},
    )
    assert revoked.status_code == 303
    assert api.get("/api/whoami", headers=key_headers("bearer", token)).status_code == 401


def test_pages_refuse_users_the_host_predicate_refuses(host: Host) -> None:
    client = host.app.test_client()
    log_in_host(client, host.non_admin)

    assert client.get(PAGES).status_code == 403

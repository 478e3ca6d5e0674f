"""The rules of keys, enforced by the service layer and by the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from example_app.models import User, db
from flask_secret_keys import (
    ActiveKeyExists,
    Actor,
    InvalidTitle,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyNotRevoked,
    KeyQuery,
    KeyService,
    NotAnAdmin,
    crypto,
    signals,
)
from tests.helpers import count_statements, fixed_tokens, key_in_state


def test_create_returns_the_key_and_its_plaintext_once(service: KeyService, admin: User) -> None:
    key, token = service.create(admin, "  Deploy bot  ")
    assert key.title == "Deploy bot"
    assert key.is_active and key.status == "active"
    assert key.user_id == admin.id
    assert key.token_hash == crypto.hash_token(token)
    assert key.redacted == crypto.redact(token)
    assert key.created_at.tzinfo is not None
    assert key.last_used_at is None


def test_plaintext_is_stored_nowhere(service: KeyService, admin: User) -> None:
    _key, token = service.create(admin, "CI")
    rows = db.session.execute(sa.select(service.model.__table__)).all()  # type: ignore[attr-defined]
    stored = " ".join(str(value) for row in rows for value in row)
    assert token not in stored
    assert token[3:46] not in stored


def test_one_active_key_per_user(service: KeyService, admin: User, ops: User) -> None:
    first, _ = service.create(admin, "First")
    with pytest.raises(ActiveKeyExists) as excinfo:
        service.create(admin, "Second")
    assert excinfo.value.key.id == first.id
    assert excinfo.value.key is not None and excinfo.value.key.id == first.id
    assert "Revoke it" in str(excinfo.value)
    service.create(ops, "Another user's key")  # other users are not affected


def test_a_new_key_can_be_created_after_revoking(service: KeyService, admin: User) -> None:
    first, _ = service.create(admin, "First")
    service.revoke(first, actor=Actor.for_user(admin))
    second, _ = service.create(admin, "Second")
    assert second.is_active
    assert [k.id for k in service.keys_of(admin)] == [second.id, first.id]


def test_non_admins_cannot_have_keys(service: KeyService, viewer: User) -> None:
    with pytest.raises(NotAnAdmin):
        service.create(viewer, "Nope")


def test_revoke_records_when_and_by_whom(service: KeyService, admin: User, ops: User) -> None:
    key, _ = service.create(admin, "K")
    service.revoke(key, actor=Actor.for_user(ops))
    db.session.expire_all()
    key = service.key_of(admin, key.id)
    assert key.status == "revoked"
    assert key.revoked_at is not None
    assert key.revoked_by_id == ops.id
    assert key.revoked_by.email == "ops@example.com"
    assert key.active_owner_id is None


def test_revoking_twice_is_an_error(service: KeyService, admin: User) -> None:
    key, _ = service.create(admin, "K")
    service.revoke(key, actor=Actor.for_user(admin))
    revoked_at = service.key_of(admin, key.id).revoked_at
    with pytest.raises(KeyAlreadyRevoked):
        service.revoke(key, actor=Actor.for_user(admin))
    assert service.key_of(admin, key.id).revoked_at == revoked_at


def test_an_active_key_cannot_be_deleted(service: KeyService, admin: User) -> None:
    key, _ = service.create(admin, "K")
    with pytest.raises(KeyNotRevoked):
        service.delete(key)
    assert service.key_of(admin, key.id).is_active


def test_a_revoked_key_can_be_deleted(service: KeyService, admin: User) -> None:
    key, _ = service.create(admin, "K")
    key_id = key.id
    service.revoke(key, actor=Actor.for_user(admin))
    service.delete(key)
    with pytest.raises(KeyNotFound):
        service.key_of(admin, key_id)
    with pytest.raises(KeyNotFound):
        service.delete(key)


def test_other_users_keys_are_not_found(service: KeyService, admin: User, ops: User) -> None:
    key, _ = service.create(admin, "K")
    with pytest.raises(KeyNotFound):
        service.key_of(ops, key.id)
    with pytest.raises(KeyNotFound):
        service.key_of(admin, key.id + 1000)


def test_rename_changes_only_the_title(service: KeyService, admin: User) -> None:
    key, token = service.create(admin, "Old")
    before = (key.token_hash, key.redacted, key.created_at, key.updated_at)
    service.rename(key, " New ")
    db.session.expire_all()
    key = service.key_of(admin, key.id)
    assert key.title == "New"
    assert (key.token_hash, key.redacted, key.created_at) == before[:3]
    assert key.updated_at >= before[3]
    assert service.authenticate(token) is not None
    with pytest.raises(InvalidTitle):
        service.rename(key, "")


def test_a_revoked_key_can_still_be_renamed(service: KeyService, admin: User) -> None:
    key, _ = service.create(admin, "Old")
    service.revoke(key, actor=Actor.for_user(admin))
    service.rename(key, "Retired")
    assert service.key_of(admin, key.id).title == "Retired"


def assert_database_refuses(
    service: KeyService,
    owner: User,
    error: type[Exception] | tuple[type[Exception], ...] = IntegrityError,
    **columns: Any,
) -> None:
    """A key row of ``owner`` written behind the service's back: the database refuses it."""
    db.session.add(
        service.model(user_id=owner.id, active_owner_id=owner.id, redacted="x", **columns)
    )
    with pytest.raises(error):
        db.session.commit()
    db.session.rollback()


def test_database_refuses_a_second_active_key(service: KeyService, admin: User) -> None:
    service.create(admin, "First")
    assert_database_refuses(service, admin, title="Sneaky", token_hash="0" * 64)


def test_database_refuses_a_revoked_key_that_claims_to_be_active(
    service: KeyService, admin: User
) -> None:
    assert_database_refuses(
        service,
        admin,
        # MariaDB reports a failed CHECK as an OperationalError, the others as IntegrityError.
        (IntegrityError, OperationalError),
        title="Odd",
        token_hash="1" * 64,
        revoked_at=dt.datetime.now(dt.timezone.utc),
    )


def test_database_refuses_a_duplicate_hash(service: KeyService, admin: User, ops: User) -> None:
    key, _ = service.create(admin, "K")
    assert_database_refuses(service, ops, title="Copy", token_hash=key.token_hash)


def test_a_secret_drawn_twice_is_never_given_to_a_second_key(
    service: KeyService, admin: User, ops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Astronomically unlikely, but then the create fails: the other user does not get a
    key that authenticates as the first one's."""
    token = crypto.generate_token()
    monkeypatch.setattr(crypto, "generate_token", lambda prefix=crypto.DEFAULT_PREFIX: token)
    first, _ = service.create(admin, "K")

    with pytest.raises(IntegrityError):
        service.create(ops, "Same secret")

    assert service.keys_of(ops) == []
    assert service.authenticate(token) == first


# Authentication


def test_authenticate_returns_the_key_with_its_owner(service: KeyService, admin: User) -> None:
    key, token = service.create(admin, "K")
    found = service.authenticate(token)
    assert found is not None and found.id == key.id
    assert found.owner.email == "admin@example.com"


def test_malformed_tokens_never_reach_the_database(
    app: Flask, service: KeyService, admin: User
) -> None:
    _key, token = service.create(admin, "K")
    bad = token[:-1] + ("A" if token[-1] != "A" else "B")
    with count_statements(db.engine) as log:
        assert service.authenticate(bad) is None
        assert service.authenticate("") is None
        assert service.authenticate("sk_" + "A" * 10_000) is None
    assert len(log) == 0


def test_authentication_is_one_lookup(service: KeyService, admin: User) -> None:
    _key, token = service.create(admin, "K")
    service.authenticate(token)  # first use writes last_used_at
    db.session.commit()  # a new transaction sees other connections' writes
    with count_statements(db.engine) as log:
        assert service.authenticate(token) is not None
    assert len(log) == 1
    assert "token_hash" in log.statements[0]


@pytest.mark.parametrize("state", ["revoked", "deleted", "inactive_user", "not_admin"])
def test_keys_that_must_not_authenticate(service: KeyService, admin: User, state: str) -> None:
    token = key_in_state(service, admin, state)
    assert service.authenticate(token) is None


def test_an_unknown_key_does_not_authenticate(service: KeyService, admin: User) -> None:
    service.create(admin, "K")
    assert service.authenticate(crypto.generate_token()) is None


def test_last_used_is_written_at_most_once_per_interval(service: KeyService, admin: User) -> None:
    key, token = service.create(admin, "K")
    with count_statements(db.engine) as log:
        for _ in range(20):
            assert service.authenticate(token) is not None
    assert len(log.matching("UPDATE")) == 1
    db.session.commit()  # a new transaction sees other connections' writes
    assert service.key_of(admin, key.id).last_used_at is not None


def test_last_used_is_written_again_after_the_interval(service: KeyService, admin: User) -> None:
    key, token = service.create(admin, "K")
    service.authenticate(token)
    db.session.commit()  # a new transaction sees other connections' writes
    first = service.key_of(admin, key.id).last_used_at
    assert first is not None
    # Age the recorded use past the interval, as if a minute had gone by.
    older = first - service.store.last_used_interval - dt.timedelta(seconds=1)
    db.session.execute(
        sa.update(service.model).where(service.model.id == key.id).values(last_used_at=older)
    )
    db.session.commit()
    with count_statements(db.engine) as log:
        service.authenticate(token)
    assert len(log.matching("UPDATE")) == 1
    db.session.commit()  # a new transaction sees other connections' writes
    last = service.key_of(admin, key.id).last_used_at
    assert last is not None and last > older


# Listing


@pytest.fixture
def many_keys(
    service: KeyService, admin: User, ops: User, monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    """Five revoked keys and one active key for admin, one key for ops.

    Their secrets are fixed: a search such as "alp" could otherwise match a random
    key's redacted form.
    """
    fixed_tokens(monkeypatch)
    keys = []
    for title in ["Alpha", "Bravo", "Charlie 100%", "Delta_x", "Echo"]:
        key, _ = service.create(admin, title)
        service.revoke(key, actor=Actor.for_user(admin))
        keys.append(key)
    active, _ = service.create(admin, "Zulu live")
    keys.append(active)
    service.create(ops, "Alpha of ops")
    return keys


def _titles(service: KeyService, user: User, **query: Any) -> list[str]:
    return [k.title for k in service.search(user, KeyQuery(**query)).items]


def test_list_shows_only_the_users_keys(
    service: KeyService, admin: User, many_keys: list[Any]
) -> None:
    page = service.search(admin, KeyQuery())
    assert page.total == 6
    assert "Alpha of ops" not in [k.title for k in page.items]


def test_list_search_matches_title_and_redacted_form(
    service: KeyService, admin: User, many_keys: list[Any]
) -> None:
    assert _titles(service, admin, search="alp") == ["Alpha"]
    assert _titles(service, admin, search="100%") == ["Charlie 100%"]
    assert _titles(service, admin, search="a_x") == ["Delta_x"]
    assert _titles(service, admin, search="%") == ["Charlie 100%"]
    redacted = many_keys[1].redacted
    assert _titles(service, admin, search=redacted) == ["Bravo"]
    assert _titles(service, admin, search="nothing like it") == []


def test_list_status_filter(service: KeyService, admin: User, many_keys: list[Any]) -> None:
    assert _titles(service, admin, status="active") == ["Zulu live"]
    assert len(_titles(service, admin, status="revoked")) == 5
    assert len(_titles(service, admin, status="all")) == 6


def test_list_created_date_filter(service: KeyService, admin: User, many_keys: list[Any]) -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    assert len(_titles(service, admin, created_from=today, created_to=today)) == 6
    assert _titles(service, admin, created_from=today + dt.timedelta(days=1)) == []
    assert _titles(service, admin, created_to=today - dt.timedelta(days=1)) == []


def test_list_sorts(service: KeyService, admin: User, many_keys: list[Any]) -> None:
    by_title = _titles(service, admin, sort="title", direction="asc")
    assert by_title == sorted(by_title)
    assert _titles(service, admin, sort="title", direction="desc") == by_title[::-1]
    newest_first = _titles(service, admin)
    assert newest_first[0] == "Zulu live"
    # Keys never revoked (empty values) come last in both directions.
    assert _titles(service, admin, sort="revoked", direction="asc")[-1] == "Zulu live"
    assert _titles(service, admin, sort="revoked", direction="desc")[-1] == "Zulu live"
    assert _titles(service, admin, sort="last_used")  # all empty: still a full list


def test_list_paginates(service: KeyService, admin: User, many_keys: list[Any]) -> None:
    first = service.search(admin, KeyQuery(sort="title", direction="asc", per_page=4))
    second = service.search(admin, KeyQuery(sort="title", direction="asc", per_page=4, page=2))
    assert (first.total, first.pages) == (6, 2)
    assert len(first.items) == 4 and len(second.items) == 2
    assert not {k.id for k in first.items} & {k.id for k in second.items}
    beyond = service.search(admin, KeyQuery(page=9, per_page=4))
    assert beyond.items == []


def test_list_costs_two_statements(service: KeyService, admin: User, many_keys: list[Any]) -> None:
    db.session.expire_all()
    assert admin.id  # the current user is loaded before a list is asked for
    with count_statements(db.engine) as log:
        service.search(admin, KeyQuery(search="a", status="revoked", sort="title"))
    assert len(log) == 2


# Signals


def test_signals_carry_no_secrets(app: Flask, service: KeyService, admin: User) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    def receiver(name: str) -> Any:
        def receive(sender: Flask, **kwargs: Any) -> None:
            assert sender is app
            received.append((name, kwargs))

        return receive

    handlers = {
        name: receiver(name)
        for name in ("created", "title_changed", "revoked", "deleted", "authenticated", "rejected")
    }
    connections = [(getattr(signals, f"key_{name}"), handler) for name, handler in handlers.items()]
    for signal, handler in connections:
        signal.connect(handler, app)
    try:
        key, token = service.create(admin, "K")
        service.authenticate(token)
        service.authenticate(token[:-1] + "!")
        service.rename(key, "K2")
        service.revoke(key, actor=Actor.for_user(admin))
        service.authenticate(token)
        service.delete(key)
    finally:
        for signal, handler in connections:
            signal.disconnect(handler, app)

    names = [name for name, _ in received]
    assert names == [
        "created",
        "authenticated",
        "rejected",
        "title_changed",
        "revoked",
        "rejected",
        "deleted",
    ]
    assert [kw["reason"] for name, kw in received if name == "rejected"] == ["malformed", "revoked"]
    assert received[3][1]["old_title"] == "K"
    carried = repr(received)
    assert token not in carried
    assert crypto.hash_token(token) not in carried


# Identifying a key from its secret


def test_identify_finds_the_owners_key_active_or_revoked_in_one_lookup(
    service: KeyService, admin: User
) -> None:
    key, token = service.create(admin, "K")
    service.revoke(key, actor=Actor.for_user(admin))
    db.session.commit()  # a new transaction sees other connections' writes
    assert admin.id  # reloaded after the commit, outside the count
    with count_statements(db.engine) as log:
        found = service.identify(admin, token)
    assert found is not None and found.id == key.id
    assert len(log) == 1 and "token_hash" in log.statements[0]
    assert service.key_of(admin, key.id).last_used_at is None


def test_identify_treats_another_users_key_like_an_unknown_one(
    service: KeyService, admin: User, ops: User
) -> None:
    _key, token = service.create(ops, "Theirs")
    assert service.identify(admin, token) is None
    assert service.identify(admin, crypto.generate_token()) is None


@pytest.mark.parametrize("text", ["", "sk_", "not a key", "sk_" + "A" * 10_000])
def test_identify_refuses_malformed_secrets_without_a_statement(
    service: KeyService, admin: User, text: str
) -> None:
    _key, token = service.create(admin, "K")
    with count_statements(db.engine) as log:
        assert service.identify(admin, text) is None
        assert service.identify(admin, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert len(log) == 0

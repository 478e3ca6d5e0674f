"""The ``flask secret-keys`` command group."""

from __future__ import annotations

from flask import Flask

from flask_secret_keys import crypto


def run(app: Flask, *args: str) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=["secret-keys", *args])
    return result.exit_code, result.stdout, result.stderr


def test_create_prints_the_key_alone_on_the_last_line(app: Flask) -> None:
    code, out, err = run(app, "create", "--user", "admin@example.com", "--title", "CI")
    assert code == 0, err
    token = out.splitlines()[-1]
    assert crypto.is_well_formed(token)
    assert "will not be shown again" in err
    response = app.test_client().get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json == {"id": 1, "email": "admin@example.com"}


def test_create_refuses_unknown_users_non_admins_and_a_second_key(app: Flask) -> None:
    code, _out, err = run(app, "create", "--user", "nobody@example.com", "--title", "X")
    assert code == 1 and "No user 'nobody@example.com'" in err
    code, out, err = run(app, "create", "--user", "viewer@example.com", "--title", "X")
    assert code == 1 and "Only admin users" in err and out == ""
    assert run(app, "create", "--user", "ops@example.com", "--title", "X")[0] == 0
    code, out, err = run(app, "create", "--user", "ops@example.com", "--title", "Y")
    assert code == 1 and "Revoke it before creating a new one" in err and out == ""


def test_create_refuses_an_empty_title(app: Flask) -> None:
    code, _out, err = run(app, "create", "--user", "admin@example.com", "--title", "  ")
    assert code == 1 and "Enter a title" in err


def test_list_shows_redacted_keys_only(app: Flask) -> None:
    assert "has no secret API keys" in run(app, "list", "--user", "admin@example.com")[1]
    token = run(app, "create", "--user", "admin@example.com", "--title", "Deploy")[1].split()[-1]
    code, out, _err = run(app, "list", "--user", "admin@example.com")
    assert code == 0
    assert crypto.redact(token) in out and "Deploy" in out and "active" in out
    assert token not in out


def test_revoke_then_delete(app: Flask) -> None:
    token = run(app, "create", "--user", "admin@example.com", "--title", "K")[1].split()[-1]
    client = app.test_client()
    assert client.get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 200

    code, _out, err = run(app, "delete", "1")
    assert code == 1 and "Revoke this secret API key before deleting it" in err

    code, out, _err = run(app, "revoke", "1")
    assert code == 0 and "Revoked secret API key 1" in out
    assert client.get("/admin/api/me", headers={"X-Api-Key": token}).status_code == 401

    code, _out, err = run(app, "revoke", "1")
    assert code == 1 and "already revoked" in err

    code, out, _err = run(app, "delete", "1")
    assert code == 0 and "Deleted secret API key 1" in out
    assert "has no secret API keys" in run(app, "list", "--user", "admin@example.com")[1]


def test_unknown_key_ids_are_clear_errors(app: Flask) -> None:
    for command in ("revoke", "delete"):
        code, _out, err = run(app, command, "42")
        assert code == 1 and "No such secret API key" in err

"""The example app as shipped: it starts the way the README runs it, and its login sends
a user on only to a path of its own site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

import example_app
from example_app import flask_admin_host
from example_app.models import db
from tests.helpers import csrf_token, database_url, log_in, run_cli


@pytest.mark.parametrize(
    ("create_app", "pages"),
    [
        (example_app.create_app, "/settings/secret-api-keys"),
        (flask_admin_host.create_app, "/admin/settings/secret-api-keys"),
    ],
    ids=["main", "flask-admin"],
)
def test_the_example_starts_with_its_config_from_the_environment(
    create_app: Callable[[], Flask], pages: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``flask --app example_app run``: its schema and demo users made at start, a key
    created from the command line and used on its Admin API, its pages for a demo admin."""
    monkeypatch.setenv("DATABASE_URL", database_url(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    try:
        assert app.config["SECRET_KEY"] == "from-the-environment"
        code, out, err = run_cli(app, "create", "--user", "ops@example.com", "--title", "CI")
        assert code == 0, err
        api = app.test_client().get("/admin/api/me", headers={"X-Api-Key": out.split()[-1]})
        assert api.json is not None and api.json["email"] == "ops@example.com"

        client = app.test_client()
        log_in(client, "admin@example.com", "admin")  # the demo password, as the README says
        assert client.get(pages).status_code == 200
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/%00/evil.example",
    "/%20/evil.example",
    "/%7f/evil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "%5C%5Cevil.example",
    "%20//evil.example",
    "https://evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
]

SAME_SITE = [
    "/settings/secret-api-keys",
    "/settings/secret-api-keys?q=deploy&status=active",
    "/settings/secret-api-keys/3/edit",
    "/a/b//c",
]


def log_in_with_next(client: FlaskClient, raw_next: str) -> str:
    response = client.post(
        f"/login?next={raw_next}",
        data={
            "email": "admin@example.com",
            "password": "admin",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("raw_next", OFF_SITE)
def test_next_leading_off_site_goes_to_the_dashboard(client: FlaskClient, raw_next: str) -> None:
    assert log_in_with_next(client, raw_next) == "/"


@pytest.mark.parametrize("target", SAME_SITE)
def test_next_on_this_site_is_followed(client: FlaskClient, target: str) -> None:
    assert log_in_with_next(client, quote(target, safe="")) == target


def test_the_example_tries_github_s_secret_scanning_with_its_own_key_pair(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's local trial: the example publishes a key pair of its own (made in its
    instance folder), and ``leak-trial`` posts a signed alert that revokes the key."""
    from tests.helpers import serve

    monkeypatch.setenv("DATABASE_URL", database_url(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = example_app.create_app()
    app.instance_path = str(tmp_path)  # the trial key pair lands here, not in the checkout
    try:
        code, out, err = run_cli(app, "create", "--user", "ops@example.com", "--title", "CI")
        assert code == 0, err
        token = out.split()[-1]
        with serve(app) as url:
            monkeypatch.setattr(example_app.leak_trial, "SERVER", url)
            app.extensions["secret_keys"].github_keys.url = f"{url}/dev/github-public-keys"
            result = app.test_cli_runner().invoke(args=["leak-trial", token])
        assert result.exit_code == 0, result.output
        assert '"label": "true_positive"' in result.output
        assert token not in result.output
        api = app.test_client().get("/admin/api/me", headers={"X-Api-Key": token})
        assert api.status_code == 401
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()

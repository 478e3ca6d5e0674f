"""The example's login sends a user on only to a path of its own site."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.conftest import csrf_token

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

"""Item 2: the cost of one Admin API request by the way it is authenticated.

The example app's ``GET /admin/api/me`` is called through Flask's test client
(the whole WSGI app, without a network) with a session cookie, with the key as
``Bearer``, as ``Basic base64(key:)`` and in ``X-Api-Key``; the public twin
endpoint, which returns the same answer without authentication, is the floor.

Restricted keys: ``GET /admin/api/catalog`` (``catalog:read``) with a Full access
key and with a Restricted one (``catalog:read`` from 127.0.0.0/8), in the same
rounds; their ratio is what the permission and network check costs.
"""

from __future__ import annotations

import base64
import re
import statistics
import time
from collections.abc import Sequence

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from example_app.extensions import secret_keys
from example_app.models import User, db
from flask_secret_keys import Reach

from .environment import ADMIN_EMAIL, ADMIN_PASSWORD, API_PATH, PUBLIC_PATH, Seeded
from .report import Result
from .stats import Batch, interleaved, method, ratio, spread, summary, times, timing

_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def session_client(
    app: Flask, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> FlaskClient:
    """A test client logged in through the login form, as the demo admin by default."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = _CSRF_FIELD.search(page)
    assert match, "the login page has no CSRF field"
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
    )
    assert response.status_code == 302, response.status_code
    return client


def request_batch(
    client: FlaskClient,
    path: str,
    headers: dict[str, str],
    calls: int,
    query_string: dict[str, str] | None = None,
) -> Batch:
    """Seconds per ``GET path`` with ``headers``; every answer must be a 200."""

    def batch() -> float:
        durations = []
        for _ in range(calls):
            start = time.perf_counter()
            response = client.get(path, headers=headers, query_string=query_string)
            durations.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
        return statistics.median(durations)

    return batch


#: A route that declares a resource, for the restricted/full ratio.
RESTRICTED_PATH = "/admin/api/catalog"
#: The admin who holds the Restricted key.
RESTRICTED_EMAIL = "restricted@example.invalid"


def restricted_token(app: Flask) -> str:
    """A Restricted key (catalog read, from 127.0.0.0/8) of an admin of its own."""
    with app.app_context():
        user = db.session.execute(
            sa.select(User).where(User.email == RESTRICTED_EMAIL)
        ).scalar_one_or_none()
        if user is None:
            user = User(  # a hash no password matches: this user never logs in
                email=RESTRICTED_EMAIL,
                name="Restricted",
                password_hash="!",  # noqa: S106
                is_admin=True,
            )
            db.session.add(user)
            db.session.commit()
        secret_keys.service.revoke_all(user)
        reach = Reach.of({"catalog": "read"}, ["127.0.0.0/8"])
        _key, token = secret_keys.service.create(user, "Restricted benchmark key", reach=reach)
    return token


def cases(seeded: Seeded, calls: int) -> dict[str, Batch]:
    """A batch per authentication method, on ``seeded``'s app."""
    app, token = seeded.app, seeded.token
    restricted = restricted_token(app)
    anonymous = app.test_client(use_cookies=False)
    basic = base64.b64encode(f"{token}:".encode()).decode()
    return {
        "none (public twin)": request_batch(anonymous, PUBLIC_PATH, {}, calls),
        "session cookie": request_batch(session_client(app), API_PATH, {}, calls),
        "key: Bearer": request_batch(
            anonymous, API_PATH, {"Authorization": f"Bearer {token}"}, calls
        ),
        "key: Basic": request_batch(
            anonymous, API_PATH, {"Authorization": f"Basic {basic}"}, calls
        ),
        "key: X-Api-Key": request_batch(anonymous, API_PATH, {"X-Api-Key": token}, calls),
        "catalog, Full access key": request_batch(
            anonymous, RESTRICTED_PATH, {"Authorization": f"Bearer {token}"}, calls
        ),
        "catalog, Restricted key": request_batch(
            anonymous, RESTRICTED_PATH, {"Authorization": f"Bearer {restricted}"}, calls
        ),
    }


def run(databases: Sequence[Seeded], rounds: int, calls: int) -> Result:
    """Time each method in the same rounds; compare keys with sessions and with no auth."""
    result = Result(
        name="request_by_auth_method",
        title="2. Request cost by auth method (GET /admin/api/me, test client)",
        header=("backend", "method", "per request", "vs session", "over no auth"),
    )
    for seeded in databases:
        samples = interleaved(cases(seeded, calls), rounds)
        public = samples["none (public twin)"]
        session = samples["session cookie"]
        figures = {}
        for name, values in samples.items():
            vs_session = ratio(values, session)
            overhead = summary([a - b for a, b in zip(values, public, strict=True)])
            figures[name] = {
                "seconds": timing(values),
                "ratio_to_session": vs_session,
                "overhead_over_no_auth_seconds": overhead,
            }
            result.rows.append(
                (
                    seeded.backend.name,
                    name,
                    spread(timing(values)),
                    times(vs_session["median"]),
                    "—" if values is public else f"{overhead['median'] * 1e6:+.0f} µs",
                )
            )
        restricted = ratio(samples["catalog, Restricted key"], samples["catalog, Full access key"])
        result.data[seeded.backend.name] = {
            "calls_per_round": calls,
            "methods": figures,
            "restricted_over_full": restricted,
        }
        result.rows.append(
            (seeded.backend.name, "restricted / full access", "", times(restricted["median"]), "")
        )
    result.notes.append(
        method(rounds, calls, "requests") + "; ratios and differences taken per round"
    )
    return result

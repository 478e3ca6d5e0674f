"""Run schemathesis against the example app's management API, on a session and on a key.

Each run gets a fresh example app on a SQLite file of its own, served on
127.0.0.1: the session run (an overseer signed in, with the CSRF token on
every write) and the key run (a key of another admin, which may read and
revoke itself). Every operation, schemathesis's default checks, and a stateful
run that follows the document's links (create → get → rename → revoke →
delete); the seed and the number of examples are fixed, so a run is
repeatable. Exits non-zero when schemathesis finds anything.

    python .ci/schemathesis_api.py [--max-examples N] [session|key ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from example_app import create_app  # noqa: E402
from example_app.extensions import secret_keys  # noqa: E402
from example_app.models import User, db  # noqa: E402
from flask_secret_keys import Actor  # noqa: E402

SEED = 20261

#: The settings of both runs. A title or an expiry that matches the document
#: can still break a rule it states in words only (a title of blanks or
#: unassigned characters alone, an expiry in the past or beyond the maximum
#: lifetime): the API answers those with its documented 422 (`invalid_title`,
#: `invalid_lifetime`), so 422 is an answer to valid-looking data too.
SETTINGS = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""
PREFIX = "/admin/api/secret-keys"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@contextlib.contextmanager
def served(folder: Path) -> Iterator[tuple[Any, str]]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'api.db'}",
            "SECRET_KEY": "schemathesis-run",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def session_auth(base: str) -> dict[str, str]:
    """An overseer's session cookie and its CSRF token, by security scheme."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=10).text
    token = _CSRF.search(page).group(1)  # type: ignore[union-attr]
    response = browser.post(
        f"{base}/login",
        data={"email": "admin@example.com", "password": "admin", "csrf_token": token},
        timeout=10,
    )
    response.raise_for_status()
    return {"session": browser.cookies["session"], "csrf": token}


def owner(email: str) -> User:
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one()


def key_auth(app: Any) -> dict[str, str]:
    """A new key of ops@example.com, after enough revoked keys that its id is not a small one."""
    with app.app_context():
        service, ops = secret_keys.service, owner("ops@example.com")
        service.revoke_all(ops)
        for n in range(40):
            key, _token = service.create(ops, f"Old {n}")
            service.revoke(key, actor=Actor.for_user(ops))
        _key, token = service.create(ops, "Schemathesis")
    return {"bearer": token}


def schemathesis(folder: Path, base: str, auth: dict[str, str], phases: str, examples: int) -> int:
    """One schemathesis run with ``auth`` (by security scheme); its exit code."""
    config = folder / "schemathesis.toml"
    config.write_text(
        SETTINGS
        + "".join(
            f"[auth.openapi.{scheme}]\n{'bearer' if scheme == 'bearer' else 'api_key'}"
            f" = {json.dumps(value)}\n"
            for scheme, value in auth.items()
        )
    )
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"),
        *(str(folder / "openapi.json"), "--url", f"{base}{PREFIX}", "--phases", phases),
        *("--seed", str(SEED), "--max-examples", str(examples), "--workers", "1"),
        *("--suppress-health-check", "too_slow"),
    ]
    return subprocess.run(command, check=False).returncode


def run(mode: str, examples: int, folder: Path) -> int:
    """Both runs of one mode on a fresh app: every phase but the stateful one, then that one
    with the user's keys revoked first, so that it can create keys and follow their links."""
    with served(folder) as (app, base):
        auth = session_auth(base) if mode == "session" else key_auth(app)
        headers = (
            {"Cookie": f"session={auth['session']}"}
            if mode == "session"
            else {"Authorization": f"Bearer {auth['bearer']}"}
        )
        document = requests.get(f"{base}{PREFIX}/openapi.json", headers=headers, timeout=10)
        document.raise_for_status()
        (folder / "openapi.json").write_text(json.dumps(document.json()))
        started = time.monotonic()
        print(f"--- schemathesis on a {mode}", flush=True)
        failed = schemathesis(folder, base, auth, "examples,coverage,fuzzing", examples)
        if mode == "session":
            with app.app_context():
                secret_keys.service.revoke_all(owner("admin@example.com"))
        else:
            auth = key_auth(app)
        failed |= schemathesis(folder, base, auth, "stateful", examples)
        print(f"--- {mode}: exit {failed} in {time.monotonic() - started:.0f} s", flush=True)
        return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("modes", nargs="*", default=["session", "key"])
    args = parser.parse_args()
    failed = 0
    for mode in args.modes:
        with tempfile.TemporaryDirectory(prefix=f"schemathesis-{mode}-") as folder:
            failed |= run(mode, args.max_examples, Path(folder))
    return failed


if __name__ == "__main__":
    sys.exit(main())

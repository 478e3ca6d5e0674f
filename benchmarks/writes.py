"""Item 4: how many ``last_used_at`` writes a burst of key-authenticated requests causes.

Each run starts from a key that was never used, sends ``requests`` Bearer
requests through the test client, and counts the ``UPDATE`` statements on the
key table. With an interval of ``I`` seconds, a run of ``T`` seconds may write
at most ``floor(T / I) + 1`` times, whatever the number of requests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import sqlalchemy as sa

from example_app.extensions import secret_keys
from example_app.models import db

from .environment import API_PATH, Seeded
from .report import Result
from .statements import recording
from .stats import thousands


def run(seeded: Seeded, requests: int, intervals: Sequence[float]) -> Result:
    """One burst per throttle interval in ``intervals``."""
    result = Result(
        name=f"last_used_writes_{seeded.backend.name}",
        title=f"4. last_used_at UPDATEs over {thousands(requests)} key requests",
        header=("interval", "requests", "seconds", "UPDATEs", "allowed at most", "other writes"),
    )
    for interval in intervals:
        app = seeded.app_with(SECRET_KEYS_LAST_USED_INTERVAL=interval)
        with app.app_context():
            Key = secret_keys.service.model
            db.session.execute(sa.update(Key).values(last_used_at=None))
            db.session.commit()
            engine = db.engine
        client = app.test_client(use_cookies=False)
        headers = {"Authorization": f"Bearer {seeded.token}"}
        with recording(engine) as log:
            start = time.perf_counter()
            for _ in range(requests):
                response = client.get(API_PATH, headers=headers)
                assert response.status_code == 200, response.status_code
            elapsed = time.perf_counter() - start
        updates = log.count("UPDATE", "secret_api_keys")
        others = (
            sum(log.count(verb, "") for verb in ("INSERT", "DELETE"))
            + log.count("UPDATE", "")
            - updates
        )
        allowed = math.floor(elapsed / interval) + 1
        result.data[f"{interval:g}s"] = {
            "interval_seconds": interval,
            "requests": requests,
            "seconds": elapsed,
            "last_used_updates": updates,
            "allowed_at_most": allowed,
            "other_writes": others,
            "statements": len(log),
        }
        result.rows.append(
            (
                f"{interval:g} s",
                str(requests),
                f"{elapsed:.1f}",
                str(updates),
                str(allowed),
                str(others),
            )
        )
    result.notes.append(
        f"on {seeded.backend.name}; statements counted with SQLAlchemy's"
        " before_cursor_execute event on the app's engine"
    )
    return result

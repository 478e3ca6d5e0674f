"""Many workers, one database: revocation and the last-used throttle hold across processes."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from example_app.models import db
from tests.conftest import get_user


def test_using_a_key_records_last_use_without_touching_updated_at(app: Flask) -> None:
    service = app.extensions["secret_keys"].service
    with app.app_context():
        key, token = service.create(get_user("admin@example.com"), "Key")
        key_id, updated_at = key.id, key.updated_at

    with app.app_context():
        assert service.authenticate(token) is not None

    with app.app_context():
        key = db.session.get(service.model, key_id)
        assert key.last_used_at is not None
        assert key.last_used_at - key.created_at < dt.timedelta(minutes=1)
        assert key.updated_at == updated_at

"""The host's Admin API: what a secret API key is for."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user

from flask_secret_keys import admin_api_required
from flask_secret_keys.outages import DATABASE_UNAVAILABLE, unavailable_json

bp = Blueprint("admin_api", __name__, url_prefix="/admin/api")

# A database outage is a 503 JSON for API clients, not a 500 HTML page.
for _error in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_error, unavailable_json)


@bp.get("/me")
@admin_api_required
def me() -> dict[str, Any]:
    """The admin user the request is authenticated as."""
    return {"id": current_user.id, "email": current_user.email}


@bp.post("/echo")
@admin_api_required
def echo() -> Any:
    """The JSON body the request sent, to show that writes work with a key."""
    return request.get_json(silent=True) or {}

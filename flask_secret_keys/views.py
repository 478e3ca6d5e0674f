"""The Settings → Secret API Keys pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("secret_keys", __name__, template_folder="templates", static_folder="static")


@bp.get("/")
def index() -> str:
    return "Secret API Keys"

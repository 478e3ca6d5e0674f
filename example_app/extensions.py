"""The example host's extension objects, shared by every app it creates."""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from flask_secret_keys import Resource, SecretKeys

from .models import User, db

login_manager = LoginManager()
login_manager.login_view = "host.login"
csrf = CSRFProtect()
#: Who may see and revoke every user's keys: in a real app a security team (a
#: role or a group); here admin@example.com, and not ops@example.com.
OVERSEERS = frozenset({"admin@example.com"})

secret_keys = SecretKeys(
    db=db,
    user_model=User,
    # Events and pages name users by their ``name`` (the default), e.g. "Ada Admin".
    can_oversee=lambda user: user.email in OVERSEERS,
    # How the pages show the resources the Admin API declares (api.py).
    resources={
        "orders": Resource("Orders", "See and create orders"),
        "refunds": Resource("Refunds", "Refund orders"),
        "catalog": Resource("Catalog", "Products and their prices"),
    },
)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))

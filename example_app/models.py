"""The example host's own database and user model."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm
from werkzeug.security import check_password_hash, generate_password_hash


class Base(orm.DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    email: orm.Mapped[str] = orm.mapped_column(sa.String(255), unique=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    password_hash: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    is_admin: orm.Mapped[bool] = orm.mapped_column(default=False)
    active: orm.Mapped[bool] = orm.mapped_column(default=True)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


DEMO_USERS = [
    ("admin@example.com", "Ada Admin", "admin", True),
    ("ops@example.com", "Otto Ops", "ops", True),
    ("viewer@example.com", "Vera Viewer", "viewer", False),
]


def create_demo_users() -> None:
    """Create the demo users unless the user table already has users."""
    if db.session.execute(sa.select(User.id).limit(1)).first() is not None:
        return
    for email, name, password, is_admin in DEMO_USERS:
        user = User(email=email, name=name, is_admin=is_admin)
        user.set_password(password)
        db.session.add(user)
    db.session.commit()

"""The ``secret-keys`` command group: manage keys from the command line.

``flask secret-keys create --user admin@example.com --title CI`` prints the
new key alone on the last line of its output, so a script can capture it with
``| tail -n 1``; so does ``roll``. Durations are written ``90s``, ``15m``,
``24h`` or ``30d``. A mistake is a one-line error with a non-zero exit status,
and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from . import models
from .errors import SecretKeyError
from .extension import _State
from .service import parse_duration


class _Commands(AppGroup):
    """Commands whose failures are a one-line ``Error: …`` and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SecretKeyError as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            # The statement and its parameters stay out of the message.
            raise click.ClickException(
                f"The database refused the operation ({type(error).__name__})."
            ) from None


group = _Commands("secret-keys", help="Manage secret API keys.")


def _state() -> _State:
    return cast(_State, current_app.extensions["secret_keys"])


def _user(identifier: str) -> Any:
    user = _state().ext.find_user(identifier)
    if user is None:
        raise click.ClickException(f"No user {identifier!r}.")
    return user


def _when(value: Any, empty: str = "never") -> str:
    return empty if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _owner(key: Any) -> str:
    owner = key.owner
    if owner is None:
        return "?"
    return str(getattr(owner, "email", None) or _state().ext.user_id(owner))


@group.command("create")
@click.option("--user", "identifier", required=True, help="The owner, e.g. an email address.")
@click.option("--title", required=True, help="What the key is for.")
@click.option(
    "--expires-in",
    metavar="DURATION",
    help="How long the key works (30d, 24h …) or 'never'; the app's default otherwise.",
)
def create(identifier: str, title: str, expires_in: str | None) -> None:
    """Create a key and print it once, alone on the last line."""
    state = _state()
    expires_at: dt.datetime | Literal["default"] | None = "default"
    if expires_in == "never":
        expires_at = None
    elif expires_in is not None:
        expires_at = models.utcnow() + parse_duration(expires_in)
    user = _user(identifier)
    key, token = state.service.create(user, title, expires_at)
    click.echo(
        f"Created secret API key {key.id} ({key.redacted}) for {identifier},"
        f" expiring {_when(key.expires_at)}. Store it now: it will not be shown again.",
        err=True,
    )
    click.echo(token)


@group.command("roll")
@click.argument("key_id", type=int)
@click.option(
    "--grace",
    metavar="DURATION",
    default="0s",
    show_default=True,
    help="How long the old key keeps working (at most 7d).",
)
def roll(key_id: int, grace: str) -> None:
    """Replace a key by a new one with the same title; print the new key on the last line."""
    service = _state().service
    delay = parse_duration(grace)
    successor, token = service.roll(service.get_by_id(key_id), delay)
    old = service.get_by_id(key_id)
    click.echo(
        f"Rolled secret API key {key_id} ({old.redacted}): it is revoked"
        f" {'now' if not delay else 'at ' + _when(old.revoked_at)}. New key {successor.id}"
        f" ({successor.redacted}), expiring {_when(successor.expires_at)}."
        " Store it now: it will not be shown again.",
        err=True,
    )
    click.echo(token)


@group.command("expiring")
@click.option(
    "--within", metavar="DURATION", required=True, help="The window to look ahead, such as 7d."
)
def expiring(within: str) -> None:
    """List keys that expire or are revoked within DURATION, with their owners."""
    window = parse_duration(within)
    keys = _state().service.expiring(window)
    if not keys:
        click.echo(f"No secret API keys expire or are revoked within {within}.")
        return
    click.echo(f"{'ID':>6}  {'OWNER':30}  {'ENDS':7}  {'AT':23}  {'KEY':18}  TITLE")
    for key in keys:
        revokes = key.revoked_at is not None and (
            key.expires_at is None or key.revoked_at < key.expires_at
        )
        ends = key.revoked_at if revokes else key.expires_at
        click.echo(
            f"{key.id:>6}  {_owner(key):30}  {'revokes' if revokes else 'expires':7}"
            f"  {_when(ends):23}  {key.redacted:18}  {key.title}"
        )


@group.command("list")
@click.option("--user", "identifier", required=True, help="The owner, e.g. an email address.")
def list_keys(identifier: str) -> None:
    """List a user's keys (redacted)."""
    keys = _state().service.keys_of(_user(identifier))
    if not keys:
        click.echo(f"{identifier} has no secret API keys.")
        return
    click.echo(
        f"{'ID':>6}  {'STATUS':8}  {'KEY':18}  {'CREATED':23}  {'LAST USED':23}"
        f"  {'EXPIRES':23}  {'REVOKED':23}  TITLE"
    )
    for key in keys:
        click.echo(
            f"{key.id:>6}  {key.status:8}  {key.redacted:18}  {_when(key.created_at):23}"
            f"  {_when(key.last_used_at):23}  {_when(key.expires_at):23}"
            f"  {_when(key.revoked_at, '-'):23}  {key.title}"
        )


@group.command("revoke")
@click.argument("key_id", type=int)
@click.option(
    "--in",
    "delay",
    metavar="DURATION",
    help="Revoke after this delay (at most 7d); the key keeps working until then.",
)
def revoke(key_id: int, delay: str | None) -> None:
    """Revoke a key, now or later. This cannot be undone."""
    service = _state().service
    at = None if delay is None else models.utcnow() + parse_duration(delay)
    key = service.revoke(service.get_by_id(key_id), at=at)
    if at is None or key.status == "revoked":
        click.echo(f"Revoked secret API key {key.id} ({key.redacted}).")
    else:
        click.echo(
            f"Secret API key {key.id} ({key.redacted}) will be revoked at {_when(key.revoked_at)}."
        )


@group.command("delete")
@click.argument("key_id", type=int)
def delete(key_id: int) -> None:
    """Delete a revoked key."""
    service = _state().service
    key = service.get_by_id(key_id)
    redacted = key.redacted
    service.delete(key)
    click.echo(f"Deleted secret API key {key_id} ({redacted}).")

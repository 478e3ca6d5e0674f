"""The ``secret-keys`` command group: manage keys from the command line.

``flask secret-keys create --user admin@example.com --title CI`` prints the
new key alone on the last line of its output, so a script can capture it with
``| tail -n 1``.
"""

from __future__ import annotations

from typing import Any, cast

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from .errors import SecretKeyError
from .extension import _State


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


def _when(value: Any) -> str:
    return "never" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


@group.command("create")
@click.option("--user", "identifier", required=True, help="The owner, e.g. an email address.")
@click.option("--title", required=True, help="What the key is for.")
def create(identifier: str, title: str) -> None:
    """Create a key and print it once, alone on the last line."""
    state = _state()
    user = _user(identifier)
    key, token = state.service.create(user, title)
    click.echo(
        f"Created secret API key {key.id} ({key.redacted}) for {identifier}."
        " Store it now: it will not be shown again.",
        err=True,
    )
    click.echo(token)


@group.command("list")
@click.option("--user", "identifier", required=True, help="The owner, e.g. an email address.")
def list_keys(identifier: str) -> None:
    """List a user's keys (redacted)."""
    keys = _state().service.keys_of(_user(identifier))
    if not keys:
        click.echo(f"{identifier} has no secret API keys.")
        return
    click.echo(f"{'ID':>6}  {'STATUS':8}  {'KEY':18}  {'CREATED':23}  {'LAST USED':23}  TITLE")
    for key in keys:
        click.echo(
            f"{key.id:>6}  {key.status:8}  {key.redacted:18}  {_when(key.created_at):23}"
            f"  {_when(key.last_used_at):23}  {key.title}"
        )


@group.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    """Revoke a key. This cannot be undone."""
    service = _state().service
    key = service.revoke(service.get_by_id(key_id))
    click.echo(f"Revoked secret API key {key.id} ({key.redacted}).")


@group.command("delete")
@click.argument("key_id", type=int)
def delete(key_id: int) -> None:
    """Delete a revoked key."""
    service = _state().service
    key = service.get_by_id(key_id)
    redacted = key.redacted
    service.delete(key)
    click.echo(f"Deleted secret API key {key_id} ({redacted}).")

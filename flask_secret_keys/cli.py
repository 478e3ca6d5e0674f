"""The ``secret-keys`` command group: manage keys from the command line.

``flask secret-keys create --user admin@example.com --title CI`` prints the
new key alone on the last line of its output, so a script can capture it with
``| tail -n 1``. Changes are recorded in the key's events with the actor
``command line``, or the operator named with ``--actor``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, cast

import click
from flask import current_app
from flask.cli import AppGroup

from .errors import KeyNotFound, SecretKeyError
from .extension import _State
from .models import KeyEventMixin, SecretKeyMixin
from .service import Actor, clean_operator

group = AppGroup("secret-keys", help="Manage secret API keys.")


def _state() -> _State:
    return cast(_State, current_app.extensions["secret_keys"])


def _user(identifier: str) -> Any:
    user = _state().ext.find_user(identifier)
    if user is None:
        raise click.ClickException(f"No user {identifier!r}.")
    return user


def _when(value: Any) -> str:
    return "never" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _operator(ctx: click.Context, param: click.Parameter, value: str | None) -> Actor:
    if value is None:
        return Actor.command_line()
    try:
        return Actor.command_line(clean_operator(value))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


actor_option = click.option(
    "--actor",
    "actor",
    metavar="NAME",
    callback=_operator,
    help="Who runs the command, recorded in the key's events (default: command line).",
)


@group.command("create")
@click.option("--user", "identifier", required=True, help="The owner, e.g. an email address.")
@click.option("--title", required=True, help="What the key is for.")
@actor_option
def create(identifier: str, title: str, actor: Actor) -> None:
    """Create a key and print it once, alone on the last line."""
    state = _state()
    user = _user(identifier)
    try:
        key, token = state.service.create(user, title, actor)
    except SecretKeyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Created secret API key {key.id} ({key.redacted}) for {identifier}."
        " Store it now: it will not be shown again.",
        err=True,
    )
    click.echo(token)


def _key_record(key: SecretKeyMixin) -> dict[str, Any]:
    owner = key.owner
    owner_id = _state().ext.user_id(owner)
    return {
        "id": key.id,
        "title": key.title,
        "status": key.status,
        "redacted": key.redacted,
        "owner": _state().ext.user_name(owner),
        "owner_id": owner_id if isinstance(owner_id, (int, str)) else str(owner_id),
        "created_at": _iso(key.created_at),
        "last_used_at": _iso(key.last_used_at),
        "last_used_ip": key.last_used_ip,
        "last_used_user_agent": key.last_used_user_agent,
        "revoked_at": _iso(key.revoked_at),
    }


def _echo_json_array(records: Iterable[dict[str, Any]]) -> None:
    """A JSON array, one object a line, written as it is read."""
    click.echo("[")
    previous = None
    for record in records:
        if previous is not None:
            click.echo(f"  {previous},")
        previous = json.dumps(record, ensure_ascii=False)
    if previous is not None:
        click.echo(f"  {previous}")
    click.echo("]")


@group.command("list")
@click.option("--user", "identifier", help="The owner, e.g. an email address.")
@click.option("--all", "every", is_flag=True, help="Every user's keys, with their owners.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
def list_keys(identifier: str | None, every: bool, as_json: bool) -> None:
    """List a user's keys, or everyone's with --all (redacted)."""
    if (identifier is None) == (not every):
        raise click.UsageError("Give either --user EMAIL or --all.")
    service = _state().service
    keys: Iterable[SecretKeyMixin]
    keys = service.iter_all() if every else service.keys_of(_user(cast(str, identifier)))
    if as_json:
        _echo_json_array(_key_record(key) for key in keys)
        return
    header = f"{'ID':>6}  {'STATUS':8}  {'KEY':18}  {'CREATED':23}  {'LAST USED':23}  "
    header += "OWNER / TITLE" if every else "TITLE"
    shown = False
    for key in keys:
        if not shown:
            click.echo(header)
            shown = True
        owner = f"{_state().ext.user_name(key.owner)} / " if every else ""
        click.echo(
            f"{key.id:>6}  {key.status:8}  {key.redacted:18}  {_when(key.created_at):23}"
            f"  {_when(key.last_used_at):23}  {owner}{key.title}"
        )
    if not shown:
        click.echo(
            "There are no secret API keys." if every else f"{identifier} has no secret API keys."
        )


@group.command("revoke")
@click.argument("key_id", type=int, required=False)
@click.option("--user", "identifier", help="With --all: the user whose keys to revoke.")
@click.option("--all", "every", is_flag=True, help="Revoke every active key of --user.")
@actor_option
def revoke(key_id: int | None, identifier: str | None, every: bool, actor: Actor) -> None:
    """Revoke a key, or all active keys of a user (--user EMAIL --all). This cannot be undone."""
    service = _state().service
    if identifier is not None or every:
        if key_id is not None or identifier is None or not every:
            raise click.UsageError("Give either a KEY_ID, or --user EMAIL --all.")
        revoked = service.revoke_all(_user(identifier), actor)
        for key in revoked:
            click.echo(f"Revoked secret API key {key.id} ({key.redacted}).")
        count = len(revoked)
        click.echo(
            f"Revoked {count} active secret API {'key' if count == 1 else 'keys'} of {identifier}."
        )
        return
    if key_id is None:
        raise click.UsageError("Give either a KEY_ID, or --user EMAIL --all.")
    try:
        key = service.revoke(service.get_by_id(key_id), actor=actor)
    except SecretKeyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Revoked secret API key {key.id} ({key.redacted}).")


@group.command("delete")
@click.argument("key_id", type=int)
@actor_option
def delete(key_id: int, actor: Actor) -> None:
    """Delete a revoked key. Its events stay."""
    service = _state().service
    try:
        key = service.get_by_id(key_id)
        redacted = key.redacted
        service.delete(key, actor)
    except SecretKeyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Deleted secret API key {key_id} ({redacted}).")


def _event_record(event: KeyEventMixin) -> dict[str, Any]:
    return {
        "event": event.event,
        "actor": event.actor,
        "actor_kind": event.actor_kind,
        "at": _iso(event.at),
        "ip": event.ip,
        "user_agent": event.user_agent,
        "key_id": event.key_id,
        "title": event.key_title,
        "redacted": event.key_redacted,
        **event.details,
    }


@group.command("log")
@click.argument("key_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
def log(key_id: int, as_json: bool) -> None:
    """Print a key's events, newest first; also for a deleted key."""
    service = _state().service
    events = service.events_of(key_id)
    if not events:
        try:
            service.get_by_id(key_id)
        except KeyNotFound as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        _echo_json_array(_event_record(event) for event in events)
        return
    if not events:
        click.echo(f"No events recorded for secret API key {key_id}.")
        return
    for event in events:
        where = f" from {event.ip}" if event.ip else ""
        click.echo(f"{_when(event.at)}  {event.summary} by {event.actor_label}{where}")


@group.command("prune-events")
def prune_events() -> None:
    """Delete key events older than SECRET_KEYS_EVENT_RETENTION."""
    state = _state()
    if state.settings.event_retention is None:
        click.echo("SECRET_KEYS_EVENT_RETENTION is None: events are kept for good.")
        return
    count = state.service.prune_events()
    click.echo(f"Deleted {count} key {'event' if count == 1 else 'events'}.")

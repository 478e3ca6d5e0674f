"""Commands on one key: create, roll, restrict, revoke (one or all of a user's), revoke-leaked,
delete, log."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import click

from .. import models
from ..errors import ActiveKeyExists, KeyNotFound
from ..models import KeyEventMixin
from ..reach import Reach, reach_of
from ..rules import Actor, parse_duration
from ..service import LeakReport
from ..state import current_state
from .base import (
    actor_option,
    echo_json_array,
    group,
    iso,
    name_of,
    owner_of,
    printable,
    reach_from,
    restriction_options,
    restrictions_text,
    user_named,
    when,
)


@group.command("create")
@click.option("--user", "identifier", required=True, help="The owner, e.g. an email address.")
@click.option("--title", required=True, help="What the key is for.")
@click.option(
    "--expires-in",
    metavar="DURATION",
    help="How long the key works (30d, 24h …) or 'never'; the app's default otherwise.",
)
@restriction_options("without --permission: Full access; without --allow-network: anywhere")
@actor_option
def create(
    identifier: str,
    title: str,
    expires_in: str | None,
    permissions: tuple[str, ...],
    networks: tuple[str, ...],
    actor: Actor,
) -> None:
    """Create a key and print it once, alone on the last line."""
    state = current_state()
    if expires_in is None:
        expires_at = state.service.default_expiry()
    elif expires_in == "never":
        expires_at = None
    else:
        expires_at = models.utcnow() + parse_duration(expires_in)
    reach = reach_from(permissions, networks)
    user = user_named(identifier)
    try:
        key, token = state.service.create(
            user, title, expires_at=expires_at, actor=actor, reach=reach
        )
    except ActiveKeyExists as error:
        raise click.ClickException(
            f"{name_of(user)} already has an active key ({error.key.id}) — revoke it or roll it."
        ) from None
    click.echo(
        f"Created secret API key {key.id} ({key.redacted}) for {identifier},"
        f" expiring {when(key.expires_at)}: {restrictions_text(key)}."
        " Store it now: it will not be shown again.",
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
    help="How long the old key keeps working (at most 7d). A key of the same owner still"
    " in an earlier grace period stops working at once.",
)
@restriction_options("without them: the key's own")
@actor_option
def roll(
    key_id: int,
    grace: str,
    permissions: tuple[str, ...],
    networks: tuple[str, ...],
    actor: Actor,
) -> None:
    """Replace a key by a new one with the same title; print the new key on the last line.

    The new key keeps the old one's restrictions, unless --permission or
    --allow-network give others (wider ones too: it is a new secret).
    """
    service = current_state().service
    delay = parse_duration(grace)
    key = service.key_by_id(key_id)
    reach = reach_from(permissions, networks, reach_of(key)) if permissions or networks else None
    in_grace = [other for other in service.working_keys_of(key.owner) if other.id != key_id]
    successor, token = service.roll(key, delay, actor=actor, reach=reach)
    old = service.key_by_id(key_id)
    for other in in_grace:
        click.echo(
            f"Secret API key {other.id} ({other.redacted}), in an earlier grace period, is"
            " revoked now.",
            err=True,
        )
    click.echo(
        f"Rolled secret API key {key_id} ({old.redacted}): it is revoked"
        f" {'now' if not delay else 'at ' + when(old.revoked_at)}. New key {successor.id}"
        f" ({successor.redacted}), expiring {when(successor.expires_at)}:"
        f" {restrictions_text(successor)}. Store it now: it will not be shown again.",
        err=True,
    )
    click.echo(token)


@group.command("restrict")
@click.argument("key_id", type=int)
@restriction_options("without one: as it is")
@actor_option
def restrict(
    key_id: int, permissions: tuple[str, ...], networks: tuple[str, ...], actor: Actor
) -> None:
    """Narrow a key's permissions or networks in place; refused (exit 1) if it would widen.

    Only a narrower reach is accepted: lower levels, fewer resources, Full
    access to Restricted, fewer or narrower networks, anywhere to a list.
    """
    if not permissions and not networks:
        raise click.UsageError("Give --permission, --allow-network or both.")
    service = current_state().service
    key = service.key_by_id(key_id)
    before = restrictions_text(key)
    reach = reach_from(permissions, networks, reach_of(key))
    service.restrict(key, cast(Reach, reach), actor=actor)
    click.echo(
        f"Restricted secret API key {key.id} ({key.redacted}): was {before},"
        f" now {restrictions_text(key)}."
    )


@group.command("revoke")
@click.argument("key_id", type=int, required=False)
@click.option("--user", "identifier", help="With --all: the user whose keys to revoke.")
@click.option("--all", "every", is_flag=True, help="Revoke every working key of --user, now.")
@click.option(
    "--in",
    "delay",
    metavar="DURATION",
    help="Revoke after this delay (at most 7d); the key keeps working until then.",
)
@actor_option
def revoke(
    key_id: int | None, identifier: str | None, every: bool, delay: str | None, actor: Actor
) -> None:
    """Revoke a key, now or later, or all keys of a user (--user EMAIL --all). For good."""
    service = current_state().service
    if identifier is not None or every:
        if key_id is not None or identifier is None or not every or delay is not None:
            raise click.UsageError("Give either a KEY_ID, or --user EMAIL --all.")
        user = user_named(identifier)
        # What each key was before: revoke_all revokes the scheduled ones now too.
        scheduled = {
            key.id: key.revoked_at
            for key in service.working_keys_of(user)
            if key.status == "revoking"
        }
        revoked = service.revoke_all(user, actor=actor)
        for key in revoked:
            was = scheduled.get(key.id)
            click.echo(
                f"Revoked secret API key {key.id} ({key.redacted})"
                + ("." if was is None else f", which was scheduled for revocation at {when(was)}.")
            )
        count = len(revoked)
        later = sum(key.id in scheduled for key in revoked)
        summary = f"Revoked {count} {'active ' if not later else ''}secret API"
        summary += f" {'key' if count == 1 else 'keys'} of {identifier}"
        if later:
            summary += f": {count - later} active, {later} scheduled for revocation"
        click.echo(summary + ".")
        return
    if key_id is None:
        raise click.UsageError("Give either a KEY_ID, or --user EMAIL --all.")
    at = None if delay is None else models.utcnow() + parse_duration(delay)
    key = service.revoke(service.key_by_id(key_id), at=at, actor=actor)
    if at is None or key.status == "revoked":
        click.echo(f"Revoked secret API key {key.id} ({key.redacted}).")
    else:
        click.echo(
            f"Secret API key {key.id} ({key.redacted}) will be revoked at {when(key.revoked_at)}."
        )


@group.command("revoke-leaked")
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace"))
@actor_option
def revoke_leaked(file: Any, actor: Actor) -> None:
    """Revoke the keys in FILE, found leaked: one a line, - for standard input.

    Prints how many matched a key and which were revoked, never a key. Each
    gets a leaked event.
    """
    tokens = [line.strip() for line in file if line.strip()]
    service = current_state().service
    found = service.match_leaked(tokens)
    keys = list({key.id: key for key in found.values()}.values())
    revoked = service.revoke_leaked([LeakReport(key, "command_line") for key in keys], actor=actor)
    for key in revoked:
        click.echo(f"Revoked secret API key {key.id} ({key.redacted}) of {owner_of(key)}.")
    lines = "line" if len(tokens) == 1 else "lines"
    click.echo(
        f"{len(tokens)} {lines} read, {len(keys)} matched a secret API key:"
        f" {len(revoked)} revoked now, {len(keys) - len(revoked)} had already stopped working."
    )


@group.command("delete")
@click.argument("key_id", type=int)
@actor_option
def delete(key_id: int, actor: Actor) -> None:
    """Delete a revoked key. Its events stay."""
    service = current_state().service
    key = service.key_by_id(key_id)
    redacted = key.redacted
    service.delete(key, actor=actor)
    click.echo(f"Deleted secret API key {key_id} ({redacted}).")


def _event_record(event: KeyEventMixin) -> dict[str, Any]:
    return {
        "event": event.event,
        "actor": event.actor,
        "actor_kind": event.actor_kind,
        "at": iso(event.at),
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
    service = current_state().service
    events = service.events_of(key_id)
    try:
        key = service.key_by_id(key_id)
    except KeyNotFound:
        if not events:
            raise
    else:
        if service.settle(among=[key]):
            events = service.events_of(key_id)
    if as_json:
        echo_json_array(_event_record(event) for event in events)
        return
    if not events:
        click.echo(f"No events recorded for secret API key {key_id}.")
        return
    for event in events:
        where = f" from {printable(event.ip)}" if event.ip else ""
        click.echo(
            f"{when(event.at)}  {printable(event.summary)}{_old_key_stops(event)}"
            f" by {printable(event.actor_label)}{where}"
        )


def _old_key_stops(event: KeyEventMixin) -> str:
    """For a roll, when the old key stopped or stops working; nothing for other events."""
    revoke_at = event.details.get("revoke_at") if event.event == "rolled" else None
    if not revoke_at:
        return ""
    stops = dt.datetime.fromisoformat(revoke_at).astimezone(dt.timezone.utc)
    if stops - event.at < dt.timedelta(seconds=1):
        return "; the old key stopped working at once"
    return f"; the old key works until {when(stops)}"

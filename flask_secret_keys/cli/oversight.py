"""Commands over every key: routes, expiring, list, dormant, housekeeping, prune-events,
check-owners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

import click

from .. import models
from ..errors import KeyAlreadyRevoked, KeyNotFound
from ..models import SecretKeyMixin
from ..reach import reach_of
from ..rules import Actor, parse_duration
from ..state import current_state
from .base import (
    actor_option,
    echo_json_array,
    group,
    iso,
    owner_of,
    printable,
    user_named,
    when,
)


@group.command("routes")
def routes() -> None:
    """List the Admin API routes with the resource and access each needs, like flask routes."""
    found = current_state().routes.routes()
    if not found:
        click.echo("No Admin API routes: declare them with admin_api_required.")
        return
    rows = [
        (
            route.endpoint,
            route.method,
            route.permission.resource or "-",
            route.access if route.permission.resource else "full access",
            route.path,
        )
        for route in found
    ]
    titles = ("Endpoint", "Method", "Resource", "Access", "Rule")
    widths = [max(len(row[i]) for row in [titles, *rows]) for i in range(5)]
    rule = tuple("-" * width for width in widths)
    for row in [titles, rule, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())


def _ending(key: SecretKeyMixin) -> tuple[str, dt.datetime | None]:
    """Whether a key ``"expires"`` or ``"revokes"`` first, and when."""
    revokes = key.revoked_at is not None and (
        key.expires_at is None or key.revoked_at < key.expires_at
    )
    return ("revokes", key.revoked_at) if revokes else ("expires", key.expires_at)


@group.command("expiring")
@click.option(
    "--within", metavar="DURATION", required=True, help="The window to look ahead, such as 7d."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
def expiring(within: str, as_json: bool) -> None:
    """List keys that expire or are revoked within DURATION, with their owners."""
    window = parse_duration(within)
    keys = current_state().service.expiring(window)
    if as_json:
        echo_json_array(
            {**_key_record(key), "ends": ends, "ends_at": iso(at)}
            for key in keys
            for ends, at in [_ending(key)]
        )
        return
    if not keys:
        click.echo(f"No secret API keys expire or are revoked within {within}.")
        return
    click.echo(f"{'ID':>6}  {'OWNER':30}  {'ENDS':7}  {'AT':23}  {'KEY':18}  TITLE")
    for key in keys:
        ends, at = _ending(key)
        click.echo(
            f"{key.id:>6}  {owner_of(key):30}  {ends:7}"
            f"  {when(at):23}  {key.redacted:18}  {printable(key.title)}"
        )


def _key_record(key: SecretKeyMixin) -> dict[str, Any]:
    owner = key.owner
    owner_id = key.user_id if owner is None else current_state().users.user_id(owner)
    return {
        "id": key.id,
        "title": key.title,
        "status": current_state().service.status_of(key),
        "redacted": key.redacted,
        "owner": None if owner is None else current_state().users.user_name(owner),
        "owner_id": owner_id if isinstance(owner_id, (int, str)) else str(owner_id),
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
        "last_used_ip": key.last_used_ip,
        "last_used_user_agent": key.last_used_user_agent,
        "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        **reach_of(key).to_json(),
    }


@group.command("list")
@click.option("--user", "identifier", help="The owner, e.g. an email address.")
@click.option("--all", "every", is_flag=True, help="Every user's keys, with their owners.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
def list_keys(identifier: str | None, every: bool, as_json: bool) -> None:
    """List a user's keys, or everyone's with --all (redacted)."""
    if (identifier is None) == (not every):
        raise click.UsageError("Give either --user EMAIL or --all.")
    service = current_state().service
    keys: Iterable[SecretKeyMixin]
    keys = service.iter_all() if every else service.keys_of(user_named(cast(str, identifier)))
    if as_json:
        echo_json_array(_key_record(key) for key in keys)
        return
    header = f"{'ID':>6}  {'STATUS':8}  {'KEY':18}  {'CREATED':23}  {'LAST USED':23}"
    header += f"  {'EXPIRES':23}  {'REVOKED':23}  "
    header += "OWNER / TITLE" if every else "TITLE"
    shown = False
    for key in keys:
        if not shown:
            click.echo(header)
            shown = True
        owner = f"{owner_of(key)} / " if every else ""
        status = service.status_of(key)
        click.echo(
            f"{key.id:>6}  {status:8}  {key.redacted:18}  {when(key.created_at):23}"
            f"  {when(key.last_used_at):23}  {when(key.expires_at):23}"
            f"  {when(key.revoked_at, '-'):23}  {owner}{printable(key.title)}"
        )
    if not shown:
        click.echo(
            "There are no secret API keys." if every else f"{identifier} has no secret API keys."
        )


@group.command("dormant")
@click.option(
    "--unused-for",
    "unused_for",
    metavar="DURATION",
    required=True,
    help="How long unused (never used: since creation), such as 90d.",
)
@click.option("--revoke", is_flag=True, help="Revoke them now, too.")
@actor_option
def dormant(unused_for: str, revoke: bool, actor: Actor) -> None:
    """List the keys nobody has used for DURATION that are not revoked nor expired.

    With SECRET_KEYS_REVOKE_UNUSED_AFTER they stop working by themselves once
    unused that long; this finds them for any duration, and --revoke ends them
    for good.
    """
    service = current_state().service
    keys = service.dormant(parse_duration(unused_for))
    if not keys:
        click.echo(f"No secret API key has gone unused for {unused_for}.")
        return
    click.echo(f"{'ID':>6}  {'OWNER':30}  {'LAST USED':23}  {'KEY':18}  TITLE")
    for key in keys:
        click.echo(
            f"{key.id:>6}  {owner_of(key):30}  {when(key.last_used_at):23}"
            f"  {key.redacted:18}  {printable(key.title)}"
        )
    if not revoke:
        count = len(keys)
        click.echo(f"{count} {'key' if count == 1 else 'keys'}; --revoke revokes them.")
        return
    revoked = 0
    for key in keys:
        try:
            service.revoke(key, actor=actor)
        except (KeyAlreadyRevoked, KeyNotFound):
            continue
        revoked += 1
    click.echo(f"Revoked {revoked} secret API {'key' if revoked == 1 else 'keys'}.")


@group.command("prune-events")
def prune_events() -> None:
    """Delete key events older than SECRET_KEYS_EVENT_RETENTION."""
    state = current_state()
    if state.settings.event_retention is None:
        click.echo("SECRET_KEYS_EVENT_RETENTION is None: events are kept for good.")
        return
    count = state.service.prune_events()
    click.echo(f"Deleted {count} key {'event' if count == 1 else 'events'}.")


@group.command("housekeeping")
def housekeeping() -> None:
    """Record revocations that took effect by the clock, and prune old events.

    A scheduled revocation, or a roll's grace period, ends as time passes; the
    pages record it when they show the key. Run this daily (cron, a scheduler)
    so the audit trail and the key_revoked signal never wait for a visit.
    """
    state = current_state()
    count = len(state.service.settle())
    click.echo(f"{count} {'revocation' if count == 1 else 'revocations'} recorded.")
    if state.settings.event_retention is not None:
        pruned = state.service.prune_events()
        click.echo(f"Deleted {pruned} key {'event' if pruned == 1 else 'events'}.")


def _created_at_of(user: Any) -> dt.datetime | None:
    """The user's ``created_at``, when the user model has one, as an aware UTC time."""
    value = getattr(user, "created_at", None)
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def _owner_problem(key: SecretKeyMixin) -> str | None:
    """Why ``key``'s owner row may not be the user the key was made for; None if nothing shows.

    The key's ``created`` event names the owner it was made for (and, from
    before it did, who created it: when that was a user with the owner's id,
    the owner on the pages); the name recorded then must still be the
    owner's. A key cannot be older than its owner, either.
    """
    users = current_state().users
    owner = key.owner
    if owner is None:
        return f"its owner, user {key.user_id}, is gone; the next user given that id gets the key"
    owner_created = _created_at_of(owner)
    if owner_created is not None and key.created_at < owner_created:
        return f"created {when(key.created_at)}, before its owner ({when(owner_created)})"
    name = users.user_name(owner)
    for event in current_state().service.events_of(key.id):
        if event.event != "created":
            continue
        details = event.details
        if "owner" in details:
            if details["owner"] != name:
                return f"made for {printable(details['owner'])!r}, a user who had this id then"
            return None
        if event.actor_kind != "user" or str(event.actor_id) != str(users.user_id(owner)):
            return None
        recorded = event.actor_name or ""
        if recorded != name[: models.ACTOR_NAME_MAX_LENGTH]:
            return f"created by {printable(recorded)!r}, a user who had this id then"
    return None


@group.command("check-owners")
def check_owners() -> None:
    """Find keys whose owner row is gone or was replaced by another user with the same id.

    Where the database does not delete a user's keys with the user (SQLite
    with foreign keys off, in a connection outside the app), the next user
    given the same id would own them. Exits with status 1 if any key is found.
    """
    found = 0
    checked = 0
    for key in current_state().service.iter_all():
        checked += 1
        problem = _owner_problem(key)
        if problem is None:
            continue
        if not found:
            click.echo(f"{'ID':>6}  {'OWNER':30}  {'TITLE':30}  PROBLEM")
        found += 1
        click.echo(f"{key.id:>6}  {owner_of(key):30}  {printable(key.title):30}  {problem}")
    if not found:
        keys = "key" if checked == 1 else "keys"
        click.echo(f"Checked {checked} secret API {keys}: no owner was replaced.")
        return
    click.echo(
        f"{found} secret API {'key' if found == 1 else 'keys'} may belong to another user than"
        " the one they were made for: revoke them (flask secret-keys revoke ID), and see"
        " 'A key dies with its owner' in the security documentation.",
        err=True,
    )
    raise SystemExit(1)

"""The ``secret-keys`` command group: manage keys from the command line.

``flask secret-keys create --user admin@example.com --title CI`` prints the
new key alone on the last line of its output, so a script can capture it with
``| tail -n 1``; so does ``roll``. Durations are written ``90s``, ``15m``,
``24h`` or ``30d``. A mistake is a one-line error with a non-zero exit status,
and changes nothing. Changes are recorded in the key's events with the actor
``command line``, or the operator named with ``--actor``. Users are named as
the ``user_name`` given to ``SecretKeys`` names them, and every name or title
is printed with the characters a terminal would act on (a newline, an ANSI
escape) written out as escapes.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

import click
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from . import models, schema
from .errors import ActiveKeyExists, KeyAlreadyRevoked, KeyNotFound, SecretKeyError
from .models import KeyEventMixin, SecretKeyMixin
from .rules import Actor, Reach, clean_operator, parse_duration, reach_of
from .service import LeakReport
from .state import current_state


class _Commands(AppGroup):
    """Commands whose failures are a one-line ``Error: …`` and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SecretKeyError as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            # The command's app context is gone by now.
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                missing = schema.missing_after(error)
            if missing:
                raise click.ClickException(schema.upgrade_message(missing)) from None
            # The statement and its parameters stay out of the message.
            raise click.ClickException(
                f"The database refused the operation ({type(error).__name__})."
            ) from None


group = _Commands("secret-keys", help="Manage secret API keys.")


def _user(identifier: str) -> Any:
    user = current_state().users.find_user(identifier)
    if user is None:
        raise click.ClickException(f"No user {identifier!r}.")
    return user


def _when(value: Any, empty: str = "never") -> str:
    return empty if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


#: Characters a terminal acts on rather than shows, which a title cannot hold either:
#: control characters (a newline, an ANSI escape), text-direction controls, and line
#: and paragraph separators.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable(text: str) -> str:
    """``text`` with each character a terminal would act on written as its escape (``\\x1b``).

    Titles are checked when they are written, but display names come from the
    host's users, and events keep what was true when they were recorded.
    """
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS
        else char
        for char in text
    )


def _name(user: Any) -> str:
    """A user as the CLI prints them: the configured ``user_name``, made printable."""
    return _printable(current_state().users.user_name(user))


def _owner(key: Any) -> str:
    owner = key.owner
    return f"? (user {key.user_id})" if owner is None else _name(owner)


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


F = TypeVar("F", bound=Callable[..., Any])


def restriction_options(keeping: str) -> Callable[[F], F]:
    """``--permission`` and ``--allow-network``, repeatable; ``keeping`` says what omitting them
    means."""

    def decorate(command: F) -> F:
        command = click.option(
            "--allow-network",
            "networks",
            multiple=True,
            metavar="CIDR",
            help=f"An address or range the key may be used from; repeat for more ({keeping}).",
        )(command)
        return click.option(
            "--permission",
            "permissions",
            multiple=True,
            metavar="RESOURCE:ACCESS",
            help=f"A permission such as orders:read or catalog:write; repeat for more ({keeping}).",
        )(command)

    return decorate


def _reach(
    permissions: tuple[str, ...], networks: tuple[str, ...], keep: Reach | None = None
) -> Reach | None:
    """The reach the options give; what ``keep`` has where an option is not given (None and
    no options: None). A resource no route declares is refused."""
    if keep is None and not permissions and not networks:
        return None
    keep = keep or Reach()
    reach = Reach.from_permission_list(
        permissions if permissions else None,
        networks if networks else [str(net) for net in keep.networks],
    )
    if not permissions:
        reach = Reach(keep.permissions, reach.networks)
    declared = current_state().routes.declared_resources()
    unknown = [name for name in reach.levels or {} if name not in declared]
    if unknown and permissions:
        raise click.ClickException(
            f"No Admin API route declares the resource {unknown[0]!r}; the resources are"
            f" {', '.join(declared) or 'none yet'} (flask secret-keys routes lists them)."
        )
    return reach


def _restrictions_text(key: SecretKeyMixin) -> str:
    return reach_of(key).describe()


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
    reach = _reach(permissions, networks)
    user = _user(identifier)
    try:
        key, token = state.service.create(
            user, title, expires_at=expires_at, actor=actor, reach=reach
        )
    except ActiveKeyExists as error:
        raise click.ClickException(
            f"{_name(user)} already has an active key ({error.key.id}) — revoke it or roll it."
        ) from None
    click.echo(
        f"Created secret API key {key.id} ({key.redacted}) for {identifier},"
        f" expiring {_when(key.expires_at)}: {_restrictions_text(key)}."
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
    reach = _reach(permissions, networks, reach_of(key)) if permissions or networks else None
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
        f" {'now' if not delay else 'at ' + _when(old.revoked_at)}. New key {successor.id}"
        f" ({successor.redacted}), expiring {_when(successor.expires_at)}:"
        f" {_restrictions_text(successor)}. Store it now: it will not be shown again.",
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
    before = _restrictions_text(key)
    reach = _reach(permissions, networks, reach_of(key))
    service.restrict(key, cast(Reach, reach), actor=actor)
    click.echo(
        f"Restricted secret API key {key.id} ({key.redacted}): was {before},"
        f" now {_restrictions_text(key)}."
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
        _echo_json_array(
            {**_key_record(key), "ends": ends, "ends_at": _iso(at)}
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
            f"{key.id:>6}  {_owner(key):30}  {ends:7}"
            f"  {_when(at):23}  {key.redacted:18}  {_printable(key.title)}"
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
        "created_at": _iso(key.created_at),
        "last_used_at": _iso(key.last_used_at),
        "last_used_ip": key.last_used_ip,
        "last_used_user_agent": key.last_used_user_agent,
        "expires_at": _iso(key.expires_at),
        "revoked_at": _iso(key.revoked_at),
        **reach_of(key).to_json(),
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
    service = current_state().service
    keys: Iterable[SecretKeyMixin]
    keys = service.iter_all() if every else service.keys_of(_user(cast(str, identifier)))
    if as_json:
        _echo_json_array(_key_record(key) for key in keys)
        return
    header = f"{'ID':>6}  {'STATUS':8}  {'KEY':18}  {'CREATED':23}  {'LAST USED':23}"
    header += f"  {'EXPIRES':23}  {'REVOKED':23}  "
    header += "OWNER / TITLE" if every else "TITLE"
    shown = False
    for key in keys:
        if not shown:
            click.echo(header)
            shown = True
        owner = f"{_owner(key)} / " if every else ""
        status = service.status_of(key)
        click.echo(
            f"{key.id:>6}  {status:8}  {key.redacted:18}  {_when(key.created_at):23}"
            f"  {_when(key.last_used_at):23}  {_when(key.expires_at):23}"
            f"  {_when(key.revoked_at, '-'):23}  {owner}{_printable(key.title)}"
        )
    if not shown:
        click.echo(
            "There are no secret API keys." if every else f"{identifier} has no secret API keys."
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
        user = _user(identifier)
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
                + ("." if was is None else f", which was scheduled for revocation at {_when(was)}.")
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
            f"Secret API key {key.id} ({key.redacted}) will be revoked at {_when(key.revoked_at)}."
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
        click.echo(f"Revoked secret API key {key.id} ({key.redacted}) of {_owner(key)}.")
    lines = "line" if len(tokens) == 1 else "lines"
    click.echo(
        f"{len(tokens)} {lines} read, {len(keys)} matched a secret API key:"
        f" {len(revoked)} revoked now, {len(keys) - len(revoked)} had already stopped working."
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
            f"{key.id:>6}  {_owner(key):30}  {_when(key.last_used_at):23}"
            f"  {key.redacted:18}  {_printable(key.title)}"
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
        _echo_json_array(_event_record(event) for event in events)
        return
    if not events:
        click.echo(f"No events recorded for secret API key {key_id}.")
        return
    for event in events:
        where = f" from {_printable(event.ip)}" if event.ip else ""
        click.echo(
            f"{_when(event.at)}  {_printable(event.summary)}{_old_key_stops(event)}"
            f" by {_printable(event.actor_label)}{where}"
        )


def _old_key_stops(event: KeyEventMixin) -> str:
    """For a roll, when the old key stopped or stops working; nothing for other events."""
    revoke_at = event.details.get("revoke_at") if event.event == "rolled" else None
    if not revoke_at:
        return ""
    stops = dt.datetime.fromisoformat(revoke_at).astimezone(dt.timezone.utc)
    if stops - event.at < dt.timedelta(seconds=1):
        return "; the old key stopped working at once"
    return f"; the old key works until {_when(stops)}"


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
        return f"created {_when(key.created_at)}, before its owner ({_when(owner_created)})"
    name = users.user_name(owner)
    for event in current_state().service.events_of(key.id):
        if event.event != "created":
            continue
        details = event.details
        if "owner" in details:
            if details["owner"] != name:
                return f"made for {_printable(details['owner'])!r}, a user who had this id then"
            return None
        if event.actor_kind != "user" or str(event.actor_id) != str(users.user_id(owner)):
            return None
        recorded = event.actor_name or ""
        if recorded != name[: models.ACTOR_NAME_MAX_LENGTH]:
            return f"created by {_printable(recorded)!r}, a user who had this id then"
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
        click.echo(f"{key.id:>6}  {_owner(key):30}  {_printable(key.title):30}  {problem}")
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

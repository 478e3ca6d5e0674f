"""The command group and what its commands share: how they name users, print times and
text, and read an actor and restrictions from their options."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from .. import schema
from ..errors import SecretKeyError
from ..models import SecretKeyMixin
from ..reach import Reach, reach_of
from ..rules import Actor, clean_operator
from ..state import current_state


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


def user_named(identifier: str) -> Any:
    user = current_state().users.find_user(identifier)
    if user is None:
        raise click.ClickException(f"No user {identifier!r}.")
    return user


def when(value: Any, empty: str = "never") -> str:
    return empty if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


#: Characters a terminal acts on rather than shows, which a title cannot hold either:
#: control characters (a newline, an ANSI escape), text-direction controls, and line
#: and paragraph separators.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str) -> str:
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


def name_of(user: Any) -> str:
    """A user as the CLI prints them: the configured ``user_name``, made printable."""
    return printable(current_state().users.user_name(user))


def owner_of(key: Any) -> str:
    owner = key.owner
    return f"? (user {key.user_id})" if owner is None else name_of(owner)


def iso(value: dt.datetime | None) -> str | None:
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


def reach_from(
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


def restrictions_text(key: SecretKeyMixin) -> str:
    return reach_of(key).describe()


def echo_json_array(records: Iterable[dict[str, Any]]) -> None:
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

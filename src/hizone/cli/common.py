"""What every sub-command shares: the output formats, one-line user errors, the store and the acting user.

The CLI starts at once: a command module imports at its top only the standard library, Typer and Rich; what a
command uses (the store, the engines, DuckDB, FastAPI) it imports when it runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from hizone.errors import HizoneError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from hizone.auth.policy import Principal

P = ParamSpec("P")
R = TypeVar("R")


def command_group(help: str) -> typer.Typer:
    """A group of commands. Its help is Click's plain text: Typer's Rich panels import Rich's Markdown renderer,
    a third of what `hizone --help` would cost; Rich still draws the commands' tables and progress bars."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A HizoneError is one line on stderr and exit code 2, also when a sub-app runs on its own."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except HizoneError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


def open_configured_store() -> Engine:
    """The store HIZONE_DATABASE_URL names (default var/), checked to be at the current schema."""
    from hizone.config import Settings
    from hizone.store import open_store

    return open_store(Settings.from_env().database_url)


def acting_user(user: str, role: str, zone: str | None, province: str | None, zone_option: str = "--zone"
                ) -> Principal:
    """The principal a command acts as (``--user``, ``--role``, the zone option, ``--province``)."""
    from hizone.auth.policy import ROLES, SCOPE_FIELD, Principal

    if role not in ROLES:
        raise HizoneError(f"unknown role '{role}' (one of {', '.join(ROLES)})", where="--role")
    given = {"province_code": ("--province", province), "zone_code": (zone_option, zone)}
    option, value = given.get(SCOPE_FIELD.get(role, ""), ("", "given"))
    if not value:
        raise HizoneError(f"role {role} needs {option}", where=option)
    return Principal(user, role, province_code=province, zone_code=zone)

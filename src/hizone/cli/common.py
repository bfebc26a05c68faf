"""What every sub-command shares: the output formats, one-line user errors, the store and the acting user.

The CLI starts at once: a command module imports at its top only the standard library and Typer; what a
command uses (Rich, the store, the engines, DuckDB, FastAPI) it imports when it runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from typer import _click
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_path
from typer.core import TyperGroup, _TyperParameter

from hizone.errors import HizoneError

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from hizone.auth.policy import Principal

P = ParamSpec("P")
R = TypeVar("R")


def command_group(help: str, cls: type[TyperGroup] | None = None) -> typer.Typer:
    """A group of commands. Its help is Click's plain text: Typer's Rich panels import Rich's Markdown renderer,
    a third of what `hizone --help` would cost; Rich still draws the commands' tables and progress bars."""
    return typer.Typer(cls=cls or PlainValuesGroup, help=help, no_args_is_help=True, rich_markup_mode=None,
                       pretty_exceptions_enable=False)


class PlainValuesGroup(TyperGroup):
    """Typer converts every option's text through a Pydantic TypeAdapter: importing Pydantic and building the
    adapters costs a command about 0.1 s, a fifth of `hizone index run`. This group's own flags and its
    commands' text, path and flag options are converted with the standard library instead (paths still through
    Typer's own checks: exists, dir_okay, ...); any other type or value keeps Typer's conversion."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        _convert_plainly(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: _click.Context, args: list[str]) -> tuple[str | None, _click.Command | None,
                                                                             list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, PlainValuesGroup):  # a group converts its own
            _convert_plainly(command.get_params(ctx))
        return name, command, rest


class DeferredGroups(PlainValuesGroup):
    """The `hizone` command as its entry point runs it: a sub-group (db, index, ...) is built into a Click
    command only when it is run; until then a stand-in of the same name and help text holds its place (help,
    suggestions). Building every group's commands (each option read from a function's signature) was a third of
    `hizone --help` and a sixth of `hizone index run`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._builders: dict[str, Callable[[], _click.Command]] = {}

    def defer(self, stand_in: _click.Command, build: Callable[[], _click.Command]) -> None:
        assert stand_in.name
        self.commands[stand_in.name] = stand_in
        self._builders[stand_in.name] = build

    def resolve_command(self, ctx: _click.Context, args: list[str]) -> tuple[str | None, _click.Command | None,
                                                                             list[str]]:
        if args and args[0] in self._builders:
            self.commands[args[0]] = self._builders.pop(args[0])()
        return super().resolve_command(ctx, args)


class _PlainValue(RuntimeParam):
    """Text as given, a path as a Path (checked as Typer checks it), a flag as it is; else Typer's conversion."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: _click.Context) -> Any:
        if type(value) is self.annotation and self.annotation in (bool, str):
            return value
        if isinstance(value, str | Path) and self.annotation is Path:
            return coerce_cli_path(Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx)
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def _convert_plainly(params: list[_click.Parameter]) -> None:
    for param in params:
        if not isinstance(param, _TyperParameter) or param._runtime_param is not None:
            continue
        descriptor = param.type_descriptor
        info = descriptor.parameter_info
        plain = descriptor.annotation in (str, bool) or (descriptor.annotation is Path and info.path_type is None)
        if plain and info.parser is None and descriptor.file_annotation is None and not param.multiple \
                and param.nargs == 1:
            param._runtime_param = _PlainValue(parameter_info=info, annotation=descriptor.annotation)


@functools.cache
def console(*, stderr: bool = False, width: int | None = None, highlight: bool = True,
            soft_wrap: bool = False) -> Console:
    """A Rich console, imported when a command first prints (Rich's import is a sixth of `hizone --help`)."""
    from rich.console import Console

    return Console(stderr=stderr, width=width, highlight=highlight, soft_wrap=soft_wrap)


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

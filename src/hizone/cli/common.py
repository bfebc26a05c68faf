"""What every sub-command shares: the output formats and one-line user errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import ParamSpec, TypeVar

import typer

from hizone.errors import HizoneError

P = ParamSpec("P")
R = TypeVar("R")


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

"""Checks of a form that need more than its own columns and rules: named in its rules YAML (``row_checks``).

Each name maps to a module with ``load(conn, rules, period)``, which reads what the check needs from the
store before the file is checked (None: nothing to check against), and ``issues(rows, loaded, tally)``,
which returns the Issues of the rows checked. They run inside intake's validation, so a file they refuse
stores nothing, like any other error.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from hizone.errors import CatalogError

if TYPE_CHECKING:
    from hizone.intake.headers import ColumnMap
    from hizone.intake.readers import RawSheet

CHECKS = {"talent_campaign": "hizone.talent.checks"}


@dataclass(frozen=True)
class CheckRows:
    """The rows a check sees: the sheet part, each row's entity key, parsed values and text columns."""

    raw: RawSheet
    columns: ColumnMap
    period: str
    keys: npt.NDArray[np.str_]
    values: dict[str, npt.NDArray[np.float64]]
    texts: dict[str, npt.NDArray[Any]]  # role -> text (note, name, ...), where the file has the column


def module(name: str) -> ModuleType:
    if name not in CHECKS:
        raise CatalogError(f"unknown row check '{name}' (known: {', '.join(sorted(CHECKS))})", where="row_checks")
    return importlib.import_module(CHECKS[name])

"""`hizone registry import-enterprises / import-list`: enterprises and their qualifications from lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from hizone.cli.common import acting_user, command_group, console, open_configured_store, user_errors
from hizone.errors import HizoneError

registry_app = command_group("The registry: enterprises and their qualifications from lists.")

FileArgument = Annotated[Path, typer.Argument(help=".xlsx or .csv file (UTF-8 or GBK)", exists=True, dir_okay=False)]
UserOption = Annotated[str, typer.Option("--user", "-u", help="who acts (recorded in the audit log)")]
RoleOption = Annotated[str, typer.Option("--role", help="admin or analyst (national), province or zone")]
ZoneOption = Annotated[str | None, typer.Option(help="the user's zone (role zone)")]
ProvinceOption = Annotated[str | None, typer.Option(help="the user's province (role province)")]
SheetOption = Annotated[str | None, typer.Option(help="sheet to read (default: the one with the list's header)")]


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    from hizone.registry.sheets import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise HizoneError(str(exc), where="--valid-from") from None


@registry_app.command("import-enterprises")
@user_errors
def import_enterprises_command(file: FileArgument, user: UserOption = "cli", role: RoleOption = "admin",
                               zone: ZoneOption = None, province: ProvinceOption = None,
                               sheet: SheetOption = None,
                               outcome: Annotated[Path | None, typer.Option(
                                   help="write every credit code and what became of it (.csv)")] = None,
                               valid_from: Annotated[str | None, typer.Option(
                                   help="the day the list's changes (renames, moves) take effect, where a row "
                                        "has no 生效日期 (valid_from) of its own; default today")] = None) -> None:
    """Register the enterprises of a list (统一社会信用代码, 企业名称, 高新区代码; optionally 行业代码, 注册日期,
    生效日期): all of the file or nothing. Changes are dated versions: the enterprise's history keeps the old."""
    from hizone.registry.enterprises import import_enterprises

    result = import_enterprises(open_configured_store(), file, acting_user(user, role, zone, province), sheet=sheet,
                                valid_from=_day(valid_from))
    for line in result.describe():
        console(highlight=False, soft_wrap=True).print(line)
    if outcome is not None:
        outcome.write_bytes(result.outcome_csv())
        console(highlight=False, soft_wrap=True).print(f"outcome written to {outcome}")


@registry_app.command("import-list")
@user_errors
def import_list_command(
    file: FileArgument,
    kind: Annotated[str, typer.Option(help="hightech, tech_sme, specialized, little_giant, gazelle or unicorn")],
    year: Annotated[int | None, typer.Option(min=1950, max=2100,
                                             help="the list's year (when its rows carry no issue date)")] = None,
    review: Annotated[Path | None, typer.Option(help="where to write the rows for review (.csv; default: "
                                                     "FILE's name with -review.csv, beside it)")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="refuse the whole list (exit 2, nothing stored) if "
                                                          "any row needs review")] = False,
    user: UserOption = "cli", role: RoleOption = "admin", zone: ZoneOption = None,
    province: ProvinceOption = None, sheet: SheetOption = None,
) -> None:
    """Store the qualifications of a published list by credit code; rows that do not match go to review."""
    from hizone.registry.lists import import_list

    result = import_list(open_configured_store(), file, kind, acting_user(user, role, zone, province), year=year,
                         sheet=sheet, strict=strict)
    for line in result.describe():
        console(highlight=False, soft_wrap=True).print(line)
    if result.review:
        target = review or file.with_name(f"{file.stem}-review.csv")
        target.write_bytes(result.review_csv())
        console(highlight=False, soft_wrap=True).print(f"{len(result.review)} row(s) for review written to {target}")

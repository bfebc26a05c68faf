"""`hizone bulletins …`: facts from the Torch Center's bulletins (火炬动态)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Annotated

import typer

from hizone.bulletins.model import FACT_COLUMNS, Fact
from hizone.cli.common import command_group, console, user_errors
from hizone.errors import HizoneError

bulletins_app = command_group("Bulletins (火炬动态): their facts with offsets and quotes.")

BulletinArgument = Annotated[Path, typer.Argument(help="the bulletin: .txt (UTF-8) or .pdf", exists=True,
                                                  dir_okay=False)]


def _issue_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HizoneError(f"not a date (YYYY-MM-DD): {text!r}", where="--date") from None


def format_value(value: float) -> str:
    """A value as the CSV writes it: integers without a point, others with up to 10 decimals, no exponent."""
    if value.is_integer():
        return str(int(value))
    return f"{value:.10f}".rstrip("0").rstrip(".")


def facts_csv(facts: list[Fact]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FACT_COLUMNS)
    for fact in facts:
        row = dataclasses.asdict(fact)
        row["value"] = format_value(fact.value)
        writer.writerow([row[c] for c in FACT_COLUMNS])
    return out.getvalue()


@bulletins_app.command("extract")
@user_errors
def extract_command(file: BulletinArgument,
                    out: Annotated[Path, typer.Option("--out", help="the facts as CSV (UTF-8)")],
                    date: Annotated[str | None, typer.Option(
                        "--date", help="the issue's date (YYYY-MM-DD), resolving 今年/去年; default: from the "
                                       "bulletin's header")] = None) -> None:
    """Every quantitative fact in a bulletin, one CSV row each: file,start,end,subject,subject_name,metric,value,
    unit,period,qualifier,quote (offsets in characters of the file's text; quote = text[start:end])."""
    from hizone.bulletins.extract import extract_facts, read_bulletin
    from hizone.registry.tables import load_zones

    issue_date = _issue_date(date)
    bulletin = read_bulletin(file)
    if issue_date is not None:
        bulletin = dataclasses.replace(bulletin, issue_date=issue_date)
    facts = extract_facts(bulletin, [(z.code, z.name_zh) for z in load_zones()])
    try:
        out.write_text(facts_csv(facts), encoding="utf-8")
    except OSError as exc:
        raise HizoneError(f"cannot write: {exc.strerror or exc}", where=str(out)) from None
    console(highlight=False, soft_wrap=True).print(f"{len(facts)} facts from {file.name} written to {out}")

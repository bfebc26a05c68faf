"""`hizone bulletins load|facts|search|review`: bulletins in the store, their facts, the analysts' review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hizone.cli.common import Format, acting_user, console, open_configured_store, user_errors
from hizone.errors import HizoneError

if TYPE_CHECKING:
    from hizone.store.bulletins import StoredFact

# The columns of `hizone bulletins facts` (the store's facts with their review).
STORED_COLUMNS = ("id", "bulletin_id", "file", "issue", "start", "end", "subject", "subject_name", "metric", "value",
                  "unit", "period", "qualifier", "status", "corrected_value", "corrected_unit", "corrected_period",
                  "reviewer", "note", "quote")

UserOption = Annotated[str, typer.Option("--user", "-u", help="who acts (in the audit log)")]
RoleOption = Annotated[str, typer.Option("--role", help="the role acted in: admin or analyst")]


def register(group: typer.Typer) -> None:
    group.command("load")(load_command)
    group.command("facts")(facts_command)
    group.command("search")(search_command)
    group.command("review")(review_command)


@user_errors
def load_command(files: Annotated[list[Path], typer.Argument(help="bulletins: .txt (UTF-8) or .pdf")],
                 user: UserOption = "cli", role: RoleOption = "analyst") -> None:
    """Store bulletins with their facts (a file stored before is left as it is). Each file is one transaction:
    a refused file stores nothing and the others still load; exit code 2 when any was refused."""
    from hizone.store.bulletins import load_file

    who = acting_user(user, role, None, None)
    engine = open_configured_store()
    refused = 0
    out = console(highlight=False, soft_wrap=True)
    for path in files:
        try:
            loaded = load_file(engine, path, who)
        except HizoneError as error:
            refused += 1
            typer.echo(f"error: {error}", err=True)
            continue
        if loaded.created:
            out.print(f"{path.name}: bulletin {loaded.bulletin_id} stored with {loaded.facts} facts")
        else:
            out.print(f"{path.name}: already stored as bulletin {loaded.bulletin_id} ({loaded.file_name}, "
                      f"{loaded.facts} facts); nothing changed")
    if refused:
        raise typer.Exit(code=2)


def _row(f: StoredFact) -> dict[str, object]:
    return {"id": f.id, "bulletin_id": f.bulletin_id, "file": f.file_name, "issue": f.issue, "start": f.start,
            "end": f.end, "subject": f.subject, "subject_name": f.subject_name, "metric": f.metric, "value": f.value,
            "unit": f.unit, "period": f.period, "qualifier": f.qualifier, "status": f.status,
            "corrected_value": f.corrected_value, "corrected_unit": f.corrected_unit,
            "corrected_period": f.corrected_period, "reviewer": f.reviewer, "note": f.note, "quote": f.quote}


@user_errors
def facts_command(zone: Annotated[str | None, typer.Option(help="facts about this zone (registry code), or "
                                                               "national_zones / china")] = None,
                  status: Annotated[str | None, typer.Option(
                      help="extracted, confirmed, corrected or rejected")] = None,
                  bulletin: Annotated[int | None, typer.Option(help="facts of this bulletin (its id)")] = None,
                  format: Annotated[Format, typer.Option(help="table, csv or json")] = Format.table) -> None:
    """The stored facts, by bulletin and position, with their review."""
    import csv
    import json
    import sys

    from hizone.store import session_scope
    from hizone.store.bulletins import FactFilter, facts

    with session_scope(open_configured_store()) as session:
        rows = [_row(f) for f in facts(session, FactFilter(bulletin_id=bulletin, subject=zone, status=status))]
    if format is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif format is Format.csv:
        writer = csv.DictWriter(sys.stdout, STORED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from rich.table import Table

        table = Table("id", "subject", "metric", "value", "unit", "period", "status", "quote")
        for r in rows:
            table.add_row(*(str(r[c] if r[c] is not None else "") for c in ("id", "subject_name", "metric", "value",
                                                                             "unit", "period", "status", "quote")))
        console().print(table)


@user_errors
def search_command(query: Annotated[str, typer.Argument(help="words (ANDed); Chinese of two characters or more")],
                   format: Annotated[Format, typer.Option(help="table or json")] = Format.table) -> None:
    """Full-text search over the stored bulletins: each bulletin's hits with their offsets and a snippet."""
    import json

    from hizone.store import session_scope
    from hizone.store.bulletins import search

    with session_scope(open_configured_store()) as session:
        found = search(session, query)
    if format is Format.json:
        typer.echo(json.dumps([{"bulletin_id": f.bulletin.id, "file": f.bulletin.file_name, "issue": f.bulletin.issue,
                                "hits": f.count, "first": [{"start": h.start, "end": h.end, "snippet": h.snippet}
                                                           for h in f.hits]} for f in found],
                              ensure_ascii=False, indent=1))
        return
    out = console(highlight=False, soft_wrap=True)
    if not found:
        out.print(f"no bulletin holds {query!r}")
    for f in found:
        out.print(f"bulletin {f.bulletin.id} {f.bulletin.file_name} {f.bulletin.issue}: {f.count} hits")
        for h in f.hits:
            out.print(f"  {h.start}-{h.end}  …{h.snippet}…")


@user_errors
def review_command(fact_id: Annotated[int, typer.Argument(help="the fact's id (see `hizone bulletins facts`)")],
                   confirm: Annotated[bool, typer.Option("--confirm", help="the fact is right")] = False,
                   reject: Annotated[bool, typer.Option("--reject", help="not a fact, or a wrong one")] = False,
                   correct: Annotated[str | None, typer.Option(
                       "--correct", help="the right value in the base unit (元, 家, % …)")] = None,
                   unit: Annotated[str | None, typer.Option(help="with --correct: the right unit")] = None,
                   period: Annotated[str | None, typer.Option(help="with --correct: the right period")] = None,
                   note: Annotated[str | None, typer.Option(help="why (in the audit log)")] = None,
                   user: UserOption = "cli", role: RoleOption = "analyst") -> None:
    """Confirm, correct or reject a fact (audited)."""
    from hizone.store import session_scope
    from hizone.store.bulletins import Correction, review

    chosen = [name for name, given in (("confirm", confirm), ("reject", reject), ("correct", correct is not None))
              if given]
    if len(chosen) != 1:
        raise HizoneError("give exactly one of --confirm, --reject, --correct VALUE", where="review")
    correction = None
    if correct is not None:
        try:
            correction = Correction(float(correct), unit, period)
        except ValueError:
            raise HizoneError(f"not a number: {correct!r}", where="--correct") from None
    elif unit or period:
        raise HizoneError("--unit and --period go with --correct", where="--unit" if unit else "--period")
    who = acting_user(user, role, None, None)
    with session_scope(open_configured_store()) as session:
        done = review(session, who, fact_id, chosen[0], correction, note)
    console(highlight=False, soft_wrap=True).print(
        f"fact {done.id}: {done.status} ({done.metric} = {done.current_value:g} {done.current_unit}"
        f"{', ' + done.current_period if done.current_period else ''})")

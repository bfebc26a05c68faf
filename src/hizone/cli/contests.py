"""`hizone contests load|enter|link|attach|judge|assign|score|results|advance|move|track`: contests in the store.

Thin: read the options and files, ask ``hizone.contests.service`` (which asks the policy), print the outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hizone.cli.common import acting_user, command_group, console, open_configured_store, user_errors
from hizone.errors import HizoneError

if TYPE_CHECKING:
    from hizone.contests.service import EntryForm

contests_app = command_group("Contests (中国创新创业大赛, 颠覆性技术创新大赛): entries, judges, scores, advancing.")

EditionOption = Annotated[str, typer.Option(help="The edition: contest code and number, e.g. cicc-12.")]
UserOption = Annotated[str, typer.Option("--user", "-u", help="who acts (in the audit log)")]
RoleOption = Annotated[str, typer.Option(help="the role acted in (admin or analyst run contests)")]
StageOption = Annotated[str, typer.Option(help="The stage's code, as in the contest's YAML.")]


@contests_app.command("load")
@user_errors
def load_command(
    contest: Annotated[str, typer.Option(help="The contest YAML under catalog/data/contests.")] = "cicc-2023",
    rubric: Annotated[str, typer.Option(help="The rubric YAML.")] = "rubric-enterprise-2023",
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """Store an edition with its rules and rubric (again with the same texts: nothing changes)."""
    from hizone.contests.service import load_edition

    loaded = load_edition(open_configured_store(), acting_user(user, role, None, None), contest, rubric)
    typer.echo(f"{contest}: {loaded.status} as {loaded.key} (edition id {loaded.edition_id})")


def _entry_forms(path: Path) -> list[EntryForm]:
    import csv

    from hizone.contests.service import ENTRY_COLUMNS, entry_form

    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        given = reader.fieldnames or []
        missing = [c for c in ("code",) if c not in given]
        if not missing and "credit_code" not in given and "team_name" not in given:
            missing = ["credit_code or team_name"]
        if missing:
            raise HizoneError(f"missing column(s): {', '.join(missing)} (columns: {', '.join(ENTRY_COLUMNS)})",
                              where=str(path))
        forms, problems = [], []
        for line, row in enumerate(reader, 2):
            form, wrong = entry_form(row)
            forms.append(form)
            problems += [f"row {line}, column {column}: {reason}" for column, reason in wrong]
    if problems:
        raise HizoneError("\n".join(problems), where=str(path))
    return forms


@contests_app.command("enter")
@user_errors
def enter_command(
    edition: EditionOption,
    file: Annotated[Path, typer.Option(help="CSV with the columns code, credit_code (or team_name with "
                                            "team_leader, team_members, institution), name, field, revenue (yuan, "
                                            "of the contest's revenue year).")],
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """Take the entries of a file, each checked against the registry and the rules (all or nothing)."""
    from hizone.contests.service import enter

    taken = enter(open_configured_store(), acting_user(user, role, None, None), edition,
                  _entry_forms(file), where=str(file))
    for entry in taken:
        verdict = "eligible" if entry.eligible else "ineligible: " + "；".join(entry.reasons)
        typer.echo(f"{entry.code} {entry.name} [{entry.group or '-'}] {verdict}")
    typer.echo(f"{len(taken)} entries, {sum(e.eligible for e in taken)} eligible")


@contests_app.command("link")
@user_errors
def link_command(
    edition: EditionOption,
    entry: Annotated[str, typer.Option(help="The team's entry code.")],
    credit_code: Annotated[str, typer.Option(help="The credit code of the enterprise the team registered.")],
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """Link a team's entry to the enterprise it registered since: the follow-up then follows the firm (audited)."""
    from hizone.contests.service import link_team

    linked = link_team(open_configured_store(), acting_user(user, role, None, None), edition, entry, credit_code)
    typer.echo(f"{linked.code} {linked.team_name} → {linked.credit_code} (zone {linked.zone_code or '-'})")


@contests_app.command("attach")
@user_errors
def attach_command(
    edition: EditionOption,
    entry: Annotated[str, typer.Option(help="The entry's code.")],
    file: Annotated[list[Path], typer.Option(help="A document (PDF, PNG, JPEG, .docx, .xlsx, .pptx); repeat.")],
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """Attach documents to an entry, each checked by its content against its name and the edition's size limit
    (a refused file is named with the reason and stores nothing; the ones before it stay stored)."""
    from hizone.contests.service import attach, document_limit

    engine = open_configured_store()
    principal = acting_user(user, role, None, None)
    limit = document_limit(engine, edition)
    for path in file:
        if not path.is_file():
            raise HizoneError("no such file", where=str(path))
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
        stored = attach(engine, principal, edition, entry, path.name, data)
        typer.echo(f"{stored.filename}: {stored.media_type}, {stored.size:,} bytes, sha256 {stored.sha256}")


@contests_app.command("judge")
@user_errors
def judge_command(
    edition: EditionOption,
    username: Annotated[str, typer.Option(help="A user with the judge role.")],
    organisation: Annotated[str | None, typer.Option(help="The judge's organisation (credit code).")] = None,
    zone: Annotated[str | None, typer.Option(help="The judge's zone, if any.")] = None,
    tie: Annotated[list[str] | None, typer.Option(help="A declared tie: an entry code or an organisation's "
                                                       "credit code (repeat).")] = None,
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """Name a judge of the edition, with what its conflicts of interest are decided from."""
    from hizone.contests.service import add_judge

    named = add_judge(open_configured_store(), acting_user(user, role, None, None), edition, username,
                      organisation=organisation, zone=zone, ties=tie or ())
    typer.echo(f"{username}: judge of {edition} (organisation {named.organisation or '-'}, zone "
               f"{named.zone_code or '-'}, ties {', '.join(named.ties) or '-'})")


@contests_app.command("assign")
@user_errors
def assign_command(edition: EditionOption, stage: StageOption, user: UserOption = "cli",
                   role: RoleOption = "admin") -> None:
    """Assign the rubric's N judges to every eligible entry at the stage, conflicts excluded, loads balanced."""
    from collections import Counter

    from hizone.contests.service import assign

    plan = assign(open_configured_store(), acting_user(user, role, None, None), edition, stage)
    loads = Counter(j for judges in plan.values() for j in judges)
    for code, judges in plan.items():
        typer.echo(f"{code}: {', '.join(judges)}")
    typer.echo(f"{len(plan)} entries; loads {min(loads.values())}–{max(loads.values())} per judge")


@contests_app.command("score")
@user_errors
def score_command(
    edition: EditionOption,
    file: Annotated[Path, typer.Option(help="CSV: judge, entry and one column per rubric dimension.")],
    user: Annotated[str, typer.Option("--user", "-u", help="the judge whose scores these are")],
) -> None:
    """Store a judge's scores (all or nothing; each change in the audit log)."""
    from hizone.contests.scoring import read_csv
    from hizone.contests.service import rubric_of, score_all

    engine = open_configured_store()
    scores = read_csv(rubric_of(engine, edition), file.read_text(encoding="utf-8-sig"), where=str(file))
    changed = score_all(engine, acting_user(user, "judge", None, None), edition, scores, where=str(file))
    typer.echo(f"{len(scores)} scores, {changed} changed")


@contests_app.command("results")
@user_errors
def results_command(
    edition: EditionOption, stage: StageOption,
    count: Annotated[int | None, typer.Option(help="How many advance (default: the stage's YAML).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the results to this .xlsx.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en (the workbook's headings)")] = "zh",
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """The stage's ranking recomputed from the stored raw scores, and who would advance."""
    from hizone.web.services.contests import results_table
    from hizone.web.services.tables import to_xlsx

    table, synthetic = results_table(open_configured_store(), acting_user(user, role, None, None), edition, stage,
                                     count, lang)
    for row in table.rows:
        console().print("  ".join(str(row[c.key]) if row[c.key] is not None else "" for c in table.columns))
    if out is not None:
        out.write_bytes(to_xlsx(table, f"{edition} {stage}", synthetic))
        typer.echo(f"-> {out}")


@contests_app.command("advance")
@user_errors
def advance_command(
    edition: EditionOption, stage: StageOption,
    count: Annotated[int | None, typer.Option(help="How many advance (default: the stage's YAML).")] = None,
    award: Annotated[str | None, typer.Option(help="At the last stage: the award the top --count get.")] = None,
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """Rank the stage and move the advancing entries on (refusing those ineligible for the next stage)."""
    from hizone.contests.service import advance

    made = advance(open_configured_store(), acting_user(user, role, None, None), edition, stage, count,
                   award=award)
    goes = [r.entry for r in made.results if r.advances]
    typer.echo(f"{stage} → {made.next_stage or award}: {len(goes)} of {len(made.results)} ({', '.join(goes)})")
    for code, reasons in made.refused.items():
        typer.echo(f"refused {code}: {'；'.join(reasons)}")


@contests_app.command("move")
@user_errors
def move_command(
    edition: EditionOption,
    entry: Annotated[str, typer.Option(help="The entry's code.")],
    stage: Annotated[str, typer.Option(help="A later stage's code.")],
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """Push one entry to a later stage by hand (a wild card): refused, with the reasons, when it is not eligible
    for that stage (checked again against the registry as it is now)."""
    from hizone.contests.service import move

    moved = move(open_configured_store(), acting_user(user, role, None, None), edition, entry, stage)
    typer.echo(f"{moved.code} {moved.name} → {moved.stage}")


@contests_app.command("track")
@user_errors
def track_command(
    edition: EditionOption,
    until: Annotated[int | None, typer.Option(help="The last year followed (default: this year).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the cohorts and the entrants to this .xlsx.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en (the headings)")] = "zh",
    analytics: Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb; brought "
                                                        "up to date first, as the server does).")] = None,
    user: UserOption = "cli", role: RoleOption = "admin",
) -> None:
    """The follow-up of the edition's entrants: winners against the others, by field and zone, and each entrant's
    financing with the source of the figure (the annual form, else an incubator graduation: a lower bound)."""
    from hizone.analytics.read import ReadCache
    from hizone.config import Settings, analytics_path
    from hizone.contests.tracking import FINANCING_NOTE
    from hizone.web.services.contests import tracking_tables
    from hizone.web.services.tables import to_xlsx

    engine = open_configured_store()
    # The reports are read from the analytics layer: the file is built (incrementally) when the store moved.
    reader = ReadCache(engine, analytics or analytics_path(Settings.from_env())).get()
    cohorts, entrants, synthetic = tracking_tables(engine, reader, acting_user(user, role, None, None), edition,
                                                   until, lang)
    for table in (cohorts, entrants):
        console().print("  ".join(c.label for c in table.columns), highlight=False)
        for row in table.rows:
            console().print("  ".join("" if row[c.key] is None else str(row[c.key]) for c in table.columns),
                            highlight=False)
    typer.echo(FINANCING_NOTE)
    if out is not None:
        out.write_bytes(to_xlsx(cohorts, f"{edition} tracking", synthetic, [entrants]))
        typer.echo(f"-> {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(contests_app, name="contests")

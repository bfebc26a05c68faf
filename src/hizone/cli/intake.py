"""`hizone import / submissions / approve / template / completeness`: statistical reporting (火炬统计 intake).

The commands live on ``intake_app``; ``register(app)`` adds the same commands to the top-level app so that
``hizone import FILE --form ... --period ...`` works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hizone.cli.common import acting_user, command_group, console, open_configured_store, user_errors

if TYPE_CHECKING:
    from hizone.intake.errors_report import ValidationReport

intake_app = command_group("Statistical reporting: import, approve, templates, completeness.")

FormOption = Annotated[str, typer.Option("--form", "-f", help="form code, e.g. enterprise_annual or zone_monthly")]
PeriodOption = Annotated[str, typer.Option("--period", "-p", help="2021 (annual), 2022-03 (monthly), 2022W27 (weekly)")]
UserOption = Annotated[str, typer.Option("--user", "-u", help="who acts (recorded in the audit log)")]
RoleOption = Annotated[str, typer.Option("--role", help="admin or analyst (national), province, zone or enterprise")]


def _print_issues(report: ValidationReport, limit: int = 50) -> None:
    from rich.table import Table

    table = Table("", "row", "col", "value", "rule", "message")
    for issue in report.issues[:limit]:
        mark = "[red]✗[/]" if issue.severity == "error" else "[yellow]![/]"
        table.add_row(mark, str(issue.row or ""), issue.column or "", (issue.value or "")[:24], issue.rule,
                      f"{issue.message_zh} / {issue.message_en}")
    console().print(table)
    if len(report.issues) > limit:
        console().print(f"… and {len(report.issues) - limit} more listed (write them with --report)")
    for _, line in report.omitted_lines():
        console().print(line)


def import_command(
    file: Annotated[Path, typer.Argument(help=".xlsx, .csv or .json file", exists=True, dir_okay=False)],
    form: FormOption,
    period: PeriodOption,
    user: UserOption = "cli",
    role: RoleOption = "admin",
    zone: Annotated[str | None, typer.Option(help="the user's zone (role zone)")] = None,
    province: Annotated[str | None, typer.Option(help="the user's province (role province)")] = None,
    sheet: Annotated[str | None, typer.Option(help="sheet to read (default: the one with the form's header)")] = None,
    submit: Annotated[bool, typer.Option("--submit", help="store as submitted instead of draft")] = False,
    confirm_warnings: Annotated[bool, typer.Option("--confirm-warnings",
                                                   help="accept outlier warnings after checking them")] = False,
    report: Annotated[Path | None, typer.Option(help="write the error report (.xlsx or .json)")] = None,
) -> None:
    """Validate a file and store it as one transaction (all rows or none)."""
    from hizone.intake.service import import_file

    result = import_file(open_configured_store(), file, form, period, acting_user(user, role, zone, province),
                         sheet=sheet, submit=submit, confirm_warnings=confirm_warnings)
    if result.report is not None:
        if result.report.issues:
            _print_issues(result.report)
        if report is not None:
            data = (result.report.to_xlsx() if report.suffix.lower() == ".xlsx"
                    else result.report.to_json_text().encode("utf-8"))
            report.write_bytes(data)
            console().print(f"report written to {report}")
    colour = {"stored": "green", "unchanged": "cyan"}.get(result.status, "red")
    console().print(f"[{colour}]{result.status}[/]: {result.summary()}")
    # A refused file is the user's bad input, like every other HizoneError (exit 2); warnings that wait
    # for --confirm-warnings are not an error, but nothing was stored either (exit 1).
    if result.status == "rejected":
        raise typer.Exit(2)
    if result.status == "needs_confirmation":
        raise typer.Exit(1)


def submissions_command(
    form: Annotated[str | None, typer.Option("--form", "-f")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p")] = None,
    zone: Annotated[str | None, typer.Option(help="zone code")] = None,
    entity: Annotated[str | None, typer.Option(help="credit code or zone code")] = None,
    state: Annotated[str | None, typer.Option(help="draft/submitted/reviewed/approved/returned")] = None,
    history: Annotated[bool, typer.Option("--history", help="every revision, not only the latest")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="with --entity: what the latest revision changed")] = False,
    batch: Annotated[int | None, typer.Option(help="show what this import batch changed")] = None,
    limit: Annotated[int, typer.Option(help="rows to show")] = 100,
) -> None:
    """List submissions (latest revision per entity), an entity's history, or a revision's diff."""
    from hizone.intake.service import batch_diff, list_submissions, revision_diff

    engine = open_configured_store()
    if batch is not None:
        for d in batch_diff(engine, batch):
            changes = ", ".join(f"{c.element}: {c.old} → {c.new}" for c in d.changes) or "(first revision)"
            console().print(f"{d.entity_key} r{d.old_revision or '-'}→r{d.new_revision}: {changes}")
        return
    if diff:
        if not (form and period and entity):
            raise typer.BadParameter("--diff needs --form, --period and --entity")
        d = revision_diff(engine, form, entity, period)
        console().print(f"{entity} {form} {period}: revision {d.old_revision or '-'} → {d.new_revision}")
        for c in d.changes:
            console().print(f"  {c.element}: {c.old} → {c.new}")
        return
    rows = list_submissions(engine, form=form, period=period, zone_code=zone, entity_key=entity, state=state,
                            history=history, limit=limit)
    from rich.table import Table

    table = Table("form", "period", "entity", "zone", "rev", "state", "by", "file")
    for s in rows:
        table.add_row(s.form_code, s.period, s.entity_key, s.zone_code, str(s.revision), s.state, s.created_by,
                      s.source_name or "")
    console().print(table)
    console().print(f"{len(rows)} submission(s)")


@user_errors
def approve_command(
    form: FormOption,
    period: PeriodOption,
    action: Annotated[str, typer.Option(help="submit, review, approve or return")] = "approve",
    zone: Annotated[str | None, typer.Option(help="only this zone's submissions")] = None,
    entity: Annotated[list[str] | None, typer.Option(help="only these entities (repeatable)")] = None,
    comment: Annotated[str | None, typer.Option(help="comment (required to return)")] = None,
    user: UserOption = "cli",
    role: RoleOption = "admin",
    user_zone: Annotated[str | None, typer.Option("--user-zone", help="the user's zone (role zone)")] = None,
    province: Annotated[str | None, typer.Option(help="the user's province (role province)")] = None,
) -> None:
    """Move submissions one step: draft → submitted → reviewed → approved, or return them for correction."""
    from hizone.intake.service import transition

    result = transition(open_configured_store(), action, acting_user(user, role, user_zone, province, "--user-zone"),
                        form=form, period=period, zone_code=zone, entity_keys=entity, comment=comment)
    console().print(f"[green]{result.count}[/] submission(s) now {result.target}")
    if result.withheld:  # the separation of duties: revisions the user filed are another reviewer's to accept
        console().print(f"[yellow]{len(result.withheld)}[/] left for another reviewer (you filed them): "
                        f"{', '.join(result.withheld[:10])}" + ("…" if len(result.withheld) > 10 else ""))


def template_command(
    form: FormOption,
    year: Annotated[int, typer.Option(help="report year")],
    output: Annotated[Path, typer.Option("--output", "-o", help="where to write the .xlsx")],
    with_zones: Annotated[bool, typer.Option("--zones/--no-zones", help="zone drop-down from the store")] = True,
) -> None:
    """Write an .xlsx template for a form and year (headers, units, drop-downs, instructions)."""
    from sqlalchemy import select

    from hizone.intake.template import build_template
    from hizone.store.models import Zone

    zones: list[tuple[str, str]] = []
    if with_zones:
        with open_configured_store().connect() as conn:
            zones = [(c, n) for c, n in conn.execute(select(Zone.code, Zone.name_zh).order_by(Zone.code))]
    output.write_bytes(build_template(form, year, zones))
    console().print(f"template written to {output}")


def completeness_command(
    form: FormOption,
    period: PeriodOption,
    missing: Annotated[bool, typer.Option("--missing", help="list who has not reported (reminder list)")] = False,
    on: Annotated[dt.datetime | None, typer.Option("--on", formats=["%Y-%m-%d"],
                                                   help="count as on this day (default: today in China)")] = None,
) -> None:
    """Per zone: expected, reported, on time, late, missing, not yet due and approval states (the calendar's)."""
    from hizone.intake.completeness import completeness

    report = completeness(open_configured_store(), form, period, today=on.date() if on else None)
    console().print(f"{form} {report.period}: opens {report.window.opens.isoformat()}, deadline "
                    f"{report.deadline.isoformat()} (as of {report.today.isoformat()})")
    from rich.table import Table

    table = Table("zone", "name", "expected", "reported", "on time", "late", "missing", "not yet due", "states")
    for z in report.zones:
        states = ", ".join(f"{k} {v}" for k, v in sorted(z.states.items()))
        table.add_row(z.zone_code, z.zone_name, str(z.expected), str(z.reported), str(z.on_time), str(z.late),
                      str(z.missing), str(z.pending), states)
    console().print(table)
    if missing:
        for e in report.missing:
            console().print(f"missing: {e.zone_code} {e.entity_key} {e.name} ({e.days} day(s) overdue)")


COMMANDS: dict[str, Callable[..., None]] = {
    "import": import_command, "submissions": submissions_command, "approve": approve_command,
    "template": template_command, "completeness": completeness_command}
for _name, _command in COMMANDS.items():
    intake_app.command(_name)(_command)


def register(app: typer.Typer) -> None:
    """Add the intake commands to ``app`` at top level (``hizone import ...``)."""
    for name, command in COMMANDS.items():
        app.command(name)(command)

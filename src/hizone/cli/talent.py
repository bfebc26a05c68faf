"""`hizone talent ...`: campaigns with targets (科研助理岗位), their weekly reports, progress and job fairs.

Thin: parse the options, call hizone.talent (store and engine), print. Reports go through the intake like any
form (`hizone import` with the campaign's form works the same).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from hizone.cli.common import acting_user, command_group, console, open_configured_store, user_errors
from hizone.cli.intake import RoleOption, UserOption, import_command

talent_app = command_group("Talent campaigns (科研助理岗位): targets, weekly reports, progress, job fairs.")
CampaignOption = Annotated[str, typer.Option("--campaign", "-c", help="campaign key, e.g. research_assistant-2022")]
ZoneOption = Annotated[str | None, typer.Option(help="the user's zone (role zone)")]
ProvinceOption = Annotated[str | None, typer.Option(help="the user's province (role province)")]
DEFAULT = "research_assistant-2022"


@talent_app.callback()
def talent_group() -> None:
    """Talent campaigns (科研助理岗位): targets, weekly reports, progress, job fairs."""


def _errors(lines: list[str]) -> None:
    for line in lines[:50]:
        console(stderr=True, highlight=False).print(f"[red]✗[/] {line}")
    if len(lines) > 50:
        console(stderr=True).print(f"… and {len(lines) - 50} more")
    console(stderr=True).print(f"[red]rejected[/]: {len(lines)} error(s): nothing stored")
    raise typer.Exit(2)


@talent_app.command("import-targets")
@user_errors
def import_targets_command(
    file: Annotated[Path, typer.Argument(help="CSV: level (zone/province), key, target, set_by "
                                              "(national/provincial), source", exists=True, dir_okay=False)],
    campaign: CampaignOption = DEFAULT, user: UserOption = "cli", role: RoleOption = "admin",
    zone: ZoneOption = None, province: ProvinceOption = None,
) -> None:
    """Store a campaign's targets, all rows or none (a province sets its own zones' targets only)."""
    from hizone.talent.campaign import campaign as find
    from hizone.talent.store import import_targets

    result = import_targets(open_configured_store(), file.read_bytes(), file.name, find(campaign),
                            acting_user(user, role, zone, province))
    if result.errors:
        _errors(result.errors)
    console().print(f"[green]stored[/]: {result.stored} target(s) of {campaign}")


@talent_app.command("import-reports")
@user_errors
def import_reports_command(
    file: Annotated[Path, typer.Argument(help=".xlsx or .csv: zone code, cumulative posts developed, signed, on "
                                              "duty (by employer kind and graduate level), correction note",
                                         exists=True, dir_okay=False)],
    period: Annotated[str, typer.Option("--period", "-p", help="the report's ISO week (2022W27) or a day in it")],
    campaign: CampaignOption = DEFAULT, user: UserOption = "cli", role: RoleOption = "admin",
    zone: ZoneOption = None, province: ProvinceOption = None,
    submit: Annotated[bool, typer.Option("--submit", help="store as submitted instead of draft")] = False,
    report: Annotated[Path | None, typer.Option(help="write the error report (.xlsx or .json)")] = None,
) -> None:
    """Validate a weekly cumulative report and store it through the intake (all rows or none)."""
    from hizone.talent.campaign import campaign as find

    import_command(file, find(campaign).report_form, period, user, role, zone, province, None, submit, False,
                   report)


@talent_app.command("progress")
@user_errors
def progress_command(
    campaign: CampaignOption = DEFAULT,
    on: Annotated[str | None, typer.Option(help="standings as of this day (default: the last report)")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="write the weekly progress report (.xlsx)")] = None,
    pdf: Annotated[Path | None, typer.Option(help="write the weekly progress report printed (PDF, needs Chromium)")]
    = None,
    lang: Annotated[str, typer.Option(help="the PDF's language: zh or en")] = "zh",
) -> None:
    """Zones and provinces against target and schedule, ranked, with the laggard warnings."""
    from rich.table import Table

    from hizone.errors import HizoneError
    from hizone.talent.campaign import campaign as find
    from hizone.talent.service import campaign_progress, weekly_workbook

    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise HizoneError(f"'{on}' is not a date (YYYY-MM-DD)", where="--on") from None
    progress = campaign_progress(open_configured_store(), find(campaign), day)
    console().print(f"{progress.campaign.name_zh}: as of {progress.on}, {100 * progress.due:.1f}% of the time "
                    "elapsed" + (" (synthetic demo data)" if progress.synthetic else ""))
    for title, rows in (("zones", progress.zones), ("provinces", progress.provinces)):
        table = Table("rank", title, "name", "target", "developed", "signed", "on duty", "completion %",
                      "vs schedule %", title=title)
        for r in rows:
            table.add_row(str(r.rank), r.key, progress.names.get(r.key, ""), str(r.target), str(r.developed),
                          str(r.signed), str(r.on_duty), f"{100 * r.completion:.1f}",
                          "" if r.pace is None else f"{100 * r.pace:.1f}")
        console().print(table)
    for alert in progress.alerts:
        console().print(f"[yellow]![/] {alert.period} {alert.level} {alert.key}: {alert.rule} ({alert.message})")
    if xlsx is not None:
        xlsx.write_bytes(weekly_workbook(progress))
        console().print(f"weekly progress report written to {xlsx}")
    if pdf is not None:
        from hizone.auth.policy import Principal
        from hizone.reports.talent import print_weekly_report
        from hizone.web.services.talent import dashboard

        if lang not in ("zh", "en"):
            raise HizoneError(f"'{lang}' is not zh or en", where="--lang")
        engine = open_configured_store()
        national = dashboard(engine, Principal("cli", "admin"), progress.campaign.key, day)
        pdf.write_bytes(print_weekly_report(engine, national.progress, national.national, lang))
        console().print(f"weekly progress report (PDF) written to {pdf}")


@talent_app.command("alerts")
@user_errors
def alerts_command(campaign: CampaignOption = DEFAULT) -> None:
    """Raise the laggard warnings (catalog alerts, applies_to: talent) on every week reported and keep them in the
    alert store (`hizone alerts` lists, acknowledges and resolves them)."""
    from hizone.talent.campaign import campaign as find
    from hizone.talent.service import record_alerts

    counts = record_alerts(open_configured_store(), find(campaign))
    console().print(f"{counts['new'] + counts['seen']} warning(s) raised: {counts['new']} new, "
                    f"{counts['seen']} already known")


@talent_app.command("fairs")
@user_errors
def fairs_command(
    campaign: CampaignOption = DEFAULT,
    import_file: Annotated[Path | None, typer.Option("--import", help="CSV of fairs: name, date, host_zone, mode "
                                                     "(online/live/both), platforms (;), posts, resumes, views, "
                                                     "interviews, offers, posts_by_field (研发=30;...)",
                                                     exists=True, dir_okay=False)] = None,
    employers: Annotated[Path | None, typer.Option(help="CSV of employers: fair, date, credit_code, name, posts",
                                                   exists=True, dir_okay=False)] = None,
    user: UserOption = "cli", role: RoleOption = "admin", zone: ZoneOption = None, province: ProvinceOption = None,
) -> None:
    """Import job fairs (all or nothing), or list them with their totals beside the bulletin's summary."""
    from hizone.talent.campaign import campaign as find
    from hizone.talent.fairs import fair_series
    from hizone.talent.store import fair_totals, fairs, import_fairs

    c = find(campaign)
    engine = open_configured_store()
    if import_file is not None:
        result = import_fairs(engine, c, (import_file.name, import_file.read_bytes()),
                              acting_user(user, role, zone, province),
                              (employers.name, employers.read_bytes()) if employers else None)
        if result.errors:
            _errors(result.errors)
        console().print(f"[green]stored[/]: {result.fairs} fair(s), {result.employers} employer(s)")
        return
    with engine.connect() as conn:
        rows, totals = fairs(conn, c), fair_totals(conn, c)
    for r in rows:
        console().print(f"{r.held_on} {r.host_zone} {r.name} ({r.mode}; {r.platforms}): {r.posts} posts, "
                        f"{r.resumes} résumés, {r.views} views, {r.interviews} interviews, {r.offers} offers, "
                        f"{r.employers} employers ({r.registered} registered)")
    console().print("stored: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))
    for series in (s for s in fair_series().values() if s.campaign == c.key):
        for summary in series.summaries:
            console().print(f"{series.name_zh} {summary.as_of} (bulletin): {summary.text}")

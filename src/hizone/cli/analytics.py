"""`hizone build`, `hizone indicators`, `hizone alerts`: analytic tables, indicator values, early warnings."""

from __future__ import annotations

import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from hizone.cli.common import Format, console, open_configured_store
from hizone.config import Settings, analytics_path
from hizone.errors import HizoneError
from hizone.exports import write_csv


def _emit(rows: list[dict[str, Any]], columns: list[str], fmt: Format, title: str) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif fmt is Format.csv:
        buffer = io.StringIO()
        write_csv(buffer, columns, ([row.get(c) for c in columns] for row in rows), lineterminator="\n")
        typer.echo(buffer.getvalue(), nl=False)
    else:
        from rich.table import Table

        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else _shown(row[c]) for c in columns))
        console(width=200).print(table)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def build_command(
    full: Annotated[bool, typer.Option("--full", help="Rebuild every period, not only those that changed.")] = False,
    parquet: Annotated[Path | None, typer.Option(help="Also export every table as Parquet into this folder.")]
    = None,
    analytics: Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")] = None,
) -> None:
    """Materialise the analytic tables and every indicator from the store (incremental by period)."""
    from hizone.analytics.build import build

    target = analytics or analytics_path(Settings.from_env())
    report = build(open_configured_store(), target, full=full, parquet=parquet)
    for form, periods in report.rebuilt.items():
        typer.echo(f"{form}: {len(periods)} period(s) rebuilt, {report.kept.get(form, 0)} unchanged")
    for table, rows in report.rows.items():
        typer.echo(f"  {table}: {rows} rows")
    typer.echo(f"{report.indicator_rows} indicator values in {report.seconds:.2f} s -> {target}")
    if report.parquet:
        typer.echo(f"{len(report.parquet)} Parquet file(s) in {parquet}")


def indicators_command(
    indicator: Annotated[list[str] | None, typer.Option("--indicator", "-i", help="Indicator code(s).")] = None,
    zone: Annotated[list[str] | None, typer.Option(help="Zone code(s); implies --level zone.")] = None,
    level: Annotated[str, typer.Option(help="enterprise, zone, province, region, demo_zone, cluster, nation.")]
    = "nation",
    key: Annotated[list[str] | None, typer.Option(help="Group key(s) at --level (e.g. a province code).")] = None,
    period: Annotated[list[str] | None, typer.Option(help="Period(s): 2023 or 2023-06.")] = None,
    view: Annotated[str, typer.Option(help="published (approved) or provisional.")] = "published",
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    analytics: Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")] = None,
    sources: Annotated[bool, typer.Option("--sources", help="List the submissions behind each figure.")] = False,
) -> None:
    """Indicator values for zones, provinces, groups or the nation (JSON/CSV for machines)."""
    from hizone.analytics.query import Analytics

    store = Analytics(analytics or analytics_path(Settings.from_env()))
    if zone:
        level, key = "zone", zone
    values = store.values(indicator or [], level, key or [], period or [], view)
    rows = [v.as_dict() for v in values]
    if sources:
        for row in rows:
            row["sources"] = [s.submission_id for s in store.sources(row["indicator"], row["level"], row["key"],
                                                                     row["period"], view)]
    columns = ["indicator", "level", "key", "period", "period_type", "value", "value_raw", "reason"]
    _emit(rows, [*columns, "sources"] if sources else columns, fmt, f"indicators ({view})")


class Action(StrEnum):
    list = "list"
    run = "run"
    acknowledge = "acknowledge"
    resolve = "resolve"


def alerts_command(
    action: Annotated[Action, typer.Argument(help="list, run (evaluate the rules), acknowledge or resolve.")]
    = Action.list,
    alert_id: Annotated[list[int] | None, typer.Option("--id", help="Alert id(s) to acknowledge or resolve.")]
    = None,
    state: Annotated[str | None, typer.Option(help="Only alerts in this state (open/acknowledged/resolved).")]
    = None,
    zone: Annotated[str | None, typer.Option(help="Only alerts on this zone.")] = None,
    by: Annotated[str, typer.Option(help="Who acknowledges or resolves.")] = "cli",
    note: Annotated[str | None, typer.Option(help="A note kept with the change of state.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    analytics: Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")] = None,
) -> None:
    """Early warnings (经济运行监测): evaluate the rules, list alerts, acknowledge or resolve them."""
    from hizone.analytics.query import Analytics
    from hizone.monitor.service import AlertStore, run_rules

    alert_store = AlertStore(open_configured_store())
    if action is Action.run:
        from hizone.talent.campaign import campaigns
        from hizone.talent.service import record_alerts

        for c in campaigns().values():  # the talent rules read the approved weekly reports, not the analytics
            raised = record_alerts(alert_store.engine, c)
            if raised["new"] or raised["seen"]:
                typer.echo(f"{c.key}: {raised['new'] + raised['seen']} laggard warning(s): {raised['new']} new, "
                           f"{raised['seen']} already known")
        found = run_rules(Analytics(analytics or analytics_path(Settings.from_env())))
        counts = alert_store.record(found)
        typer.echo(f"{len(found)} alert(s) raised: {counts['new']} new, {counts['seen']} already known")
        return
    if action in (Action.acknowledge, Action.resolve):
        if not alert_id:
            raise HizoneError("name the alert(s) with --id", where="--id")
        target = "acknowledged" if action is Action.acknowledge else "resolved"
        for number in alert_id:
            alert_store.transition(number, target, by, note)
        typer.echo(f"{len(alert_id)} alert(s) {target}")
        return
    rows = [a.as_dict() for a in alert_store.list(state=state, zone=zone)]
    columns = ["id", "severity", "state", "rule", "level", "key", "period", "message"]
    _emit(rows, [*columns, "evidence"] if fmt is not Format.table else columns, fmt, "alerts")


def register(app: typer.Typer) -> None:
    """Add `build`, `indicators` and `alerts` to the main app as top-level commands."""
    app.command("build")(build_command)
    app.command("indicators")(indicators_command)
    app.command("alerts")(alerts_command)

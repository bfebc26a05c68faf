"""`hizone ladder ...`: the enterprise ladder (梯度培育). `assess` checks firms from a file alone.

Thin: read the file, call the pure engine in hizone.ladder, write the rows. Every number comes from the engine.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hizone.cli.common import command_group, user_errors
from hizone.errors import HizoneError

if TYPE_CHECKING:
    from hizone.analytics.read import Reader
    from hizone.ladder.stages import EnterpriseStages
    from hizone.web.services.tables import Table

ladder_app = command_group("The enterprise ladder (梯度培育): qualification self-checks of firms.")
SHOWN_UNCHECKED = 20

ASSESS_HELP = """Assess firms against the 科技型中小企业 evaluation and the 高新技术企业 recognition rules in
force for each row's year (catalog/data/ladder/), from a CSV file alone.

Input columns (UTF-8 or GBK; money in yuan, y3 the latest year): id, year, founded_year, staff, st_staff,
sales_y1, sales_y2, sales_y3, rd_y1, rd_y2, rd_y3, rd_domestic (percent of R&D spent in China), hitech_revenue
(latest year), total_assets, net_assets_y1, net_assets_y2, net_assets_y3, ip_class1, ip_class2, conversions
(annual average of the last three years), ip_quality_points (0-22), rd_management (0-20), major_incident
(1/0, yes/no, 是/否).

Output columns: id, sme_score, sme_eligible (true, false or incomplete), hte_rd_ratio (three years' R&D / three
years' sales, a fraction), hte_rd_threshold (a fraction), hte_failed (the failed hard criteria, ';'-separated:
registered, ip, st_staff, rd_ratio, rd_domestic, hitech_revenue, incident), hte_score_min, hte_score_max,
hte_verdict (eligible, borderline, ineligible or incomplete).

An empty cell is never guessed: the criteria that need it are not checkable. A score that needs it is left
empty; a verdict is still given when the known criteria decide it (a failed hard criterion, or a score that
cannot reach the pass mark even with every unknown item at its maximum, is ineligible), otherwise it is
'incomplete'; a criterion not checkable is never listed in hte_failed. The command prints, per firm, which
criteria could not be checked and which columns were empty.

A file with missing columns, negative sales, R&D or assets, a staff of 0, or a share above 100% (rd_domestic
above 100, st_staff above staff, hitech_revenue above sales_y3) is refused: one line per problem naming file,
row and column, exit code 2, nothing written."""


@ladder_app.callback()
def ladder_group() -> None:
    """The enterprise ladder (梯度培育): qualification self-checks of firms."""


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV file in UTF-8 (with or without BOM) or, failing that, GBK."""
    from hizone.ladder.screening import decode_csv

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise HizoneError("file not found", where=str(path)) from None
    except OSError as error:
        raise HizoneError(f"cannot read: {error.strerror}", where=str(path)) from None
    return decode_csv(raw, str(path))


def _write_atomically(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> None:
    """Write beside the target and rename: an interrupted run leaves no half-written file."""
    from hizone.exports import write_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            write_csv(stream, header, rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _open_analytics(analytics: Path | None) -> Reader:
    """The built analytics file (default var/analytics.duckdb): a missing one is the user's to build."""
    from hizone.analytics.read import open_reader
    from hizone.config import Settings, analytics_path

    path = analytics or analytics_path(Settings.from_env())
    if not path.exists():
        raise HizoneError("no analytics file: run `hizone build` first", where=str(path))
    return open_reader(path)


def _zone_analytics(analytics: Path | None, zone: str) -> Reader:
    """The built analytics file, for a command about ``zone``: an unknown zone is named."""
    reader = _open_analytics(analytics)
    if zone not in reader.zones:
        raise HizoneError(f"unknown zone {zone}", where="--zone")
    return reader


ZoneOption = Annotated[str, typer.Option("--zone", help="The zone code.")]
YearOption = Annotated[int, typer.Option("--year", min=1950, max=2100, help="The report year.")]
AnalyticsOption = Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")]


@ladder_app.command("assess", help=ASSESS_HELP)
@user_errors
def assess_command(
    data: Annotated[Path, typer.Option("--data", help="The firms, one row per firm and year (CSV).")],
    out: Annotated[Path, typer.Option("--out", help="The assessments (CSV), one row per input row.")],
) -> None:
    from hizone.ladder.assess import Verdict, assess
    from hizone.ladder.records import OUTPUT_COLUMNS, firms_from_rows, output_row, unchecked_lines
    from hizone.ladder.rules import earliest_year, rules_for

    header, rows = _read_rows(data)
    firms = firms_from_rows(rows, header, str(data), earliest_year())
    assessments = []
    for row, firm in firms:
        rules = rules_for(firm.year)
        if rules is None:
            raise AssertionError("firms_from_rows refuses years before the rules")
        assessments.append((row, assess(firm, rules)))
    _write_atomically(out, list(OUTPUT_COLUMNS), [output_row(a) for _, a in assessments])
    eligible = sum(a.tech_sme.eligible is True for _, a in assessments)
    verdicts = {v: sum(a.hightech.verdict is v for _, a in assessments) for v in Verdict}
    typer.echo(f"{len(assessments)} firm(s) assessed → {out}: 科技型中小企业 eligible {eligible}; 高新技术企业 "
               + ", ".join(f"{v.value} {n}" for v, n in verdicts.items()))
    lines = unchecked_lines(assessments)
    for line in lines[:SHOWN_UNCHECKED]:
        typer.echo(line)
    if len(lines) > SHOWN_UNCHECKED:
        typer.echo(f"… and {len(lines) - SHOWN_UNCHECKED} more firm(s) with criteria not checkable")


STAGE_COLUMNS = ["credit_code", "zone_code", "year", "top_stage", "stage", "listed", "by_data", "criterion", "value",
                 "threshold", "passed", "not_checkable"]


@ladder_app.command("stages")
@user_errors
def stages_command(
    year: YearOption,
    zone: Annotated[list[str] | None, typer.Option("--zone", help="Zone code(s); default every zone (or the "
                                                                  "province's).")] = None,
    province: Annotated[str | None, typer.Option("--province", help="The zones of this province.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write every enterprise's rungs with their criteria "
                                                           "(value, threshold, pass/fail) to this CSV.")] = None,
    analytics: AnalyticsOption = None,
) -> None:
    """The ladder (梯度培育) of zones in a year from the built analytics file: per rung (科技型中小企业 …
    独角兽) how many reporting enterprises stand on it by a published list and by their own reported figures,
    and how their highest rungs moved since the year before."""
    from hizone.analytics.read import Viewer
    from hizone.ladder.service import ladder

    reader = _open_analytics(analytics)
    codes = list(zone) if zone else list(reader.zones_of("province", province)) if province else list(reader.zones)
    unknown = [code for code in codes if code not in reader.zones]
    if unknown or not codes:
        raise HizoneError(f"unknown zone(s) {', '.join(unknown) or province}", where="--zone/--province")
    everyone = Viewer.everyone()  # the command line is the operator of the store
    found = ladder(reader, codes, year, everyone)  # the computation behind the pages and the API
    typer.echo(f"{len(found.stages)} reporting enterprise(s) in {len(codes)} zone(s), {year}:")
    for count in found.counts:
        typer.echo(f"  {count.stage:<15} {count.reached:>7} (list {count.listed}, data {count.by_data})")
    typer.echo("  since " + str(year - 1) + ": "
               + ", ".join(f"{kind} {len(codes)}" for kind, codes in found.moves.items()))
    if out is not None:
        _write_atomically(out, STAGE_COLUMNS, _criteria_rows(found.stages))
        typer.echo(f"criteria -> {out}")


def _criteria_rows(stages: list[EnterpriseStages]) -> list[list[str]]:
    from hizone.ladder.records import format_number

    rows = []
    for enterprise in stages:
        lead = [enterprise.credit_code, enterprise.zone_code, str(enterprise.year), enterprise.top or ""]
        for status in enterprise.stages:
            flags = [status.stage, _yes_no(status.listed), _yes_no(status.by_data)]
            rows += [[*lead, *flags, check.code, format_number(check.value), format_number(check.threshold),
                      _yes_no(check.passed), "" if check.passed is not None else check.why]
                     for check in status.criteria] or [[*lead, *flags, "", "", "", "", ""]]
    return rows


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


@ladder_app.command("points")
@user_errors
def points_command(
    zone: ZoneOption,
    year: YearOption,
    out: Annotated[Path | None, typer.Option("--out", help="The banks' list (科创积分贷) as .xlsx: rank, stage, "
                                                           "score and each indicator's value, normalised value "
                                                           "and points.")] = None,
    analytics: AnalyticsOption = None,
) -> None:
    """Innovation points (创新积分制) of a zone's reporting enterprises in a year from the built analytics file,
    by the rules in catalog/data/ladder/innovation_points-*.yaml (a documented default, not the official list):
    each enterprise's stage, score and rank within the zone; an indicator without a value scores 0."""
    from hizone.analytics.read import Viewer
    from hizone.ladder.points_service import zone_points
    from hizone.ladder.points_workbook import DEFAULT_NOTE, write_points_workbook

    reader = _zone_analytics(analytics, zone)
    if out is not None and out.suffix.lower() != ".xlsx":
        raise HizoneError("the banks' list is written as .xlsx", where=str(out))
    found = zone_points(reader, zone, year, Viewer.everyone())  # the command line is the operator of the store
    if not found.rules.official:
        typer.echo(DEFAULT_NOTE)
    typer.echo(f"{found.scored} enterprise(s) scored in {zone}, {year} ({found.rules.normalisation}):")
    for score in found.scores[:SHOWN_UNCHECKED]:
        missing = f" (missing: {', '.join(score.missing)})" if score.missing else ""
        typer.echo(f"  {score.rank:>4}  {score.credit_code}  {score.stage.label}  {score.score:.2f}{missing}")
    if out is not None:
        write_points_workbook(out, found)
        typer.echo(f"banks' list -> {out}")


DRAG_COLUMNS = ["zone_code", "year", "indicator", "name_zh", "zone_ratio", "rank", "credit_code", "numerator",
                "denominator", "own_ratio", "zone_ratio_without", "drag"]


@ladder_app.command("drag")
@user_errors
def drag_command(
    zone: ZoneOption,
    year: YearOption,
    out: Annotated[Path, typer.Option("--out", help="Every enterprise's drag per indicator (CSV).")],
    indicator: Annotated[str | None, typer.Option("--indicator", help="One indicator (e.g. I1_3); default "
                                                                      "every ratio indicator.")] = None,
    analytics: AnalyticsOption = None,
) -> None:
    """Who pulls a zone down (拖后腿) on each ratio-of-sums indicator of the zone evaluation framework: the
    drag of enterprise i is direction × (R₋ᵢ − R), R = scale·Σnum/Σden over the zone's enterprises that
    reported both, R₋ᵢ the same without i. Positive: the enterprise pulls the zone down. Largest first."""
    from hizone.analytics.read import Viewer
    from hizone.ladder.service import zone_drags

    reader = _zone_analytics(analytics, zone)
    found = zone_drags(reader, zone, year, Viewer.everyone(), indicator)  # the command line operates the store
    rows: list[list[object]] = []  # numbers stay floats: written at full precision, never quoted as text
    for item in found:
        lead = [zone, year, item.indicator.code, item.indicator.name_zh, item.zone_ratio]
        rows += [[*lead, rank, d.credit_code, d.numerator, d.denominator, d.own_ratio, d.without, d.drag]
                 for rank, d in enumerate(item.drags, start=1)]
        worst = item.drags[0] if item.drags and item.drags[0].drag is not None else None
        typer.echo(f"  {item.indicator.code:<6} {item.indicator.name_zh}: zone {item.zone_ratio}, "
                   f"{item.enterprises} enterprise(s)"
                   + (f"; worst {worst.credit_code} (drag {worst.drag:.4g})" if worst else ""))
    _write_atomically(out, DRAG_COLUMNS, rows)
    typer.echo(f"{len(rows)} row(s) -> {out}")


def _write_bytes_atomically(path: Path, body: bytes) -> None:
    """Write beside the target and rename: an interrupted run leaves no half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


EXPORTS = (".xlsx", ".csv")


@ladder_app.command("reserve")
@user_errors
def reserve_command(
    zone: ZoneOption,
    year: YearOption,
    out: Annotated[Path | None, typer.Option("--out", help="The 后备库 as .xlsx or .csv: per enterprise and rung, "
                                                           "the failed criteria, what is missing, what to "
                                                           "confirm.")] = None,
    analytics: AnalyticsOption = None,
) -> None:
    """The 后备库 (reserve pool) of a zone in a year from the built analytics file: the reporting enterprises
    near a rung they are not on (科技型中小企业, 高新技术企业, 瞪羚) — at most one criterion failing, within the
    margins of catalog/data/ladder/reserve-*.yaml — with how much more of what would pass it."""
    from hizone.analytics.read import Viewer
    from hizone.ladder.service import zone_reserve
    from hizone.web.services.ladder import reserve_table

    reader = _zone_analytics(analytics, zone)
    if out is not None and out.suffix.lower() not in EXPORTS:
        raise HizoneError("the reserve is written as .xlsx or .csv", where=str(out))
    found = zone_reserve(reader, [zone], year, Viewer.everyone())  # the command line is the operator of the store
    table = reserve_table(found, year, "zh")
    typer.echo(f"{len(found)} enterprise-rung(s) in the 后备库 of {zone}, {year}:")
    for row in table.rows[:SHOWN_UNCHECKED]:
        typer.echo(f"  {row['credit_code']}  {row['stage']}  {row['failed'] or '—'}  {row['missing']}")
    if out is not None:
        _write_table(out, table, f"后备库 · {reader.zones[zone].name_zh} · {year}", reader.synthetic)
        typer.echo(f"reserve -> {out}")


def _write_table(out: Path, table: Table, title: str, synthetic: bool) -> None:
    from hizone.web.services.tables import to_csv, to_xlsx

    _write_bytes_atomically(out, to_xlsx(table, title, synthetic) if out.suffix.lower() == ".xlsx" else to_csv(table))


@ladder_app.command("screen")
@user_errors
def screen_command(
    zone: ZoneOption,
    year: YearOption,
    data: Annotated[Path | None, typer.Option("--data", help="A CSV with an id column (the credit code) and any "
                                                             "input columns of `hizone ladder assess`, filling or "
                                                             "correcting the reports' figures (default: every "
                                                             "enterprise reporting in the zone).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="The screening as .xlsx or .csv.")] = None,
    analytics: AnalyticsOption = None,
) -> None:
    """Bulk screening: the 科技型中小企业 evaluation and 高新技术企业 recognition self-check of a zone's enterprises
    in one table, prefilled from their own reports in the built analytics file (as the screening page)."""
    from hizone.analytics.read import Viewer
    from hizone.ladder.service import screen
    from hizone.web.services.ladder import screening_table

    reader = _zone_analytics(analytics, zone)
    if out is not None and out.suffix.lower() not in EXPORTS:
        raise HizoneError("the screening is written as .xlsx or .csv", where=str(out))
    upload = _read_rows(data) if data is not None else None
    found = screen(reader, zone, year, Viewer.everyone(), upload, (), str(data or "store"))
    table = screening_table(found, year, "zh")
    typer.echo(f"{len(found)} enterprise(s) screened in {zone}, {year}:")
    for row in table.rows[:SHOWN_UNCHECKED]:
        typer.echo(f"  {row['credit_code']}  {row['sme_eligible']}  {row['hte_verdict']}")
    if out is not None:
        _write_table(out, table, f"资质批量筛查 · {reader.zones[zone].name_zh} · {year}", reader.synthetic)
        typer.echo(f"screening -> {out}")

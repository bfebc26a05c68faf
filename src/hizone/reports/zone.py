"""The zone evaluation report (综合评价结果报告): a zone's overall and dimension scores and ranks with their
uncertainty interval, rank history, radar against the median, strengths and weaknesses, and the gap table
against a chosen benchmark with the index points closing each gap would add (对标找差).

Every figure comes from the services the pages use (``web.services.rankings`` and ``.profile``) or from the
composite-index engine's unit report (``ranking.gap_report``); this module only gathers them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hizone.analytics.read import ProvinceMeta, ZoneMeta
from hizone.errors import HizoneError
from hizone.evaluate import UnitReport
from hizone.ranking import Evaluation, evaluate, framework_for, gap_report, read_inputs
from hizone.reports.sources import DataState, Sources, data_state
from hizone.web.services import profile as profile_svc
from hizone.web.services import rankings as rank_svc
from hizone.web.services.overview import annual_periods
from hizone.web.services.tables import Column, Suppressed, Table
from hizone.web.services.views import load_views

WITHHELD = Suppressed("benchmark_scope")


@dataclass(frozen=True)
class DimensionResult:
    code: str
    name: str
    score: float | None
    rank: int | None


@dataclass(frozen=True)
class ZoneReport:
    zone: ZoneMeta
    province: ProvinceMeta | None
    year: int
    run_id: int
    zone_count: int
    score: float | None
    rank: int | None
    rank_change: int | None
    rank_low: float | None  # 5% and 95% of the rank under the uncertainty analysis
    rank_high: float | None
    dimensions: list[DimensionResult]
    radar: dict[str, object] | None
    rank_history: dict[str, object]
    key_indicators: Table | None
    benchmark_code: str
    benchmark_name: str
    benchmark_visible: bool
    profile_gaps: Table | None
    strengths: Table
    weaknesses: Table
    gains: Table
    state: DataState
    run_matches_data: bool  # the run was computed from the figures the snapshot holds


def zone_report(src: Sources, zone_code: str, year: int, benchmark: str = profile_svc.TOP) -> ZoneReport:
    fig, views = src.fig, load_views()
    zone = fig.zones.get(zone_code)
    if zone is None:
        raise HizoneError(f"no zone '{zone_code}'", where="--zone")
    ranking = rank_svc.ranking_for(src.engine, src.runs, views.evaluation_framework, year, fig)
    if ranking is None:
        raise HizoneError("no evaluation has been run yet: run `hizone evaluate --year YEAR` first", where="--year")
    mine = next((r for r in ranking.rows if r["zone"] == zone_code), None)
    if mine is None:
        raise HizoneError(f"zone '{zone_code}' has no result in the {year} evaluation", where="--zone")
    if benchmark != profile_svc.TOP and (benchmark not in fig.zones or benchmark == zone_code):
        raise HizoneError(f"no benchmark zone '{benchmark}' (top10 or another zone's code)", where="--benchmark")
    bench = profile_svc.benchmark_for(fig, views, str(year), benchmark, src.principal,
                                      rank_svc.top_zone_codes(ranking))
    period = str(year) if str(year) in annual_periods(fig) else None
    evaluation = _evaluation(src, year)
    unit = gap_report(evaluation, zone_code, "top:10" if benchmark == profile_svc.TOP else f"zone:{benchmark}")
    return ZoneReport(
        zone=zone, province=fig.provinces.get(zone.province_code), year=year, run_id=ranking.run.id,
        zone_count=len(ranking.rows), score=_number(mine.get("score")), rank=_whole(mine.get("rank")),
        rank_change=_whole(mine.get("rank_change")), rank_low=_number(mine.get("rank_p05")),
        rank_high=_number(mine.get("rank_p95")),
        dimensions=[DimensionResult(d.code, d.name_en if src.lang == "en" else d.name_zh,
                                    _number(mine.get(f"{d.code}_score")), _whole(mine.get(f"{d.code}_rank")))
                    for d in ranking.framework.dimensions],
        radar=rank_svc.radar(ranking, zone_code, src.lang, fig),
        rank_history=rank_svc.rank_history(src.engine, src.runs, views.evaluation_framework, zone_code),
        key_indicators=profile_svc.key_table(fig, views, zone, period, src.lang, src.principal) if period else None,
        benchmark_code=bench.code,
        benchmark_name=src.t("profile.top10") if bench.code == profile_svc.TOP
        else fig.zones[bench.code].name(src.lang),
        benchmark_visible=bench.values_visible,
        profile_gaps=profile_svc.gap_table(fig, views, zone, period, bench, src.lang, src.principal, ranking)
        if period else None,
        strengths=_scores_table(src, unit, strengths=True), weaknesses=_scores_table(src, unit, strengths=False),
        gains=_gains_table(src, unit, bench.values_visible),
        state=data_state(src, "enterprise_count", str(year), ranking.run.synthetic),
        run_matches_data=_fingerprint(src, year) == ranking.run.data_fingerprint)


def _evaluation(src: Sources, year: int) -> Evaluation:
    """The year's evaluation on the snapshot's published figures, without the uncertainty replications (the
    unit report needs the pipeline's stages, which a stored run does not keep); computed once per snapshot."""
    views = load_views()
    key = ("report-evaluation", views.evaluation_framework, year)
    found = src.fig.memo.get(key)
    if isinstance(found, Evaluation):
        return found
    framework = framework_for(views.evaluation_framework, year)
    inputs = read_inputs(src.fig.analytics, framework, year)
    made = evaluate(framework, year, inputs.current, inputs.previous, samples=0)
    src.fig.memo[key] = made
    src.fig.memo[("report-fingerprint", year)] = inputs.fingerprint
    return made


def _fingerprint(src: Sources, year: int) -> object:
    return src.fig.memo.get(("report-fingerprint", year))


def _scores_table(src: Sources, unit: UnitReport, strengths: bool) -> Table:
    columns = [Column("code", src.t("report.code")), Column("name", src.t("profile.indicator")),
               Column("score", src.t("report.indicator_score"), "number"),
               Column("rank", src.t("report.indicator_rank"), "text")]
    chosen = unit.strengths if strengths else unit.weaknesses
    rows: list[dict[str, object]] = [{"code": s.code, "name": s.name, "score": s.value,
                                      "rank": f"{s.rank:.0f} / {s.of}"} for s in chosen]
    return Table("strengths" if strengths else "weaknesses", columns, rows)


def _gains_table(src: Sources, unit: UnitReport, visible: bool) -> Table:
    """The engine's gap table: own and benchmark normalised scores, the gap and the index points closing it
    would add. The benchmark's side is a figure of the benchmark zones: withheld from a viewer who may not
    read them all (as the profile page withholds their values), and so are the gap and the gain it gives away."""
    columns = [Column("code", src.t("report.code")), Column("name", src.t("profile.indicator")),
               Column("own", src.t("report.own_score"), "number"),
               Column("benchmark", src.t("report.benchmark_score"), "number"),
               Column("gap", src.t("profile.gap"), "number"), Column("gain", src.t("report.index_gain"), "number")]
    rows: list[dict[str, object]] = []
    for g in unit.gaps:
        rows.append({"code": g.code, "name": g.name, "own": _number(g.own),
                     **({"benchmark": _number(g.benchmark), "gap": _number(g.gap), "gain": _number(g.index_gain)}
                        if visible else {"benchmark": WITHHELD, "gap": WITHHELD, "gain": WITHHELD})})
    return Table("gains", columns, rows)


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value):
        return float(value)
    return None


def _whole(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None

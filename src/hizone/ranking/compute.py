"""The evaluation itself (pure): one year's zone × indicator values through the framework's pipeline to
scores and ranks overall, per dimension and per indicator; rank changes against the previous year; 5–95%
rank intervals of the composite from the uncertainty analysis."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hizone.errors import HizoneError
from hizone.evaluate import (
    IndexData,
    PipelineResult,
    UncertaintyResult,
    UnitReport,
    rank_descending,
    run_pipeline,
    run_uncertainty,
    unit_report,
)
from hizone.ranking.framework import ROOT, Framework

LEVELS = ("index", "dimension", "indicator")


@dataclass(frozen=True)
class ResultRow:
    zone_code: str
    level: str  # index / dimension / indicator
    code: str  # INDEX, a dimension code or an indicator code
    value: float | None  # the indicator's value in its unit (indicators only)
    score: float | None  # normalised (indicators) or aggregated score
    rank: int | None  # 1 = best; ties share the best rank; None without a score
    rank_change: int | None  # last year's rank minus this year's: positive = moved up
    rank_p05: float | None  # 5th and 95th percentile of the rank under uncertainty (composite only)
    rank_p95: float | None


@dataclass(frozen=True)
class Evaluation:
    framework: Framework
    year: int
    result: PipelineResult
    previous: PipelineResult | None
    uncertainty: UncertaintyResult | None
    rows: tuple[ResultRow, ...]

    @property
    def zone_codes(self) -> tuple[str, ...]:
        return self.result.aggregated.unit_codes

    def ranking(self, code: str = ROOT) -> list[ResultRow]:
        """The rows of one node (the composite, a dimension or an indicator) in rank order."""
        rows = [row for row in self.rows if row.code == code]
        return sorted(rows, key=lambda r: (r.rank if r.rank is not None else math.inf, r.zone_code))


def index_data(framework: Framework, values: Mapping[str, Mapping[str, float | None]],
               names: Mapping[str, str] | None = None, regions: Mapping[str, str] | None = None) -> IndexData:
    """The pipeline's input table: zones (sorted) × the framework's computable indicators, NaN if missing."""
    zones = tuple(sorted(values))
    codes = framework.tree.indicators
    table = np.array([[_number(values[zone].get(code)) for code in codes] for zone in zones], dtype=float)
    return IndexData(
        unit_codes=zones,
        unit_names=tuple((names or {}).get(zone, zone) for zone in zones),
        groups={"region": tuple((regions or {}).get(zone, "") for zone in zones)},
        denominators={},
        indicator_codes=codes,
        values=table.reshape(len(zones), len(codes)),
    )


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def level_of(framework: Framework, code: str) -> str:
    if code == ROOT:
        return "index"
    return "dimension" if code in framework.tree.children else "indicator"


def ranks_by_code(result: PipelineResult) -> dict[str, dict[str, int]]:
    """code -> zone -> rank (1 = best, ties min), for every node of the aggregated stage."""
    stage = result.aggregated
    ranks = rank_descending(stage.values.T)  # codes × zones
    return {code: {zone: int(ranks[j, i]) for i, zone in enumerate(stage.unit_codes) if not math.isnan(ranks[j, i])}
            for j, code in enumerate(stage.codes)}


def evaluate(framework: Framework, year: int, current: IndexData, previous: IndexData | None = None,
             samples: int | None = None) -> Evaluation:
    """Score and rank ``current``; ``previous`` (last year's table) gives rank changes; ``samples`` = 0 skips
    the uncertainty analysis, None uses the framework's number of replications."""
    source = f"{framework.path}, {year}"
    result = run_pipeline(current, framework.tree, framework.pipeline, source=source)
    before = (run_pipeline(previous, framework.tree, framework.pipeline, source=f"{framework.path}, {year - 1}")
              if previous is not None and len(previous.unit_codes) else None)
    uncertainty = None
    if samples != 0 and len(current.unit_codes) > 1:
        uncertainty = run_uncertainty(current, framework.tree, framework.pipeline, framework.uncertainty(samples),
                                      source=source)
    rows = _rows(framework, current, result, before, uncertainty)
    return Evaluation(framework, year, result, before, uncertainty, rows)


def _rows(framework: Framework, data: IndexData, result: PipelineResult, previous: PipelineResult | None,
          uncertainty: UncertaintyResult | None) -> tuple[ResultRow, ...]:
    stage = result.aggregated
    ranks = ranks_by_code(result)
    before = ranks_by_code(previous) if previous is not None else {}
    intervals: dict[str, tuple[float, float]] = {}
    if uncertainty is not None:
        intervals = {u.unit: (u.q05, u.q95) for u in uncertainty.summary()}
    rows = []
    for i, zone in enumerate(stage.unit_codes):
        raw = data.values[data.unit_codes.index(zone)]
        for j, code in enumerate(stage.codes):
            level = level_of(framework, code)
            rank = ranks[code].get(zone)
            earlier = before.get(code, {}).get(zone)
            p05, p95 = intervals.get(zone, (math.nan, math.nan)) if level == "index" else (math.nan, math.nan)
            rows.append(ResultRow(
                zone_code=zone, level=level, code=code,
                value=_optional(raw[data.indicator_codes.index(code)]) if level == "indicator" else None,
                score=_optional(stage.values[i, j]), rank=rank,
                rank_change=earlier - rank if rank is not None and earlier is not None else None,
                rank_p05=_optional(p05), rank_p95=_optional(p95)))
    return tuple(rows)


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def gap_report(evaluation: Evaluation, zone: str, benchmark: str) -> UnitReport:
    """对标找差: ``zone`` against ``top:N`` (mean of the N best), ``zone:CODE`` (one zone) or ``peers``
    (mean of the other zones of its region), through the composite-index engine's unit report."""
    if zone not in evaluation.zone_codes:
        raise HizoneError(f"zone {zone!r} has no result for {evaluation.year}", where="--gap-zone")
    kind, _, argument = benchmark.partition(":")
    if kind == "top" and argument:
        spec = benchmark
    elif kind == "zone" and argument:
        if argument not in evaluation.zone_codes:
            raise HizoneError(f"benchmark zone {argument!r} has no result for {evaluation.year}", where="--benchmark")
        spec = argument
    elif benchmark == "peers":
        spec = "peers:region"
    else:
        raise HizoneError(f"unknown benchmark {benchmark!r} (top:N, zone:CODE or peers)", where="--benchmark")
    return unit_report(evaluation.result, zone, spec)

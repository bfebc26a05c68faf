"""The evaluation service (综合评价): reads the framework's indicator values from the analytics file, runs the
pure evaluation, and keeps every run with its configuration and data fingerprint in the store."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, inspect, select

from hizone.analytics.query import Analytics
from hizone.errors import HizoneError, StoreError
from hizone.evaluate import IndexData
from hizone.ranking.compute import Evaluation, ResultRow, evaluate, index_data
from hizone.ranking.framework import ROOT, Framework
from hizone.ranking.values import ZoneInfo, data_fingerprint, periods_available, values_by_year, zone_info
from hizone.store import session_scope
from hizone.store.models import DatasetInfo, EvaluationResult, EvaluationRun, Zone

RESULT_COLUMNS = ("zone_code", "level", "code", "value", "score", "rank", "rank_change", "rank_p05", "rank_p95")


@dataclass(frozen=True)
class Inputs:
    """What an evaluation reads: this year's and last year's tables, the zones, the data's fingerprint."""

    year: int
    current: IndexData
    previous: IndexData | None
    values: dict[str, dict[str, float | None]]
    zones: dict[str, ZoneInfo]
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    run_id: int
    evaluation: Evaluation
    inputs: Inputs
    synthetic: bool
    seconds: dict[str, float] = field(default_factory=dict)  # values / index / store


@dataclass(frozen=True)
class StoredRun:
    id: int
    framework_code: str
    framework_version: int
    year: int
    config: dict[str, Any]
    data_fingerprint: str
    zone_count: int
    created_at: str
    created_by: str
    synthetic: bool
    results: tuple[ResultRow, ...]
    zone_names: dict[str, str]


def read_inputs(analytics: Analytics, framework: Framework, year: int, view: str = "published") -> Inputs:
    available = periods_available(analytics, framework, view)
    if year not in available:
        shown = ", ".join(str(y) for y in available) or "none"
        raise HizoneError(f"no {framework.form} reports for {year} (years with reports: {shown})", where="--year")
    zones = zone_info(analytics)
    names = {code: info.name_zh for code, info in zones.items()}
    regions = {code: info.region for code, info in zones.items()}
    years = [year, year - 1] if year - 1 in available else [year]
    by_year = values_by_year(analytics, framework, years, view)
    values = by_year[year]
    previous = index_data(framework, by_year[year - 1], names, regions) if year - 1 in by_year else None
    return Inputs(year, index_data(framework, values, names, regions), previous, values, zones,
                  data_fingerprint(analytics))


def run_evaluation(engine: Engine, analytics: Analytics, framework: Framework, year: int,
                   samples: int | None = None, created_by: str = "cli", view: str = "published") -> Outcome:
    """Evaluate ``year`` and store the run; an earlier run of the same year stays as it was."""
    started = time.perf_counter()
    inputs = read_inputs(analytics, framework, year, view)
    read = time.perf_counter()
    evaluation = evaluate(framework, year, inputs.current, inputs.previous, samples)
    computed = time.perf_counter()
    synthetic = is_synthetic(engine)
    run_id = save_run(engine, evaluation, inputs.fingerprint, created_by, synthetic, samples)
    stored = time.perf_counter()
    return Outcome(run_id, evaluation, inputs, synthetic,
                   {"values": read - started, "index": computed - read, "store": stored - computed})


def require_tables(engine: Engine) -> None:
    if not inspect(engine).has_table(EvaluationRun.__tablename__):
        raise StoreError("the store has no evaluation tables yet: run `hizone db upgrade`",
                         where=engine.url.render_as_string(hide_password=True))


def is_synthetic(engine: Engine) -> bool:
    with session_scope(engine) as session:
        flag = session.get(DatasetInfo, "synthetic")
        return flag is not None and flag.value == "true"


def save_run(engine: Engine, evaluation: Evaluation, fingerprint: str, created_by: str, synthetic: bool,
             samples: int | None = None) -> int:
    """One transaction: the run and all its results, or nothing."""
    require_tables(engine)
    config = evaluation.framework.config()
    if samples is not None:
        config["uncertainty"] = {**config["uncertainty"], "samples": samples}
    with session_scope(engine) as session:
        run = EvaluationRun(framework_code=evaluation.framework.code, framework_version=evaluation.framework.version,
                            year=evaluation.year, config=config, data_fingerprint=fingerprint,
                            zone_count=len(evaluation.zone_codes), created_by=created_by, synthetic=synthetic)
        session.add(run)
        session.flush()
        rows = [{"run_id": run.id, **{name: getattr(row, name) for name in RESULT_COLUMNS}}
                for row in evaluation.rows]
        if rows:
            session.execute(insert(EvaluationResult), rows)
        return run.id


def stored_run(engine: Engine, framework_code: str, year: int, run_id: int | None = None) -> StoredRun:
    """A run from the store: ``run_id``, else the latest run of the framework for ``year``."""
    require_tables(engine)
    with session_scope(engine) as session:
        if run_id is not None:
            run = session.get(EvaluationRun, run_id)
            if run is None:
                raise HizoneError(f"no evaluation run {run_id}", where="--run")
        else:
            run = session.scalars(select(EvaluationRun).where(EvaluationRun.framework_code == framework_code,
                                                              EvaluationRun.year == year)
                                  .order_by(EvaluationRun.id.desc()).limit(1)).first()
            if run is None:
                raise HizoneError(f"no evaluation of '{framework_code}' for {year} yet: run `hizone evaluate "
                                  f"--year {year}` first", where="--year")
        results = session.execute(select(*(getattr(EvaluationResult, c) for c in RESULT_COLUMNS))
                                  .where(EvaluationResult.run_id == run.id)).all()
        names = {code: name for code, name in session.execute(select(Zone.code, Zone.name_zh))}
        return StoredRun(run.id, run.framework_code, run.framework_version, run.year, dict(run.config),
                         run.data_fingerprint, run.zone_count, run.created_at.isoformat(timespec="seconds"),
                         run.created_by, run.synthetic, tuple(ResultRow(*row) for row in results), names)


def run_ids(engine: Engine, framework_code: str, year: int) -> list[int]:
    with session_scope(engine) as session:
        return list(session.scalars(select(EvaluationRun.id).where(EvaluationRun.framework_code == framework_code,
                                                                   EvaluationRun.year == year)
                                    .order_by(EvaluationRun.id)))


def ranking_table(run: StoredRun, dimensions: Sequence[str]) -> list[dict[str, Any]]:
    """One row per zone in overall rank order: score, rank, change, interval and each dimension's rank."""
    by_zone: dict[str, dict[str, ResultRow]] = {}
    for row in run.results:
        if row.level in ("index", "dimension"):
            by_zone.setdefault(row.zone_code, {})[row.code] = row
    table = []
    for zone, nodes in by_zone.items():
        overall = nodes.get(ROOT)
        if overall is None:
            continue
        entry: dict[str, Any] = {"rank": overall.rank, "zone": zone, "name": run.zone_names.get(zone, zone),
                                 "score": overall.score, "rank_change": overall.rank_change,
                                 "rank_p05": overall.rank_p05, "rank_p95": overall.rank_p95}
        for code in dimensions:
            node = nodes.get(code)
            entry[f"{code}_rank"] = node.rank if node is not None else None
            entry[f"{code}_score"] = node.score if node is not None else None
        table.append(entry)
    return sorted(table, key=lambda e: (e["rank"] if e["rank"] is not None else 10**9, e["zone"]))

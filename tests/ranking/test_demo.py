"""End to end on a small synthetic demo: the shipped framework ranks every zone, overall and per dimension."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.ranking.compute import gap_report
from hizone.ranking.framework import ROOT, framework_for
from hizone.ranking.service import run_evaluation, stored_run
from hizone.ranking.workbook import RunInfo, write_workbook
from hizone.registry import load_provinces, load_zones


def test_every_zone_is_ranked_on_every_dimension(engine: Engine, tmp_path: Path) -> None:
    catalog = default_catalog()
    zones = load_zones()
    load(engine, generate(catalog, load_provinces(), zones, enterprises=2000, seed=11), catalog)
    build(engine, tmp_path / "analytics.duckdb")
    framework = framework_for("zone_evaluation", 2021)
    outcome = run_evaluation(engine, Analytics(tmp_path / "analytics.duckdb"), framework, 2021, samples=100)
    evaluation = outcome.evaluation
    assert outcome.synthetic
    assert len(evaluation.zone_codes) == len(zones)
    n = len(zones)
    for code in (ROOT, *(d.code for d in framework.dimensions)):
        rows = [row for row in evaluation.rows if row.code == code]
        assert len(rows) == n and all(row.rank is not None and row.score is not None for row in rows)
        # independently: a zone's rank is 1 + the number of zones with a strictly higher score
        for row in rows:
            assert row.rank == 1 + sum(other.score > row.score for other in rows)  # type: ignore[operator]
        assert max(row.rank or 0 for row in rows) <= n and len({row.rank for row in rows}) > n * 0.9
    previous = evaluation.previous
    assert previous is not None
    last_year = dict(zip(previous.aggregated.unit_codes, previous.index_scores, strict=True))
    for row in (row for row in evaluation.rows if row.code == ROOT):
        earlier = 1 + sum(score > last_year[row.zone_code] for score in last_year.values())
        assert row.rank is not None and row.rank_change == earlier - row.rank
        assert row.rank_p05 is not None and row.rank_p95 is not None and row.rank_p05 <= row.rank_p95
    stored = stored_run(engine, "zone_evaluation", 2021)
    assert stored.id == outcome.run_id and len(stored.results) == len(evaluation.rows)
    path = write_workbook(tmp_path / "demo.xlsx", evaluation, outcome.inputs.zones,
                          RunInfo(outcome.run_id, outcome.inputs.fingerprint, True, "test"),
                          gap_report(evaluation, "Z4403", "peers"))
    assert path.stat().st_size > 10_000

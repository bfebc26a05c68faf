"""Indicator values from the analytic tables, stored runs, the CLI and the workbook, on SQLite and PostgreSQL.

The store is tests/ranking/tiny.py's (three zones); its docstring works out every value.
"""

from __future__ import annotations

import json
from pathlib import Path

import fastexcel
import pytest
from sqlalchemy import Engine, func, select
from typer import Typer
from typer.testing import CliRunner

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.cli.ranking import register
from hizone.ranking.framework import ROOT, Framework, load_framework
from hizone.ranking.service import run_evaluation, run_ids, stored_run
from hizone.ranking.values import zone_indicator_values
from hizone.store import session_scope
from hizone.store.models import EvaluationResult, EvaluationRun
from tests.ranking.tiny import populate, write_framework


@pytest.fixture
def framework(tmp_path: Path) -> Framework:
    return load_framework(write_framework(tmp_path / "frameworks"))


@pytest.fixture
def analytics(engine: Engine, tmp_path: Path) -> Analytics:
    populate(engine, synthetic=True)
    build(engine, tmp_path / "analytics.duckdb")
    return Analytics(tmp_path / "analytics.duckdb")


def test_values_are_the_formulas_over_each_zones_enterprises(analytics: Analytics, framework: Framework) -> None:
    values = zone_indicator_values(analytics, framework, 2021)
    assert values == {
        "Z1101": {"A1": pytest.approx(4.0), "A2": 15.0, "B1": pytest.approx(50 / 300), "B2": 1.0},
        "Z3502": {"A1": pytest.approx(2.0), "A2": 0.0, "B1": pytest.approx(0.35), "B2": 0.0},
        "Z4403": {"A1": pytest.approx(8.0), "A2": 60.0, "B1": pytest.approx(0.08), "B2": 1.0},
    }
    before = zone_indicator_values(analytics, framework, 2020)
    assert before["Z1101"] == {"A1": pytest.approx(45 / 1400 * 100), "A2": None, "B1": pytest.approx(50 / 300),
                               "B2": 1.0}
    assert before["Z3502"]["B2"] == 1.0  # valid to 31 December 2020 inclusive


def test_a_run_is_stored_with_its_config_and_reruns_add_rows(engine: Engine, analytics: Analytics,
                                                             framework: Framework) -> None:
    first = run_evaluation(engine, analytics, framework, 2021, samples=50, created_by="tester")
    overall = {row.zone_code: row for row in first.evaluation.rows if row.code == ROOT}
    # 2021: A = (2·A1 + A2)/3 -> Z1101 (66.67 + 25)/3, Z4403 100, Z3502 0; B = (B1 + B2)/2 with B1 reversed:
    # Z1101 ((0.35 - 1/6)/0.27·100 + 100)/2, Z4403 100, Z3502 0
    b_z1101 = ((0.35 - 50 / 300) / 0.27 * 100 + 100) / 2
    assert overall["Z1101"].score == pytest.approx(0.6 * (200 / 3 + 25) / 3 + 0.4 * b_z1101)
    assert {zone: row.rank for zone, row in overall.items()} == {"Z4403": 1, "Z1101": 2, "Z3502": 3}
    # 2020's B: Z1101 (79.37 + 100)/2 = 89.7 first, Z4403 (100 + 0)/2 and Z3502 (0 + 100)/2 tie at 50 (rank 2)
    b_change = {row.zone_code: row.rank_change for row in first.evaluation.rows if row.code == "B"}
    assert b_change == {"Z4403": 2 - 1, "Z1101": 1 - 2, "Z3502": 2 - 3}
    second = run_evaluation(engine, analytics, framework, 2021, samples=0, created_by="tester")
    assert second.run_id != first.run_id
    assert run_ids(engine, "tiny", 2021) == [first.run_id, second.run_id]
    with session_scope(engine) as session:
        run = session.get(EvaluationRun, first.run_id)
        assert run is not None
        assert (run.framework_code, run.framework_version, run.year, run.created_by) == ("tiny", 2020, 2021, "tester")
        assert run.synthetic is True and run.zone_count == 3
        assert run.config["indicators"]["A2"]["change"] is True and run.config["uncertainty"]["samples"] == 50
        assert len(run.data_fingerprint) == 16
        counts = {run_id: count for run_id, count in session.execute(
            select(EvaluationResult.run_id, func.count()).group_by(EvaluationResult.run_id))}
    assert counts == {first.run_id: 3 * 7, second.run_id: 3 * 7}  # INDEX, 2 dimensions, 4 indicators
    stored = stored_run(engine, "tiny", 2021, first.run_id)
    assert sorted(stored.results, key=lambda r: (r.zone_code, r.code)) == sorted(
        first.evaluation.rows, key=lambda r: (r.zone_code, r.code))
    latest = stored_run(engine, "tiny", 2021)
    assert latest.id == second.run_id
    assert all(row.rank_p05 is None for row in latest.results)


def test_cli_evaluate_and_rankings(engine: Engine, analytics: Analytics, framework: Framework, database_url: str,
                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    monkeypatch.setenv("HIZONE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HIZONE_ANALYTICS_PATH", str(analytics.path))
    app = Typer()
    register(app)
    runner = CliRunner()
    out = tmp_path / "results.xlsx"
    result = runner.invoke(app, ["evaluate", "--year", "2021", "--framework", framework.path, "--out", str(out),
                                 "--gap-zone", "Z3502", "--benchmark", "zone:Z4403", "--samples", "20"])
    assert result.exit_code == 0, result.output
    assert "synthetic demo data" in result.output
    assert "gap report for Z3502 against unit Z4403" in result.output
    book = fastexcel.read_excel(out)
    assert book.sheet_names == ["综合排名", "A 创新", "B 效益", "指标值", "指标得分", "方法与配置", "对标 Z3502"]
    overall = book.load_sheet("综合排名").to_pandas()
    assert list(overall["代码 zone"]) == ["Z4403", "Z1101", "Z3502"]
    assert list(overall["排名 rank"]) == [1, 2, 3]
    assert overall["总分 score"][0] == pytest.approx(100)
    values = book.load_sheet("指标值").to_pandas().set_index("代码 zone")
    assert values.loc["Z1101", "A2"] == 15 and values.loc["Z4403", "A1"] == pytest.approx(8)
    method = book.load_sheet("方法与配置", header_row=None).to_pandas()
    cells = {str(v) for v in method.to_numpy().ravel()}
    assert {"unavailable", "approximated", "computed", "not collected", "valid at year end"} <= cells

    listed = runner.invoke(app, ["rankings", "--year", "2021", "--framework", "tiny", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    payload = json.loads(listed.output)
    assert payload["synthetic"] is True
    assert [(r["zone"], r["rank"], r["B_rank"]) for r in payload["rankings"]] == [
        ("Z4403", 1, 1), ("Z1101", 2, 2), ("Z3502", 3, 3)]
    as_csv = runner.invoke(app, ["rankings", "--year", "2021", "--framework", "tiny", "--format", "csv",
                                 "--by", "B"])
    assert as_csv.output.splitlines()[1].startswith('"1","Z4403","深圳市高新技术产业园区","100.0",')

    missing = runner.invoke(app, ["rankings", "--year", "2019", "--framework", "tiny"])
    assert missing.exit_code == 2
    assert "no evaluation of 'tiny' for 2019 yet" in missing.output
    no_data = runner.invoke(app, ["evaluate", "--year", "2024", "--framework", framework.path])
    assert no_data.exit_code == 2
    assert "no enterprise_annual reports for 2024 (years with reports: 2020, 2021)" in no_data.output

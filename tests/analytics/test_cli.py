"""`hizone build`, `hizone indicators` and `hizone alerts` through Typer, against a real store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.cli.analytics import register
from tests.analytics.fixture import populate


@pytest.fixture
def app(engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    populate(engine)
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    monkeypatch.setenv("HIZONE_ANALYTICS_PATH", str(tmp_path / "analytics.duckdb"))
    main = typer.Typer()
    register(main)
    return main


def test_build_then_indicators_as_json_and_csv(app: typer.Typer) -> None:
    runner = CliRunner()
    built = runner.invoke(app, ["build"])
    assert built.exit_code == 0, built.output
    assert "enterprise_annual: 2 period(s) rebuilt" in built.output
    out = runner.invoke(app, ["indicators", "--zone", "Z1101", "--period", "2023", "-i", "revenue_total",
                              "-i", "revenue_yoy", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = {r["indicator"]: r for r in json.loads(out.output)}
    assert rows["revenue_total"]["value"] == 1900
    assert rows["revenue_yoy"]["value_raw"] == pytest.approx((1900 / 1500 - 1) * 100)
    as_csv = runner.invoke(app, ["indicators", "--level", "province", "--key", "11", "-i", "rd_intensity",
                                 "--format", "csv", "--sources"])
    table = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [r["period"] for r in table] == ["2022", "2023"]
    assert float(table[1]["value"]) == pytest.approx(110 / 1900 * 100)
    assert len(json.loads(table[1]["sources"])) == 3


def test_alerts_run_list_acknowledge_resolve(app: typer.Typer) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["build"]).exit_code == 0
    ran = runner.invoke(app, ["alerts", "run"])
    assert ran.exit_code == 0, ran.output
    assert "5 alert(s) raised: 5 new" in ran.output
    listed = json.loads(runner.invoke(app, ["alerts", "--format", "json", "--zone", "Z4401"]).output)
    assert [(a["rule"], a["period"], a["state"]) for a in listed] == [("monthly_report_missing", "2023-09", "open")]
    number = str(listed[0]["id"])
    assert runner.invoke(app, ["alerts", "acknowledge", "--id", number, "--by", "analyst"]).exit_code == 0
    assert runner.invoke(app, ["alerts", "run"]).output.strip().endswith("0 new, 5 already known")
    listed = json.loads(runner.invoke(app, ["alerts", "--format", "json", "--state", "acknowledged"]).output)
    assert [(a["id"], a["changed_by"]) for a in listed] == [(int(number), "analyst")]
    assert runner.invoke(app, ["alerts", "resolve", "--id", number, "--note", "late report received"]).exit_code == 0
    refused = runner.invoke(app, ["alerts", "acknowledge", "--id", number])
    assert refused.exit_code != 0 and "cannot become acknowledged" in str(refused.exception)


def test_indicators_before_any_build_is_a_clear_error(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["indicators"])
    assert result.exit_code != 0 and "run `hizone build` first" in str(result.exception)

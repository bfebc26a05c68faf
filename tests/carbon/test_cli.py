"""`hizone carbon compute`: the contract external checks use, its output and its refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hizone.cli import app

HEADER = "entity,province_code,energy,quantity,unit\n"


def _run(tmp_path: Path, body: str, year: int = 2022, *extra: str):
    activity = tmp_path / "activity.csv"
    activity.write_text(HEADER + body, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["carbon", "compute", "--activity", str(activity), "--year", str(year),
                                      "--out", str(out), *extra])
    return result, out


def test_compute_writes_one_row_per_entity_with_the_contracts_columns(tmp_path: Path) -> None:
    result, out = _run(tmp_path, "A,11,electricity,1000000,kWh\nA,11,green_electricity,200000,kWh\n"
                                 "B,44,diesel,10,t\nB,44,heat,100,GJ\nA,11,natural_gas,1,万m3\n")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["entity", "tce_equivalent", "co2_scope1", "co2_scope2_location", "co2_scope2_market",
                             "co2_total_location"]
    a, b = rows
    # A: 122.9 tce of power + 10,000 m3 × 1.2143 kgce = 12.143 tce; gas 1 × 21.62 t; power 536.6 t and
    # 800,000 × 0.5856 kg = 468.48 t.
    assert [a["entity"], float(a["tce_equivalent"]), float(a["co2_scope1"]), float(a["co2_scope2_location"]),
            float(a["co2_scope2_market"]), float(a["co2_total_location"])] == \
        ["A", pytest.approx(135.043), pytest.approx(21.62), pytest.approx(536.6), pytest.approx(468.48),
         pytest.approx(558.22)]
    # B: 10 × 1.4571 + 100 × 0.03412 = 17.983 tce; 30.96 t scope 1; 100 GJ × 0.11 = 11 t scope 2 on both bases.
    assert [float(b[c]) for c in list(b)[1:]] == pytest.approx([17.983, 30.96, 11, 11, 41.96])


def test_a_year_without_a_published_factor_says_which_year_it_used(tmp_path: Path) -> None:
    result, out = _run(tmp_path, "A,11,electricity,1000,kWh\n", 2026)
    assert result.exit_code == 0, result.output
    assert "grid factors for 2026 not published; using 2023's" in result.stderr
    assert float(next(csv.DictReader(out.open()))["co2_scope2_location"]) == pytest.approx(0.5306)


@pytest.mark.parametrize(("body", "where", "reason"), [
    ("A,11,electricity,1,kWh\nA,11,petrol,1,t\n", "row 3, column energy", "unknown energy code 'petrol'"),
    ("A,11,diesel,5,kWh\n", "row 2, column unit", "unit 'kWh' does not fit diesel"),
    ("A,11,diesel,-5,t\n", "row 2, column quantity", "negative quantity"),
    ("A,11,diesel,五,t\n", "row 2, column quantity", "is not a number"),
    ("A,11,electricity,100,kWh\nA,11,green_electricity,150,kWh\n", "row 3, column quantity",
     "exceeds its electricity 100 kWh"),
    ("A,11,diesel,1,t\nA,11,diesel,2,t\n", "row 3, column energy", "a second row for entity 'A'"),
])
def test_bad_rows_are_refused_naming_file_row_and_column_and_nothing_is_written(tmp_path: Path, body: str,
                                                                                 where: str, reason: str) -> None:
    result, out = _run(tmp_path, body)
    assert result.exit_code == 2
    assert f"activity.csv, {where}: " in result.stderr
    assert reason in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "activity.csv"]


def test_missing_columns_and_years_before_the_factors_are_refused(tmp_path: Path) -> None:
    activity = tmp_path / "activity.csv"
    activity.write_text("entity,energy,quantity\nA,diesel,1\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    runner = CliRunner()
    missing = runner.invoke(app, ["carbon", "compute", "--activity", str(activity), "--year", "2022",
                                  "--out", str(out)])
    assert missing.exit_code == 2
    assert "activity.csv, row 1: missing column(s) province_code, unit" in missing.stderr
    early, _ = _run(tmp_path, "A,11,diesel,1,t\n", 2019)
    assert early.exit_code == 2
    assert "no grid factors published for 2019 or earlier" in early.stderr
    assert not out.exists()

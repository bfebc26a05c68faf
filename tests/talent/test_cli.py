"""`hizone talent ...` through Typer's runner against a real store of each kind."""

from __future__ import annotations

from pathlib import Path

import fastexcel
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.cli.talent import talent_app
from tests.intake.factory import csv_bytes, seed_registry
from tests.talent.workflow import approve

runner = CliRunner()
HEADER = ["高新区代码", "累计开发岗位数", "累计签约人数", "累计在岗人数", "更正说明"]


@pytest.fixture
def store(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    seed_registry(engine, 0)
    return engine


def test_targets_reports_progress_and_fairs(store: Engine, tmp_path: Path) -> None:
    targets = tmp_path / "t.csv"
    targets.write_text("level,key,target,set_by,source\nzone,Z1101,100,national,t\nzone,Z3101,20,national,t\n")
    result = runner.invoke(talent_app, ["import-targets", str(targets)])
    assert result.exit_code == 0 and "stored: 2 target(s)" in result.output, result.output
    week = tmp_path / "w.csv"
    week.write_bytes(csv_bytes([["Z1101", 30, 20, 10, ""], ["Z3101", 10, 9, 9, ""]], header=HEADER))
    result = runner.invoke(talent_app, ["import-reports", str(week), "-p", "2022-06-26", "--submit"])
    assert result.exit_code == 0 and "2 new revision(s)" in result.output, result.output
    approve(store, "2022W25")  # 2022-06-26 is the Sunday of ISO week 25
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["Z1101", 20, 20, 10, ""]], header=HEADER))
    result = runner.invoke(talent_app, ["import-reports", str(bad), "-p", "2022W26"])
    assert result.exit_code == 2 and "talent_fell" in result.output
    xlsx = tmp_path / "weekly.xlsx"
    result = runner.invoke(talent_app, ["progress", "--xlsx", str(xlsx)])
    assert result.exit_code == 0, result.output
    # as of Sunday 06-26 (25 of 91 days): Z3101 10/20 = 50% ranks before Z1101 30/100 = 30%
    assert "as of 2022-06-26, 27.5% of the time elapsed" in result.output
    # title, a blank row, then the header (no synthetic line: real data)
    sheet = fastexcel.read_excel(xlsx.read_bytes()).load_sheet(0, header_row=2).to_pandas()
    assert list(sheet["代码 Code"]) == ["Z3101", "Z1101"] and list(sheet["完成率% Completion"]) == [50.0, 30.0]
    fairs = tmp_path / "f.csv"
    fairs.write_text("name,date,host_zone,mode,platforms,posts,resumes,views,interviews,offers\n"
                     "专场,2022-06-15,Z1101,live,国聘,300,1200,29000,80,20\n")
    result = runner.invoke(talent_app, ["fairs", "--import", str(fairs)])
    assert result.exit_code == 0 and "stored: 1 fair(s)" in result.output, result.output
    result = runner.invoke(talent_app, ["fairs"])
    assert "posts 300" in result.output and "173家国家高新区" in result.output
    pdf = tmp_path / "weekly.pdf"
    result = runner.invoke(talent_app, ["progress", "--pdf", str(pdf), "--lang", "en"])
    assert result.exit_code == 0, result.output
    from tests.pdf_reports.conftest import pdf_text, squeezed

    text = squeezed("".join(pdf_text(pdf.read_bytes())))
    assert "Asof2022-06-26" in text and "1Z3101" in text and "50.00" in text and "2Z1101" in text
    bad_date = runner.invoke(talent_app, ["progress", "--on", "6/1"])
    assert bad_date.exit_code == 2 and "'6/1' is not a date" in bad_date.output

"""The intake commands through Typer's runner, against a real store of each kind."""

from __future__ import annotations

import json
from pathlib import Path

import fastexcel
import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.cli.intake import intake_app, register
from hizone.intake.service import list_submissions
from tests.intake.factory import csv_bytes, good_rows, seed_registry

runner = CliRunner()


@pytest.fixture
def store(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    return engine


def test_import_approve_and_list(store: Engine, tmp_path: Path) -> None:
    codes = seed_registry(store, 3)
    path = tmp_path / "report.csv"
    path.write_bytes(csv_bytes(good_rows(codes)))
    result = runner.invoke(intake_app, ["import", str(path), "--form", "enterprise_annual", "--period", "2021",
                                        "--user", "alice", "--submit"])
    assert result.exit_code == 0, result.output
    assert "stored" in result.output and "3 new revision(s)" in result.output
    again = runner.invoke(intake_app, ["import", str(path), "-f", "enterprise_annual", "-p", "2021"])
    assert again.exit_code == 0 and "unchanged" in again.output
    for action in ("review", "approve"):
        step = runner.invoke(intake_app, ["approve", "-f", "enterprise_annual", "-p", "2021", "--action", action])
        assert step.exit_code == 0, step.output
    assert {s.state for s in list_submissions(store, form="enterprise_annual")} == {"approved"}
    listing = runner.invoke(intake_app, ["submissions", "-f", "enterprise_annual", "-p", "2021"])
    assert listing.exit_code == 0 and "3 submission(s)" in listing.output and "approved" in listing.output


def test_a_rejected_import_exits_2_and_writes_the_report(store: Engine, tmp_path: Path) -> None:
    codes = seed_registry(store, 2)
    rows = good_rows(codes)
    rows[1][3] = "abc"
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows))
    for suffix in ("json", "xlsx"):
        out = tmp_path / f"report.{suffix}"
        result = runner.invoke(intake_app, ["import", str(path), "-f", "enterprise_annual", "-p", "2021",
                                            "--report", str(out)])
        assert result.exit_code == 2 and "rejected" in result.output
        assert out.exists()
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [(i["rule"], i["row"], i["column"], i["value"]) for i in doc["issues"]] == [("not_a_number", 3, "D",
                                                                                          "abc")]
    assert list_submissions(store) == []


def test_template_and_completeness_commands(store: Engine, tmp_path: Path) -> None:
    seed_registry(store, 3)
    out = tmp_path / "t.xlsx"
    result = runner.invoke(intake_app, ["template", "-f", "enterprise_annual", "--year", "2021", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert fastexcel.read_excel(out.read_bytes()).sheet_names[0] == "数据"
    report = runner.invoke(intake_app, ["completeness", "-f", "enterprise_annual", "-p", "2021", "--missing"])
    assert report.exit_code == 0, report.output
    assert report.output.count("missing:") == 3


def test_register_mounts_the_commands_at_top_level() -> None:
    app = typer.Typer()

    @app.command("version")
    def version() -> None:
        """A second command, so Typer keeps sub-command names."""

    register(app)
    result = runner.invoke(app, ["--help"])
    for name in ("import", "submissions", "approve", "template", "completeness"):
        assert name in result.output

"""Laggard warnings before the deadline, raised by the rules of catalog/data/alerts/talent.yaml on the approved
weekly reports and kept in the monitor's alert store (deduplicated, their state kept); on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hizone.monitor.service import AlertStore
from hizone.talent.campaign import campaign
from hizone.talent.service import campaign_progress, record_alerts
from tests.talent.workflow import approved_weeks

C = campaign("research_assistant-2022")  # 2022-06-01 .. 2022-08-31, a straight line over 91 days


@pytest.fixture
def weeks(engine: Engine) -> Engine:
    # W32 speaks for Sunday 08-14 (17 days before the deadline), W33 for Sunday 08-21 (10 days before)
    return approved_weeks(engine, C, b"level,key,target,set_by\nzone,Z1101,100,national\nzone,Z3101,100,national\n",
                          [("2022W32", [["Z1101", 70, 50, 40, ""], ["Z3101", 90, 50, 40, ""]]),
                           ("2022W33", [["Z1101", 80, 50, 40, ""], ["Z3101", 95, 50, 40, ""]])])


def test_the_laggard_by_hand(weeks: Engine) -> None:
    progress = campaign_progress(weeks, C)
    assert progress.on == dt.date(2022, 8, 21) and progress.due == 81 / 91
    # talent_deadline_near: completion below 0.9 in the weeks at most 14 days before the deadline. Z1101: 70% in
    # W32 is 17 days out (not looked at), 80% in W33 is 10 days out: raised. Z3101: 95% in W33: not raised.
    # talent_behind_schedule (pace below 0.8 two weeks running): Z1101 0.70/(74/91) = 0.861 and
    # 0.80/(81/91) = 0.899, Z3101 above 1: neither. Provinces 11 and 31 sum to the same figures: neither.
    assert [(a.rule, a.severity, a.level, a.key, a.period) for a in progress.alerts] == [
        ("talent_deadline_near", "critical", "zone", "Z1101", "2022W33")]
    assert record_alerts(weeks, C) == {"new": 1, "seen": 0}
    (stored,) = AlertStore(weeks).list()
    assert (stored.rule, stored.level, stored.key, stored.period, stored.state) == (
        "talent_deadline_near", "zone", "Z1101", "2022W33", "open")
    assert stored.evidence["series"] == [["2022W33", pytest.approx(0.8)]]  # W32 lies outside the window
    AlertStore(weeks).transition(stored.id, "acknowledged", "analyst", "催报")
    assert record_alerts(weeks, C) == {"new": 0, "seen": 1}  # deduplicated; its state is kept
    assert [(a.key, a.state, a.note) for a in AlertStore(weeks).list()] == [("Z1101", "acknowledged", "催报")]
    assert AlertStore(weeks).list(zone="Z3101") == []


def test_the_cli_raises_them_into_the_alert_store(weeks: Engine, database_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hizone.cli.talent import talent_app

    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    result = CliRunner().invoke(talent_app, ["alerts"])
    assert result.exit_code == 0 and "1 warning(s) raised: 1 new, 0 already known" in result.output, result.output
    assert [(a.rule, a.key) for a in AlertStore(weeks).list()] == [("talent_deadline_near", "Z1101")]


def test_the_monitors_run_raises_them_beside_the_indicator_rules(weeks: Engine, database_url: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from hizone.cli.analytics import register

    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    monkeypatch.setenv("HIZONE_ANALYTICS_PATH", str(tmp_path / "analytics.duckdb"))
    main = typer.Typer()
    register(main)
    runner = CliRunner()
    assert runner.invoke(main, ["build"]).exit_code == 0
    ran = runner.invoke(main, ["alerts", "run"])
    assert ran.exit_code == 0, ran.output
    assert "research_assistant-2022: 1 laggard warning(s): 1 new, 0 already known" in ran.output
    again = runner.invoke(main, ["alerts", "run"])
    assert "research_assistant-2022: 1 laggard warning(s): 0 new, 1 already known" in again.output
    assert [(a.rule, a.key) for a in AlertStore(weeks).list() if a.rule.startswith("talent_")] == [
        ("talent_deadline_near", "Z1101")]

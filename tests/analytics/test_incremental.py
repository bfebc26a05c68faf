"""An approval reaches the indicators, the rankings and the alerts through an incremental build, which rebuilds
the periods the approval changed and nothing else (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.auth.policy import Principal
from hizone.intake.service import transition
from hizone.monitor.service import run_rules
from hizone.ranking.framework import load_framework
from hizone.ranking.service import run_evaluation
from tests.analytics.fixture import CLEAN_ZONE, CODES, cumulative, monthly_values, populate
from tests.ranking.tiny import write_framework
from tests.reports import write_report

PROVINCE = Principal("bj", "province", province_code="11")


def _value(analytics: Analytics, code: str, level: str, key: str, period: str) -> float | None:
    (found,) = analytics.values([code], level, [key], [period])
    return found.value


def _jumps(path: Path) -> set[tuple[str, str]]:
    return {(a.key, a.period) for a in run_rules(Analytics(path)) if a.rule == "revenue_month_jump"}


def test_an_approval_reaches_indicators_rankings_and_alerts_through_an_incremental_build(
        engine: Engine, tmp_path: Path) -> None:
    populate(engine)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    framework = load_framework(write_framework(tmp_path / "frameworks"))
    assert (CLEAN_ZONE, "2023-06") not in _jumps(path)
    # The clean zone corrects its June report (cumulative revenue five times as large), and E2's second 2023
    # revision (revenue 450 in place of 400), already submitted, goes on: both reviewed and approved.
    june = {**monthly_values(CLEAN_ZONE, 2023, 6), "revenue": round(5 * cumulative(CLEAN_ZONE, 2023, 6), 4)}
    write_report(engine, form_code="zone_monthly", form_version=2022, entity_key=CLEAN_ZONE, zone_code=CLEAN_ZONE,
                 period="2023-06", revision=2, state="submitted", values=june)
    for action, actor in (("review", PROVINCE), ("approve", Principal("torch", "admin"))):
        transition(engine, action, actor, form="zone_monthly", period="2023-06", zone_code=CLEAN_ZONE)
        transition(engine, action, actor, form="enterprise_annual", period="2023", entity_keys=[CODES["E2"]])
    report = build(engine, path)
    assert {form: periods for form, periods in report.rebuilt.items() if periods} == \
        {"enterprise_annual": ["2023"], "zone_monthly": ["2023-06"]}
    assert {form: kept for form, kept in report.kept.items() if kept} == {"enterprise_annual": 1, "zone_monthly": 23}
    analytics = Analytics(path)
    assert _value(analytics, "revenue_cum", "zone", CLEAN_ZONE, "2023-06") == pytest.approx(june["revenue"])
    assert _value(analytics, "revenue_total", "nation", "CN", "2023") == 2780 + 50
    assert (CLEAN_ZONE, "2023-06") in _jumps(path)
    ranked = run_evaluation(engine, analytics, framework, 2023, samples=0, created_by="test")
    (a1,) = [r for r in ranked.evaluation.rows if (r.zone_code, r.code) == ("Z1101", "A1")]
    assert a1.value == pytest.approx((72 + 8 + 30) / (1200 + 450 + 300) * 100)  # was / (1200 + 400 + 300)
    assert not any(build(engine, path).rebuilt.values())
    build(engine, tmp_path / "full.duckdb", full=True)
    incremental, scratch = _every_row(path), _every_row(tmp_path / "full.duckdb")
    for table, rows in scratch.items():  # the incremental build holds what one from scratch does
        assert incremental[table] == rows, table


def _shown(path: Path, period: str) -> dict[str, list[float]]:
    """The annual revenues each view shows for ``period``, sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {view: sorted(r[0] for r in con.execute(
            f"SELECT e_revenue FROM enterprise_annual__annual__{view} WHERE period = ?", [period]).fetchall())
                for view in ("published", "provisional")}


def _every_row(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every fact table and the indicator values, sorted, numbers to 12 digits (sums taken in another order
    differ in the last bits)."""
    def rounded(row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in row)

    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE "
                                            "contains(table_name, '__') OR table_name = 'indicator_value'").fetchall()]
        return {t: sorted((rounded(r) for r in con.execute(f"SELECT * FROM {t}").fetchall()), key=repr)
                for t in sorted(tables)}


def test_first_revisions_in_every_state_build_alike_incrementally_and_in_full(
        engine: Engine, tmp_path: Path) -> None:
    """Where every submission is a first revision (nothing to rank), published shows the approved rows and
    provisional the submitted and reviewed ones as well, a draft neither; the incremental build holds what a full
    build does."""
    populate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM submission WHERE revision > 1")
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    for name, zone, state, revenue in (("E1", "Z1101", "approved", 1300), ("E2", "Z1101", "submitted", 420),
                                       ("E3", "Z1101", "reviewed", 310), ("E4", "Z4201", "draft", 900)):
        write_report(engine, form_code="enterprise_annual", form_version=2021, entity_key=CODES[name],
                     zone_code=zone, period="2024", revision=1, state=state, values={"revenue": revenue})
    assert build(engine, path).rebuilt["enterprise_annual"] == ["2024"]
    build(engine, tmp_path / "full.duckdb", full=True)
    assert _every_row(path) == _every_row(tmp_path / "full.duckdb")
    assert _shown(tmp_path / "full.duckdb", "2024") == {"published": [1300], "provisional": [310, 420, 1300]}


def test_later_revisions_in_every_order_build_alike_incrementally_and_in_full(
        engine: Engine, tmp_path: Path) -> None:
    """A whole rebuild writes every shown revision into the published table and takes out the pending and the
    superseded ones after; an incremental build ranks them in its own table first. Both show, of each report,
    the latest approved revision as published and the latest shown one as provisional, whatever the order of
    the states."""
    populate(engine)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    chains = {  # entity: (state, revenue) of revisions 1, 2, …
        "E1": [("approved", 100), ("approved", 110)],  # published 110, provisional 110
        "E2": [("approved", 200), ("reviewed", 220)],  # published 200, provisional 220
        "E3": [("submitted", 300), ("approved", 330)],  # the submitted one superseded: 330 both
        "E4": [("approved", 400), ("submitted", 440), ("approved", 450), ("draft", 460)],  # 450 both
        "E5": [("reviewed", 500), ("submitted", 550)],  # nothing published, provisional 550
    }
    for name, chain in chains.items():
        for revision, (state, revenue) in enumerate(chain, start=1):
            write_report(engine, form_code="enterprise_annual", form_version=2021, entity_key=CODES[name],
                         zone_code="Z1101", period="2025", revision=revision, state=state, values={"revenue": revenue})
    assert build(engine, path).rebuilt["enterprise_annual"] == ["2025"]
    build(engine, tmp_path / "full.duckdb", full=True)
    assert _every_row(path) == _every_row(tmp_path / "full.duckdb")
    assert _shown(tmp_path / "full.duckdb", "2025") == {"published": [110, 200, 330, 450],
                                                        "provisional": [110, 220, 330, 450, 550]}

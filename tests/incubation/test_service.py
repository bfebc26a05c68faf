"""The read side: scope, a carrier's profile (self-check on its report, grade), the chain funnel, graduates'
later path on the ladder, and the grades engine, against hand-computed values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.incubation.engine import evaluate
from hizone.incubation.registry import import_carriers, import_incubatees
from hizone.incubation.service import CarrierNotFound, chain, graduates_path, list_carriers, overdue_before, profile
from hizone.intake.service import import_file, transition
from hizone.registry.sync import sync_store
from hizone.store import session_scope
from hizone.store.models import Enterprise, Qualification
from tests.incubation.test_forms import _csv
from tests.registry.lists_factory import code, write

ADMIN = Principal("torch", "admin")
REVIEWER = Principal("torch-reviewer", "admin")  # not the importer: a revision's writer never accepts it
TODAY = dt.date(2024, 6, 30)
K1, K2, K3 = code(101), code(102), code(103)  # carriers keyed by their operators' credit codes


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    sync_store(engine)
    import_carriers(engine, write(tmp_path / "c", "csv-utf8", [
        ["载体代码", "载体名称", "载体类型", "综合或专业", "专业领域", "高新区代码", "省份代码", "级别", "认定日期",
         "成立年份"],
        [K1, "甲孵化器", "孵化器", "综合", "", "Z1101", "", "国家级", dt.date(2019, 12, 1), 2015],
        [K2, "乙众创空间", "众创空间", "综合", "", "Z1101", "", "国家备案", dt.date(2018, 1, 1), 2016],
        [K3, "丙加速器", "加速器", "综合", "", "Z1201", "", "", "", 2020],
    ]), ADMIN, today=TODAY)
    import_incubatees(engine, write(tmp_path / "s", "csv-utf8", [
        ["载体代码", "统一社会信用代码", "入孵日期", "毕业日期", "毕业条件"],
        [K2, code(1), dt.date(2018, 3, 1), dt.date(2019, 3, 1), "融资"],
        [K1, code(1), dt.date(2019, 3, 1), dt.date(2021, 1, 1), "高新技术企业"],
        [K1, code(2), dt.date(2020, 5, 30), "", ""],  # 49 full months on TODAY: beyond 48
        [K1, code(3), dt.date(2020, 7, 1), "", ""],  # 47 months
        [K3, code(4), dt.date(2021, 1, 1), dt.date(2023, 1, 1), "营收"],
    ]), ADMIN, today=TODAY)
    with session_scope(engine) as session:  # code(1) became 高企 after graduating from K1; code(4) held it before
        ent = [Enterprise(credit_code=code(i), name=f"企业{i}", zone_code="Z1101") for i in (1, 4)]
        session.add_all(ent)
        session.flush()
        session.add_all([Qualification(enterprise_id=ent[0].id, kind="high_tech", valid_from=dt.date(2021, 10, 1)),
                         Qualification(enterprise_id=ent[1].id, kind="high_tech", valid_from=dt.date(2022, 1, 1))])
    return engine


def test_overdue_threshold_matches_months_between() -> None:
    assert overdue_before(TODAY, 48) == dt.date(2020, 5, 30)
    assert overdue_before(dt.date(2024, 3, 31), 48) == dt.date(2020, 2, 29)


def test_scope_and_counts(store: Engine) -> None:
    rows = {r.code: r for r in list_carriers(store, ADMIN, today=TODAY)}
    assert (rows[K1].in_incubation, rows[K1].graduated, rows[K1].overdue, rows[K1].levels) == (2, 1, 1, ("国家级",))
    zone = Principal("tj", "zone", province_code="12", zone_code="Z1201")
    assert [r.code for r in list_carriers(store, zone, today=TODAY)] == [K3]
    assert list_carriers(store, Principal.public(), today=TODAY) == []
    with pytest.raises(CarrierNotFound):
        profile(store, zone, K1, today=TODAY)


def test_funnel_and_graduates_path(store: Engine) -> None:
    stages = {s["kind"]: s for s in chain(store, ADMIN, "Z1101", today=TODAY).stages}
    maker = stages["众创空间"]
    assert (maker["carriers"], maker["national"], maker["graduated"]) == (1, 1, 1)
    assert (stages["孵化器"]["in_incubation"], stages["孵化器"]["overdue"], stages["孵化器"]["became_high_tech"]) == (
        2, 1, 1)
    assert stages["加速器"]["carriers"] == 0  # K3 lies in 天津滨海
    path = graduates_path(store, ADMIN)
    # code(1) graduated twice (K2 2019, K1 2021) and became 高企 in 2021-10, after both; code(4) graduated
    # from K3 in 2023 while holding 高企 since 2022: not "became" afterwards.
    assert path[K1]["high_tech"] == 1 and path[K2]["high_tech"] == 1 and path[K3] == {
        "graduates": 1, "high_tech": 0, "gazelle": 0, "listed": 0}


def test_profile_self_check_on_the_latest_report(store: Engine) -> None:
    # K1: space 12000 m², 在孵+公共 (9000 + 1500) / 12000 = 87.5%, fund 6000 千元 = 600 万元, 60 in incubation.
    row = [K1, "甲孵化器", "Z1101", 6000, 20000, 12000, 20, 12000, 1000, 9000, 1500, 0, 60, 9, 300000, 24000, 500]
    import_file(store, _csv([row]), "incubator_annual", "2023", ADMIN, name="gz.csv", submit=True)
    for step in ("review", "approve"):
        transition(store, step, REVIEWER, form="incubator_annual", period="2023")
    found = profile(store, ADMIN, K1, today=TODAY)
    checks = {c.code: (c.value, c.passed) for c in found.checks}
    assert checks["years_operating"] == (8.0, True)
    assert checks["incubated_space_share"] == (pytest.approx(0.875), True)
    assert checks["fund"] == (600.0, True) and checks["ip_share"] == (None, None)
    assert checks["density"] == (pytest.approx(5.0), True)
    # the only graded incubator: 1 × 386/1277 rounds to no A, 1 × (386 + 617)/1277 to one B
    assert (found.report_year, found.report_state, found.grade and found.grade.grade) == ("2023", "approved", "B")
    assert found.criteria == {"hightech": 1} and [h[:2] for h in found.history] == [("国家级", "recognised")]


def test_grades_by_focus_group_and_shares() -> None:
    spec = {"indicators": {"n": {"of": ["inc_incubatees"], "weight": {"综合": 1, "专业": 1}},
                           "r": {"of": ["inc_incubatee_rd"], "per": ["inc_incubatee_revenue"],
                                 "weight": {"综合": 1, "专业": 3}}},
            "uncertainty": {"samples": 50, "noise": 0.5, "seed": 1}}
    reports = {"a": ("综合", {"inc_incubatees": 10, "inc_incubatee_rd": 1, "inc_incubatee_revenue": 100}),
               "b": ("综合", {"inc_incubatees": 30, "inc_incubatee_rd": 3, "inc_incubatee_revenue": 100}),
               "c": ("专业", {"inc_incubatees": 10, "inc_incubatee_rd": 9, "inc_incubatee_revenue": 100}),
               "d": ("专业", {"inc_incubatees": 20, "inc_incubatee_rd": 1, "inc_incubatee_revenue": 100})}
    graded = evaluate(reports, spec, {"A": 1, "B": 1, "C": 1, "D": 1})
    # within 综合: a (0, 0) → 0, b (100, 100) → 100; within 专业: c (0·1 + 100·3)/4 = 75, d (100·1 + 0)/4 = 25
    assert {k: g.score for k, g in graded.items()} == {"a": 0.0, "b": 100.0, "c": 75.0, "d": 25.0}
    assert {k: g.grade for k, g in graded.items()} == {"b": "A", "c": "B", "d": "C", "a": "D"}
    assert graded["b"].stability == 1.0 and graded["a"].stability == 1.0  # 100 and 0 whatever the weights

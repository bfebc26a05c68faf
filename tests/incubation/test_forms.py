"""The incubator and 众创空间 annual forms through the ordinary intake (validation, revisions, approval) and
their indicators rolled up carrier → zone → province → nation by the analytics build, against hand sums."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.auth.policy import Principal
from hizone.intake.service import import_file, transition
from hizone.registry.sync import sync_store
from tests.registry.lists_factory import code

ADMIN = Principal("torch", "admin")
REVIEWER = Principal("torch-reviewer", "admin")  # not the importer: a revision's writer never accepts it
HEADER = ["统一社会信用代码", "孵化器名称", "高新区代码", "孵化基金总额", "孵化器总收入", "房租及物业收入",
          "孵化器从业人员", "孵化器建筑总面积",
          "孵化器办公用房面积", "在孵企业用房面积", "公共服务用房面积", "其他用房面积", "在孵企业数",
          "当年获得投融资的在孵企业数", "在孵企业总收入", "在孵企业R&D投入", "享受税收优惠减免金额"]
# Three incubators (千元, m²): two in 中关村 (province 11), one in 天津滨海 (12).
ROWS = [
    [code(1), "甲孵化器", "Z1101", 6000, 20000, 12000, 20, 12000, 1000, 9000, 1500, 0, 60, 9, 300000, 24000, 500],
    [code(2), "乙孵化器", "Z1101", 3000, 8000, 6000, 10, 8000, 500, 6000, 1000, 500, 40, 2, 100000, 4000, 0],
    [code(3), "丙孵化器", "Z1201", 5000, 10000, 2000, 12, 10000, 800, 8000, 1000, 200, 50, 10, 200000, 12000, 300],
]


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode()


def test_floor_space_by_use_above_the_total_refuses_the_file(engine: Engine) -> None:
    sync_store(engine)
    bad = [list(r) for r in ROWS]
    bad[1][9] = 6600  # 500 + 6600 + 1000 + 500 > 8000
    result = import_file(engine, _csv(bad), "incubator_annual", "2021", ADMIN, name="gz007.csv")
    assert result.status == "rejected" and result.batch_id is None and result.report is not None
    assert [(i.rule, i.row, i.file) for i in result.report.errors] == [("cross:space_by_use_le_total", 3,
                                                                          "gz007.csv")]


@pytest.fixture
def analytics(engine: Engine, tmp_path: Path) -> Analytics:
    sync_store(engine)
    result = import_file(engine, _csv(ROWS), "incubator_annual", "2021", ADMIN, name="gz007.csv", submit=True)
    assert result.stored and result.created == 3, result.report and result.report.errors
    for step in ("review", "approve"):
        transition(engine, step, REVIEWER, form="incubator_annual", period="2021")
    build(engine, tmp_path / "a.duckdb")
    return Analytics(tmp_path / "a.duckdb")


def _value(analytics: Analytics, indicator: str, level: str, key: str) -> float | None:
    (found,) = analytics.values([indicator], level, [key], ["2021"])
    return found.value


def test_indicators_roll_up_zone_province_nation(analytics: Analytics) -> None:
    assert _value(analytics, "incubatees_total", "zone", "Z1101") == 60 + 40
    assert _value(analytics, "incubatees_total", "province", "12") == 50
    assert _value(analytics, "incubatees_total", "nation", "CN") == 150
    assert _value(analytics, "incubator_count", "nation", "CN") == 3
    # Σ R&D / Σ revenue: (24000 + 4000 + 12000) / 600000 = 6.67%, not the mean of 8%, 4%, 6%
    assert _value(analytics, "incubatee_rd_intensity", "nation", "CN") == pytest.approx(40000 / 600000 * 100)
    assert _value(analytics, "financed_share", "zone", "Z1101") == pytest.approx(11 / 100 * 100)
    assert _value(analytics, "incubated_space_share", "province", "11") == pytest.approx(15000 / 20000 * 100)
    assert _value(analytics, "non_rent_income_share", "nation", "CN") == pytest.approx((38000 - 20000) / 38000 * 100)
    assert _value(analytics, "incubators_with_tax_relief", "nation", "CN") == 2
    assert _value(analytics, "incubation_fund_total", "nation", "CN") == 14000

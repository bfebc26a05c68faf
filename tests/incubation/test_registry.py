"""`hizone incubation import-carriers|import-levels|import-incubatees`: carriers, level history and incubatees
into the store (SQLite and PostgreSQL), every problem named by file, row and column, nothing stored from a
refused file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hizone.auth.policy import Principal
from hizone.incubation.registry import import_carriers, import_incubatees, import_levels
from hizone.registry.sheets import ListRefused
from hizone.registry.sync import sync_store
from hizone.store import session_scope
from hizone.store.models import Carrier, CarrierLevel, Incubatee
from tests.registry.lists_factory import code, write

ADMIN = Principal("analyst1", "admin")
TODAY = dt.date(2024, 6, 30)
CARRIERS = ["载体代码", "载体名称", "载体类型", "综合或专业", "专业领域", "高新区代码", "省份代码", "级别", "认定日期"]
STAYS = ["载体代码", "统一社会信用代码", "入孵日期", "毕业日期", "毕业条件"]


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    """The real provinces and zones, and three carriers: K1 a national incubator since 2019 in 中关村, K2 a
    provincial 众创空间 in 天津滨海, K3 an accelerator outside any zone in 河北."""
    sync_store(engine)
    import_carriers(engine, write(tmp_path / "c0", "csv-utf8", [
        CARRIERS,
        ["K1", "甲孵化器", "孵化器", "专业", "生物医药", "Z1101", "", "国家级", dt.date(2019, 12, 1)],
        ["K2", "乙众创空间", "众创空间", "综合", "", "Z1201", "12", "省级", dt.date(2020, 5, 1)],
        ["K3", "丙加速器", "加速器", "", "", "", "13", "", ""],
    ]), ADMIN, today=TODAY)
    return engine


def _carriers(engine: Engine) -> dict[str, Carrier]:
    with session_scope(engine) as session:
        return {c.code: c for c in session.scalars(select(Carrier))}


def _stays(engine: Engine) -> list[tuple[str, dt.date, dt.date | None, str | None]]:
    with session_scope(engine) as session:
        return sorted((i.credit_code, i.entry, i.graduated, i.criterion) for i in session.scalars(select(Incubatee)))


def _problems(error: pytest.ExceptionInfo[ListRefused]) -> list[tuple[int, str | None, str]]:
    return [(p.row, p.column, p.reason) for p in error.value.problems]


def test_carriers_are_registered_with_zone_province_and_recognition(store: Engine) -> None:
    carriers = _carriers(store)
    assert {c: (k.kind, k.focus, k.field, k.zone_code, k.province_code) for c, k in carriers.items()} == {
        "K1": ("孵化器", "专业", "生物医药", "Z1101", "11"),  # the province follows from the zone
        "K2": ("众创空间", "综合", None, "Z1201", "12"),
        "K3": ("加速器", "综合", None, None, "13")}
    with session_scope(store) as session:
        levels = sorted((lv.carrier_id, lv.level, lv.event, lv.day) for lv in session.scalars(select(CarrierLevel)))
    assert levels == [(carriers["K1"].id, "国家级", "recognised", dt.date(2019, 12, 1)),
                      (carriers["K2"].id, "省级", "recognised", dt.date(2020, 5, 1))]


def test_a_level_not_held_refuses_the_file_and_stores_nothing(store: Engine, tmp_path: Path) -> None:
    import_levels(store, write(tmp_path / "lv", "csv-utf8", [
        ["载体代码", "级别", "事项", "日期", "文号"],
        ["K1", "国家级", "复核", dt.date(2022, 3, 1), "国科火字〔2022〕1号"],
        ["K2", "省级", "撤销", dt.date(2023, 1, 1), ""],
    ]), ADMIN, today=TODAY)
    path = write(tmp_path / "c1", "csv-utf8", [
        CARRIERS,
        ["K1", "甲孵化器（更名）", "孵化器", "专业", "生物医药", "Z1101", "", "国家级", ""],  # held: re-examined
        ["K2", "乙众创空间", "众创空间", "综合", "", "Z1201", "", "省级", ""],  # revoked in 2023
        ["K4", "丁众创空间", "众创空间", "综合", "", "Z1201", "", "国家级", ""],  # no such level for its kind
        ["K5", "戊孵化器", "孵化器", "专业", "", "Z9999", "", "", ""],  # 专业 without field, unknown zone
    ])
    with pytest.raises(ListRefused) as error:
        import_carriers(store, path, ADMIN, today=TODAY)
    problems = _problems(error)
    assert [(r, c) for r, c, _ in problems] == [(3, "level"), (4, "level"), (5, "field"), (5, "zone_code")]
    assert "claims level 省级 it does not hold" in problems[0][2] and "c1.csv" in str(error.value)
    assert _carriers(store)["K1"].name == "甲孵化器"  # nothing stored, not even the good row


def test_revoking_a_level_never_held_is_refused(store: Engine, tmp_path: Path) -> None:
    with pytest.raises(ListRefused) as error:
        import_levels(store, write(tmp_path / "lv", "csv-utf8", [
            ["载体代码", "级别", "事项", "日期"],
            ["K1", "国家级", "撤销", dt.date(2019, 1, 1)],  # before its recognition on 2019-12-01
            ["K9", "省级", "认定", dt.date(2020, 1, 1)],
        ]), ADMIN, today=TODAY)
    assert [(r, c) for r, c, _ in _problems(error)] == [(2, "level"), (3, "carrier_code")]


def test_stays_overlapping_at_two_carriers_are_refused_against_the_store(store: Engine, tmp_path: Path) -> None:
    a, b = code(1), code(2)
    first = import_incubatees(store, write(tmp_path / "s1", "csv-utf8", [
        STAYS,
        ["K1", a, dt.date(2019, 1, 1), dt.date(2021, 6, 30), "高新技术企业"],
        ["K2", b, dt.date(2020, 1, 1), "", ""],  # still in incubation: 53 months on TODAY, a warning
    ]), ADMIN, today=TODAY)
    assert (first.added, first.updated) == (2, 0)
    assert [(w.row, w.column) for w in first.warnings] == [(3, "entry")] and "53 months" in first.warnings[0].reason
    path = write(tmp_path / "s2", "csv-utf8", [
        STAYS,
        ["K3", a, dt.date(2021, 6, 30), "", ""],  # entered K3 the day it left K1: fine
        ["K3", b, dt.date(2023, 1, 1), "", ""],  # b is still in K2 (stored; not the previous row)
        ["K1", code(3), dt.date(2022, 1, 1), dt.date(2021, 1, 1), "融资"],  # graduation before entry
        ["K1", code(4), dt.date(2022, 1, 1), "", ""],
        ["K2", code(4), dt.date(2022, 5, 1), "", ""],  # two open stays in one file
        ["K1", code(5), dt.date(2022, 1, 1), dt.date(2023, 1, 1), ""],  # no criterion
    ])
    with pytest.raises(ListRefused) as error:
        import_incubatees(store, path, ADMIN, today=TODAY)
    problems = _problems(error)
    assert [(r, c) for r, c, _ in problems] == [(3, "credit_code"), (4, "graduated"), (6, "credit_code"),
                                                (7, "criterion")]
    assert "K2 from 2020-01-01 until now (stored)" in problems[0][2]
    assert "K1 from 2022-01-01 until now (row 5)" in problems[2][2]
    assert len(_stays(store)) == 2


def test_a_later_list_graduates_a_stay(store: Engine, tmp_path: Path) -> None:
    a = code(1)
    import_incubatees(store, write(tmp_path / "s1", "csv-utf8", [STAYS, ["K2", a, dt.date(2020, 1, 1), "", ""]]),
                      ADMIN, today=TODAY)
    again = import_incubatees(store, write(tmp_path / "s2", "csv-utf8", [
        STAYS, ["K2", a, "2020年1月1日", dt.date(2023, 3, 1), "营收超1000万"]]), ADMIN, today=TODAY)
    assert (again.added, again.updated, again.warnings) == (0, 1, [])
    assert _stays(store) == [(a, dt.date(2020, 1, 1), dt.date(2023, 3, 1), "revenue")]


def test_a_zone_registers_only_its_own_carriers(store: Engine, tmp_path: Path) -> None:
    zone = Principal("tj", "zone", province_code="12", zone_code="Z1201")
    with pytest.raises(ListRefused) as error:
        import_incubatees(store, write(tmp_path / "s", "csv-utf8", [
            STAYS, ["K2", code(1), dt.date(2021, 1, 1), "", ""], ["K1", code(2), dt.date(2021, 1, 1), "", ""]]),
            zone, today=TODAY)
    assert [(r, c) for r, c, _ in _problems(error)] == [(3, "carrier_code")]

"""`hizone registry import-enterprises`: enterprise lists into an empty store, one transaction per file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from hizone.auth.policy import Principal, can_register
from hizone.intake.service import audit_trail
from hizone.registry.enterprises import import_enterprises
from hizone.registry.sheets import ListRefused
from hizone.registry.sync import sync_store
from hizone.store import session_scope
from hizone.store.models import AuditLog, Enterprise
from tests.registry.lists_factory import WRITERS, code, write, wrong_check

HEADER = ["序号", "统一社会信用代码", "企业名称", "高新区代码", "行业代码", "注册日期"]
ADMIN = Principal("analyst1", "admin")


@pytest.fixture
def store(engine: Engine) -> Engine:
    """The store as `hizone db upgrade` leaves it: the real provinces and zones, no enterprise."""
    sync_store(engine)
    return engine


def _enterprises(engine: Engine) -> dict[str, Enterprise]:
    with session_scope(engine) as session:
        return {e.credit_code: e for e in session.scalars(select(Enterprise))}


def _audit(engine: Engine) -> list[AuditLog]:
    with session_scope(engine) as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.object_kind == "enterprise")
                                    .order_by(AuditLog.id)))


@pytest.mark.parametrize("writer", WRITERS)
def test_a_list_from_each_writer_registers_its_enterprises(store: Engine, tmp_path: Path, writer: str) -> None:
    path = write(tmp_path / "企业名单", writer, [
        ["2024年高新区企业名单"],  # a title row above the header, as agencies write them
        HEADER,
        [1, code(1), "北京甲科技有限公司", "Z1101", "6513", dt.date(2015, 3, 2)],
        [2, code(2), "天津乙生物（集团）股份有限公司", "Z1201", 2710, dt.date(2009, 11, 30)],
        [3, code(3), "石家庄丙农业有限公司", "Z1301", 111, dt.date(2020, 1, 6)],  # 0111 as a number cell
    ])
    result = import_enterprises(store, path, ADMIN)
    assert result.registered == [code(1), code(2), code(3)] and not result.updated and not result.unchanged
    stored = _enterprises(store)
    assert (stored[code(2)].name, stored[code(2)].zone_code, stored[code(2)].industry_code,
            stored[code(2)].founded) == ("天津乙生物（集团）股份有限公司", "Z1201", "2710", dt.date(2009, 11, 30))
    assert stored[code(3)].industry_code == "0111"
    assert [(a.action, a.object_id, a.actor) for a in _audit(store)] == [
        ("register", code(i), "analyst1") for i in (1, 2, 3)]


def test_a_second_list_updates_with_dated_changes_and_reports_what_it_did(store: Engine, tmp_path: Path) -> None:
    first = write(tmp_path / "first", "csv-utf8", [
        HEADER, [1, code(1), "北京甲科技有限公司", "Z1101", "6513", "2015-03-02"],
        [2, code(2), "北京乙（中国）有限公司", "Z1101", "6513", "2016-05-01"],
        [3, code(3), "天津丙有限公司", "Z1201", "2710", "2010-01-01"]])
    import_enterprises(store, first, ADMIN)
    second = write(tmp_path / "second", "csv-gbk", [
        HEADER[:4], [1, code(1), "北京甲智能科技有限公司", "Z1101"],  # renamed
        [2, code(2), " 北京乙(中国)有限公司", "Z1101"],  # the same name in half-width brackets
        [3, code(3), "天津丙有限公司", "Z1301"]])  # moved to another zone
    result = import_enterprises(store, second, ADMIN)
    assert result.registered == [] and result.unchanged == [code(2)]
    assert [(c, [(x.field, x.old, x.new) for x in changes]) for c, changes in result.updated] == [
        (code(1), [("name", "北京甲科技有限公司", "北京甲智能科技有限公司")]),
        (code(3), [("zone_code", "Z1201", "Z1301")])]
    assert result.describe(limit=1) == ["second.csv: 0 registered, 2 updated, 1 unchanged",
                                        f"updated {code(1)}: name '北京甲科技有限公司' → '北京甲智能科技有限公司'",
                                        "… and 1 more (all of them with --outcome FILE)"]
    stored = _enterprises(store)
    assert (stored[code(1)].name, stored[code(3)].zone_code) == ("北京甲智能科技有限公司", "Z1301")
    assert stored[code(2)].name == "北京乙（中国）有限公司"  # not churned by a bracket's width
    updates = [a for a in _audit(store) if a.action == "update"]
    assert [(a.object_id, a.detail["changes"], a.detail["source"], a.detail["row"]) for a in updates] == [
        (code(1), {"name": ["北京甲科技有限公司", "北京甲智能科技有限公司"]}, "second.csv", 2),
        (code(3), {"zone_code": ["Z1201", "Z1301"]}, "second.csv", 4)]
    history = audit_trail(store, object_kind="enterprise", object_id=code(3))  # the enterprise's dated history
    assert [(h.action, h.detail.get("zone_code"), h.detail.get("changes")) for h in history] == [
        ("register", "Z1201", None), ("update", None, {"zone_code": ["Z1201", "Z1301"]})]
    assert history[0].at <= history[1].at
    assert import_enterprises(store, second, ADMIN).unchanged == [code(1), code(2), code(3)]


def test_a_bad_file_is_refused_whole_with_one_line_per_problem(store: Engine, tmp_path: Path) -> None:
    import_enterprises(store, write(tmp_path / "known", "csv-utf8", [
        HEADER, [1, code(9), "已登记有限公司", "Z1101", "6513", "2015-03-02"]]), ADMIN)
    path = write(tmp_path / "bad", "xlsxwriter", [
        HEADER,
        [1, code(1), "北京甲科技有限公司", "Z1101", "6513", "2015-03-02"],
        [2, wrong_check(code(2)), "北京乙有限公司", "Z1101", "6513", "2015-03-02"],
        [3, code(3), "不存在高新区有限公司", "Z9999", "6513", "2015-03-02"],
        [4, code(1), "北京甲科技股份有限公司", "Z1101", "6513", "2015-03-02"],
        [5, code(9), "已登记有限公司（改名）", "Z1101", "6513", "2015-03-02"],  # would rename: refused with the rest
    ])
    with pytest.raises(ListRefused) as refused:
        import_enterprises(store, path, ADMIN)
    assert str(refused.value).splitlines() == [
        f"bad.xlsx, sheet '名单', row 3, column B: credit code '{wrong_check(code(2))}' fails the GB 32100 check: "
        f"last character should be '{code(2)[17]}'",
        "bad.xlsx, sheet '名单', row 4, column D: zone 'Z9999' does not exist in the registry",
        f"bad.xlsx, sheet '名单', row 5, column C: credit code {code(1)} appears twice with different names: "
        "row 2 '北京甲科技有限公司', row 5 '北京甲科技股份有限公司'"]
    assert list(_enterprises(store)) == [code(9)] and _enterprises(store)[code(9)].name == "已登记有限公司"
    assert len(_audit(store)) == 1


def test_identical_repeats_are_taken_once(store: Engine, tmp_path: Path) -> None:
    row = [1, code(1), "北京甲科技有限公司", "Z1101", "6513", "2015-03-02"]
    result = import_enterprises(store, write(tmp_path / "twice", "csv-utf8", [HEADER, row, row]), ADMIN)
    assert result.registered == [code(1)]


def test_credit_code_name_and_zone_are_enough_for_a_new_enterprise(store: Engine, tmp_path: Path) -> None:
    bad_date = write(tmp_path / "date", "csv-utf8", [HEADER, [1, code(1), "甲", "Z1101", "6513", "2015-02-30"]])
    with pytest.raises(ListRefused, match=r"^date.csv, row 2, column F: '2015-02-30' is not a date"):
        import_enterprises(store, bad_date, ADMIN)
    assert not _enterprises(store)
    path = write(tmp_path / "bare", "csv-utf8", [HEADER[1:4], [code(1), "北京甲科技有限公司", "Z1101"]])
    assert import_enterprises(store, path, ADMIN).registered == [code(1)]
    stored = _enterprises(store)[code(1)]
    assert (stored.name, stored.zone_code, stored.industry_code, stored.founded) == ("北京甲科技有限公司", "Z1101",
                                                                                    None, None)


@pytest.mark.parametrize(("principal", "allowed"), [
    (Principal("z", "zone", zone_code="Z1301"), {"Z1301"}),
    (Principal("p", "province", province_code="13"), {"Z1301", "Z1302"}),
    (Principal("a", "analyst"), {"Z1101", "Z1301", "Z1302"}),
    (Principal("e", "enterprise", credit_code=code(1)), set()),
])
def test_scoped_users_register_only_in_their_zone_or_province(store: Engine, tmp_path: Path, principal: Principal,
                                                              allowed: set[str]) -> None:
    for i, zone in enumerate(("Z1101", "Z1301", "Z1302")):
        path = write(tmp_path / f"in-{zone}", "csv-utf8", [HEADER, [1, code(i), "某企业", zone, "6513", "2015-03-02"]])
        if zone in allowed:
            assert import_enterprises(store, path, principal).registered == [code(i)]
        else:
            with pytest.raises(ListRefused, match=f"row 2, column D: .* may not register enterprises in zone {zone}"):
                import_enterprises(store, path, principal)
    assert set(_enterprises(store)) == {code(i) for i, z in enumerate(("Z1101", "Z1301", "Z1302")) if z in allowed}


@pytest.mark.parametrize(("principal", "own", "neighbour", "other"), [
    (ADMIN, True, True, True), (Principal("b", "analyst"), True, True, True),
    (Principal("p", "province", province_code="13"), True, True, False),
    (Principal("z", "zone", province_code="13", zone_code="Z1301"), True, False, False),
    (Principal("e", "enterprise", zone_code="Z1301", credit_code=code(1)), False, False, False),
    (Principal.public(), False, False, False)])
def test_who_may_register_in_a_zone(principal: Principal, own: bool, neighbour: bool, other: bool) -> None:
    assert can_register(principal, "Z1301", "13") is own
    assert can_register(principal, "Z1302", "13") is neighbour
    assert can_register(principal, "Z1101", "11") is other


def test_a_zone_cannot_take_over_another_zones_enterprise(store: Engine, tmp_path: Path) -> None:
    import_enterprises(store, write(tmp_path / "a", "csv-utf8", [HEADER, [1, code(1), "甲", "Z1302", "6513",
                                                                         "2015-03-02"]]), ADMIN)
    move = write(tmp_path / "b", "csv-utf8", [HEADER[:4], [1, code(1), "甲", "Z1301"]])
    with pytest.raises(ListRefused, match=f"row 2, column D: {code(1)} is registered outside zone Z1301"):
        import_enterprises(store, move, Principal("z", "zone", zone_code="Z1301"))
    assert import_enterprises(store, move, Principal("p", "province", province_code="13")).updated[0][0] == code(1)
    with session_scope(store) as session:
        assert session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.zone_code == "Z1301")) == 1

"""An enterprise's dated history: renames and moves append versions, never overwrite; a period's figures go to
the zone the enterprise belonged to in that period; a zone's report cannot move an enterprise."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from hizone.analytics.read import Viewer, open_reader
from hizone.auth.policy import Principal, can_move
from hizone.cli import app as cli
from hizone.errors import StoreError
from hizone.intake.service import import_file
from hizone.registry.enterprises import import_enterprises
from hizone.registry.sheets import ListRefused
from hizone.registry.sync import sync_store
from hizone.store import downgrade, session_scope, upgrade
from hizone.store.models import Enterprise, EnterpriseVersion, Submission
from tests.intake.factory import TODAY
from tests.intake.test_own_data import ANNUAL_HEADER, counts, write_csv
from tests.registry.lists_factory import code

HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "行业代码", "注册日期"]
ADMIN = Principal("analyst1", "admin")
SHANGHAI = Principal("sh", "province", province_code="31")
A, B = code(1, "310115"), code(2, "310115")  # 上海: A moves from 张江 (Z3101) to 紫竹 (Z3102) in 2023
runner = CliRunner()


@pytest.fixture
def store(engine: Engine) -> Engine:
    sync_store(engine)
    return engine


def _versions(engine: Engine, credit_code: str) -> list[tuple[str, str | None, str, str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(EnterpriseVersion.valid_from, EnterpriseVersion.valid_to, EnterpriseVersion.name,
                   EnterpriseVersion.zone_code, EnterpriseVersion.source)
            .join(Enterprise, Enterprise.id == EnterpriseVersion.enterprise_id)
            .where(Enterprise.credit_code == credit_code).order_by(EnterpriseVersion.id)).all()
    return [(f.isoformat(), t.isoformat() if t else None, name, zone, source) for f, t, name, zone, source in rows]


def _register(store: Engine, tmp_path: Path) -> None:
    import_enterprises(store, write_csv(tmp_path / "名单.csv", HEADER, [
        [A, "上海甲芯片有限公司", "Z3101", "3973", "2015-03-02"], [B, "上海乙软件有限公司", "Z3102", "6513", ""]]),
        ADMIN, today=TODAY)


def test_a_rename_and_a_move_keep_the_old_versions_with_their_dates(store: Engine, tmp_path: Path) -> None:
    _register(store, tmp_path)
    # the first version starts at the registration date (1900-01-01 without one)
    assert _versions(store, B) == [("1900-01-01", None, "上海乙软件有限公司", "Z3102", "名单.csv")]
    renamed = write_csv(tmp_path / "更名.csv", HEADER, [[A, "上海甲芯片股份有限公司", "Z3101", "", ""]])
    assert import_enterprises(store, renamed, ADMIN, valid_from=dt.date(2021, 7, 1), today=TODAY).updated
    moved = write_csv(tmp_path / "迁移.csv", [*HEADER, "生效日期"],
                      [[A, "上海甲芯片股份有限公司", "Z3102", "", "", "2023-01-01"]])
    assert import_enterprises(store, moved, SHANGHAI, today=TODAY).updated[0][1][0].field == "zone_code"
    assert _versions(store, A) == [
        ("2015-03-02", "2021-07-01", "上海甲芯片有限公司", "Z3101", "名单.csv"),
        ("2021-07-01", "2023-01-01", "上海甲芯片股份有限公司", "Z3101", "更名.csv"),
        ("2023-01-01", None, "上海甲芯片股份有限公司", "Z3102", "迁移.csv")]
    with session_scope(store) as session:
        current = session.scalars(select(Enterprise).where(Enterprise.credit_code == A)).one()
        assert (current.name, current.zone_code, current.industry_code, current.founded) == (
            "上海甲芯片股份有限公司", "Z3102", "3973", dt.date(2015, 3, 2))
    # a change dated before the current version began would rewrite history: refused, nothing stored
    back = write_csv(tmp_path / "回溯.csv", HEADER, [[A, "上海甲芯片集团有限公司", "Z3102", "", ""]])
    with pytest.raises(ListRefused, match=rf"^回溯.csv, row 2: {A}'s registration is valid from 2023-01-01; a change "
                                          r"dated 2022-06-01, before it, would rewrite its history$"):
        import_enterprises(store, back, ADMIN, valid_from=dt.date(2022, 6, 1), today=TODAY)
    assert len(_versions(store, A)) == 3


def test_a_move_needs_a_scope_covering_both_zones(store: Engine, tmp_path: Path) -> None:
    assert can_move(SHANGHAI, "Z3101", "31", "Z3102", "31") and can_move(ADMIN, "Z3101", "31", "Z1101", "11")
    assert not can_move(SHANGHAI, "Z3101", "31", "Z1101", "11")
    assert not can_move(Principal("z", "zone", zone_code="Z3101"), "Z3101", "31", "Z3102", "31")
    _register(store, tmp_path)
    moved = write_csv(tmp_path / "迁移.csv", HEADER, [[A, "上海甲芯片有限公司", "Z3102", "", ""]])
    with pytest.raises(ListRefused, match=rf"row 2, column C: {A} is registered outside zone Z3102; moving it needs "
                                          "a user whose scope covers both zones"):
        import_enterprises(store, moved, Principal("z", "zone", zone_code="Z3102"), today=TODAY)
    assert len(_versions(store, A)) == 1


def _annual(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    return write_csv(path, ANNUAL_HEADER, [[c, "", zone, "", "", revenue, 1, 1, 1, 1] for c, zone, revenue in rows])


def test_a_zone_users_report_cannot_move_its_enterprise(store: Engine, tmp_path: Path) -> None:
    _register(store, tmp_path)
    before = counts(store)
    result = import_file(store, _annual(tmp_path / "年报.csv", [(A, "Z3102", 100)]), "enterprise_annual", "2023",
                         Principal("zj", "zone", zone_code="Z3101"), today=TODAY)
    assert result.status == "rejected" and result.report is not None
    assert [(i.file, i.row, i.column, i.field, i.message_en) for i in result.report.errors] == [
        ("年报.csv", 2, "C", "zone", f"enterprise {A} is registered in Z3101 (上海张江高新技术产业开发区); a move "
                                     "to Z3102 is recorded by the province or the Torch Center")]
    assert counts(store) == before and len(_versions(store, A)) == 1


def _cli(env: dict[str, str], *args: str) -> str:
    result = runner.invoke(cli, list(args), env=env)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_a_moved_enterprises_years_roll_up_to_the_zone_it_was_in(store: Engine, database_url: str,
                                                                  tmp_path: Path) -> None:
    _register(store, tmp_path)
    for year, revenues in (("2022", (100, 10)), ("2023", (200, 20))):
        stored = import_file(store, _annual(tmp_path / f"{year}.csv", [(A, "Z3101", revenues[0]),
                                                                      (B, "Z3102", revenues[1])]),
                             "enterprise_annual", year, Principal("cli", "admin"), today=TODAY)
        assert stored.stored, stored.report and stored.report.errors
    # the move is recorded after the 2023 report: the report names Z3101, the history says Z3102 from 2023
    env = {"HIZONE_DATABASE_URL": database_url, "HIZONE_VAR_DIR": str(tmp_path / "var")}
    moved = write_csv(tmp_path / "迁移.csv", HEADER, [[A, "上海甲芯片有限公司", "Z3102", "", ""]])
    _cli(env, "registry", "import-enterprises", str(moved), "--role", "province", "--province", "31",
         "--valid-from", "2023-01-01")
    # a late 2022 revision states the zone A was in then, and is taken as that zone's
    late = import_file(store, _annual(tmp_path / "2022b.csv", [(A, "Z3101", 150)]), "enterprise_annual", "2022",
                       Principal("zj", "zone", zone_code="Z3101"), today=TODAY)
    assert late.stored, late.report and late.report.errors
    with session_scope(store) as session:
        assert session.scalar(select(Submission.zone_code).where(Submission.entity_key == A,
                                                                 Submission.revision == 2)) == "Z3101"
    for year in ("2022", "2023"):
        for action, user in (("submit", "clerk"), ("review", "reviewer"), ("approve", "approver")):
            _cli(env, "approve", "--form", "enterprise_annual", "--period", year, "--action", action, "--user", user)
    _cli(env, "build")
    shown = json.loads(_cli(env, "indicators", "-i", "revenue_total", "-i", "enterprise_count", "--level", "zone",
                            "--period", "2022", "--period", "2023", "--format", "json"))
    got = {(v["indicator"], v["key"], v["period"]): v["value"] for v in shown if v["key"] in ("Z3101", "Z3102")}
    # by hand: 2022 A (150, its latest revision) in Z3101, B 10 in Z3102; 2023 A 200 + B 20 in Z3102
    assert got == {("revenue_total", "Z3101", "2022"): 150, ("revenue_total", "Z3102", "2022"): 10,
                   ("revenue_total", "Z3102", "2023"): 220, ("enterprise_count", "Z3101", "2022"): 1,
                   ("enterprise_count", "Z3102", "2022"): 1, ("enterprise_count", "Z3102", "2023"): 2}
    pages = open_reader(tmp_path / "var" / "analytics.duckdb")  # the pages' read path attributes the same way
    assert {(zone, year): pages.value("revenue_total", "zone", zone, year, Viewer.everyone()).value
            for zone, year in (("Z3101", "2022"), ("Z3102", "2022"), ("Z3102", "2023"))} == {
        ("Z3101", "2022"): 150, ("Z3102", "2022"): 10, ("Z3102", "2023"): 220}


def test_migration_0008_backfills_one_version_per_enterprise_and_round_trips(store: Engine) -> None:
    downgrade(store, "0007")
    with store.begin() as conn:
        conn.execute(text("INSERT INTO enterprise (credit_code, name, zone_code, industry_code, founded, synthetic) "
                          "VALUES (:c, '上海甲芯片有限公司', 'Z3101', '3973', :f, :s)"),
                     {"c": A, "f": dt.date(2015, 3, 2), "s": False})
    upgrade(store)
    assert _versions(store, A) == [("2015-03-02", None, "上海甲芯片有限公司", "Z3101", "migrated")]
    downgrade(store, "0007")
    with store.connect() as conn:
        assert conn.execute(text("SELECT credit_code, zone_code FROM enterprise")).all() == [(A, "Z3101")]
    upgrade(store)
    assert len(_versions(store, A)) == 1
    with store.begin() as conn:  # an enterprise without an industry code: 0007 cannot hold it
        conn.execute(text("INSERT INTO enterprise (credit_code, name, zone_code, synthetic) "
                          "VALUES (:c, '上海乙软件有限公司', 'Z3102', :s)"), {"c": B, "s": False})
    with pytest.raises(StoreError, match=r"1 enterprise\(s\) have no industry code or registration date"):
        downgrade(store, "0007")
    with session_scope(store) as session:
        assert session.scalar(select(func.count()).select_from(Enterprise)) == 2

"""Real data from an empty store: the annual reports of enterprises the registry does not know register them, in
the import's transaction, and the reports run through approval, the build, the indicators and the evaluation."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from hizone.auth.policy import Principal
from hizone.cli import app as cli
from hizone.intake.service import import_file, validate_file
from hizone.store import connect
from hizone.store.models import AuditLog, ChangeEvent, Enterprise, ImportBatch, Submission
from tests.intake.factory import TODAY, credit_code

runner = CliRunner()
ANNUAL_HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "行业代码", "注册日期", "营业收入", "利润总额", "净利润",
                 "资产总计", "年末从业人员"]
MONTHLY_HEADER = ["高新区代码", "营业收入", "工业总产值", "净利润", "实际上缴税费总额", "出口总额", "从业人员"]
ANNUAL: list[list[Any]] = [
    [credit_code(1), "北京甲科技有限公司", "Z1101", "6513", "2015-03-02", 120000, 15000, 12000, 300000, 420],
    [credit_code(2), "北京乙生物有限公司", "Z1101", "2761", "2018-07-16", 80000, 9000, 7000, 150000, 210],
    [credit_code(3, "310115"), "上海丙芯片有限公司", "Z3101", "3973", "2012-11-05", 250000, 30000, 25000, 600000, 900],
    [credit_code(4, "440300"), "深圳丁智能有限公司", "Z4403", "3911", "2016-01-20", 180000, 21000, 17000, 400000, 650],
]
MONTHLY: list[list[Any]] = [["Z1101", 5000000, 1200000, 400000, 300000, 800000, 250000],
           ["Z3101", 2000000, 1500000, 150000, 120000, 600000, 90000],
           ["Z4403", 3000000, 2600000, 260000, 200000, 1100000, 120000]]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def hizone(env: dict[str, str], *args: str) -> Result:
    result = runner.invoke(cli, list(args), env=env)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def counts(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(int(conn.scalar(select(func.count()).select_from(model)) or 0)
                     for model in (Enterprise, Submission, ImportBatch, AuditLog, ChangeEvent))


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> dict[str, str]:
    """An empty store made by `hizone db upgrade` alone (the zones come from the package's registry)."""
    env = {"HIZONE_DATABASE_URL": database_url, "HIZONE_VAR_DIR": str(tmp_path / "var")}
    hizone(env, "db", "upgrade")
    return env


def test_an_empty_store_learns_enterprises_from_their_reports_and_publishes_the_files_sums(
        store: dict[str, str], tmp_path: Path) -> None:
    annual = write_csv(tmp_path / "annual.csv", ANNUAL_HEADER, ANNUAL)
    monthly = write_csv(tmp_path / "monthly.csv", MONTHLY_HEADER, MONTHLY)
    imported = hizone(store, "import", str(annual), "--form", "enterprise_annual", "--period", "2023")
    assert "4 enterprise(s) registered: " + f"{credit_code(1)} 北京甲科技有限公司" in imported.output.replace("\n", "")
    hizone(store, "import", str(monthly), "--form", "zone_monthly", "--period", "2023-12")
    engine = connect(store["HIZONE_DATABASE_URL"])
    with engine.connect() as conn:
        registered = conn.execute(select(Enterprise.credit_code, Enterprise.name, Enterprise.zone_code,
                                         Enterprise.industry_code, Enterprise.founded, Enterprise.synthetic)
                                  .order_by(Enterprise.credit_code)).all()
        audited = conn.scalars(select(AuditLog.object_id).where(AuditLog.action == "register")).all()
    engine.dispose()
    assert [(r[0], r[1], r[2], r[3], r[4].isoformat(), r[5]) for r in registered] == sorted(
        (str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), False) for r in ANNUAL)
    assert sorted(audited) == sorted(str(r[0]) for r in ANNUAL)
    # Who imported and submitted ("cli", the default user) is not who reviews and approves (separation of duties).
    for form, period in (("enterprise_annual", "2023"), ("zone_monthly", "2023-12")):
        hizone(store, "approve", "--form", form, "--period", period, "--action", "submit", "--role", "zone",
               "--user-zone", "Z1101", "--zone", "Z1101")
        hizone(store, "approve", "--form", form, "--period", period, "--action", "submit")
        hizone(store, "approve", "--form", form, "--period", period, "--action", "review", "--role", "province",
               "--province", "11", "--zone", "Z1101", "--user", "province-reviewer")
        hizone(store, "approve", "--form", form, "--period", period, "--action", "review", "--user", "torch-reviewer")
        hizone(store, "approve", "--form", form, "--period", period, "--action", "approve", "--user", "torch-approver")
    hizone(store, "build")
    published = json.loads(hizone(store, "indicators", "-i", "revenue_total", "-i", "enterprise_count", "-i",
                                  "revenue_cum", "-i", "employees_total", "--level", "zone", "--period", "2023",
                                  "--period", "2023-12", "--format", "json").output)
    got = {(v["indicator"], v["key"]): v["value"] for v in published}
    expected: dict[tuple[str, str], float] = {}
    for row in ANNUAL:
        zone = str(row[2])
        expected[("revenue_total", zone)] = expected.get(("revenue_total", zone), 0) + float(row[5])
        expected[("employees_total", zone)] = expected.get(("employees_total", zone), 0) + float(row[9])
        expected[("enterprise_count", zone)] = expected.get(("enterprise_count", zone), 0) + 1
    expected |= {("revenue_cum", str(row[0])): float(row[1]) for row in MONTHLY}
    assert got == pytest.approx(expected)
    nation = json.loads(hizone(store, "indicators", "-i", "revenue_total", "--period", "2023", "--format",
                               "json").output)
    assert [v["value"] for v in nation] == [pytest.approx(sum(float(r[5]) for r in ANNUAL))]
    # Three zones are enough for the evaluation to run and rank them (only the dimensions the annual columns
    # written here feed: the others have no data).
    ranked = hizone(store, "evaluate", "--year", "2023", "--samples", "0",
                    "--out", str(tmp_path / "evaluation.xlsx")).output
    assert "3 zones" in ranked and (tmp_path / "evaluation.xlsx").stat().st_size > 0


def test_bad_identity_cells_refuse_the_file_one_line_each_and_store_nothing(store: dict[str, str],
                                                                            tmp_path: Path) -> None:
    engine = connect(store["HIZONE_DATABASE_URL"])
    before = counts(engine)
    rows = [list(r) for r in ANNUAL]
    rows[0][0] = str(rows[0][0])[:-1] + ("0" if str(rows[0][0])[-1] != "0" else "1")  # wrong check character
    rows[1][2] = "Z9998"  # no such zone
    rows.append([rows[2][0], "上海丙芯片股份有限公司", *rows[2][2:]])  # the same enterprise under another name
    path = write_csv(tmp_path / "bad.csv", ANNUAL_HEADER, rows)
    result = import_file(engine, path, "enterprise_annual", "2023", Principal("cli", "admin"), today=TODAY)
    assert result.status == "rejected" and result.report is not None
    lines = {(i.file, i.row, i.column, i.rule) for i in result.report.errors}
    assert ("bad.csv", 2, "A", "credit_code") in lines
    assert ("bad.csv", 3, "C", "unknown_zone") in lines
    # the same enterprise twice (here under two names): the second row refused, in one line
    assert [(i.column, i.rule, i.message_en) for i in result.report.errors if i.row == 6] == [
        ("A", "duplicate", "duplicates row 4 (same credit code)")]
    assert len(result.report.errors) == 3
    assert counts(engine) == before
    engine.dispose()


def test_a_report_names_a_known_enterprise_anew_audited_and_cannot_move_or_register_outside_scope(
        store: dict[str, str], tmp_path: Path) -> None:
    engine = connect(store["HIZONE_DATABASE_URL"])
    first = import_file(engine, write_csv(tmp_path / "a.csv", ANNUAL_HEADER, ANNUAL), "enterprise_annual", "2022",
                        Principal("cli", "admin"), today=TODAY)
    assert first.stored and first.registration is not None and len(first.registration.registered()) == 4
    renamed = [list(r) for r in ANNUAL[:2]]
    renamed[0][1] = "北京甲科技股份有限公司"
    renamed[0][3:5] = ["", ""]  # a known enterprise needs no industry code nor date
    zone_user = Principal("zq", "zone", zone_code="Z1101")
    again = import_file(engine, write_csv(tmp_path / "b.csv", ANNUAL_HEADER, renamed), "enterprise_annual", "2023",
                        zone_user, today=TODAY)
    assert again.stored, again.report and again.report.errors
    assert "1 enterprise(s) updated: " + f"{credit_code(1)} name '北京甲科技有限公司' → '北京甲科技股份有限公司'" \
        in again.summary()
    with engine.connect() as conn:
        name = conn.scalar(select(Enterprise.name).where(Enterprise.credit_code == credit_code(1)))
        detail = conn.scalars(select(AuditLog.detail).where(AuditLog.action == "update",
                                                            AuditLog.object_id == credit_code(1))).one()
    assert name == "北京甲科技股份有限公司"
    assert detail["changes"] == {"name": ["北京甲科技有限公司", "北京甲科技股份有限公司"]}
    before = counts(engine)
    # a zone user: an enterprise registered in another zone, and a new one in another zone, are refused
    elsewhere = [list(ANNUAL[2]), [credit_code(9, "310115"), "上海戊公司", "Z3101", "6513", "2020-01-01",
                                   1, 1, 1, 1, 1]]
    elsewhere[0][2] = ""
    refused = import_file(engine, write_csv(tmp_path / "c.csv", ANNUAL_HEADER, elsewhere), "enterprise_annual",
                          "2023", zone_user, today=TODAY)
    assert refused.status == "rejected" and refused.report is not None
    assert {(i.row, i.rule) for i in refused.report.errors} == {(2, "out_of_scope"), (3, "out_of_scope")}
    assert all("Z3101" not in i.message_en for i in refused.report.errors)
    # a report does not move an enterprise: the zone must be the registered one
    moved = [list(ANNUAL[1])]
    moved[0][2] = "Z3101"
    held = import_file(engine, write_csv(tmp_path / "d.csv", ANNUAL_HEADER, moved), "enterprise_annual", "2023",
                       Principal("cli", "admin"), today=TODAY)
    assert held.status == "rejected" and held.report is not None
    assert [i.rule for i in held.report.errors] == ["wrong_zone"]
    assert counts(engine) == before
    engine.dispose()


def test_industry_and_date_are_taken_when_given_and_an_enterprise_account_registers_nothing(
        store: dict[str, str], tmp_path: Path) -> None:
    engine = connect(store["HIZONE_DATABASE_URL"])
    rows = [list(ANNUAL[0])]
    rows[0][3:5] = ["", ""]  # no industry code nor date for an enterprise the store does not know: not needed
    report = validate_file(engine, write_csv(tmp_path / "v.csv", ANNUAL_HEADER, rows), "enterprise_annual", "2023",
                           Principal("cli", "admin"), today=TODAY)
    assert report.errors == []
    before = counts(engine)
    own = Principal("e1", "enterprise", zone_code="Z1101", credit_code=credit_code(1))  # itself, not registered yet
    refused = import_file(engine, write_csv(tmp_path / "e.csv", ANNUAL_HEADER, ANNUAL[:1]), "enterprise_annual",
                          "2023", own, today=TODAY)
    assert refused.report is not None
    assert [(i.row, i.column, i.message_en) for i in refused.report.errors] == [
        (2, "C", "the enterprise role may not register enterprises")]
    assert counts(engine) == before
    engine.dispose()


def test_a_registration_refused_after_the_rows_were_written_stores_nothing_and_a_good_one_registers_at_commit(
        store: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The enterprises are checked after the rows (one a part here, every part written before the check) and
    registered at the commit: a registration error rolls back the parts written, a good file registers all."""
    from hizone.intake import service

    monkeypatch.setattr(service, "ROWS_PER_PART", 1)
    engine = connect(store["HIZONE_DATABASE_URL"])
    before = counts(engine)
    bad = [list(r) for r in ANNUAL]
    bad[3][3] = "XX"  # the last row: a new enterprise of no industry (the registration's check alone finds it)
    refused = import_file(engine, write_csv(tmp_path / "bad.csv", ANNUAL_HEADER, bad), "enterprise_annual", "2022",
                          Principal("cli", "admin"), today=TODAY)
    assert refused.status == "rejected" and refused.report is not None
    assert [(i.row, i.rule) for i in refused.report.errors] == [(5, "registration")]
    assert counts(engine) == before
    stored = import_file(engine, write_csv(tmp_path / "good.csv", ANNUAL_HEADER, ANNUAL), "enterprise_annual", "2022",
                         Principal("cli", "admin"), today=TODAY)
    assert stored.stored and stored.registration is not None
    assert sorted(r.credit_code for r in stored.registration.registered()) == sorted(r[0] for r in ANNUAL)
    with engine.connect() as conn:
        zones = dict(conn.execute(select(Submission.entity_key, Submission.zone_code)).all())
        registered = dict(conn.execute(select(Enterprise.credit_code, Enterprise.zone_code)).all())
        kinds = conn.scalars(select(ChangeEvent.kind)).all()
        audited = conn.scalars(select(AuditLog.object_id).where(AuditLog.action == "register")).all()
    assert zones == registered == {r[0]: r[2] for r in ANNUAL}
    assert kinds == ["submission_written"] and sorted(audited) == sorted(r[0] for r in ANNUAL)
    engine.dispose()

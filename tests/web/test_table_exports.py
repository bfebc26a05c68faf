"""Every table the pages show exports to .csv and .xlsx with the rows the page shows (and, for lists a page shows
one part of, all of them); the upload summary speaks the page's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.intake.errors_report import Issue, ValidationReport
from hizone.intake.service import ImportResult
from hizone.store import session_scope
from hizone.store.models import Enterprise
from hizone.web.services.reporting import upload_summary
from tests.reports import report
from tests.web.seed import Seeded, credit_code
from tests.web.tables import EMPTY_CELL, as_shown, exports, page_kinds, page_rows
from tests.web.test_reporting import BAD_2024, GOOD_2024, post_file

CHANGES_LINK = re.compile(r'href="(/reporting/batches/(\d+)/changes/export)\.csv"')
SUMMARY = re.compile(r'<p id="upload-summary">([^<]*)</p>')


def same_as_page(client: TestClient, html: str, table_id: str, base: str, query: str = "") -> list[list[str]]:
    """Both exports of a table hold exactly the rows the page shows; the CSV's rows, [header, *rows]."""
    shown, kinds = page_rows(html, table_id), page_kinds(html, table_id)
    from_csv, from_xlsx = exports(client, base, query)
    assert as_shown(from_csv, kinds) == shown
    assert as_shown(from_xlsx, kinds) == shown
    return from_csv


def starts_the_export(client: TestClient, html: str, table_id: str, base: str, query: str = "") -> list[list[str]]:
    """The page shows the first rows of what both exports hold; the CSV's rows, [header, *rows]."""
    shown, kinds = page_rows(html, table_id), page_kinds(html, table_id)
    from_csv, from_xlsx = exports(client, base, query)
    assert as_shown(from_csv, kinds)[:len(shown)] == shown
    assert as_shown(from_xlsx, kinds) == as_shown(from_csv, kinds)
    return from_csv


def _add_enterprises(engine: Engine, zone: str, count: int) -> None:
    with session_scope(engine) as session:
        session.add_all([Enterprise(credit_code=credit_code(100 + i), name=f"新增企业{i}", zone_code=zone,
                                    industry_code="6510", founded=dt.date(2020, 1, 1), synthetic=True)
                         for i in range(count)])


def test_the_enterprise_list_exports_every_page_and_follows_the_qualification(
        clients: dict[str, TestClient], engine: Engine, seeded: Seeded) -> None:
    _add_enterprises(engine, seeded.own_zone, 30)
    zone, base = clients["zone"], f"/zones/{seeded.own_zone}/enterprises"
    first = zone.get(f"{base}?year=2023").text
    assert f'href="{base}/export.csv?kind=&amp;year=2023"' in first
    rows = starts_the_export(zone, first, "table-enterprises", f"{base}/export", "?kind=&year=2023")
    assert len(page_rows(first, "table-enterprises")) == 1 + 25 and len(rows) == 1 + 32
    second = zone.get(f"{base}?year=2023&page=2").text
    kinds = page_kinds(first, "table-enterprises")
    assert page_rows(second, "table-enterprises")[1:] == as_shown(rows, kinds)[26:]
    assert rows[0] == ["统一社会信用代码", "企业名称", "行业代码", "成立日期", "资质"]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code[credit_code(2)] == [credit_code(2), "测试企业2", "6510", "2015-01-01", "瞪羚企业、高新技术企业"]
    gazelles = same_as_page(zone, zone.get(f"{base}?kind=gazelle&year=2023").text, "table-enterprises",
                            f"{base}/export", "?kind=gazelle&year=2023")
    assert [row[0] for row in gazelles[1:]] == [credit_code(2)]
    assert zone.get(f"{base}/export.csv?kind=nonsense").status_code == 404


def test_the_approval_queue_exports_as_the_reviewer_sees_it(clients: dict[str, TestClient]) -> None:
    province = clients["province"]
    rows = same_as_page(province, province.get("/reporting").text, "table-queue", "/reporting/queue/export")
    assert rows == [["报表", "报告期", "代码", "状态", "份数"], ["enterprise_annual", "2023", "Z1101", "已提交", "1"]]


def test_the_recent_reports_export_holds_every_report_the_list_draws_from(
        clients: dict[str, TestClient], engine: Engine, seeded: Seeded) -> None:
    with session_scope(engine) as session:
        session.add_all([report(form_code="zone_monthly", form_version=2022, entity_key=seeded.own_zone,
                                zone_code=seeded.own_zone, period=f"{2020 + i // 12}-{1 + i % 12:02d}", revision=1,
                                state="approved", values={"revenue": 1000 + i}, created_by="test", synthetic=True)
                         for i in range(24)])
    zone = clients["zone"]
    page = zone.get("/reporting").text
    rows = starts_the_export(zone, page, "table-recent", "/reporting/recent/export")
    assert len(page_rows(page, "table-recent")) == 1 + 20 and len(rows) == 1 + 4 + 4 + 24
    assert rows[0] == ["#", "报表", "填报对象", "报告期", "版本", "状态"]
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == sorted(ids, reverse=True)
    assert 'href="/reporting/history/zone_monthly/Z1101/2021-12"' in page


def test_an_uploads_changes_export_every_row(clients: dict[str, TestClient]) -> None:
    zone = clients["zone"]
    page = post_file(zone, GOOD_2024).text  # type: ignore[attr-defined]
    link = CHANGES_LINK.search(page)
    assert link, "the upload offers no export of its changes"
    rows = same_as_page(zone, page, "table-changes", link.group(1))
    assert rows[0] == ["填报对象", "原版本", "新版本", "修改项数"]
    # both enterprises' first 2024 revision, with the file's five values
    assert rows[1:] == [[credit_code(1), "", "1", "5"], [credit_code(2), "", "1", "5"]]


def test_the_revision_history_exports_every_revision(clients: dict[str, TestClient], seeded: Seeded) -> None:
    zone = clients["zone"]
    path = f"/reporting/history/enterprise_annual/{seeded.own_enterprise}/2023"
    page = zone.get(path).text
    rows = same_as_page(zone, page, "table-history", f"{path}/export")
    assert rows[0] == ["版本", "对比版本", "数据元代码", "指标", "原值", "新值"]
    shown = page_rows(page, "table-history")
    assert ["2", "1", "revenue", "营业收入", "120,000.00", "999,999.00"] in shown
    assert ["1", EMPTY_CELL, "revenue", "营业收入", EMPTY_CELL, "120,000.00"] in shown
    assert {row[0] for row in rows[1:]} == {"2", "1"} and rows[1][0] == "2"  # newest first


def test_the_completeness_table_exports_the_rows_the_page_shows(clients: dict[str, TestClient]) -> None:
    province = clients["province"]
    page = province.get("/reporting/completeness?form=enterprise_annual&period=2023").text
    rows = same_as_page(province, page, "table-completeness", "/reporting/completeness/export",
                        "?form=enterprise_annual&period=2023")
    assert {row[0] for row in rows[1:]} == {"Z1101", "Z1102"}


def test_the_alerts_export_with_the_state_filter(clients: dict[str, TestClient]) -> None:
    analyst = clients["analyst"]
    rows = same_as_page(analyst, analyst.get("/monitoring").text, "table-alerts", "/monitoring/export/alerts",
                        "?state=")
    assert rows[0][:5] == ["编号", "级别", "层级", "对象", "期间"]
    assert {row[3] for row in rows[1:]} == {"Z1101", "Z4401"}
    assert {row[7] for row in rows[1:]} == {"未处理"}
    resolved = same_as_page(analyst, analyst.get("/monitoring?state=resolved").text, "table-alerts",
                            "/monitoring/export/alerts", "?state=resolved")
    assert resolved[1:] == []


def test_the_key_indicators_export_the_rows_the_profile_shows(clients: dict[str, TestClient],
                                                              seeded: Seeded) -> None:
    zone = clients["zone"]
    page = zone.get(f"/zones/{seeded.own_zone}?year=2023").text
    rows = same_as_page(zone, page, "table-key_indicators", f"/zones/{seeded.own_zone}/export/key_indicators",
                        "?year=2023")
    assert len(rows) > 3


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_upload_summary_speaks_the_pages_language(clients: dict[str, TestClient], lang: str) -> None:
    zone = clients["zone"]
    zone.get(f"/lang/{lang}")
    stored = post_file(zone, GOOD_2024).text  # type: ignore[attr-defined]
    link = CHANGES_LINK.search(stored)
    assert link
    batch = link.group(2)
    again = post_file(zone, GOOD_2024).text  # type: ignore[attr-defined]
    rejected = post_file(zone, BAD_2024).text  # type: ignore[attr-defined]
    summaries = [found.group(1) for found in (SUMMARY.search(p) for p in (stored, again, rejected)) if found]
    expected = {"zh": [f"批次 {batch}：新增 2 个版本，0 行与上一版本相同",
                       f"与已导入的批次 {batch} 完全相同：未作任何修改", "1 个错误：未保存任何数据"],
                "en": [f"batch {batch}: 2 new revision(s), 0 row(s) unchanged",
                       f"identical file already imported as batch {batch}: nothing changed",
                       "1 error(s): nothing stored"]}
    assert summaries == expected[lang]


@pytest.mark.parametrize(("lang", "said"), [("zh", "；新登记企业 1 家：新登记企业（{code}）"),
                                           ("en", "; 1 enterprise(s) registered: 新登记企业（{code}）")])
def test_the_upload_summary_names_the_enterprises_it_registered(clients: dict[str, TestClient], lang: str,
                                                                 said: str) -> None:
    zone = clients["zone"]
    zone.get(f"/lang/{lang}")
    code = credit_code(902)
    new = ("统一社会信用代码,企业名称,高新区代码,行业代码,注册日期,营业收入,利润总额,净利润,资产总计,年末从业人员\n"
           f"{code},新登记企业,Z1101,6513,2019-05-06,1000,100,80,5000,12\n").encode()
    page = post_file(zone, new, name="new.csv").text  # type: ignore[attr-defined]
    summary = SUMMARY.search(page)
    assert summary and summary.group(1).endswith(said.format(code=code)), summary and summary.group(1)


def _warning() -> Issue:
    return Issue("warning", "yoy_jump", "营业收入同比变化超过200%", "revenue changed by more than 200% y/y", "a.csv",
                 None, 2, "D", "revenue", "1")


@pytest.mark.parametrize(("lang", "stored", "waiting"), [
    ("zh", "批次 7：新增 1 个版本，3 行与上一版本相同，已确认 1 条提示",
     "1 条提示待确认：未保存任何数据（核实后勾选“我已核实所有提示”重新上传）"),
    ("en", "batch 7: 1 new revision(s), 3 row(s) unchanged, 1 warning(s) confirmed",
     "1 warning(s) to confirm: nothing stored (tick “I have checked the warnings” and upload again)")])
def test_the_summary_counts_confirmed_and_waiting_warnings(lang: str, stored: str, waiting: str) -> None:
    validation = ValidationReport("a.csv", "", None, "enterprise_annual", 2021, "2024", 4, [_warning()])
    assert upload_summary(ImportResult("stored", validation, batch_id=7, created=1, unchanged=3), lang) == stored
    assert upload_summary(ImportResult("needs_confirmation", validation), lang) == waiting


@pytest.mark.parametrize(("role", "url", "hint"), [
    ("zone", "/zones/Z1101/enterprises/export.csv?year=2023", "choose a qualification"),
    ("zone", "/reporting/recent/export.xlsx", "filtered extract"),
    ("analyst", "/monitoring/export/alerts.csv", "filter the table")])
def test_an_export_past_the_limit_is_a_400_asking_for_a_filter(clients: dict[str, TestClient],
                                                              monkeypatch: pytest.MonkeyPatch, role: str, url: str,
                                                              hint: str) -> None:
    monkeypatch.setattr("hizone.web.services.tables.EXPORT_LIMIT", 1)
    response = clients[role].get(url)
    assert response.status_code == 400 and "an export holds at most 1" in response.text and hint in response.text

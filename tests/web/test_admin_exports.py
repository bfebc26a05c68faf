"""The audit log, the users and an upload's problem table export to .csv and .xlsx with the rows the pages show."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.store import session_scope
from hizone.store.models import AuditLog
from hizone.web.services.audit import AUDIT_PAGE_SIZE
from tests.web.seed import USERS
from tests.web.tables import as_shown, exports, page_rows
from tests.web.test_reporting import BAD_2024, post_file


def test_the_audit_log_exports_the_rows_the_page_shows(clients: dict[str, TestClient]) -> None:
    admin = clients["admin"]
    shown = page_rows(admin.get("/admin/audit").text, "table-audit")
    from_csv, from_xlsx = exports(admin, "/admin/audit/export")
    assert from_csv[0] == shown[0] == ["#", "时间", "操作人", "操作", "对象", "详情"]
    assert as_shown(from_csv) == shown and as_shown(from_xlsx) == shown
    logins = {row[2] for row in from_csv[1:] if row[3] == "login"}
    assert logins == set(USERS.values())  # every role's login of the clients fixture
    assert '"client": "testclient"' in from_csv[1][5]


def test_the_audit_export_follows_the_filters_and_holds_every_page(clients: dict[str, TestClient],
                                                                   engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add_all([AuditLog(actor="loader", action="import", object_kind="batch", object_id=str(i),
                                  detail={"rows": i, "文件": "年报.xlsx"}) for i in range(AUDIT_PAGE_SIZE + 10)])
    admin = clients["admin"]
    query = "?actor=loader&action=import"
    first_page = page_rows(admin.get(f"/admin/audit{query}").text, "table-audit")
    from_csv, from_xlsx = exports(admin, "/admin/audit/export", query)
    assert len(first_page) == AUDIT_PAGE_SIZE + 1 and len(from_csv) == AUDIT_PAGE_SIZE + 10 + 1
    assert as_shown(from_csv[:AUDIT_PAGE_SIZE + 1]) == first_page
    assert as_shown(from_xlsx) == as_shown(from_csv)
    assert {row[2] for row in from_csv[1:]} == {"loader"}
    newest = AUDIT_PAGE_SIZE + 9
    assert from_csv[1][4:] == [f"batch:{newest}", f'{{"rows": {newest}, "文件": "年报.xlsx"}}']
    second_page = page_rows(admin.get(f"/admin/audit{query}&page=2").text, "table-audit")
    assert as_shown(from_csv[AUDIT_PAGE_SIZE + 1:]) == second_page[1:]


def test_the_users_export_holds_the_users_the_page_lists(clients: dict[str, TestClient]) -> None:
    admin = clients["admin"]
    shown = page_rows(admin.get("/admin/users").text, "table-users")
    from_csv, from_xlsx = exports(admin, "/admin/users/export")
    assert as_shown(from_csv) == shown and as_shown(from_xlsx) == shown
    assert from_csv[0] == ["用户名", "角色", "省份代码", "园区代码", "统一社会信用代码", "邮箱", "状态",
                           "创建日期"]
    by_name = {row[0]: row for row in from_csv[1:]}
    assert sorted(by_name) == sorted(USERS.values())
    assert by_name["zone1"][1:7] == ["园区管委会", "11", "Z1101", "", "", "启用"]


def test_the_users_export_speaks_the_chosen_language(clients: dict[str, TestClient]) -> None:
    admin = clients["admin"]
    admin.get("/lang/en")
    from_csv, _ = exports(admin, "/admin/users/export")
    assert from_csv[0][:2] == ["Username", "Role"]
    assert {row[1] for row in from_csv[1:]} >= {"Zone committee", "Administrator"}


def test_an_uploads_problems_export_as_the_reporting_page_lists_them(clients: dict[str, TestClient]) -> None:
    zone = clients["zone"]
    page = post_file(zone, BAD_2024, name="年报.csv").text  # type: ignore[attr-defined]
    shown = page_rows(page, "table-issues")
    base = re.search(r'href="(/reporting/errors/[\w-]+/export)\.csv"', page)
    assert base, "the reporting page offers no export of the problems"
    from_csv, from_xlsx = exports(zone, base.group(1))
    assert as_shown(from_csv) == shown and as_shown(from_xlsx) == shown
    assert from_csv[0] == ["级别", "文件", "工作表", "行", "列", "字段", "值", "规则", "说明（中文）", "说明（英文）"]
    assert from_csv[1][:8] == ["错误", "年报.csv", "", "2", "D", "revenue", "一百万?", "not_a_number"]
    assert from_csv[1][8:] == ["“一百万?”不是数字", "'一百万?' is not a number"]

"""A real browser: every role logs in and opens every page it may; uploads, approval, export, language.

Screenshots go to artifacts/browser/. The fixtures fail a test on any console error or page exception.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Session
from tests.web.seed import PASSWORD, USERS, credit_code

pytestmark = pytest.mark.browser

PAGES_BY_ROLE = {
    "public": ["/", "/rankings", "/zones", "/login"],
    "admin": ["/", "/rankings", "/zones", "/zones/Z4401", "/monitoring", "/reporting", "/registry", "/admin/audit",
              "/admin/users"],
    "analyst": ["/", "/zones/Z1101", "/monitoring", "/reporting", "/reporting/completeness?period=2023"],
    "province": ["/", "/zones/Z1102", "/monitoring", "/reporting", "/registry"],
    "zone": ["/", "/rankings", "/zones/Z1101", "/monitoring", "/reporting",
             f"/reporting/history/enterprise_annual/{credit_code(1)}/2023"],
    "enterprise": ["/", "/rankings", "/reporting"],
}


def _name(path: str) -> str:
    return path.strip("/").split("?")[0].replace("/", "_") or "overview"


@pytest.mark.parametrize("role", list(PAGES_BY_ROLE))
def test_every_role_opens_its_pages_without_errors(open_session: Callable[[str], Session], role: str) -> None:
    session = open_session(role)
    if role != "public":
        session.login(USERS[role])
    for path in PAGES_BY_ROLE[role]:
        page = session.go(path)
        assert page.locator("main").count() == 1
        assert page.locator(".error-page").count() == 0, f"{role} got an error page on {path}"
        for chart in page.locator("[data-chart]").all():
            chart.locator("canvas").first.wait_for(state="attached", timeout=10_000)
        session.shot(_name(path))
    if role == "public":
        denied = session.go_expecting_error("/zones/Z1101")
        assert denied.locator("#error-message").count() == 1


def test_overview_map_and_charts_render(open_session: Callable[[str], Session]) -> None:
    session = open_session("charts")
    page = session.go("/")
    page.wait_for_selector("#chart-map[data-ready='1']", timeout=15_000)
    page.wait_for_selector("#chart-trend[data-ready='1']", timeout=15_000)
    assert page.locator("#synthetic-banner").inner_text().startswith("演示数据（合成）")
    assert page.locator("[data-kpi='revenue'] .value").inner_text().startswith("4.11")
    session.shot("overview-charts")


def test_chart_tooltips_and_the_api_docs_work_under_the_content_security_policy(
        open_session: Callable[[str], Session]) -> None:
    """A CSP violation is a console error, which fails the test: ECharts' tooltips write style attributes,
    Swagger UI (vendored, started from a static file) renders the whole schema."""
    session = open_session("csp")
    page = session.go("/")
    page.wait_for_selector("#chart-trend[data-ready='1']", timeout=15_000)
    box = page.locator("#chart-trend").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    page = session.go("/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("hizone API")
    session.shot("api-docs")


BAD = ("统一社会信用代码,企业名称,高新区代码,营业收入,利润总额,净利润,资产总计,年末从业人员\n"
       f"{credit_code(1)},测试企业1,Z1101,一百万?,13000,10000,260000,115\n")
GOOD = ("统一社会信用代码,企业名称,高新区代码,营业收入,利润总额,净利润,资产总计,年末从业人员\n"
        f"{credit_code(1)},测试企业1,Z1101,130000,13000,10000,260000,115\n"
        f"{credit_code(2)},测试企业2,Z1101,62000,3100,2500,124000,56\n")


def _upload(session: Session, content: str, name: str) -> None:
    page = session.go("/reporting")
    page.select_option("#form", "enterprise_annual")
    page.fill("#period", "2024")
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}])
    page.click("#upload-button")
    page.wait_for_load_state("networkidle")


def test_upload_submit_review_approve_export_and_switch_language(open_session: Callable[[str], Session],
                                                                tmp_path: object) -> None:
    zone = open_session("zone-flow")
    zone.login(USERS["zone"])
    _upload(zone, BAD, "bad.csv")
    page = zone.page
    assert page.locator("#table-issues tbody tr").count() == 1
    assert "一百万?" in page.locator("#table-issues").inner_text()
    zone.shot("upload-bad")
    with page.expect_download() as download:
        page.click("#error-workbook")
    assert download.value.suggested_filename == "errors.xlsx"
    _upload(zone, GOOD, "good.csv")
    assert page.locator("#upload-status").inner_text() == "已保存"
    assert page.locator("#upload-summary").inner_text().endswith("新增 2 个版本，0 行与上一版本相同")
    zone.shot("upload-good")
    with page.expect_download() as download:  # what the upload changed, as the page's table lists it
        page.locator("#validation-report a[data-export='csv']").click()
    assert download.value.suggested_filename == "changes.csv"
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert exported[0] == '"填报对象","原版本","新版本","修改项数"'  # every field quoted (formula-safe CSV)
    assert exported[1:] == [f'"{credit_code(1)}","","1","5"', f'"{credit_code(2)}","","1","5"']

    province = open_session("province-flow")
    province.login(USERS["province"])
    province.go("/reporting")
    province.page.click("button[data-action='review'][data-zone='Z1101'][data-period='2024']")
    province.page.wait_for_load_state("networkidle")
    assert province.page.locator("#done-message").count() == 1
    province.shot("reviewed")

    admin = open_session("admin-flow")
    admin.login(USERS["admin"])
    admin.go("/reporting")
    admin.page.click("button[data-action='approve'][data-zone='Z1101'][data-period='2024']")
    admin.page.wait_for_load_state("networkidle")
    admin.shot("approved")
    overview = admin.go("/")
    assert "2024" in overview.locator("h1").inner_text()
    with overview.expect_download() as download:
        overview.locator("a[data-export='xlsx']").last.click()
    assert download.value.suggested_filename == "provinces.xlsx"
    overview.click("#lang-switch")
    overview.wait_for_load_state("networkidle")
    assert "National high-tech zones overview" in overview.locator("h1").inner_text()
    assert overview.locator("html").get_attribute("lang") == "en"
    admin.shot("overview-en")
    audit = admin.go("/admin/audit")
    assert "approve" in audit.locator("#table-audit").inner_text()


def _add_zone_user(admin: Session, username: str, zone: str) -> Page:
    """Fill and send the add-user form as a zone user of ``zone``; the page it answers with."""
    page = admin.go("/admin/users")
    page.fill("#new-username", username)
    page.fill("#new-password", PASSWORD)
    page.select_option("#new-role", "zone")
    page.fill("#new-zone", zone)
    page.click("#add-user-button")
    page.wait_for_load_state("networkidle")
    return page


def test_an_admin_adds_a_user_who_logs_in_and_the_audit_log_downloads(open_session: Callable[[str], Session]) -> None:
    admin = open_session("admin-users")
    admin.login(USERS["admin"])
    page = _add_zone_user(admin, "browser-user", "Z4401")
    assert page.locator("#done-message").inner_text() == "已添加用户 browser-user。"
    assert "browser-user" in page.locator("#table-users").inner_text()
    admin.shot("user-added")

    newcomer = open_session("new-user")
    newcomer.login("browser-user")
    assert newcomer.page.locator("#who").inner_text().startswith("browser-user")
    profile = newcomer.go("/zones/Z4401")
    assert profile.locator(".error-page").count() == 0

    audit = admin.go("/admin/audit")
    assert "user_add" in audit.locator("#table-audit").inner_text()
    downloaded: dict[str, bytes] = {}
    for fmt in ("csv", "xlsx"):
        with audit.expect_download() as download:
            audit.click(f"a[data-export='{fmt}']")
        assert download.value.suggested_filename == f"audit.{fmt}"
        downloaded[fmt] = Path(download.value.path()).read_bytes()
    assert downloaded["xlsx"].startswith(b"PK")
    lines = downloaded["csv"].decode("utf-8-sig").splitlines()
    assert lines[0] == '"#","时间","操作人","操作","对象","详情"'
    assert any('","admin1","user_add","user:browser-user","' in line for line in lines[1:])

    admin.expected.append(admin.live.base + "/admin/users")  # the refused form below answers 400 on purpose
    page = _add_zone_user(admin, "second-user", "Z9999")
    assert page.locator("#user-error").inner_text() == "园区管委会用户需要有效的园区代码，“Z9999”不存在。"
    assert page.locator("#new-username").input_value() == "second-user"
    admin.shot("user-refused")

"""数据填报 through the web: bad and good uploads, the error workbook, submit → review → approve, scope."""

from __future__ import annotations

import csv
import io

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.analytics.read import Viewer
from hizone.intake.service import audit_trail
from tests.web.conftest import csrf_of, make_app
from tests.web.seed import USERS, Seeded, credit_code

HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "营业收入", "利润总额", "净利润", "资产总计", "年末从业人员"]


def report_csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


GOOD_2024 = report_csv([[credit_code(1), "测试企业1", "Z1101", 130_000, 13_000, 10_000, 260_000, 115],
                        [credit_code(2), "测试企业2", "Z1101", 62_000, 3_100, 2_500, 124_000, 56]])
BAD_2024 = report_csv([[credit_code(1), "测试企业1", "Z1101", "一百万?", 13_000, 10_000, 260_000, 115]])


def post_file(client: TestClient, content: bytes, name: str = "report.csv", period: str = "2024",
              form: str = "enterprise_annual", **fields: str) -> object:
    data = {"form": form, "period": period, "csrf_token": csrf_of(client, "/reporting"), "submit": "true", **fields}
    return client.post("/reporting/upload", data=data, files={"file": (name, content, "text/csv")})


def test_a_bad_file_is_rejected_with_an_inline_report_and_a_marked_workbook(clients: dict[str, TestClient]) -> None:
    client = clients["zone"]
    response = post_file(client, BAD_2024)
    assert response.status_code == 200 and "未通过校验" in response.text
    assert 'id="table-issues"' in response.text and "一百万?" in response.text
    link = response.text.split('id="error-workbook"')[0].rsplit('href="', 1)[1].split('"')[0]
    workbook = client.get(link)
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert clients["analyst"].get(link).status_code == 404  # another user's report is not theirs to fetch
    listed = clients["zone"].get("/api/v1/submissions?period=2024").json()
    assert listed["total"] == 0  # nothing stored


def test_submit_review_approve_then_the_overview_shows_the_new_year(app: FastAPI, clients: dict[str, TestClient],
                                                                    seeded: Seeded) -> None:
    stored = post_file(clients["zone"], GOOD_2024)
    assert stored.status_code == 200 and 'id="upload-status"' in stored.text
    assert "批次" in stored.text and "table-changes" in stored.text
    queue = clients["province"].get("/reporting").text
    assert 'data-action="review" data-zone="Z1101" data-period="2024"' in queue
    steps = [("province", "review"), ("admin", "approve")]
    for role, action in steps:
        client = clients[role]
        done = client.post("/reporting/transition", data={
            "action": action, "form": "enterprise_annual", "period": "2024", "zone_code": "Z1101",
            "csrf_token": csrf_of(client, "/reporting")}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith(f"{action}:2")
    fig = app.state.figures.get()
    assert fig.periods_of("revenue_total")[-1] == "2024"
    assert fig.value("revenue_total", "zone", "Z1101", "2024", Viewer.everyone()).value == 192_000
    history = clients["zone"].get(f"/reporting/history/enterprise_annual/{credit_code(1)}/2024")
    assert history.status_code == 200 and "130000" in history.text.replace(",", "")


def test_the_audit_log_records_each_actor_with_its_own_role(engine: Engine, clients: dict[str, TestClient]) -> None:
    """A national analyst approving is recorded as an analyst, not as the admin it shares the national level with."""
    post_file(clients["zone"], GOOD_2024)
    for role, action in (("province", "review"), ("analyst", "approve")):
        client = clients[role]
        done = client.post("/reporting/transition", data={
            "action": action, "form": "enterprise_annual", "period": "2024", "zone_code": "Z1101",
            "csrf_token": csrf_of(client, "/reporting")}, follow_redirects=False)
        assert done.status_code == 303
    recorded = {(e.actor, e.action, e.detail["role"]) for e in audit_trail(engine)
                if e.action in ("import", "review", "approve")}
    assert recorded == {(USERS["zone"], "import", "zone"), (USERS["province"], "review", "province"),
                        (USERS["analyst"], "approve", "analyst")}


def test_province_cannot_approve_and_a_zone_reviews_only_its_enterprises(clients: dict[str, TestClient]) -> None:
    post_file(clients["admin"], GOOD_2024)  # not the zone's own filing: that is another user's to review
    zone = clients["zone"]
    elsewhere = zone.post("/reporting/transition", data={
        "action": "review", "form": "enterprise_annual", "period": "2024", "zone_code": "Z4401",
        "csrf_token": csrf_of(zone, "/reporting")})
    assert elsewhere.status_code == 400 and "outside your scope" in elsewhere.text
    own_report = zone.post("/reporting/transition", data={
        "action": "review", "form": "zone_monthly", "period": "2023-02", "zone_code": "Z1101",
        "csrf_token": csrf_of(zone, "/reporting")})  # the zone's own report is its province's to review
    assert own_report.status_code == 400 and "cannot review zone_monthly" in own_report.text
    zone_try = zone.post("/reporting/transition", data={
        "action": "review", "form": "enterprise_annual", "period": "2024", "zone_code": "Z1101",
        "csrf_token": csrf_of(zone, "/reporting")})  # its own enterprises' reports (enterprise_annual's workflow)
    assert zone_try.status_code == 200 and "review:2" in zone_try.url.query.decode()
    province = clients["province"]
    skip = province.post("/reporting/transition", data={
        "action": "approve", "form": "enterprise_annual", "period": "2024", "zone_code": "Z1101",
        "csrf_token": csrf_of(province, "/reporting")})
    assert skip.status_code == 400 and "approve" in skip.text
    other = province.post("/reporting/transition", data={
        "action": "review", "form": "enterprise_annual", "period": "2024", "zone_code": "Z4401",
        "csrf_token": csrf_of(province, "/reporting")})
    assert other.status_code == 400 and "outside your scope" in other.text


def test_an_enterprise_reports_only_for_itself(clients: dict[str, TestClient], seeded: Seeded) -> None:
    both = post_file(clients["enterprise"], GOOD_2024)
    assert both.status_code == 400 and credit_code(2) in both.text
    own = report_csv([[credit_code(1), "测试企业1", "Z1101", 130_000, 13_000, 10_000, 260_000, 115]])
    assert post_file(clients["enterprise"], own).status_code == 200


def test_wrong_types_and_oversized_uploads_are_refused(engine: object, seeded: Seeded) -> None:
    app = make_app(engine, max_upload_bytes=2048)  # type: ignore[arg-type]
    from tests.web.conftest import login

    with TestClient(app) as client:
        login(client, "zone1")
        exe = post_file(client, b"MZ\x90\x00", name="tool.exe")
        assert exe.status_code == 415 and "tool.exe" in exe.text
        big = post_file(client, b"x" * 5000)
        assert big.status_code == 413 and "limit" in big.text
        token = csrf_of(client, "/reporting")
        urlencoded = client.post("/reporting/upload", data={"form": "enterprise_annual", "period": "2024",
                                                             "csrf_token": token})
        assert urlencoded.status_code in (415, 422) and "Traceback" not in urlencoded.text


def test_templates_and_completeness(clients: dict[str, TestClient]) -> None:
    template = clients["zone"].get("/reporting/template/enterprise_annual.xlsx?year=2023")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    page = clients["province"].get("/reporting/completeness?form=enterprise_annual&period=2023")
    assert page.status_code == 200
    assert "Z1101" in page.text and "Z1102" in page.text and "Z4401" not in page.text

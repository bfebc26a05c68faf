"""企业名录 through the web and the API: enterprise lists and 高企 certificate lists uploaded as .xlsx (openpyxl,
XlsxWriter) and CSV, their summaries, the review table, re-imports, scope and bad input.

SQLite only: the store's part (unique keys, one transaction) is tested on both databases in tests/registry."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hizone.store.models import Enterprise, Qualification
from hizone.web.security import CSRF_HEADER
from tests.registry.lists_factory import Cell, write, wrong_check
from tests.web.conftest import csrf_of, login, make_app
from tests.web.seed import USERS, Seeded, credit_code

WRITERS = ("openpyxl", "xlsxwriter", "csv-utf8")
ENTERPRISE_HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "行业代码", "注册日期"]
HIGHTECH_HEADER = ["序号", "企业名称", "统一社会信用代码", "证书编号", "发证日期"]
SUMMARY = re.compile(r'id="registry-summary">([^<]*)<')


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "hizone.sqlite"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


def _file(tmp_path: Path, writer: str, rows: list[list[Cell]], name: str = "名单") -> tuple[str, bytes]:
    path = write(tmp_path / name, writer, rows)
    return path.name, path.read_bytes()


def _page(client: TestClient, action: str, upload: tuple[str, bytes], **fields: str) -> tuple[int, str]:
    data = {"csrf_token": csrf_of(client, "/registry"), **fields}
    response = client.post(f"/registry/{action}", data=data, files={"file": upload})
    return response.status_code, response.text


def _api(client: TestClient, action: str, upload: tuple[str, bytes], **fields: str) -> tuple[int, dict[str, object]]:
    response = client.post(f"/api/v1/registry/{action}", data=fields, files={"file": upload},
                           headers={CSRF_HEADER: csrf_of(client, "/registry")})
    return response.status_code, response.json()


def _table(page: str, name: str) -> list[list[str]]:
    """The cells of a table on the page, row by row."""
    body = page.split(f'id="table-{name}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                                         re.S)] for row in rows]


def _problems(page: str) -> list[str]:
    return [html.unescape(line) for line in re.findall(r"<li>([^<]*)</li>", page)]


def _enterprises(engine: Engine) -> dict[str, tuple[str, str]]:
    with Session(engine) as session:
        return {code: (name, zone) for code, name, zone in session.execute(
            select(Enterprise.credit_code, Enterprise.name, Enterprise.zone_code))}


def _certificates(engine: Engine) -> list[tuple[str, str | None, dt.date, dt.date | None]]:
    with Session(engine) as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(Enterprise.credit_code, Qualification.detail, Qualification.valid_from, Qualification.valid_to)
            .join(Enterprise, Enterprise.id == Qualification.enterprise_id)
            .where(Qualification.detail.is_not(None)).order_by(Qualification.detail))]


ENTERPRISE_ROWS: list[list[Cell]] = [
    ENTERPRISE_HEADER,
    [credit_code(21), "北京新甲科技有限公司", "Z1101", 6513, dt.date(2015, 3, 2)],
    [credit_code(22), "北京新乙生物有限公司", "Z1102", "2761", "2018/7/16"],
    [credit_code(2), "测试企业2（更名）", "Z1101", None, None],
    [credit_code(1), "测试企业1", "Z1101", None, None]]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_province_registers_an_enterprise_list_through_the_page_and_a_reimport_changes_nothing(
        engine: Engine, clients: dict[str, TestClient], tmp_path: Path, writer: str) -> None:
    upload = _file(tmp_path, writer, ENTERPRISE_ROWS, "企业名单")
    status, page = _page(clients["province"], "enterprises", upload)
    assert status == 200
    assert SUMMARY.findall(page) == [f"{upload[0]}：新登记 2 家，更新 1 家，1 家无变化"]
    assert _table(page, "outcome") == [
        [credit_code(21), "北京新甲科技有限公司", "新登记", "—"],
        [credit_code(22), "北京新乙生物有限公司", "新登记", "—"],
        [credit_code(2), "测试企业2（更名）", "已更新", "name: 测试企业2 → 测试企业2（更名）"]]
    stored = _enterprises(engine)
    assert (stored[credit_code(21)], stored[credit_code(22)], stored[credit_code(2)]) == (
        ("北京新甲科技有限公司", "Z1101"), ("北京新乙生物有限公司", "Z1102"), ("测试企业2（更名）", "Z1101"))
    status, again = _page(clients["province"], "enterprises", upload)
    assert status == 200 and SUMMARY.findall(again) == [f"{upload[0]}：新登记 0 家，更新 0 家，4 家无变化"]
    assert _enterprises(engine) == stored


def _hightech_rows(name_of_2: str = "别的名字") -> list[list[Cell]]:
    return [HIGHTECH_HEADER,
            [1, "测试企业1", credit_code(1), "GR202311000101", dt.date(2023, 11, 20)],
            [2, "测试企业3", credit_code(3), "GR202311000103", "2023年1月5日"],
            [3, name_of_2, credit_code(2), "GR202311000102", "2023/1/5"],  # not the registered name
            [4, "测试企业4", credit_code(4, "440106"), "GR202344000104", 45250],  # another province's enterprise
            [5, "测试企业2", None, "GR202311000105", "2023-01-05"]]  # a name only


@pytest.mark.parametrize("writer", WRITERS)
def test_a_hightech_list_through_the_api_stores_the_matches_and_returns_the_rest_for_review(
        engine: Engine, clients: dict[str, TestClient], tmp_path: Path, writer: str) -> None:
    upload = _file(tmp_path, writer, _hightech_rows(), "高企名单")
    status, body = _api(clients["province"], "lists", upload, kind="hightech")
    assert status == 201
    assert body["summary"] == (f"{upload[0]} (High-tech enterprise): 2 qualification(s) added, 0 updated, "
                               "0 unchanged; 3 row(s) for review (not stored)")
    assert (body["kind"], body["stored"], body["updated"], body["review_count"]) == (
        "high_tech", [credit_code(1), credit_code(3)], [], 3)
    review = body["review"]
    assert isinstance(review, list)
    assert [(r["row"], r["list_name"], r["credit_code"], r["registered_name"], r["proposed_credit_code"])
            for r in review] == [
        (4, "别的名字", credit_code(2), "测试企业2", None),
        (5, "测试企业4", credit_code(4, "440106"), None, None),  # outside the province: nothing said about it
        (6, "测试企业2", None, "测试企业2", credit_code(2))]
    assert review[1]["reason"] == f"no enterprise is registered under {credit_code(4, '440106')} in your scope"
    assert _certificates(engine) == [
        (credit_code(1), "GR202311000101", dt.date(2023, 11, 20), dt.date(2026, 11, 19)),
        (credit_code(3), "GR202311000103", dt.date(2023, 1, 5), dt.date(2026, 1, 4))]
    status, again = _api(clients["province"], "lists", upload, kind="hightech")
    assert status == 200 and (again["stored"], again["unchanged"], again["review_count"]) == ([], 2, 3)
    assert len(_certificates(engine)) == 2


def test_the_review_table_lists_the_names_that_do_not_match_and_only_its_uploader_exports_it(
        clients: dict[str, TestClient], tmp_path: Path) -> None:
    upload = _file(tmp_path, "xlsxwriter", _hightech_rows("测试企业贰"), "高企名单")
    status, page = _page(clients["zone"], "lists", upload, kind="hightech")
    assert status == 200
    assert SUMMARY.findall(page) == ["高企名单.xlsx（高新技术企业）：新增 1 条资质，更新 0 条，0 条无变化；"
                                     "4 行待核对（未保存）"]
    review = _table(page, "review")
    assert [row[:5] for row in review] == [
        ["高企名单.xlsx", "3", "测试企业3", credit_code(3), "—"],  # Z1102 is not the zone user's zone
        ["高企名单.xlsx", "4", "测试企业贰", credit_code(2), "测试企业2"],
        ["高企名单.xlsx", "5", "测试企业4", credit_code(4, "440106"), "—"],
        ["高企名单.xlsx", "6", "测试企业2", "—", "测试企业2"]]
    assert review[3][6] == credit_code(2)  # proposed, not stored
    link = re.search(r'href="(/registry/uploads/[\w-]+/review)\.csv"', page)
    assert link is not None
    exported = list(csv.reader(io.StringIO(clients["zone"].get(f"{link.group(1)}.csv").content.decode("utf-8-sig"))))
    assert exported[1:] == [[cell if cell != "—" else "" for cell in row] for row in review]
    for role, expected in (("analyst", 404), ("province", 404), ("enterprise", 403), ("public", 401)):
        assert clients[role].get(f"{link.group(1)}.xlsx").status_code == expected, role


def test_a_zone_user_uploading_another_zones_enterprises_gets_the_line_and_nothing_is_stored(
        engine: Engine, clients: dict[str, TestClient], tmp_path: Path) -> None:
    before = _enterprises(engine)
    upload = _file(tmp_path, "csv-utf8", [
        ENTERPRISE_HEADER, [credit_code(21), "北京新甲科技有限公司", "Z1101", 6513, "2015-03-02"],
        [credit_code(31, "440106"), "广州新企业有限公司", "Z4401", 6513, "2016-01-01"]])
    status, page = _page(clients["zone"], "enterprises", upload)
    assert status == 400
    assert _problems(page) == [
        "名单.csv, row 3, column C: zone Z1101 may not register enterprises in zone Z4401"]
    status, body = _api(clients["zone"], "enterprises", upload)
    assert status == 400 and body["error"]["message"] == (  # type: ignore[index]
        "名单.csv, row 3, column C: zone Z1101 may not register enterprises in zone Z4401")
    assert _enterprises(engine) == before


def test_bad_cells_are_one_line_each_and_refuse_the_file(engine: Engine, clients: dict[str, TestClient],
                                                         tmp_path: Path) -> None:
    upload = _file(tmp_path, "openpyxl", [
        ENTERPRISE_HEADER,
        [wrong_check(credit_code(21)), "北京新甲科技有限公司", "Z1101", 6513, "2015-03-02"],
        [credit_code(22), "北京新乙生物有限公司", "Z9999", 6513, "2015-03-02"],
        [credit_code(23), "北京新丙有限公司", "Z1101", 6513, "2015-13-02"],
        [credit_code(24), "北京新丁有限公司", "Z1101", 6513, "2015-03-02"],
        [credit_code(24), "北京新戊有限公司", "Z1101", 6513, "2015-03-02"]])
    status, page = _page(clients["admin"], "enterprises", upload)
    where = "名单.xlsx, sheet 'Sheet1', row"
    assert status == 400 and _problems(page) == [
        f"{where} 2, column A: credit code '{wrong_check(credit_code(21))}' fails the GB 32100 check: last "
        f"character should be '{credit_code(21)[17]}'",
        f"{where} 3, column C: zone 'Z9999' does not exist in the registry",
        f"{where} 4, column E: '2015-13-02' is not a date: no day 2 of month 13 in 2015",
        f"{where} 6, column B: credit code {credit_code(24)} appears twice with different names: row 5 "
        "'北京新丁有限公司', row 6 '北京新戊有限公司'"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Enterprise)) == 6
    hightech = _file(tmp_path, "csv-utf8", [HIGHTECH_HEADER, [1, "测试企业1", credit_code(1), "GR202311000101",
                                                            "20.11.2023"]])
    status, body = _api(clients["admin"], "lists", hightech, kind="hightech")
    assert status == 400 and body["error"]["message"] == (  # type: ignore[index]
        "名单.csv, row 2, column E: '20.11.2023' is not a date (write e.g. 2023-11-20)")
    assert _certificates(engine) == []


def test_an_enterprise_account_may_not_upload_lists(clients: dict[str, TestClient], tmp_path: Path) -> None:
    upload = _file(tmp_path, "csv-utf8", ENTERPRISE_ROWS)
    assert clients["enterprise"].get("/registry").status_code == 403
    assert _api(clients["enterprise"], "enterprises", upload)[0] == 403
    assert 'href="/registry"' not in clients["enterprise"].get("/reporting").text
    assert 'href="/registry"' in clients["zone"].get("/reporting").text


def test_uploads_need_the_forms_csrf_token_and_stay_under_the_upload_limit(engine: Engine, seeded: Seeded,
                                                                           tmp_path: Path) -> None:
    upload = _file(tmp_path, "csv-utf8", ENTERPRISE_ROWS * 20)
    with TestClient(make_app(engine, max_upload_bytes=len(upload[1]) // 2)) as client:
        login(client, USERS["zone"])
        forged = client.post("/registry/enterprises", data={"csrf_token": "forged"},
                             files={"file": ("名单.csv", upload[1][:100])})
        assert forged.status_code == 403
        too_large = client.post("/registry/lists", data={"csrf_token": csrf_of(client, "/registry"),
                                                         "kind": "hightech"}, files={"file": upload})
        assert too_large.status_code == 413
        wrong_kind = client.post("/api/v1/registry/enterprises", files={"file": ("名单.json", b"[]")},
                                 headers={CSRF_HEADER: csrf_of(client, "/registry")})
        assert wrong_kind.status_code == 415 and ".csv" in wrong_kind.json()["error"]["message"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Enterprise)) == 6

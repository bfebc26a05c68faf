"""The incubation pages, exports and API on a seeded app: what each shows, in scope."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from pathlib import Path

import fastexcel
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.incubation.registry import import_carriers, import_incubatees
from hizone.intake.service import import_file, transition
from tests.incubation.test_forms import ROWS, _csv
from tests.registry.lists_factory import code, write
from tests.web.conftest import app, clients, csrf_of, seeded, seeded_analytics  # noqa: F401  (fixtures)

ADMIN = Principal("torch", "admin")
REVIEWER = Principal("torch-reviewer", "admin")  # not the importer: a revision's writer never accepts it


def _carriers(engine: Engine, tmp_path: Path) -> None:
    import_carriers(engine, write(tmp_path / "c", "csv-utf8", [
        ["载体代码", "载体名称", "载体类型", "高新区代码", "级别", "认定日期", "经度", "纬度"],
        ["WK1", "北京测试孵化器", "孵化器", "Z1101", "国家级", dt.date(2019, 1, 1), 116.3, 39.96],
        ["WK2", "北京测试众创空间", "众创空间", "Z1101", "", "", "", ""],
        ["WK3", "广州测试加速器", "加速器", "Z4401", "", "", "", ""],
    ]), ADMIN)
    import_incubatees(engine, write(tmp_path / "s", "csv-utf8", [
        ["载体代码", "统一社会信用代码", "入孵日期", "毕业日期", "毕业条件"],
        ["WK2", code(1), dt.date(2022, 1, 1), dt.date(2023, 1, 1), "融资"],
        ["WK1", code(1), dt.date(2023, 1, 1), "", ""],
        ["WK1", code(2), dt.date(2023, 2, 1), "", ""],
        ["WK3", code(3), dt.date(2023, 2, 1), "", ""],
    ]), ADMIN)


def test_pages_exports_and_api_in_scope(engine: Engine, tmp_path: Path, clients: dict[str, TestClient]) -> None:  # noqa: F811
    _carriers(engine, tmp_path)
    admin, zone = clients["admin"], clients["zone"]
    page = admin.get("/incubation").text
    assert "北京测试孵化器" in page and "广州测试加速器" in page and 'data-figure="in_incubation">3<' in page
    own = zone.get("/incubation").text
    assert "北京测试孵化器" in own and "广州测试加速器" not in own
    profile = admin.get("/incubation/carriers/WK1").text
    assert 'id="self-check"' in profile and "国家级" in profile and 'data-figure="in_incubation">2<' in profile
    assert zone.get("/incubation/carriers/WK3").status_code == 403
    chain = zone.get("/api/v1/incubation/chain", params={"zone": "Z1101"}).json()
    stages = {s["kind"]: (s["carriers"], s["in_incubation"], s["graduated"]) for s in chain["stages"]}
    assert stages == {"众创空间": (1, 0, 1), "孵化器": (1, 2, 0), "加速器": (0, 0, 0), "大学科技园": (0, 0, 0)}
    assert [c["code"] for c in zone.get("/api/v1/incubation/carriers").json()] == ["WK1", "WK2"]
    assert zone.get("/api/v1/incubation/summary").json()["in_incubation"] == 2
    funnel = zone.get("/incubation/zones/Z1101").text
    payload = re.search(r"data-chart=\"funnel\" data-payload='([^']*)'", funnel)
    assert payload and json.loads(html.unescape(payload.group(1))) == {"stages": [
        {"name": "众创空间 · 在孵企业", "value": 0}, {"name": "孵化器 · 在孵企业", "value": 2}]}
    book = zone.get("/incubation/export/carriers.xlsx")
    sheets = fastexcel.read_excel(io.BytesIO(book.content).getvalue())
    cells = [str(v) for name in sheets.sheet_names
             for column in sheets.load_sheet(name, header_row=None).to_arrow().columns for v in column.to_pylist()]
    assert "北京测试孵化器" in cells and "广州测试加速器" not in cells and sheets.sheet_names == ["carriers", "chain"]
    assert clients["enterprise"].get("/api/v1/incubation/carriers").status_code == 403


def test_an_incubators_page_labels_its_inferred_indicators_and_weights(engine: Engine, tmp_path: Path,
                                                                      clients: dict[str, TestClient]) -> None:  # noqa: F811
    _carriers(engine, tmp_path)
    page = clients["admin"].get("/incubation/carriers/WK1").text
    assert 'id="evaluation"' in page and page.count('data-indicator="') == 8
    assert page.count('data-basis="inferred"') == 8 and 'data-basis="official"' not in page
    assert 'data-indicator="ip_share"' in page and "有效知识产权在孵企业占比" in page
    assert 'id="evaluation"' not in clients["admin"].get("/incubation/carriers/WK2").text  # a 众创空间: no grade
    api = clients["admin"].get("/api/v1/incubation/carriers/WK1").json()["indicators"]
    assert {i["basis"] for i in api} == {"inferred"} and sum(i["share"] for i in api) == pytest.approx(1.0)


def test_the_overview_shows_the_carriers_statistics_by_year_with_y_y_in_scope(
        engine: Engine, tmp_path: Path, clients: dict[str, TestClient]) -> None:  # noqa: F811
    """Three incubators (two in Z1101, the zone user's, one in Z4401) report 2021 and 2022: in incubation
    60 + 40 + 50 = 150, then 66 + 44 + 65 = 175 (+16.7%); the zone's 100 → 110 (+10.0%)."""
    base = [[code(301 + i), *r[1:2], "Z4401" if r[2] == "Z1201" else r[2], *r[3:]] for i, r in enumerate(ROWS)]
    rows = {"2021": [list(r) for r in base], "2022": [list(r) for r in base]}
    for row, more in zip(rows["2022"], (66, 44, 65), strict=True):
        row[12] = more
    for year, found in rows.items():
        result = import_file(engine, _csv(found), "incubator_annual", year, ADMIN, name=f"gz{year}.csv", submit=True)
        assert result.stored, result.report and result.report.errors
        for step in ("review", "approve"):
            transition(engine, step, REVIEWER, form="incubator_annual", period=year)
    national = clients["admin"].get("/incubation").text
    table = national[national.index('id="table-statistics"'):]
    first = table[:table.index("</tr>", table.index("<tbody>"))]  # the first item: enterprises in incubation
    assert 'data-value="150.0"' in first and 'data-value="175.0"' in first
    assert f'data-value="{(175 / 150 - 1) * 100}"' in first and "+16.7" in first
    own = clients["zone"].get("/incubation").text
    mine = own[own.index('id="table-statistics"'):]
    first = mine[:mine.index("</tr>", mine.index("<tbody>"))]
    assert 'data-value="100.0"' in first and 'data-value="110.0"' in first and "+10.0" in first


def test_a_province_reviews_its_outside_carriers_on_the_queue_and_the_api_lists_them_in_scope(
        engine: Engine, tmp_path: Path, clients: dict[str, TestClient]) -> None:  # noqa: F811
    """An incubator outside any national zone in 北京 (11, the province user's): its report waits on the province's
    review queue under the outside key X11, the province reviews it there, the national roles approve it; the
    zone user (Z1101) sees it nowhere: not on the queue, not in the API's submissions."""
    outside = code(311)
    import_carriers(engine, write(tmp_path / "o", "csv-utf8", [
        ["载体代码", "载体名称", "载体类型", "高新区代码", "省份代码"],
        [outside, "北京区外孵化器", "孵化器", "", "11"]]), ADMIN)
    row = [outside, "北京区外孵化器", "", *ROWS[0][3:]]
    result = import_file(engine, _csv([row]), "incubator_annual", "2021", ADMIN, name="out.csv", submit=True)
    assert result.stored, result.report and result.report.errors
    province, zone = clients["province"], clients["zone"]
    assert 'data-zone="X11"' in province.get("/reporting").text
    assert 'data-zone="X11"' not in zone.get("/reporting").text
    listed = province.get("/api/v1/submissions", params={"form": "incubator_annual"}).json()
    assert [(s["entity_key"], s["zone_code"]) for s in listed["items"]] == [(outside, "X11")]
    assert zone.get("/api/v1/submissions", params={"form": "incubator_annual"}).json()["items"] == []
    for client, action in ((province, "review"), (clients["admin"], "approve")):
        done = client.post("/reporting/transition", data={
            "action": action, "form": "incubator_annual", "period": "2021", "zone_code": "X11",
            "csrf_token": csrf_of(client, "/reporting")}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].endswith(f"{action}:1"), action

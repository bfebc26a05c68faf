"""综合评价 and 经济运行监测 pages: the stored run as a filtered table, radar and rank history; monthly
figures with y/y; alerts by scope with acknowledge and resolve (audited)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hizone.analytics.read import Viewer
from hizone.web.services import monitoring
from hizone.web.services.views import load_views
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded


def _ranked_zones(html: str) -> list[str]:
    body = html.split('id="table-rankings"')[1].split("</table>")[0]
    return re.findall(r"<td class=\"link\"[^>]*>\s*(?:<a [^>]*>)?([^<]+)<", body)


def test_rankings_are_public_and_filterable(clients: dict[str, TestClient]) -> None:
    page = clients["public"].get("/rankings")
    assert page.status_code == 200
    assert [z.strip() for z in _ranked_zones(page.text)] == ["广州高新区", "中关村科技园区", "北京测试高新区"]
    assert 'href="/zones/' not in page.text.split('id="table-rankings"')[1]  # the public cannot open profiles
    beijing = clients["public"].get("/rankings?province=11")
    assert [z.strip() for z in _ranked_zones(beijing.text)] == ["中关村科技园区", "北京测试高新区"]
    bay = clients["public"].get("/rankings?group=greater_bay_area")
    assert [z.strip() for z in _ranked_zones(bay.text)] == ["广州高新区"]  # 广州 is one of the cluster's cities
    capital = clients["public"].get("/rankings?group=jingjinji&region=east")
    assert [z.strip() for z in _ranked_zones(capital.text)] == ["中关村科技园区", "北京测试高新区"]
    assert clients["public"].get("/rankings?group=atlantis").status_code == 400
    csv = clients["public"].get("/export/rankings.csv?province=44").content.decode("utf-8-sig").splitlines()
    assert len(csv) == 2 and csv[1].startswith('"1","广州高新区","广东省","70.0"')


def test_zone_profile_uses_the_evaluation(clients: dict[str, TestClient], seeded: Seeded) -> None:
    page = clients["zone"].get(f"/zones/{seeded.own_zone}?year=2023").text
    radar = re.search(r"id=\"chart-radar\" data-chart=\"radar\" data-payload='([^']+)'", page)
    assert radar and '"value": [90.0, 50.0, 40.0, 55.0, 60.0]' in radar.group(1).replace("&#34;", '"')
    assert "综合评价排名" in page
    assert 'id="zone-alerts"' in page and "Z1101 营业收入累计同比下降超过30%" in page


def test_monthly_cumulative_with_year_on_year(app: FastAPI) -> None:
    fig, views = app.state.figures.get(), load_views()
    national = {c.code: c for c in monitoring.national(fig, views, "2023-02", "zh", Viewer.everyone())}
    assert national["revenue"].value == pytest.approx(0.204)  # 20,400 千元 in 亿元
    assert national["revenue"].yoy == pytest.approx(20.0)  # against 17,000 in 2022-02
    assert monitoring.national(fig, views, "2022-02", "zh", Viewer.everyone())[0].yoy is None


def test_alerts_follow_scope_and_can_be_acknowledged_then_resolved(clients: dict[str, TestClient],
                                                                   seeded: Seeded) -> None:
    zone_page = clients["zone"].get("/monitoring").text
    assert "Z1101 营业收入" in zone_page and "Z4401 营业收入" not in zone_page
    assert "Z4401 营业收入" in clients["analyst"].get("/monitoring").text
    alert_id = re.search(r'id="alert-(\d+)"', zone_page)
    assert alert_id
    client = clients["zone"]
    for target in ("acknowledged", "resolved"):
        done = client.post(f"/monitoring/alerts/{alert_id.group(1)}", data={
            "state": target, "note": "已核实", "csrf_token": csrf_of(client, "/monitoring")}, follow_redirects=False)
        assert done.status_code == 303
    again = client.post(f"/monitoring/alerts/{alert_id.group(1)}", data={
        "state": "acknowledged", "csrf_token": csrf_of(client, "/monitoring")})
    assert again.status_code == 400 and "cannot become acknowledged" in again.text
    assert 'data-state="resolved"' in client.get("/monitoring").text
    audit = clients["admin"].get("/admin/audit?action=alert_resolved").text
    assert "zone1" in audit and "alert:" in audit

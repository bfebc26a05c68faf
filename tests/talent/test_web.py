"""The talent pages and API for each role: a zone sees its own standing and nothing of another zone's; the
national roles see every zone, the nation and the weekly report. Figures unlike any other in the store."""

from __future__ import annotations

import io
import re

import fastexcel
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.intake.service import import_file
from hizone.talent.campaign import campaign
from hizone.talent.store import import_fairs, import_targets
from tests.intake.factory import TODAY, csv_bytes
from tests.talent.workflow import approve
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

HEADER = ["高新区代码", "累计开发岗位数", "累计签约人数", "累计在岗人数"]
OWN_DEVELOPED, OTHER_DEVELOPED = 4321, 8765  # Z1101 (Beijing), Z4401 (Guangdong)
C = campaign("research_assistant-2022")


def _seed(engine: Engine) -> None:
    targets = b"level,key,target,set_by\nzone,Z1101,5000,national\nzone,Z4401,9000,national\n"
    assert import_targets(engine, targets, "t.csv", C, "admin").errors == []
    rows = [["Z1101", OWN_DEVELOPED, 3000, 2000], ["Z4401", OTHER_DEVELOPED, 7000, 6000]]
    result = import_file(engine, csv_bytes(rows, header=HEADER), "talent_report", "2022W27", "admin", submit=True,
                         today=TODAY)
    assert result.status == "stored", result.report and result.report.errors
    approve(engine, "2022W27")
    fairs = ("name,date,host_zone,mode,platforms,posts,resumes,views,interviews,offers\n"
             "广州专场,2022-07-01,Z4401,live,国聘,7777,1,1,1,1\n").encode()
    assert import_fairs(engine, C, ("f.csv", fairs), "admin").errors == []


def test_a_zone_sees_its_own_and_nothing_of_another(clients: dict[str, TestClient], engine: Engine,
                                                    seeded: Seeded) -> None:
    _seed(engine)
    zone = clients["zone"]
    data = zone.get("/api/v1/talent/progress").json()
    assert [(z["key"], z["developed"], z["rank"]) for z in data["zones"]] == [("Z1101", OWN_DEVELOPED, 2)]
    assert data["provinces"] == [] and data["nation"] is None  # a zone reads no province's total
    page = zone.get("/talent").text
    assert str(OWN_DEVELOPED) in page and str(OTHER_DEVELOPED) not in page
    assert zone.get(f"/talent/zones/{seeded.other_zone}").status_code == 403
    assert zone.get(f"/api/v1/talent/zones/{seeded.other_zone}").status_code == 403
    own = zone.get(f"/api/v1/talent/zones/{seeded.own_zone}").json()
    assert own["standing"]["completion"] == OWN_DEVELOPED / 5000
    assert [r["on"] for r in own["reports"]] == ["2022-07-10"]
    fairs = zone.get("/talent/fairs").text
    assert "7777" not in fairs and "广州专场" not in fairs
    assert zone.get("/talent/export/progress.xlsx").status_code == 403
    assert "7777" not in zone.get("/api/v1/talent/fairs").text


def test_the_national_view_and_its_weekly_report(clients: dict[str, TestClient], engine: Engine) -> None:
    _seed(engine)
    admin = clients["analyst"]
    data = admin.get("/api/v1/talent/progress").json()
    # 8765/9000 = 97.4% ranks before 4321/5000 = 86.4%; the nation (4321+8765)/(5000+9000)
    assert [(z["key"], z["rank"]) for z in data["zones"]] == [("Z4401", 1), ("Z1101", 2)]
    assert data["nation"]["completion"] == (OWN_DEVELOPED + OTHER_DEVELOPED) / 14000
    response = admin.get("/talent/export/progress.xlsx")
    sheet = fastexcel.read_excel(io.BytesIO(response.content).getvalue()).load_sheet(0, header_row=2).to_pandas()
    assert list(sheet["代码 Code"]) == ["Z4401", "Z1101"]
    assert admin.get("/api/v1/talent/fairs").json()["totals"]["posts"] == 7777
    assert admin.get("/api/v1/talent/progress?on=7/10").status_code == 400
    assert admin.get("/api/v1/talent/progress?campaign=nope").status_code == 404


def _versions(client: TestClient, url: str) -> dict[str, str]:
    """The draft and form versions the page was opened with (a submit names them), and the CSRF token."""
    page = client.get(url).text
    found = {name: re.search(f'name="{name}" value="([^"]*)"', page) for name in ("draft_version", "form_version")}
    return {name: m.group(1) for name, m in found.items() if m} | {"csrf_token": csrf_of(client, url)}


def test_a_zone_fills_its_weekly_report_online_and_the_campaign_checks_run(clients: dict[str, TestClient],
                                                                         engine: Engine) -> None:
    _seed(engine)  # Z1101 stored 4321 developed in 2022W27
    zone = clients["zone"]
    url = "/reporting/online/talent_report/2022W28"
    page = zone.get(url)
    assert page.status_code == 200 and 'name="note"' in page.text and 'id="online-entity">Z1101<' in page.text
    values = {"ta_developed": "4000", "ta_signed": "3000", "ta_on_duty": "2000"}
    fell = zone.post(url + "/submit", data={**values, **_versions(zone, url)})
    assert fell.status_code == 422
    assert [i["rule"] for i in fell.json()["issues"]] == ["talent_fell"]
    noted = zone.post(url + "/submit", data={**values, "note": "重复统计已剔除", **_versions(zone, url)})
    assert noted.status_code == 200 and noted.json()["status"] == "stored", noted.json()
    approve(engine, "2022W28")  # the online submit made it submitted
    own = zone.get("/api/v1/talent/zones/Z1101").json()
    assert [(r["on"], r["developed"], r["correction"]) for r in own["reports"]] == [
        ("2022-07-10", OWN_DEVELOPED, ""), ("2022-07-17", 4000, "重复统计已剔除")]
    assert "<td>重复统计已剔除</td>" in zone.get("/talent/zones/Z1101").text


def test_the_stored_laggard_warnings_are_scoped(clients: dict[str, TestClient], engine: Engine,
                                                seeded: Seeded) -> None:
    from hizone.talent.service import record_alerts

    _seed(engine)
    # W34 speaks for Sunday 08-28, 3 days before the deadline: Z1101 4400/5000 = 88% and Z4401 8000/9000 = 88.9%,
    # both below talent_deadline_near's 90% (Z4401's fall from 8765 carries its correction note)
    rows = [["Z1101", 4400, 3000, 2000, ""], ["Z4401", 8000, 7000, 6000, "剔除重复"]]
    result = import_file(engine, csv_bytes(rows, header=[*HEADER, "更正说明"]), "talent_report", "2022W34", "admin",
                         submit=True, today=TODAY)
    assert result.status == "stored", result.report and result.report.errors
    approve(engine, "2022W34")
    assert record_alerts(engine, C) == {"new": 2, "seen": 0}

    def talent_alerts(client: TestClient, query: str = "") -> list[tuple[str, str, str]]:
        items = client.get(f"/api/v1/alerts?page_size=500{query}").json()["items"]
        return sorted((a["rule"], a["key"], a["period"]) for a in items if a["rule"].startswith("talent_"))

    assert talent_alerts(clients["analyst"]) == [("talent_deadline_near", "Z1101", "2022W34"),
                                                 ("talent_deadline_near", "Z4401", "2022W34")]
    assert talent_alerts(clients["zone"]) == [("talent_deadline_near", "Z1101", "2022W34")]
    assert talent_alerts(clients["zone"], f"&zone={seeded.other_zone}") == []
    assert talent_alerts(clients["analyst"], f"&zone={seeded.own_zone}") == [
        ("talent_deadline_near", "Z1101", "2022W34")]


def test_the_printed_weekly_report_is_cut_to_the_caller(clients: dict[str, TestClient], engine: Engine) -> None:
    from tests.pdf_reports.conftest import pdf_text, squeezed

    _seed(engine)
    zone, analyst = clients["zone"], clients["analyst"]
    assert 'id="talent-weekly-pdf"' in zone.get("/talent").text
    for url in ("/talent/export/progress.pdf", "/api/v1/talent/progress.pdf"):
        own = zone.get(url)
        assert own.status_code == 200 and own.headers["content-type"] == "application/pdf"
        text = squeezed("".join(pdf_text(own.content)))
        # Z1101 4321/5000 = 86.4%, rank 2 of the nation's two
        assert "2Z1101" in text and "4,321" in text and "86.40" in text
        assert "8,765" not in text and "Z4401" not in text
        every = squeezed("".join(pdf_text(analyst.get(url).content)))
        assert "1Z4401" in every and "8,765" in every and "2Z1101" in every
    assert analyst.get("/api/v1/talent/progress.pdf?on=7/10").status_code == 400
    assert analyst.get("/talent/export/progress.pdf?campaign=nope").status_code == 404

"""PDF reports on the web and the API: scoped by the one policy (a zone user gets only its own zone's report, a
province's report only its department and the national roles), printed once per data version."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import pypdf
import pytest
from fastapi.testclient import TestClient

from tests.web.seed import Seeded


def _text(body: bytes) -> str:
    """The text as read back (NFKC: Chromium names some shared glyphs by their Kangxi radical)."""
    return unicodedata.normalize("NFKC", "".join(p.extract_text() for p in pypdf.PdfReader(BytesIO(body)).pages))


def _ok_pdf(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/pdf" and response.content[:5] == b"%PDF-"
    return _text(response.content)


@pytest.mark.parametrize("prefix", ["/zones/{z}/report.pdf?year=2023", "/api/v1/reports/zones/{z}/evaluation.pdf"])
def test_a_zone_user_gets_its_own_zones_report_and_no_other(clients: dict[str, TestClient], seeded: Seeded,
                                                            prefix: str) -> None:
    text = _ok_pdf(clients["zone"], prefix.format(z=seeded.own_zone))
    assert "中关村科技园区" in text and "广州高新区" not in text.split("对标")[0]
    assert clients["zone"].get(prefix.format(z=seeded.other_zone)).status_code in (403, 404)
    assert clients["public"].get(prefix.format(z=seeded.own_zone)).status_code == 401
    _ok_pdf(clients["analyst"], prefix.format(z=seeded.other_zone))


def test_monthly_reports_follow_the_province_rule(clients: dict[str, TestClient], seeded: Seeded) -> None:
    own, other = seeded.own_province, seeded.other_province
    _ok_pdf(clients["province"], f"/monitoring/provinces/{own}/report.pdf")
    assert clients["province"].get(f"/monitoring/provinces/{other}/report.pdf").status_code == 403
    assert clients["zone"].get(f"/api/v1/reports/provinces/{own}/monthly.pdf").status_code == 403
    assert clients["public"].get("/api/v1/reports/monthly.pdf").status_code == 401
    assert "经济运行监测月报" in _ok_pdf(clients["zone"], f"/zones/{seeded.own_zone}/monthly.pdf")
    assert clients["zone"].get(f"/zones/{seeded.other_zone}/monthly.pdf").status_code in (403, 404)
    assert clients["admin"].get("/monitoring/report.pdf?month=1999-01").status_code == 404


def test_a_report_is_printed_once_per_data_version(clients: dict[str, TestClient], seeded: Seeded) -> None:
    client = clients["analyst"]
    url = f"/zones/{seeded.own_zone}/report.pdf?year=2023"
    first = client.get(url).content
    cache = client.app.state.pdfs  # type: ignore[attr-defined]
    hits = cache.hits
    assert client.get(url).content == first and cache.hits == hits + 1


def test_the_pages_link_to_their_pdf(clients: dict[str, TestClient], seeded: Seeded) -> None:
    profile = clients["zone"].get(f"/zones/{seeded.own_zone}?year=2023").text
    assert f'href="/zones/{seeded.own_zone}/report.pdf?year=2023&amp;benchmark=top10"' in profile
    assert 'id="monthly-report-pdf"' in clients["analyst"].get("/monitoring").text

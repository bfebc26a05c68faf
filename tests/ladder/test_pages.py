"""The ladder pages: an enterprise's self-check with what it is missing, a zone's ladder with its funnel."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.web.seed import Seeded, credit_code


def test_the_self_check_page_says_what_is_missing(clients: dict[str, TestClient], seeded: Seeded) -> None:
    # as in test_api: 4% of 2.8亿 = 1120万 against 1100万: 20万元 more; 7 more 科技人员
    url = f"/ladder/self-check/{seeded.own_enterprise}?year=2023&sales_y1=60000000&rd_y1=0&st_staff=5"
    page = clients["enterprise"].get(url)
    assert page.status_code == 200, page.text
    assert "研发费用再增加 20 万元即可达到 4%" in page.text
    assert "再增加 7 名科技人员即可达到 10%" in page.text
    assert 'id="in-staff" name="staff" value="110"' in page.text  # prefilled from the reports
    assert 'href="/ladder/self-check/' + seeded.own_enterprise + '"' in page.text  # the enterprise's nav link


def test_the_zone_ladder_page(clients: dict[str, TestClient], seeded: Seeded) -> None:
    page = clients["zone"].get(f"/ladder/zones/{seeded.own_zone}?year=2023")
    assert page.status_code == 200, page.text
    payload = re.search(r"data-chart=\"funnel\" data-payload='([^']*)'", page.text)
    assert payload is not None
    stages = {s["name"]: s["value"] for s in json.loads(payload.group(1).replace("&#34;", '"'))["stages"]}
    assert (stages["高新技术企业"], stages["瞪羚企业"], stages["科技型中小企业"]) == (2, 1, 0)
    assert f'href="/ladder/self-check/{credit_code(2)}?year=2023"' in page.text
    assert clients["zone"].get(f"/ladder/zones/{seeded.other_zone}?year=2023").status_code == 403
    assert clients["enterprise"].get(f"/ladder/zones/{seeded.own_zone}?year=2023").status_code == 403

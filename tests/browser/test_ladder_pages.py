"""A real browser on the ladder pages: each role's ladder view draws its funnel (ECharts) without a console error
and the bulk screening takes an upload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import Session
from tests.web.seed import USERS, credit_code

pytestmark = pytest.mark.browser

LADDER_PAGES = {"analyst": ["/ladder?year=2023", "/ladder?province=44&year=2023"],
                "province": ["/ladder?year=2023", "/ladder/zones/Z1101?year=2023"],
                "zone": ["/ladder/zones/Z1101?year=2023", "/ladder/zones/Z1101/screening?year=2023"],
                "enterprise": [f"/ladder/self-check/{credit_code(1)}?year=2023"]}


@pytest.mark.parametrize("role", list(LADDER_PAGES))
def test_the_ladder_pages_draw_their_funnels(open_session: Callable[[str], Session], role: str) -> None:
    session = open_session(f"ladder-{role}")
    session.login(USERS[role])
    for path in LADDER_PAGES[role]:
        page = session.go(path)
        assert page.locator(".error-page").count() == 0, f"{role} got an error page on {path}"
        for chart in page.locator("[data-chart]").all():
            chart.locator("canvas").first.wait_for(state="attached", timeout=10_000)
        session.shot("ladder-" + path.strip("/").split("?")[0].replace("/", "_"))


def test_a_zone_screens_an_uploaded_list(open_session: Callable[[str], Session], tmp_path: Path) -> None:
    session = open_session("ladder-screening")
    session.login(USERS["zone"])
    page = session.go("/ladder/zones/Z1101/screening?year=2023")
    upload = tmp_path / "list.csv"
    upload.write_text(f"id,sales_y1,rd_y1,st_staff\n{credit_code(1)},60000000,0,5\n", encoding="utf-8")
    page.set_input_files("#screening-upload input[type=file]", str(upload))
    page.click("#screening-upload button[type=submit]")
    page.wait_for_selector("#table-screening-2023")
    assert "研发费用再增加 20 万元即可达到 4%" in page.content()

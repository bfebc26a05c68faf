"""Disclosure control on the public aggregates, per viewer, worked out by hand on tests/web/seed.py.

The seed: Beijing (11) has two zones, Guangdong (44) one; both are in the east; the nation has three zones and
six enterprises. Under the catalog's rules (at least 3 zones and 3 enterprises) both provinces are withheld
from the public and the nation is published. A Beijing department sees Beijing: the national total would
then give Guangdong's single zone away by subtraction, so it is withheld from that department.
"""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from hizone.web.services.profile import group_median
from hizone.web.services.tables import Suppressed


def _indicators(client: TestClient, query: str) -> dict[str, dict[str, object]]:
    body = client.get(f"/api/v1/indicators?year=2023{query}").json()
    return {i["code"]: i for i in body["indicators"]}


def _revenue(client: TestClient, query: str) -> tuple[object, object]:
    found = _indicators(client, query)["revenue"]
    return found["value"], found["reason"]


@pytest.mark.parametrize(("role", "expected"), [
    ("public", {"": (4.11, None), "&province=11": (None, "min_zones"), "&province=44": (None, "min_zones")}),
    ("enterprise", {"": (4.11, None), "&province=11": (None, "min_zones"), "&province=44": (None, "min_zones")}),
    # A zone user knows its zone: Beijing's other zone stays hidden with Beijing; the nation is three zones.
    ("zone", {"": (4.11, None), "&province=11": (None, "min_zones"), "&province=44": (None, "min_zones")}),
    # Nation − Beijing = Guangdong's one zone: the nation is withheld from Beijing's department.
    ("province", {"": (None, "complementary"), "&province=11": (2.13, None), "&province=44": (None, "min_zones")}),
    ("analyst", {"": (4.11, None), "&province=11": (2.13, None), "&province=44": (1.98, None)}),
])
def test_api_indicators_per_viewer(clients: dict[str, TestClient], role: str,
                                   expected: dict[str, tuple[object, object]]) -> None:
    found = {query: _revenue(clients[role], query) for query in expected}
    assert {q: (round(v, 4) if isinstance(v, float) else v, r) for q, (v, r) in found.items()} == expected


def test_ratios_and_year_on_year_are_withheld_with_the_figures_they_come_from(clients: dict[str, TestClient]) -> None:
    beijing = _indicators(clients["public"], "&province=11")
    assert beijing["rd_intensity"]["suppressed"] and beijing["rd_intensity"]["value"] is None
    assert beijing["revenue"]["yoy_pct"] is None
    own = _indicators(clients["province"], "&province=11")
    assert own["revenue"]["yoy_pct"] == pytest.approx((213_000 / 180_000 - 1) * 100)


def _csv(client: TestClient, url: str) -> list[list[str]]:
    """An export's data rows, parsed (every field is quoted)."""
    return list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))[1:]


def _row(rows: list[list[str]], first: str) -> list[str]:
    return next(row for row in rows if row[0] == first)


def test_pages_and_exports_say_suppressed(clients: dict[str, TestClient]) -> None:
    beijing = _row(_csv(clients["public"], "/export/provinces.csv?year=2023"), "北京市")
    assert "已隐藏/suppressed" in beijing and not any("2.13" in cell for cell in beijing)
    assert _row(_csv(clients["province"], "/export/provinces.csv?year=2023"), "北京市")[4].startswith("2.13")
    page = clients["public"].get("/?year=2023").text
    assert "已隐藏/suppressed" in page and 'id="table-top_zones"' in page
    zones = _csv(clients["public"], "/export/zones.csv?year=2023")
    assert zones and all(row[-2:] == ["已隐藏/suppressed", "已隐藏/suppressed"] for row in zones)
    assert _row(_csv(clients["zone"], "/export/zones.csv?year=2023"), "Z1101")[-2:] == ["2.0", "1.8"]


def test_a_benchmark_outside_the_scope_shows_scores_not_figures(clients: dict[str, TestClient]) -> None:
    """Zhongguancun (a zone and its province) against Guangzhou (another province): the published evaluation
    scores and rank, not Guangzhou's figures; the national roles see both."""
    url = "/zones/Z1101/export/gap_analysis.csv?year=2023&benchmark=Z4401"
    for role in ("zone", "province"):
        rows = {row[0]: row for row in _csv(clients[role], url)}
        assert rows["营业收入"][2:] == ["1.8", "已隐藏/suppressed", "已隐藏/suppressed", "已隐藏/suppressed"]
        assert rows["综合得分"][2:4] == ["60.0", "70.0"] and rows["综合排名"][2:4] == ["2.0", "1.0"]
    national = {row[0]: row for row in _csv(clients["analyst"], url)}
    assert float(national["营业收入"][3]) == pytest.approx(1.98)
    # Within the province the benchmark's figures are the department's to see.
    own = clients["province"].get("/zones/Z1101/export/gap_analysis.csv?year=2023&benchmark=Z1102")
    assert "0.33" in own.content.decode("utf-8-sig")


def test_medians_are_no_single_zones_figure_for_a_scoped_viewer() -> None:
    values: list[float | None] = [5.0, 1.0, 9.0, None, 7.0, 3.0]
    assert group_median(values, sees_all=True, least=3) == 5.0
    assert group_median(values, sees_all=False, least=3) == (3.0 + 5.0 + 7.0) / 3  # the middle three
    assert group_median([1.0, 2.0], sees_all=False, least=3) == Suppressed("min_zones")
    assert group_median([None], sees_all=False, least=3) is None

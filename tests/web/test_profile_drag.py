"""拖后腿 on the zone profile and in the gap report: the enterprises that lower each ratio indicator of the zone
most, against values computed by hand from tests/web/seed.py, and only for those who read the zone's enterprises."""

from __future__ import annotations

import fastexcel
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hizone.auth import Principal
from hizone.web.services import profile
from tests.web.seed import Seeded, credit_code

ANALYST = Principal("analyst1", "analyst")
# Z4401 in 2023, R&D / revenue (I1_3, %): Σ rd 9 000 + 100 + 50 = 9 150 over Σ revenue 180 000 + 11 000 + 7 000
# = 198 000: 4.6212 %. Without 5: 9 050 / 187 000 = 4.8396 % (drag +0.2184); without 6: 9 100 / 191 000
# = 4.7644 % (drag +0.1432); without 4: 150 / 18 000 = 0.8333 % (it lifts the zone: not listed).
ZONE_RATIO = 100 * 9_150 / 198_000
PULLING = [(credit_code(5, "440106"), 100 * 100 / 11_000, 100 * 9_050 / 187_000),
           (credit_code(6, "440106"), 100 * 50 / 7_000, 100 * 9_100 / 191_000)]


def _rows(table: profile.Table, name: str) -> list[dict[str, object]]:
    return [row for row in table.rows if row["indicator"] == name]


def test_the_drag_table_by_hand(app: FastAPI) -> None:
    fig = app.state.figures.get()
    table = profile.drag_table(fig, fig.zones["Z4401"], "2023", "zh", ANALYST)
    assert table is not None
    rows = _rows(table, "企业R&D经费内部支出占营业收入比例")
    assert [r["enterprise"] for r in rows] == [code for code, _, _ in PULLING]
    for row, (code, own, without) in zip(rows, PULLING, strict=True):
        assert row["rank"] == PULLING.index((code, own, without)) + 1
        assert row["enterprise_href"] == f"/enterprises/{code}"
        assert row["own"] == pytest.approx(own) and row["zone"] == pytest.approx(ZONE_RATIO)
        assert row["without"] == pytest.approx(without) and row["drag"] == pytest.approx(without - ZONE_RATIO)
    assert all(isinstance(r["drag"], float) and r["drag"] > 0 for r in table.rows)  # only those pulling down
    top = profile.drag_table(fig, fig.zones["Z4401"], "2023", "zh", ANALYST, top=1)
    assert top is not None and [r["enterprise"] for r in _rows(top, rows[0]["indicator"])] == [PULLING[0][0]]


def test_only_readers_of_the_zone_get_it(app: FastAPI, seeded: Seeded) -> None:
    fig = app.state.figures.get()
    zone = fig.zones[seeded.own_zone]
    assert profile.drag_table(fig, zone, "2023", "zh", Principal("zone1", "zone", zone_code=seeded.own_zone))
    assert profile.drag_table(fig, zone, "2023", "zh", Principal("p", "province", province_code="44")) is None
    assert profile.drag_table(fig, zone, "2023", "zh", Principal("e", "enterprise", zone_code=seeded.own_zone,
                                                                 credit_code=credit_code(1))) is None
    assert profile.drag_table(fig, zone, "2023", "zh", Principal.public()) is None
    assert profile.drag_table(fig, zone, "2019", "zh", ANALYST) is None  # before the first evaluation framework


def test_the_profile_shows_it_linked_to_the_enterprise_pages(clients: dict[str, TestClient],
                                                             seeded: Seeded) -> None:
    page = clients["analyst"].get(f"/zones/{seeded.other_zone}?year=2023")
    assert page.status_code == 200
    section = page.text[page.text.index('id="drag"'):]
    section = section[:section.index("</section>")]
    for code, _, _ in PULLING:
        assert f'href="/enterprises/{code}"' in section
    assert credit_code(4, "440106") not in section  # it lifts R&D intensity (and no other ratio it reported)
    # Z1101: without 2 the intensity rises from 8 000 / 180 000 = 4.44 % to 6 000 / 120 000 = 5 %.
    own = clients["zone"].get(f"/zones/{seeded.own_zone}?year=2023")
    assert own.status_code == 200 and f'href="/enterprises/{credit_code(2)}"' in own.text
    assert clients["zone"].get(f"/zones/{seeded.other_zone}?year=2023").status_code == 403


def test_the_gap_report_holds_a_drag_sheet(clients: dict[str, TestClient], seeded: Seeded) -> None:
    response = clients["analyst"].get(f"/zones/{seeded.other_zone}/export/gap_analysis.xlsx?year=2023")
    assert response.status_code == 200
    book = fastexcel.read_excel(response.content)
    assert book.sheet_names == ["gap_analysis", "drag"]
    columns = [c.to_pylist() for c in book.load_sheet("drag", header_row=None).to_arrow().columns]
    lines = [[column[i] for column in columns] for i in range(len(columns[0]))]
    found = {(line[3], round(float(line[7]), 6)) for line in lines if line[3] in {c for c, _, _ in PULLING}}
    assert {(code, round(without - ZONE_RATIO, 6)) for code, _, without in PULLING} <= found
    csv = clients["analyst"].get(f"/zones/{seeded.other_zone}/export/drag.csv?year=2023")
    assert csv.status_code == 200 and all(code in csv.text for code, _, _ in PULLING)
    assert clients["zone"].get(f"/zones/{seeded.other_zone}/export/drag.csv?year=2023").status_code == 403

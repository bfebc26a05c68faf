"""Bulk screening: a zone's enterprises self-checked in one table, prefilled from their reports, an upload filling
or correcting them; by hand on both stores (tests/ladder/ladder_store.py) and through the web app (own zone only,
bad rows named, .xlsx/.csv)."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import fastexcel
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.analytics.read import Reader, Viewer
from hizone.errors import HizoneError
from hizone.ladder.records import FirmsRefused
from hizone.ladder.service import screen
from tests.ladder.ladder_store import CODES, ladder_reader
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded, credit_code


@pytest.fixture
def reader(engine: Engine, tmp_path: Path) -> Reader:
    return ladder_reader(engine, tmp_path)


def test_every_reporting_enterprise_from_its_reports(reader: Reader) -> None:
    found = {c.credit_code: c for c in screen(reader, "Z1101", 2023, Viewer.everyone())}
    assert sorted(found) == sorted(CODES[n] for n in "ABC")
    a = found[CODES["A"]].assessment
    # A: R&D 1260/30000 = 4.2% against 5%; 4.2% → 30 and 2 patents → 30 = 60, but its 科技人员 are not reported
    assert (a.hightech.rd_ratio, a.hightech.rd_threshold, a.hightech.failed) == (F(42, 1000), F(5, 100), ("rd_ratio",))
    assert a.hightech.verdict.value == "ineligible" and a.tech_sme.eligible is None
    assert [(s.criterion, s.more) for s in found[CODES["A"]].shortfalls] == [("rd_ratio", F(240_000))]
    c = found[CODES["C"]].assessment
    assert c.tech_sme.eligible is False  # assets 3亿 > 2亿
    only = screen(reader, "Z1101", 2023, Viewer.everyone(), selected=[CODES["B"]])
    assert [s.credit_code for s in only] == [CODES["B"]]
    with pytest.raises(HizoneError, match="not reporting in Z1101 in 2023"):
        screen(reader, "Z1101", 2023, Viewer.everyone(), selected=[CODES["F"]])


def test_an_upload_fills_and_corrects(reader: Reader) -> None:
    header = ["id", "st_staff", "founded_year", "rd_y3"]
    rows = [[CODES["A"], "12", "2015", ""], ["", "", "", ""], [CODES["B"], "", "", "1000"]]
    found = {c.credit_code: c for c in screen(reader, "Z1101", 2023, Viewer.everyone(), (header, rows))}
    a = found[CODES["A"]]
    # 12 of 100 科技人员 = 12% → 4 points: 64 ≥ 60, eligible; 10% for 高企 passes
    assert (a.assessment.tech_sme.score, a.assessment.tech_sme.eligible) == (F(64), True)
    assert "st_staff" not in a.assessment.hightech.failed and "st_staff" not in a.prefilled and "staff" in a.prefilled
    b = found[CODES["B"]]
    # B's 2023 R&D corrected from 100 千元 to 1000 (yuan): the upload's value stands
    assert b.cells["rd_y3"] == "1000" and "rd_y3" not in b.prefilled


def test_a_bad_upload_names_the_row_and_column(reader: Reader) -> None:
    header = ["id", "st_staff"]
    with pytest.raises(FirmsRefused) as refused:
        screen(reader, "Z1101", 2023, Viewer.everyone(),
               (header, [[CODES["A"], "500"], [CODES["E"], "1"], [CODES["B"], "x"]]), source="list.csv")
    text = str(refused.value)
    assert f"list.csv: row 3, column id: {CODES['E']}: not an enterprise reporting in Z1101 in 2021–2023" in text
    assert "nothing was written" in text
    with pytest.raises(FirmsRefused) as refused:
        screen(reader, "Z1101", 2023, Viewer.everyone(), (header, [[CODES["A"], "500"], [CODES["B"], "x"]]),
               source="list.csv")
    text = str(refused.value)
    assert "row 2, column st_staff: 500 is more than staff (100): a share above 100%" in text
    assert "row 3, column st_staff: not a number: 'x'" in text
    with pytest.raises(FirmsRefused, match="row 1, column sales: not an input column"):
        screen(reader, "Z1101", 2023, Viewer.everyone(), (["id", "sales"], [[CODES["A"], "1"]]))


def test_the_screen_command_writes_what_the_service_finds(reader: Reader, tmp_path: Path) -> None:
    import csv

    from typer.testing import CliRunner

    from hizone.cli import app

    args = ["ladder", "screen", "--zone", "Z1101", "--year", "2023", "--analytics", str(reader.analytics.path)]
    upload = tmp_path / "list.csv"
    upload.write_text(f"id,st_staff,founded_year\n{CODES['A']},12,2015\n", encoding="utf-8")
    out = tmp_path / "screening.csv"
    outcome = CliRunner().invoke(app, [*args, "--data", str(upload), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert "1 enterprise(s) screened in Z1101, 2023" in outcome.output
    [row] = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    # as test_an_upload_fills_and_corrects: 12% 科技人员 → 4 points, 64 ≥ 60, eligible; R&D 4.2% < 5% fails 高企
    assert (row["企业"], float(row["科技型中小企业得分"]), row["未达标条件"]) == (CODES["A"], 64.0, "rd_ratio")
    everyone = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "all.xlsx")])
    assert everyone.exit_code == 0 and "3 enterprise(s) screened" in everyone.output
    cells = fastexcel.read_excel((tmp_path / "all.xlsx").read_bytes()).load_sheet(0, header_row=None).to_arrow()
    assert {CODES[n] for n in "ABC"} <= set(cells.column(0).to_pylist())
    upload.write_text(f"id,st_staff\n{CODES['B']},x\n", encoding="utf-8")
    bad = CliRunner().invoke(app, [*args, "--data", str(upload), "--out", str(tmp_path / "bad.csv")])
    assert bad.exit_code == 2 and "row 2, column st_staff: not a number: 'x'" in bad.output
    assert not (tmp_path / "bad.csv").exists()


# ---------------------------------------------------------------- through the web app


def _upload(client: TestClient, zone: str, content: bytes, **fields: str):  # type: ignore[no-untyped-def]
    data = {"year": "2023", "csrf_token": csrf_of(client, f"/ladder/zones/{zone}/screening?year=2023"), **fields}
    return client.post(f"/ladder/zones/{zone}/screening", data=data,
                       files={"file": ("list.csv", content, "text/csv")})


def test_the_screening_page_upload_and_exports(clients: dict[str, TestClient], seeded: Seeded) -> None:
    zone = clients["zone"]
    page = zone.get(f"/ladder/zones/{seeded.own_zone}/screening?year=2023")
    assert page.status_code == 200, page.text
    assert credit_code(1) in page.text and credit_code(2) in page.text
    # as the self-check test: sales 6000万 for 2021, no R&D that year, 5 科技人员 → 20万元 more R&D, 7 more people
    content = f"id,sales_y1,rd_y1,st_staff\n{credit_code(1)},60000000,0,5\n".encode()
    uploaded = _upload(zone, seeded.own_zone, content)
    assert uploaded.status_code == 200, uploaded.text
    assert "研发费用再增加 20 万元即可达到 4%" in uploaded.text and "再增加 7 名科技人员即可达到 10%" in uploaded.text
    assert credit_code(2) not in uploaded.text.split('id="table-screening-2023"')[1]
    book = _upload(zone, seeded.own_zone, content, export_as="xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    cells = [v for column in fastexcel.read_excel(book.content).load_sheet(0, header_row=None).to_arrow().columns
             for v in column.to_pylist()]
    assert credit_code(1) in cells and "st_staff;rd_ratio" in cells
    selection = zone.get(f"/ladder/zones/{seeded.own_zone}/screening.csv?year=2023&enterprise={credit_code(2)}")
    assert selection.status_code == 200 and credit_code(2) in selection.text and credit_code(1) not in selection.text


def test_a_zone_screens_only_its_own_enterprises(clients: dict[str, TestClient], seeded: Seeded) -> None:
    zone = clients["zone"]
    foreign = _upload(zone, seeded.own_zone, f"id,st_staff\n{seeded.other_enterprise},1\n".encode())
    assert foreign.status_code == 400 and "row 2, column id" in foreign.text
    assert "not an enterprise reporting in Z1101" in foreign.text
    for role in ("zone", "province", "enterprise"):
        assert clients[role].get(f"/ladder/zones/{seeded.other_zone}/screening").status_code == 403, role
        assert _upload(clients[role], seeded.other_zone, b"id\n").status_code == 403, role
    assert clients["enterprise"].get(f"/ladder/zones/{seeded.own_zone}/screening").status_code == 403
    assert clients["analyst"].get(f"/ladder/zones/{seeded.other_zone}/screening").status_code == 200


def test_the_screening_api(clients: dict[str, TestClient], seeded: Seeded) -> None:
    zone = clients["zone"]
    listed = zone.get(f"/api/v1/ladder/zones/{seeded.own_zone}/screening?year=2023")
    assert listed.status_code == 200, listed.text
    assert [e["credit_code"] for e in listed.json()["enterprises"]] == sorted([credit_code(1), credit_code(2)])
    content = f"id,sales_y1,rd_y1,st_staff\n{credit_code(1)},60000000,0,5\n".encode()
    posted = zone.post(f"/api/v1/ladder/zones/{seeded.own_zone}/screening", data={"year": "2023"},
                       files={"file": ("list.csv", content, "text/csv")},
                       headers={"x-csrf-token": csrf_of(zone, "/reporting")})
    assert posted.status_code == 200, posted.text
    (one,) = posted.json()["enterprises"]
    assert set(one["hightech"]["failed"]) == {"st_staff", "rd_ratio"}
    assert {s["criterion"]: s["more"] for s in one["shortfalls"]} == {"rd_ratio": 200_000, "st_staff": 7}
    assert clients["zone"].get(f"/api/v1/ladder/zones/{seeded.other_zone}/screening").status_code == 403

"""后备库: the enterprises near a rung they are not on, with what each is missing, against hand-computed values
(tests/ladder/ladder_store.py has the figures) on both stores; the margins' edges; page, API, exports and CLI."""

from __future__ import annotations

import csv
import io
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import fastexcel
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.analytics.read import Reader, Viewer
from hizone.errors import CatalogError
from hizone.ladder.reserve import parse_reserve, reserve_of, reserve_rules
from hizone.ladder.rules import gazelle_rules, report_mapping, rules_for
from hizone.ladder.service import zone_reserve
from hizone.ladder.stages import enterprise_stages
from tests.ladder.ladder_store import CODES, ladder_reader
from tests.web.seed import Seeded, credit_code

RULES, MAPPING, GAZELLE, MARGINS = rules_for(2023), report_mapping(2023), gazelle_rules(2023), reserve_rules(2023)
assert RULES is not None and MAPPING is not None and GAZELLE is not None and MARGINS is not None


@pytest.fixture
def reader(engine: Engine, tmp_path: Path) -> Reader:
    return ladder_reader(engine, tmp_path)


def summary(reader: Reader, zone: str) -> list[tuple[str, str, tuple[str, ...], list[tuple[str, str, F]]]]:
    names = {code: name for name, code in CODES.items()}
    return [(names[c.credit_code], c.stage, c.failed, [(s.criterion, s.quantity, s.more) for s in c.missing])
            for c in zone_reserve(reader, [zone], 2023, Viewer.everyone())]


def test_the_reserve_of_each_zone_by_hand(reader: Reader) -> None:
    assert summary(reader, "Z1101") == [
        # B 科技型中小企业: R&D 100/16000 = 0.625% → 0 points, 科技人员 (not on the form) at most 20, IP (class II
        # not on the form) at most 30: at most 50 of 60, within the margin of 10
        ("B", "tech_sme", ("score",), [("score", "score_max", F(10))]),
        # A 高企: R&D (420×3) / (10000×3) = 4.2% against 5% (latest sales 1000万 ≤ 5000万), within 1 point:
        # 5% × 3000万 − 126万 = 24万元 more; A is on the 科技型中小企业 list, so not in that reserve
        ("A", "high_tech", ("rd_ratio",), [("rd_ratio", "rd", F(240_000))]),
        # B 瞪羚: 16000/10000 = 1.6 against 1.2³ = 1.728, within 0.2: 1000万 × 0.128 = 128万元 more revenue;
        # R&D 1900/52000 = 3.65% > 2.5% passes. B's 高企: high-tech revenue 25% (< 50%) and R&D 3.1% of 4%
        # fail, two criteria: out. C: 高企 listed, assets 3亿 over the 科技型中小企业 limit, no 2020 report.
        ("B", "gazelle", ("revenue_growth",), [("revenue_growth", "revenue", F(1_280_000))]),
    ]
    # D: 5% R&D → 40, a patent → 30: 70 ≥ 60 whatever its 科技人员; nothing fails for 高企 either (the rest is
    # not on the form: listed to confirm)
    assert summary(reader, "Z1102") == [("D", "tech_sme", (), []), ("D", "high_tech", (), [])]
    # E: R&D 1% → 0 points, at most 50; its 高企 high-tech revenue is 0
    assert summary(reader, "Z4201") == [("E", "tech_sme", ("score",), [("score", "score_max", F(10))])]
    (d_high,) = [c for c in zone_reserve(reader, ["Z1102"], 2023, Viewer.everyone()) if c.stage == "high_tech"]
    assert "rd_ratio (rd_y1, rd_y2, sales_y1, sales_y2 empty)" in d_high.unchecked


def _near(rd: float) -> list[str]:
    """A firm of 1000万 sales a year (5% R&D needed) with ``rd`` 千元 of R&D each year."""
    reports = {year: {"revenue": 10000.0, "rd_expenditure": rd, "employees": 100.0, "total_assets": 5000.0,
                      "valid_invention_patents": 1.0, "hitech_product_revenue": 7000.0} for year in (2021, 2022, 2023)}
    assert RULES is not None and MAPPING is not None and GAZELLE is not None and MARGINS is not None
    stages = enterprise_stages("E", "Z1101", 2023, reports, {"tech_sme": True}, RULES, MAPPING, GAZELLE)
    return [c.stage for c in reserve_of(stages, MARGINS)]


def test_the_margin_edge_is_exact() -> None:
    assert _near(400) == ["high_tech"]  # 1200/30000 = 4% = 5% − 1 point: near
    assert _near(399.99) == []  # just below
    assert _near(500) == ["high_tech"]  # 5%: nothing fails, the rest to confirm


def test_bad_margins_name_the_key() -> None:
    with pytest.raises(CatalogError, match="max_failed"):
        parse_reserve({"code": "reserve", "version": 2017, "high_tech": {"max_failed": -1}}, "r.yaml")
    with pytest.raises(CatalogError, match="unknown key"):
        parse_reserve({"code": "reserve", "version": 2017, "unicorn": {}}, "r.yaml")
    with pytest.raises(CatalogError, match=r"margins\.rd_ratio"):
        parse_reserve({"code": "reserve", "version": 2017, "high_tech": {"margins": {"rd_ratio": "1%"}}}, "r.yaml")


def test_the_reserve_command_writes_xlsx_and_csv(reader: Reader, tmp_path: Path) -> None:
    from hizone.cli import app

    args = ["ladder", "reserve", "--zone", "Z1101", "--year", "2023", "--analytics", str(reader.analytics.path)]
    out = tmp_path / "reserve.csv"
    outcome = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert "3 enterprise-rung(s) in the 后备库 of Z1101, 2023" in outcome.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["企业"], r["目标梯度"], r["未达标条件"]) for r in rows] == [
        (CODES["B"], "科技型中小企业", "score"), (CODES["A"], "高新技术企业", "rd_ratio"),
        (CODES["B"], "瞪羚企业", "revenue_growth")]
    assert rows[1]["差距"] == "研发费用再增加 24 万元即可达到 5%"
    assert rows[2]["差距"] == "营业收入再增加 128 万元即可达到增长要求（基期的 1.728 倍）"
    book = tmp_path / "reserve.xlsx"
    assert CliRunner().invoke(app, [*args, "--out", str(book)]).exit_code == 0
    cells = fastexcel.read_excel(book.read_bytes()).load_sheet(0, header_row=None).to_arrow().columns
    assert CODES["A"] in cells[1].to_pylist() and "研发费用再增加 24 万元即可达到 5%" in cells[4].to_pylist()
    bad = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "reserve.pdf")])
    assert bad.exit_code == 2 and ".xlsx or .csv" in bad.output and not (tmp_path / "reserve.pdf").exists()


# ---------------------------------------------------------------- through the web app (tests/web/seed.py)


def _candidates(client: TestClient, zone: str) -> Any:
    return client.get(f"/api/v1/ladder/zones/{zone}/reserve?year=2023")


def test_the_api_page_and_exports(clients: dict[str, TestClient], seeded: Seeded) -> None:
    # Enterprise 2 (Z1101, 2023): 6000万 sales, assets 1.2亿, R&D 2000/60000 = 3.3% → 20 points; 科技人员 and IP
    # are not on the seeded form: 20 + at most 50 reaches 60, nothing fails. Enterprise 1: assets 2.4亿 > 2亿.
    response = _candidates(clients["zone"], seeded.own_zone)
    assert response.status_code == 200, response.text
    assert [(c["credit_code"], c["stage"], c["failed"]) for c in response.json()["candidates"]] == [
        (credit_code(2), "tech_sme", [])]
    page = clients["zone"].get(f"/ladder/zones/{seeded.own_zone}?year=2023")
    assert 'id="ladder-reserve"' in page.text and "/reserve.xlsx?year=2023" in page.text
    export = clients["zone"].get(f"/ladder/zones/{seeded.own_zone}/reserve.csv?year=2023")
    assert export.status_code == 200 and credit_code(2) in export.text and credit_code(1) not in export.text
    assert clients["zone"].get(f"/ladder/zones/{seeded.own_zone}/reserve.xlsx?year=2023").content[:2] == b"PK"


def test_the_reserve_is_scoped(clients: dict[str, TestClient], seeded: Seeded) -> None:
    for role in ("zone", "province", "enterprise"):
        assert _candidates(clients[role], seeded.other_zone).status_code == 403, role
        assert clients[role].get(f"/ladder/zones/{seeded.other_zone}/reserve.csv").status_code == 403, role
    assert _candidates(clients["public"], seeded.own_zone).status_code == 401
    assert _candidates(clients["analyst"], seeded.other_zone).status_code == 200

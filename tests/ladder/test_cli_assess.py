"""`hizone ladder assess --data firms.csv --out out.csv`: the contract's columns and values, and bad input
refused naming file, row and column with exit code 2 and nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hizone.cli import app

runner = CliRunner()
INPUT = ["id", "year", "founded_year", "staff", "st_staff", "sales_y1", "sales_y2", "sales_y3", "rd_y1", "rd_y2",
         "rd_y3", "rd_domestic", "hitech_revenue", "total_assets", "net_assets_y1", "net_assets_y2", "net_assets_y3",
         "ip_class1", "ip_class2", "conversions", "ip_quality_points", "rd_management", "major_incident"]
# Written out here, not imported: the columns external checks rely on.
OUTPUT = ["id", "sme_score", "sme_eligible", "hte_rd_ratio", "hte_rd_threshold", "hte_failed", "hte_score_min",
          "hte_score_max", "hte_verdict"]
# A: staff 30/100 = 30% → 20; R&D 250万/5000万 = 5% → 40; class I → 30: score 90, eligible.
#    HTE: R&D (200+220+250)万 / (4000+4500+5000)万 = 670/13500 = 0.0496…; sales_y3 exactly 5000万 → 5%: fails.
#    IP 7–8 + 12; conversions 3 → 13–18; management 14; net assets ½(1200/1000 + 1500/1200) − 1 = 22.5% → 5–6;
#    sales ½(4500/4000 + 5000/4500) − 1 = 11.8% → 3–4: min 19+13+14+5+3 = 54, max 20+18+14+6+4 = 62.
FIRM_A = ["A", "2024", "2015", "100", "30", "40000000", "45000000", "50000000", "2000000", "2200000", "2500000",
          "95", "40000000", "80000000", "10000000", "12000000", "15000000", "1", "3", "3", "12", "14", "0"]


def cells(**changes: str) -> list[str]:
    row = dict(zip(INPUT, FIRM_A, strict=True))
    row.update(changes)
    return [row[name] for name in INPUT]


def write_firms(path: Path, rows: list[list[str]], header: list[str] = INPUT, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(tmp_path: Path, rows: list[list[str]], **options: object) -> tuple[int, str, Path]:
    data = write_firms(tmp_path / "firms.csv", rows, **options)  # type: ignore[arg-type]
    out = tmp_path / "out" / "out.csv"
    outcome = runner.invoke(app, ["ladder", "assess", "--data", str(data), "--out", str(out)])
    return outcome.exit_code, outcome.output, out


def read(out: Path) -> list[dict[str, str]]:
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == OUTPUT
        return list(reader)


def test_the_contracts_columns_and_values(tmp_path: Path) -> None:
    b = cells(id="B", staff="600", ip_class1="0", ip_class2="0", founded_year="2024")
    code, output, out = run(tmp_path, [FIRM_A, b])
    assert code == 0, output
    a_row, b_row = read(out)
    assert a_row == {"id": "A", "sme_score": "90", "sme_eligible": "true", "hte_rd_ratio": repr(670 / 13500),
                     "hte_rd_threshold": "0.05", "hte_failed": "rd_ratio", "hte_score_min": "54",
                     "hte_score_max": "62", "hte_verdict": "ineligible"}
    # B: 600 staff > 500; st_staff 30/600 = 5% → 0 points and < 10%; registered 2024 − 2024 = 0 years; no IP:
    # SME 0 + 40 + 0 = 40, false; HTE fails registered, ip, st_staff and rd_ratio; IP 0 + 12, the rest as A's:
    # min 12+13+14+5+3 = 47, max 12+18+14+6+4 = 54.
    assert (b_row["sme_score"], b_row["sme_eligible"]) == ("40", "false")
    assert b_row["hte_failed"] == "registered;ip;st_staff;rd_ratio"
    assert (b_row["hte_score_min"], b_row["hte_score_max"]) == ("47", "54")
    assert "2 firm(s) assessed" in output


def test_chinese_amounts_and_gbk_files_are_read(tmp_path: Path) -> None:
    # 5000万 is the 5000万 edge itself: the 5% threshold
    code, output, out = run(tmp_path, [cells(sales_y3="5000万", hitech_revenue="4000万", major_incident="否"),
                                       cells(id="B", major_incident="1.0", staff="100.0")], encoding="gbk")
    assert code == 0, output
    a_row, b_row = read(out)
    assert a_row["hte_rd_threshold"] == "0.05"
    assert (b_row["hte_failed"], b_row["sme_score"]) == ("rd_ratio;incident", "90")  # as a float column writes


def test_an_empty_cell_is_not_checkable_and_named(tmp_path: Path) -> None:
    code, output, out = run(tmp_path, [cells(rd_y3="", rd_domestic="")])
    assert code == 0, output
    row = read(out)[0]
    # SME: 20 + (0..50) + 30 = 50..100 straddles 60; HTE: rd_ratio fails no more, it is unknown
    assert (row["sme_score"], row["sme_eligible"]) == ("", "incomplete")
    assert (row["hte_rd_ratio"], row["hte_failed"], row["hte_verdict"]) == ("", "", "ineligible")  # max 62 ≤ 70
    assert "row 2, id A: not checkable: tech_sme.rd_share (rd_y3 empty); hightech.rd_ratio (rd_y3 empty); " \
           "hightech.rd_domestic (rd_domestic empty)" in output


@pytest.mark.parametrize(("changes", "where", "reason"), [
    ({"sales_y2": "-5"}, "row 2, column sales_y2", "negative"),
    ({"staff": "0"}, "row 2, column staff", "0: the shares of staff cannot be computed"),
    ({"st_staff": "101"}, "row 2, column st_staff", "more than staff (100): a share above 100%"),
    ({"rd_domestic": "100.5"}, "row 2, column rd_domestic", "above 100"),
    ({"hitech_revenue": "50000001"}, "row 2, column hitech_revenue", "a share above 100%"),
    ({"ip_quality_points": "23"}, "row 2, column ip_quality_points", "above 22"),
    ({"rd_management": "21"}, "row 2, column rd_management", "above 20"),
    ({"total_assets": "abc"}, "row 2, column total_assets", "not a number"),
    ({"staff": "10.5"}, "row 2, column staff", "expected a whole number"),
    ({"major_incident": "maybe"}, "row 2, column major_incident", "expected 1/0"),
    ({"founded_year": "2025"}, "row 2, column founded_year", "after the year assessed"),
    ({"year": ""}, "row 2, column year", "empty"),
    ({"year": "2015"}, "row 2, column year", "no rules for 2015"),
    ({"id": ""}, "row 2, column id", "empty"),
])
def test_bad_values_refuse_the_file(tmp_path: Path, changes: dict[str, str], where: str, reason: str) -> None:
    code, output, out = run(tmp_path, [FIRM_A, cells(id="OK2", year="2023"), cells(**{"id": "C", **changes})])
    assert code == 2
    message = " ".join(output.split())
    assert f"firms.csv: {where.replace('row 2', 'row 4')}: " in message and reason in message, output
    assert "nothing was written" in message
    assert not out.exists()


def test_missing_columns_refuse_the_file(tmp_path: Path) -> None:
    header = [name for name in INPUT if name not in ("rd_domestic", "major_incident")]
    row = [value for name, value in zip(INPUT, FIRM_A, strict=True) if name in header]
    code, output, out = run(tmp_path, [row], header=header)
    assert code == 2
    assert "firms.csv: row 1, column rd_domestic: missing column" in output
    assert "firms.csv: row 1, column major_incident: missing column" in output
    assert not out.exists()


def test_every_problem_is_listed_and_an_earlier_output_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out" / "out.csv"
    out.parent.mkdir()
    out.write_text("earlier", encoding="utf-8")
    code, output, _ = run(tmp_path, [FIRM_A, FIRM_A, cells(id="C", sales_y1="-1"), cells(id="D", st_staff="200"),
                                     FIRM_A[:5]])
    assert code == 2
    assert "row 3, column id: A 2024 is also on row 2" in output
    assert "row 4, column sales_y1: negative" in output
    assert "row 5, column st_staff" in output
    assert "firms.csv: row 6: 5 cells, the header has 23" in output
    assert out.read_text(encoding="utf-8") == "earlier"


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    outcome = runner.invoke(app, ["ladder", "assess", "--data", str(tmp_path / "none.csv"), "--out",
                                  str(tmp_path / "out.csv")])
    assert outcome.exit_code == 2
    assert "none.csv: file not found" in outcome.output

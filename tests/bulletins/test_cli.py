"""`hizone bulletins extract FILE --out facts.csv`: the contract's header and one row per fact."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from hizone.cli import app

runner = CliRunner()
HEADER = "file,start,end,subject,subject_name,metric,value,unit,period,qualifier,quote"
BULLETIN = """湘潭高新区加快建设智造谷

今年1-7月，湘潭高新区实现营业收入 514.2
亿元，同比增长7.57%；拥有高新技术企业154家。（供稿：湘潭高新区）
"""


def test_extract_writes_the_header_and_rows(tmp_path: Path) -> None:
    source, out = tmp_path / "bulletin.txt", tmp_path / "facts.csv"
    source.write_text(BULLETIN, encoding="utf-8")
    result = runner.invoke(app, ["bulletins", "extract", str(source), "--out", str(out), "--date", "2022-09-15"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    quote = "今年1-7月，湘潭高新区实现营业收入 514.2\n亿元，同比增长7.57%；拥有高新技术企业154家。"
    start = BULLETIN.index("今年")
    expected = [
        ["51420000000", "元", "revenue", "2022-01..07"],
        ["7.57", "%", "revenue_yoy", "2022-01..07"],
        ["154", "家", "high_tech_enterprise_count", "2022-01..07"],
    ]
    assert [[r["value"], r["unit"], r["metric"], r["period"]] for r in rows] == expected
    for row in rows:
        assert (row["file"], row["subject"], row["subject_name"], row["qualifier"]) == \
            ("bulletin.txt", "Z4303", "湘潭高新技术产业开发区", "")
        assert (int(row["start"]), int(row["end"]), row["quote"]) == (start, start + len(quote), quote)
        assert BULLETIN[int(row["start"]):int(row["end"])] == row["quote"]


def test_the_issue_date_comes_from_the_bulletin_without_date(tmp_path: Path) -> None:
    source, out = tmp_path / "bulletin.txt", tmp_path / "facts.csv"
    source.write_text("火炬动态 2023年第2期\n\n" + BULLETIN, encoding="utf-8")
    assert runner.invoke(app, ["bulletins", "extract", str(source), "--out", str(out)]).exit_code == 0
    assert {r["period"] for r in csv.DictReader(out.open(encoding="utf-8"))} == {"2023-01..07"}


def test_a_bad_file_or_date_is_one_line_and_exit_2(tmp_path: Path) -> None:
    source, out = tmp_path / "gbk.txt", tmp_path / "facts.csv"
    source.write_bytes(BULLETIN.encode("gbk"))
    result = runner.invoke(app, ["bulletins", "extract", str(source), "--out", str(out)])
    assert result.exit_code == 2 and "not UTF-8 text" in result.output and "Traceback" not in result.output
    assert not out.exists()
    source.write_text(BULLETIN, encoding="utf-8")
    result = runner.invoke(app, ["bulletins", "extract", str(source), "--out", str(out), "--date", "2022-13-01"])
    assert result.exit_code == 2 and "--date" in result.output

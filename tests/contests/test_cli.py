"""`hizone contests ...` end to end on the tiny contest (test_store's data): files in, the xlsx results out."""

from __future__ import annotations

from pathlib import Path

import fastexcel
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.cli import app
from hizone.contests import service
from tests.contests.test_store import ADMIN, EDITION, contest  # noqa: F401  (the fixture)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["contests", *args])
    return result.exit_code, result.output


@pytest.fixture
def store(contest: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:  # noqa: F811
    monkeypatch.setenv("HIZONE_DATABASE_URL", contest.url.render_as_string(hide_password=False))
    return contest


def test_scores_from_a_file_and_the_results_workbook(store: Engine, tmp_path: Path) -> None:
    assert run("assign", "--edition", EDITION, "--stage", "signup")[0] == 0
    mine = tmp_path / "jud1.csv"
    mine.write_text("judge,entry,a,b\njud1,E2,9,9\njud1,E3,10,8\n", encoding="utf-8")
    code, out = run("score", "--edition", EDITION, "--file", str(mine), "--user", "jud1")
    assert (code, out.strip()) == (0, "2 scores, 2 changed")
    bad = tmp_path / "bad.csv"
    bad.write_text("judge,entry,a,b\njud1,E1,5,5\njud1,E2,5,12\n", encoding="utf-8")
    code, out = run("score", "--edition", EDITION, "--file", str(bad), "--user", "jud1")
    assert code != 0
    assert "row 1, entry: entry E1 is not assigned to jud1" in out and "row 2, entry E2: row 1, b: 12 is outside" in out
    for name, rows in (("jud2", "jud2,E1,8,8\njud2,E2,7,9\n"), ("jud3", "jud3,E1,6,6\njud3,E3,9,9\n")):
        path = tmp_path / f"{name}.csv"
        path.write_text("judge,entry,a,b\n" + rows, encoding="utf-8")
        assert run("score", "--edition", EDITION, "--file", str(path), "--user", name)[0] == 0
    book = tmp_path / "results.xlsx"
    code, out = run("results", "--edition", EDITION, "--stage", "signup", "--out", str(book))
    assert code == 0, out
    sheet = fastexcel.read_excel(book.read_bytes()).load_sheet(0, header_row=None)
    columns = [c.to_pylist() for c in sheet.to_arrow().columns]
    rows = [[column[i] for column in columns] for i in range(len(columns[0]))]
    # rank, code, name, zone, field, raw mean, corrected value (plain means: the same), advances
    found = [r[:2] + r[5:8] for r in rows if r[1] in ("E1", "E2", "E3")]
    assert found == [["1", "E3", "9", "9", "否"], ["2", "E2", "8.5", "8.5", "是"], ["3", "E1", "7", "7", "否"]]
    code, out = run("advance", "--edition", EDITION, "--stage", "signup")
    assert "signup → national: 1 of 3 (E2)" in out and "refused E3: 成长组进入全国赛需" in out
    assert {e.code: e.stage for e in service.entries(store, ADMIN, EDITION)}["E2"] == "national"


def test_an_entry_file_with_a_bad_cell_is_refused(store: Engine, tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text("code,credit_code,revenue\nE8,91110000A000000013,lots\n", encoding="utf-8")
    code, out = run("enter", "--edition", EDITION, "--file", str(path))
    assert code != 0 and "row 2, column revenue: 'lots' is not a number (yuan)" in out

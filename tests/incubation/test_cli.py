"""`hizone incubation …` on a store named by HIZONE_DATABASE_URL: imports, a refused file (exit 2, one line per
problem), the chain with its .xlsx."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fastexcel
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.cli import app
from hizone.registry.sync import sync_store
from tests.registry.lists_factory import code, write


def test_imports_chain_and_a_refused_file(engine: Engine, database_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    sync_store(engine)
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    runner = CliRunner()
    carriers = write(tmp_path / "c", "csv-utf8", [["载体代码", "载体名称", "载体类型", "高新区代码"],
                                                 ["C1", "甲孵化器", "孵化器", "Z1101"],
                                                 ["C2", "乙加速器", "加速器", "Z1101"]])
    done = runner.invoke(app, ["incubation", "import-carriers", str(carriers)])
    assert done.exit_code == 0 and "2 added, 0 updated" in done.output
    stays = write(tmp_path / "s", "csv-utf8", [["载体代码", "统一社会信用代码", "入孵日期", "毕业日期"],
                                              ["C1", code(1), dt.date(2020, 1, 1), dt.date(2019, 1, 1)]])
    refused = runner.invoke(app, ["incubation", "import-incubatees", str(stays)])
    assert refused.exit_code == 2
    assert "s.csv, row 2, column D: graduation 2019-01-01 before entry 2020-01-01" in refused.output
    good = write(tmp_path / "g", "csv-utf8", [["载体代码", "统一社会信用代码", "入孵日期"],
                                             ["C1", code(1), dt.date(2023, 1, 1)],
                                             ["C2", code(2), dt.date(2023, 1, 1)]])
    assert runner.invoke(app, ["incubation", "import-incubatees", str(good)]).exit_code == 0
    out = tmp_path / "chain.xlsx"
    chain = runner.invoke(app, ["incubation", "chain", "--zone", "Z1101", "--xlsx", str(out)])
    assert chain.exit_code == 0 and "孵化器: carriers 1, national 0, in incubation 1" in chain.output
    sheet = fastexcel.read_excel(out.read_bytes()).load_sheet("carriers", header_row=None).to_arrow()
    assert "乙加速器" in [str(v) for column in sheet.columns for v in column.to_pylist()]
    check = runner.invoke(app, ["incubation", "check", "C1"])
    assert check.exit_code == 0 and "no annual report to check" in check.output

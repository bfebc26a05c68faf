"""Exports open safely in a spreadsheet: text a user chose (a username tried at the login, an uploaded file's name
or cell) never becomes a formula, in the CSV (OWASP: a leading quote, every field quoted) nor in the .xlsx
(text cells are strings, the workbook holds no formula); genuine numbers stay numbers."""

from __future__ import annotations

import io
import re
import zipfile

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hizone.exports import write_csv
from hizone.web.services.tables import Column, Table, to_csv, to_xlsx
from tests.web.conftest import csrf_of
from tests.web.tables import csv_rows, xlsx_rows
from tests.web.test_reporting import credit_code, post_file, report_csv

PAYLOADS = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1-1", "-2+3", "\t=1+1", "\r=1+1", "＝1+1", "＋1", "－1", "＠A1"]
FORMULA = re.compile(rb"<f[ >]")
QUOTED_CSV = re.compile(r'("([^"]|"")*"(,|\r\n))+')


def _fail_login_as(app: FastAPI, username: str, address: str) -> None:
    with TestClient(app, client=(address, 5000)) as anonymous:
        response = anonymous.post("/login", data={"username": username, "password": "wrong-password",
                                                  "csrf_token": csrf_of(anonymous)})
        assert response.status_code == 401


def _formulas_in(workbook: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        return [name for name in archive.namelist()
                if name.startswith("xl/worksheets/") and FORMULA.search(archive.read(name))]


def test_failed_logins_with_formula_usernames_are_neutralised_in_the_audit_export(
        app: FastAPI, clients: dict[str, TestClient]) -> None:
    for n, payload in enumerate(PAYLOADS):
        _fail_login_as(app, payload, f"198.51.100.{n + 1}")
    admin = clients["admin"]
    raw = admin.get("/admin/audit/export.csv?action=login_failed").content
    actors = [row[2] for row in csv_rows(raw)[1:]]
    assert sorted(actors) == sorted("'" + payload for payload in PAYLOADS)
    text = raw.decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text  # quoted, its own quotes doubled
    assert QUOTED_CSV.fullmatch(text)  # every field quoted

    workbook = admin.get("/admin/audit/export.xlsx?action=login_failed").content
    assert _formulas_in(workbook) == []
    in_cells = [row[2] for row in xlsx_rows(workbook, "#")[1:]]
    assert sorted(in_cells) == sorted(PAYLOADS)  # the text itself, as a string cell


def test_an_uploaded_files_name_and_cells_are_neutralised_in_its_problems_export(
        clients: dict[str, TestClient]) -> None:
    zone = clients["zone"]
    bad = report_csv([[credit_code(1), "测试企业1", "Z1101", "=1+1", 13_000, 10_000, 260_000, 115]])
    page = post_file(zone, bad, name="@SUM(1).csv").text  # type: ignore[attr-defined]
    base = re.search(r'href="(/reporting/errors/[\w-]+/export)\.csv"', page)
    assert base, "no problems export offered"
    rows = csv_rows(zone.get(f"{base.group(1)}.csv").content)
    assert rows[1][1] == "'@SUM(1).csv" and rows[1][6] == "'=1+1"
    assert _formulas_in(zone.get(f"{base.group(1)}.xlsx").content) == []


def test_numbers_stay_numbers_and_only_text_is_neutralised() -> None:
    buffer = io.StringIO()
    write_csv(buffer, ["n", "text", "int", "blank", "plain"], [[-12.5, "-12.5", -3, None, "ok"]], lineterminator="\n")
    assert buffer.getvalue() == '"n","text","int","blank","plain"\n"-12.5","\'-12.5","-3","","ok"\n'
    table = Table("t", [Column("name", "名称"), Column("change", "变化", "pct")],
                  [{"name": "-A", "change": -12.5}, {"name": "B", "change": 3.0}])
    assert csv_rows(to_csv(table))[1:] == [["'-A", "-12.5"], ["B", "3.0"]]
    workbook = to_xlsx(table, "=title", synthetic=True)
    assert _formulas_in(workbook) == []
    assert xlsx_rows(workbook, "名称")[1:] == [["-A", "-12.5"], ["B", "3"]]

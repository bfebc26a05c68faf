"""The field check's fast path: the typed row laid out in the web process (``row_sheet``) and checked in this
thread (``validate_read``) finds exactly what an upload of the same row (``row_file`` through the readers in the
worker, ``validate_file``) finds: the same issues, field for field, message for message, and the same counts."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.catalog import default_catalog
from hizone.intake import validate
from hizone.intake.readers import read_source
from hizone.intake.rules import rules_for
from hizone.intake.service import validate_file, validate_read
from hizone.online.form import row_file, row_sheet
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded, credit_code

FORM, PERIOD = "enterprise_annual", "2024"
GOOD = {"revenue": "13万", "total_profit": "1.3万", "net_profit": "10,000", "total_assets": "260,000",
        "employees": "115"}
# Each a row as someone might type it; the expected (field, rule) pairs are worked out by hand from the rules YAML
# (enterprise_annual-2019) and the seeded 2023 report of enterprise 1 (its latest revision: revenue 999,999 千元,
# employees 1), and are checked below beside the equality of the two paths.
BAD: dict[str, tuple[dict[str, str], set[tuple[str, str]]]] = {
    "text in a number field": ({**GOOD, "revenue": "一百万?"}, {("revenue", "not_a_number")}),
    "digits after the unit": ({**GOOD, "total_assets": "12万3"}, {("total_assets", "not_a_number")}),
    "a unit of another kind": ({**GOOD, "total_assets": "12吨"}, {("total_assets", "unknown_unit")}),
    "out of range": ({**GOOD, "employees": "3,000,000"}, {("employees", "above_max")}),
    "below zero": ({**GOOD, "rd_fte": "-2"}, {("rd_fte", "below_min")}),
    "a fraction of a person": ({**GOOD, "employees": "10.5"}, {("employees", "integer")}),
    "required left blank": ({k: v for k, v in GOOD.items() if k != "employees"}, {("employees", "required")}),
    "万 and 亿 with a warning to confirm": ({**GOOD, "revenue": "1.5亿"}, {("revenue", "outlier")}),
    "thousands separators and full-width digits": ({**GOOD, "net_profit": "１２,３４５", "rd_staff": "1,000"},
                                                   {("rd_staff", "cross:rd_staff_le_employees")}),
    "a formula": ({**GOOD, "payroll": "=A1*2"}, {("payroll", "formula")}),
    "infinity": ({**GOOD, "payroll": "1e400"}, {("payroll", "not_a_number")}),
    "all good": (GOOD, set()),
}


def _enterprise() -> Principal:
    return Principal("enterprise1", "enterprise", province_code="11", zone_code="Z1101", credit_code=credit_code(1))


def _same(a: object, b: object) -> None:
    assert dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b)
    left = {k: v for k, v in vars(a).items() if k != "raw"}
    right = {k: v for k, v in vars(b).items() if k != "raw"}
    assert left == right


@pytest.mark.parametrize("values", [GOOD, {"revenue": " 1,2 ", "note": "x"}, {"revenue": 'a "quoted", b'},
                                    {"revenue": "two\nlines", "employees": ""}, {"bogus": "9"}, {}])
def test_the_row_sheet_is_the_sheet_the_csv_reader_makes_of_the_row_file(values: dict[str, str]) -> None:
    for form, key, zone in ((FORM, credit_code(1), "Z1101"), ("zone_monthly", "Z1101", "Z1101"),
                            ("talent_report", "Z1101", "Z1101")):
        rules = rules_for(form, 2024)
        fast = row_sheet(rules, key, values, zone)
        read = read_source(row_file(rules, key, values, zone), rules, default_catalog(), name="online.csv")
        assert fast.table.equals(read.table), (fast.table.to_pylist(), read.table.to_pylist())
        assert (fast.source_name, fast.sha256, fast.kind, fast.sheet, fast.labels, fast.header_row,
                fast.preamble, fast.first_column) == (read.source_name, read.sha256, read.kind, read.sheet,
                                                      read.labels, read.header_row, read.preamble,
                                                      read.first_column)
        # The row ends on line 2, or on line 3 after a value of the form's written on two lines.
        two_lines = "two\nlines" in values.values() and "revenue" in rules.form.element_codes
        assert fast.row_numbers.tolist() == read.row_numbers.tolist() == [3 if two_lines else 2]


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_fast_check_finds_what_an_upload_of_the_row_finds(engine: Engine, seeded: Seeded, case: str) -> None:
    values, expected = BAD[case]
    rules = rules_for(FORM, 2024)
    for principal, key in ((_enterprise(), seeded.own_enterprise),
                           (Principal("zone1", "zone", province_code="11", zone_code="Z1101"), seeded.own_enterprise),
                           (Principal("analyst1", "analyst"), seeded.other_enterprise)):
        zone = "Z1101" if key == seeded.own_enterprise else "Z4401"
        fast = validate_read(engine, row_sheet(rules, key, values, zone), FORM, PERIOD, principal, entities=[key])
        upload = validate_file(engine, row_file(rules, key, values, zone), FORM, PERIOD, principal,
                               name="online.csv", entities=[key])
        _same(fast, upload)
        assert fast.issues == upload.issues and fast.counts == upload.counts
        if key == seeded.own_enterprise:
            assert {(i.field, i.rule) for i in fast.issues} == expected, [(i.field, i.rule, i.value)
                                                                          for i in fast.issues]


def test_the_fast_check_agrees_on_an_enterprise_to_register_and_one_outside_the_scope(engine: Engine,
                                                                                     seeded: Seeded) -> None:
    rules = rules_for(FORM, 2024)
    zone_user = Principal("zone1", "zone", province_code="11", zone_code="Z1101")
    unknown = credit_code(77)  # valid, registered nowhere: the form registers it (register_unknown)
    for principal, key, zone in ((zone_user, unknown, "Z1101"), (zone_user, seeded.other_enterprise, "Z4401"),
                                 (zone_user, unknown, "Z9999"), (_enterprise(), seeded.other_enterprise, "Z4401")):
        fast = validate_read(engine, row_sheet(rules, key, GOOD, zone), FORM, PERIOD, principal, entities=[key])
        upload = validate_file(engine, row_file(rules, key, GOOD, zone), FORM, PERIOD, principal,
                               name="online.csv", entities=[key])
        _same(fast, upload)
    outside = validate_read(engine, row_sheet(rules, seeded.other_enterprise, GOOD, "Z4401"), FORM, PERIOD,
                            zone_user, entities=[seeded.other_enterprise])
    assert [i.rule for i in outside.issues] == ["out_of_scope"]


def test_the_check_page_answers_as_the_upload_would(clients: dict[str, TestClient], engine: Engine,
                                                    seeded: Seeded) -> None:
    """Through the web: POST …/check gives the issues of an upload of the same row, in the same order."""
    client = clients["enterprise"]
    url = f"/reporting/online/{FORM}/{PERIOD}"
    rules = rules_for(FORM, 2024)
    for values, _ in BAD.values():
        answer = client.post(url + "/check", data={**values, "csrf_token": csrf_of(client, url)}).json()
        upload = validate_file(engine, row_file(rules, seeded.own_enterprise, values, "Z1101"), FORM, PERIOD,
                               _enterprise(), name="online.csv", entities=[seeded.own_enterprise])
        assert answer["errors"] == upload.error_count and answer["warnings"] == upload.warning_count
        listed = [i for i in upload.issues if i.rule != "unknown_column"]
        assert [(i["field"], i["rule"], i["value"], i["zh"], i["en"]) for i in answer["issues"]] == \
            [(i.field, i.rule, i.value, i.message_zh, i.message_en) for i in listed]


CELLS = ["12", "1,234", " 6", "3万", "1.5亿", "１２", "-", "", None, "abc", "12吨", "=1+1", "1e400", "+5", "-0",
         ".5", "5.", "1,2,3", "2万元", "inf", "NaN", "１，２３４．５", "12 万"]


def test_a_small_sheet_parses_as_the_query_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grammar in Python for a few rows (parse_number) and DuckDB's query for many: the same values and
    statuses, bit for bit, for every element of the form (money, people, the units' own suffixes)."""
    rules = rules_for(FORM, 2024)
    catalog = default_catalog()
    codes = rules.form.element_codes
    table = pa.table({"c0": pa.array(["X"] * len(CELLS))} |
                     {f"c{i + 1}": pa.array(CELLS[i % len(CELLS):] + CELLS[:i % len(CELLS)], pa.string())
                      for i in range(len(codes))})
    raw = dataclasses.replace(row_sheet(rules, "X", {}), table=table, labels=["credit_code", *codes],
                              row_numbers=pa.array(range(2, 2 + len(CELLS))).to_numpy())
    columns = validate.check_sheet(raw, rules, PERIOD, validate.Context()).columns
    small = validate.parse_cells(raw, columns, catalog)
    monkeypatch.setattr(validate, "SMALL_SHEET_CELLS", 0)
    monkeypatch.setattr(validate, "SMALL_SHEET_ROWS", 0)
    large = validate.parse_cells(raw, columns, catalog)
    assert small.keys() == large.keys()
    for name in small:
        assert small[name].tolist() == large[name].tolist() or (
            small[name].dtype.kind == "f" and
            [str(v) for v in small[name].tolist()] == [str(v) for v in large[name].tolist()]), name

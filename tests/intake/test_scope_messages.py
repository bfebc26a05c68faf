"""A scoped submitter's validation report tells nothing about entities outside its scope (SQLite and PostgreSQL).

Last year's values are distinctive numbers; the report of a file with rows outside the scope must not hold
them, nor the zone an enterprise is registered in, nor whether it is registered at all.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.intake.errors_report import ValidationReport
from hizone.intake.service import import_file, validate_file
from tests.intake.factory import TODAY, credit_code, csv_bytes, good_rows, seed_registry

FORM = "enterprise_annual"
# Last year's revenue of each enterprise (codes[i] is in Z1101, Z1102, Z3101 for i % 3 = 0, 1, 2).
PREVIOUS = [7777.123, 6666.234, 5555.345, 4444.456, 3333.567, 2222.678]
ZONE_USER = Principal("zone1101", "zone", "11", "Z1101")
PROVINCE_USER = Principal("province11", "province", "11")


def _seed(engine: Engine) -> list[str]:
    codes = seed_registry(engine, 6)
    rows = good_rows(codes)
    for row, revenue in zip(rows, PREVIOUS, strict=True):
        row[3] = revenue
    assert import_file(engine, csv_bytes(rows), FORM, "2020", "admin", today=TODAY).stored
    return codes


def _row(code: str, zone: str, revenue: float) -> list[object]:
    return [code, "企业", zone, revenue, 100, 80, 5000, 60, 10, 30, 200]


def _text(report: ValidationReport) -> str:
    return report.to_json_text() + "".join(i.message_zh + i.message_en for i in report.issues)


def _assert_silent_about(report: ValidationReport, *secrets: str) -> None:
    text = _text(report)
    leaked = [s for s in secrets if s in text]
    assert leaked == [], f"the report tells {leaked}: {text}"


def _by_row(report: ValidationReport) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for issue in report.issues:
        found.setdefault(issue.row or 0, []).append((issue.rule, issue.message_en.replace(issue.value or "", "…")))
    return found


def test_a_zone_user_learns_nothing_of_another_zones_enterprise(engine: Engine) -> None:
    codes = _seed(engine)
    rows = [_row(codes[0], "Z1101", PREVIOUS[0] * 800),  # its own, 800× last year: compared
            _row(codes[2], "Z1101", PREVIOUS[2] * 800),  # registered in Z3101, stated as Z1101
            _row(codes[1], "", PREVIOUS[1] * 700),  # registered in Z1102 (same province), no zone stated
            _row(credit_code(777), "Z1101", 1000)]  # valid code, registered nowhere
    report = validate_file(engine, csv_bytes(rows), FORM, "2021", ZONE_USER, today=TODAY)
    issues = _by_row(report)
    assert [rule for rule, _ in issues[2]] == ["outlier"]  # the own row is compared with its last year
    assert "7777.123" in issues[2][0][1]
    for row in (3, 4):
        assert [rule for rule, _ in issues[row]] == ["out_of_scope"], issues[row]
    # One message for any enterprise registered outside the zone, whichever zone that is.
    assert issues[3] == issues[4]
    # One registered nowhere, stated in the user's own zone, is the zone's to register (credit code, name and
    # zone are enough): the row says nothing at all.
    assert 5 not in issues
    _assert_silent_about(report, "Z3101", "Z1102", "5555.345", "6666.234", "registered in", "登记在",
                         "not in the registry")


def test_a_province_user_is_told_about_its_own_zones_only(engine: Engine) -> None:
    codes = _seed(engine)
    rows = [_row(codes[1], "Z1101", PREVIOUS[1] * 900),  # in Z1102 (own province), stated as Z1101
            _row(codes[2], "Z1101", PREVIOUS[2] * 900),  # Shanghai
            _row(codes[5], "Z3101", PREVIOUS[5] * 900)]  # Shanghai, stated right
    report = validate_file(engine, csv_bytes(rows), FORM, "2021", PROVINCE_USER, today=TODAY)
    issues = _by_row(report)
    assert sorted(rule for rule, _ in issues[2]) == ["outlier", "wrong_zone"]
    assert any("Z1102" in message for _, message in issues[2])  # a zone of its own province: told
    assert [rule for rule, _ in issues[3]] == ["out_of_scope"] and issues[3] == issues[4]
    _assert_silent_about(report, "5555.345", "2222.678", "registered in zone Z3101", "registered in Z3101")


def test_an_enterprise_user_is_told_about_itself_only(engine: Engine) -> None:
    codes = _seed(engine)
    me = Principal("ent1", "enterprise", "11", "Z1101", codes[0])
    rows = [_row(codes[0], "Z1101", PREVIOUS[0] * 800), _row(codes[3], "Z1101", PREVIOUS[3] * 800),
            _row(codes[2], "Z1101", PREVIOUS[2] * 800)]  # codes[3]: same zone; codes[2]: another province
    result = import_file(engine, csv_bytes(rows), FORM, "2021", me, today=TODAY)
    assert result.status == "rejected" and result.report is not None
    issues = _by_row(result.report)
    assert [rule for rule, _ in issues[2]] == ["outlier"]
    assert [rule for rule, _ in issues[3]] == ["out_of_scope"] and issues[3] == issues[4]
    _assert_silent_about(result.report, "4444.456", "5555.345", "Z3101")


def test_national_users_keep_the_registry_messages(engine: Engine) -> None:
    codes = _seed(engine)
    rows = [_row(codes[2], "Z1101", PREVIOUS[2] * 800), _row(credit_code(777), "Z1101", 1000)]
    report = validate_file(engine, csv_bytes(rows), FORM, "2021", "admin", today=TODAY)
    assert {(i.rule, i.row) for i in report.issues} == {("wrong_zone", 2), ("outlier", 2)}
    assert "5555.345" in _text(report) and "Z3101" in _text(report)


@pytest.mark.parametrize("actor", [ZONE_USER, PROVINCE_USER])
def test_monthly_reports_of_other_zones_are_refused_without_their_figures(engine: Engine, actor: Principal) -> None:
    seed_registry(engine, 0)
    header = ["高新区代码", "营业收入", "工业总产值", "净利润", "实际上缴税费", "出口总额", "从业人员"]
    last = [["Z1101", 8888.123, 100, 10, 5, 20, 1000], ["Z3101", 3407.6, 100, 10, 5, 20, 1000]]
    assert import_file(engine, csv_bytes(last, header=header), "zone_monthly", "2022-03", "admin", today=TODAY).stored
    now = [["Z1101", 8888.123 * 700, 100, 10, 5, 20, 1000], ["Z3101", 3407.6 * 764.7, 100, 10, 5, 20, 1000]]
    report = validate_file(engine, csv_bytes(now, header=header), "zone_monthly", "2023-03", actor, today=TODAY)
    issues = _by_row(report)
    assert [rule for rule, _ in issues[2]] == ["outlier"] and "8888.123" in issues[2][0][1]
    assert [rule for rule, _ in issues[3]] == ["out_of_scope"]
    _assert_silent_about(report, "3407.6", "764.7")


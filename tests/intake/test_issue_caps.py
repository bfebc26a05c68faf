"""Issue caps: a report lists the first issues of each rule and counts every one exactly."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from hizone.intake.errors_report import IssueTally
from hizone.intake.service import import_file
from hizone.intake.validate import validate
from hizone.store.models import ImportBatch, Submission
from tests.intake.factory import TODAY, credit_code, csv_bytes, good_rows, seed_registry


def bad_rows(count: int) -> list[list[object]]:
    """Each row: a credit code one character short, revenue not a number, a negative head count: three errors."""
    rows = good_rows([credit_code(i + 1) for i in range(count)])
    for i, row in enumerate(rows):
        row[0] = credit_code(i + 1)[:17]
        row[3] = "abc"
        row[7] = -5
    return rows


def test_a_tally_keeps_the_first_of_each_rule_and_counts_all() -> None:
    tally = IssueTally(limit=5)
    assert [tally.room("error", "a", 3), tally.room("error", "a", 3), tally.room("error", "a", 3),
            tally.room("warning", "b", 2)] == [3, 2, 0, 2]
    assert tally.counts == Counter({("error", "a"): 9, ("warning", "b"): 2})


def test_forty_thousand_bad_rows_list_a_thousand_issues_and_count_all_of_them() -> None:
    report = validate(csv_bytes(bad_rows(40_000)), "enterprise_annual", "2021", name="bad.csv")
    assert len(report.issues) == 1000
    assert report.counts == Counter({("error", "credit_code"): 40_000, ("error", "not_a_number"): 40_000,
                                     ("error", "below_min"): 40_000})
    assert report.error_count == 120_000
    listed = Counter(i.rule for i in report.issues)
    assert [i.row for i in report.issues] == sorted(i.row for i in report.issues)  # the first rows of the file
    assert report.omitted_lines() == [(f"……另有{40_000 - listed[r]}条“{r}”问题未列出",
                                       f"… and {40_000 - listed[r]} more of rule {r}")
                                      for r in ("below_min", "credit_code", "not_a_number")]


def test_the_json_and_the_workbook_carry_the_counts_and_the_lines_for_what_is_not_listed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_INTAKE_MAX_ISSUES", "10")
    report = validate(csv_bytes(bad_rows(50)), "enterprise_annual", "2021", name="bad.csv")
    doc = json.loads(report.to_json_text())
    assert (doc["error_count"], len(doc["issues"])) == (150, 10)
    assert {(c["rule"], c["count"]) for c in doc["issue_counts"]} == \
        {("credit_code", 50), ("not_a_number", 50), ("below_min", 50)}
    assert sum(o["count"] for o in doc["omitted"]) == 140
    assert all(o["message_en"] == f"… and {o['count']} more of rule {o['rule']}" for o in doc["omitted"])
    problems = load_workbook(io.BytesIO(report.to_xlsx()))["问题清单 Problems"]
    messages = [row[10] for row in problems.iter_rows(min_row=2, values_only=True)]
    assert len(messages) == 10 + len(doc["omitted"])
    assert messages[10:] == [o["message_en"] for o in doc["omitted"]]


def test_an_import_refused_for_many_errors_says_how_many_and_stores_nothing(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_INTAKE_MAX_ISSUES", "10")
    seed_registry(engine)
    result = import_file(engine, csv_bytes(bad_rows(30)), "enterprise_annual", "2021", "tester", name="bad.csv",
                         today=TODAY)
    assert result.status == "rejected"
    assert result.summary() == "90 error(s): nothing stored"
    assert result.report is not None and len(result.report.issues) == 10
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Submission)) == 0
        assert conn.scalar(select(func.count()).select_from(ImportBatch)) == 0

from datetime import date

from hizone.incubation.engine import (
    grades,
    graduated,
    months_between,
    overdue,
    self_check,
    validate_carriers,
    validate_incubatees,
)


def test_self_check_variants():
    fig = {"incubated": 40, "graduated": 16, "space_m2": 12000}
    general = {c.code: c.passed for c in self_check(fig, "综合")}
    special = {c.code: c.passed for c in self_check(fig, "专业")}
    assert general["incubated"] is False and special["incubated"] is True
    assert general["graduated"] is False and special["graduated"] is True
    assert general["space"] is True and general["fund"] is None


def test_overdue_and_graduation():
    assert months_between(date(2020, 1, 15), date(2024, 1, 14)) == 47
    assert not overdue(date(2020, 1, 1), date(2024, 1, 1))
    assert overdue(date(2020, 1, 1), date(2024, 2, 1))
    assert graduated(False, 600, 0, False) == "financing"
    assert graduated(False, 500, 1000, False) is None


def test_grades_default_shares():
    scores = {f"c{i:04d}": float(i) for i in range(1277)}
    g = grades(scores)
    counts = {k: list(g.values()).count(k) for k in "ABCD"}
    assert counts == {"A": 386, "B": 617, "C": 262, "D": 12}
    assert g["c1276"] == "A" and g["c0000"] == "D"


def test_validation_rows():
    rows = [
        {"credit_code": "X", "carrier": "a", "entry": date(2021, 1, 1), "graduation": None},
        {"credit_code": "X", "carrier": "b", "entry": date(2021, 3, 1), "graduation": date(2020, 1, 1)},
        {"credit_code": "Y", "carrier": "b", "entry": date(2021, 3, 1), "graduation": None},
    ]
    errs = validate_incubatees("in.csv", rows)
    assert [(e.row, e.column) for e in errs] == [(3, "graduation")]
    rows[1]["graduation"] = None
    assert [(e.row, e.column) for e in validate_incubatees("in.csv", rows)] == [(3, "credit_code")]
    carriers = [{"code": "k1", "level": "国家级", "space_total": 100, "space_office": 60, "space_public": 50}]
    errs = validate_carriers("c.csv", carriers, {"k1": {"省级"}})
    assert [(e.file, e.row, e.column) for e in errs] == [("c.csv", 2, "level"), ("c.csv", 2, "space_total")]

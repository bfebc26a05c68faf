"""The energy and zone carbon forms go through the existing intake: validation rules, then stored revisions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from hizone.intake.service import import_file, list_submissions
from tests.analytics.fixture import populate
from tests.intake.factory import credit_code, csv_bytes

TODAY = dt.date(2024, 3, 1)
# Enterprises not yet in the registry (the form registers them, as the annual report does).
CODES = {"E1": credit_code(101), "E2": credit_code(102)}
ENERGY_HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "外购电力", "其中：绿色电力", "天然气", "柴油"]


def test_an_energy_report_is_imported_and_green_power_above_the_purchase_is_refused(engine: Engine) -> None:
    populate(engine, monthly=False)
    bad = csv_bytes([[CODES["E1"], "E1", "Z1101", 100, 120, 5, 10]], ENERGY_HEADER)
    refused = import_file(engine, bad, "enterprise_energy", "2023", "admin", name="energy.csv", today=TODAY)
    assert refused.status == "rejected"
    assert refused.report is not None
    [issue] = [i for i in refused.report.issues if i.severity == "error"]
    assert (issue.rule, issue.row, issue.field) == ("cross:green_le_purchased", 2, "en_green_electricity")
    negative = csv_bytes([[CODES["E1"], "E1", "Z1101", 100, 20, -5, 10]], ENERGY_HEADER)
    assert import_file(engine, negative, "enterprise_energy", "2023", "admin", name="energy.csv",
                       today=TODAY).status == "rejected"
    assert list_submissions(engine, form="enterprise_energy") == []
    good = csv_bytes([[CODES["E1"], "E1", "Z1101", 100, 20, 5, 10], [CODES["E2"], "E2", "Z1101", 30, 0, 0, 2]],
                     ENERGY_HEADER)
    stored = import_file(engine, good, "enterprise_energy", "2023", "admin", name="energy.csv", today=TODAY)
    assert stored.status == "stored" and stored.created == 2


def test_a_zone_carbon_report_is_imported_for_a_known_zone_only(engine: Engine) -> None:
    populate(engine, monthly=False)
    header = ["高新区代码", "绿地面积", "可再生能源装机容量", "核证减排量", "碳汇量"]
    unknown = csv_bytes([["Z9999", 120, 5000, 300, 40]], header)
    assert import_file(engine, unknown, "zone_carbon_annual", "2023", "admin", name="zone.csv",
                       today=TODAY).status == "rejected"
    stored = import_file(engine, csv_bytes([["Z1101", 120, 5000, 300, 40]], header), "zone_carbon_annual", "2023",
                         "admin", name="zone.csv", today=TODAY)
    assert stored.status == "stored" and stored.created == 1

"""Completeness (who reported, on time or late) and the templates (which import back cleanly)."""

from __future__ import annotations

import datetime as dt

import fastexcel
from sqlalchemy import Engine, update

from hizone.intake.completeness import completeness
from hizone.intake.service import import_file, transition
from hizone.intake.template import build_template
from hizone.store.models import Submission
from tests.intake.factory import TODAY, csv_bytes, good_rows, seed_registry


def test_completeness_counts_reported_late_and_missing_per_zone(engine: Engine) -> None:
    codes = seed_registry(engine, 6)  # zones round-robin: Z1101 gets 0 and 3, Z1102 1 and 4, Z3101 2 and 5
    import_file(engine, csv_bytes(good_rows(codes[:3])), "enterprise_annual", "2021", "a", today=TODAY)
    import_file(engine, csv_bytes(good_rows(codes[3:4])), "enterprise_annual", "2021", "a", today=TODAY)
    # The first file arrived before the deadline (30 April of the year after, the Torch calendar), the second
    # one on 1 May 09:00 Beijing time: a day late.
    with engine.begin() as conn:
        conn.execute(update(Submission).where(Submission.entity_key.in_(codes[:3]))
                     .values(created_at=dt.datetime(2022, 3, 1, tzinfo=dt.UTC)))
        conn.execute(update(Submission).where(Submission.entity_key == codes[3])
                     .values(created_at=dt.datetime(2022, 5, 1, 1, tzinfo=dt.UTC)))
    transition(engine, "submit", "admin", form="enterprise_annual", period="2021", zone_code="Z1101")
    report = completeness(engine, "enterprise_annual", "2021", today=dt.date(2022, 6, 1))
    assert report.deadline == dt.date(2022, 4, 30)
    summary = {z.zone_code: (z.expected, z.reported, z.on_time, z.late, z.missing, z.states) for z in report.zones}
    assert summary == {"Z1101": (2, 2, 1, 1, 0, {"submitted": 2}),
                       "Z1102": (2, 1, 1, 0, 1, {"draft": 1}),
                       "Z3101": (2, 1, 1, 0, 1, {"draft": 1})}
    assert sorted(e.entity_key for e in report.missing) == sorted([codes[4], codes[5]])
    statuses = {e.entity_key: (e.status, e.days) for e in report.entities}
    # Missing since 1 May: 32 days overdue on 1 June (30 April + 32 days).
    assert statuses[codes[3]] == ("late", 1) and statuses[codes[4]] == ("missing", 32)
    # Before the deadline nobody is missing yet: the two, and the late one (not arrived by then), are open
    # (3 days left); before March not yet open.
    early = completeness(engine, "enterprise_annual", "2021", today=dt.date(2022, 4, 27))
    assert [(z.missing, z.pending) for z in early.zones] == [(0, 1), (0, 1), (0, 1)]
    assert {(e.status, e.days) for e in early.entities if not e.reported} == {("open", 3)}
    before = completeness(engine, "enterprise_annual", "2021", today=dt.date(2022, 2, 27))
    assert {(e.status, e.days) for e in before.entities if not e.reported} == {("not_open", 2)}


def test_the_template_has_headers_units_codes_and_instructions() -> None:
    data = build_template("enterprise_annual", 2021, [("Z1101", "中关村"), ("Z3101", "张江")])
    book = fastexcel.read_excel(data)
    assert book.sheet_names == ["数据", "代码表", "填表说明"]
    rows = book.load_sheet("数据", header_row=None, dtypes="string").to_arrow().to_pylist()
    header, codes = list(rows[1].values()), list(rows[2].values())
    assert header[:3] == ["统一社会信用代码", "企业名称", "高新区代码"]
    assert "*营业收入(千元)" in header and "年末从业人员(人)" in " ".join(h.lstrip("*") for h in header)
    # industry and registration date: what registers an enterprise the registry does not know yet
    assert codes[:6] == ["credit_code", "name", "zone_code", "industry_code", "registered", "revenue"]
    assert header[3:5] == ["行业代码", "注册日期"]
    help_rows = book.load_sheet("填表说明", header_row=None, dtypes="string").to_arrow().to_pylist()
    assert any("rd_staff <= employees" in str(list(r.values())) for r in help_rows)


def test_a_filled_template_imports(engine: Engine) -> None:
    import io

    import xlsxwriter

    codes = seed_registry(engine, 2)
    template = fastexcel.read_excel(build_template("enterprise_annual", 2021))
    top = template.load_sheet("数据", header_row=None, dtypes="string").to_arrow().to_pylist()
    header = list(top[1].values())
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("数据")
    sheet.write_string(0, 0, "国家高新区企业统计年报表（2021年）")
    sheet.write_row(1, 0, header)
    sheet.write_row(2, 0, list(top[2].values()))
    values = {"统一社会信用代码": None, "企业名称": "甲", "高新区代码": None, "*营业收入(千元)": 1000,
              "*利润总额(千元)": 10, "*净利润(千元)": 8, "*资产总计(千元)": 500, "*年末从业人员(人)": 20}
    for r, code in enumerate(codes, start=3):
        for c, label in enumerate(header):
            if label in values:
                value = values[label] if values[label] is not None else (code if c == 0 else
                                                                          ["Z1101", "Z1102"][r - 3])
                if isinstance(value, int):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value)
    book.close()
    result = import_file(engine, buffer.getvalue(), "enterprise_annual", "2021", "a", name="filled.xlsx",
                         today=TODAY)
    assert result.status == "stored", result.report and result.report.issues
    assert result.created == 2

"""Small fixture data for intake tests: valid credit codes, a registry in the store, files to import."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

import xlsxwriter
from sqlalchemy import Engine

from hizone.registry import check_character
from hizone.store import session_scope
from hizone.store.models import Enterprise, Province, Zone

TODAY = dt.date(2024, 6, 30)
HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "营业收入", "利润总额", "净利润", "资产总计", "年末从业人员",
          "R&D人员", "本科及以上学历人员", "技术收入"]


def credit_code(n: int, division: str = "110108") -> str:
    first17 = f"91{division}{n:09d}"
    return first17 + check_character(first17)


def seed_registry(engine: Engine, enterprises: int = 5) -> list[str]:
    """Two provinces, three zones (Z1101, Z1102 in Beijing; Z3101 in Shanghai), enterprises round-robin."""
    codes = [credit_code(i + 1) for i in range(enterprises)]
    with session_scope(engine) as session:
        session.add_all([Province(code="11", name_zh="北京市", name_en="Beijing", region="east"),
                         Province(code="31", name_zh="上海市", name_en="Shanghai", region="east")])
        session.flush()
        session.add_all([
            Zone(code="Z1101", name_zh="中关村科技园区", name_en="Zhongguancun", province_code="11", city="北京",
                 approved_year=1988, demo_zone=None, source="test"),
            Zone(code="Z1102", name_zh="北京测试高新区", name_en="Beijing Test", province_code="11", city="北京",
                 approved_year=2000, demo_zone=None, source="test"),
            Zone(code="Z3101", name_zh="张江高新区", name_en="Zhangjiang", province_code="31", city="上海",
                 approved_year=1991, demo_zone=None, source="test")])
        session.flush()
        zones = ["Z1101", "Z1102", "Z3101"]
        session.add_all([Enterprise(credit_code=code, name=f"企业{i + 1}", zone_code=zones[i % 3],
                                    industry_code="6510", founded=dt.date(2010, 1, 1))
                         for i, code in enumerate(codes)])
    return codes


def zone_of(i: int) -> str:
    return ["Z1101", "Z1102", "Z3101"][i % 3]


def good_rows(codes: Sequence[str], scale: float = 1.0) -> list[list[object]]:
    return [[code, f"企业{i + 1}", zone_of(i), 1000 * (i + 1) * scale, 100, 80, 5000, 50 + i, 10, 30, 200]
            for i, code in enumerate(codes)]


def csv_bytes(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER, encoding: str = "utf-8",
              title: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if title:
        writer.writerow(["国家高新区企业统计年报表（2021年）"] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER, sheet: str = "企业年报",
               start_row: int = 0, start_col: int = 0, title: bool = False) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    r = start_row
    if title:
        ws.merge_range(r, start_col, r, start_col + len(header) - 1, "国家高新区企业统计年报表")
        r += 1
    ws.write_row(r, start_col, list(header))
    for i, row in enumerate(rows, start=r + 1):
        for j, value in enumerate(row):
            if isinstance(value, int | float):
                ws.write_number(i, start_col + j, value)
            elif value is not None:
                ws.write_string(i, start_col + j, str(value))
    book.close()
    return buffer.getvalue()

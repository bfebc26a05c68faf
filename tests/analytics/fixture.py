"""A small store whose every figure can be computed by hand (see the comments for the numbers).

Annual (enterprise_annual, 千元):
  E1 Z1101 2022 rev 1000 rd 50 emp 100 · 2023 rev 1200 rd 72 emp 120; high_tech 2021-01-01..2023-12-31
  E2 Z1101 2022 rev 500 · 2023 rev 400 (approved), revision 2 rev 450 only submitted (provisional)
  E3 Z1101 2023 only (new entrant) rev 300; high_tech from 2023-06-01
  E4 Z4201 2022 rev 800 · 2023 revision 1 rev 860, revision 2 rev 880 (both approved); high_tech to 2022-12-31
  E5 Z5101 2022 and 2023 all zeros (a dormant enterprise: ratios divide by zero)
  E6 Z4401 2022 only rev 700; a 2023 draft that no view may show
Monthly (zone_monthly, cumulative): single month revenue = base × (1.1 in 2023) × (1 + m/100),
  base Z1101 100, Z4201 200, Z5101 150, Z4401 120; planted: Z4201 2023-04..07 single months ×0.6,
  Z5101 2023-06 cumulative revenue ×5 (one report only), Z4401 2023-09 missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from hizone.store import session_scope
from hizone.store.models import Enterprise, Province, Qualification, Zone
from tests.reports import report

CODES = {f"E{i}": f"9111000000000000{i}X" for i in range(1, 7)}
BASES = {"Z1101": 100.0, "Z4201": 200.0, "Z5101": 150.0, "Z4401": 120.0}
DECLINE_ZONE, JUMP_ZONE, MISSING_ZONE, CLEAN_ZONE = "Z4201", "Z5101", "Z4401", "Z1101"


def annual(rev: float, rd: float, emp: int, bachelor: int, patents: int, va: float, energy: float,
           profit: float) -> dict[str, Any]:
    return {"revenue": rev, "rd_expenditure": rd, "employees": emp, "emp_bachelor_plus": bachelor,
            "valid_invention_patents": patents, "value_added": va, "energy_consumption": energy,
            "total_profit": profit, "net_profit": profit * 0.8, "total_assets": rev * 2}


ANNUAL: list[tuple[str, str, str, int, str, dict[str, Any]]] = [
    ("E1", "Z1101", "2022", 1, "approved", annual(1000, 50, 100, 60, 5, 300, 30, 100)),
    ("E1", "Z1101", "2023", 1, "approved", annual(1200, 72, 120, 80, 8, 360, 33, 120)),
    ("E2", "Z1101", "2022", 1, "approved", annual(500, 10, 50, 10, 0, 100, 20, -20)),
    ("E2", "Z1101", "2023", 1, "approved", annual(400, 8, 40, 10, 1, 90, 18, 10)),
    ("E2", "Z1101", "2023", 2, "submitted", annual(450, 8, 40, 10, 1, 90, 18, 10)),
    ("E3", "Z1101", "2023", 1, "approved", annual(300, 30, 30, 20, 2, 60, 6, 30)),
    ("E4", "Z4201", "2022", 1, "approved", annual(800, 16, 80, 40, 4, 200, 40, 80)),
    ("E4", "Z4201", "2023", 1, "approved", annual(860, 22, 88, 44, 4, 220, 44, 88)),
    ("E4", "Z4201", "2023", 2, "approved", annual(880, 22, 88, 44, 4, 220, 44, 88)),
    ("E5", "Z5101", "2022", 1, "approved", annual(0, 0, 0, 0, 0, 0, 0, 0)),
    ("E5", "Z5101", "2023", 1, "approved", annual(0, 0, 0, 0, 0, 0, 0, 0)),
    ("E6", "Z4401", "2022", 1, "approved", annual(700, 70, 70, 50, 10, 210, 14, 70)),
    ("E6", "Z4401", "2023", 1, "draft", annual(9999, 0, 1, 0, 0, 0, 0, 0)),
]


def single_month(zone: str, year: int, month: int) -> float:
    value = BASES[zone] * (1.1 if year == 2023 else 1.0) * (1 + month / 100)
    if zone == DECLINE_ZONE and year == 2023 and 4 <= month <= 7:
        value *= 0.6
    return value


def cumulative(zone: str, year: int, month: int) -> float:
    total = sum(single_month(zone, year, m) for m in range(1, month + 1))
    if zone == JUMP_ZONE and year == 2023 and month == 6:
        total *= 5
    return total


def monthly_values(zone: str, year: int, month: int) -> dict[str, Any]:
    rev = round(cumulative(zone, year, month), 4)
    return {"revenue": rev, "industrial_output": round(rev / 2, 4), "net_profit": round(rev / 10, 4),
            "taxes_paid": round(rev / 20, 4), "export": round(rev / 5, 4), "employees": int(BASES[zone])}


def populate(engine: Engine, monthly: bool = True) -> None:
    with session_scope(engine) as session:
        session.add_all([Province(code="11", name_zh="北京市", name_en="Beijing", region="east"),
                         Province(code="42", name_zh="湖北省", name_en="Hubei", region="central"),
                         Province(code="44", name_zh="广东省", name_en="Guangdong", region="east"),
                         Province(code="51", name_zh="四川省", name_en="Sichuan", region="west")])
        session.flush()
        for code, province, city, demo in (("Z1101", "11", "北京市", "中关村"), ("Z4201", "42", "武汉市", "东湖"),
                                           ("Z5101", "51", "成都市", None), ("Z4401", "44", "深圳市", "深圳")):
            session.add(Zone(code=code, name_zh=f"{city}高新区", name_en=f"{code} zone", province_code=province,
                             city=city, approved_year=1991, demo_zone=demo, source="test fixture"))
        session.flush()
        zone_of = {e: z for e, z, *_ in ANNUAL}
        ids = {}
        for name, code in CODES.items():
            enterprise = Enterprise(credit_code=code, name=name, zone_code=zone_of[name], industry_code="3911",
                                    founded=dt.date(2010, 1, 1))
            session.add(enterprise)
            session.flush()
            ids[name] = enterprise.id
        for name, start, end in (("E1", dt.date(2021, 1, 1), dt.date(2023, 12, 31)),
                                 ("E3", dt.date(2023, 6, 1), dt.date(2026, 5, 31)),
                                 ("E4", dt.date(2019, 1, 1), dt.date(2022, 12, 31))):
            session.add(Qualification(enterprise_id=ids[name], kind="high_tech", valid_from=start, valid_to=end))
        for name, zone, period, revision, state, values in ANNUAL:
            session.add(report(form_code="enterprise_annual", form_version=2021, entity_key=CODES[name],
                                   zone_code=zone, period=period, revision=revision, state=state, values=values,
                                   created_by="test"))
        if monthly:
            for zone in BASES:
                for year in (2022, 2023):
                    for month in range(1, 13):
                        if zone == MISSING_ZONE and (year, month) == (2023, 9):
                            continue
                        session.add(report(form_code="zone_monthly", form_version=2022, entity_key=zone,
                                               zone_code=zone, period=f"{year}-{month:02d}", revision=1,
                                               state="approved", values=monthly_values(zone, year, month),
                                               created_by="test"))

"""A store whose ladder can be worked out by hand: 2 provinces, 3 zones, 6 enterprises (enterprise_annual, 千元).

  A Z1101 2020–2023 each year rev 10000 rd 420 emp 100 assets 5000, 2 invention patents, high-tech revenue 7000;
    科技型中小企业 list 2023 only.
  B Z1101 rev 10000, 12000, 14000, 16000 (2020–2023), rd 600, 600, 600, 100, emp 80, assets 10000, no patent,
    high-tech revenue 4000.
  C Z1101 2022–2023 rev 50000 rd 2500 emp 300 assets 300000 (3亿: too big for 科技型中小企业), 5 patents,
    high-tech revenue 40000; 高企 list 2021–2024.
  D Z1102 2023 only: rev 10000 rd 500 emp 60 assets 8000, 1 patent, high-tech revenue 8000.
  E Z4201 2022–2023 rev 20000 rd 200 emp 50 assets 30000, no patent, no high-tech revenue; 高企 list to 2022-12-31.
  F Z4201 2022 only: rev 5000 rd 100 emp 20 assets 4000; 科技型中小企业 list 2022.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.read import Reader, open_reader
from hizone.store import session_scope
from hizone.store.models import Enterprise, Province, Qualification, Zone
from tests.reports import report
from tests.web.seed import credit_code

CODES = {name: credit_code(serial) for serial, name in enumerate("ABCDEF", start=1)}
ZONE_OF = {"A": "Z1101", "B": "Z1101", "C": "Z1101", "D": "Z1102", "E": "Z4201", "F": "Z4201"}


def _values(rev: float, rd: float, emp: int, assets: float, patents: int, hitech: float) -> dict[str, float | int]:
    return {"revenue": rev, "rd_expenditure": rd, "employees": emp, "total_assets": assets,
            "valid_invention_patents": patents, "hitech_product_revenue": hitech}


REPORTS: dict[str, dict[int, dict[str, float | int]]] = {
    "A": {year: _values(10000, 420, 100, 5000, 2, 7000) for year in (2020, 2021, 2022, 2023)},
    "B": {year: _values(rev, rd, 80, 10000, 0, 4000)
          for year, rev, rd in ((2020, 10000, 600), (2021, 12000, 600), (2022, 14000, 600), (2023, 16000, 100))},
    "C": {year: _values(50000, 2500, 300, 300000, 5, 40000) for year in (2022, 2023)},
    "D": {2023: _values(10000, 500, 60, 8000, 1, 8000)},
    "E": {year: _values(20000, 200, 50, 30000, 0, 0) for year in (2022, 2023)},
    "F": {2022: _values(5000, 100, 20, 4000, 0, 0)},
}
LISTS = (("A", "tech_sme", dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
         ("C", "high_tech", dt.date(2021, 1, 1), dt.date(2024, 12, 31)),
         ("E", "high_tech", dt.date(2020, 1, 1), dt.date(2022, 12, 31)),
         ("F", "tech_sme", dt.date(2022, 1, 1), dt.date(2022, 12, 31)))


def populate(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add_all([Province(code="11", name_zh="北京市", name_en="Beijing", region="east"),
                         Province(code="42", name_zh="湖北省", name_en="Hubei", region="central")])
        session.flush()
        for code, province in (("Z1101", "11"), ("Z1102", "11"), ("Z4201", "42")):
            session.add(Zone(code=code, name_zh=f"{code}高新区", name_en=f"{code} zone", province_code=province,
                             city="test", approved_year=1991, demo_zone=None, source="test fixture"))
        session.flush()
        ids = {}
        for name, code in CODES.items():
            enterprise = Enterprise(credit_code=code, name=f"企业{name}", zone_code=ZONE_OF[name], industry_code="3911",
                                    founded=dt.date(2010, 1, 1))
            session.add(enterprise)
            session.flush()
            ids[name] = enterprise.id
        for name, kind, start, end in LISTS:
            session.add(Qualification(enterprise_id=ids[name], kind=kind, valid_from=start, valid_to=end))
        for name, years in REPORTS.items():
            for year, values in years.items():
                session.add(report(form_code="enterprise_annual", form_version=2021, entity_key=CODES[name],
                                   zone_code=ZONE_OF[name], period=str(year), revision=1, state="approved",
                                   values=values, created_by="test"))


def ladder_reader(engine: Engine, directory: Path) -> Reader:
    populate(engine)
    path = directory / "analytics.duckdb"
    build(engine, path)
    return open_reader(path)

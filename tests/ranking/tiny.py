"""A two-dimension framework and a three-zone store whose every figure is worked out by hand below.

Framework ``tiny`` (version 2020): A (60 points) = A1 研发强度 (赋权 2) and A2 研发经费净增 (change);
B (40 points) = B1 单位增加值能耗 (lower is better) and B2 高新技术企业数; B3 is listed but unavailable.

Store (enterprise_annual, 千元), all approved:
  Z1101 E1 2020 rev 900 rd 40 · 2021 rev 1000 rd 50; E2 2020 rev 500 rd 5 · 2021 rev 500 rd 10;
        energy/value added E1 20/200, E2 30/100 both years; E1 high_tech 2019-01-01..2021-12-31
  Z4403 E3 2020 rev 2000 rd 100 · 2021 rev 2000 rd 160; energy/va 40/500; high_tech from 2021-06-01
  Z3502 E4 2020 rev 400 rd 10 · 2021 rev 400 rd 8; energy/va 30/60; high_tech to 2020-12-31;
        E5 2021 only rev 100 rd 2 energy/va 5/40
2021 values: A1 = Σrd/Σrev×100: Z1101 60/1500 = 4, Z4403 8, Z3502 10/500 = 2;
  A2 = Σrd2021 − Σrd2020: 15, 60, 0; B1 = Σenergy/Σva: 50/300, 0.08, 35/100; B2 = 1, 1, 0.
2020 values: A1 = 45/1400×100, 5, 2.5; A2 none (no 2019); B1 = 50/300, 0.08, 0.5; B2 = 1, 0, 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hizone.store import session_scope
from hizone.store.models import DatasetInfo, Enterprise, Province, Qualification, Zone
from tests.reports import report

TINY_YAML = """\
code: tiny
version: 2020
name_zh: 测试评价
name_en: A tiny evaluation
form: enterprise_annual
source: a test
pipeline:
  - normalise: {method: minmax, range: [0, 100]}
  - aggregate: {method: arithmetic}
uncertainty:
  samples: 200
  seed: 7
  vary:
    weights: {noise: {1: 0.2}}
dimensions:
  A: {name_zh: 创新, weight: 60}
  B: {name_zh: 效益, weight: 40}
indicators:
  A1: {dimension: A, name_zh: 研发强度, unit: "%", weight: 2, formula: rd_expenditure / revenue * 100}
  A2: {dimension: A, name_zh: 研发经费净增, formula: rd_expenditure, change: true}
  B1: {dimension: B, name_zh: 单位增加值能耗, direction: -1, formula: energy_consumption / value_added}
  B2: {dimension: B, name_zh: 高新技术企业数, formula: count(where high_tech), approximated: valid at year end}
  B3: {dimension: B, name_zh: 绿地率, available: false, reason: not collected}
"""


def write_framework(directory: Path, text: str = TINY_YAML, name: str = "tiny-2020.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


CODES = {f"E{i}": f"91440300000000000{i}" for i in range(1, 6)}
ZONES = {"Z1101": ("11", "中关村科技园区", "北京"), "Z4403": ("44", "深圳市高新技术产业园区", "深圳"),
         "Z3502": ("35", "厦门火炬高技术产业开发区", "厦门")}
ENTERPRISE_ZONE = {"E1": "Z1101", "E2": "Z1101", "E3": "Z4403", "E4": "Z3502", "E5": "Z3502"}


def annual(revenue: float, rd: float, energy: float, value_added: float) -> dict[str, Any]:
    return {"revenue": revenue, "rd_expenditure": rd, "energy_consumption": energy, "value_added": value_added}


REPORTS: list[tuple[str, str, dict[str, Any]]] = [
    ("E1", "2020", annual(900, 40, 20, 200)), ("E1", "2021", annual(1000, 50, 20, 200)),
    ("E2", "2020", annual(500, 5, 30, 100)), ("E2", "2021", annual(500, 10, 30, 100)),
    ("E3", "2020", annual(2000, 100, 40, 500)), ("E3", "2021", annual(2000, 160, 40, 500)),
    ("E4", "2020", annual(400, 10, 30, 60)), ("E4", "2021", annual(400, 8, 30, 60)),
    ("E5", "2021", annual(100, 2, 5, 40)),
]
HIGH_TECH = [("E1", dt.date(2019, 1, 1), dt.date(2021, 12, 31)), ("E3", dt.date(2021, 6, 1), None),
             ("E4", dt.date(2018, 1, 1), dt.date(2020, 12, 31))]


def populate(engine: Engine, synthetic: bool = False) -> None:
    with session_scope(engine) as session:
        session.add_all([Province(code="11", name_zh="北京市", name_en="Beijing", region="east"),
                         Province(code="44", name_zh="广东省", name_en="Guangdong", region="east"),
                         Province(code="35", name_zh="福建省", name_en="Fujian", region="east")])
        session.flush()
        session.add_all([Zone(code=code, name_zh=name, name_en=code, province_code=province, city=city,
                              approved_year=1991, demo_zone=None, source="test")
                         for code, (province, name, city) in ZONES.items()])
        session.flush()
        ids = {}
        for number, (key, credit) in enumerate(CODES.items(), start=1):
            enterprise = Enterprise(id=number, credit_code=credit, name=key, zone_code=ENTERPRISE_ZONE[key],
                                    industry_code="6510", founded=dt.date(2010, 1, 1))
            session.add(enterprise)
            ids[key] = number
        session.flush()
        session.add_all([Qualification(enterprise_id=ids[key], kind="high_tech", valid_from=start, valid_to=end)
                         for key, start, end in HIGH_TECH])
        session.add_all([report(form_code="enterprise_annual", form_version=2019, entity_key=CODES[key],
                                    zone_code=ENTERPRISE_ZONE[key], period=period, revision=1, state="approved",
                                    values=values, created_by="test") for key, period, values in REPORTS])
        if synthetic:
            session.add(DatasetInfo(key="synthetic", value="true"))

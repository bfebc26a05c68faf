"""A small, hand-checkable store for the web tests: 2 provinces, 3 zones, 6 enterprises, users per role.

Figures are chosen so the expected sums can be computed by hand in the tests (money in 千元).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hizone.auth.users import add_user
from hizone.registry import check_character
from hizone.store import session_scope
from hizone.store.models import (
    Alert,
    Enterprise,
    EvaluationResult,
    EvaluationRun,
    Province,
    Qualification,
    Submission,
    Zone,
)
from tests.reports import report

PASSWORD = "correct-horse-battery"


def credit_code(serial: int, division: str = "110108") -> str:
    first17 = f"91{division}{serial:09d}"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class Seeded:
    own_zone: str = "Z1101"  # Beijing: the zone user's zone
    other_zone: str = "Z4401"  # Guangdong: nobody's but the national roles'
    own_province: str = "11"
    other_province: str = "44"
    own_enterprise: str = credit_code(1)
    other_enterprise: str = credit_code(4, "440106")


# revenue, total_profit, rd_expenditure, employees per enterprise and year
ANNUAL = {
    # zone, serial, division: {year: (revenue, profit, rd, employees)}
    ("Z1101", 1, "110108"): {"2022": (100_000, 10_000, 5_000, 100), "2023": (120_000, 12_000, 6_000, 110)},
    ("Z1101", 2, "110108"): {"2022": (50_000, 5_000, 1_000, 50), "2023": (60_000, 3_000, 2_000, 55)},
    ("Z1102", 3, "110108"): {"2022": (30_000, 1_000, 500, 30), "2023": (33_000, 1_500, 600, 31)},
    ("Z4401", 4, "440106"): {"2022": (200_000, 20_000, 8_000, 300), "2023": (180_000, 15_000, 9_000, 290)},
    ("Z4401", 5, "440106"): {"2022": (10_000, 500, 100, 20), "2023": (11_000, 400, 100, 21)},
    ("Z4401", 6, "440106"): {"2023": (7_000, 100, 50, 9)},
}
# Enterprise 1 also has a 2023 revision 2 that is only submitted (not approved): it must be ignored.
PENDING_REVISION = (999_999, 1, 1, 1)


def seed(engine: Engine, with_users: bool = True) -> Seeded:
    with session_scope(engine) as session:
        session.add_all([Province(code="11", name_zh="北京市", name_en="Beijing", region="east"),
                         Province(code="44", name_zh="广东省", name_en="Guangdong", region="east")])
        session.flush()
        session.add_all([
            Zone(code="Z1101", name_zh="中关村科技园区", name_en="Zhongguancun", province_code="11", city="北京",
                 approved_year=1988, demo_zone=None, source="test"),
            Zone(code="Z1102", name_zh="北京测试高新区", name_en="Beijing Test Zone", province_code="11",
                 city="北京", approved_year=2010, demo_zone=None, source="test"),
            Zone(code="Z4401", name_zh="广州高新区", name_en="Guangzhou", province_code="44", city="广州",
                 approved_year=1991, demo_zone=None, source="test")])
        session.flush()
        ids = {}
        for (zone, serial, division), years in ANNUAL.items():
            code = credit_code(serial, division)
            ent = Enterprise(credit_code=code, name=f"测试企业{serial}", zone_code=zone, industry_code="6510",
                             founded=dt.date(2015, 1, 1), synthetic=True)
            session.add(ent)
            session.flush()
            ids[serial] = ent.id
            for year, (rev, profit, rd, emp) in years.items():
                session.add(_annual(code, zone, year, 1, "approved", rev, profit, rd, emp))
        session.add(_annual(credit_code(1), "Z1101", "2023", 2, "submitted", *PENDING_REVISION))
        session.add_all([
            Qualification(enterprise_id=ids[1], kind="high_tech", valid_from=dt.date(2021, 1, 1),
                          valid_to=dt.date(2023, 12, 31)),
            Qualification(enterprise_id=ids[2], kind="high_tech", valid_from=dt.date(2022, 1, 1),
                          valid_to=dt.date(2024, 12, 31)),
            Qualification(enterprise_id=ids[2], kind="gazelle", valid_from=dt.date(2023, 1, 1),
                          valid_to=dt.date(2023, 12, 31)),
            Qualification(enterprise_id=ids[3], kind="tech_sme", valid_from=dt.date(2020, 1, 1),
                          valid_to=dt.date(2020, 12, 31))])
        for month, revenue in (("2022-01", 8_000), ("2022-02", 17_000), ("2023-01", 10_000), ("2023-02", 20_400)):
            session.add(report(form_code="zone_monthly", form_version=2022, entity_key="Z1101",
                                   zone_code="Z1101", period=month, revision=1, state="approved",
                                   values={"revenue": revenue, "industrial_output": revenue / 2,
                                           "net_profit": revenue / 10, "taxes_paid": revenue / 20,
                                           "export": revenue / 5, "employees": 160},
                                   created_by="test", synthetic=True))
        add_evaluation_and_alerts(session)
    if with_users:
        add_users(engine)
    return Seeded()


# Composite score, rank, rank change and dimension scores D1..D5 of the seeded 2023 evaluation run.
EVALUATION = {"Z4401": (70.0, 1, 1, (80, 60, 70, 75, 65)), "Z1101": (60.0, 2, -1, (90, 50, 40, 55, 60)),
              "Z1102": (30.0, 3, 0, (20, 30, 40, 30, 30))}


def add_evaluation_and_alerts(session: Session) -> None:
    run = EvaluationRun(framework_code="zone_evaluation", framework_version=2021, year=2023, config={},
                        data_fingerprint="test", zone_count=3, created_by="test", synthetic=True)
    session.add(run)
    session.flush()
    for zone, (score, rank, change, dims) in EVALUATION.items():
        session.add(EvaluationResult(run_id=run.id, zone_code=zone, level="index", code="INDEX", value=None,
                                     score=score, rank=rank, rank_change=change, rank_p05=max(1.0, rank - 1.0),
                                     rank_p95=min(3.0, rank + 1.0)))
        for i, dim_score in enumerate(dims, start=1):
            dim_rank = 1 + sum(1 for other in EVALUATION.values() if other[3][i - 1] > dim_score)
            session.add(EvaluationResult(run_id=run.id, zone_code=zone, level="dimension", code=f"D{i}", value=None,
                                         score=float(dim_score), rank=dim_rank, rank_change=None, rank_p05=None,
                                         rank_p95=None))
    for zone, severity in (("Z1101", "warning"), ("Z4401", "critical")):
        session.add(Alert(rule_code="revenue_yoy_drop", indicator="revenue_cum_yoy", level="zone", entity_key=zone,
                          period="2023-02", severity=severity, kind="threshold",
                          message=f"{zone} 营业收入累计同比下降超过30%", state="open",
                          evidence={"indicator": "revenue_cum_yoy",
                                    "series": [["2023-01", -10.0], ["2023-02", -35.0]]}))


def add_users(engine: Engine) -> None:
    s = Seeded()
    add_user(engine, "admin1", PASSWORD, "admin")
    add_user(engine, "analyst1", PASSWORD, "analyst")
    add_user(engine, "province1", PASSWORD, "province", province=s.own_province)
    add_user(engine, "zone1", PASSWORD, "zone", zone=s.own_zone)
    add_user(engine, "enterprise1", PASSWORD, "enterprise", credit_code=s.own_enterprise)
    add_user(engine, "judge1", PASSWORD, "judge")


USERS = {"admin": "admin1", "analyst": "analyst1", "province": "province1", "zone": "zone1",
         "enterprise": "enterprise1", "judge": "judge1"}


def _annual(code: str, zone: str, year: str, revision: int, state: str, rev: float, profit: float, rd: float,
            emp: int) -> Submission:
    return report(form_code="enterprise_annual", form_version=2021, entity_key=code, zone_code=zone,
                      period=year, revision=revision, state=state,
                      values={"revenue": rev, "total_profit": profit, "net_profit": profit * 0.8,
                              "rd_expenditure": rd, "employees": emp, "total_assets": rev * 2},
                      created_by="test", synthetic=True)

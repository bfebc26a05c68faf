"""Migration 0010: a qualification's identity as unique keys, duplicates of a key removed first."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from hizone.store import downgrade, session_scope, upgrade
from hizone.store.models import Enterprise, Province, Qualification, Zone

D = dt.date


def _enterprise(engine: Engine) -> int:
    with session_scope(engine) as session:
        session.add(Province(code="11", name_zh="北京市", name_en="Beijing", region="east"))
        session.flush()
        session.add(Zone(code="Z1101", name_zh="中关村", name_en="Zhongguancun", province_code="11", city="北京",
                         approved_year=1988, demo_zone=None, source="test"))
        session.flush()
        enterprise = Enterprise(credit_code="91110108000000001A", name="甲", zone_code="Z1101",
                                industry_code="6510", founded=D(2015, 1, 1), synthetic=False)
        session.add(enterprise)
        session.flush()
        return enterprise.id


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with session_scope(engine) as session:
        return [tuple(r) for r in session.execute(select(Qualification.id, Qualification.kind, Qualification.valid_from,
                                                         Qualification.detail).order_by(Qualification.id))]


def test_the_upgrade_keeps_the_first_of_each_key_and_then_refuses_another(engine: Engine) -> None:
    downgrade(engine, "0007")
    eid = _enterprise(engine)
    rows = [("high_tech", D(2020, 12, 1), D(2023, 11, 30), "GR202011000001"),  # 1 kept
            ("high_tech", D(2020, 12, 1), D(2023, 11, 30), "GR202011000001"),  # 2 the same certificate again
            ("high_tech", D(2023, 11, 20), D(2026, 11, 19), "GR202311000002"),  # 3 its renewal: kept
            ("gazelle", D(2023, 1, 1), D(2023, 12, 31), None),  # 4 kept
            ("gazelle", D(2023, 1, 1), D(2023, 12, 31), None),  # 5 the same year again
            ("gazelle", D(2024, 1, 1), D(2024, 12, 31), None),  # 6 another year: kept
            ("tech_sme", D(2023, 1, 1), D(2023, 12, 31), "2023110108A0000001")]  # 7 numbered, same day as 4: kept
    with session_scope(engine) as session:
        session.execute(insert(Qualification), [{"enterprise_id": eid, "kind": k, "valid_from": f, "valid_to": t,
                                                 "detail": n} for k, f, t, n in rows])
    upgrade(engine)
    assert [r[0] for r in _rows(engine)] == [1, 3, 4, 6, 7]
    for kind, start, number in (("high_tech", D(2021, 1, 1), "GR202011000001"), ("gazelle", D(2024, 1, 1), None)):
        with pytest.raises(IntegrityError), session_scope(engine) as session:
            session.execute(insert(Qualification).values(enterprise_id=eid, kind=kind, valid_from=start,
                                                         valid_to=None, detail=number))
    downgrade(engine, "0007")
    upgrade(engine)
    assert len(_rows(engine)) == 5

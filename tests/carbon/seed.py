"""A minimal registry for the readings tests: province 11, its zones and the enterprises in them."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from hizone.store import session_scope
from hizone.store.models import Enterprise, Province, Zone


def seed_registry(engine: Engine, zone_of: Mapping[str, str]) -> None:
    """`zone_of` maps each enterprise's credit code to its zone's code."""
    with session_scope(engine) as session:
        session.add(Province(code="11", name_zh="北京市", name_en="Beijing", region="east"))
        session.flush()
        session.add_all([Zone(code=z, name_zh=z, name_en=z, province_code="11", city="北京", approved_year=2000,
                              demo_zone=None, source="t") for z in sorted(set(zone_of.values()))])
        session.flush()
        session.add_all([Enterprise(credit_code=code, name=f"企业{code}", zone_code=zone)
                         for code, zone in zone_of.items()])

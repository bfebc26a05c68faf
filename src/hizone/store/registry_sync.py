"""Write the registry's reference tables (provinces, zones) into the store, idempotently."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hizone.registry import ProvinceRow, ZoneRow
from hizone.store.models import Province, Zone


def sync_registry(session: Session, provinces: list[ProvinceRow], zones: list[ZoneRow]) -> None:
    """Insert missing provinces and zones and update changed ones; never deletes (submissions refer to them)."""
    for model, rows, key in ((Province, provinces, "code"), (Zone, zones, "code")):
        existing = {getattr(obj, key): obj for obj in session.scalars(select(model))}
        for row in rows:
            fields = vars(row)
            current = existing.get(fields[key])
            if current is None:
                session.add(model(**fields))
            else:
                for name, value in fields.items():
                    setattr(current, name, value)
        session.flush()

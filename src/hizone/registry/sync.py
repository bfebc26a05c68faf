"""Keep the store's provinces and zones in step with the package's registry (provinces.csv, zones.csv).

The zone code is the key: a renamed or upgraded zone keeps its code, so its submissions and history stay
with it while its name and other fields follow the CSV. A zone that left the CSV is deleted only while
nothing in the store refers to it; otherwise it is kept and reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TypeVar

from sqlalchemy import Column, Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hizone.registry.tables import ProvinceRow, ZoneRow, load_provinces, load_zones
from hizone.store import session_scope
from hizone.store.models import Base, Province, Zone

_Table = TypeVar("_Table", Province, Zone)


@dataclass(frozen=True)
class SyncReport:
    """What one sync changed, by code."""

    provinces_added: tuple[str, ...] = ()
    provinces_updated: tuple[str, ...] = ()
    zones_added: tuple[str, ...] = ()
    zones_updated: tuple[str, ...] = ()
    zones_deleted: tuple[str, ...] = ()  # left the CSV, nothing in the store referred to them
    zones_kept: tuple[str, ...] = ()  # left the CSV but the store holds data for them

    @property
    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def describe(self) -> str:
        """One line for the command line; the kept zones named, since someone has to decide about them."""
        if not self.changed:
            return "registry up to date"
        parts = [f"{len(codes)} {what}" for what, codes in (
            ("provinces added", self.provinces_added), ("provinces updated", self.provinces_updated),
            ("zones added", self.zones_added), ("zones updated", self.zones_updated),
            ("zones deleted", self.zones_deleted)) if codes]
        if self.zones_kept:
            parts.append(f"kept {', '.join(self.zones_kept)}: no longer in zones.csv but the store holds data "
                         "for them")
        return "registry: " + "; ".join(parts)


def _zone_references() -> list[Column[str]]:
    """Every column that names a zone: foreign keys to zone.code and the zone_code columns kept without one."""
    return [column for table in Base.metadata.sorted_tables if table.name != Zone.__tablename__
            for column in table.columns
            if column.name == "zone_code" or any(fk.column.table.name == Zone.__tablename__
                                                  for fk in column.foreign_keys)]


def _codes_with_data(session: Session, codes: set[str]) -> set[str]:
    found: set[str] = set()
    for column in _zone_references():
        found.update(session.scalars(select(column).where(column.in_(codes)).distinct()))
    return found


def _upsert(session: Session, model: type[_Table], rows: Sequence[ProvinceRow] | Sequence[ZoneRow]
            ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Insert missing rows and update changed ones (only the columns the table has); (added, updated) codes."""
    columns = [c.key for c in model.__table__.columns]
    existing = {obj.code: obj for obj in session.scalars(select(model))}
    added, updated = [], []
    for row in rows:
        values = {name: getattr(row, name) for name in columns}
        current = existing.get(row.code)
        if current is None:
            session.add(model(**values))
            added.append(row.code)
        elif any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            updated.append(row.code)
    session.flush()
    return tuple(added), tuple(updated)


def sync_registry(session: Session, provinces: Sequence[ProvinceRow], zones: Sequence[ZoneRow]) -> SyncReport:
    """Bring the store's provinces and zones to ``provinces`` and ``zones`` inside the caller's transaction."""
    provinces_added, provinces_updated = _upsert(session, Province, provinces)
    zones_added, zones_updated = _upsert(session, Zone, zones)
    gone = set(session.scalars(select(Zone.code))) - {z.code for z in zones}
    kept = _codes_with_data(session, gone) if gone else set()
    deletable = sorted(gone - kept)
    if deletable:
        session.execute(delete(Zone).where(Zone.code.in_(deletable)))
    return SyncReport(provinces_added, provinces_updated, zones_added, zones_updated, tuple(deletable),
                      tuple(sorted(kept)))


def sync_store(engine: Engine) -> SyncReport:
    """The package's registry into the store, in one transaction (``hizone db upgrade``)."""
    provinces = load_provinces()
    zones = load_zones(provinces=provinces)
    with session_scope(engine) as session:
        return sync_registry(session, provinces, zones)


def load_registry_if_empty(engine: Engine) -> Engine:
    """On a server's first start on a store without zones, load the registry; ``engine`` for chaining.

    Only an empty store is filled: keeping a used store in step is ``hizone db upgrade``'s job, where the
    report is seen. Two server processes starting at once may both try; the loser's insert fails on the
    primary key and finds the registry loaded.
    """
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Zone)):
            return engine
    try:
        sync_store(engine)
    except IntegrityError:
        with session_scope(engine) as session:
            if not session.scalar(select(func.count()).select_from(Zone)):
                raise
    return engine

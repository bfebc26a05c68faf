"""The readings of the main energy-using units in the store: units and meters, batches written once, read back.

A batch is one row of ``energy_reading_batch`` (its readings packed column by column, see the model), written
with its change event in one transaction: all of a batch or none of it. Nothing here is ever updated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from hizone.auth.policy import Principal, can_read_readings, can_register_energy_units, can_send_readings
from hizone.carbon.readings import Checked, MeterInfo, Meters, RawBatch, Readings, ReadingsConfig, Refused, check_batch
from hizone.errors import HizoneError
from hizone.store.changes import Who, record_readings
from hizone.store.db import bulk_transaction
from hizone.store.models import EnergyMeter, EnergyReadingBatch, EnergyUnit, Enterprise, Zone, utcnow


class ReadingsRefused(HizoneError):
    """A batch with problems: none of it stored."""

    def __init__(self, refused: Refused) -> None:
        self.refused = refused
        super().__init__(refused.summary(), where="readings")


class KeyConflict(HizoneError):
    """An idempotency key already used for a batch with other content."""


@dataclass(frozen=True)
class MeterSpec:
    code: str
    energy: str
    measure_unit: str


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    credit_code: str
    meters: tuple[MeterSpec, ...]


@dataclass(frozen=True)
class Registered:
    units: list[str]  # codes of the units added
    meters: list[str]  # "unit/meter" of the meters added
    unchanged: int  # meters already registered as given


@dataclass(frozen=True)
class StoredBatch:
    batch_id: int
    readings: int
    first_at: int
    last_at: int
    replayed: bool  # the key was used before with the same content: that batch, nothing stored again


def _who(p: Principal) -> Who:
    return Who(p.username, p.role)


def register_units(engine: Engine, principal: Principal, specs: Sequence[UnitSpec],
                   config: ReadingsConfig) -> Registered:
    """Add units and meters (all or none). A unit or meter already registered as given is left as it is; one
    registered otherwise (another enterprise, energy or unit) is refused: meters are never re-purposed."""
    added_units: list[str] = []
    added_meters: list[str] = []
    unchanged = 0
    now = utcnow()
    with bulk_transaction(engine) as conn:
        for i, spec in enumerate(specs):
            where = f"units[{i}]"
            ent = conn.execute(select(Enterprise.id, Enterprise.zone_code, Zone.province_code)
                               .join(Zone, Zone.code == Enterprise.zone_code)
                               .where(Enterprise.credit_code == spec.credit_code)).first()
            if ent is None or not can_register_energy_units(principal, ent.zone_code, ent.province_code):
                raise HizoneError(f"no enterprise '{spec.credit_code}' in your scope", where=f"{where}.credit_code")
            unit = conn.execute(select(EnergyUnit.id, EnergyUnit.enterprise_id)
                                .where(EnergyUnit.code == spec.code)).first()
            if unit is not None and unit.enterprise_id != ent.id:
                raise HizoneError(f"unit '{spec.code}' is registered to another enterprise", where=f"{where}.code")
            if unit is None:
                unit_id = conn.execute(insert(EnergyUnit).values(
                    code=spec.code, name=spec.name, enterprise_id=ent.id, zone_code=ent.zone_code,
                    created_by=principal.username, created_at=now).returning(EnergyUnit.id)).scalar_one()
                added_units.append(spec.code)
            else:
                unit_id = unit.id
            known = {m.code: m for m in conn.execute(select(EnergyMeter).where(EnergyMeter.unit_id == unit_id))}
            for j, meter in enumerate(spec.meters):
                at = f"{where}.meters[{j}]"
                problem = config.unit_problem(meter.energy, meter.measure_unit)
                if problem:
                    raise HizoneError(problem, where=f"{at}.{'energy' if 'energy code' in problem else 'measure_unit'}")
                old = known.get(meter.code)
                if old is not None:
                    if (old.energy, old.measure_unit) != (meter.energy, meter.measure_unit):
                        raise HizoneError(f"meter '{meter.code}' of unit '{spec.code}' measures {old.energy} in "
                                          f"{old.measure_unit}; a meter is never re-purposed (name a new one)",
                                          where=f"{at}.code")
                    unchanged += 1
                    continue
                conn.execute(insert(EnergyMeter).values(unit_id=unit_id, code=meter.code, energy=meter.energy,
                                                        measure_unit=meter.measure_unit,
                                                        created_by=principal.username, created_at=now))
                added_meters.append(f"{spec.code}/{meter.code}")
    return Registered(added_units, added_meters, unchanged)


_METERS = (select(EnergyMeter.id, EnergyUnit.id.label("unit_id"), EnergyUnit.code.label("unit_code"),
                  EnergyMeter.code, EnergyUnit.zone_code, Zone.province_code, Enterprise.credit_code,
                  EnergyMeter.energy, EnergyMeter.measure_unit)  # in the order of _MeterRow's fields
           .join(EnergyUnit, EnergyUnit.id == EnergyMeter.unit_id)
           .join(Enterprise, Enterprise.id == EnergyUnit.enterprise_id)
           .join(Zone, Zone.code == EnergyUnit.zone_code).order_by(EnergyMeter.id))


@dataclass(frozen=True)
class _MeterRow:
    id: int
    unit_id: int
    unit_code: str
    code: str
    zone_code: str
    province_code: str
    credit_code: str
    energy: str
    measure_unit: str


_TableKey = tuple[str, int, int]
_meter_rows: dict[_TableKey, list[_MeterRow]] = {}
_scoped: dict[tuple[Any, ...], Meters | MeterInfo] = {}


def _all_meters(conn: Connection) -> tuple[_TableKey, list[_MeterRow]]:
    """Every meter with its unit, zone and enterprise. Units and meters are only ever added, so the largest ids
    name the table as it is: kept per store until one is added (a batch of 10,000 units' readings would otherwise
    spend most of its time reading them again), and so are the views of it per scope."""
    key = (conn.engine.url.render_as_string(hide_password=True),
           int(conn.scalar(select(func.max(EnergyMeter.id))) or 0), int(conn.scalar(select(func.max(EnergyUnit.id)))
                                                                          or 0))
    if key not in _meter_rows:
        _meter_rows.clear()
        _scoped.clear()
        _meter_rows[key] = [_MeterRow(*r) for r in conn.execute(_METERS)]
    return key, _meter_rows[key]


def _scope_key(p: Principal) -> tuple[str | None, ...]:
    return (p.role, p.province_code, p.zone_code, p.credit_code)


def sender_meters(conn: Connection, principal: Principal) -> Meters:
    """The meters ``principal`` may send readings of (the others are unknown to it)."""
    table, rows = _all_meters(conn)
    key = ("send", table, _scope_key(principal))
    if key not in _scoped:
        _scoped[key] = Meters.of([(r.id, r.unit_code, r.code, r.energy, r.measure_unit) for r in rows
                                  if can_send_readings(principal, r.credit_code, r.zone_code, r.province_code)])
    found = _scoped[key]
    assert isinstance(found, Meters)
    return found


def meter_info(conn: Connection, principal: Principal, zone: str | None = None, unit: str | None = None) -> MeterInfo:
    """The meters whose readings ``principal`` may read, of one zone or unit when given."""
    table, rows = _all_meters(conn)
    key = ("read", table, _scope_key(principal), zone, unit)
    if key not in _scoped:
        _scoped[key] = MeterInfo.of([(r.id, r.unit_id, r.unit_code, r.code, r.zone_code, r.energy) for r in rows
                                     if can_read_readings(principal, r.credit_code, r.zone_code, r.province_code)
                                     and (zone is None or r.zone_code == zone)
                                     and (unit is None or r.unit_code == unit)])
    found = _scoped[key]
    assert isinstance(found, MeterInfo)
    return found


def _earlier(conn: Connection, key: str) -> EnergyReadingBatch | None:
    return conn.execute(select(EnergyReadingBatch.id, EnergyReadingBatch.content_sha256,
                               EnergyReadingBatch.reading_count, EnergyReadingBatch.first_at,
                               EnergyReadingBatch.last_at, EnergyReadingBatch.created_by)
                        .where(EnergyReadingBatch.idempotency_key == key)).first()  # type: ignore[return-value]


def _replay(earlier: EnergyReadingBatch, checked: Checked | Refused, key: str) -> StoredBatch:
    if not isinstance(checked, Checked) or checked.sha256 != earlier.content_sha256:
        raise KeyConflict(f"idempotency key '{key}' was used for batch {earlier.id} with other content; send new "
                          f"content under a new key", where="Idempotency-Key")
    return StoredBatch(earlier.id, earlier.reading_count, earlier.first_at, earlier.last_at, replayed=True)


def store_batch(engine: Engine, principal: Principal, key: str, batch: RawBatch, config: ReadingsConfig,
                now: dt.datetime | None = None) -> StoredBatch:
    """Check and store a batch under its idempotency key: all of it with its change event, or nothing."""
    now = now or utcnow()
    with engine.connect() as conn:
        meters = sender_meters(conn, principal)
        earlier = _earlier(conn, key)
    checked = check_batch(batch, meters, config, now.timestamp())
    if earlier is not None:
        return _replay(earlier, checked, key)
    if isinstance(checked, Refused):
        raise ReadingsRefused(checked)
    first, last = int(checked.times.min()), int(checked.times.max())
    meter_ids, times, quantities = checked.packed()
    try:
        with bulk_transaction(engine) as conn:
            batch_id = conn.execute(insert(EnergyReadingBatch).values(
                idempotency_key=key, content_sha256=checked.sha256, reading_count=len(checked), first_at=first,
                last_at=last, meter_ids=meter_ids, times=times, quantities=quantities,
                created_by=principal.username, created_at=now).returning(EnergyReadingBatch.id)).scalar_one()
            month = dt.datetime.fromtimestamp(first + 8 * 3600, dt.UTC).strftime("%Y-%m")
            record_readings(conn, _who(principal), batch_id, month, now, readings=len(checked), first_at=first,
                            last_at=last, key=key)
    except IntegrityError:  # the same key stored by a concurrent request since we looked
        with engine.connect() as conn:
            earlier = _earlier(conn, key)
        if earlier is None:
            raise
        return _replay(earlier, checked, key)
    return StoredBatch(batch_id, len(checked), first, last, replayed=False)


def load_readings(conn: Connection, meters: MeterInfo, start: int, end: int) -> Readings:
    """The current readings of ``meters`` at times in [start, end) (epoch seconds)."""
    readings, overlapping = _stored_spans(conn, meters, start, end)
    return readings.current() if overlapping else readings


def _stored(conn: Connection, meters: MeterInfo, start: int, end: int) -> Readings:
    """Every stored reading of ``meters`` at times in [start, end), superseded ones included."""
    return _stored_spans(conn, meters, start, end)[0]


def _stored_spans(conn: Connection, meters: MeterInfo, start: int, end: int) -> tuple[Readings, bool]:
    """The stored readings, and whether two of their batches' time spans overlap (only then can a reading be
    superseded)."""
    rows = conn.execute(select(EnergyReadingBatch.id, EnergyReadingBatch.first_at, EnergyReadingBatch.last_at,
                               EnergyReadingBatch.meter_ids, EnergyReadingBatch.times, EnergyReadingBatch.quantities)
                        .where(EnergyReadingBatch.last_at >= start, EnergyReadingBatch.first_at < end)
                        .order_by(EnergyReadingBatch.id)).all()
    every_meter = bool(meters.known[1:].all())
    parts, spans = [], []
    for batch_id, first_at, last_at, meter_ids, times, quantities in rows:
        part = Readings.unpack(batch_id, meter_ids, times, quantities)
        spans.append((first_at, last_at))
        if start <= first_at and last_at < end and every_meter and len(part.meter_ids) \
                and int(part.meter_ids.max()) < len(meters.known):
            parts.append(part)
            continue
        ids = part.meter_ids
        keep = (part.times >= start) & (part.times < end) & (ids < len(meters.known))
        keep[keep] = meters.known[ids[keep]]
        parts.append(Readings(ids[keep], part.times[keep], part.quantities[keep], part.batch_ids[keep]))
    return Readings.concat(parts), _overlap(spans)


def _overlap(spans: list[tuple[int, int]]) -> bool:
    """Whether two batches' time spans share a moment: only then can one supersede another's readings."""
    reach = None  # the latest moment of the batches that start earlier
    for first, last in sorted(spans):
        if reach is not None and first <= reach:
            return True
        reach = last if reach is None else max(reach, last)
    return False


def batch_count(conn: Connection) -> tuple[int, int]:
    """(batches, readings) stored: what a refused batch leaves as it was."""
    batches, readings = conn.execute(select(func.count(EnergyReadingBatch.id),
                                            func.sum(EnergyReadingBatch.reading_count))).one()
    return int(batches), int(readings or 0)


def raise_history_alerts(engine: Engine, config: ReadingsConfig, now: dt.datetime | None = None) -> dict[str, int]:
    """Run the readings rules over every unit's day totals of the days before ``now`` (as many as the longest
    window needs, plus a month) and keep what they raise in the alert store (level "unit", one a unit and month)."""
    from hizone.carbon.readings import DAY_S, above_own_history, china_days, rollup
    from hizone.monitor.service import AlertStore

    moment = int((now or utcnow()).timestamp())
    end = int(china_days(np.array([moment]))[0]) * DAY_S - 8 * 3600  # the start of today, China time
    days = max((r.window for r in config.rules), default=0) + 31
    with engine.connect() as conn:
        meters = meter_info(conn, Principal("monitor", "admin"))
        readings = load_readings(conn, meters, end - days * DAY_S, end)
    totals = rollup(readings, meters, "unit", "day")
    return AlertStore(engine).record([a for rule in config.rules for a in above_own_history(rule, totals)])


def export_parquet(conn: Connection, directory: Path, start: int, end: int) -> list[Path]:
    """The current readings at times in [start, end) as Parquet for the scale-out roll-up: ``readings.parquet``
    (meter_id, ts, quantity, batch_id: the rows as stored, corrections included, so Spark decides what is
    current as the embedded roll-up does) and ``meters.parquet`` (meter_id, meter, unit, zone, energy)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    _, rows = _all_meters(conn)
    pq.write_table(pa.table({"meter_id": pa.array([r.id for r in rows], pa.int32()),
                             "meter": [f"{r.unit_code}/{r.code}" for r in rows], "unit": [r.unit_code for r in rows],
                             "zone": [r.zone_code for r in rows], "energy": [r.energy for r in rows]}),
                   directory / "meters.parquet")
    everything = MeterInfo.of([(r.id, r.unit_id, r.unit_code, r.code, r.zone_code, r.energy) for r in rows])
    readings = _stored(conn, everything, start, end)
    pq.write_table(pa.table({"meter_id": readings.meter_ids, "ts": readings.times, "quantity": readings.quantities,
                             "batch_id": readings.batch_ids}), directory / "readings.parquet")
    return [directory / "meters.parquet", directory / "readings.parquet"]

"""A zone's main energy-using units (重点用能单位) as the readings page shows them: each unit's day and month
roll-ups of a month and the latest warnings the readings rules raised about them.

The roll-ups are hizone.carbon.readings.rollup over the meters the caller may read (store.readings.meter_info,
through auth.policy.can_read_readings); whether the caller may open a zone's page at all is can_read_zone.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from hizone.analytics.read import Reader
from hizone.auth.policy import Principal, can_read_zone
from hizone.carbon.readings import CHINA_OFFSET_S, default_config, rollup
from hizone.store.models import Alert, EnergyReadingBatch, EnergyUnit
from hizone.store.readings import load_readings, meter_info
from hizone.web.services.carbon import CarbonRequestError

LATEST_ALERTS = 20
_CST = dt.timezone(dt.timedelta(seconds=CHINA_OFFSET_S))


def _month_bounds(month: str) -> tuple[int, int]:
    """[start, end) of a month in epoch seconds, China time."""
    year, number = int(month[:4]), int(month[5:7])
    start = dt.datetime(year, number, 1, tzinfo=_CST)
    after = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=_CST)
    return int(start.timestamp()), int(after.timestamp())


def _latest_month(engine: Engine) -> str | None:
    """The China-time month of the latest reading stored (None: none is)."""
    with engine.connect() as conn:
        last = conn.execute(select(func.max(EnergyReadingBatch.last_at))).scalar()
    return None if last is None else dt.datetime.fromtimestamp(int(last), _CST).strftime("%Y-%m")


def zone_readings(engine: Engine, fig: Reader, principal: Principal, zone_code: str, month: str | None
                  ) -> dict[str, Any]:
    """The zone's units with their month and day totals per energy in ``month`` (default: the latest month with
    readings), and the latest readings warnings about them; only the units the caller may read."""
    zone = fig.zones.get(zone_code)
    if zone is None:
        raise CarbonRequestError(404, f"no zone '{zone_code}'", "zone_code")
    if not can_read_zone(principal, zone_code, zone.province_code):
        raise CarbonRequestError(403, "the readings of this zone are outside your scope", "zone_code")
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise CarbonRequestError(422, f"month: expected YYYY-MM, got {month!r}", "month")
    chosen = month or _latest_month(engine) or dt.datetime.now(_CST).strftime("%Y-%m")
    start, end = _month_bounds(chosen)
    with engine.connect() as conn:
        meters = meter_info(conn, principal, zone=zone_code)
        readings = load_readings(conn, meters, start, end)
        codes = list(meters.keys["unit"])
        names = dict(conn.execute(select(EnergyUnit.code, EnergyUnit.name).where(EnergyUnit.code.in_(codes))).all())
        alerts = conn.execute(select(Alert.entity_key, Alert.period, Alert.severity, Alert.state, Alert.message,
                                     Alert.last_seen).where(Alert.level == "unit", Alert.entity_key.in_(codes))
                              .order_by(Alert.last_seen.desc(), Alert.id.desc()).limit(LATEST_ALERTS)).all()
    days, months = rollup(readings, meters, "unit", "day"), rollup(readings, meters, "unit", "month")
    energies = default_config().energies
    units = []
    for k, code in enumerate(days.keys):
        rows = [{"energy": energy, "unit": energies[energy].unit if energy in energies else "",
                 "month_total": _total(months.totals[k, e, 0]) if months.periods else None,
                 "readings": int(months.counts[k, e].sum()),
                 "days": [_total(v) for v in days.totals[k, e]]}
                for e, energy in enumerate(days.energies) if days.counts[k, e].sum()]
        units.append({"code": code, "name": names.get(code, code), "energies": rows})
    return {"zone": zone_code, "zone_name_zh": zone.name_zh, "zone_name_en": zone.name_en, "month": chosen,
            "days": list(days.periods), "units": units,
            "alerts": [{"unit": a.entity_key, "period": a.period, "severity": a.severity, "state": a.state,
                        "message": a.message, "last_seen": a.last_seen.strftime("%Y-%m-%d %H:%M")} for a in alerts]}


def _total(value: float) -> float | None:
    return None if np.isnan(value) else float(value)

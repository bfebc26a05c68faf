"""The demo's incubation chain: 孵化器 and 众创空间 in the demo zones with their levels and stays, calibrated to the
national 2021 figures (incubation.yaml) at the demo's scale, so each count is round(published × scale). Graduates
take demo enterprises' credit codes first (so their later path on the ladder shows), then synthetic codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection

from hizone.catalog import read_yaml
from hizone.demo.generate import DemoData, credit_codes
from hizone.store.bulk import bulk_insert

CALIBRATION = Path(__file__).with_name("incubation.yaml")


def targets(scale: float) -> dict[str, int]:
    """The published 2021 counts at the demo's scale: what the demo holds, exactly."""
    return {k: round(v * scale) for k, v in read_yaml(CALIBRATION)["published"].items()}


def _per_zone(rng: np.random.Generator, data: DemoData, total: int, cal: dict[str, Any]) -> np.ndarray:
    codes = [z.code for z in data.zones]
    fixed = np.zeros(len(codes), dtype=np.int64)
    for code, count in cal["zone_carriers"].items():
        if code in codes:
            fixed[codes.index(code)] = round(count * data.scale)
    rest = max(0, total - int(fixed.sum()))
    weight = np.bincount(data.enterprises.zone, minlength=len(codes)).astype(float)
    weight[fixed > 0] = 0
    return fixed + rng.multinomial(rest, weight / weight.sum())


def _day(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    span = (end - start).days
    return [start + dt.timedelta(days=int(d)) for d in rng.integers(0, span + 1, n)]


def load_incubation(conn: Connection, data: DemoData) -> int:
    """Store the demo's carriers, level events and stays; returns the number of carriers."""
    cal, goal = read_yaml(CALIBRATION), targets(data.scale)
    rng = np.random.default_rng(data.seed + 16)
    as_of = dt.date.fromisoformat(str(cal["as_of"]))
    per_zone = _per_zone(rng, data, goal["carriers"], cal)
    zones = [z for z, n in zip(data.zones, per_zone, strict=True) for _ in range(int(n))]
    kinds = np.array(["众创空间"] * len(zones), dtype=object)
    kinds[rng.choice(len(zones), goal["incubators"], replace=False)] = "孵化器"
    special = rng.random(len(zones)) < cal["assumptions"]["specialised_share"]
    fields = cal["assumptions"]["fields"]
    codes = credit_codes(rng, np.array([z.province_code + "0100" for z in zones]))
    rows = [(str(codes[i]), f"{z.city}{kinds[i]}{i + 1}号（合成）", kinds[i], "专业" if special[i] else "综合",
             fields[i % len(fields)] if special[i] else None, z.code, z.province_code, z.longitude, z.latitude,
             int(rng.integers(2005, 2020)), "demo", True) for i, z in enumerate(zones)]
    bulk_insert(conn, "carrier", ("id", "code", "name", "kind", "focus", "field", "zone_code", "province_code",
                                  "longitude", "latitude", "founded_year", "source", "synthetic"),
                [(i + 1, *row) for i, row in enumerate(rows)])
    bulk_insert(conn, "carrier_level", ("carrier_id", "level", "event", "day", "document", "source"),
                _levels(rng, kinds, goal, cal))
    bulk_insert(conn, "incubatee", ("carrier_id", "credit_code", "entry", "graduated", "criterion", "source",
                                    "synthetic"), _stays(rng, data, np.flatnonzero(kinds == "孵化器"), goal, as_of))
    return len(rows)


def _levels(rng: np.random.Generator, kinds: np.ndarray, goal: dict[str, int],
            cal: dict[str, Any]) -> list[tuple[int, str, str, dt.date, str, str]]:
    events = []
    for kind, national, count in (("孵化器", "国家级", goal["incubators_national"]),
                                  ("众创空间", "国家备案", goal["maker_spaces_filed"])):
        of_kind = np.flatnonzero(kinds == kind)
        top = set(rng.choice(of_kind, min(count, len(of_kind)), replace=False).tolist())
        for i in of_kind.tolist():
            level = national if i in top else (
                "省级" if rng.random() < cal["assumptions"]["provincial_share"] else "市级")
            day = _day(rng, dt.date(2012, 1, 1), dt.date(2021, 6, 30), 1)[0]
            events.append((i + 1, level, "recognised", day, "（合成）", "demo"))
    return events


def _stays(rng: np.random.Generator, data: DemoData, incubators: np.ndarray, goal: dict[str, int],
           as_of: dt.date) -> list[tuple[int, str, dt.date, dt.date | None, str | None, str, bool]]:
    """In-incubation stays (entered 2017–2021, a few beyond 48 months) and graduated ones (entered 2010–2019,
    out 1–4 years later, by 2021): one stay per enterprise, so no two overlap."""
    n_open, n_done = goal["in_incubation"], goal["graduated"]
    young = np.flatnonzero(data.enterprises.founded.astype("datetime64[D]") >= np.datetime64("2009-01-01"))
    linked = [str(c) for c in np.asarray(data.enterprises.credit_code)[rng.permutation(young)][:n_done]]
    taken = set(np.asarray(data.enterprises.credit_code).tolist())
    fresh = [str(c) for c in credit_codes(rng, np.array(["110108"] * (n_open + n_done - len(linked))))
             if str(c) not in taken]
    while len(fresh) < n_open + n_done - len(linked):  # a clash with a demo enterprise: draw again
        extra = credit_codes(rng, np.array(["110108"]))[0]
        if extra not in taken and extra not in fresh:
            fresh.append(str(extra))
    codes = linked + fresh
    carrier = (incubators[rng.integers(0, len(incubators), n_open + n_done)] + 1).tolist()
    criteria = rng.choice(["hightech", "financing", "revenue", "acquired_listed"], n_done, p=[0.4, 0.3, 0.25, 0.05])
    out: list[tuple[int, str, dt.date, dt.date | None, str | None, str, bool]] = []
    for k, entry in enumerate(_day(rng, dt.date(2010, 1, 1), dt.date(2019, 12, 31), n_done)):
        out.append((carrier[k], codes[k], entry,
                    min(as_of, entry + dt.timedelta(days=int(rng.integers(365, 4 * 365)))), str(criteria[k]),
                    "demo", True))
    for k, entry in enumerate(_day(rng, dt.date(2017, 1, 1), as_of, n_open), start=n_done):
        out.append((carrier[k], codes[k], entry, None, None, "demo", True))
    return out

"""The demo's talent campaign (科研助理岗位 2022): a synthetic target for every demo zone and its weekly cumulative
reports from the campaign's first week to the week of its deadline, stored through the same form as real reports
and labelled synthetic. Some zones run ahead, some lag (so the laggard warnings have something to find).

Targets scale with a zone's size (its share of the demo's enterprises), 20 to 600 posts: the published zone
targets run from 100 (三亚崖州湾) to 300 (海口) and 1,852 were reached in 苏州 (enterprise-rules.md §6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import Connection

from hizone.catalog import Catalog
from hizone.intake.periods import normalise_period
from hizone.store.models import TalentTarget, utcnow
from hizone.store.values import ValueLayout
from hizone.talent.campaign import campaign
from hizone.talent.store import as_of

CAMPAIGN = "research_assistant-2022"
KINDS = ("ta_dev_hightech", "ta_dev_tech_sme", "ta_dev_incubator", "ta_dev_institute", "ta_dev_university")
KIND_SHARES = (0.45, 0.25, 0.08, 0.1, 0.07)  # the rest: ta_dev_other
LEVELS = ("ta_signed_doctor", "ta_signed_master", "ta_signed_bachelor")
LEVEL_SHARES = (0.05, 0.35, 0.5)  # the rest: ta_signed_college
# The columns weekly() makes, in its order.
MADE = ("ta_developed", "ta_signed", "ta_on_duty", *KINDS, "ta_dev_other", *LEVELS, "ta_signed_college")
Insert = Callable[..., int]


def targets(zone_sizes: np.ndarray) -> np.ndarray:
    """Each zone's target: its share of the enterprises times 30,000 posts, between 20 and 600, to tens."""
    share = zone_sizes / max(zone_sizes.sum(), 1)
    return np.clip(np.round(share * 30_000 / 10) * 10, 20, 600).astype(np.int64)


def weekly(target: np.ndarray, pace: np.ndarray, shares_due: list[float]) -> list[np.ndarray]:
    """Per week, (zones × fields) cumulative figures: developed = target × due share × pace (non-decreasing),
    signed 70% and on duty 90% of it, split by employer kind and graduate level (floors; the rest to 其他/专科)."""
    weeks = []
    for due in shares_due:
        developed = np.floor(target * min(1.0, due) * pace)
        signed = np.floor(developed * 0.7 * min(1.0, 0.5 + due / 2))
        on_duty = np.floor(signed * 0.9)
        kinds = [np.floor(developed * s) for s in KIND_SHARES]
        levels = [np.floor(signed * s) for s in LEVEL_SHARES]
        columns = [developed, signed, on_duty, *kinds, developed - sum(kinds), *levels, signed - sum(levels)]
        weeks.append(np.column_stack(columns))
    return weeks


def load_talent(conn: Connection, zone_codes: list[str], zone_sizes: np.ndarray, catalog: Catalog, seed: int,
                insert: Insert) -> int:
    """The targets and weekly reports of every zone; ``insert`` stores one batch (demo.load._insert_period)."""
    c = campaign(CAMPAIGN)
    rng = np.random.default_rng(seed + 17)
    target = targets(zone_sizes)
    pace = np.clip(rng.normal(1.05, 0.2, len(zone_codes)), 0.55, 1.6)  # < 0.8: behind the schedule
    now = utcnow()
    conn.execute(TalentTarget.__table__.insert(), [  # type: ignore[attr-defined]
        {"campaign": c.key, "level": "zone", "key": code, "target": int(t), "set_by": "national",
         "source": "合成演示数据 / synthetic demo", "imported_by": "demo", "imported_at": now, "source_sha256": "",
         "synthetic": True} for code, t in zip(zone_codes, target, strict=True)])
    periods = _weeks(c.start, c.deadline)
    form = catalog.form(c.report_form, c.version)
    elements = tuple(f.element.code for f in form.fields)
    layout = (form.version, ValueLayout(elements, tuple(True for _ in elements)))
    keys = np.asarray(zone_codes, dtype=np.str_)
    count = 0
    for period, matrix in zip(periods, weekly(target, pace, [c.due(as_of(p, c)) for p in periods]), strict=True):
        received = dt.datetime.combine(as_of(period, c) + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
        count += insert(conn, c.report_form, period, layout, (keys, keys, _order(matrix, elements)), received)
    return count


def _weeks(start: dt.date, deadline: dt.date) -> list[str]:
    days = [start + dt.timedelta(days=7 * i) for i in range((deadline - start).days // 7 + 2)]
    found = sorted({str(normalise_period(d.isoformat(), "weekly")) for d in days if d <= deadline + dt.timedelta(6)})
    return [p for p in found if dt.date.fromisocalendar(int(p[:4]), int(p[5:]), 1) <= deadline]


def _order(matrix: np.ndarray, elements: tuple[str, ...]) -> Any:
    """The columns in the form's order (weekly() writes them in its own)."""
    return matrix[:, [MADE.index(e) for e in elements]]

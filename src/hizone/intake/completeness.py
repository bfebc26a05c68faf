"""Who has reported, on time or late, and in which approval state; who is missing.

Timeliness is the reporting calendar's (``online.calendar``): a report is on time when its first revision
arrived (in China's day; a file counts on arrival, as the intake always has) not after the form's deadline for
the period; an entity with nothing received is missing once the deadline has passed, open or not yet open before.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from hizone.catalog import Catalog, default_catalog
from hizone.intake.periods import normalise_period
from hizone.online.calendar import Status, Window, local_date, timeliness, window
from hizone.store.models import Enterprise, Submission, Zone


@dataclass(frozen=True)
class EntityStatus:
    entity_key: str
    name: str
    zone_code: str
    first_received: dt.datetime | None
    status: Status
    days: int  # late: days after the deadline; missing: days overdue; open: days left; not_open: days to opening
    state: str | None  # of the latest revision
    revision: int | None

    @property
    def reported(self) -> bool:
        return self.first_received is not None


@dataclass
class ZoneSummary:
    zone_code: str
    zone_name: str
    expected: int = 0
    reported: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0  # past the deadline with nothing submitted
    pending: int = 0  # nothing submitted, the deadline still ahead (open or not yet open)
    states: dict[str, int] = field(default_factory=dict)


@dataclass
class CompletenessReport:
    form: str
    period: str
    window: Window
    today: dt.date
    entities: list[EntityStatus]
    zones: list[ZoneSummary]

    @property
    def deadline(self) -> dt.date:
        return self.window.deadline

    @property
    def missing(self) -> list[EntityStatus]:
        """The reminder list: expected reporters with nothing submitted past the deadline."""
        return [e for e in self.entities if e.status is Status.MISSING]


def completeness(engine: Engine, form: str, period: str, *, today: dt.date | None = None,
                 catalog: Catalog | None = None) -> CompletenessReport:
    """Each expected reporter's timeliness on ``today`` (China's today by default), and the counts per zone."""
    cat = catalog or default_catalog()
    versions = cat.forms.get(form)
    canonical = normalise_period(period, versions[0].frequency) if versions else None
    entity_kind = cat.form(form, int((canonical or period)[:4])).entity  # an unknown form is refused here
    canonical = canonical or period
    win = window(form, canonical)
    on = today or local_date(dt.datetime.now(dt.UTC))
    with engine.connect() as conn:
        zone_names = {code: name for code, name in conn.execute(select(Zone.code, Zone.name_zh))}
        if entity_kind == "enterprise":
            expected = [(c, n, z) for c, n, z in conn.execute(
                select(Enterprise.credit_code, Enterprise.name, Enterprise.zone_code).order_by(Enterprise.zone_code,
                                                                                              Enterprise.credit_code))]
        else:
            expected = [(code, name, code) for code, name in sorted(zone_names.items())]
        firsts = {key: first for key, first in conn.execute(
            select(Submission.entity_key, func.min(Submission.created_at))
            .where(Submission.form_code == form, Submission.period == canonical)
            .group_by(Submission.entity_key))}
        latest = {key: (rev, state) for key, state, rev in conn.execute(
            select(Submission.entity_key, Submission.state, Submission.revision)
            .where(Submission.form_code == form, Submission.period == canonical)
            .order_by(Submission.entity_key, Submission.revision))}
    entities = []
    summaries: dict[str, ZoneSummary] = {}
    for key, name, zone in expected:
        first = firsts.get(key)
        if first is not None and local_date(first) > on:
            first = None  # as of ``on`` it had not arrived yet
        timely = timeliness(win, first, on)
        revision, state = latest.get(key, (None, None))
        entities.append(EntityStatus(key, name, zone, first, timely.status, timely.days, state, revision))
        summary = summaries.setdefault(zone, ZoneSummary(zone, zone_names.get(zone, "")))
        summary.expected += 1
        summary.reported += first is not None
        summary.on_time += timely.status is Status.ON_TIME
        summary.late += timely.status is Status.LATE
        summary.missing += timely.status is Status.MISSING
        summary.pending += timely.status in (Status.OPEN, Status.NOT_OPEN)
    for zone, counts in _state_counts(entities).items():
        summaries[zone].states = counts
    return CompletenessReport(form, canonical, win, on, entities, [summaries[z] for z in sorted(summaries)])


def _state_counts(entities: list[EntityStatus]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {}
    for e in entities:
        if e.state:
            counts.setdefault(e.zone_code, Counter())[e.state] += 1
    return {zone: dict(c) for zone, c in counts.items()}

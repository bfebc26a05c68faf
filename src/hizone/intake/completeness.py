"""Who has reported, on time or late, and in which approval state; who is missing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from hizone.catalog import Catalog, default_catalog
from hizone.intake.periods import normalise_period, period_end
from hizone.intake.rules import rules_for
from hizone.store.models import Enterprise, Submission, Zone


@dataclass(frozen=True)
class EntityStatus:
    entity_key: str
    name: str
    zone_code: str
    reported: bool
    first_received: dt.datetime | None
    on_time: bool | None  # None while not reported
    state: str | None  # of the latest revision
    revision: int | None


@dataclass
class ZoneSummary:
    zone_code: str
    zone_name: str
    expected: int = 0
    reported: int = 0
    on_time: int = 0
    late: int = 0
    states: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return self.expected - self.reported


@dataclass
class CompletenessReport:
    form: str
    period: str
    deadline: dt.date
    entities: list[EntityStatus]
    zones: list[ZoneSummary]

    @property
    def missing(self) -> list[EntityStatus]:
        """The reminder list: expected reporters with no submission at all."""
        return [e for e in self.entities if not e.reported]


def completeness(engine: Engine, form: str, period: str, *, catalog: Catalog | None = None) -> CompletenessReport:
    cat = catalog or default_catalog()
    versions = cat.forms.get(form)
    canonical = normalise_period(period, versions[0].frequency) if versions else None
    rules = rules_for(form, int((canonical or period)[:4]), catalog)
    canonical = canonical or period
    deadline = period_end(canonical) + dt.timedelta(days=rules.deadline_days)
    with engine.connect() as conn:
        zone_names = {code: name for code, name in conn.execute(select(Zone.code, Zone.name_zh))}
        if rules.form.entity == "enterprise":
            expected = [(c, n, z) for c, n, z in conn.execute(
                select(Enterprise.credit_code, Enterprise.name, Enterprise.zone_code).order_by(Enterprise.zone_code,
                                                                                              Enterprise.credit_code))]
        else:
            expected = [(code, name, code) for code, name in sorted(zone_names.items())]
        firsts = {key: (first, last) for key, first, last in conn.execute(
            select(Submission.entity_key, func.min(Submission.created_at), func.max(Submission.revision))
            .where(Submission.form_code == form, Submission.period == canonical)
            .group_by(Submission.entity_key))}
        states = {key: state for key, state, rev in conn.execute(
            select(Submission.entity_key, Submission.state, Submission.revision)
            .where(Submission.form_code == form, Submission.period == canonical))
            if firsts.get(key, (None, None))[1] == rev}
    entities = []
    summaries: dict[str, ZoneSummary] = {}
    for key, name, zone in expected:
        first, revision = firsts.get(key, (None, None))
        on_time = None if first is None else first.date() <= deadline
        entities.append(EntityStatus(key, name, zone, first is not None, first, on_time, states.get(key), revision))
        summary = summaries.setdefault(zone, ZoneSummary(zone, zone_names.get(zone, "")))
        summary.expected += 1
        if first is not None:
            summary.reported += 1
            summary.on_time += bool(on_time)
            summary.late += not on_time
    for zone, counts in _state_counts(entities).items():
        summaries[zone].states = counts
    return CompletenessReport(form, canonical, deadline, entities, [summaries[z] for z in sorted(summaries)])


def _state_counts(entities: list[EntityStatus]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {}
    for e in entities:
        if e.state:
            counts.setdefault(e.zone_code, Counter())[e.state] += 1
    return {zone: dict(c) for zone, c in counts.items()}

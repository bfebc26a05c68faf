"""What the CLI, the API and the pages read of the incubation chain: carriers in a principal's scope, a carrier's
profile (levels, incubatees, self-check, grade), a zone's chain as a funnel, graduates' later path on the
enterprise ladder, the national summary. Scope is the registry's: a zone sees its own carriers, a province its
zones' and the carriers outside any zone in it, the national roles everything, the public nothing."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Integer, and_, case, distinct, func, literal_column, or_, select

from hizone.auth.policy import Principal, can_read_carrier, data_scope
from hizone.errors import HizoneError
from hizone.incubation.engine import (
    Check,
    Graded,
    Indicator,
    evaluate,
    framework,
    held_levels,
    self_check,
    self_check_figures,
)
from hizone.incubation.registry import vocabulary
from hizone.intake.service import SubmissionView, list_submissions
from hizone.store.models import Carrier, CarrierLevel, Enterprise, Incubatee, Qualification

CHAIN = ("众创空间", "孵化器", "加速器", "大学科技园")
LADDER = ("high_tech", "gazelle", "listed")  # what graduates became afterwards
FORMS = {"众创空间": "maker_space_annual"}  # every other kind reports the incubator form
INCUBATOR_FORM = "incubator_annual"


class CarrierNotFound(HizoneError):
    """No such carrier, or one outside the principal's scope (the same answer: nothing leaks)."""


@dataclass(frozen=True)
class CarrierRow:
    code: str
    name: str
    kind: str
    focus: str
    field: str | None
    zone_code: str | None
    province_code: str
    levels: tuple[str, ...]  # held today
    longitude: float | None
    latitude: float | None
    in_incubation: int
    graduated: int
    overdue: int
    synthetic: bool = False  # the demo's


@dataclass(frozen=True)
class Profile:
    carrier: CarrierRow
    operator: str | None
    address: str | None
    founded_year: int | None
    history: list[tuple[str, str, dt.date, str | None]]  # level, event, day, document
    report_year: str | None
    report_state: str | None
    checks: list[Check]
    grade: Graded | None
    criteria: dict[str, int]  # graduates by criterion met
    path: dict[str, int]  # graduates that became 高企 / 瞪羚 / listed afterwards
    indicators: list[Indicator] = field(default_factory=list)  # what the grade is made of (incubators only)


@dataclass
class Funnel:
    """A zone's (or the nation's) chain: carriers, enterprises in incubation and graduates by kind."""

    key: str
    stages: list[dict[str, Any]] = field(default_factory=list)


def _scoped(query: Any, principal: Principal) -> Any:
    scope = data_scope(principal)
    if scope.nothing or scope.credit_code:
        return query.where(False)
    if scope.province_code:
        query = query.where(Carrier.province_code == scope.province_code)
    if scope.zone_code:
        query = query.where(Carrier.zone_code == scope.zone_code)
    return query


def overdue_before(today: dt.date, months: int) -> dt.date:
    """The last entry day of a stay more than ``months`` full months old on ``today`` (see months_between)."""
    index = today.year * 12 + today.month - 1 - (months + 1)
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(today.day, last))


def _counts(engine: Engine, today: dt.date) -> dict[int, tuple[int, int, int]]:
    """Per carrier id: (in incubation, graduated, in incubation beyond the limit) on ``today``, counted by the
    database: a stay entered after ``today`` is not yet counted, one that ended after it is still open then."""
    threshold = overdue_before(today, vocabulary().months)
    entered = Incubatee.entry <= today
    open_stay = and_(entered, or_(Incubatee.graduated.is_(None), Incubatee.graduated > today))
    # "+carrier_id": SQLite would otherwise walk the carrier_id index and fetch each stay's row from wherever it
    # lies (700,000 stays: 1.1 s); one scan and a sort of the groups take 0.6 s. PostgreSQL hashes either way.
    carrier = literal_column("+incubatee.carrier_id", Integer)
    query = (select(carrier, func.count().filter(open_stay), func.count().filter(Incubatee.graduated <= today),
                    func.count().filter(and_(open_stay, Incubatee.entry <= threshold)))
             .select_from(Incubatee).group_by(carrier))
    with engine.connect() as conn:
        return {carrier_id: (a, b, c) for carrier_id, a, b, c in conn.execute(query)}


def _levels(engine: Engine, ids: list[int], today: dt.date) -> dict[int, tuple[str, ...]]:
    events: dict[int, list[tuple[str, str, dt.date]]] = {}
    with engine.connect() as conn:
        for carrier_id, level, event, day in conn.execute(select(CarrierLevel.carrier_id, CarrierLevel.level,
                                                                 CarrierLevel.event, CarrierLevel.day)):
            events.setdefault(carrier_id, []).append((level, event, day))
    return {i: tuple(sorted(held_levels(events.get(i, []), today))) for i in ids}


def list_carriers(engine: Engine, principal: Principal, *, zone: str | None = None, kind: str | None = None,
                  today: dt.date | None = None) -> list[CarrierRow]:
    today = today or dt.date.today()
    query = _scoped(select(Carrier), principal).order_by(Carrier.code)
    if zone:
        query = query.where(Carrier.zone_code == zone)
    if kind:
        query = query.where(Carrier.kind == kind)
    with engine.connect() as conn:
        carriers = list(conn.execute(query))
    counts = _counts(engine, today)
    levels = _levels(engine, [c.id for c in carriers], today)
    return [CarrierRow(c.code, c.name, c.kind, c.focus, c.field, c.zone_code, c.province_code, levels[c.id],
                       c.longitude, c.latitude, *counts.get(c.id, (0, 0, 0)), c.synthetic) for c in carriers]


def _latest_report(engine: Engine, form: str, code: str) -> SubmissionView | None:
    """The carrier's latest report of its latest year, whatever its state (the profile shows the state)."""
    reports = list_submissions(engine, form=form, entity_key=code)
    return max(reports, key=lambda r: r.period) if reports else None


def grades_for(engine: Engine, principal: Principal, year: str) -> dict[str, Graded]:
    """Each incubator's score and grade for a year from the approved reports of every incubator (grades are
    relative to all of them), returned for the carriers in the principal's scope."""
    reports = {r.entity_key: r.values for r in list_submissions(engine, form=INCUBATOR_FORM, period=year,
                                                                 state="approved")}
    with engine.connect() as conn:
        focus = dict(conn.execute(select(Carrier.code, Carrier.focus).where(Carrier.kind != "众创空间")).all())
    graded = evaluate({code: (focus[code], values) for code, values in reports.items() if code in focus})
    visible = {c.code for c in list_carriers(engine, principal)}
    return {code: g for code, g in graded.items() if code in visible}


def graduates_path(engine: Engine, principal: Principal, *, zone: str | None = None,
                   carrier: str | None = None) -> dict[str, dict[str, int]]:
    """Per carrier code: graduates, and how many of them gained each ladder rung (高企, 瞪羚, listed) on or
    after their graduation, from the registry's qualifications."""
    later = Qualification.valid_from >= Incubatee.graduated
    reached = [func.count(distinct(case((and_(Qualification.kind == kind, later), Incubatee.credit_code))))
               for kind in LADDER]
    # Counted by the database: 233,000 graduated stays fetched into Python sets took 2.5 s, this 0.3 s.
    query = _scoped(select(Carrier.code, func.count(distinct(Incubatee.credit_code)), *reached)
                    .join(Incubatee, Incubatee.carrier_id == Carrier.id)
                    .outerjoin(Enterprise, Enterprise.credit_code == Incubatee.credit_code)
                    .outerjoin(Qualification, and_(Qualification.enterprise_id == Enterprise.id,
                                                   Qualification.kind.in_(LADDER)))
                    .where(Incubatee.graduated.is_not(None)).group_by(Carrier.code), principal)
    if zone:
        query = query.where(Carrier.zone_code == zone)
    if carrier:
        query = query.where(Carrier.code == carrier)
    with engine.connect() as conn:
        return {code: {"graduates": graduates, **dict(zip(LADDER, rungs, strict=True))}
                for code, graduates, *rungs in sorted(conn.execute(query))}


def profile(engine: Engine, principal: Principal, code: str, *, today: dt.date | None = None) -> Profile:
    today = today or dt.date.today()
    with engine.connect() as conn:
        carrier = conn.execute(select(Carrier).where(Carrier.code == code)).first()
        if carrier is None or not can_read_carrier(principal, carrier.zone_code or "", carrier.province_code):
            raise CarrierNotFound(f"no carrier {code}")
        history = [(lv.level, lv.event, lv.day, lv.document) for lv in conn.execute(
            select(CarrierLevel).where(CarrierLevel.carrier_id == carrier.id).order_by(CarrierLevel.day))]
        criteria = Counter(str(c) for (c,) in conn.execute(select(Incubatee.criterion).where(
            Incubatee.carrier_id == carrier.id, Incubatee.graduated.is_not(None))))
    (row,) = [r for r in list_carriers(engine, principal, today=today) if r.code == code]
    report = _latest_report(engine, FORMS.get(carrier.kind, INCUBATOR_FORM), code)
    checks: list[Check] = []
    grade = None
    if report is not None and carrier.kind != "众创空间":
        checks = self_check(self_check_figures(report.values, carrier.founded_year, int(report.period)),
                            carrier.focus)
        grade = grades_for(engine, principal, report.period).get(code)
    path = graduates_path(engine, principal, carrier=code).get(code, {})
    return Profile(row, carrier.operator, carrier.address, carrier.founded_year, history,
                   report.period if report else None, report.state if report else None, checks, grade,
                   dict(sorted(criteria.items())), path,
                   framework(carrier.focus) if carrier.kind != "众创空间" else [])


def chain(engine: Engine, principal: Principal, zone: str | None = None, *,
          today: dt.date | None = None) -> Funnel:
    """The chain 众创空间 → 孵化器 → 加速器 → 大学科技园 of a zone (or of everything in scope): per kind the
    carriers, those at national level, enterprises in incubation and graduated, and graduates that became 高企."""
    rows = list_carriers(engine, principal, zone=zone, today=today)
    path = graduates_path(engine, principal, zone=zone)
    funnel = Funnel(zone or "CN")
    for kind in CHAIN:
        of_kind = [r for r in rows if r.kind == kind]
        funnel.stages.append({
            "kind": kind, "carriers": len(of_kind),
            "national": sum(1 for r in of_kind if {"国家级", "国家备案"} & set(r.levels)),
            "in_incubation": sum(r.in_incubation for r in of_kind),
            "graduated": sum(r.graduated for r in of_kind), "overdue": sum(r.overdue for r in of_kind),
            "became_high_tech": sum(path.get(r.code, {}).get("high_tech", 0) for r in of_kind)})
    return funnel


def summary(engine: Engine, principal: Principal, *, today: dt.date | None = None) -> dict[str, Any]:
    """Totals in scope by kind and level, and by province: the national report's table."""
    rows = list_carriers(engine, principal, today=today)
    by_level = Counter(level for r in rows for level in r.levels)
    by_province: dict[str, dict[str, int]] = {}
    for r in rows:
        entry = by_province.setdefault(r.province_code, {"carriers": 0, "in_incubation": 0, "graduated": 0})
        entry["carriers"] += 1
        entry["in_incubation"] += r.in_incubation
        entry["graduated"] += r.graduated
    return {"carriers": len(rows), "by_kind": dict(Counter(r.kind for r in rows)), "by_level": dict(by_level),
            "in_incubation": sum(r.in_incubation for r in rows), "graduated": sum(r.graduated for r in rows),
            "overdue": sum(r.overdue for r in rows), "by_province": dict(sorted(by_province.items()))}

"""Enterprises of a zone, by qualification (高企, 科技型中小企业, 瞪羚 …), paged; one enterprise with its history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from hizone.auth import Scope
from hizone.registry import qualification_kinds
from hizone.registry.history import Version, history
from hizone.store.models import Enterprise, Qualification, Zone
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, Table, check_export_size

QUALIFICATION_CHUNK = 5_000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, object]]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _valid_on(day: dt.date) -> ColumnElement[bool]:
    return and_(Qualification.valid_from <= day, or_(Qualification.valid_to.is_(None), Qualification.valid_to >= day))


def qualification_counts(session: Session, zone_code: str, day: dt.date) -> dict[str, int]:
    query = (select(Qualification.kind, func.count(func.distinct(Qualification.enterprise_id)))
             .join(Enterprise, Enterprise.id == Qualification.enterprise_id)
             .where(Enterprise.zone_code == zone_code, _valid_on(day)).group_by(Qualification.kind))
    return {kind: int(n) for kind, n in session.execute(query)}


def scope_filter(scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on Enterprise (joined with Zone) limiting rows to what a scope may list."""
    if scope.nothing:
        return Enterprise.id.is_(None)
    clauses = []
    if scope.province_code is not None:
        clauses.append(Zone.province_code == scope.province_code)
    if scope.zone_code is not None:
        clauses.append(Enterprise.zone_code == scope.zone_code)
    if scope.credit_code is not None:
        clauses.append(Enterprise.credit_code == scope.credit_code)
    return and_(true(), *clauses)


def list_enterprises(session: Session, scope: Scope, *, zone_code: str | None = None, kind: str | None = None,
                     day: dt.date | None = None, page: int = 1, size: int = 50,
                     credit_code: str | None = None) -> Page:
    base = select(Enterprise).join(Zone, Zone.code == Enterprise.zone_code).where(scope_filter(scope))
    if zone_code:
        base = base.where(Enterprise.zone_code == zone_code)
    if credit_code:
        base = base.where(Enterprise.credit_code == credit_code)
    if kind:
        holders = select(Qualification.enterprise_id).where(Qualification.kind == kind,
                                                            _valid_on(day or dt.date.today()))
        base = base.where(Enterprise.id.in_(holders))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(base.order_by(Enterprise.credit_code).offset((page - 1) * size).limit(size)).all()
    items: list[dict[str, object]] = [
        {"credit_code": e.credit_code, "name": e.name, "zone_code": e.zone_code, "industry_code": e.industry_code,
         "founded": e.founded.isoformat() if e.founded else None, "synthetic": e.synthetic} for e in rows]
    by_id = _qualifications(session, [e.id for e in rows], day or dt.date.today())
    for item, enterprise in zip(items, rows, strict=True):
        item["qualifications"] = sorted(by_id.get(enterprise.id, []))
    return Page(items, int(total), page, size)


def _qualifications(session: Session, ids: list[int], day: dt.date) -> dict[int, list[str]]:
    """The qualifications valid on ``day`` of the enterprises ``ids``, asked in chunks (an export lists many)."""
    by_id: dict[int, list[str]] = {}
    for start in range(0, len(ids), QUALIFICATION_CHUNK):
        chunk = ids[start:start + QUALIFICATION_CHUNK]
        quals = session.execute(select(Qualification.enterprise_id, Qualification.kind)
                                .where(Qualification.enterprise_id.in_(chunk), _valid_on(day)))
        for enterprise_id, qual in quals:
            by_id.setdefault(enterprise_id, []).append(qual)
    return by_id


def _codes(item: dict[str, object]) -> list[str]:
    found = item.get("qualifications")
    return [str(code) for code in found] if isinstance(found, list) else []


def enterprise_table(items: list[dict[str, object]], lang: str) -> Table:
    """A zone's enterprises as its profile lists them and the list's exports write them."""
    kinds = qualification_kinds()
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("credit_code", t("ent.credit_code")), Column("name", t("ent.name"), "link"),
               Column("industry_code", t("ent.industry")), Column("founded", t("ent.founded")),
               Column("qualifications", t("ent.qualifications"))]

    def name(code: str) -> str:
        kind = kinds.get(code)
        return code if kind is None else kind.name_en if lang == "en" else kind.name_zh

    rows: list[dict[str, object]] = [
        {"credit_code": item["credit_code"], "name": item["name"], "name_href": f"/enterprises/{item['credit_code']}",
         "industry_code": item["industry_code"],
         "founded": item["founded"], "qualifications": "、".join(name(q) for q in _codes(item)) or None}
        for item in items]
    return Table("enterprises", columns, rows)


def all_enterprises(session: Session, scope: Scope, *, zone_code: str, kind: str | None, day: dt.date) -> Page:
    """Every enterprise a zone's list selects (for an export), refused above EXPORT_LIMIT."""
    total = list_enterprises(session, scope, zone_code=zone_code, kind=kind, day=day, page=1, size=1).total
    check_export_size(total, "enterprises", "choose a qualification", where="kind")
    return list_enterprises(session, scope, zone_code=zone_code, kind=kind, day=day, page=1, size=max(total, 1))


def enterprise_detail(session: Session, scope: Scope, credit_code: str) -> dict[str, object] | None:
    """One enterprise as the list shows it, with its dated versions (newest first) under ``history``; None
    outside ``scope``. The versions carry registrations only (names, zones, dates), never a figure."""
    found = list_enterprises(session, scope, credit_code=credit_code, page=1, size=1).items
    identifier = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == credit_code))
    if not found or identifier is None:
        return None
    return {**found[0], "history": [_version_item(v) for v in history(session, identifier)]}


def _version_item(version: Version) -> dict[str, object]:
    return {"valid_from": version.valid_from.isoformat(),
            "valid_to": version.valid_to.isoformat() if version.valid_to else None, "name": version.name,
            "zone_code": version.zone_code, "zone_name": version.zone_name, "industry_code": version.industry_code,
            "founded": version.founded.isoformat() if version.founded else None, "source": version.source,
            "source_row": version.source_row, "recorded_by": version.recorded_by,
            "recorded_at": version.recorded_at.isoformat(timespec="seconds")}


def history_table(items: list[dict[str, object]], lang: str) -> Table:
    """An enterprise's versions as its page lists them and the page's exports write them."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("valid_from", t("ent.valid_from")), Column("valid_to", t("ent.valid_to")),
               Column("name", t("ent.name")), Column("zone", t("ent.zone")),
               Column("industry_code", t("ent.industry")), Column("founded", t("ent.founded")),
               Column("source", t("ent.source")), Column("recorded_by", t("ent.recorded_by"))]
    rows: list[dict[str, object]] = [
        {"valid_from": item["valid_from"], "valid_to": item["valid_to"], "name": item["name"],
         "zone": f"{item['zone_code']} {item['zone_name']}", "industry_code": item["industry_code"],
         "founded": item["founded"],
         "source": f"{item['source']}" + (f" · {item['source_row']}" if item["source_row"] else ""),
         "recorded_by": f"{item['recorded_by']} · {item['recorded_at']}"} for item in items]
    return Table("enterprise_history", columns, rows)

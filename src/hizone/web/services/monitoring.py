"""经济运行监测: latest-month cumulative figures with y/y for the nation, provinces and zones, and the alerts
(hizone.monitor's stored alerts) a caller may see, with their evidence series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from hizone.auth import Principal, can_read_zone, can_see_alert
from hizone.monitor.service import AlertStore, StoredAlert
from hizone.store.models import Alert, Zone
from hizone.web.i18n import translate
from hizone.web.services import disclosure
from hizone.web.services.disclosure import NATION, Shown, Viewer, change, province_key, zone_key
from hizone.web.services.figures import Figures, Sums
from hizone.web.services.tables import Column, Table
from hizone.web.services.views import Views


def same_month_last_year(month: str) -> str:
    return f"{int(month[:4]) - 1}{month[4:]}"


def monthly_sums(fig: Figures, month: str, zone_codes: list[str] | None) -> Sums:
    codes = fig.zones if zone_codes is None else zone_codes
    total: Sums = {}
    for code in codes:
        for key, value in fig.monthly.get((code, month), {}).items():
            total[key] = total.get(key, 0.0) + value
    return total


@dataclass(frozen=True)
class Cumulative:
    code: str
    name: str
    unit: str
    value: Shown
    yoy: Shown


def _patterns(fig: Figures, views: Views, month: str,
              viewer: Viewer) -> tuple[disclosure.Disclosure, disclosure.Disclosure]:
    """The month's and the same month last year's suppression patterns for the viewer."""
    elements = [i.code for i in views.monthly_elements]
    return (disclosure.monthly(fig, month, viewer, elements),
            disclosure.monthly(fig, same_month_last_year(month), viewer, elements))


def national(fig: Figures, views: Views, month: str, lang: str, viewer: Viewer) -> list[Cumulative]:
    now, before = monthly_sums(fig, month, None), monthly_sums(fig, same_month_last_year(month), None)
    shown_now, shown_before = _patterns(fig, views, month, viewer)
    out = []
    for ind in views.monthly_elements:
        value = shown_now.shown(NATION, ind, now) if now else None
        previous = shown_before.shown(NATION, ind, before) if before else None
        out.append(Cumulative(ind.code, ind.name(lang), ind.unit_label(lang), value, change(value, previous)))
    return out


def _rows(fig: Figures, views: Views, month: str, viewer: Viewer,
          groups: Sequence[tuple[str, str, list[str], str | None]]) -> list[dict[str, object]]:
    """One row per group (cell key, name, zones, link) that reported in the month."""
    rows: list[dict[str, object]] = []
    last = same_month_last_year(month)
    shown_now, shown_before = _patterns(fig, views, month, viewer)
    for key, name, codes, href in groups:
        now, before = monthly_sums(fig, month, codes), monthly_sums(fig, last, codes)
        if not now:
            continue
        row: dict[str, object] = {"key": key.partition(":")[2], "name": name}
        if href:
            row["name_href"] = href
        for ind in views.monthly_elements:
            value = shown_now.shown(key, ind, now)
            row[ind.code] = value
            row[f"{ind.code}_yoy"] = change(value, shown_before.shown(key, ind, before) if before else None)
        rows.append(row)
    return rows


def _columns(views: Views, lang: str, first: str) -> list[Column]:
    columns = [Column("key", translate("zones.code", lang)), Column("name", first, "link")]
    for ind in views.monthly_elements:
        columns.append(Column(ind.code, f"{ind.name(lang)} ({ind.unit_label(lang)})",
                              "int" if ind.unit == "人" else "number"))
        columns.append(Column(f"{ind.code}_yoy", translate("kpi.yoy", lang) + " %", "pct"))
    return columns


def province_table(fig: Figures, views: Views, month: str, lang: str, viewer: Viewer) -> Table:
    groups = [(province_key(p.code), p.name(lang), fig.zones_of_province(p.code), None)
              for p in sorted(fig.provinces.values(), key=lambda p: p.code) if fig.zones_of_province(p.code)]
    return Table("monthly_provinces", _columns(views, lang, translate("zones.province", lang)),
                 _rows(fig, views, month, viewer, groups))


def zone_table(fig: Figures, views: Views, month: str, lang: str, principal: Principal) -> Table:
    groups = [(zone_key(z.code), z.name(lang), [z.code], f"/zones/{z.code}") for z in fig.zones.values()
              if can_read_zone(principal, z.code, z.province_code)]
    return Table("monthly_zones", _columns(views, lang, translate("zones.name", lang)),
                 _rows(fig, views, month, Viewer.of(principal, fig), groups))


def _zone_provinces(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {code: prov for code, prov in session.query(Zone.code, Zone.province_code)}


def alerts(engine: Engine, principal: Principal, state: str | None = None,
           zone: str | None = None) -> list[StoredAlert]:
    if not inspect(engine).has_table(Alert.__tablename__):
        return []
    provinces = _zone_provinces(engine)
    found = AlertStore(engine).list(state=state or None, zone=zone or None)
    return [a for a in found if can_see_alert(principal, a.level, a.key, provinces)]


def alert_table(found: list[StoredAlert], lang: str) -> Table:
    """Alerts as the monitoring page lists them; ``chart`` and ``state_code`` (not columns) serve its actions."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("id", t("alert.id"), "int"), Column("severity", t("alert.severity")),
               Column("level", t("alert.level")), Column("key", t("alert.key"), "link"),
               Column("period", t("alert.period")), Column("rule", t("alert.rule")),
               Column("message", t("alert.message")), Column("state", t("alert.state")),
               Column("changed_by", t("alert.changed_by")), Column("note", t("alert.note"))]
    rows: list[dict[str, object]] = []
    for a in found:
        row: dict[str, object] = {
            "id": a.id, "severity": a.severity, "level": a.level, "key": a.key, "period": a.period, "rule": a.rule,
            "message": a.message, "state": t(f"alert.{a.state}"), "changed_by": a.changed_by, "note": a.note,
            "state_code": a.state, "chart": evidence_chart(a)}
        if a.level == "zone":
            row["key_href"] = f"/zones/{a.key}"
        rows.append(row)
    return Table("alerts", columns, rows)


def evidence_chart(alert: StoredAlert) -> dict[str, object]:
    series = alert.evidence.get("series") or []
    return {"years": [str(p) for p, _ in series],
            "series": [{"name": str(alert.evidence.get("indicator", alert.indicator)),
                        "data": [v for _, v in series]}]}

"""经济运行监测: latest-month cumulative figures with y/y for the nation, provinces and zones, and the alerts
(hizone.monitor's stored alerts) a caller may see, with their evidence series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from hizone.analytics.read import Reader, Viewer
from hizone.analytics.rollup import NATION_KEY
from hizone.auth import Principal, can_read_zone, can_see_alert
from hizone.monitor.service import AlertStore, StoredAlert
from hizone.store.models import Alert, Zone
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, Table
from hizone.web.services.views import Shown, Views, shown, shown_yoy


def monthly_periods(fig: Reader, views: Views) -> list[str]:
    """The months with published cumulative zone reports, ascending."""
    first = views.monthly_elements[0].indicator
    return fig.periods_of(first) if first else []


@dataclass(frozen=True)
class Cumulative:
    code: str
    name: str
    unit: str
    value: Shown
    yoy: Shown


def national(fig: Reader, views: Views, month: str, lang: str, viewer: Viewer) -> list[Cumulative]:
    return [Cumulative(ind.code, ind.name(lang), ind.unit_label(lang),
                       shown(fig, ind, "nation", NATION_KEY, month, viewer),
                       shown_yoy(fig, ind, "nation", NATION_KEY, month, viewer))
            for ind in views.monthly_elements]


def _rows(fig: Reader, views: Views, month: str, viewer: Viewer,
          groups: Sequence[tuple[str, str, str, str | None]]) -> list[dict[str, object]]:
    """One row per group (level, key, name, link) that reported in the month."""
    reported = set(fig.reporting_zones(views.monthly_elements[0].indicator or "", month))
    rows: list[dict[str, object]] = []
    for level, key, name, href in groups:
        zones = (key,) if level == "zone" else fig.zones_of(level, key)
        if not reported.intersection(zones):
            continue
        row: dict[str, object] = {"key": key, "name": name}
        if href:
            row["name_href"] = href
        for ind in views.monthly_elements:
            row[ind.code] = shown(fig, ind, level, key, month, viewer)
            row[f"{ind.code}_yoy"] = shown_yoy(fig, ind, level, key, month, viewer)
        rows.append(row)
    return rows


def _columns(views: Views, lang: str, first: str) -> list[Column]:
    columns = [Column("key", translate("zones.code", lang)), Column("name", first, "link")]
    for ind in views.monthly_elements:
        columns.append(Column(ind.code, f"{ind.name(lang)} ({ind.unit_label(lang)})",
                              "int" if ind.unit == "人" else "number"))
        columns.append(Column(f"{ind.code}_yoy", translate("kpi.yoy", lang) + " %", "pct"))
    return columns


def province_table(fig: Reader, views: Views, month: str, lang: str, viewer: Viewer) -> Table:
    groups = [("province", p.code, p.name(lang), None)
              for p in sorted(fig.provinces.values(), key=lambda p: p.code) if fig.zones_of("province", p.code)]
    return Table("monthly_provinces", _columns(views, lang, translate("zones.province", lang)),
                 _rows(fig, views, month, viewer, groups))


def zone_table(fig: Reader, views: Views, month: str, lang: str, principal: Principal) -> Table:
    groups = [("zone", z.code, z.name(lang), f"/zones/{z.code}") for z in fig.zones.values()
              if can_read_zone(principal, z.code, z.province_code)]
    return Table("monthly_zones", _columns(views, lang, translate("zones.name", lang)),
                 _rows(fig, views, month, fig.viewer(principal), groups))


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

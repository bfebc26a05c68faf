"""The incubation pages' and exports' tables and charts, from hizone.incubation.service (the API answers with the
same rows), labelled in the reader's language."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from hizone.analytics.read import Reader
from hizone.analytics.rollup import NATION_KEY
from hizone.auth.policy import Principal, data_scope
from hizone.incubation import service as svc
from hizone.web.i18n import translate
from hizone.web.services.geo import province_features
from hizone.web.services.tables import Column, Table
from hizone.web.services.views import load_views, shown, shown_yoy


def carriers_table(rows: list[svc.CarrierRow], lang: str, grades: dict[str, Any] | None = None) -> Table:
    def t(key: str) -> str:
        return translate(f"incubation.{key}", lang)

    columns = [Column("code", t("code"), "link"), Column("name", t("name")), Column("kind", t("kind")),
               Column("focus", t("focus")), Column("field", t("field")), Column("levels", t("levels")),
               Column("zone_code", t("zone")), Column("province_code", t("province")),
               Column("in_incubation", t("in_incubation"), "int"), Column("graduated", t("graduated"), "int"),
               Column("overdue", t("overdue"), "int"), Column("grade", t("grade"))]
    grades = grades or {}
    return Table("carriers", columns, [
        {"code": r.code, "code_href": f"/incubation/carriers/{r.code}", "name": r.name, "kind": r.kind,
         "focus": r.focus, "field": r.field, "levels": "、".join(r.levels) or None, "zone_code": r.zone_code,
         "province_code": r.province_code, "in_incubation": r.in_incubation, "graduated": r.graduated,
         "overdue": r.overdue, "grade": grades[r.code].grade if r.code in grades else None} for r in rows])


def chain_table(funnel: svc.Funnel, lang: str) -> Table:
    keys = ("carriers", "national", "in_incubation", "graduated", "overdue", "became_high_tech")
    columns = [Column("kind", translate("incubation.kind", lang)),
               *(Column(k, translate(f"incubation.{k}", lang), "int") for k in keys)]
    return Table("chain", columns, [dict(stage) for stage in funnel.stages])


def funnel_chart(funnel: svc.Funnel, lang: str) -> dict[str, Any]:
    """ECharts funnel: enterprises in incubation and graduated at each link of the chain."""
    return {"stages": [{"name": f"{s['kind']} · {translate('incubation.in_incubation', lang)}",
                        "value": s["in_incubation"]} for s in funnel.stages if s["carriers"]]}


def carrier_map(rows: list[svc.CarrierRow], lang: str) -> dict[str, Any]:
    """The overview map's payload: provinces shaded by their carriers, a point per carrier with coordinates."""
    features = province_features()
    count = Counter(r.province_code for r in rows)
    return {"indicator": translate("incubation.carriers", lang), "unit": "",
            "provinces": [{"name": features[code][0], "label": features[code][0], "value": n}
                          for code, n in count.items() if code in features],
            "zones": [{"name": r.name, "code": r.code, "value": [r.longitude, r.latitude, r.in_incubation]}
                      for r in rows if r.longitude is not None and r.latitude is not None]}


def statistics_group(principal: Principal) -> tuple[str, str] | None:
    """Whose carrier statistics a viewer's pages show: the nation's, its province's or its zone's."""
    scope = data_scope(principal)
    if scope.nothing or scope.credit_code:
        return None
    if scope.zone_code:
        return "zone", scope.zone_code
    if scope.province_code:
        return "province", scope.province_code
    return "nation", NATION_KEY


def statistics_table(reader: Reader, principal: Principal, lang: str, group: tuple[str, str] | None = None) -> Table:
    """The carriers' annual statistics (views.yaml ``incubation_indicators``) by year with their y/y, from the
    analytics layer as ``principal`` may see them, for ``group`` (level, key; the viewer's own by default)."""
    group = group or statistics_group(principal)
    items = load_views().incubation_indicators
    years = sorted({p for item in items if item.indicator for p in reader.periods_of(item.indicator)})
    yoy = translate("incubation.yoy", lang)
    columns = [Column("item", translate("incubation.indicator", lang)),
               Column("unit", translate("incubation.unit", lang))]
    for year in years:
        columns += [Column(f"v{year}", year, "number"), Column(f"y{year}", f"{year} {yoy}", "pct")]
    rows: list[dict[str, object]] = []
    if group is not None:
        viewer = reader.viewer(principal)
        for item in items:
            row: dict[str, object] = {"item": item.name(lang), "unit": item.unit_label(lang)}
            for year in years:
                row[f"v{year}"] = shown(reader, item, *group, year, viewer)
                row[f"y{year}"] = shown_yoy(reader, item, *group, year, viewer)
            rows.append(row)
    return Table("statistics", columns, rows)


def overview(engine: Engine, principal: Principal, lang: str, *, kind: str | None = None,
             zone: str | None = None, today: dt.date | None = None, reader: Reader | None = None) -> dict[str, Any]:
    rows = svc.list_carriers(engine, principal, zone=zone, kind=kind, today=today)
    return {"summary": svc.summary(engine, principal, today=today), "table": carriers_table(rows, lang),
            "map": carrier_map(rows, lang), "chain": chain_table(svc.chain(engine, principal, today=today), lang),
            "kinds": svc.CHAIN, "kind": kind,
            "statistics": statistics_table(reader, principal, lang) if reader is not None else None,
            "statistics_group": statistics_group(principal)}

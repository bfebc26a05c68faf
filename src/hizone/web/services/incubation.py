"""The incubation pages' and exports' tables and charts, from hizone.incubation.service (the API answers with the
same rows), labelled in the reader's language."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.incubation import service as svc
from hizone.web.i18n import translate
from hizone.web.services.geo import province_features
from hizone.web.services.tables import Column, Table


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


def overview(engine: Engine, principal: Principal, lang: str, *, kind: str | None = None,
             zone: str | None = None, today: dt.date | None = None) -> dict[str, Any]:
    rows = svc.list_carriers(engine, principal, zone=zone, kind=kind, today=today)
    return {"summary": svc.summary(engine, principal, today=today), "table": carriers_table(rows, lang),
            "map": carrier_map(rows, lang), "chain": chain_table(svc.chain(engine, principal, today=today), lang),
            "kinds": svc.CHAIN, "kind": kind}

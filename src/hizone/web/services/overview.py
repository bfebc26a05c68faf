"""View models of the national overview: KPIs with y/y, map shading, top-N, trends, province table."""

from __future__ import annotations

from dataclasses import dataclass

from hizone.web.i18n import translate
from hizone.web.services.figures import Figures, value_of, yoy
from hizone.web.services.geo import province_features, zone_point
from hizone.web.services.tables import Column, ColumnKind, Table
from hizone.web.services.views import Indicator, Views


@dataclass(frozen=True)
class Kpi:
    indicator: Indicator
    value: float | None
    yoy: float | None


def kpis(fig: Figures, views: Views, year: str) -> list[Kpi]:
    prev = fig.previous_year(year)
    now, before = fig.sums(year), (fig.sums(prev) if prev else {})
    zone_count = sum(1 for code in fig.zones if (code, year) in fig.annual) or len(fig.zones)
    prev_count = sum(1 for code in fig.zones if prev and (code, prev) in fig.annual) or None
    out = []
    for ind in views.kpis:
        current = value_of(ind, now, zone_count)
        previous = value_of(ind, before, prev_count) if prev else None
        out.append(Kpi(ind, current, yoy(current, previous)))
    return out


def column_kind(ind: Indicator) -> ColumnKind:
    """Counts of enterprises or persons show as whole numbers, everything else with decimals."""
    return "int" if ind.unit in ("家", "人") and ind.ratio is None else "number"


def indicator_by_code(views: Views, code: str | None) -> Indicator:
    """The chosen map/top-N indicator; unknown codes fall back to the first (the choice is a filter)."""
    return next((i for i in views.map_indicators if i.code == code), views.map_indicators[0])


def province_table(fig: Figures, views: Views, year: str, lang: str) -> Table:
    prev = fig.previous_year(year)
    indicators = [views.indicators[c] for c in ("enterprises", "revenue", "total_profit", "rd_expenditure",
                                                "employees", "rd_intensity")]
    columns = [Column("province", translate("zones.province", lang), "text"),
               Column("region", translate("filter.region", lang), "text"),
               Column("zones", translate("overview.zone_count", lang), "int")]
    for ind in indicators:
        columns.append(Column(ind.code, f"{ind.name(lang)} ({ind.unit_label(lang)})", column_kind(ind)))
    columns.append(Column("revenue_yoy", translate("overview.revenue_yoy", lang), "pct"))
    rows = []
    for prov in sorted(fig.provinces.values(), key=lambda p: p.code):
        codes = fig.zones_of_province(prov.code)
        if not codes:
            continue
        sums = fig.sums(year, codes)
        row: dict[str, object] = {"province": prov.name(lang), "region": translate(f"region.{prov.region}", lang),
                                  "zones": len(codes)}
        for ind in indicators:
            row[ind.code] = value_of(ind, sums)
        rev = views.indicators["revenue"]
        row["revenue_yoy"] = yoy(value_of(rev, sums), value_of(rev, fig.sums(prev, codes))) if prev else None
        rows.append(row)
    return Table("provinces", columns, rows)


def top_zones(fig: Figures, views: Views, year: str, ind: Indicator, lang: str, n: int) -> Table:
    values = [(code, value_of(ind, fig.annual.get((code, year), {}))) for code in fig.zones]
    ranked = sorted([(c, v) for c, v in values if v is not None], key=lambda cv: -cv[1])[:n]
    columns = [Column("rank", translate("overview.rank", lang), "int"),
               Column("zone", translate("zones.name", lang), "link"),
               Column("province", translate("zones.province", lang), "text"),
               Column("value", f"{ind.name(lang)} ({ind.unit_label(lang)})", column_kind(ind))]
    rows: list[dict[str, object]] = []
    for rank, (code, value) in enumerate(ranked, start=1):
        zone = fig.zones[code]
        prov = fig.provinces.get(zone.province_code)
        rows.append({"rank": rank, "zone": zone.name(lang), "zone_href": f"/zones/{code}",
                     "province": prov.name(lang) if prov else zone.province_code, "value": value})
    return Table("top_zones", columns, rows)


def map_payload(fig: Figures, views: Views, year: str, ind: Indicator, lang: str) -> dict[str, object]:
    """ECharts-ready data: province shading values and zone points (at the zones' seats)."""
    features = province_features()
    provinces = []
    for prov in fig.provinces.values():
        codes = fig.zones_of_province(prov.code)
        if prov.code in features and codes:
            provinces.append({"name": features[prov.code][0], "label": prov.name(lang),
                              "value": _rounded(value_of(ind, fig.sums(year, codes)))})
    points = []
    for zone in fig.zones.values():
        where = zone_point(zone.code, zone.province_code)
        if where is not None:
            points.append({"name": zone.name(lang), "code": zone.code,
                           "value": [round(where[0], 3), round(where[1], 3),
                                     _rounded(value_of(ind, fig.annual.get((zone.code, year), {})))]})
    return {"indicator": ind.name(lang), "unit": ind.unit_label(lang), "provinces": provinces, "zones": points}


def trend_payload(fig: Figures, views: Views, lang: str) -> dict[str, object]:
    codes = ("revenue", "total_profit", "rd_expenditure")
    return {"years": fig.years,
            "series": [{"name": f"{views.indicators[c].name(lang)} ({views.indicators[c].unit_label(lang)})",
                        "data": [_rounded(value_of(views.indicators[c], fig.sums(y))) for y in fig.years]}
                       for c in codes]}


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None

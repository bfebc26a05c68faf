"""View models of the national overview: KPIs with y/y, map shading, top-N, trends, province table.

Every figure is the analytics layer's, as the viewer may see it (``hizone.analytics.read``): the overview is public."""

from __future__ import annotations

from dataclasses import dataclass

from hizone.analytics.read import Reader, Viewer
from hizone.analytics.rollup import NATION_KEY
from hizone.web.i18n import translate
from hizone.web.services.geo import province_features, zone_point
from hizone.web.services.tables import Column, ColumnKind, Suppressed, Table
from hizone.web.services.views import Indicator, Shown, Views, shown, shown_yoy


@dataclass(frozen=True)
class Kpi:
    indicator: Indicator
    value: Shown
    yoy: Shown


def kpis(fig: Reader, views: Views, year: str, viewer: Viewer) -> list[Kpi]:
    return [Kpi(ind, shown(fig, ind, "nation", NATION_KEY, year, viewer),
                shown_yoy(fig, ind, "nation", NATION_KEY, year, viewer)) for ind in views.kpis]


def column_kind(ind: Indicator) -> ColumnKind:
    """Counts of enterprises or persons show as whole numbers, everything else with decimals."""
    return "int" if ind.unit in ("家", "人") else "number"


def indicator_by_code(views: Views, code: str | None) -> Indicator:
    """The chosen map/top-N indicator; unknown codes fall back to the first (the choice is a filter)."""
    return next((i for i in views.map_indicators if i.code == code), views.map_indicators[0])


def province_table(fig: Reader, views: Views, year: str, lang: str, viewer: Viewer) -> Table:
    indicators = views.province_indicators
    columns = [Column("province", translate("zones.province", lang), "text"),
               Column("region", translate("filter.region", lang), "text"),
               Column("zones", translate("overview.zone_count", lang), "int")]
    for ind in indicators:
        columns.append(Column(ind.code, f"{ind.name(lang)} ({ind.unit_label(lang)})", column_kind(ind)))
    columns.append(Column("revenue_yoy", translate("overview.revenue_yoy", lang), "pct"))
    rows = []
    rev = views.indicators["revenue"]
    for prov in sorted(fig.provinces.values(), key=lambda p: p.code):
        codes = fig.zones_of("province", prov.code)
        if not codes:
            continue
        row: dict[str, object] = {"province": prov.name(lang), "region": translate(f"region.{prov.region}", lang),
                                  "zones": len(codes)}
        for ind in indicators:
            row[ind.code] = shown(fig, ind, "province", prov.code, year, viewer)
        row["revenue_yoy"] = shown_yoy(fig, rev, "province", prov.code, year, viewer)
        rows.append(row)
    return Table("provinces", columns, rows)


def top_zones(fig: Reader, views: Views, year: str, ind: Indicator, lang: str, n: int, viewer: Viewer) -> Table:
    """The largest zones by ``ind`` among those whose figures the viewer may see (none for the public: a
    zone's figure is one zone's)."""
    values = [(code, shown(fig, ind, "zone", code, year, viewer)) for code in fig.zones]
    ranked = sorted([(c, v) for c, v in values if isinstance(v, float | int)], key=lambda cv: -cv[1])[:n]
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


def map_payload(fig: Reader, views: Views, year: str, ind: Indicator, lang: str,
                viewer: Viewer) -> dict[str, object]:
    """ECharts-ready data: province shading values and zone points (at the zones' seats)."""
    features = province_features()
    provinces = []
    for prov in fig.provinces.values():
        if prov.code in features and fig.zones_of("province", prov.code):
            figure = shown(fig, ind, "province", prov.code, year, viewer)
            provinces.append({"name": features[prov.code][0], "label": prov.name(lang), **_json(figure)})
    points = []
    for zone in fig.zones.values():
        where = zone_point(zone.code, zone.province_code)
        if where is not None:
            point = _json(shown(fig, ind, "zone", zone.code, year, viewer))
            points.append({"name": zone.name(lang), "code": zone.code,
                           "value": [round(where[0], 3), round(where[1], 3), point.pop("value")], **point})
    return {"indicator": ind.name(lang), "unit": ind.unit_label(lang), "provinces": provinces, "zones": points}


def trend_payload(fig: Reader, views: Views, lang: str, viewer: Viewer) -> dict[str, object]:
    years = annual_periods(fig)
    return {"years": years,
            "series": [{"name": f"{ind.name(lang)} ({ind.unit_label(lang)})",
                        "data": [_json(shown(fig, ind, "nation", NATION_KEY, y, viewer))["value"] for y in years]}
                       for ind in views.trend_indicators]}


def annual_periods(fig: Reader) -> list[str]:
    """The report years with published annual figures, ascending."""
    return fig.periods_of("enterprise_count")


def _json(figure: Shown) -> dict[str, object]:
    """A figure for a chart: its value (null when withheld, saying so)."""
    if isinstance(figure, Suppressed):
        return {"value": None, "suppressed": True, "reason": figure.reason}
    return {"value": _rounded(figure)}


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None

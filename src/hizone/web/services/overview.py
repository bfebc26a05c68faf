"""View models of the national overview: KPIs with y/y, map shading, top-N, trends, province table.

Every figure passes disclosure control for the viewer (``web.services.disclosure``): the overview is public."""

from __future__ import annotations

from dataclasses import dataclass

from hizone.web.i18n import translate
from hizone.web.services import disclosure
from hizone.web.services.disclosure import NATION, Shown, Viewer, change, province_key, zone_key
from hizone.web.services.figures import Figures
from hizone.web.services.geo import province_features, zone_point
from hizone.web.services.tables import Column, ColumnKind, Suppressed, Table
from hizone.web.services.views import Indicator, Views


@dataclass(frozen=True)
class Kpi:
    indicator: Indicator
    value: Shown
    yoy: Shown


def _pattern(fig: Figures, views: Views, year: str | None, viewer: Viewer) -> disclosure.Disclosure:
    return disclosure.annual(fig, year, viewer, views.annual_elements) if year else disclosure.Disclosure({})


def kpis(fig: Figures, views: Views, year: str, viewer: Viewer) -> list[Kpi]:
    prev = fig.previous_year(year)
    now, before = fig.sums(year), (fig.sums(prev) if prev else {})
    shown_now, shown_before = _pattern(fig, views, year, viewer), _pattern(fig, views, prev, viewer)
    zone_count = sum(1 for code in fig.zones if (code, year) in fig.annual) or len(fig.zones)
    prev_count = sum(1 for code in fig.zones if prev and (code, prev) in fig.annual) or None
    out = []
    for ind in views.kpis:
        current = shown_now.shown(NATION, ind, now, zone_count)
        previous = shown_before.shown(NATION, ind, before, prev_count) if prev else None
        out.append(Kpi(ind, current, change(current, previous)))
    return out


def column_kind(ind: Indicator) -> ColumnKind:
    """Counts of enterprises or persons show as whole numbers, everything else with decimals."""
    return "int" if ind.unit in ("家", "人") and ind.ratio is None else "number"


def indicator_by_code(views: Views, code: str | None) -> Indicator:
    """The chosen map/top-N indicator; unknown codes fall back to the first (the choice is a filter)."""
    return next((i for i in views.map_indicators if i.code == code), views.map_indicators[0])


def province_table(fig: Figures, views: Views, year: str, lang: str, viewer: Viewer) -> Table:
    prev = fig.previous_year(year)
    shown_now, shown_before = _pattern(fig, views, year, viewer), _pattern(fig, views, prev, viewer)
    indicators = [views.indicators[c] for c in ("enterprises", "revenue", "total_profit", "rd_expenditure",
                                                "employees", "rd_intensity")]
    columns = [Column("province", translate("zones.province", lang), "text"),
               Column("region", translate("filter.region", lang), "text"),
               Column("zones", translate("overview.zone_count", lang), "int")]
    for ind in indicators:
        columns.append(Column(ind.code, f"{ind.name(lang)} ({ind.unit_label(lang)})", column_kind(ind)))
    columns.append(Column("revenue_yoy", translate("overview.revenue_yoy", lang), "pct"))
    rows = []
    rev = views.indicators["revenue"]
    for prov in sorted(fig.provinces.values(), key=lambda p: p.code):
        codes = fig.zones_of_province(prov.code)
        if not codes:
            continue
        key, sums = province_key(prov.code), fig.sums(year, codes)
        row: dict[str, object] = {"province": prov.name(lang), "region": translate(f"region.{prov.region}", lang),
                                  "zones": len(codes)}
        for ind in indicators:
            row[ind.code] = shown_now.shown(key, ind, sums)
        revenue = shown_now.shown(key, rev, sums)
        row["revenue_yoy"] = change(revenue, shown_before.shown(key, rev, fig.sums(prev, codes))) if prev else None
        rows.append(row)
    return Table("provinces", columns, rows)


def top_zones(fig: Figures, views: Views, year: str, ind: Indicator, lang: str, n: int, viewer: Viewer) -> Table:
    """The largest zones by ``ind`` among those whose figures the viewer may see (none for the public: a
    zone's figure is one zone's)."""
    pattern = _pattern(fig, views, year, viewer)
    values = [(code, pattern.shown(zone_key(code), ind, fig.annual.get((code, year), {}))) for code in fig.zones]
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


def map_payload(fig: Figures, views: Views, year: str, ind: Indicator, lang: str,
                viewer: Viewer) -> dict[str, object]:
    """ECharts-ready data: province shading values and zone points (at the zones' seats)."""
    pattern = _pattern(fig, views, year, viewer)
    features = province_features()
    provinces = []
    for prov in fig.provinces.values():
        codes = fig.zones_of_province(prov.code)
        if prov.code in features and codes:
            shown = pattern.shown(province_key(prov.code), ind, fig.sums(year, codes))
            provinces.append({"name": features[prov.code][0], "label": prov.name(lang), **_json(shown)})
    points = []
    for zone in fig.zones.values():
        where = zone_point(zone.code, zone.province_code)
        if where is not None:
            point = _json(pattern.shown(zone_key(zone.code), ind, fig.annual.get((zone.code, year), {})))
            points.append({"name": zone.name(lang), "code": zone.code,
                           "value": [round(where[0], 3), round(where[1], 3), point.pop("value")], **point})
    return {"indicator": ind.name(lang), "unit": ind.unit_label(lang), "provinces": provinces, "zones": points}


def trend_payload(fig: Figures, views: Views, lang: str, viewer: Viewer) -> dict[str, object]:
    codes = ("revenue", "total_profit", "rd_expenditure")
    return {"years": fig.years,
            "series": [{"name": f"{views.indicators[c].name(lang)} ({views.indicators[c].unit_label(lang)})",
                        "data": [_json(_pattern(fig, views, y, viewer).shown(NATION, views.indicators[c],
                                                                             fig.sums(y)))["value"]
                                 for y in fig.years]}
                       for c in codes]}


def _json(shown: Shown) -> dict[str, object]:
    """A figure for a chart: its value (null when withheld, saying so)."""
    if isinstance(shown, Suppressed):
        return {"value": None, "suppressed": True, "reason": shown.reason}
    return {"value": _rounded(shown)}


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None

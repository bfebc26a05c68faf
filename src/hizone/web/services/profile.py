"""园区画像: a zone's key indicators against the national and peer medians, gaps to a benchmark,
who pulls it down (拖后腿), its rank history, monthly trend and enterprises by qualification."""

from __future__ import annotations

from dataclasses import dataclass

from hizone.analytics.disclosure_rules import disclosure_rules
from hizone.analytics.read import Reader, Viewer, ZoneMeta
from hizone.auth import Principal, can_read_zone
from hizone.errors import CatalogError
from hizone.ladder.service import EVALUATION_FRAMEWORK, zone_drags
from hizone.ranking.framework import framework_for
from hizone.web.i18n import translate
from hizone.web.services.monitoring import monthly_periods
from hizone.web.services.overview import annual_periods
from hizone.web.services.rankings import Ranking, median
from hizone.web.services.tables import Column, Suppressed, Table
from hizone.web.services.views import Indicator, Views, shown, shown_yoy

TOP = "top10"
Everyone = Viewer.everyone()


@dataclass(frozen=True)
class KeyIndicator:
    indicator: Indicator
    value: float | None
    yoy: float | None
    national_median: float | Suppressed | None
    peer_median: float | Suppressed | None


def group_median(values: list[float | None], sees_all: bool, least: int) -> float | Suppressed | None:
    """The median of zones' values as a viewer may see it.

    A median is one zone's figure (or the mean of two): a viewer who may not see every zone of the group
    gets the mean of the ``least`` values around the median instead, an aggregate of as many zones as
    disclosure control asks of any published cell, and nothing for a smaller group.
    """
    if sees_all:
        return median(values)
    present = sorted(v for v in values if v is not None)
    if not present:
        return None
    if len(present) < least:
        return Suppressed("min_zones")
    start = (len(present) - least) // 2
    return sum(present[start:start + least]) / least


def _value(fig: Reader, ind: Indicator, zone_code: str, year: str) -> float | None:
    """A zone's figure for the medians and ranks (which decide for themselves what the viewer sees)."""
    value = shown(fig, ind, "zone", zone_code, year, Everyone)
    return value if isinstance(value, float) else None


def key_indicators(fig: Reader, views: Views, zone: ZoneMeta, year: str, principal: Principal) -> list[KeyIndicator]:
    viewer = fig.viewer(principal)
    reported = set(fig.reporting_zones("enterprise_count", year))
    peers = [c for c in fig.zones_of("region", zone.region) if c in reported]
    everyone = [c for c in fig.zones if c in reported]
    least = disclosure_rules(int(year)).min_contributors.get("zone", 1)
    out = []
    for ind in views.profile_indicators:
        mine = shown(fig, ind, "zone", zone.code, year, viewer)
        change = shown_yoy(fig, ind, "zone", zone.code, year, viewer)
        out.append(KeyIndicator(
            ind, mine if isinstance(mine, float) else None, change if isinstance(change, float) else None,
            group_median([_value(fig, ind, c, year) for c in everyone], viewer.reads(everyone), least),
            group_median([_value(fig, ind, c, year) for c in peers], viewer.reads(peers), least)))
    return out


def key_table(fig: Reader, views: Views, zone: ZoneMeta, year: str, lang: str, principal: Principal) -> Table:
    """The key indicators as an exportable table."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("indicator", t("profile.indicator")), Column("unit", t("profile.unit")),
               Column("zone", t("profile.this_zone"), "number"), Column("yoy", t("kpi.yoy") + " %", "pct"),
               Column("national_median", t("profile.national_median"), "number"),
               Column("peer_median", f"{t('profile.peer_median')} ({t('region.' + zone.region)})", "number")]
    rows: list[dict[str, object]] = [
        {"indicator": k.indicator.name(lang), "unit": k.indicator.unit_label(lang), "zone": k.value, "yoy": k.yoy,
         "national_median": k.national_median, "peer_median": k.peer_median}
        for k in key_indicators(fig, views, zone, year, principal)]
    return Table("key_indicators", columns, rows)


def ranking(fig: Reader, views: Views, year: str) -> list[str]:
    scored = [(c, _value(fig, views.rank_by, c, year)) for c in fig.zones]
    return [c for c, v in sorted(((c, v) for c, v in scored if v is not None), key=lambda cv: (-cv[1], cv[0]))]


def rank_history(fig: Reader, views: Views, zone_code: str) -> dict[str, object]:
    years, ranks = [], []
    for year in annual_periods(fig):
        order = ranking(fig, views, year)
        if zone_code in order:
            years.append(year)
            ranks.append(order.index(zone_code) + 1)
    return {"years": years, "ranks": ranks, "of": len(fig.zones)}


@dataclass(frozen=True)
class Benchmark:
    """What a zone is compared with (对标): one zone or the top 10, and whether the viewer may see their
    indicator values. Those are zone figures: shown only to a viewer who may read every benchmark zone.
    Anyone else compares the evaluation's published scores and rank (public on the rankings page)."""

    code: str  # TOP or a zone code
    zones: tuple[str, ...]
    values_visible: bool


def benchmark_for(fig: Reader, views: Views, year: str, code: str, principal: Principal,
                  top_codes: list[str] | None = None) -> Benchmark:
    """The benchmark ``code`` for ``principal``: the one place that decides what a benchmark shows.

    The top 10 are the evaluation's when a run exists (``top_codes``), else the largest by revenue.
    """
    zones = tuple(top_codes if top_codes else ranking(fig, views, year)[:10]) if code == TOP else (code,)
    return Benchmark(code, zones, fig.viewer(principal).reads(z for z in zones if z in fig.zones))


def gap_table(fig: Reader, views: Views, zone: ZoneMeta, year: str, benchmark: Benchmark, lang: str,
              principal: Principal, evaluation: Ranking | None = None) -> Table:
    """对标找差: each indicator of the zone against the benchmark (per zone for the top-10 average), then the
    evaluation's composite and dimension scores and rank of both."""
    viewer = fig.viewer(principal)
    items = views.profile_indicators
    bench = fig.group_values([i.indicator for i in items if i.indicator], list(benchmark.zones), year, viewer) \
        if year else {}
    count = len(benchmark.zones)
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("indicator", t("profile.indicator")), Column("unit", t("profile.unit")),
               Column("zone", t("profile.this_zone"), "number"), Column("benchmark", t("profile.benchmark"), "number"),
               Column("gap", t("profile.gap"), "number"), Column("ratio", t("profile.ratio_pct"), "number")]
    rows: list[dict[str, object]] = []
    for ind in items:
        mine = shown(fig, ind, "zone", zone.code, year, viewer) if year else None
        target: float | Suppressed | None = None
        found = bench.get(ind.indicator or "")
        if found is not None and (found.withheld or not benchmark.values_visible):
            target = Suppressed("benchmark_scope")
        elif found is not None and found.value is not None:
            target = found.value * ind.factor
            if ind.additive and count > 1:
                target = target / count  # a sum over the top 10 compared per zone
        rows.append(_gap_row(ind.name(lang), ind.unit_label(lang), mine if isinstance(mine, float) else None, target))
    if evaluation is not None:
        rows += _score_rows(evaluation, zone.code, benchmark, lang)
    return Table("gap_analysis", columns, rows)


def _gap_row(name: str, unit: str, value: float | None, target: float | Suppressed | None) -> dict[str, object]:
    if isinstance(target, Suppressed):
        return {"indicator": name, "unit": unit, "zone": value, "benchmark": target, "gap": target, "ratio": target}
    return {"indicator": name, "unit": unit, "zone": value, "benchmark": target,
            "gap": (target - value) if value is not None and target is not None else None,
            "ratio": (value / target * 100) if value is not None and target else None}


def _score_rows(evaluation: Ranking, zone_code: str, benchmark: Benchmark, lang: str) -> list[dict[str, object]]:
    """The published scores (the top 10: their mean) and overall rank (the top 10: none) of both sides."""
    by_zone = {str(r["zone"]): r for r in evaluation.rows}

    def score(code: str, key: str) -> float | None:
        value = by_zone.get(code, {}).get(key)
        return float(value) if isinstance(value, int | float) else None

    def bench(key: str) -> float | None:
        found = [v for v in (score(z, key) for z in benchmark.zones) if v is not None]
        return sum(found) / len(found) if found else None

    label = translate("rank.score", lang)
    rows = [_gap_row(label, "", score(zone_code, "score"), bench("score"))]
    for dim in evaluation.framework.dimensions:
        name = dim.name_en if lang == "en" else dim.name_zh
        key = f"{dim.code}_score"
        rows.append(_gap_row(f"{dim.code} {name} · {label}", "", score(zone_code, key), bench(key)))
    own_rank = score(zone_code, "rank")
    rows.append({"indicator": translate("rank.rank", lang), "unit": "", "zone": own_rank,
                 "benchmark": score(benchmark.code, "rank") if benchmark.code != TOP else None})
    return rows


DRAG_TOP = 5  # enterprises shown per indicator


def drag_table(fig: Reader, zone: ZoneMeta, year: str, lang: str, principal: Principal, top: int = DRAG_TOP
               ) -> Table | None:
    """拖后腿: per ratio indicator of the zone evaluation, the ``top`` enterprises that lower the zone's value most
    (drag = direction × (the zone's ratio without the enterprise − the zone's ratio), hizone.ladder.drag), each
    linked to its page. Enterprises' own figures: None for a principal who may not read the zone's enterprises,
    and for a year before the first evaluation framework (no indicators to pull down)."""
    if not can_read_zone(principal, zone.code, zone.province_code):
        return None
    try:
        framework = framework_for(EVALUATION_FRAMEWORK, int(year))
    except CatalogError:
        return None
    names = {i.code: (i.name_en or i.name_zh if lang == "en" else i.name_zh) for i in framework.indicators}
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("indicator", t("profile.indicator")), Column("unit", t("profile.unit")),
               Column("rank", t("drag.rank"), "int"), Column("enterprise", t("drag.enterprise"), "link"),
               Column("own", t("drag.own"), "number"), Column("zone", t("drag.zone"), "number"),
               Column("without", t("drag.without"), "number"), Column("drag", t("drag.drag"), "number")]
    rows: list[dict[str, object]] = []
    for found in zone_drags(fig, zone.code, int(year), fig.viewer(principal)):
        pulling = [d for d in found.drags if d.drag is not None and d.drag > 0][:top]
        rows += [{"indicator": names.get(found.indicator.code, found.indicator.name_zh),
                  "unit": found.indicator.unit, "rank": rank, "enterprise": d.credit_code,
                  "enterprise_href": f"/enterprises/{d.credit_code}", "own": d.own_ratio,
                  "zone": found.zone_ratio, "without": d.without, "drag": d.drag}
                 for rank, d in enumerate(pulling, start=1)]
    return Table("drag", columns, rows)


def monthly_trend(fig: Reader, views: Views, zone_code: str, lang: str, principal: Principal) -> dict[str, object]:
    """Cumulative monthly figures of the zone with y/y against the same month a year before."""
    viewer, months = fig.viewer(principal), monthly_periods(fig, views)
    series = []
    for ind in views.monthly_elements:
        values, changes = [], []
        for month in months:
            value = shown(fig, ind, "zone", zone_code, month, viewer)
            change = shown_yoy(fig, ind, "zone", zone_code, month, viewer)
            values.append(round(value, 4) if isinstance(value, float) else None)
            changes.append(round(change, 2) if isinstance(change, float) else None)
        # Headcounts go on a second axis: on the money axis they would flatten every other line.
        series.append({"code": ind.code, "name": f"{ind.name(lang)} ({ind.unit_label(lang)})",
                       "data": values, "yoy": changes, "axis": 1 if ind.unit == "人" else 0})
    return {"months": months, "series": series}

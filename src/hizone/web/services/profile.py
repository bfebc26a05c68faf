"""园区画像: a zone's key indicators against the national and peer medians, gaps to a benchmark,
its rank history, monthly trend and enterprises by qualification."""

from __future__ import annotations

from dataclasses import dataclass

from hizone.web.i18n import translate
from hizone.web.services.figures import Figures, ZoneMeta, median, value_of, yoy
from hizone.web.services.tables import Column, Table
from hizone.web.services.views import Indicator, Views

RANK_BY = "revenue"  # rank history and the "top 10" benchmark use this until evaluation results exist
TOP = "top10"


@dataclass(frozen=True)
class KeyIndicator:
    indicator: Indicator
    value: float | None
    yoy: float | None
    national_median: float | None
    peer_median: float | None


def key_indicators(fig: Figures, views: Views, zone: ZoneMeta, year: str) -> list[KeyIndicator]:
    prev = fig.previous_year(year)
    peers = [c for c in fig.zones_of_region(zone.region) if (c, year) in fig.annual]
    everyone = [c for c in fig.zones if (c, year) in fig.annual]
    out = []
    for ind in views.profile_indicators:
        mine = value_of(ind, fig.annual.get((zone.code, year), {}))
        before = value_of(ind, fig.annual.get((zone.code, prev), {})) if prev else None
        out.append(KeyIndicator(
            ind, mine, yoy(mine, before) if ind.ratio is None else None,
            median([value_of(ind, fig.annual[(c, year)]) for c in everyone]),
            median([value_of(ind, fig.annual[(c, year)]) for c in peers])))
    return out


def key_table(fig: Figures, views: Views, zone: ZoneMeta, year: str, lang: str) -> Table:
    """The key indicators as an exportable table."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("indicator", t("profile.indicator")), Column("unit", t("profile.unit")),
               Column("zone", t("profile.this_zone"), "number"), Column("yoy", t("kpi.yoy") + " %", "pct"),
               Column("national_median", t("profile.national_median"), "number"),
               Column("peer_median", f"{t('profile.peer_median')} ({t('region.' + zone.region)})", "number")]
    rows: list[dict[str, object]] = [
        {"indicator": k.indicator.name(lang), "unit": k.indicator.unit_label(lang), "zone": k.value, "yoy": k.yoy,
         "national_median": k.national_median, "peer_median": k.peer_median}
        for k in key_indicators(fig, views, zone, year)]
    return Table("key_indicators", columns, rows)


def ranking(fig: Figures, views: Views, year: str) -> list[str]:
    ind = views.indicators[RANK_BY]
    scored = [(c, value_of(ind, fig.annual.get((c, year), {}))) for c in fig.zones]
    return [c for c, v in sorted(((c, v) for c, v in scored if v is not None), key=lambda cv: (-cv[1], cv[0]))]


def rank_history(fig: Figures, views: Views, zone_code: str) -> dict[str, object]:
    years, ranks = [], []
    for year in fig.years:
        order = ranking(fig, views, year)
        if zone_code in order:
            years.append(year)
            ranks.append(order.index(zone_code) + 1)
    return {"years": years, "ranks": ranks, "of": len(fig.zones)}


def benchmark_sums(fig: Figures, views: Views, year: str, benchmark: str,
                   top_codes: list[str] | None = None) -> tuple[dict[str, float], int]:
    """The benchmark's sums and how many zones they cover (top 10: their sums, compared per zone).

    The top 10 are the evaluation's when a run exists (``top_codes``), else the largest by revenue.
    """
    if benchmark == TOP:
        codes = top_codes if top_codes else ranking(fig, views, year)[:10]
        return fig.sums(year, codes), len(codes)
    return dict(fig.annual.get((benchmark, year), {})), 1


def gap_table(fig: Figures, views: Views, zone: ZoneMeta, year: str, benchmark: str, lang: str,
              top_codes: list[str] | None = None) -> Table:
    """对标找差: each indicator of the zone against the benchmark (per zone for the top-10 average)."""
    bench, count = benchmark_sums(fig, views, year, benchmark, top_codes)
    mine = fig.annual.get((zone.code, year), {})
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("indicator", t("profile.indicator")), Column("unit", t("profile.unit")),
               Column("zone", t("profile.this_zone"), "number"), Column("benchmark", t("profile.benchmark"), "number"),
               Column("gap", t("profile.gap"), "number"), Column("ratio", t("profile.ratio_pct"), "number")]
    rows: list[dict[str, object]] = []
    for ind in views.profile_indicators:
        value = value_of(ind, mine)
        target = value_of(ind, bench)
        if target is not None and ind.ratio is None and count > 1:
            target = target / count  # a sum over the top 10 compared per zone
        rows.append({"indicator": ind.name(lang), "unit": ind.unit_label(lang), "zone": value, "benchmark": target,
                     "gap": (target - value) if value is not None and target is not None else None,
                     "ratio": (value / target * 100) if value is not None and target else None})
    return Table("gap_analysis", columns, rows)


def monthly_trend(fig: Figures, views: Views, zone_code: str, lang: str) -> dict[str, object]:
    """Cumulative monthly figures of the zone with y/y against the same month a year before."""
    series = []
    for ind in views.monthly_elements:
        values, changes = [], []
        for month in fig.months:
            sums = fig.monthly.get((zone_code, month))
            value = value_of(ind, sums) if sums else None
            prev_month = f"{int(month[:4]) - 1}{month[4:]}"
            prev_sums = fig.monthly.get((zone_code, prev_month))
            values.append(round(value, 4) if value is not None else None)
            change = yoy(value, value_of(ind, prev_sums) if prev_sums else None)
            changes.append(round(change, 2) if change is not None else None)
        # Headcounts go on a second axis: on the money axis they would flatten every other line.
        series.append({"code": ind.code, "name": f"{ind.name(lang)} ({ind.unit_label(lang)})",
                       "data": values, "yoy": changes, "axis": 1 if ind.unit == "人" else 0})
    return {"months": fig.months, "series": series}

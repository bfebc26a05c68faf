"""The monthly economic-operation report (经济运行监测月报) of the nation, a province or a zone: the 1–N月
cumulative headline figures with y/y, the month's zones ordered by revenue, this year against last year month by
month, the alerts raised and their state, and a summary written as the bulletins are.

Figures come from ``web.services.views.shown``/``shown_yoy`` and ``web.services.monitoring`` (the monitoring
page's services), as the caller may see them; this module orders and words them.
"""

from __future__ import annotations

from dataclasses import dataclass

from hizone.analytics.rollup import NATION_KEY
from hizone.catalog import default_catalog
from hizone.errors import HizoneError
from hizone.monitor.service import StoredAlert
from hizone.reports.sources import DataState, Sources, data_state
from hizone.web.services import monitoring as mon_svc
from hizone.web.services.tables import Column, Suppressed, Table
from hizone.web.services.views import Indicator, Shown, load_views, shown, shown_yoy

LEVELS = ("nation", "province", "zone")
CHARTED = 2  # the headline items charted this year against last (revenue, industrial output)
RANKED = 3  # the headline items (with their y/y) in the zone ranking: more would not fit a page's width


@dataclass(frozen=True)
class Headline:
    item: Indicator
    value: Shown
    yoy: Shown


@dataclass(frozen=True)
class MonthlyReport:
    level: str
    key: str
    subject: str  # 国家高新区, 广东省国家高新区, 深圳高新区
    period: str
    year: int
    month: int
    headlines: list[Headline]
    ranking: Table
    charts: list[dict[str, object]]
    alerts: Table
    alert_count: int
    state: DataState


def monthly_report(src: Sources, level: str, key: str | None, period: str) -> MonthlyReport:
    fig, views = src.fig, load_views()
    if level not in LEVELS:
        raise HizoneError(f"unknown level '{level}' (nation, province or zone)", where="--level")
    months = mon_svc.monthly_periods(fig, views)
    if period not in months:
        shown_months = f"{months[0]} to {months[-1]}" if months else "none"
        raise HizoneError(f"no approved monthly reports for '{period}' (months with reports: {shown_months})",
                          where="--period")
    group, subject = _group(src, level, key)
    viewer = fig.viewer(src.principal)
    headlines = [Headline(ind, shown(fig, ind, level, group, period, viewer),
                          shown_yoy(fig, ind, level, group, period, viewer)) for ind in views.monthly_elements]
    alerts = _alerts(src, level, group, period)
    return MonthlyReport(
        level=level, key=group, subject=subject, period=period, year=int(period[:4]), month=int(period[5:]),
        headlines=headlines, ranking=_ranking(src, level, group, period),
        charts=[_year_on_year_chart(src, ind, level, group, period) for ind in views.monthly_elements[:CHARTED]],
        alerts=mon_svc.alert_table(alerts, src.lang), alert_count=len(alerts),
        state=data_state(src, views.monthly_elements[0].indicator or "", period))


def _group(src: Sources, level: str, key: str | None) -> tuple[str, str]:
    if level == "nation":
        return NATION_KEY, src.t("report.monthly.nation")
    if not key:
        raise HizoneError(f"a {level} report needs --code", where="--code")
    if level == "province":
        province = src.fig.provinces.get(key)
        if province is None:
            raise HizoneError(f"no province '{key}'", where="--code")
        return key, src.t("report.monthly.province", province=province.name(src.lang))
    zone = src.fig.zones.get(key)
    if zone is None:
        raise HizoneError(f"no zone '{key}'", where="--code")
    return key, zone.name(src.lang)


def _zones_of(src: Sources, level: str, key: str) -> set[str]:
    if level == "nation":
        return set(src.fig.zones)
    if level == "province":
        return set(src.fig.zones_of("province", key))
    return set(src.fig.zones_of("province", src.fig.zones[key].province_code))  # a zone among its province's


def _ranking(src: Sources, level: str, key: str, period: str) -> Table:
    """The monitoring page's zone table for the month (the caller's zones only), of the report's zones,
    ordered by the first headline item, largest first (a withheld or missing figure last)."""
    views = load_views()
    table = mon_svc.zone_table(src.fig, views, period, src.lang, src.principal)
    first = views.monthly_elements[0].code
    wanted = _zones_of(src, level, key)

    def order(row: dict[str, object]) -> tuple[int, float]:
        value = row.get(first)
        return (0, -value) if isinstance(value, float) else (1, 0.0)

    rows = sorted((r for r in table.rows if r["key"] in wanted), key=order)
    for position, row in enumerate(rows, start=1):
        row["position"] = position
    shown_codes = {c for ind in views.monthly_elements[:RANKED] for c in (ind.code, f"{ind.code}_yoy")}
    columns = [c for c in table.columns if c.key in ("key", "name") or c.key in shown_codes]
    return Table(table.name, [Column("position", src.t("report.monthly.position"), "int"), *columns], rows)


def _year_on_year_chart(src: Sources, item: Indicator, level: str, key: str, period: str) -> dict[str, object]:
    """One line per year (this and the last), months on the x-axis: the pages' "lines" chart."""
    viewer, year, month = src.fig.viewer(src.principal), int(period[:4]), int(period[5:])

    def series(of_year: int, last_month: int) -> dict[str, object]:
        data: list[float | None] = []
        for m in range(1, last_month + 1):
            value = shown(src.fig, item, level, key, f"{of_year}-{m:02d}", viewer)
            data.append(round(value, 4) if isinstance(value, float) else None)
        return {"name": src.t("report.monthly.year", year=of_year), "data": data}

    return {"title": f"{item.name(src.lang)} ({item.unit_label(src.lang)})",
            "years": [src.t("report.monthly.month", month=m) for m in range(1, 13)],
            "series": [series(year, month), series(year - 1, 12)]}


def _alerts(src: Sources, level: str, key: str, period: str) -> list[StoredAlert]:
    """The alerts the caller may see on the report's group (for a province, on it and its zones) raised for
    a period of the report's year up to its month."""
    found = mon_svc.alerts(src.engine, src.principal)
    zones = _zones_of(src, level, key) if level != "zone" else {key}

    def concerns(a: StoredAlert) -> bool:
        if level == "nation":
            return True
        if a.level == "zone":
            return a.key in zones
        return level == "province" and a.level == "province" and a.key == key

    return [a for a in found if concerns(a) and a.period[:4] == period[:4] and a.period <= period]


def summary(src: Sources, r: MonthlyReport) -> list[str]:
    """The bulletin's paragraph: "今年1–7月，国家高新区实现营业收入27.4万亿元，同比增长7.1%；……", then the basis."""
    clauses = [src.t("report.monthly.clause", item=element_name(src, h.item), amount=amount(src, h.value, h.item),
                     change=growth(src, h.yoy))
               for h in r.headlines if isinstance(h.value, float)]
    if not clauses:
        return [src.t("report.monthly.no_figures")]
    opening = src.t("report.monthly.opening", year=r.year, month=r.month, subject=r.subject)
    basis = "report.monthly.basis_raw" if any(h.item.yoy_raw for h in r.headlines) else "report.monthly.basis"
    return [opening + src.t("report.monthly.clause_join").join(clauses) + src.t("report.sentence_end"),
            src.t(basis, month=r.month)]


def element_name(src: Sources, item: Indicator) -> str:
    """The reported element's own name (营业收入), as a bulletin writes it beside its 1–N月 figure."""
    element = default_catalog().elements.get(item.code)
    if element is None:
        return item.name(src.lang)
    return element.name_en if src.lang == "en" else element.name_zh


def amount(src: Sources, value: float, item: Indicator) -> str:
    """A figure as the bulletins write it: 亿元 from 10,000 on as 万亿元, headcounts in 万人."""
    if item.unit == "亿元" and abs(value) >= 10_000:
        return src.t("report.monthly.trillion", value=f"{value / 10_000:.1f}")
    if item.unit == "人" and abs(value) >= 10_000:
        return src.t("report.monthly.ten_thousand_people", value=f"{value / 10_000:.1f}")
    return f"{value:,.1f}{item.unit_label(src.lang)}"


def growth(src: Sources, change: Shown) -> str:
    if isinstance(change, Suppressed) or change is None:
        return src.t("report.monthly.no_change_figure")
    if round(change, 1) == 0:
        return src.t("report.monthly.flat")
    key = "report.monthly.up" if change > 0 else "report.monthly.down"
    return src.t(key, pct=f"{abs(change):.1f}")

"""The printed reports, opened with a PDF library: pages, embedded CJK fonts, and text equal to the figures the
services (the analytics API behind the pages) give for the same zone, province or month."""

from __future__ import annotations

import pytest

from hizone.errors import HizoneError
from hizone.ranking import gap_report
from hizone.reports.cache import PdfCache
from hizone.reports.documents import print_monthly_report, print_zone_report, zones_evaluated
from hizone.reports.render import PdfRenderer
from hizone.reports.sources import Sources
from hizone.reports.zone import _evaluation
from hizone.web.services import rankings as rank_svc
from hizone.web.services.monitoring import monthly_periods
from hizone.web.services.views import load_views, shown, shown_yoy
from tests.pdf_reports.conftest import fonts, pdf_text, squeezed


def _row(src: Sources, year: int, zone: str) -> dict[str, object]:
    ranking = rank_svc.ranking_for(src.engine, src.runs, load_views().evaluation_framework, year, src.fig)
    assert ranking is not None
    return next(r for r in ranking.rows if r["zone"] == zone)


def _check_fonts(pdf: bytes) -> None:
    used = fonts(pdf)
    assert used, "no fonts found"
    assert all(used.values()), f"fonts not embedded: {[n for n, e in used.items() if not e]}"
    assert "Noto Sans CJK SC" in used, used


def test_a_zone_report_holds_its_scores_ranks_and_gaps(national: Sources, renderer: PdfRenderer) -> None:
    zone = zones_evaluated(national, 2023)[3]
    pdf = print_zone_report(national, zone, 2023, renderer=renderer)
    pages = pdf_text(pdf)
    assert 3 <= len(pages) <= 6
    _check_fonts(pdf)
    text = "\n".join(pages)
    name = national.fig.zones[zone].name_zh
    assert f"{name}2023年度综合评价结果报告" in squeezed(pages[0])
    assert "合成演示数据" in pages[0], "the cover says the data is synthetic"
    row = _row(national, 2023, zone)
    assert isinstance(row["score"], float) and isinstance(row["rank"], int)
    assert f"{row['score']:.2f}" in text and f"{row['rank']} / {len(zones_evaluated(national, 2023))}" in text
    assert f"居第{row['rank']}位" in squeezed(text)
    for dim in rank_svc.ranking_for(national.engine, national.runs, "zone_evaluation", 2023).framework.dimensions:
        assert f"{dim.code}{dim.name_zh}{row[f'{dim.code}_score']:.2f}{row[f'{dim.code}_rank']}/" in squeezed(text)
    low, high = row["rank_p05"], row["rank_p95"]
    assert f"{low:.0f}‒{high:.0f}" in text or f"{low:.0f}–{high:.0f}" in text
    best = gap_report(_evaluation(national, 2023), zone, "top:10").gaps[0]
    assert squeezed(f"{best.code} {best.name}") in squeezed(text)
    assert f"{best.index_gain:.2f}" in text
    assert squeezed(f"第 1 页，共 {len(pages)} 页") in squeezed(pages[0]), "page numbers in the footer"


def test_every_zone_name_prints_with_its_own_glyphs(national: Sources, renderer: PdfRenderer) -> None:
    """The national monthly report lists every zone: each name reads back as stored (no missing glyph, no
    substitute character), and the ranking's header repeats on every page the table runs over."""
    views = load_views()
    month = monthly_periods(national.fig, views)[-1]
    pdf = print_monthly_report(national, "nation", None, month, renderer=renderer)
    pages = pdf_text(pdf)
    _check_fonts(pdf)
    text = squeezed("".join(pages))
    assert "\ufffd" not in text
    reported = national.fig.reporting_zones(views.monthly_elements[0].indicator or "", month)
    missing = [national.fig.zones[c].name_zh for c in reported if squeezed(national.fig.zones[c].name_zh) not in text]
    assert missing == []
    names = [squeezed(national.fig.zones[c].name_zh) for c in reported]
    running = [squeezed(p) for p in pages if any(n in squeezed(p) for n in names)]
    assert len(running) >= 3, "the ranking runs over several pages"
    assert all("位次代码园区" in p for p in running), "the header repeats on every page of the table"


def test_the_monthly_report_states_the_services_figures(national: Sources, renderer: PdfRenderer) -> None:
    views = load_views()
    month = monthly_periods(national.fig, views)[-1]
    province = national.fig.zones[zones_evaluated(national, 2023)[0]].province_code
    pdf = print_monthly_report(national, "province", province, month, renderer=renderer)
    pages = pdf_text(pdf)
    _check_fonts(pdf)
    text = squeezed("\n".join(pages))
    viewer = national.fig.viewer(national.principal)
    revenue = views.monthly_elements[0]
    value = shown(national.fig, revenue, "province", province, month, viewer)
    change = shown_yoy(national.fig, revenue, "province", province, month, viewer)
    assert isinstance(value, float) and isinstance(change, float)
    assert f"{value:,.2f}" in text, "the headline figure as the monitoring page shows it"
    worded = f"{value / 10_000:.1f}万亿元" if value >= 10_000 else f"{value:,.1f}亿元"
    direction = "增长" if change > 0 else "下降"
    assert squeezed(f"实现营业收入{worded}，同比{direction}{abs(change):.1f}%") in text, "the bulletin summary"
    assert "可比口径" in text, "the comparable basis is stated"
    name = national.fig.provinces[province].name_zh
    assert f"{name}国家高新区经济运行监测月报" in squeezed(pages[0])
    year, m = int(month[:4]), int(month[5:])
    assert squeezed(f"{year}年1–{m}月") in text or squeezed(f"{year}年1‒{m}月") in text


def test_reports_are_cached_by_data_version_and_scope(national: Sources, renderer: PdfRenderer) -> None:
    cache = PdfCache()
    zone = zones_evaluated(national, 2023)[0]
    first = print_zone_report(national, zone, 2023, renderer=renderer, cache=cache)
    again = print_zone_report(national, zone, 2023, renderer=renderer, cache=cache)
    assert again is first and cache.hits == 1
    moved = Sources(national.engine, _at_version(national, "later"), national.runs, national.principal)
    print_zone_report(moved, zone, 2023, renderer=renderer, cache=cache)
    assert (len(cache), cache.hits) == (2, 1), "a new data version prints again"


def _at_version(src: Sources, version: object):  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(src.fig, version=(version,), memo={})


def test_bad_requests_are_one_clear_error(national: Sources, renderer: PdfRenderer) -> None:
    with pytest.raises(HizoneError, match="no zone 'Z0000'"):
        print_zone_report(national, "Z0000", 2023, renderer=renderer)
    with pytest.raises(HizoneError, match="no evaluation run for 2031"):
        print_zone_report(national, zones_evaluated(national, 2023)[0], 2031, renderer=renderer)
    with pytest.raises(HizoneError, match="no approved monthly reports for '2023-13'"):
        print_monthly_report(national, "nation", None, "2023-13", renderer=renderer)
    with pytest.raises(HizoneError, match="needs --code"):
        print_monthly_report(national, "province", None, "2023-01", renderer=renderer)

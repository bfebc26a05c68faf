"""The talent campaign's weekly progress report (科研助理岗位开发进展周报) as a printed PDF, beside its .xlsx: the
same tables (hizone.talent.service.tables, cut to the caller's zones by web.services.talent.dashboard) filled into
a template and printed by the reports' renderer. No figure of its own: every number is the service's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from hizone.reports.documents import environment, stylesheet
from hizone.reports.render import PageFurniture, PdfRenderer, default_renderer
from hizone.reports.sources import CHINA, DataState
from hizone.store.changes import latest_seq
from hizone.talent.progress import Progress
from hizone.talent.service import CampaignProgress, tables
from hizone.web.i18n import translate


def weekly_document(progress: CampaignProgress, national: Progress | None, state: DataState,
                    lang: str = "zh") -> tuple[str, PageFurniture]:
    """The report's HTML and page furniture: the cover (data state), the schedule and, for the national roles,
    the nation's line, then the zones, provinces and warnings tables as the workbook has them."""
    def t(key: str, **params: object) -> str:
        return translate(key, lang, **params)

    c = progress.campaign
    title = t("talent.weekly.title", campaign=c.name_en if lang == "en" else c.name_zh)
    subtitle = t("talent.weekly.subtitle", day=progress.on.isoformat())
    summary = [t("talent.as_of", day=progress.on.isoformat(), start=c.start.isoformat(),
                 deadline=c.deadline.isoformat(), due=f"{100 * progress.due:.1f}")]
    if national is not None:
        summary.append(t("talent.nation") + ": " + t("talent.bar", developed=national.developed,
                                                     target=national.target,
                                                     completion=f"{100 * national.completion:.1f}"))
    html = environment().get_template("talent_weekly.html").render(
        lang=lang, t=t, css=stylesheet(), title=title, subtitle=subtitle, state=state, p=progress,
        summary=summary, tables=tables(progress))
    return html, PageFurniture(f"{title} {subtitle}", t("report.page_label"))


def data_state(engine: Engine, progress: CampaignProgress,
               clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(CHINA)) -> DataState:
    """The cover's statement: the shown zones with an approved report by the day, of the shown zones with a
    target; synthetic or real; the store's change number."""
    with engine.connect() as conn:
        version = latest_seq(conn)
    shown = {z.key for z in progress.zones}
    return DataState(progress.synthetic, len(progress.reporting & shown), len(shown), str(version),
                     clock().strftime("%Y-%m-%d %H:%M"))


def print_weekly_report(engine: Engine, progress: CampaignProgress, national: Progress | None, lang: str = "zh",
                        renderer: PdfRenderer | None = None,
                        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(CHINA)) -> bytes:
    """The weekly progress report printed (not cached: a target import moves no change number)."""
    html, furniture = weekly_document(progress, national, data_state(engine, progress, clock), lang)
    return (renderer or default_renderer()).render(html, furniture)

"""The weekly progress report printed (PDF), opened with pypdf: its figures are the service's (campaign_progress
through the dashboard's cut), each caller's cut to its own zones; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.intake.service import import_file
from hizone.reports.render import PdfRenderer
from hizone.reports.sources import CHINA
from hizone.reports.talent import print_weekly_report
from hizone.talent.campaign import campaign
from hizone.web.services.talent import dashboard
from tests.intake.factory import TODAY, csv_bytes
from tests.pdf_reports.conftest import pdf_text, squeezed
from tests.talent.workflow import HEADER, approved_weeks

C = campaign("research_assistant-2022")


@pytest.fixture(scope="module")
def renderer() -> Iterator[PdfRenderer]:
    made = PdfRenderer(workers=1)
    yield made
    made.close()


@pytest.fixture
def weeks(engine: Engine) -> Engine:
    approved_weeks(engine, C, b"level,key,target,set_by\nzone,Z1101,1200,national\nzone,Z3101,800,national\n",
                   [("2022W32", [["Z1101", 700, 500, 400, ""], ["Z3101", 650, 500, 400, ""]]),
                    ("2022W33", [["Z1101", 1003, 517, 411, ""], ["Z3101", 777, 555, 432, ""]])])
    # W34 submitted, not approved: neither the figures nor the PDF count it
    late = csv_bytes([["Z1101", 1111, 600, 500, ""]], header=HEADER)
    assert import_file(engine, late, "talent_report", "2022W34", "alice", submit=True, today=TODAY).status == "stored"
    return engine


def _line(p: object) -> str:
    """A zone's or province's row as the report prints it, from the service's Progress."""
    from hizone.talent.progress import Progress

    assert isinstance(p, Progress)
    return (f"{p.target:,}{p.developed:,}{p.signed:,}{p.on_duty:,}{round(100 * p.completion, 1):,.2f}"
            f"{round(p.scheduled, 1):,.2f}")


def test_the_printed_report_states_the_services_figures(weeks: Engine, renderer: PdfRenderer) -> None:
    found = dashboard(weeks, Principal("analyst", "analyst"), C.key)
    p = found.progress
    # as of Sunday 08-21 (W33, the last approved week), 81 of 91 days: Z3101 777/800 = 97.1% ranks before
    # Z1101 1003/1200 = 83.6%; the nation 1780/2000
    assert p.on == dt.date(2022, 8, 21) and [(z.key, z.rank, z.developed) for z in p.zones] == [
        ("Z3101", 1, 777), ("Z1101", 2, 1003)]
    assert found.national is not None and (found.national.developed, found.national.target) == (1780, 2000)
    pdf = print_weekly_report(weeks, p, found.national, renderer=renderer,
                              clock=lambda: dt.datetime(2022, 8, 22, 9, tzinfo=CHINA))
    pages = pdf_text(pdf)
    text = squeezed("".join(pages))
    assert squeezed("科研助理岗位开发") in text and "截至2022-08-21" in text
    assert "时间进度89.0%" in text  # 81/91
    assert squeezed("累计开发岗位1780个，目标2000个，完成89.0%") in text
    assert "已发布(2家园区的已审核数据)" in text  # the cover: both zones' approved reports
    for z in p.zones:
        assert f"{z.rank}{z.key}{p.names[z.key]}{_line(z)}" in text, z
    for prov in p.provinces:
        assert f"{prov.rank}{prov.key}{p.names[prov.key]}{_line(prov)}" in text, prov
    # Z1101 83.6% < 90% ten days before the deadline (talent_deadline_near); province 11 (Z1101 alone) in W32:
    # 700/1200 = 58.3% against 74/91 = 81.3% due, pace 0.717 < 0.8 (talent_province_behind, one week is enough;
    # the zone rule wants two weeks running and W33's pace is 0.939)
    assert sorted((a.rule, a.key, a.period) for a in p.alerts) == [
        ("talent_deadline_near", "Z1101", "2022W33"), ("talent_province_behind", "11", "2022W32")]
    assert "talent_deadline_nearcriticalzoneZ1101" in text and "talent_province_behindwarningprovince11" in text
    assert "1,111" not in text  # the unapproved W34
    assert "2022-08-2209:00" in text


def test_a_zone_prints_only_its_own(weeks: Engine, renderer: PdfRenderer) -> None:
    found = dashboard(weeks, Principal("z", "zone", zone_code="Z1101", province_code="11"), C.key)
    assert [z.key for z in found.progress.zones] == ["Z1101"] and found.national is None
    text = squeezed("".join(pdf_text(print_weekly_report(weeks, found.progress, None, renderer=renderer))))
    assert f"2Z1101中关村科技园区{_line(found.progress.zones[0])}" in text
    assert "Z3101" not in text and "777" not in text and "1,780" not in text
    assert "已发布(1家园区的已审核数据)" in text

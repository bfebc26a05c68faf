"""Weekly cumulative reports through the intake: the campaign's row checks inside validation, nothing stored
from a refused file, targets imported all or nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from hizone.auth.policy import Principal
from hizone.intake.periods import normalise_period, period_end
from hizone.intake.service import import_file, list_submissions
from hizone.store.models import ImportBatch, Submission
from hizone.talent.campaign import campaign
from hizone.talent.store import import_targets, stored_reports, targets
from tests.intake.factory import TODAY, csv_bytes, seed_registry
from tests.talent.workflow import approve

FORM = "talent_report"
CAMPAIGN = campaign("research_assistant-2022")
HEADER = ["高新区代码", "累计开发岗位数", "累计签约人数", "累计在岗人数", "更正说明"]
TARGETS = b"level,key,target,set_by,source\nzone,Z1101,100,national,test\nprovince,31,50,national,test\n"


def stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(ImportBatch)) or 0,
                conn.scalar(select(func.count()).select_from(Submission)) or 0)


def test_weekly_periods() -> None:
    # 2022-07-03 is a Sunday: ISO week 26 (Mon 06-27 .. Sun 07-03)
    assert normalise_period("2022-07-03", "weekly") == "2022W26"
    assert normalise_period("2022年第27周", "weekly") == "2022W27"
    assert normalise_period("2022-w5", "weekly") == "2022W05"
    assert normalise_period("2022W53", "weekly") is None  # 2022 has 52 ISO weeks
    assert period_end("2022W27") == dt.date(2022, 7, 10)


@pytest.fixture
def zones(engine: Engine) -> Engine:
    seed_registry(engine, 0)
    result = import_targets(engine, TARGETS, "t.csv", CAMPAIGN, "admin")
    assert result.errors == [] and result.stored == 2
    return engine


def test_targets_import_all_or_nothing(zones: Engine) -> None:
    bad = b"level,key,target,set_by\nzone,Z1102,0,national\nzone,Z9999,5,national\nprovince,11,5,provincial\n"
    result = import_targets(zones, bad, "bad.csv", CAMPAIGN, Principal("p", "province", province_code="11"))
    assert result.errors == [
        "bad.csv, row 2, column target: '0' is not a positive whole number"]
    second = b"level,key,target,set_by\nzone,Z9999,5,national\nprovince,11,5,provincial\nzone,Z3101,7,provincial\n"
    result = import_targets(zones, second, "b.csv", CAMPAIGN, Principal("p", "province", province_code="11"))
    assert result.errors == ["b.csv, row 2, column key: zone 'Z9999' is not in the registry",
                             "b.csv, row 3, column key: p may not set the target of province 11",
                             "b.csv, row 4, column key: p may not set the target of zone Z3101"]
    with zones.connect() as conn:
        found = targets(conn, CAMPAIGN)
    # the three published zone targets of the package file, and the two imported
    assert {k: t.target for k, t in found.items() if k[1].startswith(("Z1", "3"))} == {
        ("zone", "Z1101"): 100, ("province", "31"): 50}
    assert found[("zone", "Z4601")].target == 300


def test_a_clean_week_is_stored_and_the_next_week_is_checked_against_it(zones: Engine) -> None:
    first = import_file(zones, csv_bytes([["Z1101", 40, 30, 20, ""], ["Z3101", 10, 5, 5, ""]], header=HEADER),
                        FORM, "2022W26", "alice", name="w26.csv", today=TODAY)
    assert first.status == "stored", first.report and first.report.errors
    rows = [["Z1101", 35, 30, 20, ""],  # fell from 40 without a note
            ["Z3101", 8, 9, 10, ""],  # fell, and signed > developed, on duty > signed
            ["Z1102", 1, 1, 1, ""]]  # Beijing's other zone: no target of its own, none for province 11
    refused = import_file(zones, csv_bytes(rows, header=HEADER), FORM, "2022W27", "alice", name="w27.csv",
                          today=TODAY)
    assert refused.status == "rejected" and refused.report is not None
    # the report lists issues by row, then column
    found = [(i.row, i.column, i.rule, i.message_en) for i in refused.report.errors]
    assert found == [
        (2, "B", "talent_fell", "cumulative 35 fell below 40 without a correction note"),
        (3, "B", "talent_fell", "cumulative 8 fell below 10 without a correction note"),
        (3, "C", "talent_signed", "9 signed > 8 developed"),
        (3, "D", "talent_on_duty", "10 on duty > 9 signed"),
        (4, "A", "talent_no_target", "zone 'Z1102' has no target in this campaign"),
    ]
    assert all(i.file == "w27.csv" for i in refused.report.errors)
    assert stored(zones) == (1, 2)  # nothing of the refused file
    corrected = import_file(zones, csv_bytes([["Z1101", 35, 30, 20, "重复统计，已更正"]], header=HEADER), FORM,
                            "2022W27", "alice", name="fix.csv", today=TODAY)
    assert corrected.status == "stored", corrected.report and corrected.report.errors
    with zones.connect() as conn:
        reports = stored_reports(conn, FORM, 2022)
    assert [(r.zone, r.period, r.values["ta_developed"]) for r in reports] == [
        ("Z1101", "2022W26", 40.0), ("Z3101", "2022W26", 10.0), ("Z1101", "2022W27", 35.0)]
    assert {s.entity_key for s in list_submissions(zones, form=FORM, period="2022W27")} == {"Z1101"}


def test_a_week_outside_the_campaign_is_refused(zones: Engine) -> None:
    # 2022W22 is 05-30..06-05: it holds the start (06-01), so it counts; W21 ends 05-29, before the start
    early = import_file(zones, csv_bytes([["Z1101", 1, 1, 1, ""]], header=HEADER), FORM, "2022W21", "alice",
                        name="w21.csv", today=TODAY)
    assert early.report is not None
    assert [(i.row, i.rule, i.message_en) for i in early.report.errors] == [
        (2, "talent_outside", "2022-05-29 is outside the campaign (2022-06-01..2022-08-31)")]
    ok = import_file(zones, csv_bytes([["Z1101", 1, 1, 1, ""]], header=HEADER), FORM, "2022W35", "alice",
                     name="w35.csv", today=TODAY)  # 08-29..09-04 holds the deadline: as of 08-31
    assert ok.status == "stored", ok.report and ok.report.errors
    none = import_file(zones, csv_bytes([["Z1101", 1, 1, 1, ""]], header=HEADER), FORM, "2023W10", "alice",
                       name="w.csv", today=TODAY)
    assert none.report is not None and {i.rule for i in none.report.errors} == {"talent_no_campaign"}


def test_progress_from_the_store_and_the_weekly_workbook(zones: Engine) -> None:
    import io

    import openpyxl

    from hizone.talent.service import campaign_progress, weekly_workbook

    for period, rows in (("2022W26", [["Z1101", 40, 30, 20, ""], ["Z3101", 10, 5, 5, ""]]),
                         ("2022W27", [["Z1101", 45, 31, 20, ""]])):
        result = import_file(zones, csv_bytes(rows, header=HEADER), FORM, period, "alice", name=f"{period}.csv",
                             submit=True, today=TODAY)
        assert result.status == "stored", result.report and result.report.errors
        approve(zones, period)
    progress = campaign_progress(zones, CAMPAIGN)
    # as of the last report day, Sunday 2022-07-10: 39 of 91 days due
    assert progress.on == dt.date(2022, 7, 10) and progress.due == 39 / 91
    z1101 = progress.zone("Z1101")
    assert z1101 is not None and (z1101.developed, z1101.completion, z1101.rank) == (45, 0.45, 1)
    # province 31 has its own target 50; Z3101 reported 10 in W26 and nothing since: 10/50
    assert [(p.key, p.developed, p.target) for p in progress.provinces if p.key == "31"] == [("31", 10, 50)]
    book = openpyxl.load_workbook(io.BytesIO(weekly_workbook(progress)))
    assert book.sheetnames == ["高新区 Zones", "省份 Provinces", "预警 Warnings"]
    values = [[c.value for c in row] for row in book["高新区 Zones"].iter_rows()]
    assert [1, "Z1101", "中关村科技园区", 100, 45, 31, 20, 45.0, round(100 * 39 / 91, 1),
            round(100 * 0.45 / (39 / 91), 1)] in values


def test_weekly_reports_move_through_the_workflow_and_approved_weeks_are_locked(zones: Engine) -> None:
    from hizone.intake.service import transition

    data = csv_bytes([["Z1101", 40, 30, 20, ""]], header=HEADER)
    assert import_file(zones, data, FORM, "2022W26", "alice", submit=True, today=TODAY).status == "stored"
    for action in ("review", "approve"):
        assert transition(zones, action, "admin", form=FORM, period="2022W26").count == 1
    assert {s.state for s in list_submissions(zones, form=FORM, period="2022W26")} == {"approved"}
    changed = import_file(zones, csv_bytes([["Z1101", 41, 30, 20, ""]], header=HEADER), FORM, "2022W26", "alice",
                          name="late.csv", today=TODAY)
    assert changed.status == "rejected" and changed.report is not None
    assert {i.rule for i in changed.report.errors} == {"locked"}


def test_progress_counts_only_the_latest_approved_revision(zones: Engine) -> None:
    from hizone.intake.service import transition
    from hizone.talent.service import campaign_progress, zone_series

    def week(period: str, developed: int, submit: bool = True) -> None:
        result = import_file(zones, csv_bytes([["Z1101", developed, 10, 5, ""]], header=HEADER), FORM, period,
                             "alice", name=f"{period}-{developed}.csv", submit=submit, today=TODAY)
        assert result.status == "stored", result.report and result.report.errors

    week("2022W26", 40)
    approve(zones, "2022W26")
    week("2022W27", 60)  # submitted, not yet approved
    week("2022W28", 70)
    transition(zones, "review", "admin", form=FORM, period="2022W28")  # reviewed, not yet approved
    progress = campaign_progress(zones, CAMPAIGN)
    z1101 = progress.zone("Z1101")
    # only W26 is approved: as of its Sunday 2022-07-03 (32 of 91 days), 40 of 100
    assert progress.on == dt.date(2022, 7, 3) and progress.due == 32 / 91
    assert z1101 is not None and (z1101.developed, z1101.completion) == (40, 0.4)
    later = campaign_progress(zones, CAMPAIGN, dt.date(2022, 7, 17)).zone("Z1101")
    assert later is not None and later.developed == 40  # still the approved figure a fortnight on
    assert [(r.on, r.developed) for r in zone_series(zones, CAMPAIGN, "Z1101")] == [(dt.date(2022, 7, 3), 40)]
    transition(zones, "approve", "admin", form=FORM, period="2022W28")  # W27 stays submitted
    z1101 = campaign_progress(zones, CAMPAIGN).zone("Z1101")
    assert z1101 is not None and z1101.developed == 70
    with zones.connect() as conn:
        # the latest revision of every week, whatever its state, is still what the fall check reads
        assert [(r.period, r.state) for r in stored_reports(conn, FORM, 2022)] == [
            ("2022W26", "approved"), ("2022W27", "submitted"), ("2022W28", "approved")]
        assert [r.period for r in stored_reports(conn, FORM, 2022, approved=True)] == ["2022W26", "2022W28"]


def test_a_returned_revision_and_its_replacement_count_only_once_approved(zones: Engine) -> None:
    from hizone.intake.service import transition
    from hizone.talent.service import campaign_progress

    data = csv_bytes([["Z1101", 50, 10, 5, ""]], header=HEADER)
    assert import_file(zones, data, FORM, "2022W27", "alice", submit=True, today=TODAY).status == "stored"
    transition(zones, "return", "admin", form=FORM, period="2022W27", comment="核对")
    fixed = csv_bytes([["Z1101", 48, 10, 5, ""]], header=HEADER)  # revision 2, a draft
    assert import_file(zones, fixed, FORM, "2022W27", "alice", today=TODAY).status == "stored"
    z1101 = campaign_progress(zones, CAMPAIGN).zone("Z1101")
    assert z1101 is not None and z1101.developed == 0  # neither revision approved: nothing counts
    approve(zones, "2022W27", submit=True)
    z1101 = campaign_progress(zones, CAMPAIGN).zone("Z1101")
    assert z1101 is not None and z1101.developed == 48


def test_the_correction_note_is_stored_with_its_revision(zones: Engine) -> None:
    from hizone.store.models import RevisionNote
    from hizone.talent.service import zone_series

    first = csv_bytes([["Z1101", 40, 30, 20, "  "], ["Z3101", 10, 5, 5, ""]], header=HEADER)
    assert import_file(zones, first, FORM, "2022W26", "alice", submit=True, today=TODAY).status == "stored"
    approve(zones, "2022W26")
    note = "重复统计，已剔除5个岗位"
    fixed = csv_bytes([["Z1101", 35, 30, 20, note], ["Z3101", 12, 5, 5, "不是更正"]], header=HEADER)
    assert import_file(zones, fixed, FORM, "2022W27", "alice", submit=True, today=TODAY).status == "stored"
    approve(zones, "2022W27")
    with zones.connect() as conn:
        notes = conn.execute(select(RevisionNote.period, RevisionNote.entity_key, RevisionNote.revision,
                                    RevisionNote.note).order_by(RevisionNote.entity_key)).all()
        reports = stored_reports(conn, FORM, 2022, approved=True)
    # blank notes store nothing; a note given without a fall is kept too (it is the row's text)
    assert [tuple(n) for n in notes] == [("2022W27", "Z1101", 1, note), ("2022W27", "Z3101", 1, "不是更正")]
    assert [(r.period, r.zone, r.note) for r in reports] == [
        ("2022W26", "Z1101", ""), ("2022W26", "Z3101", ""), ("2022W27", "Z1101", note),
        ("2022W27", "Z3101", "不是更正")]
    assert [(r.developed, r.correction) for r in zone_series(zones, CAMPAIGN, "Z1101")] == [(40, ""), (35, note)]
    # a file of unchanged figures makes no revision, so its note is not stored against the old one
    again = csv_bytes([["Z3101", 12, 5, 5, "另一说明"]], header=HEADER)
    assert import_file(zones, again, FORM, "2022W27", "alice", name="again.csv", today=TODAY).status == "stored"
    with zones.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RevisionNote)) == 2

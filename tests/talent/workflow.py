"""The workflow steps a week's reports take before the campaign's figures count them (the latest approved
revision of each zone and week), and a store with a campaign's targets and approved weeks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from hizone.intake.service import import_file, transition
from hizone.talent.campaign import Campaign
from hizone.talent.store import import_targets
from tests.intake.factory import TODAY, csv_bytes, seed_registry

FORM = "talent_report"
HEADER = ["高新区代码", "累计开发岗位数", "累计签约人数", "累计在岗人数", "更正说明"]


def approve(engine: Engine, period: str, *, submit: bool = False) -> None:
    """Move the week's latest revisions to approved (from draft when ``submit``, else from submitted)."""
    if submit:
        assert transition(engine, "submit", "admin", form=FORM, period=period).count >= 1
    for action in ("review", "approve"):  # by another user than the one who submitted (separation of duties)
        assert transition(engine, action, "reviewer", form=FORM, period=period).count >= 1, action


def approved_weeks(engine: Engine, camp: Campaign, targets: bytes,
                   weeks: Sequence[tuple[str, list[list[object]]]]) -> Engine:
    """The test registry, the campaign's targets (a CSV) and each week's rows (zone, developed, signed, on duty,
    note) imported, submitted and approved."""
    seed_registry(engine, 0)
    assert import_targets(engine, targets, "t.csv", camp, "admin").errors == []
    for period, rows in weeks:
        result = import_file(engine, csv_bytes(rows, header=HEADER), FORM, period, "alice", submit=True,
                             name=f"{period}.csv", today=TODAY)
        assert result.status == "stored", result.report and result.report.errors
        approve(engine, period)
    return engine

"""The workflow steps a week's reports take before the campaign's figures count them (the latest approved
revision of each zone and week)."""

from __future__ import annotations

from sqlalchemy import Engine

from hizone.intake.service import transition

FORM = "talent_report"


def approve(engine: Engine, period: str, *, submit: bool = False) -> None:
    """Move the week's latest revisions to approved (from draft when ``submit``, else from submitted)."""
    for action in (("submit",) if submit else ()) + ("review", "approve"):
        assert transition(engine, action, "admin", form=FORM, period=period).count >= 1, action

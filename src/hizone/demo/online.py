"""The demo's browser-form drafts (网上填报): next year's annual report half typed in by the first enterprise
(the demo enterprise user's), and the second one's started by its zone on its behalf, so the online form opens
on a draft with last year's values beside it."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from hizone.intake.rules import rules_for
from hizone.intake.service import unpacked
from hizone.online.form import fingerprint
from hizone.store.models import Enterprise, Submission
from hizone.store.online import Report, save_draft

FORM = "enterprise_annual"
TYPED = ("revenue", "total_profit", "net_profit", "total_assets", "employees", "rd_expenditure")
GROWTH = 1.08  # a plausible year on year, well inside the outlier rules


def add_online_drafts(engine: Engine) -> int:
    """The drafts (how many): values typed as people type them, with thousands separators."""
    with engine.connect() as conn:
        latest = conn.scalar(select(func.max(Submission.period)).where(Submission.form_code == FORM))
        firsts = conn.execute(select(Enterprise.credit_code, Enterprise.zone_code)
                              .order_by(Enterprise.zone_code, Enterprise.credit_code).limit(2)).all()
        if latest is None or not firsts:
            return 0
        rows = conn.execute(select(Submission.entity_key, Submission.batch_id, Submission.packed_values).where(
            Submission.form_code == FORM, Submission.period == latest,
            Submission.entity_key.in_([r.credit_code for r in firsts])).order_by(Submission.revision)).all()
        last = dict(zip((r.entity_key for r in rows), unpacked(conn, [r.batch_id for r in rows],
                                                                [r.packed_values for r in rows]), strict=True))
    year = int(latest) + 1
    version = fingerprint(rules_for(FORM, year))
    for i, (key, zone) in enumerate(firsts):
        before = last.get(key, {})
        typed = TYPED if i == 0 else TYPED[:2]  # the zone has only begun the second one
        values = {code: f"{before[code] * GROWTH:,.0f}" for code in typed if code in before}
        who = ("demo-enterprise", "enterprise") if i == 0 else ("demo-zone", "zone")
        save_draft(engine, Report(FORM, str(year), key), zone, values, 0, version, who)
    return len(firsts)

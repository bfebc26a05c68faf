"""The demo's campaign: a synthetic target and weekly reports for every demo zone, that pass the form's own
checks (cumulative never falling, signed ≤ developed ≤ ..., kinds and levels adding up) and are labelled."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.demo.talent import MADE, targets, weekly
from hizone.registry import load_provinces, load_zones
from hizone.store.models import Submission, TalentTarget
from hizone.talent.campaign import campaign
from hizone.talent.service import campaign_progress


def test_targets_and_weeks_by_hand() -> None:
    # shares 1, 1, 2 of 4 enterprises: 7,500, 7,500 and 15,000 posts, clipped to 600
    assert targets(np.asarray([1, 1, 2])).tolist() == [600, 600, 600]
    assert targets(np.asarray([1, 999])).tolist() == [30, 600]  # 30,000/1,000 = 30
    (week,) = weekly(np.asarray([100]), np.asarray([1.0]), [0.5])
    row = dict(zip(MADE, week[0].tolist(), strict=True))
    # developed 50; signed floor(50 × 0.7 × 0.75) = 26; on duty floor(26 × 0.9) = 23
    assert (row["ta_developed"], row["ta_signed"], row["ta_on_duty"]) == (50, 26, 23)
    kinds = [row[k] for k in MADE[3:9]]
    assert kinds == [22, 12, 4, 5, 3, 4] and sum(kinds) == 50  # floors of 45/25/8/10/7 %, the rest 其他


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_demo_zone_has_a_target_and_weekly_reports(engine: Engine) -> None:
    data = generate(default_catalog(), load_provinces(), load_zones(), enterprises=600, seed=3)
    counts = load(engine, data, default_catalog())
    zones = len(data.zones)
    # 2022-06-01 (W22) to 2022-08-31 (W35): 14 weeks
    assert counts["talent reports"] == 14 * zones
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(TalentTarget).where(TalentTarget.synthetic)) == zones
        assert conn.scalar(select(func.count()).select_from(Submission).where(
            Submission.form_code == "talent_report", ~Submission.synthetic)) == 0
    progress = campaign_progress(engine, campaign("research_assistant-2022"))
    assert progress.synthetic and len(progress.zones) == zones and progress.due == 1.0
    assert all(z.on_duty <= z.signed <= z.developed for z in progress.zones)
    assert any(a.rule == "talent_deadline_near" for a in progress.alerts)  # the laggards are found

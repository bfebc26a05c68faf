"""The demo's reporting loop: the last annual round on time, late, missing, returned and awaiting review, late
zones on the monthly form, and the demo users' notices; counts worked out from the generated data."""

from __future__ import annotations

import collections
import datetime as dt

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from hizone.auth import Principal
from hizone.auth.users import create_demo_users
from hizone.catalog import default_catalog
from hizone.demo import DemoData, generate, load
from hizone.demo.reporting import LATE_EVERY, RETURN_COMMENT, remind_demo_users
from hizone.errors import Refused
from hizone.intake.completeness import completeness
from hizone.intake.service import audit_trail, list_submissions, revision_writers, transition
from hizone.registry import load_provinces, load_zones
from hizone.store.models import Notice, Submission, User
from hizone.web.services.reporting import queue


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=11)


def test_the_last_annual_round_has_every_kind_of_reporter(engine: Engine, demo: DemoData) -> None:
    catalog = default_catalog()
    load(engine, demo, catalog)
    last = max(demo.annual)
    revenue = demo.annual[last][:, 0]
    reporting = int(np.count_nonzero(~np.isnan(revenue)))
    # About 1% never reported (left out of the generated data), one in 25 of the others was late.
    assert 0.005 * len(revenue) < len(revenue) - reporting < 0.015 * len(revenue)
    report = completeness(engine, "enterprise_annual", str(last), today=dt.date(2026, 1, 1), catalog=catalog)
    counts = collections.Counter(e.status for e in report.entities)
    late = len(range(LATE_EVERY // 2, reporting, LATE_EVERY))
    assert counts == {"missing": len(revenue) - reporting, "late": late, "on_time": reporting - late}
    assert {e.days for e in report.entities if e.status == "late"} == {3, 12, 30}
    # The missing are small firms: their revenue in the year before is below the median.
    missing = [i for i, e in enumerate(report.entities) if e.status == "missing"]
    codes = list(demo.enterprises.credit_code)
    before = demo.annual[last - 1][:, 0]
    rows = [codes.index(report.entities[i].entity_key) for i in missing]
    assert np.nanmedian(before[rows]) < np.nanmedian(before)
    # In the demo zone, corrections filed by the zone: three returned with a comment by the zone's reviewer (the
    # annual form's workflow: the zone returns; not the user who filed them), three awaiting review.
    states = collections.Counter(s.state for s in list_submissions(engine, form="enterprise_annual", period=str(last))
                                 if s.revision == 2)
    assert states == {"returned": 3, "submitted": 3}
    trail = audit_trail(engine, object_kind="submission")
    returns = [e for e in trail if e.action == "return" and e.detail["period"] == str(last)]
    assert len(returns) == 3 and {e.detail["comment"] for e in returns} == {RETURN_COMMENT}
    zone = list_submissions(engine, form="enterprise_annual", period=str(last), state="returned")[0].zone_code
    assert {(e.actor, e.detail["role"]) for e in returns} == {(f"demo-{zone}-reviewer", "zone")}
    filers = {(e.actor, e.detail["role"]) for e in trail if e.action == "submit" and e.detail["period"] == str(last)}
    assert filers == {(f"demo-{zone}", "zone")}
    # The monthly form's returns are its province's (its workflow names no zone for them).
    monthly = [e for e in trail if e.action == "return" and e.detail["form"] == "zone_monthly"]
    assert monthly and {e.detail["role"] for e in monthly} == {"province"}
    # The monthly form: the planned late and missing zones of the last month.
    month = completeness(engine, "zone_monthly", max(demo.monthly), today=dt.date(2026, 1, 1), catalog=catalog)
    plan = collections.Counter(w["kind"] for w in demo.workflow)
    assert collections.Counter(e.status for e in month.entities if e.status != "on_time") == {
        "late": plan["late_report"], "missing": plan["missing_report"]}


def test_the_demo_users_have_notices(engine: Engine, demo: DemoData) -> None:
    catalog = default_catalog()
    load(engine, demo, catalog)
    create_demo_users(engine)
    assert remind_demo_users(engine, max(demo.annual), catalog) == {"2024-04-23": 1, "2024-05-01": 1}
    with engine.connect() as conn:
        notices = dict(conn.execute(select(User.username, func.count(Notice.id))
                                    .join(Notice, Notice.user_id == User.id).group_by(User.username)).all())
    # A week before the deadline the demo enterprise had sent nothing (its report came two days before it); the
    # day after, its zone's committee is told of the zone's missing enterprises.
    assert notices == {"demo-enterprise": 1, "demo-zone": 1}


def test_the_demo_keeps_the_separation_of_duties(engine: Engine, demo: DemoData) -> None:
    """No review or approval in the demo is its revision's writer's, and the demo zone user may review the
    corrections its zone's filer submitted (they are another user's)."""
    catalog = default_catalog()
    load(engine, demo, catalog)
    last = str(max(demo.annual))
    accepted = [e for e in audit_trail(engine, object_kind="submission", limit=100_000)
                if e.action in ("review", "approve")]
    with engine.connect() as conn:
        for e in accepted:
            row = conn.execute(select(Submission.form_code, Submission.period, Submission.entity_key,
                                      Submission.batch_id, Submission.created_by)
                               .where(Submission.id == int(e.object_id))).one()
            writers = revision_writers(conn, row.form_code, row.period, [(row.entity_key, row.batch_id,
                                                                          row.created_by)])
            assert e.actor not in writers[(row.entity_key, row.batch_id)]
    waiting = list_submissions(engine, form="enterprise_annual", period=last, state="submitted")
    assert len(waiting) == 3
    zone_user = Principal("demo-zone", "zone", zone_code=waiting[0].zone_code)
    assert [q.actions for q in queue(engine, zone_user) if q.period == last] == [("review", "return")]
    done = transition(engine, "review", zone_user, form="enterprise_annual", period=last,
                      zone_code=waiting[0].zone_code)
    assert done.count == 3 and done.withheld == []
    # The filer itself is refused, and the refusal is in the audit log.
    with pytest.raises(Refused, match="you filed this revision; another reviewer must approve it"):
        transition(engine, "approve", Principal(f"demo-{waiting[0].zone_code}", "zone",
                                                zone_code=waiting[0].zone_code),
                   form="enterprise_annual", period=last, zone_code=waiting[0].zone_code)
    refused = [e for e in audit_trail(engine, object_kind="submission", limit=100_000)
               if e.action == "approve_refused"]
    assert sorted(e.object_id for e in refused) == sorted(str(w.id) for w in waiting)

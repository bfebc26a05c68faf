"""The demo's contests: teams in both editions (judged where the demo's 初创组 admits them, refused with the
published reason where the contest takes legal entities only), some linked to the firm they registered after
the contest and followed as it; equity financing on the annual form from its 2022 version, a small share of firms
a year, more of the winners than of the other entrants."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, select

from hizone.catalog import default_catalog
from hizone.contests import service
from hizone.demo import generate, load
from hizone.demo.contests import ACTOR, TEAMS, load_contests
from hizone.demo.generate import DemoData
from hizone.registry import load_provinces, load_zones
from hizone.store import session_scope
from hizone.store.models import AuditLog
from tests.contests.test_store import figures


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=11)


def test_equity_financing_is_on_the_2022_form_and_rare(demo: DemoData) -> None:
    column = demo.annual_elements.index("equity_financing")
    for year, matrix in demo.annual.items():
        values, reporting = matrix[:, column], ~np.isnan(matrix[:, 0])
        if year < 2022:  # the 2019 version has no such field: blank
            assert np.isnan(values).all(), year
            continue
        assert not np.isnan(values[reporting]).any() and np.isnan(values[~reporting]).all()
        raised = values[reporting] > 0
        assert 0.01 < raised.mean() < 0.06, (year, raised.mean())  # 1.5 % of older firms, 8 % of young ones
        assert (values[reporting] >= 0).all() and np.allclose(values[reporting], np.round(values[reporting], 1))
        # A round: lognormal with a mean of 40,000 千元 (sigma 1): the median about e^(−½) of it, 24,000.
        assert 8_000 < float(np.median(values[reporting][raised])) < 60_000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_editions_have_teams_linked_and_followed(engine: Engine, demo: DemoData) -> None:
    load(engine, demo, default_catalog())
    reader = figures(engine)
    counts, _ = load_contests(engine, reader, seed=11)
    assert counts["contest team entries"] == sum(TEAMS.values())
    by_edition = {e.key: service.entries(engine, ACTOR, e.key) for e in service.editions(engine)}
    cicc, disruptive = by_edition["cicc-12"], by_edition["disruptive-1"]
    cicc_teams = [e for e in cicc if e.team_name]
    assert len(cicc_teams) == TEAMS["cicc-2023"]
    # The demo's 12th edition admits teams to 初创组: they are eligible and judged with the firms.
    assert {(e.group, e.eligible) for e in cicc_teams} == {("startup", True)}
    assert all(e.stage != "signup" and e.rank is not None for e in cicc_teams)  # moved on and ranked
    # The 颠覆性 contest takes legal entities only: its teams refused with that reason, as published.
    teams = [e for e in disruptive if e.team_name]
    assert len(teams) == TEAMS["disruptive-2021"]
    assert {e.reasons for e in teams} == {("本届大赛不接受团队报名（组别：独立法人单位，均须为企业）",)}
    # Half of them registered a firm in 2022 (no entrant of the edition), linked and audited.
    linked = [e for e in teams if e.credit_code]
    assert len(linked) == counts["contest teams linked"] == 3
    firms = {e.credit_code for e in disruptive if not e.team_name}
    assert not {e.credit_code for e in linked} & firms
    with session_scope(engine) as session:
        logged = set(session.scalars(select(AuditLog.object_id).where(AuditLog.action == service.LINK_ACTION)))
    assert logged == {f"disruptive-1:{e.code}" for e in linked}
    # The follow-up follows the linked teams' firms, their 2022–2023 reports with the financing element.
    made = service.track(engine, reader, ACTOR, "disruptive-1", until=2023)
    followed = {o.entry: o for o in made.outcomes}
    assert {e.code for e in linked} <= set(followed)
    assert all(followed[e.code].financing_source == "form" for e in linked)
    # Winners raise equity money after the contest more often than the other entrants.
    assert made.winners.entrants >= 4 and made.winners.financed > made.others.financed

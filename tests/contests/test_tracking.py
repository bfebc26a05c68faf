"""Following entrants: the pure cohort engine by hand, and the trails read from the registry and the approved
annual reports (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from hizone.auth.policy import Principal
from hizone.contests import service
from hizone.contests.tracking import Trail, outcome, report
from hizone.store import session_scope
from hizone.store.models import ContestEntry, Enterprise, Qualification
from tests.contests.test_store import ADMIN, EDITION, A, B, C, contest, figures  # noqa: F401  (the fixture)
from tests.reports import report as annual


def trail(entry: str, winner: bool, held: dict[int, set[str]], revenue: dict[int, float],
          field: str = "集成电路") -> Trail:
    return Trail(entry, f"CC{entry}", "Z1", field, winner, 2023,
                 {y: frozenset(k) for y, k in held.items()}, revenue, {y: v / 10 for y, v in revenue.items()})


def test_outcomes_and_cohorts_by_hand() -> None:
    # W: 科技型中小企业 already in 2023, 高企 from 2024 → became high_tech only; revenue 100 → 121 in two
    # years: (121/100)^(1/2) − 1 = 10 %. O1 became nothing, revenue 100 → 80: −20 % in one year.
    # O2 listed in 2025, no report after 2023: growth unknown.
    w = trail("W", True, {2023: {"tech_sme"}, 2024: {"tech_sme", "high_tech"}, 2025: {"high_tech"}},
              {2023: 100, 2025: 121})
    o1 = trail("O1", False, {2023: set(), 2024: set()}, {2023: 100, 2024: 80}, field="人工智能")
    o2 = trail("O2", False, {2023: set(), 2025: {"listed"}}, {2023: 50})
    assert outcome(w).became == ("high_tech",)
    assert outcome(w).revenue_growth == pytest.approx(0.10) and outcome(w).rd_growth == pytest.approx(0.10)
    assert (outcome(o1).revenue_growth, outcome(o2).revenue_growth) == (pytest.approx(-0.2), None)
    made = report([w, o1, o2])
    assert (made.winners.entrants, made.winners.became["high_tech"]) == (1, 1.0)
    assert (made.others.entrants, made.others.became["listed"], made.others.became["high_tech"]) == (2, 0.5, 0.0)
    assert made.others.median_revenue_growth == pytest.approx(-0.2)
    assert [(c.label, c.entrants, c.winners) for c in made.by_field] == [("人工智能", 1, 0), ("集成电路", 2, 1)]
    # No report of the contest year: what it held then is unknown, so a later 高企 is not "became".
    assert outcome(trail("O3", False, {2024: {"high_tech"}}, {2024: 10})).became == ()


def test_trails_from_the_registry_and_approved_reports(contest: Engine) -> None:  # noqa: F811
    with session_scope(contest) as session:
        firm_a = session.scalar(select(Enterprise).where(Enterprise.credit_code == A))
        assert firm_a is not None
        session.add(Qualification(enterprise_id=firm_a.id, kind="high_tech", valid_from=dt.date(2024, 11, 1),
                                  valid_to=dt.date(2027, 10, 31), detail="GR202411000001"))
        for period, revenue, state in (("2023", 10_000, "approved"), ("2025", 14_400, "approved"),
                                       ("2025", 99_999, "submitted")):   # revision 2, not approved: not read
            session.add(annual(form_code="enterprise_annual", form_version=2019, entity_key=A, zone_code="Z1",
                               period=period, revision=1 if state == "approved" else 2, state=state,
                               values={"revenue": revenue, "rd_expenditure": revenue / 10}, created_by="t"))
        entry = session.scalar(select(ContestEntry).where(ContestEntry.credit_code == B))
        assert entry is not None
        entry.award = "优秀企业"
    reader = figures(contest)
    made = service.track(contest, reader, ADMIN, EDITION, until=2025)
    by_entry = {o.entry: o for o in made.outcomes}
    # A: 高企 from 2024-11-01, held at the end of 2024 and 2025; revenue 10,000 → 14,400 in two years: 20 %.
    assert by_entry["E1"].became == ("high_tech",)
    assert by_entry["E1"].revenue_growth == pytest.approx(0.2) and by_entry["E1"].last_year == 2025
    # B: its 科技型中小企业 of 2023 ran out at the end of 2023, so it held it at the contest year's end: not "became".
    assert by_entry["E2"].became == () and by_entry["E2"].winner
    assert (made.winners.entrants, made.others.entrants) == (1, 3)
    assert made.others.became["high_tech"] == pytest.approx(1 / 3)
    zone2 = Principal("zone2", "zone", province_code="11", zone_code="Z2")
    assert sorted(o.entry for o in service.track(contest, reader, zone2, EDITION, until=2025).outcomes) == [
        "E3", "E4"]
    # An enterprise follows itself only: A sees its own trail (its reports through the analytics layer's scope).
    own = service.track(contest, reader, Principal("firm-a", "enterprise", credit_code=A), EDITION, until=2025)
    assert [(o.entry, o.became, o.last_year) for o in own.outcomes] == [("E1", ("high_tech",), 2025)]
    with pytest.raises(service.AccessDenied):
        service.track(contest, reader, Principal("jud1", "judge"), EDITION)


def test_financing_from_the_form_else_the_incubator_graduation(contest: Engine) -> None:  # noqa: F811
    """The annual form's 当年获得股权融资额 summed over the approved reports after the contest year (2023); the
    incubator graduation by 累计融资超500万元 after it only where no such report carries the element."""
    from hizone.contests.tracking import FINANCING_NOTE
    from hizone.store.models import Carrier, Incubatee

    with session_scope(contest) as session:
        carrier = Carrier(code="INC1", name="孵化器1", kind="孵化器", focus="综合", zone_code="Z1",
                          province_code="11", source="test")
        session.add(carrier)
        session.flush()
        for code, graduated, criterion in ((A, dt.date(2024, 6, 1), "financing"),      # the form says more
                                           (B, dt.date(2024, 3, 1), "financing"),      # no form: counts
                                           (C, dt.date(2025, 1, 1), "hightech")):      # another criterion
            session.add(Incubatee(carrier_id=carrier.id, credit_code=code, entry=dt.date(2020, 1, 1),
                                  graduated=graduated, criterion=criterion, source="test"))
        # A: 5,000 in the contest year (not after it), 0 in 2024, 12,000 in 2025; a pending revision of 2025
        # (99,999, submitted) is not read. C: 0 in 2024. B and D: no report.
        for code, zone, period, financing, revision, state in (
                (A, "Z1", "2023", 5_000, 1, "approved"), (A, "Z1", "2024", 0, 1, "approved"),
                (A, "Z1", "2025", 12_000, 1, "approved"), (A, "Z1", "2025", 99_999, 2, "submitted"),
                (C, "Z2", "2024", 0, 1, "approved")):
            session.add(annual(form_code="enterprise_annual", form_version=2022, entity_key=code, zone_code=zone,
                               period=period, revision=revision, state=state, created_by="t",
                               values={"revenue": 1_000, "equity_financing": financing}))
        entry = session.scalar(select(ContestEntry).where(ContestEntry.credit_code == B))
        assert entry is not None
        entry.award = "优秀企业"
    made = service.track(contest, figures(contest), ADMIN, EDITION, until=2025)
    by_entry = {o.entry: o for o in made.outcomes}
    assert {e: (o.financed, o.financing_raised, o.financing_source) for e, o in by_entry.items()} == {
        "E1": (True, 12_000.0, "form"), "E2": (True, None, "incubation"), "E3": (False, 0.0, "form"),
        "E4": (False, None, None)}
    assert by_entry["E1"].financing_by_year == {2024: 0.0, 2025: 12_000.0}
    # Winners: E2 alone. Others: E1, E3, E4 → 1 of 3 financed, 12,000 raised, sources form 2, none 1.
    assert (made.winners.financed, made.winners.financing_raised, made.winners.sources) == (
        1.0, 0.0, {"form": 0, "incubation": 1, "none": 0})
    assert (made.others.financed, made.others.financing_raised, made.others.sources) == (
        pytest.approx(1 / 3), 12_000.0, {"form": 2, "incubation": 0, "none": 1})
    assert [(c.label, c.financed, c.financing_raised) for c in made.by_zone] == [("Z1", 1.0, 12_000.0),
                                                                                  ("Z2", 0.0, 0.0)]
    assert "当年获得股权融资额" in FINANCING_NOTE and "a lower bound" in FINANCING_NOTE
    from fastapi.testclient import TestClient

    from hizone.auth.users import add_user
    from tests.web.conftest import login, make_app

    add_user(contest, "boss1", "boss-password-1", "admin")
    client = login(TestClient(make_app(contest)), "boss1", "boss-password-1")
    answer = client.get(f"/api/v1/contests/{EDITION}/tracking?until=2025").json()
    assert (answer["winners"]["financed"], answer["financing"]) == (1.0, FINANCING_NOTE)
    assert answer["others"]["financing_raised"] == 12_000.0 and answer["others"]["sources"]["form"] == 2
    assert [(o["financing_source"], o["financing_raised"]) for o in answer["outcomes"]] == [
        ("form", 12_000.0), ("incubation", None), ("form", 0.0), (None, None)]
    assert answer["outcomes"][0]["financing_by_year"] == {"2024": 0.0, "2025": 12_000.0}
    # Z2's committee: its entrants only (E3: C's 2024 report, 0 raised; E4: nothing), through the app's reader.
    zone = login(TestClient(make_app(contest)), "zone2", "zone2-password-1")
    mine = zone.get(f"/api/v1/contests/{EDITION}/tracking?until=2025").json()
    assert [(o["entry"], o["financing_source"], o["financing_raised"]) for o in mine["outcomes"]] == [
        ("E3", "form", 0.0), ("E4", None, None)]
    page = zone.get(f"/contests/{EDITION}/tracking?until=2025").text
    assert 'data-entry="E3"' in page and 'data-entry="E1"' not in page
    page = client.get(f"/contests/{EDITION}/tracking?until=2025").text
    assert 'id="contest-financing-note"' in page and "当年获得股权融资额" in page
    # Per entrant, in 万元 (12,000 千元 = 1,200.0 万元) with its source.
    row = page.split('<tr data-entry="E1">')[1].split("</tr>")[0]
    assert '<td class="num">1,200.0</td><td data-source="form">年报</td>' in row
    row = page.split('<tr data-entry="E2">')[1].split("</tr>")[0]
    assert '<td class="num">✓</td><td data-source="incubation">孵化器毕业（下限）</td>' in row


def test_a_firm_that_reported_in_another_zone_shows_no_report_to_a_zone(contest: Engine) -> None:  # noqa: F811
    """The analytics layer's scope is per enterprise: C (an entrant of Z2) reported 2023 in Z1, 2025 in Z2. Z2's
    committee still follows the entrant but reads none of its reports; the national roles read both."""
    with session_scope(contest) as session:
        for period, zone, revenue in (("2023", "Z1", 1_000), ("2025", "Z2", 1_210)):
            session.add(annual(form_code="enterprise_annual", form_version=2022, entity_key=C, zone_code=zone,
                               period=period, revision=1, state="approved", created_by="t",
                               values={"revenue": revenue}))
    reader = figures(contest)
    national = {o.entry: o for o in service.track(contest, reader, ADMIN, EDITION, until=2025).outcomes}
    assert national["E3"].revenue_growth == pytest.approx(0.10) and national["E3"].last_year == 2025
    zone2 = Principal("zone2", "zone", province_code="11", zone_code="Z2")
    mine = {o.entry: o for o in service.track(contest, reader, zone2, EDITION, until=2025).outcomes}
    assert sorted(mine) == ["E3", "E4"] and (mine["E3"].last_year, mine["E3"].revenue_growth) == (None, None)

"""Contests in the store, on SQLite and PostgreSQL: eligibility from the registry, assignment, scores (audited,
refused outside the rubric or the assignment), advancing recomputed from the stored scores. Values by hand.

The tiny contest (tests/contests/data): two dimensions on 0–10, two judges an entry, plain means; the top 2
of 报名 go to the national stage, where the 成长组 needs a 科技型中小企业 number or a 高企 certificate.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hizone.analytics.read import ReadCache, Reader
from hizone.auth.policy import Principal
from hizone.auth.users import add_user
from hizone.contests import service
from hizone.contests.scoring import ScoreError
from hizone.store import session_scope
from hizone.store.models import AuditLog, Enterprise, Province, Qualification, Zone

DATA = Path(__file__).parent / "data"
ADMIN = Principal("boss", "admin")
EDITION = "tiny-1"
# Credit codes: A and its judge's organisation, B with a 科技型中小企业 number, C growth without, D over the cap.
A, B, C, D = "91110000A000000013", "91110000A000000026", "91110000A000000039", "91110000A00000004C"


def figures(engine: Engine) -> Reader:
    """The analytics layer over the store as it is now: a fresh file, built in full (the follow-up reads it)."""
    return ReadCache(engine, Path(tempfile.mkdtemp(prefix="hizone-contests-")) / "analytics.duckdb").get()


def judge(name: str) -> Principal:
    return Principal(name, "judge")


@pytest.fixture
def contest(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        session.add(Province(code="11", name_zh="北京市", name_en="Beijing", region="east"))
        session.add_all([Zone(code=z, name_zh=z, name_en=z, province_code="11", city="北京", approved_year=1988,
                              source="test") for z in ("Z1", "Z2")])
        session.flush()
        firms = {code: Enterprise(credit_code=code, name=f"企业{code[-1]}", zone_code=zone, founded=founded)
                 for code, zone, founded in ((A, "Z1", dt.date(2022, 3, 1)), (B, "Z1", dt.date(2015, 5, 5)),
                                             (C, "Z2", dt.date(2016, 1, 1)), (D, "Z2", dt.date(2022, 6, 1)))}
        session.add_all(firms.values())
        session.flush()
        session.add(Qualification(enterprise_id=firms[B].id, kind="tech_sme", valid_from=dt.date(2023, 1, 1),
                                  valid_to=dt.date(2023, 12, 31), detail="20231101000123A0"))
    for name in ("jud1", "jud2", "jud3"):
        add_user(engine, name, "judge-password-1", "judge")
    add_user(engine, "zone2", "zone2-password-1", "zone", zone="Z2")
    assert service.load_edition(engine, ADMIN, "tiny-2023", "rubric-tiny", directory=DATA).status == "loaded"
    given = (("E1", A, 1e7), ("E2", B, 5e7), ("E3", C, 9e7), ("E4", D, 3e8))
    service.enter(engine, ADMIN, EDITION, [service.EntryForm(code, credit_code=credit, revenue=revenue,
                                                             field="集成电路") for code, credit, revenue in given])
    service.add_judge(engine, ADMIN, EDITION, "jud1", organisation=A)   # conflict: E1 is its own organisation
    service.add_judge(engine, ADMIN, EDITION, "jud2")
    service.add_judge(engine, ADMIN, EDITION, "jud3")
    return engine


def scored(engine: Engine) -> None:
    for name, entry, a, b in (("jud2", "E1", 8, 8), ("jud3", "E1", 6, 6), ("jud1", "E2", 9, 9), ("jud2", "E2", 7, 9),
                              ("jud1", "E3", 10, 8), ("jud3", "E3", 9, 9)):
        service.score(engine, judge(name), EDITION, entry, {"a": a, "b": b})


def test_eligibility_from_the_registry_with_reasons(contest: Engine) -> None:
    shown = {e.code: e for e in service.entries(contest, ADMIN, EDITION)}
    assert (shown["E1"].group, shown["E1"].eligible) == ("startup", True)
    assert (shown["E2"].group, shown["E3"].group) == ("growth", "growth")
    assert shown["E4"].reasons == ("2022年营业收入 300,000,000 元超过上限 200,000,000 元",)
    assert not shown["E4"].eligible


def test_reloading_the_same_texts_changes_nothing(contest: Engine) -> None:
    assert service.load_edition(contest, ADMIN, "tiny-2023", "rubric-tiny", directory=DATA).status == "unchanged"


def test_assignment_excludes_conflicts_and_balances(contest: Engine) -> None:
    # E1 (jud1's organisation), most constrained, takes jud2, jud3; E2 the least loaded jud1, jud2 (by code),
    # E3 jud1 and jud3. E4 is ineligible: not assigned. Loads 2, 2, 2.
    plan = service.assign(contest, ADMIN, EDITION, "signup")
    assert plan == {"E1": ["jud2", "jud3"], "E2": ["jud1", "jud2"], "E3": ["jud1", "jud3"]}
    with pytest.raises(service.ContestError, match="already assigned"):
        service.assign(contest, ADMIN, EDITION, "signup")


def test_a_judge_sees_and_scores_only_its_entries(contest: Engine) -> None:
    service.assign(contest, ADMIN, EDITION, "signup")
    assert [e.code for e in service.entries(contest, judge("jud1"), EDITION)] == ["E2", "E3"]
    assert all(e.judges == () for e in service.entries(contest, judge("jud1"), EDITION))
    with pytest.raises(service.AccessDenied, match="entry E1 is not assigned to jud1"):
        service.score(contest, judge("jud1"), EDITION, "E1", {"a": 5, "b": 5})
    with pytest.raises(service.AccessDenied):
        service.score(contest, ADMIN, EDITION, "E2", {"a": 5, "b": 5})
    with pytest.raises(ScoreError, match="b: 11 is outside 0–10"):
        service.score(contest, judge("jud1"), EDITION, "E2", {"a": 5, "b": 11})
    with pytest.raises(ScoreError, match="b: missing"):
        service.score(contest, judge("jud1"), EDITION, "E2", {"a": 5})
    scored(contest)
    mine = service.scores_of(contest, judge("jud1"), EDITION, "signup")
    assert [(s.judge, s.entry) for s in mine] == [("jud1", "E2"), ("jud1", "E3")]
    assert len(service.scores_of(contest, ADMIN, EDITION, "signup")) == 6


def test_a_zone_sees_its_own_entrants(contest: Engine) -> None:
    zone2 = Principal("zone2", "zone", province_code="11", zone_code="Z2")
    assert [e.code for e in service.entries(contest, zone2, EDITION)] == ["E3", "E4"]
    assert [e.code for e in service.entries(contest, Principal("x", "enterprise", credit_code=B), EDITION)] == ["E2"]


def test_every_score_change_is_audited(contest: Engine) -> None:
    service.assign(contest, ADMIN, EDITION, "signup")
    service.score(contest, judge("jud1"), EDITION, "E2", {"a": 9, "b": 9})
    service.score(contest, judge("jud1"), EDITION, "E2", {"a": 9, "b": 9})   # the same marks: no change
    service.score(contest, judge("jud1"), EDITION, "E2", {"a": 7, "b": 9})
    with session_scope(contest) as session:
        logged = [(a.actor, a.object_id, a.detail["before"], a.detail["after"]) for a in session.scalars(
            select(AuditLog).where(AuditLog.action == service.SCORE_ACTION).order_by(AuditLog.id))]
    assert logged == [("jud1", "tiny-1:E2:signup:jud1", None, {"a": 9.0, "b": 9.0}),
                      ("jud1", "tiny-1:E2:signup:jud1", {"a": 9.0, "b": 9.0}, {"a": 7.0, "b": 9.0})]


def test_advancing_ranks_refuses_the_ineligible_and_is_reproducible(contest: Engine) -> None:
    service.assign(contest, ADMIN, EDITION, "signup")
    service.score(contest, judge("jud1"), EDITION, "E2", {"a": 9, "b": 9})
    with pytest.raises(ScoreError, match="not every assigned judge has scored: E1/jud2, E1/jud3"):
        service.decision(contest, ADMIN, EDITION, "signup")
    scored(contest)
    # Means of the judges' totals: E3 (9 + 9)/2 = 9, E2 (9 + 8)/2 = 8.5, E1 (8 + 6)/2 = 7. The top 2 go on, but
    # E3 (成长组, no 科技型中小企业 number, no 高企 certificate) may not enter the national stage.
    made = service.advance(contest, ADMIN, EDITION, "signup")
    assert [(r.entry, r.value, r.rank, r.advances) for r in made.results] == [
        ("E3", 9.0, 1, False), ("E2", 8.5, 2, True), ("E1", 7.0, 3, False)]
    assert made.refused == {"E3": ("成长组进入全国赛需科技型中小企业入库编号或有效高新技术企业证书",)}
    stages = {e.code: (e.stage, e.rank) for e in service.entries(contest, ADMIN, EDITION)}
    assert stages == {"E1": ("signup", 3), "E2": ("national", 2), "E3": ("signup", 1), "E4": ("signup", None)}
    assert service.stage_history(contest, ADMIN, EDITION, "E2") == [(None, "signup", None), ("signup", "national", 2)]
    again = service.decision(contest, ADMIN, EDITION, "signup")
    assert again.results == made.results
    with pytest.raises(service.ContestError, match="already advanced"):
        service.advance(contest, ADMIN, EDITION, "signup")


def test_pushing_an_ineligible_entry_is_refused_with_the_reason(contest: Engine) -> None:
    with pytest.raises(service.ContestError, match="E3 may not go to 全国赛: 成长组进入全国赛需科技型中小企业"):
        service.move(contest, ADMIN, EDITION, "E3", "national")
    with pytest.raises(service.ContestError, match="E4 may not go to 全国赛: 2022年营业收入"):
        service.move(contest, ADMIN, EDITION, "E4", "national")
    assert service.move(contest, ADMIN, EDITION, "E1", "national").stage == "national"


def test_only_the_national_roles_run_a_contest(contest: Engine) -> None:
    with pytest.raises(service.AccessDenied):
        service.enter(contest, Principal("zone2", "zone", zone_code="Z2"), EDITION, [service.EntryForm("E9", A)])
    with pytest.raises(service.AccessDenied):
        service.decision(contest, judge("jud1"), EDITION, "signup")


def test_a_refused_entry_list_stores_nothing_and_names_every_row(contest: Engine) -> None:
    forms = [service.EntryForm("E5", A), service.EntryForm("E1", B), service.EntryForm("E6", "91110000X00000009X"),
             service.EntryForm("E7")]
    with pytest.raises(service.ContestError) as refused:
        service.enter(contest, ADMIN, EDITION, forms, where="entries.csv")
    assert str(refused.value).splitlines() == [
        f"entries.csv: row 1 (E5), credit_code: enterprise {A} is already an entrant of tiny-1 (entry E1): "
        "a firm enters an edition once",
        "row 2 (E1), code: entry E1 is already in tiny-1",
        "row 3 (E6), credit_code: no enterprise with credit code 91110000X00000009X in the registry",
        "row 4 (E7), credit_code: an entry is an enterprise (credit code) or a team (team name), exactly one"]
    assert [e.code for e in service.entries(contest, ADMIN, EDITION)] == ["E1", "E2", "E3", "E4"]

"""Job fairs: rows checked with file, row, column and reason, all or nothing; employers linked to the registry;
the stored fairs summed beside the bulletin's printed national summary."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from hizone.auth.policy import Principal
from hizone.store.models import JobFair
from hizone.talent.campaign import campaign
from hizone.talent.fairs import fair_series
from hizone.talent.store import fair_totals, fairs, import_fairs
from tests.intake.factory import credit_code, seed_registry

C = campaign("research_assistant-2022")
HEAD = "name,date,host_zone,mode,platforms,posts,resumes,views,interviews,offers,posts_by_field\n"
GOOD = (HEAD + "中关村专场,2022-06-15,Z1101,live,国聘;抖音,300,1200,29000,80,20,研发=200;测试=50\n"
        "张江专场,2022-07-01,Z3101,online,国聘,100,400,5000,10,5,\n").encode()


def test_the_printed_summary_loads() -> None:
    series = fair_series()["guopin-2022"]
    last = series.summaries[-1]
    assert (series.campaign, last.figures["zones"], last.figures["posts"], last.figures["views"]) == (
        "research_assistant-2022", 173, 55000, 7800000)
    assert last.at_least == ("posts", "interviews_or_offers")


def test_bad_rows_are_named_and_nothing_is_stored(engine: Engine) -> None:
    seed_registry(engine, 0)
    bad = (HEAD + "x,2022-13-01,Z1101,live,,1,1,1,1,1,\n"
           "y,2022-09-15,Z9999,tv,,5,-1,1,1,1,研发=9\n").encode()
    result = import_fairs(engine, C, ("f.csv", bad), "admin")
    assert result.errors == [
        "f.csv, row 2, column date: '2022-13-01' is not a date (YYYY-MM-DD)",
        "f.csv, row 3, column date: 2022-09-15 is outside the campaign (2022-06-01..2022-08-31)",
        "f.csv, row 3, column host_zone: zone 'Z9999' is not in the registry",
        "f.csv, row 3, column mode: 'tv' is not one of online, live, both",
        "f.csv, row 3, column resumes: '-1' is not a whole number ≥ 0",
        "f.csv, row 3, column posts_by_field: 9 posts by field > 5 posts",
    ]
    zone = Principal("z", "zone", zone_code="Z1101")
    result = import_fairs(engine, C, ("g.csv", GOOD), zone)  # 张江 is not Z1101's
    assert result.errors == ["g.csv, row 3, column host_zone: outside z's scope"]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(JobFair)) == 0


def test_fairs_with_employers_and_their_totals(engine: Engine) -> None:
    seed_registry(engine, 1)  # credit_code(1) is registered
    employers = ("fair,date,credit_code,name,posts\n"
                 f"中关村专场,2022-06-15,{credit_code(1)},企业1,100\n"
                 f"中关村专场,2022-06-15,{credit_code(2)},企业2,50\n"
                 f"张江专场,2022-07-01,{credit_code(2)},企业2,30\n").encode()
    result = import_fairs(engine, C, ("g.csv", GOOD), "admin", ("e.csv", employers))
    assert (result.fairs, result.employers, result.errors) == (2, 3, [])
    again = import_fairs(engine, C, ("g.csv", GOOD), "admin")
    assert again.errors[0] == "g.csv, row 2, column name: 中关村专场 on 2022-06-15 is already stored"
    with engine.connect() as conn:
        rows = fairs(conn, C)
        totals = fair_totals(conn, C)
    assert [(r.name, r.employers, r.registered, r.posts_by_field) for r in rows] == [
        ("中关村专场", 2, 1, {"研发": 200, "测试": 50}), ("张江专场", 1, 0, {})]
    assert totals == {"fairs": 2, "live_fairs": 1, "zones": 2, "employers": 2, "posts": 400, "resumes": 1600,
                      "views": 34000, "interviews_or_offers": 115}


def test_a_bad_credit_code_is_named(engine: Engine) -> None:
    seed_registry(engine, 0)
    employers = b"fair,date,credit_code,name,posts\n\xe4\xb8\xad\xe5\x85\xb3\xe6\x9d\x91\xe4\xb8\x93\xe5\x9c\xba," \
                b"2022-06-15,91110108000000001X,a,1\n"
    result = import_fairs(engine, C, ("g.csv", GOOD), "admin", ("e.csv", employers))
    assert len(result.errors) == 1 and result.errors[0].startswith("e.csv, row 2, column credit_code: ")

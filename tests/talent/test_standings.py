"""Standings, ranks with ties, schedule curves and laggard warnings, computed by hand."""

from __future__ import annotations

import datetime as dt

from hizone.talent.alerts import laggards, load_rules
from hizone.talent.campaign import campaign, parse_campaign
from hizone.talent.progress import Progress, Report, latest_by_zone, standings

D = dt.date


def test_the_package_campaign_loads() -> None:
    c = campaign("research_assistant-2022")
    assert (c.start, c.deadline, c.report_form) == (D(2022, 6, 1), D(2022, 8, 31), "talent_report")
    assert [k.name_zh for k in c.employer_kinds] == ["高新技术企业", "科技型中小企业", "孵化器", "科研院所", "高校",
                                                     "其他"]
    assert c.due(D(2022, 7, 1)) == 30 / 91  # straight line, 91 days


def test_a_configured_curve_joins_its_points() -> None:
    doc = {"code": "x", "version": 2022, "name_zh": "x", "name_en": "x", "report_form": "talent_report",
           "targets": "t.csv", "start": D(2022, 6, 1), "deadline": D(2022, 8, 31),
           "schedule": [{"date": D(2022, 7, 1), "share": 0.5}, {"date": D(2022, 8, 31), "share": 1.0}],
           "employer_kinds": [{"code": "a", "name_zh": "a", "name_en": "a"}],
           "graduate_levels": [{"code": "b", "name_zh": "b", "name_en": "b"}]}
    c = parse_campaign(doc, "x.yaml")
    assert c.due(D(2022, 6, 16)) == 0.5 * 15 / 30  # half-way to the first point
    assert c.due(D(2022, 7, 31)) == 0.5 + 0.5 * 30 / 61
    assert c.due(D(2022, 9, 30)) == 1.0


def test_standings_rank_ties_like_the_ranking_code_and_roll_up_provinces() -> None:
    latest = {"A": Report("A", D(2022, 7, 3), 50, 40, 30), "B": Report("B", D(2022, 7, 3), 25, 20, 20),
              "C": Report("C", D(2022, 7, 3), 100, 60, 50)}
    zones, provinces = standings(latest, {"A": 100, "B": 50, "C": 400, "D": 10}, {"31": 1000},
                                 {"A": "11", "B": "11", "C": "31", "D": "31"}, due=0.4)
    # A 50/100 = B 25/50 = 0.5 share rank 1; C 100/400 = 0.25 is 3rd; D (no report) 0 is 4th
    assert [(z.key, z.rank, z.completion) for z in zones] == [("A", 1, 0.5), ("B", 1, 0.5), ("C", 3, 0.25),
                                                               ("D", 4, 0.0)]
    assert zones[0].pace == 0.5 / 0.4 and zones[0].scheduled == 40.0
    # 11: (50+25)/(100+50) = 0.5, its zones' targets summed; 31 has its own target: 100/1000 = 0.1
    assert [(p.key, p.rank, p.target, p.developed, p.completion) for p in provinces] == [
        ("11", 1, 150, 75, 0.5), ("31", 2, 1000, 100, 0.1)]


def test_latest_by_zone_takes_the_last_report_up_to_the_day() -> None:
    reports = [Report("A", D(2022, 6, 12), 5, 1, 1), Report("A", D(2022, 6, 19), 9, 2, 1),
               Report("A", D(2022, 6, 26), 12, 3, 1)]
    assert latest_by_zone(reports, D(2022, 6, 20))["A"].developed == 9


def _week(due: float, developed: int) -> list[Progress]:
    return [Progress("zone", "A", 100, developed, 0, 0, due), Progress("province", "11", 100, developed, 0, 0, due)]


def test_laggard_warnings_from_the_yaml_rules() -> None:
    weeks = {"2022W31": (D(2022, 8, 7), _week(0.7, 50)),  # pace 50/70 = 0.71 < 0.8
             "2022W32": (D(2022, 8, 14), _week(0.8, 60)),  # 0.75: second week behind
             "2022W33": (D(2022, 8, 21), _week(0.88, 85)),  # 0.97: on pace, but 85% with 10 days left
             "2022W34": (D(2022, 8, 28), _week(0.97, 95))}  # 95%: enough
    # the monitor's threshold raises once per run of weeks, where the run first reaches its length
    found = sorted((a.rule, a.key, a.period) for a in laggards(weeks, D(2022, 8, 31), load_rules()))
    assert found == [("talent_behind_schedule", "A", "2022W32"), ("talent_deadline_near", "A", "2022W33"),
                     ("talent_province_behind", "11", "2022W31")]

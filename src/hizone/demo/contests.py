"""Demo contests (synthetic): the 12th 中国创新创业大赛 (2023) and the 1st 全国颠覆性技术创新大赛 (2021) with
entrants drawn from the demo registry, judges, scores with each judge's own severity, and every stage advanced,
all through hizone.contests.service (the path real data takes). The 2021 edition's entrants have the demo's
2022–2023 reports and qualifications to be followed up; the 2023 edition's have none after it yet.

Teams enter both editions. The published 12th edition's groups are for enterprises only: the demo loads it with
its 初创组 admitting teams as well (a demo assumption, said in the stored definition's ``demo_note``), so its
teams are judged with the firms. The 1st 颠覆性 contest takes independent legal entities only: its teams are
refused with that reason, as the published rule says, and some of them register a firm in the year after the
contest (one the demo registry holds); linked to it, the follow-up follows that firm. Firms that raise equity
money after the contest (the annual form's 当年获得股权融资额) are drawn as the stronger entrants: the judges see
what investors see, so the winners raise more than the others.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from pathlib import Path

import numpy as np
import yaml
from sqlalchemy import Engine, select

from hizone.analytics.read import Reader
from hizone.auth.policy import Principal
from hizone.auth.users import add_user
from hizone.contests import service
from hizone.contests.model import contests_directory
from hizone.contests.scoring import Score
from hizone.store import session_scope
from hizone.store.models import Enterprise, Zone

ACTOR = Principal("demo", "admin")
JUDGES = 8
# (contest YAML, entrants, per judged stage how many advance; the last count gets the award)
EDITIONS = (("cicc-2023", 40, (24, 14, 9, 6, 3)), ("disruptive-2021", 30, (16, 8, 4)))
AWARD = "优秀企业"
RUBRIC = "rubric-enterprise-2023"
TEAMS = {"cicc-2023": 8, "disruptive-2021": 6}  # team entries per edition
TEAMS_ADMITTED = {"cicc-2023": "startup"}  # the demo's assumption: this group admits teams too
LINKED_SHARE = 0.5  # of the teams, the share that registers a firm in the year after the contest (if any exists)
YOUNG_YEARS, YOUNG_WEIGHT = 5, 6.0  # entrants: young firms more likely (see _entrants)
FINANCED_LIFT = 25.0  # points of quality for an entrant that raises equity financing after the contest
INSTITUTIONS = ("北京某大学", "上海某研究院", "深圳某大学", "武汉某大学", "成都某研究所", "西安某大学")
LEADERS = ("张", "王", "李", "赵", "陈", "刘", "杨", "黄")


def _judges(engine: Engine, rng: np.random.Generator) -> list[tuple[str, str, str | None]]:
    """(username, password, zone) of the demo judges, each from one of the demo's zones."""
    with session_scope(engine) as session:
        zones = list(session.scalars(select(Zone.code).order_by(Zone.code)))
    made = []
    for i in range(1, JUDGES + 1):
        password = secrets.token_urlsafe(12)
        add_user(engine, f"demo-judge{i}", password, "judge", actor="demo", replace_password=True)
        made.append((f"demo-judge{i}", password, str(rng.choice(zones)) if zones else None))
    return made


def _entrants(engine: Engine, rng: np.random.Generator, n: int, year: int) -> list[service.EntryForm]:
    """``n`` demo enterprises with a registration date. Their declared revenue is drawn (median 5000万元, about
    one in ten over the 2亿 cap): a demo enterprise stands for many firms of its zone, so its reported revenue is
    far above any contest entrant's and would refuse them all."""
    with session_scope(engine) as session:
        rows = session.execute(select(Enterprise.credit_code, Enterprise.founded).where(
            Enterprise.founded.is_not(None)).order_by(Enterprise.credit_code)).all()
    codes = [code for code, _ in rows]
    # Contests draw young firms: one registered in the last YOUNG_YEARS is YOUNG_WEIGHT times as likely to enter.
    weight = np.array([YOUNG_WEIGHT if founded is not None and founded >= dt.date(year - YOUNG_YEARS, 1, 1) else 1.0
                       for _, founded in rows])
    picked = sorted(rng.choice(codes, size=min(n, len(codes)), replace=False,
                               p=weight / weight.sum()).tolist()) if codes else []
    fields = ("集成电路", "人工智能", "生物医药", "新材料", "新能源")
    return [service.EntryForm(f"{year}-{i:03d}", credit_code=code, field=fields[i % len(fields)],
                              revenue=round(float(rng.lognormal(np.log(5e7), 1.0)), -3))
            for i, code in enumerate(picked, 1)]


def _definitions(name: str, folder: Path) -> Path:
    """The contest's YAML as published, or (where the demo admits teams) a copy whose group admits them, with the
    rubric beside it: the folder ``load_edition`` reads."""
    source = contests_directory()
    doc = yaml.safe_load((source / f"{name}.yaml").read_text(encoding="utf-8"))
    group = TEAMS_ADMITTED.get(name)
    if group is not None:
        for g in doc["groups"]:
            if g["code"] == group:
                g["teams"] = True
        doc["demo_note"] = (f"synthetic demo: group {group} admits teams as well, which the published rules of "
                            "this edition do not (they take enterprises only)")
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (folder / f"{RUBRIC}.yaml").write_bytes((source / f"{RUBRIC}.yaml").read_bytes())
    return folder


def _teams(rng: np.random.Generator, n: int, year: int) -> list[service.EntryForm]:
    """``n`` synthetic teams (no enterprise yet): a leader, 2–8 members, an institution, a field."""
    fields = ("人工智能", "集成电路", "生物医药", "新材料", "量子信息")
    return [service.EntryForm(f"{year}-T{i:02d}", team_name=f"{fields[i % len(fields)]}创新团队{i}",
                              team_leader=f"{LEADERS[int(rng.integers(len(LEADERS)))]}某",
                              team_members=int(rng.integers(2, 9)),
                              institution=str(INSTITUTIONS[int(rng.integers(len(INSTITUTIONS)))]),
                              field=fields[i % len(fields)])
            for i in range(1, n + 1)]


def _link_teams(engine: Engine, rng: np.random.Generator, edition: str, year: int,
                teams: list[service.EntryView]) -> int:
    """Some teams linked to a firm registered in the year after the contest that is no entrant of the edition;
    how many (none where the registry holds no such firm)."""
    entered = {e.credit_code for e in service.entries(engine, ACTOR, edition) if e.credit_code}
    with session_scope(engine) as session:
        later = [c for c in session.scalars(select(Enterprise.credit_code).where(
            Enterprise.founded >= dt.date(year + 1, 1, 1), Enterprise.founded <= dt.date(year + 1, 12, 31))
            .order_by(Enterprise.credit_code)) if c not in entered]
    n = min(len(later), round(len(teams) * LINKED_SHARE))
    firms = rng.choice(later, size=n, replace=False).tolist() if n else []
    for team, firm in zip(teams, firms, strict=False):
        service.link_team(engine, ACTOR, edition, team.code, str(firm))
    return n


def _financed_later(engine: Engine, reader: Reader, edition: str, year: int) -> set[str]:
    """The entries whose firm reports equity financing after the contest year (the follow-up's own reading)."""
    return {t.entry for t in service.trails(engine, reader, ACTOR, edition, year + 10)
            if any(v > 0 for y, v in t.financing.items() if y > year)}


def _score_stage(engine: Engine, rng: np.random.Generator, edition: str, stage: str,
                 severity: dict[str, float], quality: dict[str, float]) -> None:
    plan = service.assign(engine, ACTOR, edition, stage)
    rubric = service.rubric_of(engine, edition)
    by_judge: dict[str, list[Score]] = {}
    for entry, judges in plan.items():
        for judge in judges:
            marks = {d.code: float(np.clip(round(quality[entry] + severity[judge] + rng.normal(0, 4), 1),
                                           rubric.min_score, rubric.max_score)) for d in rubric.dimensions}
            by_judge.setdefault(judge, []).append(Score(judge, entry, marks))
    for judge, scores in by_judge.items():
        service.score_all(engine, Principal(judge, "judge"), edition, scores)


def _plan_pdf(title: str) -> bytes:
    """A synthetic one-page PDF (its title in the document information): stands for a business plan."""
    import io

    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": f"{title} 商业计划书（合成演示）"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def load_contests(engine: Engine, reader: Reader, seed: int = 7
                  ) -> tuple[dict[str, int], list[tuple[str, str, str, str]]]:
    """Both demo editions, judged and advanced; (counts, the judges' logins as create_demo_users lists them).
    ``reader``: the analytics layer over the demo's reports (the follow-up reads the financing from it)."""
    rng = np.random.default_rng(seed)
    judges = _judges(engine, rng)
    severity = {name: float(rng.normal(0, 6)) for name, _, _ in judges}  # lenient and strict judges
    counts = {"contest editions": 0, "contest entries": 0, "contest team entries": 0, "contest teams linked": 0,
              "contest documents": 0}
    team_rng = np.random.default_rng([seed, 18])  # its own stream: the firms' entries stay those of the seed
    for name, n, advancing in EDITIONS:
        with tempfile.TemporaryDirectory() as folder:
            service.load_edition(engine, ACTOR, name, RUBRIC, synthetic=True, directory=_definitions(name,
                                                                                                    Path(folder)))
        info = next(e for e in service.editions(engine) if e.key.startswith(name.split("-")[0] + "-"))
        forms = _entrants(engine, rng, n, info.year)
        taken = service.enter(engine, ACTOR, info.key, forms)
        teams = service.enter(engine, ACTOR, info.key, _teams(team_rng, TEAMS.get(name, 0), info.year))
        for judge, _, zone in judges:
            service.add_judge(engine, ACTOR, info.key, judge, zone=zone)
        stages = [s.code for s in info.stages]
        for entry in taken + teams:
            if entry.eligible:
                service.move(engine, ACTOR, info.key, entry.code, stages[1])
        quality = {e.code: float(rng.normal(70, 10)) for e in taken}
        quality |= {e.code: float(team_rng.normal(68, 10)) for e in teams}
        for code in _financed_later(engine, reader, info.key, info.year):
            quality[code] += FINANCED_LIFT
        for stage, count in zip(stages[1:], advancing, strict=False):
            _score_stage(engine, rng, info.key, stage, severity, quality)
            last = stage == stages[-1]
            service.advance(engine, ACTOR, info.key, stage, count, award=AWARD if last else None)
        for entry in taken[:3]:  # a business plan each for the first entries (a one-page PDF by pypdf)
            service.attach(engine, ACTOR, info.key, entry.code, f"{entry.code}-business-plan.pdf",
                           _plan_pdf(entry.name))
            counts["contest documents"] += 1
        counts["contest teams linked"] += _link_teams(engine, team_rng, info.key, info.year, teams)
        counts["contest editions"] += 1
        counts["contest entries"] += len(taken) + len(teams)
        counts["contest team entries"] += len(teams)
    return counts, [(name, password, "judge", "contests") for name, password, _ in judges]

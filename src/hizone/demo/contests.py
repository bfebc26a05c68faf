"""Demo contests (synthetic): the 12th 中国创新创业大赛 (2023) and the 1st 全国颠覆性技术创新大赛 (2021) with
entrants drawn from the demo registry, judges, scores with each judge's own severity, and every stage advanced,
all through hizone.contests.service (the path real data takes). The 2021 edition's entrants have the demo's
2022–2023 reports and qualifications to be followed up; the 2023 edition's have none after it yet.
"""

from __future__ import annotations

import secrets

import numpy as np
from sqlalchemy import Engine, select

from hizone.auth.policy import Principal
from hizone.auth.users import add_user
from hizone.contests import service
from hizone.contests.scoring import Score
from hizone.store import session_scope
from hizone.store.models import Enterprise, Zone

ACTOR = Principal("demo", "admin")
JUDGES = 8
# (contest YAML, entrants, per judged stage how many advance; the last count gets the award)
EDITIONS = (("cicc-2023", 40, (24, 14, 9, 6, 3)), ("disruptive-2021", 30, (16, 8, 4)))
AWARD = "优秀企业"


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
        codes = list(session.scalars(select(Enterprise.credit_code).where(Enterprise.founded.is_not(None))
                                     .order_by(Enterprise.credit_code)))
    picked = sorted(rng.choice(codes, size=min(n, len(codes)), replace=False).tolist()) if codes else []
    fields = ("集成电路", "人工智能", "生物医药", "新材料", "新能源")
    return [service.EntryForm(f"{year}-{i:03d}", credit_code=code, field=fields[i % len(fields)],
                              revenue=round(float(rng.lognormal(np.log(5e7), 1.0)), -3))
            for i, code in enumerate(picked, 1)]


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


def load_contests(engine: Engine, seed: int = 7) -> tuple[dict[str, int], list[tuple[str, str, str, str]]]:
    """Both demo editions, judged and advanced; (counts, the judges' logins as create_demo_users lists them)."""
    rng = np.random.default_rng(seed)
    judges = _judges(engine, rng)
    severity = {name: float(rng.normal(0, 6)) for name, _, _ in judges}  # lenient and strict judges
    counts = {"contest editions": 0, "contest entries": 0, "contest documents": 0}
    for name, n, advancing in EDITIONS:
        service.load_edition(engine, ACTOR, name, "rubric-enterprise-2023", synthetic=True)
        info = next(e for e in service.editions(engine) if e.key.startswith(name.split("-")[0] + "-"))
        forms = _entrants(engine, rng, n, info.year)
        taken = service.enter(engine, ACTOR, info.key, forms)
        for judge, _, zone in judges:
            service.add_judge(engine, ACTOR, info.key, judge, zone=zone)
        stages = [s.code for s in info.stages]
        for entry in taken:
            if entry.eligible:
                service.move(engine, ACTOR, info.key, entry.code, stages[1])
        quality = {e.code: float(rng.normal(70, 10)) for e in taken}
        for stage, count in zip(stages[1:], advancing, strict=False):
            _score_stage(engine, rng, info.key, stage, severity, quality)
            last = stage == stages[-1]
            service.advance(engine, ACTOR, info.key, stage, count, award=AWARD if last else None)
        for entry in taken[:3]:  # a business plan each for the first entries (a one-page PDF by pypdf)
            service.attach(engine, ACTOR, info.key, entry.code, f"{entry.code}-business-plan.pdf",
                           _plan_pdf(entry.name))
            counts["contest documents"] += 1
        counts["contest editions"] += 1
        counts["contest entries"] += len(taken)
    return counts, [(name, password, "judge", "contests") for name, password, _ in judges]

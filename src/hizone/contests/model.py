"""Contest and rubric definitions, read from catalog/data/contests/*.yaml, and the eligibility check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hizone.catalog.loader import package_directory, read_yaml
from hizone.errors import CatalogError


def contests_directory() -> Path:
    return package_directory("contests")


@dataclass(frozen=True)
class Group:
    code: str
    name_zh: str
    registered_from: dt.date | None = None
    registered_before: dt.date | None = None
    national_requires_any: tuple[str, ...] = ()
    teams: bool = False  # a team (no enterprise yet) may enter this group
    team_members_max: int | None = None
    team_members_min: int | None = None
    enterprises: bool = True  # false: a team-only group (团队组)


@dataclass(frozen=True)
class Stage:
    code: str
    name_zh: str
    advance: int | None = None
    national: bool = False


@dataclass(frozen=True)
class Contest:
    code: str
    edition: int
    year: int
    name_zh: str
    revenue_year: int | None  # None: the contest sets no revenue cap
    revenue_max: float | None
    unlisted: bool
    prior_top3_excluded: bool
    max_awards_per_firm: int | None
    groups: tuple[Group, ...]
    stages: tuple[Stage, ...]
    document_max_bytes: int | None = None  # None: catalog/data/contests/documents.yaml's max_bytes


@dataclass(frozen=True)
class Dimension:
    code: str
    name_zh: str
    weight: float


@dataclass(frozen=True)
class Rubric:
    code: str
    version: int
    min_score: float
    max_score: float
    judges_per_entry: int
    correction: str
    trim: int
    dimensions: tuple[Dimension, ...]


def _date(value: Any, key: str, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"'{key}' must be a date (YYYY-MM-DD), not {value!r}", where=where) from None


def _number(doc: dict[str, Any], key: str, where: str) -> float:
    value = doc.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise CatalogError(f"'{key}' must be a number", where=where)
    return float(value)


def _count(value: Any, key: str, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CatalogError(f"'{key}' must be a positive whole number, not {value!r}", where=where)
    return value


def _items(doc: dict[str, Any], key: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, item) of a list of mappings (``groups``, ``stages``, ``dimensions``), each item named by position."""
    items = doc.get(key) or []
    if not isinstance(items, list):
        raise CatalogError(f"'{key}' must be a list", where=where)
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise CatalogError(f"must be a mapping with a 'code', not {item!r}", where=f"{where}: {key}[{i}]")
    return [(f"{where}: {key}[{i}]", item) for i, item in enumerate(items, 1)]


def _code(doc: dict[str, Any], key: str, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise CatalogError(f"'{key}' is required (a name), got {value!r}", where=where)
    return str(value).strip()


def _whole(doc: dict[str, Any], key: str, where: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise CatalogError(f"'{key}' must be a whole number, not {value!r}", where=where)
    return value


def _advance(value: Any, where: str) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise CatalogError(f"'advance' must be a whole number ≥ 0 or null, not {value!r}", where=where)
    return value


def _group(g: dict[str, Any], where: str) -> Group:
    code = _code(g, "code", where)
    return Group(code, str(g.get("name_zh", code)), _date(g.get("registered_from"), "registered_from", where),
                 _date(g.get("registered_before"), "registered_before", where),
                 tuple(g.get("national_requires_any") or ()), bool(g.get("teams", False)),
                 _count(g.get("team_members_max"), "team_members_max", where),
                 _count(g.get("team_members_min"), "team_members_min", where), bool(g.get("enterprises", True)))


def parse_contest(doc: dict[str, Any], where: str) -> Contest:
    """A contest's definition; a CatalogError naming the field (and the group or stage by position)."""
    groups = tuple(_group(g, at) for at, g in _items(doc, "groups", where))
    stages = tuple(Stage(code := _code(s, "code", at), str(s.get("name_zh", code)), _advance(s.get("advance"), at),
                         bool(s.get("national"))) for at, s in _items(doc, "stages", where))
    if not groups or not stages:
        raise CatalogError("a contest needs 'groups' and 'stages'", where=where)
    capped = doc.get("revenue_max") is not None
    awards = doc.get("max_awards_per_firm")
    return Contest(_code(doc, "code", where), _whole(doc, "edition", where), _whole(doc, "year", where),
                   str(doc.get("name_zh", "")), _whole(doc, "revenue_year", where) if capped else None,
                   _number(doc, "revenue_max", where) if capped else None, bool(doc.get("unlisted", True)),
                   bool(doc.get("prior_top3_excluded", False)),
                   None if awards is None else _whole(doc, "max_awards_per_firm", where), groups, stages,
                   _count(doc.get("document_max_bytes"), "document_max_bytes", where))


CORRECTIONS = ("zscore", "trimmed_mean")


def parse_rubric(doc: dict[str, Any], where: str) -> Rubric:
    dims = tuple(Dimension(code := _code(d, "code", at), str(d.get("name_zh", code)), _number(d, "weight", at))
                 for at, d in _items(doc, "dimensions", where))
    if not dims:
        raise CatalogError("a rubric needs 'dimensions'", where=where)
    if any(d.weight < 0 for d in dims) or sum(d.weight for d in dims) <= 0:
        raise CatalogError("dimension weights must be ≥ 0 and not all 0", where=where)
    correction = str(doc.get("correction", "zscore"))
    if correction not in CORRECTIONS:
        raise CatalogError(f"'correction' must be one of {', '.join(CORRECTIONS)}, not {correction!r}", where=where)
    low, high = _number(doc, "min_score", where), _number(doc, "max_score", where)
    if low >= high:
        raise CatalogError("'min_score' must be below 'max_score'", where=where)
    return Rubric(_code(doc, "code", where), _whole(doc, "version", where), low, high,
                  _whole({"judges_per_entry": 3} | doc, "judges_per_entry", where), correction,
                  _whole({"trim": 1} | doc, "trim", where), dims)


def load_contest(name: str = "cicc-2023") -> Contest:
    path = contests_directory() / f"{name}.yaml"
    return parse_contest(read_yaml(path), str(path))


def load_rubric(name: str = "rubric-enterprise-2023") -> Rubric:
    path = contests_directory() / f"{name}.yaml"
    return parse_rubric(read_yaml(path), str(path))


@dataclass(frozen=True)
class Entrant:
    """What the eligibility check needs of an enterprise (from the registry and the entry form)."""

    credit_code: str
    registered_on: dt.date
    revenue: float | None          # of the contest's revenue_year, yuan
    listed: bool = False
    tech_sme_number: str | None = None
    hightech_certificate: bool = False   # a valid 高企证书
    prior_top3: bool = False
    awards: int = 0


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    group: str | None
    reasons: tuple[str, ...] = field(default=())


def check_eligibility(contest: Contest, entrant: Entrant, *, national: bool = False) -> Eligibility:
    """The entrant's group and whether it may enter (or, with ``national``, go to the national stage);
    every failed condition is a reason (Chinese, naming the rule and the value)."""
    reasons: list[str] = []
    if contest.revenue_max is None:
        pass  # no cap: the revenue is not asked for
    elif entrant.revenue is None:
        reasons.append(f"缺少{contest.revenue_year}年营业收入")
    elif entrant.revenue > contest.revenue_max:
        reasons.append(f"{contest.revenue_year}年营业收入 {entrant.revenue:,.0f} 元"
                       f"超过上限 {contest.revenue_max:,.0f} 元")
    if contest.unlisted and entrant.listed:
        reasons.append("已上市企业不得参赛")
    if contest.prior_top3_excluded and entrant.prior_top3:
        reasons.append("往届全国总决赛前三名不得参赛")
    if contest.max_awards_per_firm is not None and entrant.awards >= contest.max_awards_per_firm:
        reasons.append(f"已获奖 {entrant.awards} 次，达到上限 {contest.max_awards_per_firm} 次")
    group = None
    for g in contest.groups:
        if not g.enterprises:
            continue
        if g.registered_from and entrant.registered_on < g.registered_from:
            continue
        if g.registered_before and entrant.registered_on >= g.registered_before:
            continue
        group = g
        break
    if group is None:
        reasons.append(f"注册日期 {entrant.registered_on.isoformat()} 不属于任何组别")
    elif national and group.national_requires_any:
        held = {"tech_sme_number": bool(entrant.tech_sme_number), "hightech_certificate": entrant.hightech_certificate}
        if not any(held.get(req, False) for req in group.national_requires_any):
            reasons.append(f"{group.name_zh}进入全国赛需科技型中小企业入库编号或有效高新技术企业证书")
    return Eligibility(not reasons, group.code if group else None, tuple(reasons))


@dataclass(frozen=True)
class Team:
    """A team entering without an enterprise (yet): what the entry form gives."""

    name: str
    leader: str | None
    members: int | None
    institution: str | None


def check_team_eligibility(contest: Contest, team: Team) -> Eligibility:
    """A team's group: the first group whose rules admit teams (``teams: true`` in the contest's YAML) and whose
    member bounds it meets; every failed condition is a reason."""
    admitting = [g for g in contest.groups if g.teams]
    if not admitting:
        groups = "、".join(g.name_zh for g in contest.groups)
        return Eligibility(False, None, (f"本届大赛不接受团队报名（组别：{groups}，均须为企业）",))
    if team.members is None and any(g.team_members_min or g.team_members_max for g in admitting):
        return Eligibility(False, None, ("缺少团队成员人数",))
    reasons: list[str] = []
    for g in admitting:
        if g.team_members_min is not None and team.members is not None and team.members < g.team_members_min:
            reasons.append(f"{g.name_zh}：团队成员 {team.members} 人，少于下限 {g.team_members_min} 人")
        elif g.team_members_max is not None and team.members is not None and team.members > g.team_members_max:
            reasons.append(f"{g.name_zh}：团队成员 {team.members} 人，超过上限 {g.team_members_max} 人")
        else:
            return Eligibility(True, g.code, ())
    return Eligibility(False, None, tuple(reasons))

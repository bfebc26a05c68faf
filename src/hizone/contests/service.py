"""Contests in the store: editions loaded from their YAML, entries checked against the registry, judges and
their assignments, raw scores (every change audited), documents, advancing and awards.

Glue between the store and the pure engines (``contests.model``, ``.assign``, ``.scoring``): the policy is asked
here, on every surface's behalf (CLI, API, pages). Every decision is recomputed from the stored rows by
``decision``: the edition keeps the contest and rubric documents it was loaded with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hizone.analytics.read import EnterpriseRow, Reader, Viewer
from hizone.auth.policy import (
    Principal,
    can_attach_contest_document,
    can_link_contest_team,
    can_read_contest_entry,
    can_read_contest_scores,
    can_run_contests,
    can_score,
    may_follow_contest_entrants,
)
from hizone.auth.users import audit
from hizone.catalog.loader import parse_yaml, read_yaml
from hizone.contests import assign as assigning
from hizone.contests import tracking
from hizone.contests.documents import check_document, load_rules
from hizone.contests.model import (
    Contest,
    Eligibility,
    Entrant,
    Rubric,
    Stage,
    Team,
    check_eligibility,
    check_team_eligibility,
    contests_directory,
    parse_contest,
    parse_rubric,
)
from hizone.contests.scoring import Result, Score, ScoreError, results, validate
from hizone.errors import HizoneError, RegistryError
from hizone.registry.credit_code import validate_credit_code
from hizone.store import session_scope
from hizone.store.models import (
    ContestAssignment,
    ContestDocument,
    ContestEdition,
    ContestEntry,
    ContestJudge,
    ContestScore,
    ContestStageChange,
    ContestTie,
    Enterprise,
    Incubatee,
    Qualification,
    User,
    Zone,
)
from hizone.text import ascii_digits

SCORE_ACTION = "contest_score"  # the audit log's action for a score entered or changed
DOCUMENT_ACTION = "contest_document"  # a document attached to an entry
LINK_ACTION = "contest_link"  # a team's entry linked to the enterprise it registered


class ContestError(HizoneError):
    """A contest action refused: not allowed, unknown edition or entry, ineligible, already done."""


class AccessDenied(ContestError):
    """The principal may not do or see this (the web answers 403)."""


class NotFound(ContestError):
    """No such edition, entry or document (the web answers 404)."""


class UnknownEdition(NotFound):
    """No such edition in the store (the web answers 404)."""


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise AccessDenied(f"not allowed to {what}")


# ---- editions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """A contest's or a rubric's YAML as given: the file's name (messages name it) and its bytes."""

    name: str
    text: bytes


def catalog_names(directory: Path | None = None) -> tuple[list[str], list[str]]:
    """(contests, rubrics): the definitions under catalog/data/contests (or ``directory``) by name, a contest
    being a file with ``stages``, a rubric one with ``dimensions``."""
    contests, rubrics = [], []
    for path in sorted((directory or contests_directory()).glob("*.yaml")):
        doc = read_yaml(path)
        if "stages" in doc:
            contests.append(path.stem)
        elif "dimensions" in doc:
            rubrics.append(path.stem)
    return contests, rubrics


def catalog_definition(name: str, directory: Path | None = None) -> Definition:
    """The definition named ``name`` (without .yaml) under catalog/data/contests, or ``directory``: a name the
    folder does not hold (or one reaching out of it) is refused."""
    folder = directory or contests_directory()
    path = folder / f"{name}.yaml"
    if not name or Path(name).name != name or not path.is_file():
        raise NotFound(f"no contest definition '{name}' in {folder.name}", where="name")
    return Definition(path.name, path.read_bytes())


def _document(source: Definition) -> dict[str, Any]:
    try:
        text = source.text.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContestError("not UTF-8 text", where=source.name) from None
    # Dates become ISO text (JSON keeps the document; the parsers read either).
    return json.loads(json.dumps(parse_yaml(text, source.name), default=str))


@dataclass(frozen=True)
class Loaded:
    edition_id: int
    status: str  # loaded / unchanged
    key: str = ""  # the edition's key, e.g. cicc-12


LOAD_ACTION = "contest_load"  # an edition stored with its contest and rubric texts
ENTRY_ACTION = "contest_entry"  # an entry taken, with its eligibility
JUDGE_ACTION = "contest_judge"  # a judge named (or its ties added)


def load_edition(engine: Engine, principal: Principal, contest: str, rubric: str, *,
                 synthetic: bool = False, directory: Path | None = None) -> Loaded:
    """Store the edition of ``contest`` (a YAML name under catalog/data/contests, or ``directory``) judged by
    ``rubric`` (see ``load_definitions``)."""
    _require(can_run_contests(principal), "load contests")
    return load_definitions(engine, principal, catalog_definition(contest, directory),
                            catalog_definition(rubric, directory), synthetic=synthetic)


def load_definitions(engine: Engine, principal: Principal, contest: Definition, rubric: Definition, *,
                     synthetic: bool = False) -> Loaded:
    """Store the edition ``contest`` defines, judged by ``rubric`` (YAML texts: the catalog's or uploaded), once
    both parse; loading the same texts again changes nothing, different texts for a stored edition are refused.
    A bad text is named with its line or field. The loading is audited."""
    _require(can_run_contests(principal), "load contests")
    contest_doc, rubric_doc = _document(contest), _document(rubric)
    parsed = parse_contest(contest_doc, contest.name)
    parse_rubric(rubric_doc, rubric.name)
    digest = hashlib.sha256(contest.text + b"\0" + rubric.text).hexdigest()
    key = f"{parsed.code}-{parsed.edition}"
    with session_scope(engine) as session:
        found = session.scalar(select(ContestEdition).where(ContestEdition.contest_code == parsed.code,
                                                            ContestEdition.edition == parsed.edition))
        if found is not None:
            if found.source_sha256 != digest:
                raise ContestError(f"edition {key} is already loaded from other texts; "
                                   "its stored scores were judged by those", where=contest.name)
            return Loaded(found.id, "unchanged", key)
        row = ContestEdition(contest_code=parsed.code, edition=parsed.edition, year=parsed.year,
                             name_zh=parsed.name_zh, definition=contest_doc, rubric=rubric_doc,
                             source_sha256=digest, synthetic=synthetic, loaded_by=principal.username)
        session.add(row)
        session.flush()
        audit(session, principal.username, LOAD_ACTION, "contest_edition", key[:64], before=None,
              after={"contest": contest.name, "rubric": rubric.name, "sha256": digest}, role=principal.role)
        return Loaded(row.id, "loaded", key)


def edition_key(row: ContestEdition) -> str:
    return f"{row.contest_code}-{row.edition}"


def _edition(session: Session, key: str) -> ContestEdition:
    code, _, number = key.rpartition("-")
    row = session.scalar(select(ContestEdition).where(ContestEdition.contest_code == code,
                                                      ContestEdition.edition == int(number))) \
        if ascii_digits(number) and len(number) < 10 else None
    if row is None:
        raise UnknownEdition(f"no contest edition '{key}' (load it first: hizone contests load)", where="edition")
    return row


def rubric_of(engine: Engine, edition: str) -> Rubric:
    """The rubric an edition is judged by (as it was loaded)."""
    with session_scope(engine) as session:
        return _definitions(_edition(session, edition))[1]


@dataclass(frozen=True)
class EditionInfo:
    key: str
    name_zh: str
    year: int
    stages: tuple[Stage, ...]
    rubric: Rubric
    synthetic: bool


def editions(engine: Engine) -> list[EditionInfo]:
    """Every stored edition, newest year first (names and stages are public: the contests are announced)."""
    with session_scope(engine) as session:
        rows = session.scalars(select(ContestEdition).order_by(ContestEdition.year.desc(), ContestEdition.id))
        return [EditionInfo(edition_key(r), r.name_zh, r.year, _definitions(r)[0].stages, _definitions(r)[1],
                            r.synthetic) for r in rows]


@dataclass(frozen=True)
class EditionSummary:
    info: EditionInfo
    current: Stage  # the furthest stage any entry has reached (the contest's progress is announced)
    by_stage: dict[str, int]  # stage code → entries there the principal may see
    eligible: int  # of those, how many eligible
    awards: int  # of those, how many awarded


def summaries(engine: Engine, principal: Principal) -> list[EditionSummary]:
    """Every edition with its current stage and the counts of the entries the principal may see, by stage."""
    found = []
    with session_scope(engine) as session:
        reached = {(edition_id, stage) for edition_id, stage in session.execute(
            select(ContestEntry.edition_id, ContestEntry.stage).distinct())}
        ids = {edition_key(r): r.id for r in session.scalars(select(ContestEdition))}
    for info in editions(engine):
        shown = entries(engine, principal, info.key)
        at = [s for s in info.stages if (ids[info.key], s.code) in reached]
        found.append(EditionSummary(info, at[-1] if at else info.stages[0],
                                    {s.code: sum(e.stage == s.code for e in shown) for s in info.stages},
                                    sum(e.eligible for e in shown), sum(e.award is not None for e in shown)))
    return found


def entry(engine: Engine, principal: Principal, edition: str, entry_code: str) -> EntryView:
    """One entry, for whoever may read it (the national roles with its judges)."""
    with session_scope(engine) as session:
        row = _edition(session, edition)
        found = _readable_entry(session, principal, row, entry_code)
        judges = sorted(_assigned(session, row.id).get((found.id, found.stage), set()))
        return _view(found, judges if can_run_contests(principal) else ())


def _definitions(row: ContestEdition) -> tuple[Contest, Rubric]:
    where = f"edition {edition_key(row)}"
    return parse_contest(row.definition, where), parse_rubric(row.rubric, where)


def _stage(contest: Contest, code: str) -> tuple[int, Stage]:
    for i, stage in enumerate(contest.stages):
        if stage.code == code:
            return i, stage
    raise ContestError(f"no stage '{code}' (one of {', '.join(s.code for s in contest.stages)})", where="stage")


# ---- entries and eligibility ---------------------------------------------------------------------------------


def _held(session: Session, enterprise_id: int, kind: str, on: dt.date) -> Qualification | None:
    """A qualification of ``kind`` valid on ``on`` (the latest such)."""
    return session.scalar(select(Qualification).where(
        Qualification.enterprise_id == enterprise_id, Qualification.kind == kind, Qualification.valid_from <= on,
        (Qualification.valid_to.is_(None)) | (Qualification.valid_to >= on)).order_by(
        Qualification.valid_from.desc()).limit(1))


def _record(session: Session, contest: Contest, credit_code: str, before_edition: int) -> tuple[bool, int]:
    """(ranked in the top 3 of a national stage, awards) in the contest's earlier editions."""
    earlier = select(ContestEntry).join(ContestEdition, ContestEdition.id == ContestEntry.edition_id).where(
        ContestEdition.contest_code == contest.code, ContestEdition.edition < before_edition,
        ContestEntry.credit_code == credit_code)
    rows = list(session.scalars(earlier))
    national = {s.code for s in contest.stages if s.national}  # (a contest's stages keep their codes)
    top3 = any(row.stage in national and row.rank is not None and row.rank <= 3 for row in rows)
    return top3, sum(1 for row in rows if row.award)


def entrant_of(session: Session, contest: Contest, edition: int, credit_code: str, revenue: float | None
               ) -> tuple[Entrant, Enterprise]:
    """What the registry says of an enterprise for the eligibility check: its registration date, whether it
    is listed, its 科技型中小企业 number and 高企 certificate valid at the end of the contest's year, its earlier
    results in the contest. The revenue is the entry's declared figure."""
    enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == credit_code))
    if enterprise is None:
        raise ContestError(f"no enterprise with credit code {credit_code} in the registry", where="credit_code")
    if enterprise.founded is None:
        raise ContestError(f"the registry has no registration date (注册日期) for {credit_code}: "
                           "the group cannot be decided", where="credit_code")
    year_end = dt.date(contest.year, 12, 31)
    listed = session.scalar(select(func.count()).select_from(Qualification).where(
        Qualification.enterprise_id == enterprise.id, Qualification.kind == "listed",
        Qualification.valid_from <= year_end)) or 0
    tech_sme = _held(session, enterprise.id, "tech_sme", year_end)
    top3, awards = _record(session, contest, credit_code, edition)
    return Entrant(credit_code, enterprise.founded, revenue, listed=bool(listed),
                   tech_sme_number=(tech_sme.detail or "listed") if tech_sme else None,
                   hightech_certificate=_held(session, enterprise.id, "high_tech", year_end) is not None,
                   prior_top3=top3, awards=awards), enterprise


@dataclass(frozen=True)
class EntryView:
    code: str
    name: str
    credit_code: str | None
    zone_code: str | None
    field: str | None
    group: str | None
    stage: str
    eligible: bool
    reasons: tuple[str, ...]
    rank: int | None
    award: str | None
    judges: tuple[str, ...]  # usernames; shown to the national roles only
    team_name: str | None = None  # a team's entry (credit_code: the enterprise it was linked to, if any)
    team_leader: str | None = None
    team_members: int | None = None
    institution: str | None = None


@dataclass(frozen=True)
class EntryForm:
    """An entry as given: an enterprise by credit code, or a team by name (with its leader, members and
    institution)."""

    code: str
    credit_code: str | None = None
    team_name: str | None = None
    name: str | None = None
    field: str | None = None
    revenue: float | None = None  # declared, of the contest's revenue year, yuan
    organisation: str | None = None
    team_leader: str | None = None
    team_members: int | None = None
    institution: str | None = None


def _width(model: type[Any], column: str) -> int | None:
    """A text column's width in the store (None: unbounded)."""
    return getattr(model.__table__.c[column].type, "length", None)


ENTRY_COLUMNS = ("code", "credit_code", "team_name", "name", "field", "revenue", "team_leader", "team_members",
                 "institution")  # an entry as a file's row or a form's fields give it


def entry_form(cells: Mapping[str, str | None]) -> tuple[EntryForm, list[tuple[str, str]]]:
    """An entry from text cells (a CSV row, a page's form), and the (column, reason) of each cell that does not
    read: revenue a number of yuan (thousands separators allowed), team_members a whole number."""
    given = {k: (cells.get(k) or "").strip() or None for k in ENTRY_COLUMNS}
    problems: list[tuple[str, str]] = []
    revenue = None
    if given["revenue"]:
        try:
            revenue = float(str(given["revenue"]).replace(",", ""))
        except ValueError:
            problems.append(("revenue", f"{given['revenue']!r} is not a number (yuan)"))
    members = None
    if given["team_members"]:
        raw = str(given["team_members"])
        if raw.isascii() and raw.isdigit() and len(raw) < 6:
            members = int(raw)
        else:
            problems.append(("team_members", f"{raw!r} is not a whole number of people"))
    if not given["code"]:
        problems.append(("code", "required"))
    return EntryForm(given["code"] or "", given["credit_code"], given["team_name"], given["name"], given["field"],
                     revenue, team_leader=given["team_leader"], team_members=members,
                     institution=given["institution"]), problems


def given_definition(what: str, name: str | None, text: bytes | None, filename: str | None) -> Definition:
    """The contest's or the rubric's YAML as a form gives it (``what``: contest or rubric): an uploaded text,
    else a name in the catalog."""
    if text:
        return Definition(Path((filename or f"{what}.yaml").replace("\\", "/")).name[:128] or f"{what}.yaml", text)
    if name and name.strip():
        return catalog_definition(name.strip())
    raise ContestError(f"give the {what}: a YAML file, or a name in the catalog", where=what)


def _fits(text: str | None, limit: int | None, where: str) -> None:
    if text is not None and limit is not None and len(text) > limit:
        raise ContestError(f"at most {limit} characters, not {len(text)}", where=where)


def _enter(session: Session, principal: Principal, row: ContestEdition, contest: Contest, form: EntryForm
           ) -> ContestEntry:
    if not form.code.strip():
        raise ContestError("an entry needs its code (参赛编号)", where="code")
    for column in ContestEntry.__table__.columns:  # the store's widths, named before the store refuses them
        if isinstance(value := getattr(form, column.name, None), str):
            _fits(value, _width(ContestEntry, column.name), column.name)
    if form.revenue is not None and not form.revenue >= 0:
        raise ContestError(f"the declared revenue is a sum of yuan ≥ 0, not {form.revenue}", where="revenue")
    if bool(form.credit_code) == bool(form.team_name):
        raise ContestError("an entry is an enterprise (credit code) or a team (team name), exactly one",
                           where="credit_code")
    if session.scalar(select(ContestEntry.id).where(ContestEntry.edition_id == row.id,
                                                    ContestEntry.code == form.code)) is not None:
        raise ContestError(f"entry {form.code} is already in {edition_key(row)}", where="code")
    name, zone, organisation = form.name, None, form.organisation
    if form.credit_code:
        other = session.scalar(select(ContestEntry.code).where(ContestEntry.edition_id == row.id,
                                                               ContestEntry.credit_code == form.credit_code))
        if other is not None:
            raise ContestError(f"enterprise {form.credit_code} is already an entrant of {edition_key(row)} "
                               f"(entry {other}): a firm enters an edition once", where="credit_code")
        entrant, enterprise = entrant_of(session, contest, row.edition, form.credit_code, form.revenue)
        verdict = check_eligibility(contest, entrant)
        name, zone, organisation = name or enterprise.name, enterprise.zone_code, organisation or form.credit_code
    else:
        if form.team_members is not None and form.team_members <= 0:
            raise ContestError(f"a team has at least one member, not {form.team_members}", where="members")
        verdict = check_team_eligibility(contest, Team(str(form.team_name), form.team_leader, form.team_members,
                                                       form.institution))
        organisation = organisation or form.institution
    entry = ContestEntry(edition_id=row.id, code=form.code, name=name or form.team_name or form.code,
                         credit_code=form.credit_code, team_name=form.team_name, organisation=organisation,
                         team_leader=form.team_leader, team_members=form.team_members, institution=form.institution,
                         zone_code=zone, field=form.field, group_code=verdict.group, stage=contest.stages[0].code,
                         revenue=form.revenue, eligible=verdict.eligible, reasons=list(verdict.reasons),
                         synthetic=row.synthetic, created_by=principal.username)
    session.add(entry)
    session.flush()
    session.add(ContestStageChange(entry_id=entry.id, from_stage=None, to_stage=entry.stage,
                                   actor=principal.username))
    audit(session, principal.username, ENTRY_ACTION, "contest_entry", f"{edition_key(row)}:{form.code}"[:64],
          before=None, after={"credit_code": form.credit_code, "team_name": form.team_name, "group": verdict.group,
                              "eligible": verdict.eligible, "reasons": list(verdict.reasons)}, role=principal.role)
    return entry


def enter(engine: Engine, principal: Principal, edition: str, forms: Sequence[EntryForm], where: str = "entries"
          ) -> list[EntryView]:
    """Take entries at the first stage, each one's eligibility checked against the registry and stored with
    the reasons (an ineligible entry is stored with them: it does not go on). All or nothing: every refused
    entry is named (its row, 1 = the first) and none is stored; one entry alone (a form's) is refused with its
    own field. Each entry taken is audited."""
    _require(can_run_contests(principal), "take contest entries")
    with session_scope(engine) as session:
        row = _edition(session, edition)
        contest, _ = _definitions(row)
        taken, problems = [], []
        for number, form in enumerate(forms, 1):
            try:  # (every check comes before the entry is added: a refused one adds nothing)
                taken.append(_view(_enter(session, principal, row, contest, form), ()))
            except ContestError as error:
                if len(forms) == 1:
                    raise
                problems.append(f"row {number} ({form.code}), {error.where}: {error.reason}")
        if problems:
            raise ContestError("\n".join(problems), where=where)
        return taken


def _view(entry: ContestEntry, judges: Sequence[str]) -> EntryView:
    return EntryView(entry.code, entry.name, entry.credit_code, entry.zone_code, entry.field, entry.group_code,
                     entry.stage, entry.eligible, tuple(entry.reasons), entry.rank, entry.award, tuple(judges),
                     entry.team_name, entry.team_leader, entry.team_members, entry.institution)


def link_team(engine: Engine, principal: Principal, edition: str, entry_code: str, credit_code: str) -> EntryView:
    """A team's entry linked to the enterprise it later registered (by credit code): its zone is the firm's, and
    the follow-up (跟踪) follows the firm from then on. The team's group and verdict stay those it entered with;
    the link is audited. Linking again to the same firm changes nothing. Refused, naming the reason: a code that
    is not a credit code (GB 32100: length, characters, check character), one the registry does not hold, a team
    already linked to another firm, a firm already an entrant of the edition (its own entry or a team's)."""
    _require(can_link_contest_team(principal), "link contest teams")
    try:
        code = validate_credit_code(credit_code, where="credit_code")
    except RegistryError as error:
        raise ContestError(error.reason, where="credit_code") from None
    with session_scope(engine) as session:
        row = _edition(session, edition)
        entry = _entry(session, row, entry_code)
        if entry.team_name is None:
            raise ContestError(f"entry {entry_code} is an enterprise's, not a team's", where="entry")
        if entry.credit_code == code:
            return _view(entry, ())
        if entry.credit_code is not None:
            raise ContestError(f"team entry {entry_code} is already linked to {entry.credit_code}", where="credit_code")
        enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
        if enterprise is None:
            raise ContestError(f"no enterprise with credit code {code} in the registry", where="credit_code")
        other = session.scalar(select(ContestEntry).where(ContestEntry.edition_id == row.id,
                                                          ContestEntry.credit_code == code))
        if other is not None:
            what = f"team {other.team_name}'s entry {other.code}" if other.team_name else f"entry {other.code}"
            raise ContestError(f"enterprise {code} is already an entrant of {edition_key(row)} ({what}): "
                               "a firm enters an edition once", where="credit_code")
        entry.credit_code, entry.zone_code = code, enterprise.zone_code
        entry.linked_at = dt.datetime.now(dt.UTC)
        audit(session, principal.username, LINK_ACTION, "contest_entry", f"{edition_key(row)}:{entry_code}"[:64],
              before=None, after={"credit_code": code, "zone_code": enterprise.zone_code},
              role=principal.role)
        return _view(entry, ())


def _entry(session: Session, row: ContestEdition, entry_code: str) -> ContestEntry:
    entry = session.scalar(select(ContestEntry).where(ContestEntry.edition_id == row.id,
                                                      ContestEntry.code == entry_code))
    if entry is None:
        raise NotFound(f"no entry {entry_code} in {edition_key(row)}", where="entry")
    return entry


def _assigned(session: Session, edition_id: int) -> dict[tuple[int, str], set[str]]:
    """(entry id, stage) → the usernames of its judges."""
    found: dict[tuple[int, str], set[str]] = {}
    for entry_id, stage, username in session.execute(
            select(ContestAssignment.entry_id, ContestAssignment.stage, User.username)
            .join(ContestJudge, ContestJudge.id == ContestAssignment.judge_id)
            .join(User, User.id == ContestJudge.user_id).where(ContestJudge.edition_id == edition_id)):
        found.setdefault((entry_id, stage), set()).add(username)
    return found


def entries(engine: Engine, principal: Principal, edition: str) -> list[EntryView]:
    """The entries the principal may see (a judge: those assigned to it at their current stage; a zone: its
    own entrants), by code. Judges' names only for the national roles."""
    with session_scope(engine) as session:
        row = _edition(session, edition)
        assigned = _assigned(session, row.id)
        provinces = dict(session.execute(select(Zone.code, Zone.province_code)).all())
        shown = []
        for entry in session.scalars(select(ContestEntry).where(ContestEntry.edition_id == row.id)
                                     .order_by(ContestEntry.code)):
            judges = frozenset(assigned.get((entry.id, entry.stage), set()))
            if can_read_contest_entry(principal, entry.zone_code, provinces.get(entry.zone_code or ""),
                                      entry.credit_code, judges):
                shown.append(_view(entry, sorted(judges) if can_run_contests(principal) else ()))
        return shown


# ---- judges and assignment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeView:
    username: str
    organisation: str | None
    zone_code: str | None
    ties: tuple[str, ...]  # entry codes or organisations' credit codes, in the order declared


def add_judge(engine: Engine, principal: Principal, edition: str, username: str, *,
              organisation: str | None = None, zone: str | None = None, ties: Sequence[str] = ()) -> JudgeView:
    """Name a user with the judge role a judge of the edition, with its organisation, zone and declared ties
    (entry codes or organisations' credit codes); naming it again adds ties (its organisation and zone stay
    those first given). Refused, naming the field: no such user, a user without the judge role, no such zone.
    Audited."""
    _require(can_run_contests(principal), "name contest judges")
    organisation, zone = (organisation or "").strip() or None, (zone or "").strip() or None
    with session_scope(engine) as session:
        row = _edition(session, edition)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise ContestError(f"no user {username} (add one with the judge role: hizone users add --role judge)",
                               where="judge")
        if user.role != "judge":
            raise ContestError(f"{username} is a user with the {user.role} role, not the judge role", where="judge")
        _fits(organisation, _width(ContestJudge, "organisation"), "organisation")
        for tie in ties:
            _fits(tie.strip(), _width(ContestTie, "tied_to"), "ties")
        if zone is not None and session.get(Zone, zone) is None:
            raise ContestError(f"no zone {zone} in the registry", where="zone")
        judge = session.scalar(select(ContestJudge).where(ContestJudge.edition_id == row.id,
                                                          ContestJudge.user_id == user.id))
        if judge is None:
            judge = ContestJudge(edition_id=row.id, user_id=user.id, organisation=organisation, zone_code=zone)
            session.add(judge)
            session.flush()
        known = list(session.scalars(select(ContestTie.tied_to).where(ContestTie.judge_id == judge.id)
                                     .order_by(ContestTie.id)))
        added = [tie for tie in dict.fromkeys(t.strip() for t in ties if t.strip()) if tie not in known]
        session.add_all([ContestTie(judge_id=judge.id, tied_to=tie) for tie in added])
        audit(session, principal.username, JUDGE_ACTION, "contest_judge", f"{edition_key(row)}:{username}"[:64],
              before=None, after={"organisation": judge.organisation, "zone_code": judge.zone_code,
                                  "ties_added": added}, role=principal.role)
        return JudgeView(username, judge.organisation, judge.zone_code, (*known, *added))


def _judges(session: Session, edition_id: int) -> dict[str, tuple[ContestJudge, assigning.Judge]]:
    rows = session.execute(select(ContestJudge, User.username).join(User, User.id == ContestJudge.user_id)
                           .where(ContestJudge.edition_id == edition_id)).all()
    ties: dict[int, set[str]] = {}
    for judge_id, tied in session.execute(select(ContestTie.judge_id, ContestTie.tied_to).join(
            ContestJudge, ContestJudge.id == ContestTie.judge_id).where(ContestJudge.edition_id == edition_id)):
        ties.setdefault(judge_id, set()).add(tied)
    return {name: (j, assigning.Judge(name, j.organisation, j.zone_code, frozenset(ties.get(j.id, ()))))
            for j, name in rows}


def judges(engine: Engine, principal: Principal, edition: str) -> list[JudgeView]:
    """The edition's judges with their organisations, zones and ties, by username (the national roles')."""
    _require(can_run_contests(principal), "see a contest's judges")
    with session_scope(engine) as session:
        found = _judges(session, _edition(session, edition).id)
    return [JudgeView(name, j.organisation, j.zone, tuple(sorted(j.ties))) for name, (_, j) in sorted(found.items())]


def assign(engine: Engine, principal: Principal, edition: str, stage: str) -> dict[str, list[str]]:
    """Assign judges to the eligible entries at ``stage`` (the rubric's N each, conflicts excluded, loads
    balanced); entry code → judges. A stage is assigned once."""
    _require(can_run_contests(principal), "assign contest judges")
    with session_scope(engine) as session:
        row = _edition(session, edition)
        contest, rubric = _definitions(row)
        _stage(contest, stage)
        at_stage = list(session.scalars(select(ContestEntry).where(
            ContestEntry.edition_id == row.id, ContestEntry.stage == stage, ContestEntry.eligible)
            .order_by(ContestEntry.code)))
        if not at_stage:
            raise ContestError(f"no eligible entry at stage {stage}", where="stage")
        ids = [e.id for e in at_stage]
        if session.scalar(select(func.count()).select_from(ContestAssignment).where(
                ContestAssignment.entry_id.in_(ids), ContestAssignment.stage == stage)):
            raise ContestError(f"stage {stage} of {edition} is already assigned", where="stage")
        judges = _judges(session, row.id)
        plan = assigning.assign([assigning.Entry(e.code, e.organisation, e.zone_code) for e in at_stage],
                                [j for _, j in judges.values()], rubric.judges_per_entry)
        by_code = {e.code: e for e in at_stage}
        for code, names in plan.items():
            for name in names:
                session.add(ContestAssignment(judge_id=judges[name][0].id, entry_id=by_code[code].id, stage=stage))
        return plan


# ---- scores --------------------------------------------------------------------------------------------------


def score(engine: Engine, principal: Principal, edition: str, entry_code: str, marks: Mapping[str, float]
          ) -> None:
    """A judge's marks of an entry assigned to it at the entry's current stage; a change is audited with the
    marks before and after."""
    score_all(engine, principal, edition, [Score(principal.username, entry_code, dict(marks))])


def score_all(engine: Engine, principal: Principal, edition: str, scores: Sequence[Score], where: str = "scores"
              ) -> int:
    """A judge's marks of several entries (a file of its scores): all or nothing, every refused row named
    (1 = the first); how many changed."""
    with session_scope(engine) as session:
        row = _edition(session, edition)
        _, rubric = _definitions(row)
        problems, changed = [], 0
        for number, given in enumerate(scores, 1):
            try:
                if given.judge != principal.username:
                    raise AccessDenied(f"a judge enters its own scores, not {given.judge}'s", where="judge")
                changed += _score(session, principal, row, rubric, given.entry, given.marks)
            except (ContestError, ScoreError) as error:
                if len(scores) == 1:
                    raise  # one score (the web form, the API): its own message and kind
                problems.append(f"row {number}, {error}")
        if problems:
            raise ScoreError("\n".join(problems), where=where)
        return changed


def _score(session: Session, principal: Principal, row: ContestEdition, rubric: Rubric, entry_code: str,
           marks: Mapping[str, float]) -> int:
    entry = session.scalar(select(ContestEntry).where(ContestEntry.edition_id == row.id,
                                                      ContestEntry.code == entry_code))
    judges = _assigned(session, row.id).get((entry.id, entry.stage), set()) if entry else set()
    if entry is None or not can_score(principal, frozenset(judges)):
        # The same answer for an unknown entry and one of another judge's: a judge learns of no other entry.
        raise AccessDenied(f"entry {entry_code} is not assigned to {principal.username or 'you'} "
                           f"at its current stage", where="entry")
    validate(rubric, [Score(principal.username, entry_code, dict(marks))],
             {entry_code: [principal.username]}, where=f"entry {entry_code}")
    assignment = session.scalar(select(ContestAssignment).join(
        ContestJudge, ContestJudge.id == ContestAssignment.judge_id).join(
        User, User.id == ContestJudge.user_id).where(
        ContestAssignment.entry_id == entry.id, ContestAssignment.stage == entry.stage,
        User.username == principal.username))
    assert assignment is not None  # can_score saw it
    stored = {s.dimension: s for s in session.scalars(select(ContestScore).where(
        ContestScore.assignment_id == assignment.id))}
    before = {d: s.mark for d, s in stored.items()}
    after = {d: float(m) for d, m in marks.items()}
    if before == after:
        return 0
    now = dt.datetime.now(dt.UTC)
    for dimension, mark in after.items():
        if dimension in stored:
            stored[dimension].mark, stored[dimension].changed_by = mark, principal.username
            stored[dimension].changed_at = now
        else:
            session.add(ContestScore(assignment_id=assignment.id, dimension=dimension, mark=mark,
                                     changed_by=principal.username, changed_at=now))
    audit(session, principal.username, SCORE_ACTION, "contest_score",
          f"{edition_key(row)}:{entry_code}:{entry.stage}:{principal.username}"[:64],
          before=before or None, after=after, role=principal.role)
    return 1


def _stored_scores(session: Session, edition_id: int, stage: str
                   ) -> tuple[list[Score], dict[str, list[str]], dict[str, ContestEntry]]:
    """The stage's complete scores (judge, entry, marks), its assignment and its entries by code."""
    rows = session.execute(
        select(ContestEntry, User.username, ContestScore.dimension, ContestScore.mark, ContestAssignment.id)
        .join(ContestAssignment, ContestAssignment.entry_id == ContestEntry.id)
        .join(ContestJudge, ContestJudge.id == ContestAssignment.judge_id).join(User, User.id == ContestJudge.user_id)
        .outerjoin(ContestScore, ContestScore.assignment_id == ContestAssignment.id)
        .where(ContestEntry.edition_id == edition_id, ContestAssignment.stage == stage)).all()
    marks: dict[tuple[str, str], dict[str, float]] = {}
    assignment: dict[str, list[str]] = {}
    by_code: dict[str, ContestEntry] = {}
    for entry, judge, dimension, mark, _ in rows:
        by_code[entry.code] = entry
        if judge not in assignment.setdefault(entry.code, []):
            assignment[entry.code].append(judge)
        marks.setdefault((judge, entry.code), {})
        if dimension is not None:
            marks[(judge, entry.code)][dimension] = mark
    scores = [Score(judge, code, m) for (judge, code), m in sorted(marks.items())]
    return scores, assignment, by_code


def scores_of(engine: Engine, principal: Principal, edition: str, stage: str) -> list[Score]:
    """The raw scores of a stage the principal may read (a judge: its own), by judge and entry."""
    with session_scope(engine) as session:
        scores, _, _ = _stored_scores(session, _edition(session, edition).id, stage)
    return [s for s in scores if s.marks and can_read_contest_scores(principal, s.judge)]


# ---- the decision --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    stage: str
    next_stage: str | None
    count: int | None
    results: tuple[Result, ...]
    refused: dict[str, tuple[str, ...]]  # entry code → why it may not go on (eligibility for the next stage)


def _decide(session: Session, row: ContestEdition, stage: str, count: int | None) -> Decision:
    contest, rubric = _definitions(row)
    index, current = _stage(contest, stage)
    following = contest.stages[index + 1] if index + 1 < len(contest.stages) else None
    count = current.advance if count is None else count
    scores, assignment, by_code = _stored_scores(session, row.id, stage)
    if not scores:
        raise ContestError(f"no scores at stage {stage}", where="stage")
    missing = sorted(f"{s.entry}/{s.judge}" for s in scores if not s.marks)
    if missing:
        raise ScoreError(f"not every assigned judge has scored: {', '.join(missing)}", where=f"stage {stage}")
    refused: dict[str, tuple[str, ...]] = {}
    for code, entry in by_code.items():
        verdict = _next_eligibility(session, contest, row, entry, following)
        if not verdict.eligible:
            refused[code] = verdict.reasons
    ranked = results(rubric, scores, assignment, count, frozenset(refused))
    return Decision(stage, following.code if following else None, count, tuple(ranked), refused)


def _next_eligibility(session: Session, contest: Contest, row: ContestEdition, entry: ContestEntry,
                      following: Stage | None) -> Eligibility:
    """Whether the entry may go on to ``following``: checked again against the registry as it is now (a
    national stage asks more of the 成长组); a team (linked to a firm since or not) keeps its stored verdict."""
    if entry.credit_code is None or entry.team_name is not None:
        return Eligibility(entry.eligible, entry.group_code, tuple(entry.reasons))
    entrant, _ = entrant_of(session, contest, row.edition, entry.credit_code, entry.revenue)
    return check_eligibility(contest, entrant, national=bool(following and following.national))


def decision(engine: Engine, principal: Principal, edition: str, stage: str, count: int | None = None
             ) -> Decision:
    """The ranking of a stage recomputed from the stored raw scores with the edition's rubric, and who would
    advance (ties at the cut all go; an entry ineligible for the next stage does not)."""
    _require(can_run_contests(principal), "see a contest's full ranking")
    with session_scope(engine) as session:
        return _decide(session, _edition(session, edition), stage, count)


def advance(engine: Engine, principal: Principal, edition: str, stage: str, count: int | None = None, *,
            award: str | None = None) -> Decision:
    """Rank the stage, store every entry's rank, and move the advancing entries to the next stage (at the last
    stage: give them ``award``). ``count`` overrides the stage's ``advance`` (needed where the YAML leaves it
    open)."""
    _require(can_run_contests(principal), "advance contest entries")
    with session_scope(engine) as session:
        row = _edition(session, edition)
        made = _decide(session, row, stage, count)
        if made.count is None:
            raise ContestError(f"stage {stage} does not say how many advance: give the count", where="count")
        if made.next_stage is None and not award:
            raise ContestError("the last stage advances nobody: name the award", where="award")
        _, by_code = _stored_scores(session, row.id, stage)[1:]
        for result in made.results:
            entry = by_code[result.entry]
            if entry.stage != stage:
                raise ContestError(f"entry {entry.code} is no longer at stage {stage}: already advanced",
                                   where="stage")
            entry.rank = result.rank
            if not result.advances:
                continue
            if made.next_stage is None:
                entry.award = award
            else:
                session.add(ContestStageChange(entry_id=entry.id, from_stage=stage, to_stage=made.next_stage,
                                               rank=result.rank, value=result.value, actor=principal.username))
                entry.stage = made.next_stage
        return made


def move(engine: Engine, principal: Principal, edition: str, entry_code: str, to_stage: str) -> EntryView:
    """Push one entry to a later stage by hand (a wild card, a correction): refused with the reasons when the
    entry is not eligible for that stage."""
    _require(can_run_contests(principal), "move contest entries")
    with session_scope(engine) as session:
        row = _edition(session, edition)
        contest, _ = _definitions(row)
        entry = session.scalar(select(ContestEntry).where(ContestEntry.edition_id == row.id,
                                                          ContestEntry.code == entry_code))
        if entry is None:
            raise ContestError(f"no entry {entry_code} in {edition}", where="entry")
        to_index, target = _stage(contest, to_stage)
        if to_index <= _stage(contest, entry.stage)[0]:
            raise ContestError(f"entry {entry_code} is at {entry.stage}: {to_stage} is not a later stage",
                               where="stage")
        verdict = _next_eligibility(session, contest, row, entry, target)
        if not verdict.eligible:
            raise ContestError(f"entry {entry_code} may not go to {target.name_zh}: {'；'.join(verdict.reasons)}",
                               where="stage")
        session.add(ContestStageChange(entry_id=entry.id, from_stage=entry.stage, to_stage=to_stage,
                                       actor=principal.username))
        entry.stage = to_stage
        return _view(entry, ())


def stage_history(engine: Engine, principal: Principal, edition: str, entry_code: str
                  ) -> list[tuple[str | None, str, int | None]]:
    """(from, to, rank) of an entry's way through the stages, oldest first."""
    _require(can_run_contests(principal), "see an entry's history")
    with session_scope(engine) as session:
        row = _edition(session, edition)
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(ContestStageChange.from_stage, ContestStageChange.to_stage, ContestStageChange.rank)
            .join(ContestEntry, ContestEntry.id == ContestStageChange.entry_id)
            .where(ContestEntry.edition_id == row.id, ContestEntry.code == entry_code)
            .order_by(ContestStageChange.id))]


# ---- documents -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredDocument:
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str = ""
    uploaded_at: dt.datetime | None = None


def document_limit(engine: Engine, edition: str) -> int:
    """The largest document an entry of the edition may have, in bytes (its YAML's, or the catalog's default)."""
    with session_scope(engine) as session:
        return _definitions(_edition(session, edition))[0].document_max_bytes or load_rules().max_bytes


def _readable_entry(session: Session, principal: Principal, row: ContestEdition, entry_code: str) -> ContestEntry:
    """The entry, if the principal may read it (a judge: assigned to it at its current stage). Only the national
    roles, who read every entry, learn that a code is unknown: anyone else gets one answer for an unknown entry
    and for one outside their reach, so a code's existence does not leak."""
    entry = session.scalar(select(ContestEntry).where(ContestEntry.edition_id == row.id,
                                                      ContestEntry.code == entry_code))
    judges = frozenset(_assigned(session, row.id).get((entry.id, entry.stage), set())) if entry else frozenset()
    province = session.scalar(select(Zone.province_code).where(Zone.code == entry.zone_code)) \
        if entry and entry.zone_code else None
    if entry is None or not can_read_contest_entry(principal, entry.zone_code, province, entry.credit_code, judges):
        if entry is None and can_run_contests(principal):
            raise NotFound(f"no entry {entry_code} in {edition_key(row)}", where="entry")
        raise AccessDenied(f"entry {entry_code} is not yours to read", where="entry")
    return entry


def attach(engine: Engine, principal: Principal, edition: str, entry_code: str, filename: str, data: bytes
           ) -> StoredDocument:
    """Store a document of an entry once its content is what its name says and its size within the edition's
    limit (the SHA-256 kept; the same content twice is stored once); the upload is audited. A refusal names the
    file and the reason, and stores nothing. The national roles attach any entry's, an enterprise its own."""
    name = Path(filename.replace("\\", "/")).name[:256] or "document"
    with session_scope(engine) as session:
        row = _edition(session, edition)
        contest, _ = _definitions(row)
        entry = session.scalar(select(ContestEntry).where(ContestEntry.edition_id == row.id,
                                                          ContestEntry.code == entry_code))
        if entry is None and not can_run_contests(principal):
            raise AccessDenied(f"not allowed to attach documents to entry {entry_code}", where="entry")
        if entry is None:
            raise NotFound(f"no entry {entry_code} in {edition}", where="entry")
        _require(can_attach_contest_document(principal, entry.credit_code), f"attach documents to entry {entry_code}")
        rules = load_rules()
        media = check_document(rules, name, data, contest.document_max_bytes or rules.max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        known = session.scalar(select(ContestDocument).where(ContestDocument.entry_id == entry.id,
                                                             ContestDocument.sha256 == digest))
        if known is None:
            known = ContestDocument(entry_id=entry.id, filename=name, media_type=media, size=len(data),
                                    sha256=digest, content=data, uploaded_by=principal.username,
                                    uploaded_at=dt.datetime.now(dt.UTC))
            session.add(known)
            audit(session, principal.username, DOCUMENT_ACTION, "contest_document",
                  f"{edition_key(row)}:{entry_code}:{digest[:16]}"[:64], before=None,
                  after={"filename": name, "media_type": media, "size": len(data), "sha256": digest},
                  role=principal.role)
        return StoredDocument(known.filename, known.media_type, known.size, known.sha256, known.uploaded_by,
                              known.uploaded_at)


def documents(engine: Engine, principal: Principal, edition: str, entry_code: str) -> list[StoredDocument]:
    """An entry's documents (no content), oldest first, for whoever may read the entry."""
    with session_scope(engine) as session:
        entry = _readable_entry(session, principal, _edition(session, edition), entry_code)
        return [StoredDocument(d.filename, d.media_type, d.size, d.sha256, d.uploaded_by, d.uploaded_at)
                for d in session.scalars(select(ContestDocument).where(ContestDocument.entry_id == entry.id)
                                         .order_by(ContestDocument.id))]


def document(engine: Engine, principal: Principal, edition: str, entry_code: str, sha256: str
             ) -> tuple[StoredDocument, bytes]:
    """One document of an entry and its bytes, for whoever may read the entry."""
    with session_scope(engine) as session:
        entry = _readable_entry(session, principal, _edition(session, edition), entry_code)
        found = session.scalar(select(ContestDocument).where(ContestDocument.entry_id == entry.id,
                                                             ContestDocument.sha256 == sha256.lower()))
        if found is None:
            raise NotFound(f"entry {entry_code} has no document {sha256[:64]}", where="document")
        return StoredDocument(found.filename, found.media_type, found.size, found.sha256, found.uploaded_by,
                              found.uploaded_at), bytes(found.content)


# ---- tracking ------------------------------------------------------------------------------------------------

TRACK_FORM = "enterprise_annual"  # the report whose approved revenue, R&D and equity financing are followed
FINANCING = "equity_financing"  # its element 当年获得股权融资额 (千元; from the form's 2022 version)
TRACKED_ELEMENTS = ("revenue", "rd_expenditure", FINANCING)


def _follows(viewer: Viewer, entry: EntryView) -> bool:
    """Whether the analytics viewer reads the entrant's rows: every one, its zone's, or itself."""
    return viewer.zones is None or entry.credit_code in viewer.enterprises or \
        (entry.zone_code is not None and viewer.reads([entry.zone_code]))


def _reports(reader: Reader, viewer: Viewer, credit_codes: Sequence[str], years: range
             ) -> dict[str, dict[int, EnterpriseRow]]:
    """credit code → year → the entrant's published annual report (the latest approved revision, as the
    analytics layer keeps it) with its qualification flags at the year's end, in one read. A firm that reported
    in a zone outside the viewer's (it moved) shows none of its reports to that viewer: the layer's scope is
    all or nothing per enterprise."""
    found = reader.own_rows_of(TRACK_FORM, credit_codes, [str(y) for y in years], TRACKED_ELEMENTS,
                               tracking.TRACKED, viewer)
    return {code: {int(r.period): r for r in rows} for code, rows in found.items()}


def _trail(entry: EntryView, base_year: int, reports: Mapping[int, EnterpriseRow], financed_in: int | None,
           founded: dt.date | None) -> tracking.Trail:
    def series(element: str) -> dict[int, float]:
        return {y: float(value) for y, r in reports.items() if (value := r.values.get(element)) is not None}

    assert entry.credit_code is not None
    held = {y: frozenset(kind for kind in tracking.TRACKED if r.flags.get(kind)) for y, r in reports.items()}
    if founded is not None and founded > dt.date(base_year, 12, 31):
        held[base_year] = frozenset()  # a firm registered after the contest year (a team's) held nothing then
    return tracking.Trail(entry.code, entry.credit_code, entry.zone_code, entry.field, entry.award is not None,
                          base_year, held, series("revenue"), series("rd_expenditure"), financed_in,
                          series(FINANCING))


def trails(engine: Engine, reader: Reader, principal: Principal, edition: str, until: int) -> list[tracking.Trail]:
    """The edition's enterprise entrants the principal may see (the contest's policy and the analytics viewer
    both), followed from the contest's year to ``until`` through the analytics layer: each year's published
    annual report and the qualifications held at that year's end."""
    viewer = reader.viewer(principal)
    shown = [e for e in entries(engine, principal, edition) if e.credit_code and _follows(viewer, e)]
    with session_scope(engine) as session:
        row = _edition(session, edition)
        years = range(row.year, max(row.year, until) + 1)
        codes = [e.credit_code for e in shown if e.credit_code]
        founded = dict(session.execute(select(Enterprise.credit_code, Enterprise.founded)
                                       .where(Enterprise.credit_code.in_(codes))).all())
        # An incubator's graduation by the financing criterion: a registry record, not a report.
        financed: dict[str, int] = {}
        for code, day in session.execute(select(Incubatee.credit_code, Incubatee.graduated).where(
                Incubatee.credit_code.in_(codes), Incubatee.criterion == "financing",
                Incubatee.graduated.is_not(None))):
            if day is not None:
                financed[code] = min(financed.get(code, day.year), day.year)
    reports = _reports(reader, viewer, codes, years)
    return [_trail(e, row.year, reports.get(code, {}), financed.get(code), founded.get(code))
            for e in shown if (code := str(e.credit_code))]


def track(engine: Engine, reader: Reader, principal: Principal, edition: str, until: int | None = None
          ) -> tracking.Report:
    """The cohort report of an edition: winners against the other entrants, by field and by zone (of the
    entrants the principal may see; a judge none)."""
    if not may_follow_contest_entrants(principal):
        raise AccessDenied("the follow-up of entrants is not a judge's", where="edition")
    return tracking.report(trails(engine, reader, principal, edition, until or dt.date.today().year))

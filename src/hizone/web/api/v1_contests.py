"""/api/v1/contests: editions, entries (each caller sees its own: a judge the entries assigned to it, a zone its
entrants, an enterprise itself), a judge's scores, a stage's results and advancing (the national roles). The
work is hizone.contests.service's, which asks the policy; this only translates. A refusal by the policy is a
403, an unknown edition a 404, a refused score a 400 naming the dimension and the range.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hizone.contests import service, tracking
from hizone.errors import HizoneError
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.errors import error_response
from hizone.web.rendering import current_figures

router = APIRouter(prefix="/api/v1/contests", tags=["v1"], responses=ERRORS)
T = TypeVar("T")


def _error(request: Request, exc: HizoneError) -> Response:
    if isinstance(exc, service.AccessDenied):
        return error_response(request, 403, exc.reason, where=exc.where)
    if isinstance(exc, service.NotFound):
        return error_response(request, 404, exc.reason, where=exc.where)
    return error_response(request, 400, exc.reason, where=exc.where)


def _answer(request: Request, work: Callable[[], T]) -> T | Response:
    try:
        return work()
    except HizoneError as exc:
        return _error(request, exc)


class StageOut(BaseModel):
    code: str
    name_zh: str
    advance: int | None = Field(None, description="how many go on (None: decided when advancing)")


class EditionOut(BaseModel):
    key: str = Field(description="contest code and edition, e.g. cicc-12")
    name_zh: str
    year: int
    stages: list[StageOut]
    dimensions: list[str] = Field(description="the rubric's dimensions (codes)")
    min_score: float
    max_score: float
    synthetic: bool


@router.get("", response_model=list[EditionOut], summary="Contest editions (announced: public)")
def get_editions(request: Request, principal: security.Public) -> list[EditionOut]:
    return [EditionOut(key=e.key, name_zh=e.name_zh, year=e.year, synthetic=e.synthetic,
                       stages=[StageOut(code=s.code, name_zh=s.name_zh, advance=s.advance) for s in e.stages],
                       dimensions=[d.code for d in e.rubric.dimensions], min_score=e.rubric.min_score,
                       max_score=e.rubric.max_score)
            for e in service.editions(request.app.state.engine)]


YAML_MAX_CHARS = 200_000  # a contest's or a rubric's YAML (the catalog's are a few kB)


class LoadIn(BaseModel):
    contest: str | None = Field(None, max_length=64, description="a contest definition in the catalog, by name "
                                                                  "(e.g. cicc-2023); or give contest_yaml")
    contest_yaml: str | None = Field(None, max_length=YAML_MAX_CHARS, description="the contest's YAML text")
    rubric: str | None = Field(None, max_length=64, description="a rubric in the catalog, by name (e.g. "
                                                                "rubric-enterprise-2023); or give rubric_yaml")
    rubric_yaml: str | None = Field(None, max_length=YAML_MAX_CHARS, description="the rubric's YAML text")


class LoadedOut(BaseModel):
    key: str = Field(description="the edition, e.g. cicc-12")
    status: str = Field(description="loaded, or unchanged (the same texts were loaded before)")
    edition_id: int


def _given(what: str, name: str | None, text: str | None) -> service.Definition:
    return service.given_definition(what, name, text.encode("utf-8") if text else None, f"{what}.yaml")


@router.post("", response_model=LoadedOut, status_code=201,
             summary="Load an edition from its contest and rubric YAML (the catalog's, or given; audited)",
             responses={200: {"description": "the same texts were loaded before: nothing changed"},
                        400: {"description": "bad YAML (naming the line) or a field that does not read, or "
                                             "other texts for an edition already loaded"},
                        404: {"description": "no such definition in the catalog"}})
def post_edition(request: Request, body: LoadIn, principal: security.Contests) -> Response:
    def work() -> Response:
        made = service.load_definitions(request.app.state.engine, principal,
                                        _given("contest", body.contest, body.contest_yaml),
                                        _given("rubric", body.rubric, body.rubric_yaml))
        out = LoadedOut(key=made.key, status=made.status, edition_id=made.edition_id)
        return JSONResponse(out.model_dump(), status_code=201 if made.status == "loaded" else 200)
    return _answer(request, work)


class EntryOut(BaseModel):
    code: str
    name: str
    credit_code: str | None
    zone_code: str | None
    field: str | None
    group: str | None
    stage: str
    eligible: bool
    reasons: list[str] = Field(description="why not eligible (Chinese, naming the rule and the value)")
    rank: int | None
    award: str | None
    judges: list[str] = Field(description="the national roles only")
    team_name: str | None = Field(None, description="a team's entry (credit_code: the firm it was linked to)")
    team_leader: str | None = None
    team_members: int | None = None
    institution: str | None = None


@router.get("/{edition}/entries", response_model=list[EntryOut],
            summary="Entries the caller may see, with eligibility and the reasons")
def get_entries(request: Request, edition: str, principal: security.LoggedIn) -> list[EntryOut] | Response:
    return _answer(request, lambda: [_entry_out(e) for e in service.entries(request.app.state.engine, principal,
                                                                            edition)])


def _entry_out(e: service.EntryView) -> EntryOut:
    return EntryOut(code=e.code, name=e.name, credit_code=e.credit_code, zone_code=e.zone_code, field=e.field,
                    group=e.group, stage=e.stage, eligible=e.eligible, reasons=list(e.reasons), rank=e.rank,
                    award=e.award, judges=list(e.judges), team_name=e.team_name, team_leader=e.team_leader,
                    team_members=e.team_members, institution=e.institution)


class EntryIn(BaseModel):
    code: str = Field(max_length=32, description="the entry's number in the edition (参赛编号)")
    credit_code: str | None = Field(None, max_length=18, description="an enterprise's 统一社会信用代码 (or team_name)")
    team_name: str | None = Field(None, max_length=128, description="a team's name (or credit_code)")
    name: str | None = Field(None, max_length=128, description="default: the registry's name of the enterprise")
    field: str | None = Field(None, max_length=32, description="领域 / 行业")
    revenue: float | None = Field(None, ge=0, description="declared revenue of the contest's revenue year, yuan")
    team_leader: str | None = Field(None, max_length=64)
    team_members: int | None = Field(None, ge=1, le=10_000)
    institution: str | None = Field(None, max_length=128)


@router.post("/{edition}/entries", response_model=EntryOut, status_code=201,
             summary="Take an entry (an enterprise by credit code, or a team): its eligibility checked against the "
                     "registry, stored with the reasons (audited)",
             responses={400: {"description": "no such enterprise in the registry, the code or the firm already "
                                             "entered, neither or both of credit_code and team_name"}})
def post_entry(request: Request, edition: str, body: EntryIn, principal: security.Contests) -> Response:
    def work() -> Response:
        form = service.EntryForm(body.code.strip(), (body.credit_code or "").strip() or None,
                                 (body.team_name or "").strip() or None, body.name, body.field, body.revenue,
                                 team_leader=body.team_leader, team_members=body.team_members,
                                 institution=body.institution)
        taken = service.enter(request.app.state.engine, principal, edition, [form], where="entry")
        return JSONResponse(_entry_out(taken[0]).model_dump(), status_code=201)
    return _answer(request, work)


class JudgeIn(BaseModel):
    username: str = Field(max_length=64, description="a user with the judge role")
    organisation: str | None = Field(None, max_length=64, description="its organisation (a credit code): "
                                                                      "entries of it are not its to judge")
    zone: str | None = Field(None, max_length=8, description="its zone, if any: entries of it are not its to judge")
    ties: list[str] = Field([], max_length=200, description="declared ties: entry codes or organisations' codes")


class JudgeOut(BaseModel):
    username: str
    organisation: str | None
    zone: str | None
    ties: list[str]


@router.post("/{edition}/judges", response_model=JudgeOut,
             summary="Name a judge of the edition, with what its conflicts of interest are decided from (again: "
                     "adds ties; audited)",
             responses={400: {"description": "no such user, a user without the judge role, no such zone"}})
def post_judge(request: Request, edition: str, body: JudgeIn, principal: security.Contests
               ) -> JudgeOut | Response:
    def work() -> JudgeOut:
        made = service.add_judge(request.app.state.engine, principal, edition, body.username.strip(),
                                 organisation=body.organisation, zone=body.zone, ties=body.ties)
        return JudgeOut(username=made.username, organisation=made.organisation, zone=made.zone_code,
                        ties=list(made.ties))
    return _answer(request, work)


class LinkIn(BaseModel):
    credit_code: str = Field(max_length=64, description="统一社会信用代码 of the enterprise the team registered")


@router.post("/{edition}/entries/{entry_code}/link", response_model=EntryOut,
             summary="Link a team's entry to the enterprise it registered since (audited; then followed as it)",
             responses={400: {"description": "not a valid credit code (GB 32100), not in the registry, the team "
                                             "already linked to another firm, or the firm already an entrant"}})
def post_link(request: Request, edition: str, entry_code: str, body: LinkIn, principal: security.ContestLinks
              ) -> EntryOut | Response:
    return _answer(request, lambda: _entry_out(service.link_team(request.app.state.engine, principal, edition,
                                                                 entry_code, body.credit_code)))


class MoveIn(BaseModel):
    stage: str = Field(max_length=32, description="a later stage's code, as in the contest's YAML")


@router.post("/{edition}/entries/{entry_code}/move", response_model=EntryOut,
             summary="Push one entry to a later stage by hand (refused, with the reasons, when it is not eligible)",
             responses={400: {"description": "not a later stage, or the entry not eligible for it (the reasons)"}})
def post_move(request: Request, edition: str, entry_code: str, body: MoveIn, principal: security.Contests
              ) -> EntryOut | Response:
    return _answer(request, lambda: _entry_out(service.move(request.app.state.engine, principal, edition,
                                                            entry_code, body.stage)))


class ScoreIn(BaseModel):
    marks: dict[str, float] = Field(description="dimension code → raw mark, every dimension of the rubric")


class ScoreOut(BaseModel):
    judge: str
    entry: str
    marks: dict[str, float]


@router.put("/{edition}/entries/{entry_code}/score", response_model=ScoreOut,
            summary="A judge's marks of an entry assigned to it (audited)",
            responses={400: {"description": "a mark outside the rubric's range or a dimension missing"}})
def put_score(request: Request, edition: str, entry_code: str, body: ScoreIn, principal: security.Judge
              ) -> ScoreOut | Response:
    def work() -> ScoreOut:
        service.score(request.app.state.engine, principal, edition, entry_code, body.marks)
        return ScoreOut(judge=principal.username, entry=entry_code, marks=body.marks)
    return _answer(request, work)


@router.get("/{edition}/scores", response_model=list[ScoreOut],
            summary="Raw scores of a stage: a judge its own, the national roles every judge's")
def get_scores(request: Request, edition: str, principal: security.ContestScores, stage: str
               ) -> list[ScoreOut] | Response:
    def work() -> list[ScoreOut]:
        return [ScoreOut(judge=s.judge, entry=s.entry, marks=dict(s.marks))
                for s in service.scores_of(request.app.state.engine, principal, edition, stage)]
    return _answer(request, work)


class ResultOut(BaseModel):
    entry: str
    rank: int
    raw_mean: float = Field(description="mean of the judges' weighted totals, uncorrected")
    value: float = Field(description="the corrected value ranked by (the rubric's z-score or trimmed mean)")
    advances: bool
    refused: list[str] = Field([], description="why it may not go on (eligibility for the next stage)")


class DecisionOut(BaseModel):
    stage: str
    next_stage: str | None
    count: int | None
    results: list[ResultOut]


def _decision(made: service.Decision) -> DecisionOut:
    return DecisionOut(stage=made.stage, next_stage=made.next_stage, count=made.count, results=[
        ResultOut(entry=r.entry, rank=r.rank, raw_mean=r.raw_mean, value=r.value, advances=r.advances,
                  refused=list(made.refused.get(r.entry, ()))) for r in made.results])


@router.get("/{edition}/results", response_model=DecisionOut,
            summary="A stage's ranking recomputed from the stored raw scores, and who would advance")
def get_results(request: Request, edition: str, principal: security.Contests, stage: str,
                count: int | None = None) -> DecisionOut | Response:
    return _answer(request, lambda: _decision(service.decision(request.app.state.engine, principal, edition,
                                                                stage, count)))


class AdvanceIn(BaseModel):
    stage: str
    count: int | None = Field(None, ge=0, description="default: the stage's `advance` in the contest YAML")
    award: str | None = Field(None, max_length=32, description="at the last stage: the award the top count get")


@router.post("/{edition}/advance", response_model=DecisionOut, summary="Rank a stage and move the entries on")
def post_advance(request: Request, edition: str, body: AdvanceIn, principal: security.Contests
                 ) -> DecisionOut | Response:
    return _answer(request, lambda: _decision(service.advance(request.app.state.engine, principal, edition,
                                                               body.stage, body.count, award=body.award)))


class CohortOut(BaseModel):
    label: str
    entrants: int
    winners: int
    became: dict[str, float] = Field(description="qualification kind → share of the cohort that gained it later")
    median_revenue_growth: float | None = Field(None, description="compound yearly, approved annual reports")
    median_rd_growth: float | None = None
    financed: float = Field(0.0, description="share financed after the contest year: equity financing reported "
                                             "on the annual form, else an incubator graduation by the financing "
                                             "criterion (> 5 million yuan; a lower bound)")
    financing_raised: float = Field(0.0, description="thousand yuan: the sum of 当年获得股权融资额 in the "
                                                     "cohort's approved reports after the contest year")
    sources: dict[str, int] = Field({}, description="entrants by where their financing figure came from: form, "
                                                    "incubation, none")


class OutcomeOut(BaseModel):
    entry: str
    credit_code: str
    zone_code: str | None
    field: str | None
    winner: bool
    became: list[str]
    last_year: int | None
    revenue_growth: float | None
    rd_growth: float | None
    financed: bool = False
    financing_raised: float | None = Field(None, description="thousand yuan after the contest year (source form)")
    financing_source: str | None = Field(None, description="form, incubation (financed, no amount: a lower "
                                                           "bound) or None (neither says anything)")
    financing_by_year: dict[int, float] = Field({}, description="year → thousand yuan (source form)")


class TrackingOut(BaseModel):
    winners: CohortOut
    others: CohortOut
    by_field: list[CohortOut]
    by_zone: list[CohortOut]
    outcomes: list[OutcomeOut]
    financing: str = Field(default=tracking.FINANCING_NOTE,
                           description="what the financing figures are, and what the store does not hold")


def _cohort(c: tracking.Cohort) -> CohortOut:
    return CohortOut(label=c.label, entrants=c.entrants, winners=c.winners, became=c.became,
                     median_revenue_growth=c.median_revenue_growth, median_rd_growth=c.median_rd_growth,
                     financed=c.financed, financing_raised=c.financing_raised, sources=c.sources)


@router.get("/{edition}/tracking", response_model=TrackingOut,
            summary="Entrants followed in later years: winners against the others, by field and by zone")
def get_tracking(request: Request, edition: str, principal: security.ContestTracking,
                 until: int | None = Query(None, ge=2000, le=2100, description="the last year followed")
                 ) -> TrackingOut | Response:
    def work() -> TrackingOut:
        made = service.track(request.app.state.engine, current_figures(request), principal, edition, until)
        return TrackingOut(winners=_cohort(made.winners), others=_cohort(made.others),
                           by_field=[_cohort(c) for c in made.by_field], by_zone=[_cohort(c) for c in made.by_zone],
                           outcomes=[OutcomeOut(entry=o.entry, credit_code=o.credit_code, zone_code=o.zone_code,
                                                field=o.field, winner=o.winner, became=list(o.became),
                                                last_year=o.last_year, revenue_growth=o.revenue_growth,
                                                rd_growth=o.rd_growth, financed=o.financed,
                                                financing_raised=o.financing_raised,
                                                financing_source=o.financing_source,
                                                financing_by_year=dict(o.financing_by_year))
                                     for o in made.outcomes])
    return _answer(request, work)


class DocumentOut(BaseModel):
    filename: str
    media_type: str = Field(description="as checked from the content, not the name")
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: str | None
    url: str


def _document_out(edition: str, entry_code: str, d: service.StoredDocument) -> DocumentOut:
    return DocumentOut(filename=d.filename, media_type=d.media_type, size=d.size, sha256=d.sha256,
                       uploaded_by=d.uploaded_by, uploaded_at=d.uploaded_at.isoformat() if d.uploaded_at else None,
                       url=f"/api/v1/contests/{edition}/entries/{entry_code}/documents/{d.sha256}")


@router.get("/{edition}/entries/{entry_code}/documents", response_model=list[DocumentOut],
            summary="An entry's documents, for whoever may read the entry (a judge: assigned to it)")
def get_documents(request: Request, edition: str, entry_code: str, principal: security.LoggedIn
                  ) -> list[DocumentOut] | Response:
    return _answer(request, lambda: [_document_out(edition, entry_code, d) for d in service.documents(
        request.app.state.engine, principal, edition, entry_code)])


async def read_document(request: Request, edition: str, file: UploadFile) -> bytes:
    """The upload's bytes, read up to one past the edition's limit (the service then names the file and refuses)."""
    limit = await run_in_threadpool(service.document_limit, request.app.state.engine, edition)
    return await file.read(min(limit, request.app.state.max_upload_bytes) + 1)


@router.post("/{edition}/entries/{entry_code}/documents", response_model=DocumentOut, status_code=201,
             summary="Attach a document to an entry: typed by its content, size-limited, hashed, audited",
             responses={400: {"description": "not what its name says, empty, too large or of a type not accepted"}})
async def post_document(request: Request, edition: str, entry_code: str, principal: security.ContestDocuments,
                        file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, .docx, .xlsx or .pptx")]
                        ) -> Response:
    from hizone.web.pages.reporting import require_multipart

    require_multipart(request)
    try:
        data = await read_document(request, edition, file)
        stored = await run_in_threadpool(service.attach, request.app.state.engine, principal, edition, entry_code,
                                         file.filename or "document", data)
    except HizoneError as exc:
        return _error(request, exc)
    return JSONResponse(_document_out(edition, entry_code, stored).model_dump(), status_code=201)


@router.get("/{edition}/entries/{entry_code}/documents/{sha256}",
            summary="One document of an entry (its bytes), for whoever may read the entry",
            responses={200: {"content": {"application/octet-stream": {}}}})
def get_document(request: Request, edition: str, entry_code: str, principal: security.LoggedIn,
                 sha256: Annotated[str, Path(pattern="^[0-9a-fA-F]{64}$")]) -> Response:
    found = _answer(request, lambda: service.document(request.app.state.engine, principal, edition, entry_code,
                                                      sha256))
    if isinstance(found, Response):
        return found
    return document_response(*found)


def document_response(stored: service.StoredDocument, content: bytes) -> Response:
    quoted = urllib.parse.quote(stored.filename)
    return Response(content, media_type=stored.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}", "X-Content-Type-Options": "nosniff"})

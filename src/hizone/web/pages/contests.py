"""Contest pages: an edition's entries (each caller its own: a zone its entrants, the national roles all, with
the ranking and the advancing form), the judge's scoring page (only the entries assigned to it), the results
export and the follow-up of entrants. Thin: hizone.contests.service asks the policy and does the work.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.auth.policy import can_attach_contest_document, can_link_contest_team, can_run_contests
from hizone.contests import service
from hizone.errors import HizoneError
from hizone.web import security
from hizone.web.pages.common import export, see_other
from hizone.web.rendering import current_figures, render
from hizone.web.services.contests import entries_table, results_table, tracking_tables
from hizone.web.services.tables import Table

router = APIRouter(include_in_schema=False)


def _refused(request: Request, exc: HizoneError) -> Response:
    status = 403 if isinstance(exc, service.AccessDenied) else 404 if isinstance(exc, service.NotFound) else 400
    return render(request, "error.html", {"status": status, "message": str(exc)}, status=status)


async def _act(request: Request, then: str, action: Callable[..., object], *args: object, **kwargs: object
               ) -> Response:
    """Run a contest action of the service (engine first) and go to ``then``; a refusal is the error page."""
    try:
        await run_in_threadpool(action, request.app.state.engine, *args, **kwargs)
    except HizoneError as exc:
        return _refused(request, exc)
    return see_other(then)


@router.get("/contests")
async def editions_page(request: Request, principal: security.LoggedIn) -> Response:
    """Every contest and edition: its current stage and the entries in the caller's scope, by stage; for the
    national roles the form loading an edition (from the catalog or uploaded YAML)."""
    made = await run_in_threadpool(service.summaries, request.app.state.engine, principal)
    catalog = await run_in_threadpool(service.catalog_names) if can_run_contests(principal) else ([], [])
    return render(request, "contests_list.html", {"summaries": made, "judge": principal.role == "judge",
                                                  "manage": can_run_contests(principal), "catalog": catalog})


async def _definition(request: Request, what: str, name: str | None, upload: UploadFile | None
                      ) -> service.Definition:
    """The form's definition: its uploaded file where one was chosen (a browser sends an empty part otherwise),
    read up to one past the upload limit, else its catalog name."""
    text = None
    if upload is not None and upload.filename:
        limit = request.app.state.max_upload_bytes
        text = await upload.read(limit + 1)
        if len(text) > limit:
            raise service.ContestError(f"larger than {limit:,} bytes", where=upload.filename)
    return service.given_definition(what, name, text, upload.filename if upload is not None else None)


@router.post("/contests")
async def load_form(request: Request, principal: security.Contests,
                    contest: Annotated[str | None, Form(max_length=64)] = None,
                    rubric: Annotated[str | None, Form(max_length=64)] = None,
                    contest_file: Annotated[UploadFile | None, File()] = None,
                    rubric_file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Load an edition: its contest and rubric YAML each uploaded or named in the catalog (audited)."""
    try:
        given = (await _definition(request, "contest", contest, contest_file),
                 await _definition(request, "rubric", rubric, rubric_file))
        loaded = await run_in_threadpool(service.load_definitions, request.app.state.engine, principal, *given)
    except HizoneError as exc:
        return _refused(request, exc)
    return see_other(f"/contests/{loaded.key}")


@router.get("/contests/{edition}/entries/{entry_code}")
async def entry_page(request: Request, principal: security.LoggedIn, edition: str, entry_code: str,
                     error: str | None = None) -> Response:
    engine = request.app.state.engine
    try:
        shown = await run_in_threadpool(service.entry, engine, principal, edition, entry_code)
        docs = await run_in_threadpool(service.documents, engine, principal, edition, entry_code)
        limit = await run_in_threadpool(service.document_limit, engine, edition)
    except HizoneError as exc:
        return _refused(request, exc)
    return render(request, "contests_entry.html", {
        "edition": edition, "entry": shown, "documents": docs, "limit_mb": limit / (1 << 20),
        "upload": can_attach_contest_document(principal, shown.credit_code),
        "link": shown.team_name is not None and shown.credit_code is None and can_link_contest_team(principal)})


@router.post("/contests/{edition}/entries/{entry_code}/documents")
async def document_form(request: Request, principal: security.ContestDocuments, edition: str, entry_code: str,
                        file: Annotated[UploadFile, File()]) -> Response:
    from hizone.web.api.v1_contests import read_document

    try:
        data = await read_document(request, edition, file)
        await run_in_threadpool(service.attach, request.app.state.engine, principal, edition, entry_code,
                                file.filename or "document", data)
    except HizoneError as exc:
        return _refused(request, exc)
    return see_other(f"/contests/{edition}/entries/{entry_code}")


@router.get("/contests/{edition}")
async def edition_page(request: Request, principal: security.LoggedIn, edition: str,
                       stage: str | None = None) -> Response:
    engine, lang = request.app.state.engine, getattr(request.state, "lang", "zh")
    try:
        info = next((e for e in await run_in_threadpool(service.editions, engine) if e.key == edition), None)
        if info is None:
            raise service.UnknownEdition(f"no contest edition '{edition}'", where="edition")
        table = await run_in_threadpool(entries_table, engine, principal, edition, lang)
        ranking: Table | str | None = None
        chosen = stage or info.stages[0].code
        if can_run_contests(principal):
            try:
                ranking, _ = await run_in_threadpool(results_table, engine, principal, edition, chosen, None, lang)
            except HizoneError as exc:
                ranking = str(exc)  # no scores yet: said on the page
    except HizoneError as exc:
        return _refused(request, exc)
    named = await run_in_threadpool(service.judges, engine, principal, edition) if can_run_contests(principal) else []
    teams = []
    if can_link_contest_team(principal):
        teams = [e for e in await run_in_threadpool(service.entries, engine, principal, edition)
                 if e.team_name is not None and e.credit_code is None]
    return render(request, "contests.html", {"info": info, "table": table, "ranking": ranking, "stage": chosen,
                                             "manage": can_run_contests(principal), "teams": teams,
                                             "judges": named,
                                             "judge": principal.role == "judge"})


@router.get("/contests/{edition}/results.xlsx")
async def results_export(request: Request, principal: security.Contests, edition: str, stage: str) -> Response:
    try:
        table, synthetic = await run_in_threadpool(results_table, request.app.state.engine, principal, edition,
                                                   stage, None, getattr(request.state, "lang", "zh"))
    except HizoneError as exc:
        return _refused(request, exc)
    return export(table, "xlsx", f"{edition} {stage}", synthetic)


@router.post("/contests/{edition}/advance")
async def advance_form(request: Request, principal: security.Contests, edition: str,
                       stage: Annotated[str, Form()], count: Annotated[int | None, Form()] = None,
                       award: Annotated[str | None, Form(max_length=32)] = None) -> Response:
    return await _act(request, f"/contests/{edition}?stage={stage}", service.advance, principal, edition, stage,
                      count, award=award or None)


@router.post("/contests/{edition}/assign")
async def assign_form(request: Request, principal: security.Contests, edition: str,
                      stage: Annotated[str, Form(max_length=32)]) -> Response:
    """Assign the rubric's N judges to every eligible entry at a stage (conflicts excluded, loads balanced)."""
    return await _act(request, f"/contests/{edition}?stage={stage}", service.assign, principal, edition, stage)


@router.post("/contests/{edition}/move")
async def move_form(request: Request, principal: security.Contests, edition: str,
                    entry: Annotated[str, Form(max_length=32)], stage: Annotated[str, Form(max_length=32)]
                    ) -> Response:
    """Push one entry to a later stage by hand: refused with the reasons when it is not eligible for it."""
    return await _act(request, f"/contests/{edition}/entries/{entry}", service.move, principal, edition, entry,
                      stage)


@router.post("/contests/{edition}/entries")
async def entry_form(request: Request, principal: security.Contests, edition: str) -> Response:
    """Take one entry (an enterprise by credit code, or a team): then its page shows the eligibility and the
    reasons."""
    form = await request.form()
    taken, wrong = service.entry_form({k: str(form.get(k) or "")[:256] for k in service.ENTRY_COLUMNS})
    if wrong:
        return _refused(request, service.ContestError("; ".join(f"{c}: {r}" for c, r in wrong), where="entry"))
    return await _act(request, f"/contests/{edition}/entries/{urllib.parse.quote(taken.code, safe='')}",
                      service.enter, principal, edition, [taken], where="entry")


@router.post("/contests/{edition}/judges")
async def judge_form(request: Request, principal: security.Contests, edition: str,
                     username: Annotated[str, Form(max_length=64)],
                     organisation: Annotated[str | None, Form(max_length=64)] = None,
                     zone: Annotated[str | None, Form(max_length=8)] = None,
                     ties: Annotated[str | None, Form(max_length=4000)] = None) -> Response:
    """Name a judge, with its organisation, zone and declared ties (one a line, or separated by commas)."""
    declared = [t for t in re.split(r"[,，、\s]+", ties or "") if t]
    return await _act(request, f"/contests/{edition}#contest-judges", service.add_judge, principal, edition,
                      username.strip(), organisation=organisation, zone=zone, ties=declared)


@router.post("/contests/{edition}/link")
async def link_form(request: Request, principal: security.ContestLinks, edition: str,
                    entry: Annotated[str, Form(max_length=32)], credit_code: Annotated[str, Form(max_length=64)]
                    ) -> Response:
    """A team's entry linked to the enterprise it registered (the contest admin page and the entry's page)."""
    return await _act(request, f"/contests/{edition}/entries/{entry}", service.link_team, principal, edition, entry,
                      credit_code)


@router.get("/contests/{edition}/score")
async def scoring_page(request: Request, principal: security.Judge, edition: str, done: str | None = None
                       ) -> Response:
    engine = request.app.state.engine
    try:
        info = next((e for e in await run_in_threadpool(service.editions, engine) if e.key == edition), None)
        if info is None:
            raise service.UnknownEdition(f"no contest edition '{edition}'", where="edition")
        mine = await run_in_threadpool(service.entries, engine, principal, edition)
        scored: dict[str, dict[str, float]] = {}
        for stage in {e.stage for e in mine}:
            for s in await run_in_threadpool(service.scores_of, engine, principal, edition, stage):
                scored[s.entry] = dict(s.marks)
    except HizoneError as exc:
        return _refused(request, exc)
    return render(request, "contests_score.html", {"info": info, "entries": mine, "scored": scored, "done": done,
                                                   "error": None})


@router.post("/contests/{edition}/score")
async def score_form(request: Request, principal: security.Judge, edition: str,
                     entry: Annotated[str, Form(max_length=32)]) -> Response:
    form = await request.form()
    try:
        rubric = await run_in_threadpool(service.rubric_of, request.app.state.engine, edition)
        marks: dict[str, float] = {}
        for d in rubric.dimensions:
            raw = str(form.get(f"mark_{d.code}", "")).strip()
            try:
                marks[d.code] = float(raw)
            except ValueError:
                raise service.ContestError(f"{d.name_zh}: '{raw}' is not a number", where=d.code) from None
        await run_in_threadpool(service.score, request.app.state.engine, principal, edition, entry, marks)
    except HizoneError as exc:
        return _refused(request, exc)
    return see_other(f"/contests/{edition}/score?done={entry}")


@router.get("/contests/{edition}/tracking.xlsx")
async def tracking_export(request: Request, principal: security.ContestTracking, edition: str,
                          until: int | None = None) -> Response:
    """The follow-up as a workbook: the cohorts, and each entrant with its financing and that figure's source."""
    try:
        cohorts, entrants, synthetic = await run_in_threadpool(
            tracking_tables, request.app.state.engine, current_figures(request), principal, edition, until,
            getattr(request.state, "lang", "zh"))
    except HizoneError as exc:
        return _refused(request, exc)
    return export(cohorts, "xlsx", f"{edition} tracking", synthetic, more=[entrants])


@router.get("/contests/{edition}/tracking")
async def tracking_page(request: Request, principal: security.ContestTracking, edition: str,
                        until: int | None = None) -> Response:
    try:
        made = await run_in_threadpool(service.track, request.app.state.engine, current_figures(request), principal,
                                       edition, until)
    except HizoneError as exc:
        return _refused(request, exc)
    return render(request, "contests_tracking.html", {"edition": edition, "report": made, "until": until})

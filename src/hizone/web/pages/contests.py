"""Contest pages: an edition's entries (each caller its own: a zone its entrants, the national roles all, with
the ranking and the advancing form), the judge's scoring page (only the entries assigned to it), the results
export and the follow-up of entrants. Thin: hizone.contests.service asks the policy and does the work.
"""

from __future__ import annotations

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
    """Every contest and edition: its current stage and the entries in the caller's scope, by stage."""
    made = await run_in_threadpool(service.summaries, request.app.state.engine, principal)
    return render(request, "contests_list.html", {"summaries": made, "judge": principal.role == "judge"})


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
    teams = []
    if can_link_contest_team(principal):
        teams = [e for e in await run_in_threadpool(service.entries, engine, principal, edition)
                 if e.team_name is not None and e.credit_code is None]
    return render(request, "contests.html", {"info": info, "table": table, "ranking": ranking, "stage": chosen,
                                             "manage": can_run_contests(principal), "teams": teams,
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

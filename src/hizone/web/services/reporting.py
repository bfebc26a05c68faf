"""数据填报 behind the pages: upload and validate through hizone.intake, the approval queue, completeness,
templates and revision history, each limited to the caller's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hizone.auth import Principal, can_read_zone, can_review, data_scope, duty_refusal, may_submit_form
from hizone.auth.policy import entities_acted_on
from hizone.catalog import default_catalog
from hizone.errors import Conflict, HizoneError
from hizone.intake.completeness import CompletenessReport, completeness
from hizone.intake.errors_report import Issue, ValidationReport
from hizone.intake.readers import Limits
from hizone.intake.registration import SHOWN
from hizone.intake.service import (
    ImportResult,
    RevisionDiff,
    SubmissionView,
    TransitionResult,
    batch_diff,
    build_context,
    duties_separated,
    import_file,
    list_submissions,
    revision_diff,
    submitted_by,
    transition,
    workflow_of,
)
from hizone.intake.template import build_template
from hizone.intake.validate import prepare, validate_sheet
from hizone.intake.worker import read_in_worker
from hizone.online.calendar import Status, local_date
from hizone.registry.outside import with_outside
from hizone.store.models import ImportBatch, Province, Submission, Zone
from hizone.web.i18n import translate
from hizone.web.services.kept import KeptStore
from hizone.web.services.tables import Column, Table, check_export_size

UPLOAD_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".csv", ".json")
RECENT_ON_PAGE = 20
CHANGES_ON_PAGE = 50
ENTITIES_ON_PAGE = 200  # the page's follow-up list; its export has every reporter
FOLLOW_UP_ORDER = {Status.MISSING: 0, Status.LATE: 1, Status.OPEN: 2, Status.NOT_OPEN: 3, Status.ON_TIME: 4}


def forms_for(principal: Principal) -> list[str]:
    """The report forms the caller may send (enterprises their annual report, zones also their monthly one)."""
    return [code for code, versions in default_catalog().forms.items()
            if may_submit_form(principal, versions[-1].entity)]


@dataclass
class Upload:
    result: ImportResult
    report_id: str | None  # the error workbook's id, when the file had problems
    diffs: list[RevisionDiff]


@dataclass(frozen=True)
class KeptReport:
    """A validation report kept for its uploader: the workbook with the problems marked, and the problems."""

    owner: str
    name: str
    workbook: bytes
    issues: list[Issue]


def _own_rows_only(engine: Engine, principal: Principal, data: bytes, name: str, form: str, period: str,
                   limits: Limits) -> None:
    """An enterprise may report only for itself: refuse a file with any other enterprise's row."""
    allowed = entities_acted_on(principal)
    if allowed is None:
        return
    catalog = default_catalog()
    rules, canonical = prepare(form, period, dt.date.today(), catalog)
    raw = read_in_worker(data, rules, catalog, name=name, limits=limits)
    with engine.connect() as conn:
        context = build_context(conn, rules, canonical, principal, dt.date.today())
    _, batch = validate_sheet(raw, rules, canonical, context, catalog)
    others = sorted({str(k) for k in batch.entity_keys if k and str(k) not in allowed})
    if others:
        raise HizoneError(f"an enterprise account may only report for itself ({principal.credit_code}); "
                          f"the file also has {', '.join(others[:3])}", where=name)


def upload(engine: Engine, principal: Principal, kept: KeptStore[KeptReport], data: bytes, name: str, form: str,
           period: str, submit: bool, confirm_warnings: bool, limits: Limits) -> Upload:
    if form not in forms_for(principal):
        raise HizoneError(f"your role does not submit form '{form}'", where="form")
    _own_rows_only(engine, principal, data, name, form, period, limits)
    result = import_file(engine, data, form, period, principal, name=name, submit=submit,
                         confirm_warnings=confirm_warnings, limits=limits)
    report_id = None
    if result.report is not None and result.report.issues:
        report_id = kept.put(KeptReport(principal.username, name, result.report.to_xlsx(), result.report.issues))
    diffs = batch_diff(engine, result.batch_id) if result.stored and result.batch_id else []
    return Upload(result, report_id, diffs)


def issues_of(report: ValidationReport | None) -> list[dict[str, object]]:
    if report is None:
        return []
    return [{"severity": i.severity, "cell": i.cell, "row": i.row, "column": i.column, "field": i.field,
             "value": i.value, "rule": i.rule, "zh": i.message_zh, "en": i.message_en} for i in report.issues]


def issues_table(issues: list[Issue], lang: str) -> Table:
    """The problems of an upload as the reporting page shows them and its exports write them."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("severity", t("report.severity")), Column("file", t("report.file")),
               Column("sheet", t("report.sheet")), Column("row", t("report.row"), "int"),
               Column("column", t("report.column")), Column("field", t("report.field")),
               Column("value", t("report.value")), Column("rule", t("report.rule")),
               Column("message_zh", t("report.message_zh")), Column("message_en", t("report.message_en"))]
    rows: list[dict[str, object]] = [
        {"severity": t(f"report.sev.{i.severity}"), "file": i.file, "sheet": i.sheet, "row": i.row, "column": i.column,
         "field": i.field, "value": i.value, "rule": i.rule, "message_zh": i.message_zh, "message_en": i.message_en}
        for i in issues]
    return Table("issues", columns, rows)


def _zones_in_scope(engine: Engine, principal: Principal) -> dict[str, str]:
    """The zones the principal may read, each with its province."""
    with Session(engine) as session:
        provinces = with_outside(dict(session.execute(select(Zone.code, Zone.province_code)).all()),
                                 session.scalars(select(Province.code)))
        return {code: prov for code, prov in provinces.items() if can_read_zone(principal, code, prov)}


@dataclass(frozen=True)
class QueueItem:
    form: str
    period: str
    zone_code: str
    state: str
    count: int
    actions: tuple[str, ...] = ()  # the steps the caller may take on them (auth policy, the form's workflow)
    own: int = 0  # how many of them the caller wrote itself: a step over the group leaves those to another reviewer
    refused: tuple[tuple[str, str], ...] = ()  # (step, why): steps its role takes, refused as it wrote them all


# The steps a report in each state can take next, in the order the queue offers them.
NEXT_STEPS = {"submitted": ("review", "return"), "reviewed": ("approve", "return")}


def next_steps(principal: Principal, form: str, period: str, zone_code: str, province_code: str,
               state: str) -> tuple[str, ...]:
    """The workflow steps the principal may take on a report in ``state`` of that zone (its form's workflow)."""
    chain = workflow_of(form, period)
    return tuple(a for a in NEXT_STEPS.get(state, ())
                 if can_review(principal, zone_code, province_code, chain, a))


def refused_steps(principal: Principal, form: str, period: str, steps: Sequence[str],
                  writers: Collection[str]) -> dict[str, str]:
    """Of ``steps``, those the principal may not take on a revision ``writers`` wrote (the separation of duties,
    auth policy ``duty_refusal``), each with why."""
    chain, separate = workflow_of(form, period), duties_separated(form, period)
    found = {a: duty_refusal(principal, a, chain, writers, separate) for a in steps}
    return {a: why for a, why in found.items() if why is not None}


def queue_table(items: list[QueueItem], lang: str) -> Table:
    """The approval queue; ``actions`` (not a column) are the steps a row offers its reader."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("form", t("report.form")), Column("period", t("report.period")),
               Column("zone_code", t("zones.code")), Column("state", t("report.state")),
               Column("count", t("report.count"), "int")]
    rows: list[dict[str, object]] = [
        {"form": q.form, "period": q.period, "zone_code": q.zone_code, "state": t(f"state.{q.state}"),
         "state_code": q.state, "count": q.count, "actions": q.actions, "own": q.own,
         "refused": [(a, translate(f"online.own_step.{a}", lang)) for a, _ in q.refused]} for q in items]
    return Table("queue", columns, rows)


def queue(engine: Engine, principal: Principal) -> list[QueueItem]:
    """Latest revisions waiting for review or approval in the caller's scope, grouped by form/period/zone, with
    how many of each group the caller wrote itself (stored or submitted: not its to accept)."""
    zones = _zones_in_scope(engine, principal)
    mine = submitted_by(engine, principal.username)
    groups: dict[tuple[str, str, str, str], int] = {}
    own: dict[tuple[str, str, str, str], int] = {}
    for state in ("submitted", "reviewed"):
        for view in list_submissions(engine, state=state):
            if view.zone_code in zones:
                key = (view.form_code, view.period, view.zone_code, state)
                groups[key] = groups.get(key, 0) + 1
                if view.created_by == principal.username or \
                        (view.form_code, view.period, view.entity_key, view.batch_id) in mine:
                    own[key] = own.get(key, 0) + 1
    items = []
    for (f, p, z, s), n in sorted(groups.items()):
        steps = next_steps(principal, f, p, z, zones[z], s)
        filed = own.get((f, p, z, s), 0) if duties_separated(f, p) else 0  # the caller's to accept where not
        refused = refused_steps(principal, f, p, steps, {principal.username}) if filed == n else {}
        items.append(QueueItem(f, p, z, s, n, tuple(a for a in steps if a not in refused), filed,
                               tuple(refused.items())))
    return items


def act(engine: Engine, principal: Principal, action: str, form: str, period: str, zone_code: str | None,
        comment: str | None) -> TransitionResult:
    if zone_code and zone_code not in _zones_in_scope(engine, principal):
        raise HizoneError(f"zone '{zone_code}' is outside your scope", where="zone_code")
    return transition(engine, action, principal, form=form, period=period, zone_code=zone_code or None,
                      comment=comment)


def step_on(engine: Engine, principal: Principal, submission_id: int, action: str,
            comment: str | None) -> TransitionResult:
    """A workflow step on one revision (the API's): only the report's latest revision moves (an earlier one is
    history), by ``transition`` with its checks (role, scope, state, the separation of duties)."""
    with Session(engine) as session:
        row = session.get(Submission, submission_id)
        if row is None:
            raise HizoneError(f"no submission '{submission_id}'", where="submission_id")
        latest = session.scalar(select(func.max(Submission.revision)).where(
            Submission.form_code == row.form_code, Submission.period == row.period,
            Submission.entity_key == row.entity_key))
        form, period, key, revision = row.form_code, row.period, row.entity_key, row.revision
    if revision != latest:
        raise Conflict(f"submission {submission_id} is revision {revision} of {key}'s {form} {period}; "
                         f"revision {latest} is the latest, and only the latest takes a step",
                         where="submission_id")
    return transition(engine, action, principal, form=form, period=period, entity_keys=[key], comment=comment)


def completeness_in_scope(engine: Engine, principal: Principal, form: str, period: str,
                          today: dt.date | None = None) -> CompletenessReport:
    report = completeness(engine, form, period, today=today)
    zones = _zones_in_scope(engine, principal)
    report.zones = [z for z in report.zones if z.zone_code in zones]
    report.entities = [e for e in report.entities if e.zone_code in zones]
    return report


def completeness_table(report: CompletenessReport, lang: str) -> Table:
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("zone_code", t("zones.code")), Column("zone_name", t("zones.name")),
               Column("expected", t("report.expected"), "int"), Column("reported", t("report.reported"), "int"),
               Column("on_time", t("report.on_time"), "int"), Column("late", t("report.late"), "int"),
               Column("missing", t("report.missing"), "int"), Column("pending", t("calendar.pending"), "int"),
               Column("share", "%", "number")]
    rows: list[dict[str, object]] = [
        {"zone_code": z.zone_code, "zone_name": z.zone_name, "expected": z.expected, "reported": z.reported,
         "on_time": z.on_time, "late": z.late, "missing": z.missing, "pending": z.pending,
         "share": 100 * z.reported / z.expected if z.expected else None} for z in report.zones]
    return Table("completeness", columns, rows)


def timeliness_table(report: CompletenessReport, lang: str, limit: int | None = ENTITIES_ON_PAGE) -> Table:
    """Per reporter: its timeliness, the days late (or overdue, or left), its first report and latest state;
    the late and the missing first, the most overdue first (who to follow up)."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("zone_code", t("zones.code")), Column("entity_key", t("calendar.entity")),
               Column("name", t("zones.name")), Column("status", t("calendar.status")),
               Column("days", t("calendar.days"), "int"), Column("first_received", t("calendar.first_received")),
               Column("state", t("calendar.state"))]
    ordered = sorted(report.entities, key=lambda e: (FOLLOW_UP_ORDER[e.status], -e.days, e.zone_code, e.entity_key))
    rows: list[dict[str, object]] = [
        {"zone_code": e.zone_code, "entity_key": e.entity_key, "name": e.name, "status": t(f"calendar.{e.status}"),
         "days": e.days if e.status is not Status.ON_TIME else None,
         "first_received": local_date(e.first_received).isoformat() if e.first_received else None,
         "state": e.state} for e in ordered[:limit]]
    return Table("timeliness", columns, rows)


def recent(engine: Engine, principal: Principal, limit: int | None = RECENT_ON_PAGE) -> list[SubmissionView]:
    """The caller's latest submissions, newest first (its own entity for enterprises, its zones otherwise);
    all of them without ``limit``."""
    scope = data_scope(principal)
    if scope.credit_code is not None:
        views = list_submissions(engine, entity_key=scope.credit_code)
    elif scope.zone_code is not None:
        views = list_submissions(engine, zone_code=scope.zone_code)
    else:
        zones = _zones_in_scope(engine, principal)
        views = [v for v in list_submissions(engine, state="submitted") if v.zone_code in zones]
    newest = sorted(views, key=lambda v: v.id, reverse=True)
    if limit is None:
        check_export_size(len(newest), "reports", "ask a national analyst for a filtered extract")
        return newest
    return newest[:limit]


def history_url(form: str, entity_key: str, period: str) -> str:
    return f"/reporting/history/{form}/{entity_key}/{period}"


def recent_table(views: list[SubmissionView], lang: str) -> Table:
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("id", "#", "int"), Column("form", t("report.form")), Column("entity", t("report.entity"), "link"),
               Column("period", t("report.period")), Column("revision", t("report.revision"), "int"),
               Column("state", t("report.state"))]
    rows: list[dict[str, object]] = [
        {"id": v.id, "form": v.form_code, "entity": v.entity_key,
         "entity_href": history_url(v.form_code, v.entity_key, v.period), "period": v.period,
         "revision": v.revision, "state": t(f"state.{v.state}")} for v in views]
    return Table("recent", columns, rows)


def changes_table(diffs: list[RevisionDiff], lang: str) -> Table:
    """What an upload changed: per new revision, the one it replaced and how many values differ."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("entity", t("report.entity"), "link"), Column("old_revision", t("report.old_revision"), "int"),
               Column("new_revision", t("report.new_revision"), "int"),
               Column("changes", t("report.change_count"), "int")]
    rows: list[dict[str, object]] = [
        {"entity": d.entity_key, "entity_href": history_url(d.form, d.entity_key, d.period),
         "old_revision": d.old_revision, "new_revision": d.new_revision, "changes": len(d.changes)} for d in diffs]
    return Table("changes", columns, rows)


def batch_owner(engine: Engine, batch_id: int) -> str | None:
    """Who imported a batch (None when there is no such batch)."""
    with Session(engine) as session:
        return session.scalar(select(ImportBatch.created_by).where(ImportBatch.id == batch_id))


def history(engine: Engine, form: str, entity_key: str, period: str) -> list[RevisionDiff]:
    """Every revision of one report with what it changed against the one before."""
    views = list_submissions(engine, form=form, entity_key=entity_key, period=period, history=True)
    return [revision_diff(engine, form, entity_key, period, v.revision) for v in views]


def history_table(diffs: list[RevisionDiff], lang: str) -> Table:
    """Every revision of one report, newest first, one row per changed value (a revision without changes
    keeps one row saying so)."""
    t = lambda key: translate(key, lang)  # noqa: E731
    elements = default_catalog().elements
    columns = [Column("revision", t("report.revision"), "int"), Column("old_revision", t("report.vs"), "int"),
               Column("element", t("report.element")), Column("indicator", t("profile.indicator")),
               Column("old", t("report.old"), "number"), Column("new", t("report.new"), "number")]
    rows: list[dict[str, object]] = []
    for diff in reversed(diffs):
        base: dict[str, object] = {"revision": diff.new_revision, "old_revision": diff.old_revision}
        if not diff.changes:
            rows.append(base | {"indicator": t("report.no_changes")})
        for change in diff.changes:
            element = elements.get(change.element)
            name = (element.name_en if lang == "en" else element.name_zh) if element else change.element
            rows.append(base | {"element": change.element, "indicator": name, "old": change.old, "new": change.new})
    return Table("history", columns, rows)


def upload_summary(result: ImportResult, lang: str) -> str:
    """What an upload did, in the page's language, from the result's fields (intake's summary() is English)."""
    report = result.report
    errors, warnings = (report.error_count, report.warning_count) if report is not None else (0, 0)
    text = translate(f"report.summary.{result.status}", lang, batch=result.batch_id, created=result.created,
                     unchanged=result.unchanged, errors=errors, warnings=warnings)
    if result.stored and warnings:
        text += translate("report.summary.confirmed", lang, warnings=warnings)
    for zh, en in report.omitted_lines() if report is not None else []:
        text += " " + (en if lang == "en" else zh)
    registered, updated = result.registered_enterprises(), result.updated_enterprises()
    if registered:
        text += translate("report.summary.registered", lang, count=len(registered),
                          names="、".join(f"{r.name}（{r.credit_code}）" for r in registered[:SHOWN])
                          + ("…" if len(registered) > SHOWN else ""))
    if updated:
        text += translate("report.summary.updated", lang, count=len(updated),
                          codes="、".join(updated[:SHOWN]) + ("…" if len(updated) > SHOWN else ""))
    return text


def template(engine: Engine, form: str, year: int) -> bytes:
    with Session(engine) as session:
        zones = [(code, name) for code, name in session.execute(select(Zone.code, Zone.name_zh).order_by(Zone.code))]
    return build_template(form, year, zones)

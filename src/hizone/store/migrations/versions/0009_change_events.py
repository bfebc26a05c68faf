"""store: the change sequence (``change_event``), which replaces the audit rows of imports and state changes

Backfilled in time order: an event per import batch (its audited state, or the state its revisions had before
their first audited change), an event per audited state change, and, for a revision whose state the audit
does not explain (written without the workflow), an event taking it to the state it has: replayed, the events
give every revision the state the store holds. The audit rows they replace go; a downgrade puts them back.

Revision ID: 0009
Revises: 0008
"""

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS = ("submit", "review", "approve", "return")
_AT = sa.DateTime(timezone=True)
_EVENT = sa.table("change_event", sa.column("seq", sa.Integer()), sa.column("at", _AT), sa.column("actor"),
                  sa.column("actor_role"), sa.column("kind"), sa.column("form_code"), sa.column("entity_key"),
                  sa.column("period"), sa.column("batch_id"), sa.column("from_state"), sa.column("to_state"),
                  sa.column("detail", sa.JSON()))
_AUDIT = sa.table("audit_log", sa.column("id", sa.Integer()), sa.column("at", _AT), sa.column("actor"),
                  sa.column("action"), sa.column("object_kind"), sa.column("object_id"), sa.column("detail", sa.JSON()))
_BATCH = sa.table("import_batch", sa.column("id", sa.Integer()), sa.column("form_code"), sa.column("period"),
                  sa.column("created_by"), sa.column("created_at", _AT), sa.column("row_count", sa.Integer()))
_SUBMISSION = sa.table("submission", sa.column("id", sa.Integer()), sa.column("batch_id", sa.Integer()),
                       sa.column("entity_key"), sa.column("revision", sa.Integer()), sa.column("state"),
                       sa.column("form_code"), sa.column("period"))


def _migrated_audit() -> sa.ColumnElement[bool]:
    return sa.or_(sa.and_(_AUDIT.c.object_kind == "import_batch", _AUDIT.c.action == "import"),
                  sa.and_(_AUDIT.c.object_kind == "submission", _AUDIT.c.action.in_(_ACTIONS)))


def _event(at: Any, actor: str, role: str | None, kind: str, form: str, entity: str | None, period: str,
           batch: int | None, from_state: str | None, to_state: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "actor": actor, "actor_role": role, "kind": kind, "form_code": form, "entity_key": entity,
            "period": period, "batch_id": batch, "from_state": from_state, "to_state": to_state, "detail": detail}


def _utc(at: dt.datetime) -> dt.datetime:
    """A time comparable with any other: rows written by different versions carry an offset or none (UTC)."""
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def _backfill(conn: sa.Connection) -> None:
    audits = conn.execute(sa.select(_AUDIT).where(_migrated_audit()).order_by(_AUDIT.c.id)).all()
    imports = {int(a.object_id): a for a in audits if a.object_kind == "import_batch"}
    changes: dict[int, list[Any]] = {}
    for a in audits:
        if a.object_kind == "submission":
            changes.setdefault(int(a.object_id), []).append(a)
    submissions = conn.execute(sa.select(_SUBMISSION.c.id, _SUBMISSION.c.batch_id, _SUBMISSION.c.state,
                                         _SUBMISSION.c.entity_key, _SUBMISSION.c.revision, _SUBMISSION.c.form_code,
                                         _SUBMISSION.c.period)).all()
    first_states: dict[int, Counter[str]] = {}
    for s in submissions:
        first = changes[s.id][0].detail.get("from", s.state) if s.id in changes else s.state
        first_states.setdefault(s.batch_id, Counter())[first] += 1
    timed: list[tuple[Any, int, dict[str, Any]]] = []  # (when, order within the same time, event)
    written: dict[int, str] = {}
    for b in conn.execute(sa.select(_BATCH)).all():
        audit = imports.get(b.id)
        detail = dict(audit.detail) if audit is not None else {"rows": b.row_count, "backfilled": True}
        state = detail.pop("state", None) or (first_states[b.id].most_common(1)[0][0] if b.id in first_states
                                              else "draft")
        for key in ("form", "period"):
            detail.pop(key, None)
        role = detail.pop("role", None)
        written[b.id] = state
        timed.append((audit.at if audit is not None else b.created_at, 0, _event(
            audit.at if audit is not None else b.created_at, audit.actor if audit is not None else b.created_by,
            role, "submission_written", b.form_code, None, b.period, b.id, None, state,
            {"action": "import", **detail})))
    by_id = {s.id: s for s in submissions}
    replayed = {s.id: written.get(s.batch_id) for s in submissions}
    for a in audits:
        if a.object_kind != "submission" or int(a.object_id) not in by_id:
            continue
        s, d = by_id[int(a.object_id)], a.detail
        replayed[s.id] = d.get("to")
        extra = {"comment": d["comment"]} if d.get("comment") else {}
        timed.append((a.at, 1, _event(a.at, a.actor, d.get("role"), "state_changed", d.get("form", ""), s.entity_key,
                                      d.get("period", ""), s.batch_id, d.get("from"), d.get("to"),
                                      {"action": a.action, "submission": s.id, "revision": s.revision, **extra})))
    timed.sort(key=lambda t: (_utc(t[0]), t[1]))
    events = [e for _, _, e in timed]
    _explain_the_rest(submissions, replayed, events)
    for seq, event in enumerate(events, 1):
        event["seq"] = seq
    for start in range(0, len(events), 5000):
        conn.execute(sa.insert(_EVENT), events[start:start + 5000])
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('change_event', 'seq'), "
                             "coalesce(max(seq), 0) + 1, false) FROM change_event")
    conn.execute(sa.delete(_AUDIT).where(_migrated_audit()))


def _explain_the_rest(submissions: Sequence[Any], replayed: dict[int, str | None],
                      events: list[dict[str, Any]]) -> None:
    """A last event for each revision whose replayed state is not the one it has."""
    for s in submissions:
        if replayed[s.id] != s.state:
            events.append(_event(events[-1]["at"], "migration", None, "state_changed", s.form_code, s.entity_key,
                                 s.period, s.batch_id, replayed[s.id], s.state,
                                 {"action": "backfill", "submission": s.id, "revision": s.revision}))


def upgrade() -> None:
    op.create_table(
        "change_event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("form_code", sa.String(length=32), nullable=False),
        sa.Column("entity_key", sa.String(length=18), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_change_event_at", "change_event", ["at"], unique=False)
    _backfill(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    rows = []
    for e in conn.execute(sa.select(_EVENT).order_by(_EVENT.c.seq)).all():
        detail = dict(e.detail)
        action = detail.pop("action")
        if detail.pop("backfilled", False) or action == "backfill":
            continue  # the store had no audit row for it
        if e.kind == "submission_written":
            rows.append({"at": e.at, "actor": e.actor, "action": action, "object_kind": "import_batch",
                         "object_id": str(e.batch_id), "detail": {**detail, "form": e.form_code, "period": e.period,
                                                                  "state": e.to_state, "role": e.actor_role}})
        else:
            rows.append({"at": e.at, "actor": e.actor, "action": action, "object_kind": "submission",
                         "object_id": str(detail["submission"]),
                         "detail": {"from": e.from_state, "to": e.to_state, "comment": detail.get("comment"),
                                    "form": e.form_code, "period": e.period, "entity": e.entity_key,
                                    "revision": detail["revision"], "role": e.actor_role}})
    for start in range(0, len(rows), 5000):
        conn.execute(sa.insert(_AUDIT), rows[start:start + 5000])
    op.drop_index("ix_change_event_at", table_name="change_event")
    op.drop_table("change_event")

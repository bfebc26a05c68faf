"""The change sequence: every write and state change an event, numbered in commit order; states replay from it;
the migration backfills it from an older store's audit rows."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, select, text, update

from hizone.auth.policy import Principal
from hizone.intake.service import audit_trail, import_file, transition
from hizone.store import downgrade, upgrade
from hizone.store.changes import STATE_CHANGED, WRITTEN, Revision, Who, change_states, replayed_states
from hizone.store.models import AuditLog, ChangeEvent, Submission
from tests.intake.factory import TODAY, csv_bytes, good_rows, seed_registry

FORM = "enterprise_annual"
PROVINCE = Principal("bj", "province", province_code="11")


def _states(engine: Engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        return {sid: state for sid, state in conn.execute(select(Submission.id, Submission.state))}


def _replayed(engine: Engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        return replayed_states(conn)


def _events(engine: Engine) -> list[tuple[int, str, str | None, str | None, str | None, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            ChangeEvent.seq, ChangeEvent.kind, ChangeEvent.from_state, ChangeEvent.to_state, ChangeEvent.actor_role,
            ChangeEvent.actor).order_by(ChangeEvent.seq))]


def _import_and_move(engine: Engine) -> list[str]:
    codes = seed_registry(engine, 6)
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", submit=True, today=TODAY)
    transition(engine, "review", PROVINCE, form=FORM, period="2021", zone_code="Z1101")
    transition(engine, "approve", Principal("torch", "admin"), form=FORM, period="2021", zone_code="Z1101")
    transition(engine, "return", PROVINCE, form=FORM, period="2021", zone_code="Z1102", comment="核实营业收入")
    return codes


def test_every_write_and_state_change_is_an_event_and_the_events_replay_to_the_states(engine: Engine) -> None:
    _import_and_move(engine)
    events = _events(engine)
    assert [e[0] for e in events] == list(range(1, len(events) + 1))
    assert events[0][1:] == (WRITTEN, None, "submitted", "admin", "alice")
    # Z1101 holds 2 of the 6 enterprises: reviewed then approved; Z1102's 2 returned.
    assert [e[1:5] for e in events[1:]] == [(STATE_CHANGED, "submitted", "reviewed", "province")] * 2 + \
        [(STATE_CHANGED, "reviewed", "approved", "admin")] * 2 + [(STATE_CHANGED, "submitted", "returned",
                                                                  "province")] * 2
    assert _replayed(engine) == _states(engine)
    assert sorted(str(s) for s in _states(engine).values()) == ["approved", "approved", "returned", "returned",
                                                                "submitted", "submitted"]


def test_the_audit_log_reads_the_events(engine: Engine) -> None:
    codes = _import_and_move(engine)
    trail = audit_trail(engine)
    assert [e.action for e in trail] == ["import"] + ["review"] * 2 + ["approve"] * 2 + ["return"] * 2
    returned = trail[-1]
    assert returned.object_kind == "submission" and returned.actor == "bj"
    assert returned.detail["comment"] == "核实营业收入" and returned.detail["role"] == "province"
    assert (returned.detail["from"], returned.detail["to"], returned.detail["period"]) == ("submitted", "returned",
                                                                                         "2021")
    assert returned.detail["entity"] in codes
    assert trail[0].object_kind == "import_batch" and trail[0].detail["rows"] == 6


def test_the_migration_backfills_the_events_from_the_audit_and_a_downgrade_puts_the_audit_back(
        engine: Engine) -> None:
    _import_and_move(engine)
    before = [(e.action, e.object_kind, e.object_id, e.detail) for e in audit_trail(engine)]
    states = _states(engine)
    downgrade(engine, "0007")
    with engine.begin() as conn:
        imports = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'import'")).scalar_one()
        assert imports == 1
        # A revision moved without the workflow (no audit row): the backfill must still explain its state.
        moved = conn.execute(text("SELECT min(id) FROM submission WHERE state = 'submitted'")).scalar_one()
        conn.execute(update(Submission).where(Submission.id == moved).values(state="reviewed"))
    states[moved] = "reviewed"
    upgrade(engine)
    assert _replayed(engine) == states == _states(engine)
    with engine.connect() as conn:
        assert conn.scalar(select(AuditLog.id).where(AuditLog.action.in_(["import", "review"]))) is None
    after = [(e.action, e.object_kind, e.object_id, e.detail) for e in audit_trail(engine)]
    assert after[:len(before)] == before and [a[0] for a in after[len(before):]] == ["backfill"]
    events = _events(engine)
    assert [e[0] for e in events] == list(range(1, len(events) + 1))


def test_concurrent_writers_on_postgresql_get_distinct_numbers_in_commit_order(postgres_engine: Engine) -> None:
    """A number is visible only when every smaller one is: a transaction holding an unfinished append keeps the
    next writer waiting, so a reader that has seen N has seen everything before N. (PostgreSQL only: SQLite
    writes one transaction at a time.)"""
    engine = postgres_engine
    codes = seed_registry(engine, 30)  # 10 enterprises in each of Z1101, Z1102, Z3101
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", submit=True, today=TODAY)
    with engine.connect() as conn:
        first = conn.execute(select(Submission.id, Submission.entity_key, Submission.revision, Submission.state,
                                    Submission.batch_id).order_by(Submission.id).limit(1)).one()
    holder = engine.connect()
    holder.begin()
    (held,) = change_states(holder, Who("holder", "admin"), "review", FORM, "2021", [Revision(*first)], "reviewed")
    done: list[int] = []
    waiter = threading.Thread(target=lambda: done.append(len(transition(
        engine, "review", PROVINCE, form=FORM, period="2021", zone_code="Z1102").submission_ids)))
    waiter.start()
    with engine.connect() as watcher:
        for _ in range(600):  # until PostgreSQL reports the writer waiting for the lock (at most a minute)
            waiting = watcher.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                           "AND NOT granted")).scalar_one()
            if waiting:
                break
            threading.Event().wait(0.1)
        assert waiting == 1 and not done
        assert watcher.execute(select(ChangeEvent.seq).where(ChangeEvent.seq > 1)).all() == []
    holder.commit()
    holder.close()
    waiter.join()
    assert done == [10]
    events = _events(engine)
    numbers = [e[0] for e in events]
    assert len(set(numbers)) == len(numbers) == 12 and numbers == sorted(numbers)
    assert events[1][0] == held and {e[5] for e in events[2:]} == {"bj"}

    threads = [threading.Thread(target=transition, args=(engine, action, actor), kwargs={
        "form": FORM, "period": "2021", "zone_code": zone}) for action, actor, zone in (
        ("review", PROVINCE, "Z1101"), ("review", Principal("sh", "province", province_code="31"), "Z3101"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = _events(engine)
    numbers = [e[0] for e in events]
    assert len(set(numbers)) == len(numbers) == 12 + 9 + 10
    by_actor = [e[5] for e in events[12:]]
    # Each transaction's events are one unbroken run of numbers: appends do not interleave.
    assert sorted(by_actor) == by_actor or sorted(by_actor, reverse=True) == by_actor

"""The store side on SQLite and PostgreSQL: one transaction per file, revisions, no-ops, diffs, locking."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from hizone.auth.policy import Principal
from hizone.errors import HizoneError
from hizone.intake.service import (
    ImportResult,
    batch_diff,
    import_file,
    list_submissions,
    revision_diff,
    submission_history,
    transition,
    validate_file,
)
from hizone.store.models import ChangeEvent, ImportBatch, Submission
from tests.intake.factory import TODAY, credit_code, csv_bytes, good_rows, seed_registry, xlsx_bytes

FORM = "enterprise_annual"


def snapshot(engine: Engine) -> tuple[int, int, int, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Submission.entity_key, Submission.revision, Submission.state)
                            .order_by(Submission.id)).all()
        return (conn.scalar(select(func.count()).select_from(ImportBatch)) or 0,
                conn.scalar(select(func.count()).select_from(Submission)) or 0,
                conn.scalar(select(func.count()).select_from(ChangeEvent)) or 0, [tuple(r) for r in rows])


def test_a_clean_file_is_stored_as_one_revision_per_row(engine: Engine) -> None:
    codes = seed_registry(engine, 4)
    result = import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", name="a.csv", today=TODAY)
    assert result.status == "stored", result.report and result.report.errors
    assert (result.created, result.unchanged) == (4, 0)
    stored = list_submissions(engine, form=FORM, period="2021")
    assert [s.entity_key for s in stored] == sorted(codes)
    first = next(s for s in stored if s.entity_key == codes[0])
    assert first.values == {"revenue": 1000.0, "total_profit": 100.0, "net_profit": 80.0, "total_assets": 5000.0,
                            "employees": 50, "rd_staff": 10, "emp_bachelor_plus": 30, "tech_revenue": 200.0}
    assert (first.revision, first.state, first.zone_code, first.source_name) == (1, "draft", "Z1101", "a.csv")
    assert first.source_sha256 == result.sha256 and len(result.sha256) == 64
    assert isinstance(first.values["employees"], int)


def test_reimporting_the_identical_file_is_a_no_op(engine: Engine) -> None:
    codes = seed_registry(engine, 3)
    data = csv_bytes(good_rows(codes))
    first = import_file(engine, data, FORM, "2021", "alice", today=TODAY)
    before = snapshot(engine)
    again = import_file(engine, data, FORM, "2021", "bob", today=TODAY)
    assert again.status == "unchanged" and again.batch_id == first.batch_id
    assert snapshot(engine) == before


def test_a_corrected_file_adds_revisions_only_for_changed_rows_and_the_diff_shows_them(engine: Engine) -> None:
    codes = seed_registry(engine, 3)
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", today=TODAY)
    corrected = good_rows(codes)
    corrected[1][3] = 2500  # revenue of the second enterprise: 2000 -> 2500
    result = import_file(engine, xlsx_bytes(corrected), FORM, "2021", "alice", name="fix.xlsx", today=TODAY)
    assert result.status == "stored" and (result.created, result.unchanged) == (1, 2)
    diff = revision_diff(engine, FORM, codes[1], "2021")
    assert (diff.old_revision, diff.new_revision) == (1, 2)
    assert [(c.element, c.old, c.new) for c in diff.changes] == [("revenue", 2000.0, 2500.0)]
    assert [(d.entity_key, d.old_revision, d.new_revision) for d in batch_diff(engine, result.batch_id or 0)] == [
        (codes[1], 1, 2)]
    history = list_submissions(engine, form=FORM, entity_key=codes[1], history=True)
    assert [(s.revision, s.values["revenue"]) for s in history] == [(1, 2000.0), (2, 2500.0)]


def test_a_value_cleared_to_blank_is_a_change_and_blank_stays_equal_to_blank(engine: Engine) -> None:
    codes = seed_registry(engine, 3)
    rows = good_rows(codes)
    rows[0][10] = None  # no technology income reported
    import_file(engine, csv_bytes(rows), FORM, "2021", "alice", today=TODAY)
    cleared = [list(r) for r in rows]
    cleared[2][10] = None
    result = import_file(engine, xlsx_bytes(cleared), FORM, "2021", "alice", name="c.xlsx", today=TODAY)
    assert result.status == "stored" and (result.created, result.unchanged) == (1, 2)
    diff = revision_diff(engine, FORM, codes[2], "2021")
    assert [(c.element, c.old, c.new) for c in diff.changes] == [("tech_revenue", 200.0, None)]


def test_a_file_with_one_bad_row_stores_nothing(engine: Engine) -> None:
    codes = seed_registry(engine, 3)
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", today=TODAY)
    before = snapshot(engine)
    rows = good_rows(codes, scale=2)
    rows[2][7] = -5  # negative head count
    result = import_file(engine, csv_bytes(rows), FORM, "2021", "alice", today=TODAY)
    assert result.status == "rejected"
    assert [(i.rule, i.row, i.column, i.value) for i in result.report.errors] == [("below_min", 4, "H", "-5")]
    assert snapshot(engine) == before


def test_unknown_enterprise_wrong_zone_and_unknown_zone_are_refused(engine: Engine) -> None:
    codes = seed_registry(engine, 3)
    rows = good_rows(codes)
    rows[0][2] = "Z3101"  # registered in Z1101
    rows[1][2] = "Z9999"
    rows[2][0] = credit_code(777)  # valid code, not in the registry
    result = import_file(engine, csv_bytes(rows), FORM, "2021", "alice", today=TODAY)
    found = {(i.rule, i.row, i.column) for i in result.report.errors}
    # the unknown enterprise would be registered (credit code, name and zone are enough), were the file not refused
    assert found == {("wrong_zone", 2, "C"), ("unknown_zone", 3, "C")}
    [moved] = [i for i in result.report.errors if i.rule == "wrong_zone"]
    assert moved.message_en == (f"enterprise {codes[0]} is registered in Z1101 (中关村科技园区); a move to Z3101 is "
                                "recorded by the province or the Torch Center")
    assert snapshot(engine)[1] == 0


def test_outliers_against_last_year_need_confirmation(engine: Engine) -> None:
    codes = seed_registry(engine, 2)
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2020", "alice", today=TODAY)
    rows = good_rows(codes)
    rows[0][3] = 1000 * 12  # ×12 y/y
    data = csv_bytes(rows)
    held = import_file(engine, data, FORM, "2021", "alice", today=TODAY)
    assert held.status == "needs_confirmation"
    [warning] = held.report.warnings
    assert (warning.rule, warning.row, warning.column, warning.entity_key) == ("outlier", 2, "D", codes[0])
    assert "12.0倍" in warning.message_zh and "12.0×" in warning.message_en
    assert snapshot(engine)[1] == 2
    confirmed = import_file(engine, data, FORM, "2021", "alice", confirm_warnings=True, today=TODAY)
    assert confirmed.status == "stored" and confirmed.created == 2
    with engine.connect() as conn:
        detail = conn.scalars(select(ChangeEvent.detail).where(ChangeEvent.batch_id == confirmed.batch_id)).one()
    assert detail["confirmed_warnings"] == 1


def test_the_workflow_runs_draft_to_approved_with_audit_and_locks(engine: Engine) -> None:
    codes = seed_registry(engine, 3)
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", today=TODAY)
    zone_user = Principal("zz", "zone", zone_code="Z1101")
    province = Principal("pp", "province", province_code="11")
    assert transition(engine, "submit", zone_user, form=FORM, period="2021", zone_code="Z1101").count == 1
    with pytest.raises(Exception, match="outside your scope"):
        transition(engine, "submit", zone_user, form=FORM, period="2021", entity_keys=[codes[1]])
    with pytest.raises(Exception, match="cannot approve"):
        transition(engine, "approve", province, form=FORM, period="2021")
    transition(engine, "submit", "admin", form=FORM, period="2021")
    with pytest.raises(Exception, match="needs a comment"):
        transition(engine, "return", province, form=FORM, period="2021", entity_keys=[codes[0]])
    returned = transition(engine, "return", province, form=FORM, period="2021", entity_keys=[codes[0]],
                          comment="营业收入偏低，请核实")
    assert returned.target == "returned"
    with pytest.raises(Exception, match="outside your scope"):  # Z3101 is in Shanghai
        transition(engine, "review", province, form=FORM, period="2021")
    assert transition(engine, "review", province, form=FORM, period="2021", zone_code="Z1102").count == 1
    assert list_submissions(engine, form=FORM, period="2021", state="approved") == []
    transition(engine, "approve", "torch", form=FORM, period="2021")
    approved = list_submissions(engine, form=FORM, period="2021", state="approved")
    assert [s.entity_key for s in approved] == [codes[1]]
    states = {s.entity_key: s.state for s in list_submissions(engine, form=FORM, period="2021")}
    assert states == {codes[0]: "returned", codes[1]: "approved", codes[2]: "submitted"}
    history = submission_history(engine, FORM, codes[0], "2021")
    assert [(h.action, h.detail.get("from"), h.detail.get("to")) for h in history] == [
        ("import", None, None), ("submit", "draft", "submitted"), ("return", "submitted", "returned")]
    assert history[-1].detail["comment"] == "营业收入偏低，请核实"
    # Approved data is locked: a corrected file touching it is refused whole.
    before = snapshot(engine)
    rows = good_rows(codes)
    rows[1][3] = 9999
    rows[0][3] = 1111
    result = import_file(engine, csv_bytes(rows), FORM, "2021", "alice", today=TODAY)
    assert result.status == "rejected"
    assert [(i.rule, i.entity_key) for i in result.report.errors] == [("locked", codes[1])]
    assert snapshot(engine) == before
    with pytest.raises(Exception, match="cannot approve"):
        transition(engine, "approve", "torch", form=FORM, period="2021", entity_keys=[codes[1]])


def test_zone_users_can_only_import_their_own_zone(engine: Engine) -> None:
    codes = seed_registry(engine, 3)
    result = import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", Principal("zz", "zone", zone_code="Z1101"),
                         today=TODAY)
    assert result.status == "rejected"
    assert sorted(i.row for i in result.report.errors if i.rule == "out_of_scope") == [3, 4]
    assert snapshot(engine)[1] == 0


def test_validate_file_reports_without_storing(engine: Engine) -> None:
    codes = seed_registry(engine, 2)
    rows = good_rows(codes)
    rows[0][8] = 500  # R&D staff above employees
    report = validate_file(engine, csv_bytes(rows), FORM, "2021", "alice", name="x.csv", today=TODAY)
    assert [(i.rule, i.row) for i in report.errors] == [("cross:rd_staff_le_employees", 2)]
    assert json.loads(report.to_json_text())["error_count"] == 1
    assert snapshot(engine) == (0, 0, 0, [])


def test_zone_monthly_reports_are_keyed_by_zone(engine: Engine) -> None:
    seed_registry(engine, 0)
    header = ["高新区代码", "营业收入(亿元)", "工业总产值", "净利润", "实际上缴税费", "出口总额", "从业人员"]
    rows = [["Z1101", "1.5", "100", "10", "5", "20", "1,000"], ["Z3101", "0.5", "50", "5", "2", "10", "500"]]
    result = import_file(engine, csv_bytes(rows, header=header), "zone_monthly", "2023-3", "alice", today=TODAY)
    assert result.status == "stored", result.report and result.report.errors
    stored = {s.entity_key: s for s in list_submissions(engine, form="zone_monthly")}
    assert stored["Z1101"].period == "2023-03"
    assert stored["Z1101"].values["revenue"] == 150000.0  # 1.5 亿元 in 千元
    assert stored["Z1101"].values["employees"] == 1000


def test_the_bulk_path_stores_awkward_text_verbatim(engine: Engine) -> None:
    # PostgreSQL gets a COPY text payload: tabs, backslashes and newlines in a value must survive it.
    codes = seed_registry(engine, 3)
    actor = "王\\五\tzone\nclerk"
    result = import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", actor, today=TODAY)
    assert result.status == "stored" and result.created == 3
    stored = list_submissions(engine, form=FORM, period="2021")
    assert {s.created_by for s in stored} == {actor}
    assert [s.values["employees"] for s in stored] == [50, 51, 52]
    assert all(isinstance(s.values["revenue"], float) for s in stored)


def test_rows_are_stored_with_their_own_values_whatever_the_file_order(engine: Engine) -> None:
    codes = seed_registry(engine, 5)
    rows = good_rows(codes)
    shuffled = [rows[i] for i in (3, 0, 4, 2, 1)]
    import_file(engine, csv_bytes(shuffled), FORM, "2021", "alice", today=TODAY)
    changed = [list(r) for r in shuffled]
    changed[0][3], changed[2][3] = 7777, 8888  # the 4th and 5th enterprises, out of order
    result = import_file(engine, csv_bytes(changed), FORM, "2021", "alice", name="b.csv", today=TODAY)
    assert (result.created, result.unchanged) == (2, 3)
    stored = {s.entity_key: s.values["revenue"] for s in list_submissions(engine, form=FORM, period="2021")}
    assert stored == {codes[0]: 1000.0, codes[1]: 2000.0, codes[2]: 3000.0, codes[3]: 7777.0, codes[4]: 8888.0}


@pytest.fixture
def parts_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files checked and stored two rows at a time: every test below spans several parts."""
    from hizone.intake import service

    monkeypatch.setattr(service, "ROWS_PER_PART", 2)


@pytest.mark.usefixtures("parts_of_two")
def test_a_file_stored_in_parts_equals_the_file_stored_at_once(engine: Engine) -> None:
    codes = seed_registry(engine, 7)
    rows = good_rows(codes)
    rows.reverse()
    result = import_file(engine, csv_bytes(rows), FORM, "2021", "alice", name="p.csv", today=TODAY)
    assert result.status == "stored" and (result.created, result.unchanged) == (7, 0)
    stored = {s.entity_key: s for s in list_submissions(engine, form=FORM, period="2021")}
    assert sorted(stored) == sorted(codes)
    for i, code in enumerate(codes):
        assert stored[code].values["revenue"] == 1000.0 * (i + 1) and stored[code].batch_id == result.batch_id
    corrected = good_rows(codes)
    corrected[5][3] = 6500  # one change, in the third part
    again = import_file(engine, csv_bytes(corrected), FORM, "2021", "alice", name="q.csv", today=TODAY)
    assert (again.created, again.unchanged) == (1, 6)
    with engine.connect() as conn:
        detail = conn.scalars(select(ChangeEvent.detail).where(ChangeEvent.batch_id == again.batch_id)).one()
    assert (detail["rows"], detail["created"], detail["unchanged"]) == (7, 1, 6)


@pytest.mark.usefixtures("parts_of_two")
def test_an_error_in_the_last_part_leaves_the_store_as_it_was(engine: Engine) -> None:
    codes = seed_registry(engine, 7)
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", today=TODAY)
    before = snapshot(engine)
    rows = good_rows(codes, scale=2)
    rows[6][7] = -5  # row 8, after three parts were stored
    result = import_file(engine, csv_bytes(rows), FORM, "2021", "alice", today=TODAY)
    assert result.status == "rejected"
    assert [(i.rule, i.row) for i in result.report.errors] == [("below_min", 8)]
    assert snapshot(engine) == before


@pytest.mark.usefixtures("parts_of_two")
def test_a_duplicate_in_another_part_and_a_locked_row_in_a_later_part_store_nothing(engine: Engine) -> None:
    codes = seed_registry(engine, 7)
    rows = good_rows(codes)
    duplicated = [*rows, list(rows[0])]
    result = import_file(engine, csv_bytes(duplicated), FORM, "2021", "alice", today=TODAY)
    assert [(i.rule, i.row) for i in result.report.errors] == [("duplicate", 9)]
    assert snapshot(engine)[1] == 0
    import_file(engine, csv_bytes(rows), FORM, "2021", "alice", submit=True, today=TODAY)
    for level in ("review", "approve"):
        transition(engine, level, "admin", form=FORM, period="2021", zone_code="Z1102")
    before = snapshot(engine)
    changed = good_rows(codes, scale=3)  # every row changes; rows 3 and 6 (Z1102) are approved
    result = import_file(engine, csv_bytes(changed), FORM, "2021", "alice", today=TODAY)
    assert result.status == "rejected"
    assert {(i.rule, i.row) for i in result.report.errors} == {("locked", 3), ("locked", 6)}
    assert snapshot(engine) == before


def _at_once(monkeypatch: pytest.MonkeyPatch, imports: list[Callable[[], ImportResult]]) -> list[object]:
    """Run ``imports`` in threads, each one's storing held, once it has read the latest revisions, until every
    import has: they write to the store at the same time. Each one's result, or the exception it raised."""
    from hizone.intake import service

    together = threading.Barrier(len(imports), timeout=60)
    read = service.latest_revisions

    def read_then_wait(*args: Any, **kwargs: Any) -> service.LatestRevisions:
        found = read(*args, **kwargs)
        if "entities" not in kwargs:  # the storing thread's read (last year's values are read with entities)
            together.wait()
        return found

    monkeypatch.setattr(service, "latest_revisions", read_then_wait)
    outcomes: list[object] = [None] * len(imports)

    def run(i: int) -> None:
        try:
            outcomes[i] = imports[i]()
        except Exception as exc:  # kept for the test to look at
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(imports))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


@pytest.mark.usefixtures("parts_of_two")
def test_two_imports_at_once_on_postgresql_are_both_stored_whole(postgres_engine: Engine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two files (two periods) stored at the same time, each in parts streamed into its own COPY: both are
    complete, their revisions have distinct ids, and each has its change event."""
    codes = seed_registry(postgres_engine, 7)
    first, second = good_rows(codes), good_rows(codes, scale=2)
    outcomes = _at_once(monkeypatch, [
        lambda: import_file(postgres_engine, csv_bytes(first), FORM, "2021", "alice", name="a.csv", today=TODAY),
        lambda: import_file(postgres_engine, csv_bytes(second), FORM, "2022", "bob", name="b.csv", today=TODAY)])
    assert [(o.status, o.created) for o in outcomes if isinstance(o, ImportResult)] == [("stored", 7), ("stored", 7)]
    with postgres_engine.connect() as conn:
        rows = conn.execute(select(Submission.id, Submission.period, Submission.entity_key, Submission.batch_id)).all()
        events = conn.execute(select(ChangeEvent.batch_id, ChangeEvent.actor).order_by(ChangeEvent.seq)).all()
    assert len({r.id for r in rows}) == 14
    for outcome, period in zip(outcomes, ("2021", "2022"), strict=True):
        assert isinstance(outcome, ImportResult)
        assert sorted(r.entity_key for r in rows if r.batch_id == outcome.batch_id and r.period == period) == \
            sorted(codes)
    assert sorted(events) == sorted([(outcomes[0].batch_id, "alice"), (outcomes[1].batch_id, "bob")])  # type: ignore[union-attr]
    stored = {(s.period, s.entity_key): s.values["revenue"] for s in list_submissions(postgres_engine, form=FORM)}
    assert stored[("2021", codes[6])] == 7000.0 and stored[("2022", codes[6])] == 14000.0


@pytest.mark.usefixtures("parts_of_two")
def test_two_imports_of_one_period_at_once_on_postgresql_store_one_and_tell_the_other(
        postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both read the period's revisions before either wrote: the second's COPY meets the first's rows in the
    unique index, waits for its commit, and is refused with a message, not a driver error; one file is stored,
    whole, and nothing of the other."""
    codes = seed_registry(postgres_engine, 7)
    outcomes = _at_once(monkeypatch, [
        lambda: import_file(postgres_engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", name="a.csv",
                            today=TODAY),
        lambda: import_file(postgres_engine, csv_bytes(good_rows(codes, scale=2)), FORM, "2021", "bob",
                            name="b.csv", today=TODAY)])
    stored = [o for o in outcomes if isinstance(o, ImportResult)]
    refused = [o for o in outcomes if isinstance(o, HizoneError)]
    assert len(stored) == 1 and len(refused) == 1, outcomes
    assert "another import of the same form and period was stored at the same time" in str(refused[0])
    assert (stored[0].status, stored[0].created) == ("stored", 7)
    batches, submissions, events, rows = snapshot(postgres_engine)
    assert (batches, submissions, events) == (1, 7, 1)
    assert {revision for _, revision, _ in rows} == {1}


@pytest.mark.usefixtures("parts_of_two")
def test_two_imports_of_one_period_in_opposite_orders_on_postgresql_do_not_leave_a_driver_error(
        postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same entities in opposite orders, both written at once: the second to reach a row the other holds
    waits for it and is refused, when the other commits (the revision stored first) or at once when the
    two wait on each other (PostgreSQL cancels one of a deadlock). It is told to import again; the other is
    stored whole."""
    codes = seed_registry(postgres_engine, 60)
    backwards = good_rows(codes, scale=2)
    backwards.reverse()
    outcomes = _at_once(monkeypatch, [
        lambda: import_file(postgres_engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", name="a.csv",
                            today=TODAY),
        lambda: import_file(postgres_engine, csv_bytes(backwards), FORM, "2021", "bob", name="b.csv", today=TODAY)])
    stored = [o for o in outcomes if isinstance(o, ImportResult)]
    refused = [o for o in outcomes if isinstance(o, HizoneError)]
    assert len(stored) == 1 and len(refused) == 1, outcomes
    assert "import again" in str(refused[0])
    batches, submissions, events, _ = snapshot(postgres_engine)
    assert (batches, submissions, events) == (1, 60, 1)


def test_a_deadlock_between_two_writers_on_postgresql_counts_as_a_collision(postgres_engine: Engine) -> None:
    """Two transactions taking two rows in opposite orders: PostgreSQL cancels one, and the import that meets
    that error tells its user to import again (as for the revision stored first), not a driver error."""
    from sqlalchemy.exc import DBAPIError

    from hizone.intake.service import _collided

    codes = seed_registry(postgres_engine, 2)
    update = "UPDATE enterprise SET name = name WHERE credit_code = %s"
    failures: list[DBAPIError] = []
    both_hold_one = threading.Barrier(2, timeout=30)

    def take(first: str, second: str) -> None:
        try:
            with postgres_engine.begin() as conn:
                conn.exec_driver_sql(update, (first,))
                both_hold_one.wait()
                conn.exec_driver_sql(update, (second,))
        except DBAPIError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=take, args=pair) for pair in ((codes[0], codes[1]), (codes[1], codes[0]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(failures) == 1 and _collided(failures[0])

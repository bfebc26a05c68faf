"""The column-at-a-time incubatee import (incubation/columns.py): its array helpers against the row-at-a-time
engine they replace, and the import's paths the older tests do not reach: rows the columns cannot vouch for
(checked one by one), a file row overlapping only a stored stay when the store is read by key and when it is
read whole, carriers looked up by key, a workbook instead of a CSV."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from hizone.auth.policy import Principal
from hizone.incubation import columns, engine
from hizone.incubation.registry import import_carriers, import_incubatees
from hizone.registry.sheets import ListRefused
from hizone.registry.sync import sync_store
from hizone.store import session_scope
from hizone.store.models import Carrier, Incubatee
from tests.registry.lists_factory import code, write

ADMIN = Principal("analyst1", "admin")
TODAY = dt.date(2024, 6, 30)
CARRIERS = ["载体代码", "载体名称", "载体类型", "综合或专业", "专业领域", "高新区代码", "省份代码", "级别", "认定日期"]
STAYS = ["载体代码", "统一社会信用代码", "入孵日期", "毕业日期", "毕业条件", "企业名称"]


@pytest.mark.parametrize("seed", range(40))
def test_the_array_sweep_finds_the_pairs_the_engine_finds_in_its_order(seed: int) -> None:
    rng = random.Random(seed)
    stays = []
    for i in range(rng.randint(2, 60)):
        entry = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))
        end = None if rng.random() < 0.3 else entry + dt.timedelta(days=rng.randint(1, 900))
        stays.append(engine.Stay(f"E{rng.randint(0, 6)}", f"K{i}", entry, end, rng.choice([0, 0, i + 2])))
    expected = [(stays.index(a), stays.index(b)) for a, b in engine.overlapping(stays)]
    enterprise = np.array([sorted({s.credit_code for s in stays}).index(s.credit_code) for s in stays])
    earlier, later = columns.overlapping(
        enterprise, np.array([columns.day_number(s.entry) for s in stays]),
        np.array([columns.NO_DAY if s.end is None else columns.day_number(s.end) for s in stays]),
        np.array([s.row for s in stays]))
    assert list(zip(earlier.tolist(), later.tolist(), strict=True)) == expected


def test_months_in_incubation_match_the_engine_at_month_ends() -> None:
    entries = [dt.date(2020, 1, 1) + dt.timedelta(days=d) for d in range(0, 1700, 3)]
    for today in (dt.date(2024, 6, 30), dt.date(2024, 2, 29), dt.date(2024, 3, 1)):
        found = columns.months_between(np.array([columns.day_number(e) for e in entries]), today)
        assert found.tolist() == [engine.months_between(e, today) for e in entries]


def test_duplicates_name_each_repeat_and_the_first_of_its_key() -> None:
    again, first = columns.duplicates(np.array([7, 3, 7, 5, 3, 7]))
    assert again.tolist() == [2, 4, 5] and first.tolist() == [0, 1, 0]
    assert columns.group_ids(np.array([2, 1, 2, 2]), np.array([5, 5, 5, 6])).tolist() == [1, 0, 1, 2]


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    """Twenty carriers K01..K20 in 中关村 (more than four times what a small list names: carriers are then
    looked up by key) and ten stored stays: enterprise 1 at K01 (graduated 2020) then at K02 (open), and
    enterprises 10..17 at K03."""
    sync_store(engine)
    import_carriers(engine, write(tmp_path / "c", "csv-utf8", [
        CARRIERS, *[[f"K{i:02d}", f"载体{i}", "孵化器", "综合", "", "Z1101", "", "", ""] for i in range(1, 21)]]),
        ADMIN, today=TODAY)
    import_incubatees(engine, write(tmp_path / "s0", "csv-utf8", [
        STAYS, ["K01", code(1), dt.date(2018, 1, 1), dt.date(2020, 1, 1), "高新技术企业", ""],
        ["K02", code(1), dt.date(2020, 1, 1), "", "", ""],
        *[["K03", code(n), dt.date(2021, 1, 1), "", "", ""] for n in range(10, 18)]]), ADMIN, today=TODAY)
    return engine


def _problems(error: pytest.ExceptionInfo[ListRefused]) -> list[tuple[int, str | None, str]]:
    return [(p.row, p.column, p.reason) for p in error.value.problems]


@pytest.mark.parametrize("others", [0, 40])  # stored stays read by key (a small list), or read whole
def test_a_row_overlapping_only_an_earlier_stored_stay_is_named(store: Engine, tmp_path: Path,
                                                                others: int) -> None:
    """Enterprise 1's row at K04 (2019-06 → 2019-12) lies inside its stored K01 stay, which ended before the
    stored K02 stay began: the sweep must meet K01, not only the stay next to it."""
    path = write(tmp_path / "s1", "csv-utf8", [
        STAYS, *[["K05", code(100 + n), dt.date(2022, 1, 1), "", "", ""] for n in range(others)],
        ["K04", code(1), dt.date(2019, 6, 1), dt.date(2019, 12, 1), "融资超500万", ""],
        ["K03", code(11), dt.date(2021, 1, 1), dt.date(2023, 1, 1), "营收超1000万", ""]])  # replaces its stay
    with pytest.raises(ListRefused) as error:
        import_incubatees(store, path, ADMIN, today=TODAY)
    assert _problems(error) == [(others + 2, "credit_code", f"{code(1)} is incubated by two carriers at once: K01 "
                                                            "from 2018-01-01 until 2020-01-01 (stored)")]
    with session_scope(store) as session:
        assert session.scalar(select(Incubatee.graduated).where(Incubatee.credit_code == code(11))) is None


def test_rows_the_columns_doubt_get_the_row_checks_messages(store: Engine, tmp_path: Path) -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code(30))  # ９１１… normalises to the plain code
    fine = [" k04 ", full_width, "2022年3月1日", "", "", ""]  # fine once normalised
    path = write(tmp_path / "s2", "csv-utf8", [
        STAYS,
        fine,
        ["K04", code(31)[:-1] + "0", dt.date(2022, 1, 1), "", "", ""],  # wrong check character
        ["K04", code(32), "2022-02-30", "", "", ""],  # no such day
        ["K04", code(33), dt.date(2025, 1, 1), "", "", ""],  # in the future
        ["K04", code(34), dt.date(2022, 1, 1), "", "高新技术企业", ""],  # a criterion without its graduation
        ["K04", code(35), dt.date(2022, 1, 1), "", "", "名" * 129],  # name too long
        ["K99", code(36), dt.date(2022, 1, 1), "", "", ""],  # unknown carrier
        ["K04", code(37), dt.date(2022, 1, 1), "", "", ""],
        ["K04", code(37), dt.date(2022, 1, 1), "", "", ""],  # the same stay twice
    ])
    with pytest.raises(ListRefused) as error:
        import_incubatees(store, path, ADMIN, today=TODAY)
    problems = _problems(error)
    assert [(r, c) for r, c, _ in problems] == [(3, "credit_code"), (4, "entry"), (5, "entry"), (6, "graduated"),
                                                (7, "name"), (8, "carrier_code"), (10, "entry")]
    assert "no day 30 of month 2" in problems[1][2] and "in the future" in problems[2][2]
    assert problems[4][2] == "129 characters, at most 128" and "unknown carrier K99" in problems[5][2]
    assert problems[6][2] == f"{code(37)} entered K04 on 2022-01-01 already in row 9"
    done = import_incubatees(store, write(tmp_path / "s3", "csv-utf8", [STAYS, fine]), ADMIN, today=TODAY)
    assert done.added == 1
    with session_scope(store) as session:
        carrier = session.scalar(select(Carrier.id).where(Carrier.code == "K04"))
        assert session.execute(select(Incubatee.carrier_id, Incubatee.entry, Incubatee.name).where(
            Incubatee.credit_code == code(30))).one() == (carrier, dt.date(2022, 3, 1), None)


def test_a_workbook_list_stores_what_the_csv_would(store: Engine, tmp_path: Path) -> None:
    rows = [STAYS, ["K06", code(40), dt.date(2019, 5, 1), "", "", "甲公司"],
            ["K06", code(41), dt.date(2021, 5, 1), dt.date(2023, 5, 1), "并购或上市", ""]]
    outcome = import_incubatees(store, write(tmp_path / "w", "xlsxwriter", rows), ADMIN, today=TODAY)
    assert (outcome.added, outcome.overdue) == (2, 1)  # 61 months in incubation on TODAY
    assert [(w.row, w.reason) for w in outcome.warnings] == [(2, f"{code(40)} in incubation for 61 months, more "
                                                                  "than 48")]
    with session_scope(store) as session:
        stored = session.execute(select(Incubatee.credit_code, Incubatee.entry, Incubatee.graduated,
                                        Incubatee.criterion, Incubatee.name, Incubatee.source_row)
                                 .where(Incubatee.credit_code.in_([code(40), code(41)]))
                                 .order_by(Incubatee.credit_code)).all()
    assert [tuple(r) for r in stored] == [(code(40), dt.date(2019, 5, 1), None, None, "甲公司", 2),
                                          (code(41), dt.date(2021, 5, 1), dt.date(2023, 5, 1), "acquired_listed",
                                           None, 3)]
    again = import_incubatees(store, write(tmp_path / "c", "csv-utf8", rows), ADMIN, today=TODAY)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_a_list_without_rows_stores_nothing_and_says_so(store: Engine, tmp_path: Path) -> None:
    outcome = import_incubatees(store, write(tmp_path / "e", "csv-utf8", [STAYS]), ADMIN, today=TODAY)
    assert (outcome.added, outcome.updated, outcome.unchanged, outcome.overdue) == (0, 0, 0, 0)

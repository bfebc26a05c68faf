"""A build replaces the analytics file whole: readers keep the build they opened, the next connection sees the
new one, and builds of one file take turns (SQLite and PostgreSQL)."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.analytics.read import open_reader
from hizone.auth.policy import Principal
from hizone.intake.service import transition
from tests.analytics.fixture import CODES, populate

NATION_2023 = "SELECT value FROM indicator_value WHERE view = 'published' AND indicator = 'revenue_total' " \
              "AND level = 'nation' AND period = '2023'"
FACTS_2023 = "SELECT sum(e_revenue) FROM enterprise_annual__annual__published WHERE period = '2023'"


def _approve_e2(engine: Engine) -> None:
    """E2's submitted 2023 revision (revenue 450 in place of 400) reviewed and approved: +50 nationally."""
    for action, actor in (("review", Principal("bj", "province", province_code="11")),
                          ("approve", Principal("torch", "admin"))):
        transition(engine, action, actor, form="enterprise_annual", period="2023", entity_keys=[CODES["E2"]])


def test_a_connection_open_across_a_rebuild_reads_the_old_build_and_a_new_one_the_new(
        engine: Engine, tmp_path: Path) -> None:
    populate(engine, monthly=False)
    path = tmp_path / "var" / "analytics.duckdb"
    build(engine, path)
    analytics = Analytics(path)
    with analytics.connect() as held:
        assert held.execute(NATION_2023).fetchall() == [(2780.0,)]
        _approve_e2(engine)
        assert build(engine, path).rebuilt["enterprise_annual"] == ["2023"]
        # The held connection still reads the build it opened, every table of it alike.
        assert held.execute(NATION_2023).fetchall() == [(2780.0,)]
        assert held.execute(FACTS_2023).fetchall() == [(2780.0,)]
        with analytics.connect() as fresh:  # the same Analytics, a connection opened after the build
            assert fresh.execute(NATION_2023).fetchall() == [(2830.0,)]
            assert fresh.execute(FACTS_2023).fetchall() == [(2830.0,)]
        assert held.execute(NATION_2023).fetchall() == [(2780.0,)]
    assert analytics.values(["revenue_total"], "nation", ["CN"], ["2023"])[0].value == 2830
    assert open_reader(path).published[("revenue_total", "nation", "CN", "2023")][0] == 2830
    assert sorted(p.name for p in path.parent.iterdir()) == ["analytics.duckdb", "analytics.duckdb.lock"]


def test_a_build_that_fails_leaves_the_file_as_it_was(engine: Engine, tmp_path: Path) -> None:
    populate(engine, monthly=False)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    _approve_e2(engine)
    occupied = tmp_path / "parquet"
    occupied.write_text("a file where the export's folder would go", encoding="utf-8")
    with pytest.raises(FileExistsError):  # the Parquet export, the build's last step, fails
        build(engine, path, parquet=occupied)
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute(NATION_2023).fetchall() == [(2780.0,)]
    assert not (tmp_path / "analytics.duckdb.building").exists()
    assert build(engine, path).rebuilt["enterprise_annual"] == ["2023"]  # the changes are still to be built


def test_builds_of_one_file_take_turns(engine: Engine, tmp_path: Path) -> None:
    """A build waits while another holds the file's lock (as a build in another process does), then builds on
    the file that build left."""
    populate(engine, monthly=False)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    _approve_e2(engine)
    finished = threading.Event()
    failures: list[BaseException] = []

    def second() -> None:
        try:
            build(engine, path)
        except BaseException as exc:  # handed to the test
            failures.append(exc)
        finished.set()

    with open(tmp_path / "analytics.duckdb.lock", "ab") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not finished.wait(1.0)  # held back by the lock
        with duckdb.connect(str(path), read_only=True) as con:
            assert con.execute(NATION_2023).fetchall() == [(2780.0,)]
    waiting.join(30)
    assert finished.is_set() and not failures
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute(NATION_2023).fetchall() == [(2830.0,)]


def test_concurrent_builds_of_one_file_all_succeed_with_the_same_result(engine: Engine, tmp_path: Path) -> None:
    populate(engine, monthly=False)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    _approve_e2(engine)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            build(engine, path)
        except BaseException as exc:  # handed to the test
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    assert Analytics(path).values(["revenue_total"], "nation", ["CN"], ["2023"])[0].value == 2830

"""An import killed with SIGKILL at 20 seeded moments spread over its duration (measured first, on an import
left to finish) leaves all of the file or none of it, on SQLite and on a real PostgreSQL; the next import of
the same file is then right (a no-op or the whole file) and leaves exactly one copy of it.

The importing process is forked from a server that has already imported hizone (multiprocessing's
forkserver), so each import starts at once and the kills land in reading, checking, storing and commit.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import shutil
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, delete, func, insert, select, text

from hizone.intake.service import import_file
from hizone.store import connect
from hizone.store.changes import WRITTEN
from hizone.store.models import ChangeEvent, Enterprise, ImportBatch, Submission
from tests.intake.factory import TODAY, credit_code, csv_bytes, good_rows, seed_registry, zone_of
from tests.pgserver import PostgresServer

FORM, PERIOD = "enterprise_annual", "2021"
ROWS = 40_000
KILLS = 20
SEED = 20261201
SPAN = 1.1


def _import(url: str, path: str, pipe: Pipe) -> None:
    """In the forked process: one import, saying when it starts and what it reported."""
    engine = connect(url)
    started = time.perf_counter()
    pipe.send("start")
    result = import_file(engine, Path(path), FORM, PERIOD, "crash", today=TODAY)
    pipe.send((result.status, time.perf_counter() - started))


@pytest.fixture(scope="module")
def forkserver() -> mp.context.ForkServerContext:
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["hizone.intake.service", "tests.store.test_crash"])
    return context


def _seed(url: str) -> None:
    engine = connect(url)
    seed_registry(engine, 0)  # provinces and zones
    with engine.begin() as conn:
        conn.execute(insert(Enterprise), [{"credit_code": credit_code(i + 1), "name": f"企业{i + 1}",
                                           "zone_code": zone_of(i), "industry_code": "6510",
                                           "founded": dt.date(2010, 1, 1)} for i in range(ROWS)])
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A store of one kind holding the registry the file refers to."""
    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "crash.sqlite")
        url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        admin = connect(server.url())
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE crash TEMPLATE hizone_template"))
        admin.dispose()
        url = server.url("crash")
    _seed(url)
    return url


def _forget_the_file(engine: Engine) -> None:
    """Back to the store before the first import, for the next trial (cheaper than a new store each time)."""
    with engine.begin() as conn:
        conn.execute(delete(Submission))
        conn.execute(delete(ImportBatch))
        conn.execute(delete(ChangeEvent))


def _stored(engine: Engine) -> tuple[int, int, int]:
    """(submissions, import batches, import events) of the file's form and period."""
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Submission).where(Submission.period == PERIOD)) or 0,
                conn.scalar(select(func.count()).select_from(ImportBatch)) or 0,
                conn.scalar(select(func.count()).select_from(ChangeEvent).where(ChangeEvent.kind == WRITTEN)) or 0)


def _wait_for_the_server_to_notice(engine: Engine) -> None:
    """PostgreSQL ends a killed client's session (rolling back or finishing its commit) on its own time:
    the store is judged once no other session is connected to it."""
    if engine.dialect.name != "postgresql":
        return
    engine.dispose()  # this process's own idle sessions
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND pid <> pg_backend_pid()")):
            assert time.monotonic() < deadline, "the killed import's session did not end"
            time.sleep(0.05)
            conn.rollback()


def _run(context: mp.context.ForkServerContext, url: str, path: Path,
         kill_after: float | None) -> tuple[str, float] | None:
    """One import in a forked process, killed ``kill_after`` seconds after it started; what it reported."""
    ours, theirs = context.Pipe()
    process = context.Process(target=_import, args=(url, str(path), theirs))
    process.start()
    assert ours.poll(60) and ours.recv() == "start"
    if kill_after is not None:
        time.sleep(kill_after)
        process.kill()
    process.join(120)
    try:
        reported = ours.recv() if ours.poll(0) else None
    except (EOFError, OSError):  # killed while it was answering
        reported = None
    ours.close()
    return reported


def test_an_import_killed_at_any_moment_stores_all_of_the_file_or_none(
        forkserver: mp.context.ForkServerContext, store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "annual.csv"
    path.write_bytes(csv_bytes(good_rows([credit_code(i + 1) for i in range(ROWS)])))
    engine = connect(store_url)
    try:
        measured = _run(forkserver, store_url, path, None)
        assert measured is not None and measured[0] == "stored"
        duration = measured[1]
        rng = np.random.default_rng(SEED)
        # One in each twentieth of 1.1 times the duration: the last ones land around the commit and after it.
        moments = SPAN * duration * (np.arange(KILLS) + rng.uniform(0, 1, KILLS)) / KILLS
        outcomes = []
        for moment in moments:
            _forget_the_file(engine)
            reported = _run(forkserver, store_url, path, float(moment))
            _wait_for_the_server_to_notice(engine)
            after_kill = _stored(engine)
            assert after_kill in {(0, 0, 0), (ROWS, 1, 1)}, f"killed at {moment:.3f} s: {after_kill}"
            if reported is not None and reported[0] == "stored":
                assert after_kill == (ROWS, 1, 1), "reported stored, then lost"
            again = import_file(engine, path, FORM, PERIOD, "crash", today=TODAY)
            assert again.status == ("stored" if after_kill[0] == 0 else "unchanged")
            assert again.created == (ROWS if after_kill[0] == 0 else 0)
            assert _stored(engine) == (ROWS, 1, 1)
            outcomes.append("all" if after_kill[0] else "none")
    finally:
        engine.dispose()
    print(f"import of {ROWS:,} rows: {duration:.2f} s; kills at {np.round(moments, 2).tolist()} s left "
          f"{outcomes.count('none')} with none and {outcomes.count('all')} with all of the file")
    assert "none" in outcomes  # the kills did land inside the import

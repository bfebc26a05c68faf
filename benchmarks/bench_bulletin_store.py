"""Bulletins in the store: loading the shared bulletins (read, extract, store with the bigram index) and
full-text search over many bulletins, the bigram index against scanning every text (the baseline, same
process, same answers)."""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import time
from pathlib import Path

from harness import REPO, heading, row
from sqlalchemy import select

from hizone.auth.policy import Principal
from hizone.bulletins.extract import read_bulletin
from hizone.bulletins.search import count, folded_text
from hizone.store import connect, session_scope, upgrade
from hizone.store.bulletins import BulletinRow, load_bulletin, load_file, search

FILES = sorted((REPO / "tests" / "data" / "bulletins").glob("*.txt"))
COPIES = 30  # bulletins in the search benchmark: the shared three, 30 times over (distinct contents)
WHO = Principal("bench", "analyst")
QUERIES = ("高新区", "东湖", "营业收入 同比增长", "科研助理岗位")


def main() -> None:
    heading("bulletins: load and search (SQLite)")
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'b.sqlite'}")
        upgrade(engine)
        started = time.perf_counter()
        for path in FILES:
            load_file(engine, path, WHO)
        row("load 3 shared bulletins (read, extract, store, index)", time.perf_counter() - started, "s")
        started = time.perf_counter()
        for path in FILES:
            load_file(engine, path, WHO)
        row("load them again (no-op by hash)", time.perf_counter() - started, "s")
        read = [read_bulletin(p) for p in FILES]
        started = time.perf_counter()
        with session_scope(engine) as session:
            for i in range(COPIES - 1):
                for b in read:
                    text = f"{b.text}\n（副本{i}）"
                    copy = dataclasses.replace(b, file=f"{i}-{b.file}", text=text, issue=f"copy {i}",
                                               sha256=hashlib.sha256(text.encode()).hexdigest())
                    load_bulletin(session, copy, [], WHO)
        row(f"store {3 * (COPIES - 1)} more bulletins without facts", time.perf_counter() - started, "s")
        for query in QUERIES:
            started = time.perf_counter()
            with session_scope(engine) as session:
                found = search(session, query, limit=3 * COPIES)
            indexed = time.perf_counter() - started
            started = time.perf_counter()
            with session_scope(engine) as session:
                texts = list(session.scalars(select(BulletinRow.text)))
            scanned = sum(1 for t in texts if count(folded_text(t), query))
            baseline = time.perf_counter() - started
            assert scanned == len(found), (query, scanned, len(found))
            row(f"search {query!r}: {len(found)} of {3 * COPIES} bulletins", indexed * 1000, "ms",
                f"scan of every text {baseline * 1000:.0f} ms, ratio {baseline / indexed:.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()

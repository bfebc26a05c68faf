"""Upload outcomes kept for their uploaders: on disk, bounded by count and by bytes, found by every process."""

from __future__ import annotations

import multiprocessing
import pickle
from pathlib import Path

from hizone.intake.errors_report import Issue
from hizone.web.services.kept import KeptStore
from hizone.web.services.reporting import KeptReport


def kept(owner: str, size: int) -> KeptReport:
    return KeptReport(owner, "bad.csv", b"x" * size, [])


def size_of(report: KeptReport) -> int:
    return len(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))


def test_the_oldest_go_when_the_bytes_run_out(tmp_path: Path) -> None:
    one = size_of(kept("ana", 1_000))
    store = KeptStore[KeptReport](tmp_path, size=100, max_bytes=2 * one + one // 2)
    keys = [store.put(kept("ana", 1_000)) for _ in range(3)]
    assert [k is not None for k in keys] == [True, True, True]
    assert store.get("ana", keys[0] or "") is None
    assert [store.get("ana", k or "") for k in keys[1:]] == [kept("ana", 1_000)] * 2
    assert (len(store), store.nbytes) == (2, 2 * one)


def test_an_item_larger_than_the_whole_store_is_not_kept_and_evicts_nothing(tmp_path: Path) -> None:
    store = KeptStore[KeptReport](tmp_path, size=100, max_bytes=2_500)
    first = store.put(kept("ana", 1_000))
    assert store.put(kept("ana", 3_000)) is None
    assert first is not None and store.get("ana", first) == kept("ana", 1_000)


def test_the_count_bounds_it_and_items_stay_their_owners(tmp_path: Path) -> None:
    store = KeptStore[KeptReport](tmp_path, size=2, max_bytes=1 << 20)
    keys = [store.put(kept("ana", 10)) for _ in range(3)]
    assert store.get("ana", keys[0] or "") is None and len(store) == 2
    assert store.get("ana", keys[2] or "") is not None
    assert store.get("bob", keys[2] or "") is None


def test_a_key_that_is_no_key_of_its_own_names_no_file(tmp_path: Path) -> None:
    """Keys come from URLs: a path, or a file someone else left in the directory, is never read."""
    store = KeptStore[KeptReport](tmp_path / "kept", size=10)
    (tmp_path / "secret").write_bytes(pickle.dumps(kept("ana", 1)))
    key = store.put(kept("ana", 1))
    assert key is not None and len(key) == 48
    assert store.get("ana", "../secret") is None
    assert store.get("ana", key + "/../../secret") is None
    assert store.get("ana", key.upper()) is None


def test_a_damaged_file_is_as_good_as_absent(tmp_path: Path) -> None:
    store = KeptStore[KeptReport](tmp_path, size=10)
    key = store.put(kept("ana", 100))
    assert key is not None
    (tmp_path / key).write_bytes(b"\x80\x05not a pickle")
    assert store.get("ana", key) is None


def _put_in_child(directory: str, queue: multiprocessing.Queue[str | None]) -> None:
    report = KeptReport("ana", "bad.csv", b"PK...", [Issue("error", "not_a_number", "不是数字", "not a number",
                                                             "bad.csv", None, 3, "C", "revenue", "abc")])
    queue.put(KeptStore[KeptReport](Path(directory), size=10).put(report))


def test_what_one_process_kept_another_finds(tmp_path: Path) -> None:
    """As two workers of one server: the upload reaches one, the download the other."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str | None] = context.Queue()
    child = context.Process(target=_put_in_child, args=(str(tmp_path), queue))
    child.start()
    key = queue.get(timeout=60)
    child.join(timeout=60)
    found = KeptStore[KeptReport](tmp_path, size=10).get("ana", key or "")
    assert found is not None and found.workbook == b"PK..."
    assert [(i.row, i.column, i.value) for i in found.issues] == [(3, "C", "abc")]

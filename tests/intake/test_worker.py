"""The worker: files read in a child under limits; every way a child can end comes back as an IntakeError."""

from __future__ import annotations

import ctypes
import io
import os
import signal
import threading
import time
import zipfile
from pathlib import Path

import pytest

from hizone.catalog import default_catalog
from hizone.intake.errors import IntakeError
from hizone.intake.readers import RawSheet, Source, read_source
from hizone.intake.rules import rules_for
from hizone.intake.worker import WorkerLimits, read_in_worker, run_in_worker
from tests.intake.factory import credit_code, csv_bytes, good_rows, xlsx_bytes

RULES = rules_for("enterprise_annual", 2021)
CODES = [credit_code(i + 1) for i in range(5)]


def sparse_xlsx() -> bytes:
    """A valid workbook with one more cell at XFD1048576: calamine sizes its grid to the whole sheet."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(good_rows(CODES))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>",
                                    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
            target.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_read_in_the_worker_equals_the_file_read_here(kind: str) -> None:
    data = csv_bytes(good_rows(CODES)) if kind == "csv" else xlsx_bytes(good_rows(CODES))
    here = read_source(data, RULES, default_catalog(), name=f"a.{kind}")
    there = read_in_worker(data, RULES, default_catalog(), name=f"a.{kind}")
    assert there.table.equals(here.table)
    assert (there.row_numbers == here.row_numbers).all()
    assert (there.labels, there.sha256, there.header_row, there.sheet, there.preamble) == \
        (here.labels, here.sha256, here.header_row, here.sheet, here.preamble)


def test_a_path_is_read_by_the_worker_itself(tmp_path: Path) -> None:
    path = tmp_path / "annual.csv"
    path.write_bytes(csv_bytes(good_rows(CODES)))
    assert read_in_worker(path, RULES, default_catalog()).table.num_rows == len(CODES)


def test_a_refusal_comes_back_with_its_own_message_and_place() -> None:
    with pytest.raises(IntakeError, match=r"^old\.xls: legacy \.xls workbooks are not accepted"):
        read_in_worker(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, RULES, default_catalog(), name="old.xls")


def test_a_reader_that_asks_for_a_huge_grid_is_stopped_and_the_caller_lives_on() -> None:
    # Before the sparse-range fix in the readers, calamine aborts on the failed allocation; after it, a refusal.
    with pytest.raises(IntakeError, match=r"^sparse\.xlsx[:,] "):  # the worker's limit, or the readers' refusal
        read_in_worker(sparse_xlsx(), RULES, default_catalog(), name="sparse.xlsx",
                       bounds=WorkerLimits(memory_bytes=512 << 20))
    assert read_in_worker(csv_bytes(good_rows(CODES)), RULES, default_catalog(), name="a.csv").table.num_rows == 5


# Readers that misbehave on purpose, run in the real child: each way a child ends, one message.

def sleeps(_source: Source) -> RawSheet:
    time.sleep(600)
    raise AssertionError("not reached")


def spins(_source: Source) -> RawSheet:
    while True:
        pass


def allocates(_source: Source) -> RawSheet:
    hoard = [bytearray(64 << 20) for _ in range(1000)]
    raise AssertionError(f"{len(hoard)} blocks")


def aborts(_source: Source) -> RawSheet:
    os.abort()


def crashes(_source: Source) -> RawSheet:
    ctypes.string_at(0)
    raise AssertionError("not reached")


def breaks(_source: Source) -> RawSheet:
    raise IndexError("list index out of range")


@pytest.mark.parametrize(("reader", "bounds", "expected"), [
    (sleeps, WorkerLimits(timeout_seconds=0.5), "the file could not be read within 0.5 s"),
    (spins, WorkerLimits(cpu_seconds=1), "reading the file needed more than 1 s of CPU time"),
    (allocates, WorkerLimits(memory_bytes=256 << 20), "reading the file needed more than 256 MiB of memory"),
    (aborts, WorkerLimits(), f"the reader stopped unexpectedly (signal {int(signal.SIGABRT)}, SIGABRT)"),
    (crashes, WorkerLimits(), f"the reader stopped unexpectedly (signal {int(signal.SIGSEGV)}, SIGSEGV)"),
    (breaks, WorkerLimits(), "the reader failed on this file (IndexError: list index out of range)"),
])
def test_every_way_a_reader_can_end_is_one_clear_error(reader: object, bounds: WorkerLimits, expected: str) -> None:
    with pytest.raises(IntakeError) as caught:
        run_in_worker(reader, b"data", (), {}, "hostile.xlsx", bounds)  # type: ignore[arg-type]
    assert str(caught.value) == f"hostile.xlsx: {expected}"


def test_files_are_read_side_by_side_from_several_threads() -> None:
    results: dict[int, int] = {}

    def read(i: int) -> None:
        results[i] = read_in_worker(csv_bytes(good_rows(CODES[:i + 1])), RULES, default_catalog(),
                                    name=f"{i}.csv").table.num_rows

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {0: 1, 1: 2, 2: 3, 3: 4}


def test_the_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_INTAKE_MAX_MEMORY_MB", "300")
    monkeypatch.setenv("HIZONE_INTAKE_MAX_CPU_S", "7")
    monkeypatch.setenv("HIZONE_INTAKE_TIMEOUT_S", "9.5")
    assert WorkerLimits.from_env() == WorkerLimits(300 << 20, 7, 9.5)

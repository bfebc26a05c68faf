"""Untrusted files are parsed in a child process with memory, CPU and time limits (DESIGN principle 7).

A hostile file can make a reader allocate without bound (calamine aborts the process on a failed
allocation), spin for a minute or crash in native code; none of that may reach the web process or the
CLI. ``read_in_worker`` is ``read_source`` run in a child: whatever happens there comes back as the
``RawSheet`` or as one ``IntakeError`` naming the file and what happened.

Cheap and fast:
* A zygote — a fresh interpreter started once per process, with the readers imported — forks a
  supervisor per file, which forks the reader and watches it (limits, clock, the caller hanging up).
  Forking a single-threaded zygote is safe however many threads the caller runs, and costs
  milliseconds where a new interpreter costs most of a second. (multiprocessing's forkserver would do
  the forking, but imports the caller's ``__main__`` — pytest, uvicorn — again in every child.)
* Bytes go in and the table comes out through memory files (memfd), not pipes or pickles: the reader
  writes the Arrow table as IPC into one, the caller maps it, so the table is not copied again.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import pickle
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hizone.catalog import Catalog
from hizone.intake.errors import IntakeError
from hizone.intake.readers import Limits, RawSheet, Source, read_source
from hizone.intake.rules import RuleSet

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("<Q")
_STDERR_KEPT = 8192  # the start and the end of the reader's stderr, kept to say why it died


@dataclass(frozen=True)
class WorkerLimits:
    """What one file's reading may take: HIZONE_INTAKE_MAX_MEMORY_MB, HIZONE_INTAKE_MAX_CPU_S and
    HIZONE_INTAKE_TIMEOUT_S override. The defaults leave a 256 MB file of 200,000 rows ample room
    (reading one takes a few seconds and well under 1 GiB)."""

    memory_bytes: int = 2 << 30  # address space the reader may add to the zygote's own
    cpu_seconds: int = 60  # CPU time over all the reader's threads
    timeout_seconds: float = 60.0  # wall clock

    @classmethod
    def from_env(cls) -> WorkerLimits:
        memory = os.environ.get("HIZONE_INTAKE_MAX_MEMORY_MB")
        cpu = os.environ.get("HIZONE_INTAKE_MAX_CPU_S")
        timeout = os.environ.get("HIZONE_INTAKE_TIMEOUT_S")
        return cls(int(memory) << 20 if memory else cls.memory_bytes, int(cpu) if cpu else cls.cpu_seconds,
                   float(timeout) if timeout else cls.timeout_seconds)


def read_in_worker(source: Source, rules: RuleSet, catalog: Catalog, *, name: str | None = None,
                   sheet: str | None = None, limits: Limits | None = None,
                   bounds: WorkerLimits | None = None) -> RawSheet:
    """``read_source`` in a child process under ``bounds`` (default: from the environment)."""
    label = name or ("upload" if isinstance(source, bytes) else Path(source).name)
    return run_in_worker(read_source, source, (rules, catalog),
                         {"name": label, "sheet": sheet, "limits": limits or Limits.from_env()}, label, bounds)


def run_in_worker(reader: Callable[..., RawSheet], source: Source, args: tuple[Any, ...], kwargs: dict[str, Any],
                  label: str, bounds: WorkerLimits | None = None) -> RawSheet:
    """``reader(source, *args, **kwargs)`` in a child process under ``bounds``; a ``source`` given as bytes
    travels in a memory file. ``reader`` and its arguments must pickle (by reference, for a function)."""
    bounds = bounds or WorkerLimits.from_env()
    files = _JobFiles.create(source if isinstance(source, bytes) else None)
    try:
        request = {"reader": reader, "path": None if isinstance(source, bytes) else str(source), "args": args,
                   "kwargs": kwargs, "name": label, "bounds": bounds}
        status = _ZYGOTE.run(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL), files, bounds)
        return _outcome(status, files, label, bounds)
    finally:
        files.close()


def start_worker() -> None:
    """Start the zygote now (it imports the readers in the background), so the first file waits less."""
    _ZYGOTE.ensure()


# ---- the caller's side -------------------------------------------------------------------------------------


@dataclass
class _JobFiles:
    """The memory files of one job: the upload (when given as bytes), the table, the reader's answer."""

    upload: int | None
    table: int
    answer: int

    @classmethod
    def create(cls, data: bytes | None) -> _JobFiles:
        upload = None
        if data is not None:
            upload = os.memfd_create("hizone-upload")
            with open(upload, "wb", closefd=False) as handle:
                handle.write(data)
        return cls(upload, os.memfd_create("hizone-table"), os.memfd_create("hizone-answer"))

    def fds(self) -> list[int]:
        return [self.table, self.answer] + ([self.upload] if self.upload is not None else [])

    def close(self) -> None:
        for fd in self.fds():
            os.close(fd)


def _outcome(status: dict[str, Any], files: _JobFiles, label: str, bounds: WorkerLimits) -> RawSheet:
    """The sheet read, or the IntakeError saying why not."""
    if status["kind"] == "timeout":
        raise IntakeError(f"the file could not be read within {bounds.timeout_seconds:g} s", where=label)
    if status["kind"] == "signal":
        raise _died(status, label, bounds)
    if status["code"] != 0:
        _log_stderr(status, label)
        raise IntakeError(f"the reader stopped unexpectedly (exit code {status['code']})", where=label)
    answer = _read_fd(files.answer)
    if not answer:  # exited 0 without answering: only if killed between the two, so treat as a crash
        raise IntakeError("the reader stopped unexpectedly (no answer)", where=label)
    kind, payload = pickle.loads(answer)
    if kind == "refused":
        raise IntakeError(payload["reason"], where=payload["where"])
    if kind == "memory":
        raise IntakeError(_memory_message(bounds), where=label)
    if kind == "failed":
        log.error("reader failed on %s:\n%s", label, payload["traceback"])
        raise IntakeError(f"the reader failed on this file ({payload['error']})", where=label)
    return RawSheet(**payload, table=_mapped_table(files.table))


def _died(status: dict[str, Any], label: str, bounds: WorkerLimits) -> IntakeError:
    number = status["code"]
    stderr = status["stderr"]
    if number == signal.SIGXCPU or (number == signal.SIGKILL and status["cpu"] >= bounds.cpu_seconds):
        return IntakeError(f"reading the file needed more than {bounds.cpu_seconds} s of CPU time", where=label)
    if "memory allocation of" in stderr or "MemoryError" in stderr or "std::bad_alloc" in stderr:
        return IntakeError(_memory_message(bounds), where=label)  # Rust and C++ abort on a failed allocation
    _log_stderr(status, label)
    try:
        signame = f"signal {number}, {signal.Signals(number).name}"
    except ValueError:
        signame = f"signal {number}"
    return IntakeError(f"the reader stopped unexpectedly ({signame})", where=label)


def _memory_message(bounds: WorkerLimits) -> str:
    return f"reading the file needed more than {_size(bounds.memory_bytes)} of memory"


def _size(count: int) -> str:
    return f"{count / 2**30:g} GiB" if count >= 1 << 30 else f"{count / 2**20:g} MiB"


def _log_stderr(status: dict[str, Any], label: str) -> None:
    if status["stderr"].strip():
        log.error("reader of %s wrote before it stopped:\n%s", label, status["stderr"])


def _read_fd(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, size, 0) if size else b""


def _mapped_table(fd: int) -> pa.Table:
    """The reader's Arrow IPC file, mapped: the columns point into the memory file, no copy is made."""
    size = os.fstat(fd).st_size
    mapped = mmap.mmap(fd, size, prot=mmap.PROT_READ)  # the mapping outlives the descriptor
    with pa.ipc.open_file(pa.py_buffer(mapped)) as reader:
        return reader.read_all()


class _Zygote:
    """The zygote process, started on first use and again if it died or this process was forked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._owner = 0

    def ensure(self) -> socket.socket:
        with self._lock:
            if self._control is None or self._owner != os.getpid() or self._process is None \
                    or self._process.poll() is not None:
                self._start()
            assert self._control is not None
            return self._control

    def _start(self) -> None:
        if self._control is not None and self._owner == os.getpid():
            self._control.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # The caller's import path, so the zygote runs the same code (and finds the caller's readers)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from hizone.intake.worker import serve; serve({theirs.fileno()})"],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        theirs.close()
        self._control, self._owner = ours, os.getpid()

    def run(self, request: bytes, files: _JobFiles, bounds: WorkerLimits) -> dict[str, Any]:
        """Hand one job to the zygote and wait for its supervisor's report."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with ours:
            try:
                self._send(theirs, files)
            finally:
                theirs.close()
            # The supervisor enforces the timeout; this one only guards against the supervisor itself hanging.
            ours.settimeout(bounds.timeout_seconds + 30)
            try:
                ours.sendall(_LENGTH.pack(len(request)) + request)
                report = _receive_all(ours)
            except (TimeoutError, OSError):
                report = b""
        if not report:
            raise IntakeError("the reader's supervisor did not answer", where=pickle.loads(request)["name"])
        status: dict[str, Any] = pickle.loads(report)
        return status

    def _send(self, job: socket.socket, files: _JobFiles) -> None:
        for attempt in (1, 2):  # a zygote that died since the last file is started again once
            control = self.ensure()
            try:
                with self._lock:
                    socket.send_fds(control, [b"job"], [job.fileno(), *files.fds()])
                return
            except OSError:
                if attempt == 2:
                    raise
                with self._lock:
                    self._process = None


_ZYGOTE = _Zygote()


def _receive_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


# ---- the zygote, its supervisors and the readers -----------------------------------------------------------


def serve(control_fd: int) -> None:
    """The zygote's loop: one forked supervisor per job, until the caller goes away."""
    control = socket.socket(fileno=control_fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    _preload()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 8)
        except OSError:
            return
        if not message:
            return
        if os.fork() == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 1
            try:
                _supervise(socket.socket(fileno=fds[0]), fds[1], fds[2], fds[3] if len(fds) > 3 else None)
                code = 0
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


def _preload() -> None:
    """What every reader needs, done once here rather than in each child: the readers are imported with
    this module; a first compute call imports what pyarrow loads on first use (pandas: most of a second).
    Nothing here may start a thread."""
    pc.equal(pa.array([""]), "")
    assert threading.active_count() == 1, "the zygote forks: it must stay single-threaded"


def _supervise(job: socket.socket, table_fd: int, answer_fd: int, upload_fd: int | None) -> None:
    """Fork the reader under its limits, wait for it (or for the clock, or for the caller hanging up),
    and report how it ended."""
    header = _receive_exactly(job, _LENGTH.size)
    request = pickle.loads(_receive_exactly(job, _LENGTH.unpack(header)[0]))
    bounds: WorkerLimits = request["bounds"]
    stderr_fd = os.memfd_create("hizone-reader-stderr")
    pid = os.fork()
    if pid == 0:
        job.close()
        os.dup2(stderr_fd, 2)
        try:
            _read(request, table_fd, answer_fd, upload_fd)
        finally:
            os._exit(0)
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd, job.fileno()], [], [], bounds.timeout_seconds)
    timed_out = not ready
    if pidfd not in ready:  # out of time, or the caller hung up: nobody waits for this reader any more
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    written = os.fstat(stderr_fd).st_size
    kept = os.pread(stderr_fd, _STDERR_KEPT, 0)
    if written > 2 * _STDERR_KEPT:
        kept += b"\n...\n"
    kept += os.pread(stderr_fd, _STDERR_KEPT, max(_STDERR_KEPT, written - _STDERR_KEPT))
    report = {"kind": "timeout" if timed_out else "signal" if os.WIFSIGNALED(status) else "exit",
              "code": os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status),
              "cpu": usage.ru_utime + usage.ru_stime, "stderr": kept.decode("utf-8", "replace")}
    with contextlib.suppress(OSError):  # the caller may be gone
        job.sendall(pickle.dumps(report))
    job.close()


def _receive_exactly(sock: socket.socket, count: int) -> bytes:
    chunks, left = [], count
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the caller hung up")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read(request: dict[str, Any], table_fd: int, answer_fd: int, upload_fd: int | None) -> None:
    """In the reader process: limits set, the file read, the table and the answer written."""
    bounds: WorkerLimits = request["bounds"]
    resource.setrlimit(resource.RLIMIT_CPU, (bounds.cpu_seconds, bounds.cpu_seconds + 5))
    limit = _address_space() + bounds.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    answer: tuple[str, dict[str, Any]]
    try:
        source: Source = Path(f"/proc/self/fd/{upload_fd}").read_bytes() if upload_fd is not None \
            else Path(request["path"])
        raw = request["reader"](source, *request["args"], **request["kwargs"])
        with pa.OSFile(f"/proc/self/fd/{table_fd}", "wb") as sink, \
                pa.ipc.new_file(sink, raw.table.schema) as writer:
            writer.write_table(raw.table)
        fields = {k: v for k, v in vars(raw).items() if k != "table"}
        answer = ("ok", fields)
    except IntakeError as exc:
        answer = ("refused", {"reason": exc.reason, "where": exc.where})
    except MemoryError:
        answer = ("memory", {})
    except Exception as exc:  # a reader's bug on odd input: say so, keep the trace for the log
        answer = ("failed", {"error": f"{type(exc).__name__}: {str(exc)[:200]}", "traceback": traceback.format_exc()})
    with open(answer_fd, "wb", closefd=False) as handle:
        handle.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


def _address_space() -> int:
    """This process's current virtual size: the limit is what reading may add to it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) << 10
    return 0

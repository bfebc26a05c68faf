"""Page latency under load: overview, rankings and a zone profile at 50 concurrent users, on the demo.

Run: .venv/bin/python benchmarks/bench_web.py   (a few minutes at 200,000 enterprises; the SQLite store is kept
in var/bench-web/ between runs and rebuilt when HIZONE_BENCH_ENTERPRISES changes; HIZONE_BENCH_WEB_STORES picks
the stores, default ``sqlite,postgresql``)

Setup (not timed), per store: the demo (HIZONE_BENCH_ENTERPRISES, default 200,000 enterprises) in a SQLite store
or a fresh PostgreSQL server (the tests' throwaway one), the analytic tables, an evaluation run of the latest
year, and a national analyst. The server is `hizone serve` on loopback (HIZONE_BENCH_WEB_WORKERS processes,
default one per core); the load generator is an asyncio httpx client here, with 50 concurrent users for a
bounded time (and request count) per page. Target: p95 < 300 ms per page and at most 1.5x the baseline's p95.
Baseline: the same load on a static file (no template, no query) of the same run, the floor the machine gives.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from harness import REPO, heading, row

ENTERPRISES = int(os.environ.get("HIZONE_BENCH_ENTERPRISES", "200000"))
USERS = 50
SECONDS = float(os.environ.get("HIZONE_BENCH_SECONDS", "12"))
MAX_REQUESTS = 20_000
TARGET_P95_MS = 300.0
TARGET_RATIO = 1.5  # of the static file's p95
STORES = os.environ.get("HIZONE_BENCH_WEB_STORES", "sqlite,postgresql").split(",")
# Server processes, as `hizone serve` starts by default on this machine (one per core, at most 4).
WORKERS = int(os.environ.get("HIZONE_BENCH_WEB_WORKERS") or max(1, min(os.cpu_count() or 1, 4)))
WORK = REPO / "var" / "bench-web"


def _prepare_sqlite(store: Path) -> None:
    """The demo store with analytics and an evaluation run (reused when it is already there)."""
    from hizone.errors import StoreError
    from hizone.store import open_store

    marker = store.parent / f"ready-{ENTERPRISES}"
    if marker.exists():
        try:
            open_store(f"sqlite:///{store}").dispose()
            return
        except StoreError:  # built by an older schema: build it again
            pass
    shutil.rmtree(store.parent, ignore_errors=True)
    store.parent.mkdir(parents=True)
    _prepare(f"sqlite:///{store}", store.parent)
    marker.touch()


def _prepare(url: str, work: Path) -> None:
    """The demo, its analytic tables and an evaluation run of the latest year in the store at ``url``."""
    from hizone.analytics.build import build
    from hizone.analytics.query import Analytics
    from hizone.catalog import default_catalog
    from hizone.demo import generate, load
    from hizone.ranking import framework_for, run_evaluation
    from hizone.registry import load_provinces, load_zones
    from hizone.store import connect, upgrade

    engine = connect(url)
    upgrade(engine)
    catalog = default_catalog()
    data = generate(catalog, load_provinces(), load_zones(), ENTERPRISES, 2021)
    load(engine, data, catalog)
    analytics_path = work / "analytics.duckdb"
    build(engine, analytics_path)
    from sqlalchemy import func, select

    from hizone.store import session_scope
    from hizone.store.models import Submission

    with session_scope(engine) as session:
        year = int(session.scalar(select(func.max(Submission.period)).where(
            Submission.form_code == "enterprise_annual")) or 0)
    run_evaluation(engine, Analytics(analytics_path), framework_for("zone_evaluation", year), year,
                   samples=200, created_by="bench")
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(url: str, work: Path, port: int) -> subprocess.Popen[bytes]:
    """`hizone serve` with WORKERS server processes, on the store, up when every worker answers."""
    env = {**os.environ, "HIZONE_DATABASE_URL": url, "HIZONE_SECRET_KEY": secrets.token_hex(16),
           "HIZONE_ANALYTICS_PATH": str(work / "analytics.duckdb"), "HIZONE_WEB_WORKERS": str(WORKERS)}
    process = subprocess.Popen([sys.executable, "-c", "from hizone.cli import main; main()", "serve", "--host",
                                "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the web server did not start within 60 s")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One GET on a kept-alive HTTP/1.1 connection; the status code (the body is read and dropped).

    A minimal client on purpose: a full HTTP library costs more CPU per request than the server's static
    files do, and on a 2-core machine the load generator would measure itself.
    """
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = head.decode("latin-1").lower()
    found = re.search(r"content-length: *(\d+)", headers)
    if found:
        await reader.readexactly(int(found.group(1)))
    else:  # chunked
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _load(port: int, path: str, cookies: dict[str, str]) -> tuple[list[float], int, float]:
    """(latencies in ms of successful requests, failures, wall seconds) of USERS users for SECONDS."""
    latencies: list[float] = []
    failures = 0
    stop = time.monotonic() + SECONDS
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
               "Accept: text/html\r\n\r\n").encode()

    async def user() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop and len(latencies) + failures < MAX_REQUESTS:
                started = time.perf_counter()
                status = await _get(reader, writer, request)
                elapsed = (time.perf_counter() - started) * 1000
                if status == 200:
                    latencies.append(elapsed)
                else:
                    failures += 1
        finally:
            writer.close()

    began = time.monotonic()
    await asyncio.gather(*(user() for _ in range(USERS)))
    return latencies, failures, time.monotonic() - began


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _login(base: str, username: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=300) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1)})
        return dict(client.cookies)


def _stores() -> Iterator[tuple[str, str, Path]]:
    """(kind, URL, work directory with the analytics file) of each store measured, prepared; a PostgreSQL
    server lives until the next store."""
    for kind in STORES:
        started = time.perf_counter()
        if kind == "sqlite":
            store = WORK / "store.sqlite"
            _prepare_sqlite(store)
            row("sqlite setup: demo, analytics, evaluation run (cached in var/bench-web)",
                time.perf_counter() - started, "s", "(not in the figures)")
            yield kind, f"sqlite:///{store}", store.parent
            continue
        from tests.pgserver import PostgresServer

        server = PostgresServer().start()
        try:
            with tempfile.TemporaryDirectory(prefix="hizone-bench-web-") as work:
                _prepare(server.url(), Path(work))
                row(f"{kind} setup: demo, analytics, evaluation run", time.perf_counter() - started, "s",
                    "(not in the figures)")
                yield kind, server.url(), Path(work)
        finally:
            server.stop()


def _measure(kind: str, url: str, work: Path) -> None:
    """The pages' latencies on one store, against the static file's in the same run."""
    from sqlalchemy import select

    from hizone.auth.users import add_user
    from hizone.store import connect
    from hizone.store.models import Zone

    engine = connect(url)
    password = secrets.token_urlsafe(16)
    add_user(engine, "bench-analyst", password, "analyst", actor="bench", replace_password=True)
    with engine.connect() as conn:
        zone = conn.scalar(select(Zone.code).order_by(Zone.code).limit(1))
    engine.dispose()
    port = _free_port()
    server = _start_server(url, work, port)
    base = f"http://127.0.0.1:{port}"
    try:
        cookies = _login(base, "bench-analyst", password)
        warm = time.perf_counter()
        assert httpx.get(base + "/", timeout=300).status_code == 200
        row(f"{kind}: first overview (analytics file brought up to date and read)", time.perf_counter() - warm, "s",
            "(once per data change)")
        pages = [("baseline: static file", "/static/app.css"), ("overview /", "/"),
                 ("rankings /rankings", "/rankings"), (f"zone profile /zones/{zone}", f"/zones/{zone}")]
        baseline_p95 = None
        for name, path in pages:
            httpx.get(base + path, cookies=cookies, timeout=60)  # warm this page's caches
            latencies, failures, wall = asyncio.run(_load(port, path, cookies))
            if not latencies:
                row(f"{kind}: {name}: no successful request", failures, "failures")
                continue
            p50, p95, p99 = (_percentile(latencies, q) for q in (50, 95, 99))
            baseline_p95 = baseline_p95 or p95
            ratio = p95 / baseline_p95
            verdict = "" if name.startswith("baseline") else (
                f"{'OK' if p95 < TARGET_P95_MS else 'OVER'} target {TARGET_P95_MS:.0f} ms; {ratio:.2f}x the "
                f"static-file p95 ({'OK' if ratio <= TARGET_RATIO else 'OVER'} target {TARGET_RATIO}x)")
            row(f"{kind}: {name}: p50", p50, "ms")
            row(f"{kind}: {name}: p95", p95, "ms", verdict)
            row(f"{kind}: {name}: p99", p99, "ms")
            row(f"{kind}: {name}: throughput", len(latencies) / wall, "req/s",
                f"{len(latencies):,} ok, {failures} failed, mean {statistics.mean(latencies):.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    heading(f"web: p50/p95/p99 at {USERS} concurrent users, {ENTERPRISES:,} demo enterprises, "
            f"{SECONDS:.0f} s per page, stores {', '.join(STORES)}")
    for kind, url, work in _stores():
        _measure(kind, url, work)


if __name__ == "__main__":
    main()

"""Load: concurrent users mixing page views, exports and uploads against a real `hizone serve`, per store.

Run: .venv/bin/python benchmarks/bench_load.py [--seconds 120] [--users 50] [--enterprises 5000]
     [--stores sqlite,postgresql] [--json FILE]
(or HIZONE_BENCH_LOAD_SECONDS, HIZONE_BENCH_LOAD_USERS, HIZONE_BENCH_LOAD_ENTERPRISES). tests/load/ runs it
for 15 seconds per store and asserts its verdict.

Setup (not timed): the synthetic demo in a fresh store of each kind (PostgreSQL: a server started as the
tests start theirs), a national analyst, and an API token for uploads. The server is `hizone serve` in its
own process on loopback. Five sessions are logged in and shared by the users (not timed); each user then
loops until the time is up (at most MAX_REQUESTS in all): waits THINK seconds (uniform, as a person
clicking), then views a page (70%), exports a table (20%) or
uploads a report through the API (10%; every tenth upload carries an invalid credit code, which must be
refused with 422). Each valid upload holds 10 enterprises no other upload holds, so all of them must land:
after the load, the store must hold exactly the uploads the server answered 201.

Baseline: first, one user alone browsing (pages and exports, no uploads) for --baseline-seconds; each
kind's p95 under load is printed as a multiple of that user's.

Errors are 5xx answers and connection errors (timeouts included); an expected 4xx (the refused upload) is
counted apart; any other non-2xx answer is reported as unexpected. The verdict is OK when there are no
errors, no unexpected answers and every accepted upload landed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import heading, row

FORM = "enterprise_annual"
UPLOAD_PERIODS = ("2024", "2025")  # after the demo's last annual report (2023)
ROWS_PER_UPLOAD = 10
BAD_UPLOAD_EVERY = 10
MIX = (("page", 0.7), ("export", 0.2), ("upload", 0.1))
BROWSING = (("page", 0.7), ("export", 0.2))  # the baseline: one user, alone, no uploads
THINK = (0.1, 0.9)  # seconds between a user's requests
MAX_REQUESTS = 200_000
TIMEOUT = 60.0
ANALYST = "load-analyst"
SESSIONS = 5  # logins, shared by the users: 50 argon2 checks would take half a minute on two cores
HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "营业收入", "利润总额", "净利润", "资产总计", "年末从业人员",
          "R&D人员", "本科及以上学历人员", "技术收入"]


@dataclass
class Tally:
    """What the users saw, per request kind."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    unexpected: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    refused: int = 0  # the invalid uploads, answered 422 as they should be
    uploads_ok: int = 0
    rows_created: int = 0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


@dataclass(frozen=True)
class Store:
    url: str
    var_dir: Path
    password: str
    token: str
    zones: list[str]
    enterprises: list[tuple[str, str]]  # (credit code, zone), for uploads


def _prepare(url: str, var_dir: Path, enterprises: int) -> Store:
    from sqlalchemy import select

    from hizone.auth.users import add_user, create_token
    from hizone.catalog import default_catalog
    from hizone.demo import generate, load
    from hizone.registry import load_provinces, load_zones
    from hizone.store import connect, upgrade
    from hizone.store.models import Enterprise, Zone

    engine = connect(url)
    upgrade(engine)
    catalog = default_catalog()
    load(engine, generate(catalog, load_provinces(), load_zones(), enterprises, 2021), catalog)
    password = secrets.token_urlsafe(16)
    add_user(engine, ANALYST, password, "analyst", actor="bench")
    token = create_token(engine, ANALYST, "load")
    with engine.connect() as conn:
        zones = list(conn.scalars(select(Zone.code).order_by(Zone.code).limit(8)))
        registered = [(code, zone) for code, zone in conn.execute(
            select(Enterprise.credit_code, Enterprise.zone_code).order_by(Enterprise.id))]
    engine.dispose()
    return Store(url, var_dir, password, token, zones, registered)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(store: Store, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HIZONE_DATABASE_URL": store.url, "HIZONE_VAR_DIR": str(store.var_dir),
           "HIZONE_SECRET_KEY": secrets.token_hex(16)}
    command = [sys.executable, "-c", "from hizone.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the web server did not start: {log.read_text(errors='replace')[-500:]}")


def _upload_files(store: Store) -> Iterator[tuple[str, bytes, bool]]:
    """(period, CSV, valid?) for each upload in turn: disjoint enterprises, so every valid one must land."""
    number = 0
    for period in UPLOAD_PERIODS:
        for start in range(0, len(store.enterprises) - ROWS_PER_UPLOAD + 1, ROWS_PER_UPLOAD):
            number += 1
            valid = number % BAD_UPLOAD_EVERY != 0
            rows = []
            for i, (code, zone) in enumerate(store.enterprises[start:start + ROWS_PER_UPLOAD]):
                shown = code if valid or i else code[:-1] + ("0" if code[-1] != "0" else "1")  # wrong check char
                revenue = 1000 * (start + i + 1)
                rows.append([shown, f"企业{start + i}", zone, revenue, 100, 80, 5000, 50 + i, 10, 30, 200])
            lines = [",".join(HEADER)] + [",".join(str(v) for v in r) for r in rows]
            yield period, ("\n".join(lines) + "\n").encode(), valid


def _requests(store: Store) -> dict[str, list[str]]:
    zone = store.zones[0]
    pages = ["/", "/zones", "/rankings", "/monitoring", "/reporting"]
    pages += [f"/zones/{z}" for z in store.zones[:4]] + [f"/zones/{zone}/enterprises"]
    exports = ["/export/zones.csv", "/export/provinces.xlsx", "/export/top_zones.csv",
               f"/zones/{zone}/enterprises/export.csv", f"/zones/{zone}/export/key_indicators.xlsx",
               "/reporting/recent/export.csv"]
    return {"page": pages, "export": exports}


async def _login(client: httpx.AsyncClient, password: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    data = {"username": ANALYST, "password": password} | ({"csrf_token": token.group(1)} if token else {})
    answer = await client.post("/login", data=data)
    if answer.status_code != 303:
        raise RuntimeError(f"login failed: {answer.status_code}")


async def _user(number: int, browser: httpx.AsyncClient, api: httpx.AsyncClient, stop: float, tally: Tally,
                uploads: Iterator[tuple[str, bytes, bool]], paths: dict[str, list[str]],
                mix: tuple[tuple[str, float], ...]) -> None:
    rng = random.Random(number)
    kinds, weights = [kind for kind, _ in mix], [weight for _, weight in mix]
    while time.monotonic() < stop and tally.requests < MAX_REQUESTS:
        await asyncio.sleep(rng.uniform(*THINK))
        kind = rng.choices(kinds, weights)[0]
        upload = next(uploads, None) if kind == "upload" else None
        if kind == "upload" and upload is None:
            kind = "page"  # every enterprise has reported: view a page instead
        started = time.perf_counter()
        try:
            if upload is not None:
                period, data, valid = upload
                answer = await api.post("/api/v1/submissions", files={"file": ("load.csv", data, "text/csv")},
                                        data={"form": FORM, "period": period, "confirm_warnings": "true"})
            else:
                valid, answer = True, await browser.get(rng.choice(paths[kind]))
        except httpx.HTTPError as exc:
            tally.errors[kind].append(f"{type(exc).__name__} {exc!r} after {time.perf_counter() - started:.1f} s"[:200])
            continue
        tally.latencies[kind].append((time.perf_counter() - started) * 1000)
        _judge(tally, kind, answer, valid)


def _judge(tally: Tally, kind: str, answer: httpx.Response, valid: bool) -> None:
    what = f"{answer.request.method} {answer.request.url.path} → {answer.status_code}"
    if answer.status_code >= 500:
        tally.errors[kind].append(what)
    elif kind == "upload" and not valid and answer.status_code == 422:
        tally.refused += 1
    elif kind == "upload" and valid and answer.status_code == 201:
        tally.uploads_ok += 1
        tally.rows_created += int(answer.json()["created"])
    elif kind == "upload" or answer.status_code != 200:
        tally.unexpected[kind].append(f"{what}: {answer.text[:160]}")


async def _load(base: str, store: Store, users: int, seconds: float, mix: tuple[tuple[str, float], ...],
                uploads: Iterator[tuple[str, bytes, bool]]) -> tuple[Tally, float]:
    """The sessions log in (not timed), then all the users load the server for ``seconds``."""
    tally = Tally()
    paths = _requests(store)
    # One connection per user and kind, dropped by the client after 4 s idle: uvicorn closes a connection idle
    # for 5 s, and a request sent as its close arrives would fail (a browser retries it; httpx does not).
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=4.0)
    async with AsyncExitStack() as stack:
        browsers = [await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits))
                    for _ in range(users)]
        apis = [await stack.enter_async_context(httpx.AsyncClient(
            base_url=base, timeout=TIMEOUT, limits=limits, headers={"Authorization": f"Bearer {store.token}"}))
            for _ in range(users)]
        logging_in = time.perf_counter()
        await asyncio.gather(*(_login(browser, store.password) for browser in browsers[:SESSIONS]))
        for n, browser in enumerate(browsers[SESSIONS:]):
            browser.cookies = httpx.Cookies(browsers[n % SESSIONS].cookies)
        row(f"{min(users, SESSIONS)} logins (argon2, not in the figures)", time.perf_counter() - logging_in, "s")
        began = time.monotonic()
        await asyncio.gather(*(_user(n, browsers[n], apis[n], began + seconds, tally, uploads, paths, mix)
                               for n in range(users)))
        return tally, time.monotonic() - began


def _landed(store: Store) -> tuple[int, int]:
    """(import batches, submissions) the uploads left in the store."""
    from sqlalchemy import func, select

    from hizone.store import connect
    from hizone.store.models import ImportBatch, Submission

    engine = connect(store.url)
    with engine.connect() as conn:
        batches = conn.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.created_by == ANALYST))
        rows = conn.scalar(select(func.count()).select_from(Submission).where(Submission.created_by == ANALYST))
    engine.dispose()
    return int(batches or 0), int(rows or 0)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_store(kind: str, url: str, var_dir: Path, users: int, seconds: float, enterprises: int,
              baseline_seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    store = _prepare(url, var_dir, enterprises)
    row(f"{kind}: setup (demo of {enterprises:,} enterprises, users)", time.perf_counter() - started, "s",
        "(not in the figures)")
    port = _free_port()
    log = var_dir / "server.log"
    server = _start_server(store, port, log)
    base, uploads = f"http://127.0.0.1:{port}", _upload_files(store)
    try:
        alone = asyncio.run(_load(base, store, 1, baseline_seconds, BROWSING, uploads))[0] if baseline_seconds else None
        tally, wall = asyncio.run(_load(base, store, users, seconds, MIX, uploads))
    finally:
        server.terminate()
        server.wait(timeout=60)
    batches, rows = _landed(store)
    landed = batches == tally.uploads_ok and rows == tally.rows_created == tally.uploads_ok * ROWS_PER_UPLOAD
    result: dict[str, Any] = {
        "store": kind, "users": users, "seconds": wall, "requests": tally.requests,
        "kinds": {k: {"count": len(v), "p50": _percentile(v, 50), "p95": _percentile(v, 95), "p99": _percentile(v, 99)}
                  for k, v in sorted(tally.latencies.items()) if v},
        "baseline_p95": {k: _percentile(v, 95) for k, v in sorted(alone.latencies.items()) if v} if alone else {},
        "errors": _problems(tally.errors, alone.errors if alone else {}),
        "unexpected": _problems(tally.unexpected, alone.unexpected if alone else {}),
        "refused_as_expected": tally.refused, "uploads_ok": tally.uploads_ok, "batches_stored": batches,
        "rows_stored": rows, "uploads_landed": landed,
        "server_tracebacks": log.read_text(errors="replace").count("Traceback"),
        "first_traceback": _first_traceback(log.read_text(errors="replace")),
    }
    result["ok"] = (not result["errors"] and not result["unexpected"] and landed and tally.uploads_ok > 0
                    and result["server_tracebacks"] == 0)
    _print(result)
    return result


def _first_traceback(log: str, most: int = 4000) -> str:
    """The server log from its first traceback on (what a failed run needs to be understood), or ''."""
    at = log.find("Traceback")
    return "" if at < 0 else log[max(0, log.rfind("\n", 0, at)):][:most]


def _problems(*found: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = defaultdict(list)
    for problems in found:
        for kind, listed in problems.items():
            merged[kind] += listed
    return {kind: listed for kind, listed in merged.items() if listed}


def _first(problems: dict[str, list[str]]) -> str:
    return "; ".join(p for found in problems.values() for p in found[:2])[:300]


def _print(result: dict[str, Any]) -> None:
    store = result["store"]
    for kind, figures in result["kinds"].items():
        for q in ("p50", "p95", "p99"):
            alone = result["baseline_p95"].get(kind)
            note = f"of {figures['count']:,}" if q == "p50" else (
                f"{figures[q] / alone:.1f}x one user's p95 ({alone:.0f} ms)" if q == "p95" and alone else "")
            row(f"{store}: {kind} {q}", figures[q], "ms", note)
    errors = sum(len(v) for v in result["errors"].values())
    unexpected = sum(len(v) for v in result["unexpected"].values())
    row(f"{store}: throughput", result["requests"] / result["seconds"], "req/s",
        f"{result['requests']:,} requests from {result['users']} users in {result['seconds']:.0f} s")
    row(f"{store}: errors (5xx, connection)", errors, "", _first(result["errors"]))
    row(f"{store}: unexpected answers", unexpected, "", _first(result["unexpected"]))
    row(f"{store}: uploads stored / refused as expected", result["uploads_ok"], "",
        f"{result['refused_as_expected']} refused; store holds {result['batches_stored']} batches, "
        f"{result['rows_stored']:,} rows: {'all landed' if result['uploads_landed'] else 'MISMATCH'}")
    print(f"  {store}: {'OK' if result['ok'] else 'FAILED'}", flush=True)


def _stores(names: list[str], root: Path) -> Iterator[tuple[str, str, Path]]:
    """(kind, URL, var dir) of a fresh store of each kind; a PostgreSQL server lives until the next."""
    for name in names:
        var_dir = root / name
        var_dir.mkdir()
        if name == "sqlite":
            yield name, f"sqlite:///{var_dir / 'hizone.sqlite'}", var_dir
            continue
        from tests.pgserver import PostgresServer

        server = PostgresServer().start()
        try:
            yield name, server.url(), var_dir
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("HIZONE_BENCH_LOAD_SECONDS", "120")))
    parser.add_argument("--users", type=int, default=int(os.environ.get("HIZONE_BENCH_LOAD_USERS", "50")))
    parser.add_argument("--enterprises", type=int,
                        default=int(os.environ.get("HIZONE_BENCH_LOAD_ENTERPRISES", "5000")))
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--baseline-seconds", type=float, default=10.0,
                        help="first, one user alone browsing for this long: the p95s' baseline (0: none)")
    parser.add_argument("--json", type=Path, help="also write the figures and verdicts here")
    args = parser.parse_args()
    heading(f"load: {args.users} users mixing pages, exports and uploads for {args.seconds:.0f} s per store "
            f"against `hizone serve`")
    results = []
    with tempfile.TemporaryDirectory(prefix="hizone-bench-load-") as tmp:
        for kind, url, var_dir in _stores(args.stores.split(","), Path(tmp)):
            results.append(run_store(kind, url, var_dir, args.users, args.seconds, args.enterprises,
                                     args.baseline_seconds))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

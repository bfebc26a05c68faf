"""网上填报 under load: the form page and the field check with 200 users filling in at once, on the demo.

Run: .venv/bin/python benchmarks/bench_online.py   (the stores are bench_web's: the demo of
HIZONE_BENCH_ENTERPRISES enterprises, default 200,000, SQLite kept in var/bench-web/, a throwaway PostgreSQL;
HIZONE_BENCH_WEB_STORES picks the stores, HIZONE_BENCH_SECONDS the time per measurement)

Setup (not timed), per store: bench_web's store and a zone committee user of the zone with most enterprises,
who files on behalf of 200 of them: each simulated user has its own enterprise's form open (its last year's
values are real), for the report year after the demo's latest. The server is `hizone serve`'s app under uvicorn
in its own process; the load generator keeps 200 connections busy for a bounded time.
Targets: form page p95 < 300 ms, field check (POST …/check with the values typed, one of them wrong) p95 < 100 ms.
Baseline: the same 200 users on a static file (no template, no query), the floor the machine gives.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import statistics
import time
import urllib.parse
from pathlib import Path

import httpx
from bench_web import ENTERPRISES, SECONDS, STORES, _free_port, _get, _login, _percentile, _start_server, _stores
from harness import heading, row

USERS = 200
MAX_REQUESTS = 40_000
TARGETS_MS = {"form page": 300.0, "field check": 100.0}
FORM = "enterprise_annual"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _setup(url: str) -> tuple[str, list[str], str, str]:
    """(zone, 200 of its enterprises, the report year being filled, the password of its committee user)."""
    from sqlalchemy import func, select

    from hizone.auth.users import add_user
    from hizone.store import connect
    from hizone.store.models import Enterprise, Submission

    engine = connect(url)
    with engine.connect() as conn:
        zone = conn.execute(select(Enterprise.zone_code).group_by(Enterprise.zone_code)
                            .order_by(func.count().desc()).limit(1)).scalar_one()
        latest = conn.scalar(select(func.max(Submission.period)).where(Submission.form_code == FORM))
        entities = list(conn.scalars(select(Submission.entity_key).where(
            Submission.form_code == FORM, Submission.period == latest, Submission.zone_code == zone)
            .distinct().order_by(Submission.entity_key).limit(USERS)))
    password = secrets.token_urlsafe(16)
    add_user(engine, "bench-online-zone", password, "zone", zone=zone, actor="bench", replace_password=True)
    engine.dispose()
    return zone, entities, str(int(str(latest)) + 1), password


async def _load(port: int, requests: list[bytes]) -> tuple[list[float], int, float]:
    """(latencies in ms of successful requests, failures, wall seconds): one user per request, repeating it."""
    latencies: list[float] = []
    failures = 0
    stop = time.monotonic() + SECONDS

    async def user(request: bytes) -> None:
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
    await asyncio.gather(*(user(r) for r in requests))
    return latencies, failures, time.monotonic() - began


def _requests(port: int, cookie: str, form_url: str, entities: list[str], token: str) -> dict[str, list[bytes]]:
    head = f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
    static = f"GET /static/app.css HTTP/1.1\r\n{head}\r\n".encode()
    pages, checks = [], []
    for i, key in enumerate(entities):
        pages.append(f"GET {form_url}?entity={key} HTTP/1.1\r\n{head}Accept: text/html\r\n\r\n".encode())
        # What a user has typed so far: thousands separators, 万, and one field still wrong (text).
        body = urllib.parse.urlencode({"csrf_token": token, "entity": key, "revenue": f"{1000 + i}万",
                                       "total_profit": "1,200", "net_profit": "900", "employees": "abc",
                                       "total_assets": "30000"}).encode()
        checks.append(f"POST {form_url}/check HTTP/1.1\r\n{head}Accept: application/json\r\n"
                      f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
                      .encode() + body)
    return {"baseline: static file": [static] * len(entities), "form page": pages, "field check": checks}


def _measure(kind: str, url: str, work: Path) -> None:
    zone, entities, year, password = _setup(url)
    port = _free_port()
    server = _start_server(url, work, port)
    base = f"http://127.0.0.1:{port}"
    form_url = f"/reporting/online/{FORM}/{year}"
    try:
        cookies = _login(base, "bench-online-zone", password)
        first = httpx.get(f"{base}{form_url}?entity={entities[0]}", cookies=cookies, timeout=300)
        assert first.status_code == 200 and 'data-last="revenue">' in first.text, first.text[:300]
        token = CSRF.search(first.text)
        assert token is not None
        checked = httpx.post(f"{base}{form_url}/check", cookies=cookies, timeout=300,
                             data={"csrf_token": token.group(1), "entity": entities[0], "employees": "abc"}).json()
        assert [i["rule"] for i in checked["issues"] if i["field"] == "employees"] == ["not_a_number"], checked
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        row(f"{kind}: zone {zone}, {len(entities)} enterprises' forms of {year}", len(entities), "users")
        baseline_p95 = None
        for name, requests in _requests(port, cookie, form_url, entities, token.group(1)).items():
            latencies, failures, wall = asyncio.run(_load(port, requests))
            if not latencies:
                row(f"{kind}: {name}: no successful request", failures, "failures")
                continue
            p50, p95, p99 = (_percentile(latencies, q) for q in (50, 95, 99))
            baseline_p95 = baseline_p95 or p95
            target = TARGETS_MS.get(name)
            verdict = "" if target is None else (f"{'OK' if p95 < target else 'OVER'} target {target:.0f} ms; "
                                                 f"{p95 / baseline_p95:.2f}x the static-file p95")
            row(f"{kind}: {name}: p50", p50, "ms")
            row(f"{kind}: {name}: p95", p95, "ms", verdict)
            row(f"{kind}: {name}: p99", p99, "ms")
            row(f"{kind}: {name}: throughput", len(latencies) / wall, "req/s",
                f"{len(latencies):,} ok, {failures} failed, mean {statistics.mean(latencies):.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    heading(f"online reporting: p50/p95/p99 at {USERS} concurrent users, {ENTERPRISES:,} demo enterprises, "
            f"{SECONDS:.0f} s per measurement, stores {', '.join(STORES)}")
    for kind, url, work in _stores():
        _measure(kind, url, work)


if __name__ == "__main__":
    main()

"""网上填报 under load: the form page and the field check with 200 users filling in at once, on the demo.

Run: .venv/bin/python benchmarks/bench_online.py   (the stores are bench_web's: the demo of
HIZONE_BENCH_ENTERPRISES enterprises, default 200,000, SQLite kept in var/bench-web/, a throwaway PostgreSQL;
HIZONE_BENCH_WEB_STORES picks the stores; HIZONE_BENCH_ONLINE_SECONDS the length of each run, default 30;
HIZONE_BENCH_ONLINE_USERS the numbers of users, default 200, e.g. 50,200 to see where this machine keeps up)

What "200 users filling in at once" means here (a human load, not 200 clients hammering in a loop):
* 200 users, each at work on a form: a zone committee user of the zone with most enterprises, filing on
  behalf of its enterprises (the costlier path: the enterprise is looked up and scoped at every request), each
  simulated user on its own enterprise's form of the report year after the demo's latest (last year's values
  are real, so the outlier warnings are real).
* Each user opens a form (GET the page), then types: a field check (POST …/check with the values typed so far,
  as the page's debounced input sends it) every 1–3 s (uniform, mean 2 s) for 10 checks, then opens the next
  enterprise's form, and so on. Each user starts at a random moment in the first 2 s.
* Open loop: every request is sent at its scheduled moment whether or not the user's previous one has
  answered (a browser opens another connection); its latency counts from that moment, so a server that falls
  behind shows it (no coordinated omission). About 100 checks and 10 form pages a second in all.
* The values typed: separators (1,200), 万 units, plain numbers, and now and then text in a number field or
  a value out of range, so the answers carry errors and warnings.
Baseline: the same users on the same schedule, every request a static file (no template, no query) instead:
the floor this machine gives at that arrival rate, in the same process. Each figure is printed with the load
average of the machine (shared with other work) when it was taken; beside the latencies, the server processes'
CPU time per request (the whole run's, and a page and a check each alone, one at a time), which moves far
less with other work on the machine and says how much of a core the 200 users take.
Setup (not timed), per store: bench_web's store and the zone user. The server is `hizone serve` with its
default worker processes (one per core; HIZONE_BENCH_WEB_WORKERS to choose), the load generator a minimal asyncio
HTTP client here.
Targets: form page p95 < 300 ms, field check p95 < 100 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
import statistics
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from bench_web import ENTERPRISES, STORES, WORKERS, _free_port, _get, _login, _percentile, _start_server, _stores
from harness import heading, row

USER_COUNTS = [int(n) for n in os.environ.get("HIZONE_BENCH_ONLINE_USERS", "200").split(",")]
USERS = max(USER_COUNTS)
SECONDS = float(os.environ.get("HIZONE_BENCH_ONLINE_SECONDS", "30"))
CHECKS_PER_FORM = 10
CHECK_GAP_S = (1.0, 3.0)  # uniform: a debounced check every ~2 s while typing
START_SPREAD_S = 2.0
TARGETS_MS = {"form page": 300.0, "field check": 100.0}
FORM = "enterprise_annual"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TYPED = ("revenue", "total_profit", "net_profit", "total_assets", "employees", "rd_expenditure", "rd_staff",
         "tech_revenue", "export", "taxes_paid")


def _setup(url: str) -> tuple[str, list[str], str, str]:
    """(zone, up to 200 of its enterprises, the report year being filled, the password of its committee user)."""
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


def _typed(rng: random.Random, fields: list[str], step: int) -> dict[str, str]:
    """What a user has typed after ``step`` checks: the first fields, written as people write them."""
    values = {}
    for i, code in enumerate(fields[:min(len(fields), 3 + step)]):
        n = rng.randint(100, 90_000)
        values[code] = rng.choice([str(n), f"{n:,}", f"{n / 10:.1f}万", f"{n}.5", f"０{n}"])
        if i == step % len(fields) and rng.random() < 0.2:  # the field being typed, still wrong now and then
            values[code] = rng.choice(["abc", "1,2,3", "-5", "12元x", "1e400"])
    return values


@dataclass(order=True)
class _Event:
    at: float  # seconds from the start
    user: int = field(compare=False)
    kind: str = field(compare=False)  # "form page" or "field check"
    request: bytes = field(compare=False)


def _schedule(users: int, port: int, cookie: str, form_url: str, entities: list[str], token: str,
              fields: list[str]) -> list[_Event]:
    """Every user's requests over SECONDS, in order of their moment (fixed in advance: the seed is fixed)."""
    rng = random.Random(20)
    head = f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
    events = []
    for user in range(users):
        at, form = rng.uniform(0, START_SPREAD_S), 0
        while at < SECONDS:
            key = entities[(user + form * users) % len(entities)]
            events.append(_Event(at, user, "form page", f"GET {form_url}?entity={key} HTTP/1.1\r\n{head}"
                                 "Accept: text/html\r\n\r\n".encode()))
            for step in range(CHECKS_PER_FORM):
                at += rng.uniform(*CHECK_GAP_S)
                if at >= SECONDS:
                    break
                body = urllib.parse.urlencode({"csrf_token": token, "entity": key,
                                               **_typed(rng, fields, step)}).encode()
                events.append(_Event(at, user, "field check", f"POST {form_url}/check HTTP/1.1\r\n{head}"
                                     "Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded"
                                     f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body))
            at += rng.uniform(*CHECK_GAP_S)
            form += 1
    return sorted(events)


async def _run(port: int, events: list[_Event], static: bytes | None) -> tuple[dict[str, list[float]], int, float]:
    """({kind: latencies in ms from each request's scheduled moment}, failures, the load generator's worst lag
    behind the schedule in ms). ``static``: send it in place of every request (the baseline)."""
    latencies: dict[str, list[float]] = {"form page": [], "field check": []}
    failures = 0
    worst_lag = 0.0
    idle: dict[int, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
    opened: list[asyncio.StreamWriter] = []

    async def send(event: _Event, due: float) -> None:
        nonlocal failures
        pool = idle.setdefault(event.user, [])
        if pool:
            reader, writer = pool.pop()
        else:  # the user's earlier request has not answered yet: another connection, as a browser does
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            opened.append(writer)
        try:
            status = await _get(reader, writer, static or event.request)
        except (asyncio.IncompleteReadError, ConnectionError):  # the server closed it, idle (keep-alive 5 s)
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            opened.append(writer)
            status = await _get(reader, writer, static or event.request)
        elapsed = (time.perf_counter() - due) * 1000
        pool.append((reader, writer))
        if status == 200:
            latencies[event.kind].append(elapsed)
        else:
            failures += 1

    start = time.perf_counter() + 0.5
    tasks = []
    for event in events:
        due = start + event.at
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        worst_lag = max(worst_lag, (time.perf_counter() - due) * 1000)
        tasks.append(asyncio.create_task(send(event, due)))
    await asyncio.gather(*tasks)
    for writer in opened:
        writer.close()
    return latencies, failures, worst_lag


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_seconds(pid: int) -> float:
    """The server's CPU time so far (user + system, every thread of `hizone serve` and of its worker processes):
    what a request costs the server, which the load average of a shared machine moves far less than latencies."""
    total = 0
    for process in _tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _warm(base: str, form_url: str, cookies: dict[str, str], entities: list[str], token: str) -> None:
    """A few pages and checks first (not timed): the server's first requests load templates and statements, and
    the overview waits for the analytics file the server brings up to date when it starts (a fresh store's
    build would otherwise take the CPU from the runs)."""
    for _ in range(4 * WORKERS):  # a connection of its own each: every worker process gets some
        with httpx.Client(base_url=base, cookies=cookies, timeout=900) as client:
            assert client.get("/").status_code == 200
            for key in entities[:5]:
                assert client.get(f"{form_url}?entity={key}").status_code == 200
                assert client.post(f"{form_url}/check", data={"csrf_token": token, "entity": key,
                                                              "revenue": "12万"}).status_code == 200


def _cpu_each(kind: str, base: str, form_url: str, cookies: dict[str, str], entities: list[str], token: str,
              fields: list[str], pid: int) -> None:
    """The server's CPU per form page and per check, each alone, one request at a time (not timed for latency)."""
    rng = random.Random(7)
    with httpx.Client(base_url=base, cookies=cookies, timeout=300) as client:
        for name, send in (("form page", lambda i: client.get(f"{form_url}?entity={entities[i % len(entities)]}")),
                           ("field check", lambda i: client.post(f"{form_url}/check", data={
                               "csrf_token": token, "entity": entities[i % len(entities)],
                               **_typed(rng, fields, i % CHECKS_PER_FORM)}))):
            count, cpu = 200, _cpu_seconds(pid)
            for i in range(count):
                assert send(i).status_code == 200
            each = (_cpu_seconds(pid) - cpu) / count * 1000
            row(f"{kind}: {name}: server CPU each (alone, one at a time)", each, "ms",
                f"one core serves {1000 / each:.0f}/s, {WORKERS} worker processes; load {_load()}")


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
        found = CSRF.search(first.text)
        assert found is not None
        token = found.group(1)
        checked = httpx.post(f"{base}{form_url}/check", cookies=cookies, timeout=300,
                             data={"csrf_token": token, "entity": entities[0], "employees": "abc"}).json()
        assert [i["rule"] for i in checked["issues"] if i["field"] == "employees"] == ["not_a_number"], checked
        fields = [code for code in TYPED if f'data-field="{code}"' in first.text]
        _warm(base, form_url, cookies, entities, token)
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        for users in USER_COUNTS:
            events = _schedule(users, port, cookie, form_url, entities, token, fields)
            counts = {k: sum(1 for e in events if e.kind == k) for k in TARGETS_MS}
            row(f"{kind} {users}: zone {zone}, {min(users, len(entities))} enterprises' forms of {year}", SECONDS, "s",
                f"{counts['form page']:,} form pages, {counts['field check']:,} checks "
                f"({(counts['form page'] + counts['field check']) / SECONDS:.0f} req/s)")
            static = f"GET /static/app.css HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
            baseline_load, cpu = _load(), _cpu_seconds(server.pid)
            base_latencies, base_failures, base_lag = asyncio.run(_run(port, events, static))
            base_cpu = (_cpu_seconds(server.pid) - cpu) / len(events) * 1000
            every = base_latencies["form page"] + base_latencies["field check"]
            baseline_p95 = _percentile(every, 95)
            row(f"{kind} {users}: baseline: static file on the same schedule: p95", baseline_p95, "ms",
                f"p50 {_percentile(every, 50):.1f} ms, {len(every):,} ok, {base_failures} failed, generator lag "
                f"{base_lag:.0f} ms; load {baseline_load}")
            row(f"{kind} {users}: baseline: server CPU per request", base_cpu, "ms")
            run_load, cpu = _load(), _cpu_seconds(server.pid)
            latencies, failures, lag = asyncio.run(_run(port, events, None))
            run_cpu = (_cpu_seconds(server.pid) - cpu) / len(events) * 1000
            row(f"{kind} {users}: run: the load generator's worst lag behind the schedule", lag, "ms",
                f"{failures} failed; load {run_load} → {_load()}")
            row(f"{kind} {users}: run: server CPU per request (pages and checks)", run_cpu, "ms",
                f"{run_cpu / base_cpu:.2f}x the static file's; {len(events) / SECONDS * run_cpu / 1000:.2f} of a core "
                f"at this arrival rate, over {WORKERS} worker processes")
            for name, target in TARGETS_MS.items():
                found_ms = latencies[name]
                if not found_ms:
                    row(f"{kind} {users}: {name}: no successful request", 0, "")
                    continue
                p50, p95, p99 = (_percentile(found_ms, q) for q in (50, 95, 99))
                verdict = (f"{'OK' if p95 < target else 'OVER'} target {target:.0f} ms; {p95 / baseline_p95:.2f}x "
                           "the static-file p95")
                row(f"{kind} {users}: {name}: p50", p50, "ms")
                row(f"{kind} {users}: {name}: p95", p95, "ms", verdict)
                row(f"{kind} {users}: {name}: p99", p99, "ms",
                    f"{len(found_ms):,} ok, mean {statistics.mean(found_ms):.1f} ms; load {run_load}")
        _cpu_each(kind, base, form_url, cookies, entities, token, fields, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    heading(f"online reporting: {', '.join(map(str, USER_COUNTS))} users filling in (a check every ~2 s, a new form "
            f"every ~10 checks, open loop), {ENTERPRISES:,} demo enterprises, {SECONDS:.0f} s per run, stores "
            f"{', '.join(STORES)}")
    for kind, url, work in _stores():
        _measure(kind, url, work)


if __name__ == "__main__":
    main()

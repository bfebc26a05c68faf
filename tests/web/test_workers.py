"""`hizone serve --workers 2`: two server processes on one port, each answering any user's request. A session
made through one is good in the other, and an upload's report kept by one is downloaded from the other (the
processes are told apart by which of them holds the server side of each connection)."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.mailserver import free_port
from tests.web.conftest import CSRF_INPUT
from tests.web.seed import PASSWORD, USERS, Seeded
from tests.web.test_reporting import BAD_2024


@pytest.fixture
def server(database_url: str, engine: Engine, seeded: Seeded, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """(port, pid of `hizone serve`) of a real two-worker server on the seeded store."""
    port = free_port()
    env = {**os.environ, "HIZONE_DATABASE_URL": database_url, "HIZONE_VAR_DIR": str(tmp_path / "var")}
    for name in ("HIZONE_SECRET_KEY", "HIZONE_ANALYTICS_PATH", "HIZONE_WEB_WORKERS"):
        env.pop(name, None)  # serve's own random key, shared by its workers
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", "from hizone.cli import main; main()", "serve",
                                    "--port", str(port), "--workers", "2"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while len(_workers(process.pid)) < 2 or not _answers(port):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in log.read_text(errors="replace")


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _workers(parent: int) -> list[int]:
    """The worker processes uvicorn spawned for ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def _socket_owner(workers: list[int], client_port: int) -> int | None:
    """The worker holding the server side of the connection from ``client_port`` (by the socket's inode)."""
    inode = None
    lines = [line for table in ("tcp", "tcp6") for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]]
    for line in lines:
        fields = line.split()
        if int(fields[2].rsplit(":", 1)[1], 16) == client_port:  # remote address: the client's end
            inode = fields[9]
    if inode is None:
        return None
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def _get(port: int, path: str, cookie: str) -> tuple[int, bytes, int, http.client.HTTPConnection]:
    """(status, body, client port, the connection still open) of one GET on a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    client_port = connection.sock.getsockname()[1]
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    body = response.read()
    return response.status, body, client_port, connection


def test_two_workers_share_sessions_and_kept_reports(server: tuple[int, int]) -> None:
    port, parent = server
    workers = _workers(parent)
    assert len(workers) == 2
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        token = CSRF_INPUT.search(client.get("/login").text)
        assert token
        client.post("/login", data={"username": USERS["zone"], "password": PASSWORD, "csrf_token": token.group(1)})
        upload_page = client.get("/reporting").text
        csrf = CSRF_INPUT.search(upload_page)
        assert csrf
        page = client.post("/reporting/upload", files={"file": ("report.csv", BAD_2024, "text/csv")},
                           data={"form": "enterprise_annual", "period": "2024", "csrf_token": csrf.group(1),
                                 "submit": "true"})
        assert page.status_code == 200 and "未通过校验" in page.text
        link = re.search(r'href="(/reporting/errors/[0-9a-f]+\.xlsx)"', page.text)
        assert link, "no error workbook offered"
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        expected = client.get(link.group(1)).content
    assert expected[:2] == b"PK"
    answered: dict[int, int] = {}
    for _ in range(200):  # the kernel hands each new connection to either worker
        status, body, client_port, connection = _get(port, link.group(1), cookie)
        owner = _socket_owner(workers, client_port)
        connection.close()
        assert (status, body) == (200, expected)
        if owner is not None:
            answered[owner] = answered.get(owner, 0) + 1
        if len(answered) == 2 and min(answered.values()) >= 3:
            break
    assert sorted(answered) == sorted(workers), answered
    # Someone else's session is no session in either worker.
    status, _, _, connection = _get(port, link.group(1), "hizone_session=" + urllib.parse.quote("forged"))
    connection.close()
    assert status in (303, 401, 404)

"""The notices page, the header count and marking read: each user sees and changes only their own notices."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.catalog import default_catalog
from hizone.online.dispatch import run_reminders
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

ENERGY = default_catalog().form("enterprise_energy", 2023).name_zh
CARBON = default_catalog().form("zone_carbon_annual", 2023).name_zh


def _badge(client: TestClient) -> str | None:
    found = re.search(r'id="notices-unread">(\d+)<', client.get("/reporting").text)
    return found.group(1) if found else None


def test_each_user_sees_reads_and_marks_only_their_own(engine: Engine, seeded: Seeded,
                                                      clients: dict[str, TestClient]) -> None:
    # 3 April 2024: the zones' 2023 carbon report is 3 days late (zone1's Z1101 sent none); 23 April: the
    # enterprises' 2023 energy report is due in 7 days (enterprise1's sent none). No mail server: in-app only.
    run_reminders(engine, dt.date(2024, 4, 3), None)
    run_reminders(engine, dt.date(2024, 4, 23), None)
    ent, zone = clients["enterprise"], clients["zone"]
    page = ent.get("/notices").text
    assert ENERGY in page and "距截止还有7天" in page and CARBON not in page
    assert CARBON in zone.get("/notices").text and ENERGY not in zone.get("/notices").text
    assert 'id="notices-empty"' in clients["admin"].get("/notices").text
    assert _badge(ent) == "1" and _badge(zone) == "1" and _badge(clients["admin"]) is None
    notice_id = re.search(r'id="notice-(\d+)"', page).group(1)  # type: ignore[union-attr]
    # Another user cannot mark it read: not found, and it stays unread.
    stolen = zone.post("/notices/read", data={"notice_id": notice_id, "csrf_token": csrf_of(zone, "/notices")})
    assert stolen.status_code == 404 and _badge(ent) == "1"
    done = ent.post("/notices/read", data={"notice_id": notice_id, "csrf_token": csrf_of(ent, "/notices")},
                    follow_redirects=False)
    assert done.status_code == 303 and _badge(ent) is None
    listed = ent.get("/api/v1/notices").json()
    assert [(n["id"], n["read"]) for n in listed] == [(int(notice_id), True)]
    assert "due in 7 days" in listed[0]["body_en"]
    assert [n["read"] for n in zone.get("/api/v1/notices").json()] == [False]
    assert clients["public"].get("/api/v1/notices").status_code == 401

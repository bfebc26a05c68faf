"""Timeliness on the completeness page, its export, the API and the CLI: counts by hand, each within scope."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from hizone.store.models import Submission
from tests.web.seed import Seeded, credit_code

QUERY = "form=enterprise_annual&period=2023"


def _arrivals(engine: Engine) -> None:
    """2023's annual reports (deadline 2024-04-30): enterprise 1 on time, 2 five days late, 4 on time, 5 late on
    2 May; 3 (Z1102) and 6 (Z4401) never sent: their rows are taken away."""
    times = {credit_code(1): dt.datetime(2024, 3, 5, 2, tzinfo=dt.UTC),
             credit_code(2): dt.datetime(2024, 5, 5, 2, tzinfo=dt.UTC),
             credit_code(4, "440106"): dt.datetime(2024, 4, 30, 15, tzinfo=dt.UTC),  # 23:00 in Beijing
             credit_code(5, "440106"): dt.datetime(2024, 5, 1, 17, tzinfo=dt.UTC)}  # 01:00 on 2 May
    with engine.begin() as conn:
        for key, at in times.items():
            conn.execute(update(Submission).where(Submission.entity_key == key, Submission.period == "2023")
                         .values(created_at=at))
        for key in (credit_code(3), credit_code(6, "440106")):
            conn.execute(update(Submission).where(Submission.entity_key == key, Submission.period == "2023")
                         .values(period="2019"))


def test_the_api_counts_per_zone_and_lists_each_reporter_in_scope(engine: Engine, seeded: Seeded,
                                                                    clients: dict[str, TestClient]) -> None:
    _arrivals(engine)
    body = clients["admin"].get(f"/api/v1/completeness?{QUERY}&on=2024-06-01").json()
    assert (body["opens"], body["deadline"], body["today"]) == ("2024-03-01", "2024-04-30", "2024-06-01")
    counts = {z["zone_code"]: (z["expected"], z["on_time"], z["late"], z["missing"], z["pending"])
              for z in body["zones"]}
    assert counts == {"Z1101": (2, 1, 1, 0, 0), "Z1102": (1, 0, 0, 1, 0), "Z4401": (3, 1, 1, 1, 0)}
    status = {e["entity_key"]: (e["status"], e["days"]) for e in body["entities"]}
    assert status == {credit_code(1): ("on_time", 0), credit_code(2): ("late", 5), credit_code(3): ("missing", 32),
                      credit_code(4, "440106"): ("on_time", 0), credit_code(5, "440106"): ("late", 2),
                      credit_code(6, "440106"): ("missing", 32)}
    # The province sees its two zones, the zone its own; nobody outside them appears anywhere in the answer.
    province = clients["province"].get(f"/api/v1/completeness?{QUERY}&on=2024-06-01").json()
    assert [z["zone_code"] for z in province["zones"]] == ["Z1101", "Z1102"]
    assert {e["zone_code"] for e in province["entities"]} == {"Z1101", "Z1102"}
    zone = clients["zone"].get(f"/api/v1/completeness?{QUERY}&on=2024-06-01").text
    assert "Z1102" not in zone and "Z4401" not in zone and credit_code(1) in zone
    assert clients["enterprise"].get(f"/api/v1/completeness?{QUERY}").status_code == 403
    # As of 26 April only enterprise 1's report had arrived: the others are not missing but still due, 4 days left.
    early = clients["admin"].get(f"/api/v1/completeness?{QUERY}&on=2024-04-26").json()
    assert {e["entity_key"]: (e["status"], e["days"]) for e in early["entities"]} == {
        credit_code(1): ("on_time", 0), **{key: ("open", 4) for key in (
            credit_code(2), credit_code(3), credit_code(4, "440106"), credit_code(5, "440106"),
            credit_code(6, "440106"))}}

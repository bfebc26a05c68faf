"""The demo's online drafts, on the web tests' seeded store (its figures known by hand)."""

from __future__ import annotations

from sqlalchemy import Engine

from hizone.demo.online import add_online_drafts
from hizone.store.online import Report, load_draft
from tests.web.seed import credit_code, seed


def test_the_demo_starts_two_drafts_from_last_years_values(engine: Engine) -> None:
    seed(engine, with_users=False)
    assert add_online_drafts(engine) == 2
    first = load_draft(engine, Report("enterprise_annual", "2024", credit_code(1)))
    # Enterprise 1's latest 2023 revision: revenue 999,999, profit 1, employees 1, assets twice the revenue; +8 %.
    assert first is not None and first.saved_by == "demo-enterprise" and first.version == 1
    assert first.values == {"revenue": "1,079,999", "total_profit": "1", "net_profit": "1",
                            "total_assets": "2,159,998", "employees": "1", "rd_expenditure": "1"}
    second = load_draft(engine, Report("enterprise_annual", "2024", credit_code(2)))
    assert second is not None and second.saved_by == "demo-zone"
    assert second.values == {"revenue": "64,800", "total_profit": "3,240"}  # 60,000 and 3,000 in 2023


def test_an_empty_store_gets_no_draft(engine: Engine) -> None:
    assert add_online_drafts(engine) == 0

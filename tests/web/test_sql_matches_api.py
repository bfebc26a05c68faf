"""What a user of SQL reads equals what the API answers: the store's read-only view per form against
/api/v1/submissions, and the analytic DuckDB file's tables (indicator_value, the published fact table) against
/api/v1/formula and /api/v1/indicators/{indicator}/drill-down, on the seeded store (tests/web/seed.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from hizone.analytics.read import Reader
from hizone.catalog import default_catalog
from hizone.store.read_views import form_views, refresh_read_views

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: tests/store

FORM, YEAR = "enterprise_annual", "2023"


def _api(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_form_view_shows_each_entitys_latest_revision_as_the_api_lists_it(
        engine: Engine, app: FastAPI, clients: dict[str, TestClient]) -> None:
    refresh_read_views(engine, form_views(default_catalog()))
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT entity, period, revision, state, element, value FROM values_{FORM}")).all()
    shown: dict[tuple[str, str], tuple[int, str, dict[str, float]]] = {}
    for entity, period, revision, state, element, value in rows:
        found = shown.setdefault((entity, period), (revision, state, {}))
        assert found[:2] == (revision, state)  # one revision per entity and period
        if value is not None:
            found[2][element] = value
    latest: dict[tuple[str, str], tuple[int, str, dict[str, float]]] = {}
    for item in _api(clients["analyst"], "/api/v1/submissions", form=FORM, page_size=500)["items"]:
        key = (item["entity_key"], item["period"])
        if key not in latest or item["revision"] > latest[key][0]:
            latest[key] = (item["revision"], item["state"],
                           {k: v for k, v in item["values"].items() if v is not None})
    assert shown == latest
    assert len(shown) == 11  # 5 enterprises × 2 years + enterprise 6's 2023 (seed.ANNUAL)
    assert any(state == "submitted" for _, state, _ in shown.values())  # enterprise 1's pending revision 2


def test_indicator_value_is_what_the_formula_api_answers(app: FastAPI, clients: dict[str, TestClient]) -> None:
    """Every indicator of the annual table, for every group and year of the file, asked as a formula that names
    it: the national analyst gets the table's value, unsuppressed."""
    reader: Reader = app.state.figures.get()
    with reader.analytics.connect() as con:
        rows = con.execute("SELECT indicator, level, key, period, value FROM indicator_value WHERE view = "
                           "'published' AND period_type = 'annual' AND level IN ('zone', 'province', 'nation') "
                           "ORDER BY indicator, level, key, period").fetchall()
    assert rows
    table: dict[tuple[str, str, str, str], float | None] = {(r[0], r[1], r[2], r[3]): r[4] for r in rows}
    asked: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for indicator, level, key, period in table:
        keys, periods = asked.setdefault((indicator, level), (set(), set()))
        keys.add(key)
        periods.add(period)
    compared = 0
    for (indicator, level), (keys, periods) in asked.items():
        body = _api(clients["analyst"], "/api/v1/formula", expr=indicator, form=FORM, level=level,
                    keys=sorted(keys), period=sorted(periods))
        for figure in body["values"]:
            want = table.get((indicator, level, figure["key"], figure["period"]))
            assert not figure["suppressed"]
            assert figure["value"] == (None if want is None else pytest.approx(want, rel=1e-12)), (indicator, figure)
            compared += 1
    assert compared >= len(table)


def test_the_published_fact_table_holds_the_rows_drill_down_answers(app: FastAPI,
                                                                   clients: dict[str, TestClient]) -> None:
    reader: Reader = app.state.figures.get()
    with reader.analytics.connect() as con:
        facts = con.execute(f"SELECT submission_id, entity_key, zone_code, revision, state, e_revenue, "
                            f"e_total_profit FROM {FORM}__annual__published WHERE period = ? ORDER BY entity_key",
                            [YEAR]).fetchall()
    body = _api(clients["analyst"], "/api/v1/indicators/profit_margin/drill-down", level="nation", key="CN",
                period=YEAR)
    rows = [(r["submission_id"], r["entity_key"], r["zone_code"], r["revision"], r["state"],
             r["values"]["revenue"], r["values"]["total_profit"]) for r in body["rows"] if r["role"] == "current"]
    assert rows == [tuple(f) for f in facts]
    assert len(rows) == 6 and all(r[4] == "approved" for r in rows)

"""The SQL page: national analysts run one SELECT over the analytic tables, see and export the rows."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hizone.analytics.build import build
from hizone.analytics.sql import SqlLimits
from hizone.store import connect
from tests.web.conftest import app_settings, csrf_of, login, make_app
from tests.web.seed import USERS, seed
from tests.web.tables import xlsx_rows

REVENUE_2022 = ("SELECT zone_code, sum(e_revenue) AS revenue FROM enterprise_annual__annual__published "
                "WHERE period = '2022' GROUP BY zone_code ORDER BY zone_code")


@pytest.fixture(scope="module")
def built(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web seed on SQLite, built once: the page reads only the analytic file."""
    folder = tmp_path_factory.mktemp("sql-page")
    shutil.copy(sqlite_template, folder / "hizone.sqlite")
    engine = connect(f"sqlite:///{folder / 'hizone.sqlite'}")
    seed(engine)
    build(engine, folder / "analytics.duckdb")
    engine.dispose()
    return folder


@pytest.fixture
def sql_app(built: Path) -> FastAPI:
    engine = connect(f"sqlite:///{built / 'hizone.sqlite'}")
    app = make_app(engine, app_settings(var_dir=built))
    app.state.sql_limits = SqlLimits(row_limit=1_000, timeout_seconds=5)
    return app


@pytest.fixture
def analyst(sql_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(sql_app) as client:
        yield login(client, USERS["analyst"])


def _run(client: TestClient, sql: str, path: str = "/sql") -> object:
    return client.post(path, data={"q": sql, "csrf_token": csrf_of(client, "/sql")})


def test_a_select_shows_its_rows_and_the_tables(analyst: TestClient) -> None:
    page = analyst.get("/sql")
    assert page.status_code == 200
    assert "enterprise_annual__annual__published" in page.text and "营业收入" in page.text  # the table list
    assert 'href="/sql"' in page.text  # the national roles' navigation links the page
    result = _run(analyst, REVENUE_2022)
    assert result.status_code == 200, result.text[:300]  # type: ignore[attr-defined]
    text = result.text  # type: ignore[attr-defined]
    # Z1101: 100,000 + 50,000; Z1102: 30,000; Z4401: 200,000 + 10,000 (tests/web/seed.py).
    assert 'data-value="150000.0"' in text and 'data-value="30000.0"' in text and 'data-value="210000.0"' in text
    assert "3 rows" in text or "3 行" in text


def test_the_row_limit_applies(analyst: TestClient, sql_app: FastAPI) -> None:
    sql_app.state.sql_limits = SqlLimits(row_limit=2, timeout_seconds=5)
    text = _run(analyst, "SELECT code FROM zone ORDER BY code").text  # type: ignore[attr-defined]
    assert 'data-value="Z1101"' in text and 'data-value="Z1102"' in text and 'data-value="Z4401"' not in text
    assert 'id="sql-count"' in text and ("row limit" in text or "行数上限" in text)


@pytest.mark.parametrize(("sql", "reason"), [
    ("DROP TABLE zone", "only SELECT is allowed, not DROP"),
    ("SELECT 1; SELECT 2", "2 statements"),
    ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
    ("SELECT * FROM nowhere", "nowhere does not exist"),
])
def test_refusals_are_one_line_and_a_400(analyst: TestClient, sql: str, reason: str) -> None:
    response = _run(analyst, sql)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert reason in response.text and "Traceback" not in response.text  # type: ignore[attr-defined]
    assert 'id="sql-error"' in response.text  # type: ignore[attr-defined]


def test_a_slow_query_is_stopped(analyst: TestClient, sql_app: FastAPI) -> None:
    sql_app.state.sql_limits = SqlLimits(row_limit=10, timeout_seconds=0.3)
    response = _run(analyst, "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range < b.range")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "ran longer than 0.3 s and was stopped" in response.text  # type: ignore[attr-defined]


def test_exports_hold_the_result(analyst: TestClient) -> None:
    exported = _run(analyst, REVENUE_2022, "/sql/export.csv")
    assert exported.status_code == 200  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert rows == [["zone_code", "revenue"], ["Z1101", "150000.0"], ["Z1102", "30000.0"], ["Z4401", "210000.0"]]
    workbook = _run(analyst, REVENUE_2022, "/sql/export.xlsx")
    assert xlsx_rows(workbook.content, "zone_code") == [  # type: ignore[attr-defined]
        ["zone_code", "revenue"], ["Z1101", "150000"], ["Z1102", "30000"], ["Z4401", "210000"]]
    bad = _run(analyst, "DELETE FROM zone", "/sql/export.csv")
    assert bad.status_code == 400 and "only SELECT is allowed" in bad.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ["zone", "province", "enterprise"])
def test_only_national_roles_reach_the_page(sql_app: FastAPI, role: str) -> None:
    with TestClient(sql_app) as client:
        login(client, USERS[role])
        assert client.get("/sql").status_code == 403
        token = csrf_of(client, "/")
        assert client.post("/sql", data={"q": "SELECT 1", "csrf_token": token}).status_code == 403
        assert client.post("/sql/export.csv", data={"q": "SELECT 1", "csrf_token": token}).status_code == 403
        assert 'href="/sql"' not in client.get("/").text
    with TestClient(sql_app) as anonymous:
        assert anonymous.get("/sql").status_code == 401

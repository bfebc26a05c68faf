"""Every route × every role × own/other zone: allowed or denied exactly as the rule says.

Routes are enumerated from ``app.routes``; a route without a Rule, or with a path parameter this test
does not know how to fill, fails the test, so no new endpoint can skip its access rule.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import fastexcel
import httpx
import pypdf
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute, Mount

from hizone.auth.policy import Principal
from hizone.auth.users import add_user
from hizone.store import session_scope
from hizone.store.bulletins import load_bulletin
from hizone.store.models import Alert, Carrier, Enterprise, Notice, Submission, User, Zone
from hizone.web.security import CSRF_HEADER, Rule
from tests.bulletins.factories import bulletin, fact_at
from tests.intake.factory import csv_bytes as csv_of
from tests.reports import report
from tests.web.conftest import csrf_of, login
from tests.web.seed import PASSWORD, USERS, Seeded, credit_code
from tests.web.test_reporting import BAD_2024, post_file, report_csv

ROLES = ("admin", "analyst", "province", "zone", "enterprise", "judge", "public")
NATIONAL = {"admin", "analyst"}
ALLOWED_BY_RULE: dict[str, set[str]] = {
    "public": set(ROLES),
    "logged_in": set(ROLES) - {"public"},
    "admin": {"admin"},
    "national": NATIONAL,
    "analytic_sql": NATIONAL,  # /sql: ad-hoc SQL over the analytic tables (national figures, unsuppressed)
    "reviewer": NATIONAL | {"province", "zone"},  # which forms, steps and zones: the forms' workflow (policy)
    "submitter": NATIONAL | {"zone", "enterprise"},
    "scoped": NATIONAL | {"province", "zone"},
    "bulletin_reader": set(ROLES) - {"public"},  # bulletins and their facts: published material
    "bulletin_reviewer": NATIONAL,
    "contests": NATIONAL,  # run a contest (entries, judges, results, advancing)
    "judge": {"judge"},  # score: which entries, the contests service decides (tests/contests/test_api.py)
    "contest_scores": NATIONAL | {"judge"},  # a judge: its own scores only (tests/contests/test_api.py)
    "contest_tracking": set(ROLES) - {"public", "judge"},  # entrants in scope (tests/contests/test_tracking.py)
    "contest_documents": NATIONAL | {"enterprise"},  # its own entry's (tests/contests/test_documents.py)
    "contest_links": NATIONAL,  # a team's entry to the enterprise it registered (tests/contests/test_teams.py)
}
# Scoped rules: who may reach the seeded user's own object, and who may reach the other province's.
OWN = {"zone": NATIONAL | {"province", "zone"},
       "zone_points": NATIONAL | {"province", "zone", "enterprise"},  # the enterprise: its own row
       "enterprise": NATIONAL | {"province", "zone", "enterprise"},
       "submission": NATIONAL | {"province", "zone", "enterprise"},
       "submission_step": NATIONAL | {"province", "zone"},  # which steps: the form's workflow (tests/online)
       "entity": NATIONAL | {"province", "zone", "enterprise"}, "alert": NATIONAL | {"province", "zone"},
       "province": NATIONAL | {"province"}, "carrier": NATIONAL | {"province", "zone"}}
OTHER = {"zone": NATIONAL, "zone_points": NATIONAL, "carrier": NATIONAL,
         "enterprise": NATIONAL, "submission": NATIONAL, "submission_step": NATIONAL,
         "entity": NATIONAL, "alert": NATIONAL, "province": NATIONAL}
# batch_id 1 is a fixture's import batch: an upload's changes answer only its uploader (tested below), so
# every logged-in role gets a 404 here, never a 401/403.
FIXED_PARAMS = {"fmt": "csv", "lang": "en", "form_code": "enterprise_annual", "period": "2023",
                "report_id": "unknown", "table_name": "zones", "batch_id": "1", "indicator": "revenue_total",
                "bulletin_id": "1", "fact_id": "1", "edition": "cicc-12", "entry_code": "E1",
                "sha256": "0" * 64}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
# Users the user-management routes act on (never a logged-in role's own user): one per zone.
TARGET_USERS = {"own": "target-own-zone", "other": "target-other-zone"}


def flat_routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Routes with included routers opened up (FastAPI keeps them as one entry per include)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from flat_routes(inner.routes)
        else:
            yield route


def rules_of(route: APIRoute) -> list[Rule]:
    found: list[Rule] = []

    def walk(dependant) -> None:  # type: ignore[no-untyped-def]
        for dep in dependant.dependencies:
            if isinstance(dep.call, Rule):
                found.append(dep.call)
            walk(dep)

    walk(route.dependant)
    return found


def test_every_route_states_exactly_one_rule(app: FastAPI) -> None:
    unruled = []
    for route in flat_routes(app.routes):
        if isinstance(route, Mount) and route.name == "static":
            continue  # vendored JS/CSS and the map: public files, no data
        if isinstance(route, APIRoute):
            if len(rules_of(route)) != 1:
                unruled.append(route.path)
        elif getattr(route, "path", None) not in ("/api/v1/openapi.json", "/api/docs"):
            unruled.append(str(route))  # any other kind of route must be added deliberately
    assert unruled == []


def test_a_route_without_a_rule_is_detected(app: FastAPI) -> None:
    @app.get("/unguarded")
    def unguarded() -> dict[str, str]:
        return {}

    route = next(r for r in flat_routes(app.routes) if isinstance(r, APIRoute) and r.path == "/unguarded")
    assert rules_of(route) == []


def _carrier(engine: Engine, code: str, zone: str, province: str, name: str = "测试孵化器") -> str:
    with session_scope(engine) as session:
        session.add(Carrier(code=code, name=name, kind="孵化器", focus="综合", zone_code=zone,
                            province_code=province, source="test", synthetic=True))
    return code


def _ids(engine: Engine, seeded: Seeded) -> dict[str, dict[str, str]]:
    carriers = {"own": _carrier(engine, "TESTKOWN", seeded.own_zone, seeded.own_province),
                "other": _carrier(engine, "TESTKOTHER", seeded.other_zone, seeded.other_province)}
    add_user(engine, TARGET_USERS["own"], PASSWORD, "zone", zone=seeded.own_zone)
    add_user(engine, TARGET_USERS["other"], PASSWORD, "zone", zone=seeded.other_zone)
    with Session(engine) as session:
        own_sub = session.scalar(select(Submission.id).where(Submission.entity_key == seeded.own_enterprise)
                                 .order_by(Submission.id).limit(1))
        other_sub = session.scalar(select(Submission.id).where(Submission.entity_key == seeded.other_enterprise)
                                   .order_by(Submission.id).limit(1))
        alerts = {key: str(i) for i, key in session.execute(select(Alert.id, Alert.entity_key))}
    return {"own": {"zone_code": seeded.own_zone, "credit_code": seeded.own_enterprise,
                    "submission_id": str(own_sub), "province_code": seeded.own_province,
                    "entity_key": seeded.own_enterprise, "alert_id": alerts[seeded.own_zone],
                    "username": TARGET_USERS["own"], "carrier_code": carriers["own"]},
            "other": {"zone_code": seeded.other_zone, "credit_code": seeded.other_enterprise,
                      "submission_id": str(other_sub), "province_code": seeded.other_province,
                      "entity_key": seeded.other_enterprise, "alert_id": alerts[seeded.other_zone],
                      "username": TARGET_USERS["other"], "carrier_code": carriers["other"]}}


def _cases(app: FastAPI, ids: dict[str, dict[str, str]]) -> Iterator[tuple[str, str, str, set[str]]]:
    """(method, url, label, roles allowed) for every route and, for scoped routes, own and other object."""
    for route in flat_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        rule = rules_of(route)[0]
        params = PARAM.findall(route.path)
        kind = rule.name.split(":")[0]
        variants = ("own", "other") if kind in OWN or any(p in ids["own"] for p in params) else ("own",)
        for variant in variants:
            values = {**FIXED_PARAMS, **ids[variant]}
            unknown = [p for p in params if p not in values]
            assert not unknown, f"{route.path}: the matrix does not know how to fill {unknown}"
            url = PARAM.sub(lambda m, v=values: v[m.group(1)], route.path)  # type: ignore[misc]
            allowed = (OWN[kind] if variant == "own" else OTHER[kind]) if kind in OWN else ALLOWED_BY_RULE[rule.name]
            for method in sorted(route.methods - {"HEAD"}):
                yield method, url, f"{variant}:{rule.name}", allowed


def _denied(response_status: int) -> bool:
    return response_status in (401, 403)


def test_role_by_endpoint_matrix(app: FastAPI, engine: Engine, seeded: Seeded,
                                 clients: dict[str, TestClient]) -> None:
    cases = list(_cases(app, _ids(engine, seeded)))
    safe = [c for c in cases if c[0] == "GET"]
    unsafe = [c for c in cases if c[0] != "GET"]
    assert len(safe) > 20 and unsafe
    problems = []
    tokens = {role: csrf_of(client) for role, client in clients.items()}
    for method, url, label, allowed in safe:
        for role in ROLES:
            status = clients[role].request(method, url, headers={CSRF_HEADER: tokens[role]}).status_code
            if status >= 500 or _denied(status) == (role in allowed):
                problems.append(f"{role:10} {method} {url} [{label}] -> {status}")
    # State-changing routes run last, each with a fresh session: some (logout) end the session they use.
    for method, url, label, allowed in unsafe:
        for role in ROLES:
            with TestClient(app) as client:
                if role != "public":
                    login(client, USERS[role])
                status = client.request(method, url, headers={CSRF_HEADER: csrf_of(client)},
                                        follow_redirects=False).status_code
            if status >= 500 or _denied(status) == (role in allowed):
                problems.append(f"{role:10} {method} {url} [{label}] -> {status}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", ["zone", "province"])
def test_scoped_users_do_not_see_other_zones_in_lists(clients: dict[str, TestClient], seeded: Seeded,
                                                      role: str) -> None:
    page = clients[role].get("/zones").text
    assert f'href="/zones/{seeded.own_zone}"' in page
    assert f'href="/zones/{seeded.other_zone}"' not in page


def _report_urls(client: TestClient) -> list[str]:
    """Upload a file with a problem; the addresses of its marked workbook and of its problem table's exports."""
    page = post_file(client, BAD_2024).text  # type: ignore[attr-defined]
    found = re.search(r'href="(/reporting/errors/[\w-]+)\.xlsx" id="error-workbook"', page)
    assert found, "the upload did not offer an error workbook"
    return [f"{found.group(1)}.xlsx", f"{found.group(1)}/export.csv", f"{found.group(1)}/export.xlsx"]


@pytest.mark.parametrize("uploader", ["zone", "enterprise", "admin"])
def test_validation_reports_answer_only_their_uploader(clients: dict[str, TestClient], uploader: str) -> None:
    """The workbook and the problem table of an upload: its uploader gets them, any other user a 404 (as if it
    did not exist, even admins and the uploader's own province), the public a 401."""
    urls = _report_urls(clients[uploader])
    problems = []
    for role in ROLES:
        expected = 200 if role == uploader else (401 if role == "public" else 404)
        for url in urls:
            status = clients[role].get(url).status_code
            if status != expected:
                problems.append(f"{role:10} GET {url} -> {status}, expected {expected}")
    assert problems == [], "\n".join(problems)


# Which zone's rows a role's lists hold: the national roles both, everyone else only its own.
SEES = {"admin": {"own", "other"}, "analyst": {"own", "other"}, "province": {"own"}, "zone": {"own"},
        "enterprise": {"own"}, "judge": set(), "public": set()}
# Exports of lists filtered by scope: the roles the rule lets in, and what marks a row of each zone.
SCOPED_EXPORTS: dict[str, tuple[set[str], str]] = {
    "/reporting/queue/export.csv": (ALLOWED_BY_RULE["reviewer"], "zone"),
    "/reporting/recent/export.csv": (ALLOWED_BY_RULE["logged_in"], "enterprise"),
    "/monitoring/export/alerts.csv": (ALLOWED_BY_RULE["scoped"], "zone"),
    "/monitoring/export/alerts.csv?state=open": (ALLOWED_BY_RULE["scoped"], "zone"),
    "/reporting/completeness/export.csv?form=enterprise_annual&period=2023": (ALLOWED_BY_RULE["scoped"], "zone"),
    "/reporting/completeness/entities/export.csv?form=enterprise_annual&period=2023": (ALLOWED_BY_RULE["scoped"],
                                                                                       "zone"),
    "/api/v1/completeness?form=enterprise_annual&period=2023": (ALLOWED_BY_RULE["scoped"], "zone"),
}


def _submitted_in_other_zone(engine: Engine, seeded: Seeded) -> None:
    """A revision waiting for review in the other province, so the lists have a row nobody local may see."""
    with session_scope(engine) as session:
        session.add(report(form_code="enterprise_annual", form_version=2021, entity_key=seeded.other_enterprise,
                           zone_code=seeded.other_zone, period="2023", revision=2, state="submitted",
                           values={"revenue": 1.0}, created_by="test", synthetic=True))


@pytest.mark.parametrize("url", list(SCOPED_EXPORTS))
def test_scoped_exports_hold_only_the_callers_rows(clients: dict[str, TestClient], engine: Engine, seeded: Seeded,
                                                   url: str) -> None:
    """Each role × own/other zone: the rule lets the role in or not, and an export it gets holds the own zone's
    rows exactly when the role may see them and the other zone's exactly when it is national."""
    _submitted_in_other_zone(engine, seeded)
    allowed, marker = SCOPED_EXPORTS[url]
    markers = {"own": seeded.own_zone if marker == "zone" else seeded.own_enterprise,
               "other": seeded.other_zone if marker == "zone" else seeded.other_enterprise}
    problems = []
    for role in ROLES:
        response = clients[role].get(url)
        if _denied(response.status_code) == (role in allowed) or response.status_code >= 500:
            problems.append(f"{role:10} GET {url} -> {response.status_code}")
            continue
        if role in allowed:
            text = response.content.decode("utf-8-sig")
            found = {variant for variant, code in markers.items() if code in text}
            if found != SEES[role]:
                problems.append(f"{role:10} GET {url} holds rows of {sorted(found)}, expected {sorted(SEES[role])}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("table_name", "allowed"), [("provinces", NATIONAL), ("zones", ALLOWED_BY_RULE["scoped"]),
                                                      ("alerts", ALLOWED_BY_RULE["scoped"])])
def test_monitoring_exports_follow_the_page(clients: dict[str, TestClient], table_name: str,
                                            allowed: set[str]) -> None:
    """The provinces' monthly table is on the page for the national roles only, and so is its export."""
    for fmt in ("csv", "xlsx"):
        for role in ROLES:
            status = clients[role].get(f"/monitoring/export/{table_name}.{fmt}").status_code
            assert (status == 200) == (role in allowed) and (status == 200 or _denied(status)), f"{role}: {status}"


@pytest.mark.parametrize("uploader", ["zone", "enterprise", "admin"])
def test_an_uploads_changes_answer_only_their_uploader(clients: dict[str, TestClient], uploader: str) -> None:
    """Like the upload's page: its uploader gets the changes, any other user a 404 (even admins and the
    uploader's province), the public a 401."""
    own_row = report_csv([[credit_code(1), "测试企业1", "Z1101", 130_000, 13_000, 10_000, 260_000, 115]])
    page = post_file(clients[uploader], own_row).text  # type: ignore[attr-defined]
    found = re.search(r'href="(/reporting/batches/\d+/changes/export)\.csv"', page)
    assert found, "the upload offers no export of its changes"
    problems = []
    for role in ROLES:
        expected = 200 if role == uploader else (401 if role == "public" else 404)
        for fmt in ("csv", "xlsx"):
            status = clients[role].get(f"{found.group(1)}.{fmt}").status_code
            if status != expected:
                problems.append(f"{role:10} GET {found.group(1)}.{fmt} -> {status}, expected {expected}")
    assert problems == [], "\n".join(problems)


def test_notices_are_the_callers_own(clients: dict[str, TestClient], engine: Engine) -> None:
    """A notice for each logged-in user: the page, the header and the API show each user exactly their own; the
    public is sent to log in; marking another user's notice read is a 404 and changes nothing."""
    with session_scope(engine) as session:
        ids = {name: uid for uid, name in session.execute(select(User.id, User.username))}
        notices = {role: Notice(user_id=ids[name], subject_zh=f"通知给{name}", subject_en=f"for {name}",
                                body_zh="正文", body_en="body") for role, name in USERS.items()}
        session.add_all(notices.values())
    problems = []
    for role, client in clients.items():
        page, api = client.get("/notices"), client.get("/api/v1/notices")
        if role == "public":
            if not (_denied(page.status_code) and _denied(api.status_code)):
                problems.append(f"public: /notices {page.status_code}, /api/v1/notices {api.status_code}")
            continue
        shown = {name for name in USERS.values() if f"通知给{name}" in page.text or f"for {name}" in api.text}
        if shown != {USERS[role]}:
            problems.append(f"{role}: sees the notices of {sorted(shown)}")
        other = next(n for r, n in notices.items() if r != role)
        stolen = client.post("/notices/read", data={"notice_id": str(other.id), "csrf_token": csrf_of(client)})
        if stolen.status_code != 404:
            problems.append(f"{role}: marking another user's notice read -> {stolen.status_code}")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Notice).where(Notice.read_at.is_not(None))) == 0
    assert problems == [], "\n".join(problems)


# ---- no figure of an out-of-scope entity in any response ---------------------------------------------------

LEAK_ZONE, LEAK_PROVINCE = "Z4402", "44"
LEAK_ENTERPRISE = credit_code(7, "440106")
# The leak zone's figures, each unlike any other figure of the store: (千元 or 人 as stored, display value).
LEAK_ANNUAL = {"2022": {"revenue": 555_512_000, "total_profit": 22_221_300, "rd_expenditure": 11_113_700,
                        "employees": 43_219},
               "2023": {"revenue": 777_712_000, "total_profit": 33_331_200, "rd_expenditure": 44_441_200,
                        "employees": 54_321}}
LEAK_MONTHLY = {"2022-02": 333_334_000, "2023-02": 666_634_000}


def _tokens() -> list[str]:
    """Every way a page, an export or the API writes one of the leak zone's figures."""
    found = []
    money = [v for year in LEAK_ANNUAL.values() for k, v in year.items() if k != "employees"]
    for raw in [*money, *LEAK_MONTHLY.values()]:
        display = raw / 100_000  # 千元 → 亿元
        found += [str(raw), f"{raw:,}", f"{display:.2f}", f"{display:,.2f}", f"{raw / 10:.1f}"]
    for persons in (year["employees"] for year in LEAK_ANNUAL.values()):
        found += [str(persons), f"{persons:,}"]
    return found


TOKENS = _tokens()
OUT_OF_SCOPE_ROLES = ("public", "enterprise", "zone", "province")


def _seed_leak_zone(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Zone(code=LEAK_ZONE, name_zh="深圳测试高新区", name_en="Shenzhen Test", province_code=LEAK_PROVINCE,
                         city="深圳", approved_year=1996, demo_zone=None, source="test"))
        session.flush()
        session.add(Enterprise(credit_code=LEAK_ENTERPRISE, name="测试企业7", zone_code=LEAK_ZONE,
                               industry_code="6510", founded=dt.date(2015, 1, 1), synthetic=True))
        for year, values in LEAK_ANNUAL.items():
            session.add(report(form_code="enterprise_annual", form_version=2021, entity_key=LEAK_ENTERPRISE,
                               zone_code=LEAK_ZONE, period=year, revision=1, state="approved",
                               values={**values, "net_profit": values["total_profit"] * 0.8,
                                       "total_assets": values["revenue"] * 2}, created_by="test", synthetic=True))
        for month, revenue in LEAK_MONTHLY.items():
            session.add(report(form_code="zone_monthly", form_version=2022, entity_key=LEAK_ZONE, zone_code=LEAK_ZONE,
                               period=month, revision=1, state="approved",
                               values={"revenue": revenue, "industrial_output": revenue / 2, "net_profit": revenue / 10,
                                       "taxes_paid": revenue / 20, "export": revenue / 5, "employees": 54_321},
                               created_by="test", synthetic=True))
    _bulletin_about_leak_zone(engine)


def _bulletin_about_leak_zone(engine: Engine) -> None:
    """Bulletin 1, fact 1: the leak zone's 2023 revenue, beside which its reported figure would show."""
    b = bulletin("火炬动态 2024年第1期\n2023年，深圳测试高新区营业收入8000亿元。\n", issue="2024年第1期")
    with session_scope(engine) as session:
        fact = fact_at(b, "2023年，深圳测试高新区营业收入8000亿元。", LEAK_ZONE, "revenue", 8e11, "元", "2023")
        load_bulletin(session, b, [fact], Principal("loader", "analyst"))


# Queries each figure-bearing GET route is asked with ({fmt} is filled with csv and xlsx, scoped paths with the
# caller's own and the leak zone's objects). A route in neither this nor NO_FIGURES fails the test.
FIGURE_QUERIES: dict[str, list[str]] = {
    "/carbon": ["", "?year=2023"],
    "/carbon/zones/{zone_code}": ["", "?year=2023"],
    "/carbon/zones/{zone_code}/readings": ["", "?month=2026-11"],
    "/carbon/export/accounts.{fmt}": ["", "?level=province", "?level=zone&year=2023"],
    "/api/v1/carbon/accounts": ["", "?level=zone", f"?level=zone&key={LEAK_ZONE}",
                                f"?level=province&key={LEAK_PROVINCE}"],
    "/api/v1/readings/rollup": ["?start=2023-01-01&end=2023-02-01&level=unit",
                                f"?start=2023-01-01&end=2023-02-01&zone={LEAK_ZONE}"],
    "/": ["?year=2023", "?year=2023&indicator=employees", "?year=2022&indicator=rd_expenditure"],
    "/export/provinces.{fmt}": ["?year=2023", "?year=2022"],
    "/export/top_zones.{fmt}": ["?year=2023", "?year=2023&indicator=employees"],
    "/zones": ["?year=2023", f"?province={LEAK_PROVINCE}", "?year=2022"],
    "/export/zones.{fmt}": ["?year=2023", "?year=2022"],
    "/zones/{zone_code}": ["?year=2023", f"?year=2023&benchmark={LEAK_ZONE}", "?year=2023&benchmark=top10",
                           f"?year=2022&benchmark={LEAK_ZONE}"],
    "/zones/{zone_code}/enterprises": [""],
    "/zones/{zone_code}/enterprises/export.{fmt}": [""],
    "/enterprises/{credit_code}": [""],
    "/api/v1/ladder/self-check/{credit_code}": ["?year=2023", "?year=2022&rd_y3=1000"],
    "/api/v1/ladder/zones/{zone_code}": ["?year=2023", "?year=2022"],
    "/api/v1/ladder/points/{zone_code}": ["?year=2023", "?year=2022"],
    "/api/v1/ladder/zones/{zone_code}/drag": ["?year=2023", "?year=2023&indicator=I1_3"],
    "/ladder/self-check/{credit_code}": ["?year=2023", "?year=2022&rd_y3=1000"],
    "/ladder/zones/{zone_code}": ["?year=2023"],
    "/ladder/zones/{zone_code}/reserve.{fmt}": ["?year=2023", "?year=2022"],
    "/api/v1/ladder/zones/{zone_code}/reserve": ["?year=2023", "?year=2022"],
    "/ladder/zones/{zone_code}/screening": ["?year=2023", "?year=2022"],
    "/api/v1/ladder/zones/{zone_code}/screening": ["?year=2023", "?year=2022"],
    "/ladder/zones/{zone_code}/screening.{fmt}": ["?year=2023", "?year=2022"],
    "/ladder": ["?year=2023", f"?year=2023&province={LEAK_PROVINCE}", "?year=2022"],
    "/api/v1/ladder/overview": ["?year=2023", f"?year=2023&province={LEAK_PROVINCE}", "?year=2022"],
    "/ladder/points/{zone_code}": ["?year=2023"],
    "/ladder/points/{zone_code}/export.xlsx": ["?year=2023", "?year=2022"],
    "/api/v1/ladder/points/{zone_code}/export.xlsx": ["?year=2023", "?year=2022"],
    "/zones/{zone_code}/export/drag.{fmt}": ["?year=2023", "?year=2022"],
    "/enterprises/{credit_code}/history/export.{fmt}": [""],
    "/zones/{zone_code}/export/key_indicators.{fmt}": ["?year=2023", "?year=2022"],
    "/zones/{zone_code}/export/gap_analysis.{fmt}": [f"?year=2023&benchmark={LEAK_ZONE}", "?year=2023&benchmark=top10",
                                                     f"?year=2022&benchmark={LEAK_ZONE}"],
    "/zones/{zone_code}/report.pdf": ["?year=2023", f"?year=2023&benchmark={LEAK_ZONE}"],
    "/zones/{zone_code}/monthly.pdf": ["?month=2023-02"],
    "/monitoring/report.pdf": ["?month=2023-02"],
    "/monitoring/provinces/{province_code}/report.pdf": ["?month=2023-02"],
    "/api/v1/reports/zones/{zone_code}/evaluation.pdf": ["?year=2023"],
    "/api/v1/reports/zones/{zone_code}/monthly.pdf": ["?month=2022-02"],
    "/api/v1/reports/monthly.pdf": ["?month=2022-02"],
    "/api/v1/reports/provinces/{province_code}/monthly.pdf": ["?month=2022-02"],
    "/rankings": ["", f"?province={LEAK_PROVINCE}"],
    "/export/rankings.{fmt}": [""],
    "/monitoring": ["", "?month=2022-02"],
    "/monitoring/export/{table_name}.{fmt}": ["", "?month=2022-02"],
    "/reporting": [""],
    "/reporting/errors/{report_id}.xlsx": [""],
    "/reporting/errors/{report_id}/export.{fmt}": [""],
    "/reporting/batches/{batch_id}/changes/export.{fmt}": [""],
    "/reporting/queue/export.{fmt}": [""],
    "/reporting/recent/export.{fmt}": [""],
    "/reporting/completeness": ["?form=enterprise_annual&period=2023", "?form=zone_monthly&period=2023-02"],
    "/reporting/completeness/export.{fmt}": ["?form=enterprise_annual&period=2023"],
    "/reporting/completeness/entities/export.{fmt}": ["?form=enterprise_annual&period=2023"],
    "/api/v1/completeness": ["?form=enterprise_annual&period=2023", "?form=zone_monthly&period=2023-02"],
    "/reporting/history/{form_code}/{entity_key}/{period}": [""],
    "/reporting/history/{form_code}/{entity_key}/{period}/export.{fmt}": [""],
    "/reporting/online/{form_code}/{period}": ["", f"?entity={LEAK_ENTERPRISE}"],
    "/reporting/online/{form_code}/{period}/print": ["", f"?entity={LEAK_ENTERPRISE}"],
    "/reporting/online/{form_code}/{period}/review": [f"?entity={LEAK_ENTERPRISE}"],
    "/admin/audit": [""],
    "/admin/audit/export.{fmt}": [""],
    "/api/v1/indicators": ["?year=2023", f"?year=2023&province={LEAK_PROVINCE}", "?year=2022",
                           f"?year=2022&province={LEAK_PROVINCE}"],
    "/api/v1/zones/{zone_code}/indicators": ["?year=2023", "?year=2022"],
    "/api/v1/enterprises": ["", f"?zone={LEAK_ZONE}"],
    "/api/v1/enterprises/{credit_code}": [""],
    "/api/v1/submissions": ["", f"?zone={LEAK_ZONE}", "?form=zone_monthly"],
    "/api/v1/submissions/{submission_id}": [""],
    "/api/v1/submissions/{submission_id}/history": [""],
    "/api/v1/evaluation/results": [""],
    "/api/v1/evaluation/runs": [""],
    "/api/v1/alerts": [""],
    "/api/v1/formula": [
        f"?expr=revenue&form=enterprise_annual&period={year}&level={level}&keys={key}" for year in ("2022", "2023")
        for level, key in (("zone", LEAK_ZONE), ("province", LEAK_PROVINCE), ("nation", "CN"))]
    + [f"?expr=rd_expenditure%20/%20employees&form=enterprise_annual&period=2023&level=zone&keys={LEAK_ZONE}",
       f"?expr=revenue&form=zone_monthly&period=2023-02&level=zone&keys={LEAK_ZONE}"],
    "/incubation": ["", "?kind=孵化器"],
    "/incubation/carriers/{carrier_code}": [""],
    "/incubation/zones/{zone_code}": [""],
    "/incubation/export/carriers.{fmt}": ["", f"?zone={LEAK_ZONE}"],
    "/api/v1/incubation/carriers": ["", f"?zone={LEAK_ZONE}"],
    "/api/v1/incubation/carriers/{carrier_code}": [""],
    "/api/v1/incubation/chain": ["", f"?zone={LEAK_ZONE}"],
    "/api/v1/incubation/grades": ["?year=2023"],
    "/api/v1/incubation/summary": [""],
    "/bulletins/{bulletin_id}": [""],
    "/bulletins/review": ["", "?status=confirmed"],
    "/bulletins/facts/export.{fmt}": ["", f"?zone={LEAK_ZONE}"],
    "/zones/{zone_code}/bulletins": [""],
    "/api/v1/bulletins/facts": ["", f"?zone={LEAK_ZONE}"],
    "/api/v1/bulletins/{bulletin_id}": [""],
    "/talent": ["", "?on=2022-07-10"],
    "/talent/zones/{zone_code}": [""],
    "/talent/fairs": [""],
    "/talent/export/progress.xlsx": [""],
    "/talent/export/progress.pdf": [""],
    "/api/v1/talent/progress.pdf": [""],
    "/api/v1/talent/progress": ["", "?on=2022-07-10"],
    "/api/v1/talent/zones/{zone_code}": [""],
    "/api/v1/talent/fairs": [""],
    "/api/v1/indicators/{indicator}/drill-down": [
        f"?level={level}&key={key}&period={year}" for year in ("2022", "2023")
        for level, key in (("zone", LEAK_ZONE), ("province", LEAK_PROVINCE), ("nation", "CN"),
                           ("enterprise", LEAK_ENTERPRISE))],
}
# Routes that carry no figure at all (forms, the registry, users, state changes answered by a redirect).
NO_FIGURES = {"/login", "/login/unlock", "/logout", "/logout-all", "/api/docs", "/lang/{lang}",
              "/reporting/template/{form_code}.xlsx",
              "/reporting/transition", "/reporting/online/{form_code}/{period}/check",
              "/reporting/online/{form_code}/{period}/submit", "/reporting/online/{form_code}/{period}/draft",
              "/reporting/online/{form_code}/{period}/return", "/reporting/online/{form_code}/{period}/step",
              "/reporting/online",
              "/monitoring/alerts/{alert_id}", "/api/v1/alerts/{alert_id}", "/api/v1/submissions/{submission_id}/steps",
              "/admin/users", "/admin/users/export.{fmt}", "/admin/users/{username}/deactivate",
              "/admin/users/{username}/reactivate", "/admin/users/{username}/password",
              "/admin/users/{username}/logout-all", "/api/v1/me", "/api/v1/zones", "/api/v1/zones/{zone_code}",
              "/registry", "/registry/uploads/{report_id}/{table_name}.{fmt}",
              "/api/v1/readings/units", "/api/v1/readings/batches",  # (scope tested in tests/carbon/test_readings_api)
              # Bulletins: their text, facts and review carry no reported figure
              "/bulletins", "/bulletins/facts/{fact_id}/review", "/api/v1/bulletins", "/api/v1/bulletins/search",
              "/api/v1/bulletins/facts/{fact_id}/review",
              # Contests: entrants by scope, no zone figures (scope tested in tests/contests/test_api, test_tracking)
              "/api/v1/contests", "/api/v1/contests/{edition}/entries", "/api/v1/contests/{edition}/scores",
              "/api/v1/contests/{edition}/entries/{entry_code}/score", "/api/v1/contests/{edition}/results",
              "/api/v1/contests/{edition}/advance", "/api/v1/contests/{edition}/tracking", "/contests/{edition}",
              "/contests/{edition}/results.xlsx", "/contests/{edition}/advance", "/contests/{edition}/score",
              "/contests/{edition}/tracking", "/contests", "/contests/{edition}/entries/{entry_code}",
              "/contests/{edition}/entries/{entry_code}/documents",
              "/api/v1/contests/{edition}/entries/{entry_code}/documents",
              "/api/v1/contests/{edition}/entries/{entry_code}/documents/{sha256}",
              "/contests/{edition}/link", "/api/v1/contests/{edition}/entries/{entry_code}/link",
              "/contests/{edition}/tracking.xlsx", "/api/v1/contests/{edition}/entries/{entry_code}/move",
              "/contests/{edition}/assign", "/contests/{edition}/move",
              "/contests/{edition}/entries", "/contests/{edition}/judges", "/api/v1/contests/{edition}/judges",
              "/notices", "/notices/read", "/api/v1/notices"}  # the caller's own only: test_notices_are_the_callers_own
# Routes whose responses are validation reports of an upload: checked by uploading rows of the leak zone.
REGISTRY_UPLOADS = {"/registry/enterprises", "/registry/lists", "/api/v1/registry/enterprises",
                    "/api/v1/registry/lists"}
UPLOADS = {"/reporting/upload", "/api/v1/submissions", *REGISTRY_UPLOADS}
# Routes only the national roles reach (the role matrix above checks their rule): ad-hoc SQL over the analytic
# tables answers with every zone's figures, unsuppressed, to those roles and to no one else.
NATIONAL_ONLY = {"/sql", "/sql/export.{fmt}"}


def _leak_ids(engine: Engine, seeded: Seeded) -> dict[str, dict[str, str]]:
    ids = _ids(engine, seeded)
    with Session(engine) as session:
        sub = session.scalar(select(Submission.id).where(Submission.entity_key == LEAK_ENTERPRISE).limit(1))
    ids["other"] |= {"zone_code": LEAK_ZONE, "credit_code": LEAK_ENTERPRISE, "entity_key": LEAK_ENTERPRISE,
                     "submission_id": str(sub), "province_code": LEAK_PROVINCE}
    return ids


def _body_text(response: httpx.Response) -> str:
    """The response as text; a workbook's cells and a PDF's text read back (their bytes are compressed)."""
    if response.content[:5] == b"%PDF-":
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    if response.content[:2] == b"PK":
        reader = fastexcel.read_excel(response.content)
        return "\n".join(str(v) for name in reader.sheet_names
                         for column in reader.load_sheet(name, header_row=None).to_arrow().columns
                         for v in column.to_pylist())
    return response.text


def _figure_urls(app: FastAPI, ids: dict[str, dict[str, str]]) -> list[str]:
    urls, undeclared = [], []
    for route in flat_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        if route.path in UPLOADS or route.path in NO_FIGURES or route.path in NATIONAL_ONLY:
            continue
        if route.path not in FIGURE_QUERIES:
            undeclared.append(route.path)
            continue
        params = PARAM.findall(route.path)
        for variant in ("own", "other"):
            for fmt in (("csv", "xlsx") if "fmt" in params else ("csv",)):
                for table_name in (("provinces", "zones", "alerts") if "table_name" in params else ("zones",)):
                    values = {**FIXED_PARAMS, **ids[variant], "fmt": fmt, "table_name": table_name}
                    path = PARAM.sub(lambda m, v=values: v[m.group(1)], route.path)  # type: ignore[misc]
                    urls += [path + query for query in FIGURE_QUERIES[route.path]]
    assert undeclared == [], f"routes without a declared figure expectation: {undeclared}"
    return sorted(set(urls))


def test_every_route_declares_whether_it_carries_figures(app: FastAPI) -> None:
    paths = {r.path for r in flat_routes(app.routes) if isinstance(r, APIRoute)}
    declared = set(FIGURE_QUERIES) | NO_FIGURES | UPLOADS | NATIONAL_ONLY
    assert paths - declared == set(), "declare the new route in FIGURE_QUERIES or NO_FIGURES"
    assert declared - paths == set(), "a declared route no longer exists"


def test_no_response_shows_an_out_of_scope_zones_figures(app: FastAPI, engine: Engine, seeded: Seeded,
                                                       clients: dict[str, TestClient]) -> None:
    """Pages, exports and API answers for every role: the leak zone (another province, no user of its own)
    is outside every scoped role's scope, so none of its figures may appear; the national roles see them."""
    _seed_leak_zone(engine)
    urls = _figure_urls(app, _leak_ids(engine, seeded))
    problems, seen_by_national = [], set()
    for url in urls:
        for role in ROLES:
            response = clients[role].get(url)
            if response.status_code >= 500:
                problems.append(f"{role:10} GET {url} -> {response.status_code}")
                continue
            text = _body_text(response)
            found = [token for token in TOKENS if token in text]
            if role in NATIONAL:
                seen_by_national.update(found)
            elif found:
                problems.append(f"{role:10} GET {url} shows {found[:3]}")
    assert problems == [], "\n".join(problems)
    assert {"7,777.12", "54,321", "6,666.34"} <= seen_by_national, "the test would not see a leak"


def _leak_rows() -> dict[str, tuple[str, str, bytes]]:
    """Uploads naming the leak zone's entities, 800× last year's figures (an outlier message would print it)."""
    annual = report_csv([[LEAK_ENTERPRISE, "测试企业7", "Z1101", LEAK_ANNUAL["2023"]["revenue"] * 800, 1, 1, 1, 5],
                         [LEAK_ENTERPRISE, "测试企业7", LEAK_ZONE, LEAK_ANNUAL["2023"]["revenue"] * 800, 1, 1, 1, 5]])
    monthly = csv_of(["高新区代码", "营业收入", "工业总产值", "净利润", "实际上缴税费", "出口总额", "从业人员"],
                     [[LEAK_ZONE, LEAK_MONTHLY["2023-02"] * 800, 1, 1, 1, 1, 1]])
    return {"annual": ("enterprise_annual", "2024", annual), "monthly": ("zone_monthly", "2024-02", monthly)}


@pytest.mark.parametrize("upload", ["annual", "monthly"])
def test_validation_messages_show_no_out_of_scope_figures(engine: Engine, seeded: Seeded,
                                                          clients: dict[str, TestClient], upload: str) -> None:
    """The upload page and the API, for every role that may upload: rows of the leak zone are refused without
    its last year's figures, its registered zone, or anything else about it; an admin gets the comparison."""
    _seed_leak_zone(engine)
    form, period, content = _leak_rows()[upload]
    problems = []
    for role in ROLES[:-1]:  # the public may not upload (401 before anything is read)
        client = clients[role]
        page = post_file(client, content, period=period, form=form)
        api = client.post("/api/v1/submissions", data={"form": form, "period": period},
                          files={"file": ("leak.csv", content, "text/csv")}, headers={CSRF_HEADER: csrf_of(client)})
        for where, response in (("page", page), ("api", api)):
            text = response.text  # type: ignore[attr-defined]
            found = [token for token in TOKENS if token in text] + [
                z for z in (LEAK_ZONE,) if role != "admin"
                and (f"registered in zone {z}" in text or f"registered in {z}" in text)]
            status = response.status_code  # type: ignore[attr-defined]
            if status >= 500 or (role in OUT_OF_SCOPE_ROLES and found):
                problems.append(f"{role:10} {where} -> {status} shows {found[:3]}")
            if role == "admin" and upload == "annual" and where == "api" and str(
                    LEAK_ANNUAL["2023"]["revenue"]) not in text:
                problems.append("admin: the outlier message against last year is missing (the test would miss a leak)")
    assert problems == [], "\n".join(problems)


def test_incubation_shows_no_out_of_scope_carrier(app: FastAPI, engine: Engine, seeded: Seeded,
                                                 clients: dict[str, TestClient]) -> None:
    """A carrier in the leak zone: no scoped role sees its name on any incubation page, export or API answer;
    the national roles do (so the test would see a leak)."""
    _seed_leak_zone(engine)
    _carrier(engine, "TESTKLEAK", LEAK_ZONE, LEAK_PROVINCE, name="泄露测试孵化器")
    urls = [u for u in _figure_urls(app, _leak_ids(engine, seeded)) if "incubation" in u]
    problems, seen = [], False
    for url in urls:
        for role in ROLES:
            text = _body_text(clients[role].get(url))
            if role in NATIONAL:
                seen = seen or "泄露测试孵化器" in text
            elif "泄露测试孵化器" in text or "TESTKLEAK" in text:
                problems.append(f"{role:10} GET {url}")
    assert seen and problems == [], "\n".join(problems)


def _registry_leak_lists() -> dict[str, tuple[bytes, dict[str, str]]]:
    """Lists naming the leak zone's enterprise under another name: moved into the own zone, and as a 高企."""
    enterprises = csv_of([[LEAK_ENTERPRISE, "别的名字", "Z1101"]],
                         header=["统一社会信用代码", "企业名称", "高新区代码"])
    hightech = csv_of([[LEAK_ENTERPRISE, "别的名字", "GR202344000001", "2023-11-20"]],
                      header=["统一社会信用代码", "企业名称", "证书编号", "发证日期"])
    return {"enterprises": (enterprises, {}), "lists": (hightech, {"kind": "hightech"})}


def test_registry_uploads_tell_a_scoped_user_nothing_of_an_enterprise_outside_its_scope(
        engine: Engine, seeded: Seeded, clients: dict[str, TestClient]) -> None:
    """Its registered name and zone stay unsaid to the zone and the province (the enterprise account may not
    upload at all); an admin's review row names the registered name, so the test would see a leak."""
    _seed_leak_zone(engine)
    secrets = ("测试企业7", LEAK_ZONE, "深圳测试高新区")
    problems = []
    for role in ("zone", "province", "enterprise"):
        client = clients[role]
        for route in sorted(REGISTRY_UPLOADS):
            content, fields = _registry_leak_lists()[route.rsplit("/", 1)[1]]
            response = client.post(route, data={**fields, "csrf_token": csrf_of(client, "/reporting")},
                                   files={"file": ("leak.csv", content, "text/csv")},
                                   headers={CSRF_HEADER: csrf_of(client, "/reporting")})
            found = [s for s in secrets if s in response.text]
            read = role == "enterprise" or LEAK_ENTERPRISE in response.text  # the file was read and answered
            if response.status_code >= 500 or found or not read or (role == "enterprise") != (
                    response.status_code == 403):
                problems.append(f"{role:10} POST {route} -> {response.status_code} shows {found}")
    content, fields = _registry_leak_lists()["lists"]
    admin = clients["admin"].post("/api/v1/registry/lists", data=fields, files={"file": ("leak.csv", content)},
                                  headers={CSRF_HEADER: csrf_of(clients["admin"], "/reporting")})
    assert "测试企业7" in admin.text, "the test would not see a leak"
    assert problems == [], "\n".join(problems)


def test_the_online_form_tells_nothing_of_an_enterprise_outside_scope(engine: Engine, seeded: Seeded,
                                                                      clients: dict[str, TestClient]) -> None:
    """Checking, saving, submitting, returning, reviewing or approving the leak zone's enterprise's report: a zone,
    a province and an enterprise get the same 404 as for no enterprise (an enterprise its own report, never the
    one it names), and no figure of it; an admin's check compares with its last year, so the test would see a
    leak."""
    _seed_leak_zone(engine)
    base = "/reporting/online/enterprise_annual/2024"
    values = {"entity": LEAK_ENTERPRISE, "revenue": str(LEAK_ANNUAL["2023"]["revenue"] * 800), "employees": "5"}
    problems = []
    for role in ("zone", "province", "enterprise"):
        client = clients[role]
        for action, step in (("check", {}), ("draft", {}), ("submit", {}), ("return", {}),
                             ("step", {"action": "review"}), ("step", {"action": "approve"})):
            response = client.post(f"{base}/{action}", data={**values, **step,
                                                              "csrf_token": csrf_of(client, "/reporting")})
            found = [token for token in TOKENS if token in response.text]
            # A zone files and reviews (its own zone's enterprises' reports), a province reviews: what is closed to
            # the role answers 403, what is open answers 404 for a report outside the role's zones.
            expected = {"zone": 404, "province": 403 if action in ("check", "draft", "submit") else 404,
                        "enterprise": 403 if action in ("return", "step") else None}.get(role)
            if response.status_code >= 500 or found or (expected and response.status_code != expected):
                problems.append(f"{role:10} POST {action} {step} -> {response.status_code} shows {found[:3]}")
    admin = clients["admin"].post(f"{base}/check", data={**values, "csrf_token": csrf_of(clients["admin"])})
    assert str(LEAK_ANNUAL["2023"]["revenue"]) in admin.text, "the test would not see a leak"
    assert problems == [], "\n".join(problems)

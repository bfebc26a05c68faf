"""Separation of duties (the form's ``workflow.separate_duties``): whoever wrote a revision (filed it, also for an
enterprise on its behalf) never reviews or approves it. Refused on the review page, the queue, the API and the
command line with a 403 (exit code 2) naming why, the refusal in the audit log; another user of the zone, or the
level the workflow names, takes the step. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hizone.auth import Principal, duty_refusal
from hizone.auth.users import add_user
from hizone.catalog import load_catalog
from hizone.cli import app as cli
from hizone.errors import CatalogError, Refused
from hizone.intake.service import audit_trail, import_file, transition, workflow_of
from hizone.store.models import Submission
from tests.online.test_online_form import GOOD, URL
from tests.web.conftest import csrf_of, login
from tests.web.seed import PASSWORD, USERS, Seeded, credit_code
from tests.web.test_reporting import report_csv

FORM, PERIOD = "enterprise_annual", "2024"
HIDDEN = re.compile(r'name="(draft_version|form_version|csrf_token)" value="([^"]*)"')
OWN_1, OWN_2 = credit_code(1), credit_code(2)  # both of Z1101, the zone user's zone
FILER = Principal(USERS["zone"], "zone", province_code="11", zone_code="Z1101")
COLLEAGUE = Principal("zone1b", "zone", province_code="11", zone_code="Z1101")  # another user of the same zone
TORCH = Principal("torch", "admin")
REFUSED_REVIEW = "you filed this revision; another reviewer must review it"
REFUSED_APPROVE = "you filed this revision; another reviewer must approve it"


def _file_on_behalf(zone: TestClient, entity: str) -> None:
    """The zone's user files the enterprise's 2024 report in the browser, on its behalf."""
    page = zone.get(f"{URL}?entity={entity}")
    assert page.status_code == 200, page.text[:300]
    filed = zone.post(URL + "/submit", data={**dict(HIDDEN.findall(page.text)), **GOOD, "entity": entity})
    assert filed.status_code == 200 and filed.json()["status"] == "stored", filed.text


def _step(client: TestClient, entity: str, action: str) -> tuple[int, str]:
    response = client.post(f"{URL}/step", data={"entity": entity, "action": action,
                                                "csrf_token": csrf_of(client, "/reporting")}, follow_redirects=False)
    return response.status_code, response.text


def _state(engine: Engine, entity: str) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(Submission.state).where(
            Submission.form_code == FORM, Submission.period == PERIOD, Submission.entity_key == entity)
            .order_by(Submission.revision.desc()).limit(1)))


@pytest.fixture
def colleague(app: FastAPI, engine: Engine, seeded: Seeded) -> TestClient:
    add_user(engine, COLLEAGUE.username, PASSWORD, "zone", zone="Z1101")
    return login(TestClient(app), COLLEAGUE.username)


def test_a_zone_filing_on_behalf_is_reviewed_and_approved_by_another_zone_user(
        engine: Engine, clients: dict[str, TestClient], colleague: TestClient) -> None:
    zone = clients["zone"]
    _file_on_behalf(zone, OWN_1)
    review = zone.get(f"{URL}/review?entity={OWN_1}").text
    # The filer's page: no review button, the step shown disabled with why; returning stays possible.
    assert 'id="review-review"' not in review and 'id="review-refused-review"' in review
    assert "此版本由您填报，须由其他审核人审核" in review and 'id="review-return"' in review
    status, text = _step(zone, OWN_1, "review")
    assert status == 403 and REFUSED_REVIEW in text
    assert _state(engine, OWN_1) == "submitted"
    # Another user of the zone sees the button and takes the step.
    assert 'id="review-review"' in colleague.get(f"{URL}/review?entity={OWN_1}").text
    assert _step(colleague, OWN_1, "review")[0] == 303
    status, text = _step(zone, OWN_1, "approve")  # the filer cannot approve it either
    assert status == 403 and REFUSED_APPROVE in text
    assert 'id="review-refused-approve"' in zone.get(f"{URL}/review?entity={OWN_1}").text
    assert _step(colleague, OWN_1, "approve")[0] == 303
    assert _state(engine, OWN_1) == "approved"
    # The audit log: the two refusals (by the filer, for the revision) beside the steps taken.
    trail = [(e.actor, e.action) for e in audit_trail(engine, object_kind="submission")
             if e.detail.get("entity") == OWN_1 or e.detail.get("entity_key") == OWN_1]
    assert (USERS["zone"], "review_refused") in trail and (USERS["zone"], "approve_refused") in trail
    assert [a for who, a in trail if who == COLLEAGUE.username] == ["review", "approve"]


def test_the_queue_leaves_the_callers_own_filings_to_another_reviewer(
        engine: Engine, clients: dict[str, TestClient], colleague: TestClient) -> None:
    zone = clients["zone"]
    _file_on_behalf(zone, OWN_1)
    reporting = zone.get("/reporting").text
    assert 'data-refused="review" data-zone="Z1101"' in reporting  # disabled, with why
    assert 'data-action="review" data-zone="Z1101" data-period="2024"' not in reporting
    refused = zone.post("/reporting/transition", data={"action": "review", "form": FORM, "period": PERIOD,
                                                       "zone_code": "Z1101", "csrf_token": csrf_of(zone, "/reporting")})
    assert refused.status_code == 403 and REFUSED_REVIEW in refused.text
    # With another enterprise's own filing beside it, a step over the zone takes that one, leaves the filer's.
    data = report_csv([[OWN_2, "测试企业2", "Z1101", 62_000, 3_100, 2_500, 124_000, 56]])
    assert import_file(engine, data, FORM, PERIOD, TORCH, name="own2.csv", submit=True).stored
    assert 'data-own="Z1101"' in zone.get("/reporting").text
    done = zone.post("/reporting/transition", data={"action": "review", "form": FORM, "period": PERIOD,
                                                    "zone_code": "Z1101", "csrf_token": csrf_of(zone, "/reporting")},
                     follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/reporting?done=review:1&withheld=1"
    assert "1 份由您本人填报的版本未处理" in zone.get(done.headers["location"]).text
    assert (_state(engine, OWN_1), _state(engine, OWN_2)) == ("submitted", "reviewed")
    assert transition(engine, "review", COLLEAGUE, form=FORM, period=PERIOD, zone_code="Z1101").count == 1


def test_a_self_written_revision_is_refused_in_the_service_the_api_and_the_cli(
        engine: Engine, clients: dict[str, TestClient], database_url: str, tmp_path: Path) -> None:
    data = report_csv([[OWN_1, "测试企业1", "Z1101", 130_000, 13_000, 10_000, 260_000, 115]])
    assert import_file(engine, data, FORM, PERIOD, USERS["admin"], name="torch.csv", submit=True).stored
    admin = Principal(USERS["admin"], "admin")
    with pytest.raises(Refused, match=REFUSED_REVIEW) as caught:
        transition(engine, "review", admin, form=FORM, period=PERIOD, entity_keys=[OWN_1])
    assert caught.value.where == f"{FORM} {PERIOD} {OWN_1}"
    with engine.connect() as conn:
        sub = conn.scalar(select(Submission.id).where(Submission.entity_key == OWN_1, Submission.period == PERIOD))
    # The API: 403 with the reason, for the uploader; another national user takes the step.
    refused = clients["admin"].post(f"/api/v1/submissions/{sub}/steps", json={"action": "review"},
                                    headers={"X-CSRF-Token": csrf_of(clients["admin"], "/reporting")})
    assert refused.status_code == 403 and REFUSED_REVIEW in refused.json()["error"]["message"]
    taken = clients["analyst"].post(f"/api/v1/submissions/{sub}/steps", json={"action": "review"},
                                    headers={"X-CSRF-Token": csrf_of(clients["analyst"], "/reporting")})
    assert taken.status_code == 200 and taken.json() == {"submission_id": sub, "action": "review",
                                                         "state": "reviewed"}
    # The command line: exit code 2 and the reason, nothing moved; then another user approves.
    env = {"HIZONE_DATABASE_URL": database_url, "HIZONE_VAR_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    args = ["approve", "--form", FORM, "--period", PERIOD, "--action", "approve", "--entity", OWN_1]
    result = runner.invoke(cli, [*args, "--user", USERS["admin"]], env=env)
    assert result.exit_code == 2 and REFUSED_APPROVE in result.output
    assert _state(engine, OWN_1) == "reviewed"
    assert runner.invoke(cli, [*args, "--user", "torch-approver"], env=env).exit_code == 0
    assert _state(engine, OWN_1) == "approved"


def test_the_api_step_is_for_reviewing_roles_in_their_scope(engine: Engine, clients: dict[str, TestClient],
                                                           seeded: Seeded) -> None:
    data = report_csv([[OWN_1, "测试企业1", "Z1101", 130_000, 13_000, 10_000, 260_000, 115]])
    assert import_file(engine, data, FORM, PERIOD, TORCH, name="torch.csv", submit=True).stored
    with engine.connect() as conn:
        sub = conn.scalar(select(Submission.id).where(Submission.entity_key == OWN_1, Submission.period == PERIOD))
    # A later revision: a step on the earlier one is refused with a 409 (only the latest moves).
    again = report_csv([[OWN_1, "测试企业1", "Z1101", 131_000, 13_000, 10_000, 260_000, 115]])
    assert import_file(engine, again, FORM, PERIOD, TORCH, name="again.csv", submit=True).stored
    stale = clients["analyst"].post(f"/api/v1/submissions/{sub}/steps", json={"action": "review"},
                                    headers={"X-CSRF-Token": csrf_of(clients["analyst"], "/reporting")})
    assert stale.status_code == 409 and "revision 2 is the latest" in stale.json()["error"]["message"]
    with engine.connect() as conn:
        sub = conn.scalar(select(Submission.id).where(Submission.entity_key == OWN_1, Submission.period == PERIOD,
                                                      Submission.revision == 2))
    for role, status in (("enterprise", 403), ("province", 200)):
        client = clients[role]
        answer = client.post(f"/api/v1/submissions/{sub}/steps", json={"action": "review"},
                             headers={"X-CSRF-Token": csrf_of(client, "/reporting")})
        assert answer.status_code == status, (role, answer.text)
    assert _state(engine, OWN_1) == "reviewed"
    bad = clients["zone"].post(f"/api/v1/submissions/{sub}/steps", json={"action": "return"},
                               headers={"X-CSRF-Token": csrf_of(clients["zone"], "/reporting")})
    assert bad.status_code == 400 and "needs a comment" in bad.json()["error"]["message"]


# ---- the policy and the form YAML --------------------------------------------------------------------------


def test_the_policy_refuses_only_the_writer_and_only_acceptance() -> None:
    chain = workflow_of(FORM, PERIOD)
    writers = {USERS["zone"]}
    assert duty_refusal(FILER, "approve", chain, writers, True) == (
        f"{REFUSED_APPROVE} (a zone, admin or analyst user other than you)")
    assert duty_refusal(FILER, "review", chain, writers, True) == (
        f"{REFUSED_REVIEW} (a zone, province, admin or analyst user other than you)")
    assert duty_refusal(COLLEAGUE, "approve", chain, writers, True) is None
    assert duty_refusal(FILER, "return", chain, writers, True) is None  # a return accepts nothing
    assert duty_refusal(FILER, "approve", chain, writers, False) is None  # the form does not separate duties


FORM_YAML = """\
code: enterprise_annual
version: 2030
name_zh: 测试
name_en: test
entity: enterprise
frequency: annual
workflow:
  review: [zone]
  approve: [zone]
  return: [zone]
  separate_duties: {value}
fields:
  - {{element: revenue, required: true}}
"""


def test_every_form_separates_duties_unless_its_yaml_says_not(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    assert all(v.separate_duties for versions in load_catalog().forms.values() for v in versions)
    (forms / "enterprise_annual-2030.yaml").write_text(FORM_YAML.format(value="false"), encoding="utf-8")
    assert load_catalog([tmp_path]).form(FORM, 2030).separate_duties is False
    (forms / "enterprise_annual-2030.yaml").write_text(FORM_YAML.format(value="maybe"), encoding="utf-8")
    with pytest.raises(CatalogError, match="separate_duties: true or false, got 'maybe'") as caught:
        load_catalog([tmp_path])
    assert caught.value.where == f"{forms / 'enterprise_annual-2030.yaml'}: workflow"

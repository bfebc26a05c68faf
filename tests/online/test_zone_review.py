"""The approval chain as the form YAML states it: a zone's committee reviews, returns and approves its own zone's
enterprises' reports (never another zone's, not even in its province), a zone's own report goes to its province;
each step one appended change event. Coded fields: a drop-down on the online form, a value outside the list
refused by the check with the same message as an import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from hizone.auth import Principal
from hizone.catalog import default_catalog, load_catalog
from hizone.errors import CatalogError
from hizone.intake.errors import WorkflowError
from hizone.intake.service import import_file, submission_history, transition, validate_file
from hizone.store.models import ChangeEvent, Submission
from hizone.web.services.reporting import queue
from tests.web.conftest import csrf_of
from tests.web.seed import USERS, Seeded, credit_code
from tests.web.test_reporting import report_csv

FORM, PERIOD = "enterprise_annual", "2024"
URL = f"/reporting/online/{FORM}/{PERIOD}"
ZONE = Principal(USERS["zone"], "zone", province_code="11", zone_code="Z1101")
PROVINCE = Principal(USERS["province"], "province", province_code="11")
ADMIN = Principal("torch", "admin")
OWN_1, OWN_2, NEIGHBOUR = credit_code(1), credit_code(2), credit_code(3)  # Z1101, Z1101, Z1102 (both Beijing)


def _submit_all(engine: Engine) -> None:
    """2024 reports of two enterprises of the zone user's zone and one of the neighbouring zone, all submitted."""
    data = report_csv([[OWN_1, "测试企业1", "Z1101", 130_000, 13_000, 10_000, 260_000, 115],
                       [OWN_2, "测试企业2", "Z1101", 62_000, 3_100, 2_500, 124_000, 56],
                       [NEIGHBOUR, "测试企业3", "Z1102", 35_000, 1_600, 1_200, 70_000, 32]])
    result = import_file(engine, data, FORM, PERIOD, ADMIN, name="zones.csv", submit=True)
    assert result.stored, result


def _states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Submission.entity_key, Submission.state).where(
            Submission.form_code == FORM, Submission.period == PERIOD)).all()
    return {key: state for key, state in rows}


def _events(engine: Engine) -> list[tuple[int, str | None, str | None, str | None, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            select(ChangeEvent.seq, ChangeEvent.entity_key, ChangeEvent.actor_role, ChangeEvent.from_state,
                   ChangeEvent.to_state).where(ChangeEvent.form_code == FORM, ChangeEvent.period == PERIOD)
            .order_by(ChangeEvent.seq)).all()]


def test_the_zone_reviews_returns_and_approves_its_own_enterprises_reports_only(engine: Engine,
                                                                               seeded: Seeded) -> None:
    _submit_all(engine)
    before = _events(engine)
    for selection in ({"entity_keys": [NEIGHBOUR]}, {"zone_code": "Z1102"}, {}):
        with pytest.raises(WorkflowError, match="outside your scope"):
            transition(engine, "review", ZONE, form=FORM, period=PERIOD, **selection)  # type: ignore[arg-type]
    with pytest.raises(WorkflowError, match="outside your scope"):
        transition(engine, "return", ZONE, form=FORM, period=PERIOD, entity_keys=[NEIGHBOUR], comment="核对")
    with pytest.raises(WorkflowError, match="needs reviewed"):
        transition(engine, "approve", ZONE, form=FORM, period=PERIOD, entity_keys=[OWN_1])  # review comes first
    assert _events(engine) == before and set(_states(engine).values()) == {"submitted"}  # nothing moved

    assert transition(engine, "review", ZONE, form=FORM, period=PERIOD, entity_keys=[OWN_1]).count == 1
    assert transition(engine, "approve", ZONE, form=FORM, period=PERIOD, entity_keys=[OWN_1]).count == 1
    returned = transition(engine, "return", ZONE, form=FORM, period=PERIOD, entity_keys=[OWN_2],
                          field_comments={"revenue": "与财务报表不符"})
    assert returned.count == 1
    assert _states(engine) == {OWN_1: "approved", OWN_2: "returned", NEIGHBOUR: "submitted"}
    # One appended event per step, numbered on from the import's, each with the zone as its actor.
    added = _events(engine)[len(before):]
    assert [row[1:] for row in added] == [(OWN_1, "zone", "submitted", "reviewed"),
                                          (OWN_1, "zone", "reviewed", "approved"),
                                          (OWN_2, "zone", "submitted", "returned")]
    assert [row[0] for row in added] == sorted(row[0] for row in added) and added[0][0] > before[-1][0]
    assert [e.action for e in submission_history(engine, FORM, OWN_1, PERIOD)] == ["import", "review", "approve"]
    # The province still reviews the neighbouring zone's report (its enterprise's workflow names it), never approves.
    assert transition(engine, "review", PROVINCE, form=FORM, period=PERIOD, entity_keys=[NEIGHBOUR]).count == 1
    with pytest.raises(WorkflowError, match="a province user cannot approve enterprise_annual; it is done by "
                                            "admin or analyst or zone"):
        transition(engine, "approve", PROVINCE, form=FORM, period=PERIOD, entity_keys=[NEIGHBOUR])


def test_a_zones_own_report_goes_to_its_province_and_the_nation(engine: Engine, seeded: Seeded) -> None:
    """zone_monthly's workflow: the province reviews and returns it, only the national roles approve it."""
    with pytest.raises(WorkflowError, match="a zone user cannot review zone_monthly; it is done by admin or "
                                            "analyst or province"):
        transition(engine, "review", ZONE, form="zone_monthly", period="2023-02", zone_code="Z1101")
    with pytest.raises(WorkflowError, match="a zone user cannot return zone_monthly"):
        transition(engine, "return", ZONE, form="zone_monthly", period="2023-02", zone_code="Z1101", comment="x")


def test_the_queue_offers_each_reader_the_steps_its_role_takes_there(engine: Engine, seeded: Seeded) -> None:
    _submit_all(engine)
    transition(engine, "review", Principal("torch-reviewer", "admin"), form=FORM, period=PERIOD, entity_keys=[OWN_2])
    zone = {(q.zone_code, q.state): q.actions for q in queue(engine, ZONE) if q.period == PERIOD}
    assert zone == {("Z1101", "submitted"): ("review", "return"), ("Z1101", "reviewed"): ("approve", "return")}
    province = {(q.zone_code, q.state): q.actions for q in queue(engine, PROVINCE) if q.period == PERIOD}
    assert province == {("Z1101", "submitted"): ("review", "return"), ("Z1101", "reviewed"): ("return",),
                        ("Z1102", "submitted"): ("review", "return")}


def _step(client: TestClient, entity: str, action: str) -> int:
    response = client.post(f"{URL}/step", data={"entity": entity, "action": action,
                                                "csrf_token": csrf_of(client, "/reporting")},
                           follow_redirects=False)
    return response.status_code


def test_the_zone_reviews_and_approves_from_the_review_page(engine: Engine, seeded: Seeded,
                                                            clients: dict[str, TestClient]) -> None:
    _submit_all(engine)
    zone = clients["zone"]
    page = zone.get(f"{URL}/review?entity={OWN_1}").text
    assert 'id="review-review"' in page and 'id="review-approve"' not in page and 'id="review-return"' in page
    assert _step(zone, OWN_1, "review") == 303
    page = zone.get(f"{URL}/review?entity={OWN_1}&done=review").text
    assert 'id="review-done"' in page and "已审核通过" in page
    assert 'id="review-approve"' in page and 'id="review-review"' not in page
    province = clients["province"].get(f"{URL}/review?entity={OWN_1}").text
    assert 'id="review-approve"' not in province and 'id="review-return"' in province  # reviewed: the zone approves
    assert _step(zone, OWN_1, "approve") == 303
    assert _states(engine)[OWN_1] == "approved"
    approved = zone.get(f"{URL}/review?entity={OWN_1}").text
    assert 'id="review-return"' not in approved and 'id="review-approve"' not in approved  # locked
    # The neighbouring zone's enterprise: the zone's review page and steps answer as for no enterprise at all.
    assert zone.get(f"{URL}/review?entity={NEIGHBOUR}").status_code == 404
    assert _step(zone, NEIGHBOUR, "review") == 404 and _step(zone, "91110000XXXXXXXXX0", "review") == 404
    returned = zone.post(f"{URL}/return", data={"entity": NEIGHBOUR, "note_revenue": "x",
                                                "csrf_token": csrf_of(zone, "/reporting")})
    assert returned.status_code == 404
    assert _states(engine)[NEIGHBOUR] == "submitted"
    assert _step(clients["province"], OWN_2, "approve") == 400  # the form's workflow: not the province's step


def test_the_reviewer_sees_what_an_earlier_return_asked_for(engine: Engine, seeded: Seeded,
                                                           clients: dict[str, TestClient]) -> None:
    """Returned with a note on a field and submitted again: the review of the new revision shows the note beside
    that field (the filler's form no longer does: the return is over)."""
    _submit_all(engine)
    zone = clients["zone"]
    assert zone.post(f"{URL}/return", data={"entity": OWN_2, "note_revenue": "与财务报表不符", "comment": "请核对",
                                            "csrf_token": csrf_of(zone, "/reporting")}).status_code == 200
    page = zone.get(f"{URL}/review?entity={OWN_2}").text
    assert 'id="review-returned"' in page and 'id="review-earlier"' not in page
    data = report_csv([[OWN_2, "测试企业2", "Z1101", 64_000, 3_100, 2_500, 124_000, 56]])
    assert import_file(engine, data, FORM, PERIOD, ADMIN, name="again.csv", submit=True).stored
    page = zone.get(f"{URL}/review?entity={OWN_2}").text
    assert 'id="review-earlier"' in page and "请核对" in page
    assert 'data-earlier-note="revenue">与财务报表不符<' in page and 'data-earlier-note="employees"><' in page
    assert _step(clients["enterprise"], OWN_1, "review") == 403


# ---- coded fields --------------------------------------------------------------------------------------------

OPTION = re.compile(r'<option value="(\d*)"( selected)?>')


def test_a_coded_field_is_a_drop_down_of_its_code_list(clients: dict[str, TestClient]) -> None:
    scale = next(f for f in default_catalog().form(FORM, 2024).fields if f.element.code == "enterprise_scale")
    assert scale.element.codes is not None and sorted(scale.element.codes.values) == [1, 2, 3, 4]
    page = clients["enterprise"].get(URL).text
    select_html = page.split('<select id="f-enterprise_scale"')[1].split("</select>")[0]
    assert [m.group(1) for m in OPTION.finditer(select_html)] == ["", "1", "2", "3", "4"]
    assert "3 小型" in select_html
    listed = page.split('<select id="f-listed"')[1].split("</select>")[0]
    assert [m.group(1) for m in OPTION.finditer(listed)] == ["", "1", "0"] and "是" in listed
    assert '<input id="f-revenue"' in page  # the uncoded fields stay inputs


def _form_fields(client: TestClient) -> dict[str, str]:
    page = client.get(URL).text
    value = re.compile(r'value="([^"]*)"')
    return {name: value.search(page.split(f'name="{name}"')[1]).group(1)  # type: ignore[union-attr]
            for name in ("draft_version", "form_version")}


GOOD = {"revenue": "13万", "total_profit": "1.3万", "net_profit": "10,000", "total_assets": "260,000",
        "employees": "115"}


def test_a_value_outside_the_list_is_refused_as_by_an_import(engine: Engine, seeded: Seeded,
                                                             clients: dict[str, TestClient]) -> None:
    client = clients["enterprise"]
    token = csrf_of(client, URL)
    checked = client.post(f"{URL}/check", data={**GOOD, "enterprise_scale": "5", "listed": "1", "csrf_token": token})
    errors = [i for i in checked.json()["issues"] if i["severity"] == "error"]
    assert [(i["field"], i["rule"], i["value"]) for i in errors] == [("enterprise_scale", "not_in_codes", "5")]
    assert errors[0]["zh"] == "企业规模为5，不在代码表“企业规模”中（可填：1 大型、2 中型、3 小型、4 微型）"
    assert errors[0]["en"] == ("Enterprise size class is 5, not a code of the list 'enterprise size class' "
                               "(one of: 1 large, 2 medium, 3 small, 4 micro)")
    # The same value in an uploaded file: the same message.
    header = "credit_code,revenue,total_profit,net_profit,total_assets,employees,企业规模,是否上市\n"
    data = (header + f"{seeded.own_enterprise},130000,13000,10000,260000,115,5,2\n").encode()
    report = validate_file(engine, data, FORM, PERIOD, "admin", name="upload.csv")
    coded = sorted((i.field or "", i.message_zh) for i in report.issues if i.rule == "not_in_codes")
    assert coded == [("enterprise_scale", errors[0]["zh"]),
                     ("listed", "是否上市企业为2，不在代码表“是否”中（可填：1 是、0 否）")]
    fine = client.post(f"{URL}/check", data={**GOOD, "enterprise_scale": "3", "listed": "0", "csrf_token": token})
    assert fine.json()["errors"] == 0
    # Submitted, the code is stored and the form opens with it chosen.
    submitted = client.post(f"{URL}/submit", data={**_form_fields(client), **GOOD, "enterprise_scale": "3",
                                                    "listed": "0", "csrf_token": token})
    assert submitted.status_code == 200, submitted.text
    page = clients["enterprise"].get(URL).text
    chosen = page.split('<select id="f-enterprise_scale"')[1].split("</select>")[0]
    assert [m.group(1) for m in OPTION.finditer(chosen) if m.group(2)] == ["3"]
    listed = page.split('<select id="f-listed"')[1].split("</select>")[0]
    assert [m.group(1) for m in OPTION.finditer(listed) if m.group(2)] == ["0"]
    printed = clients["enterprise"].get(f"{URL}/print").text
    assert 'data-value="enterprise_scale">3 小型<' in printed and 'data-value="listed">0 否<' in printed


@pytest.mark.parametrize(("files", "message"), [
    ({"elements.yaml": "elements:\n  x1: {name_zh: 甲, name_en: X, unit: 代码, type: integer, codes: colours}\n"},
     r"elements.x1: unknown code list 'colours'"),
    ({"elements.yaml": "elements:\n  x1: {name_zh: 甲, name_en: X, unit: 代码, codes: yes_no}\n"},
     r"'type' must be integer"),
    ({"codes.yaml": "code_lists:\n  c: {name_zh: 甲, name_en: A, codes: {a: {name_zh: 甲, name_en: A}}}\n"},
     r"codes.yaml: code_lists.c: a code must be a whole number"),
    ({"forms/bad.yaml": "code: bad\nversion: 2024\nname_zh: 坏\nname_en: Bad\nentity: enterprise\n"
                        "frequency: annual\nworkflow: {review: [enterprise]}\nfields: [revenue]\n"},
     r"bad.yaml: workflow: review: a list of roles among zone, province"),
    ({"forms/bad.yaml": "code: bad\nversion: 2024\nname_zh: 坏\nname_en: Bad\nentity: zone\n"
                        "frequency: annual\nworkflow: {approve: [province], return: []}\nfields: [revenue]\n"},
     r"whoever reviews or approves a report may also return it"),
])
def test_malformed_code_lists_and_workflows_are_refused(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog([tmp_path])


def test_the_template_offers_the_code_lists_as_drop_downs() -> None:
    """The .xlsx template of the 2024 form: a list validation of the codes on each coded column."""
    import io
    import zipfile

    from hizone.intake.template import build_template

    with zipfile.ZipFile(io.BytesIO(build_template(FORM, 2024))) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    lists = re.findall(r'<dataValidation type="list"[^>]*>.*?<formula1>([^<]*)</formula1>', sheet)
    assert lists == ['"1,2,3,4"', '"1,0"']
    assert "1 大型、2 中型、3 小型、4 微型" in sheet


def test_the_queues_steps_take_every_forms_reports(clients: dict[str, TestClient]) -> None:
    """The queue lists the reports of every form (energy, incubators, the weekly talent report): its buttons' route
    takes their codes and periods (here nothing waits, so the step is refused in words, not as a malformed form)."""
    admin = clients["admin"]
    for form, period in (("talent_report", "2022W28"), ("enterprise_energy", "2023")):
        response = admin.post("/reporting/transition", data={"action": "review", "form": form, "period": period,
                                                             "csrf_token": csrf_of(admin, "/reporting")})
        assert response.status_code == 400 and f"nothing to review: no {form} {period}" in response.text

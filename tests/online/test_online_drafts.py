"""网上填报's server drafts, submission from the draft, on-behalf filing, the review view and a return with
comments on fields: through the web, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from hizone.store.models import OnlineDraft, OnlineFiling, Submission
from hizone.store.online import Report, load_draft
from tests.online.test_online_form import GOOD, URL
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

HIDDEN = re.compile(r'name="(draft_version|form_version|csrf_token)" value="([^"]*)"')
# 1万 against the 999,999 of the latest 2023 revision: below a tenth, the outlier rule's warning.
WARNED = {**GOOD, "revenue": "1万"}


def _page_fields(client: TestClient, url: str = URL) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    return dict(HIDDEN.findall(page.text))


def _post(client: TestClient, path: str, values: dict[str, str], loaded: dict[str, str]) -> httpx.Response:
    return client.post(URL + path, data={**loaded, **values})


def _revisions(engine: Engine, entity: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Submission).where(
            Submission.entity_key == entity, Submission.period == "2024")) or 0)


def test_a_draft_is_kept_and_a_second_tab_cannot_overwrite_it(clients: dict[str, TestClient], engine: Engine,
                                                              seeded: Seeded) -> None:
    client = clients["enterprise"]
    first_tab, second_tab = _page_fields(client), _page_fields(client)
    assert first_tab["draft_version"] == "0"
    saved = _post(client, "/draft", {"revenue": "13万", "employees": "abc"}, first_tab)
    assert saved.status_code == 200 and saved.json()["version"] == 1
    # The second tab opened before that save: refused, naming who saved when, and nothing overwritten.
    stale = _post(client, "/draft", {"revenue": "99"}, second_tab)
    assert stale.status_code == 409
    assert "enterprise1" in stale.json()["message"] and stale.json()["version"] == 1
    draft = load_draft(engine, Report("enterprise_annual", "2024", seeded.own_enterprise))
    assert draft is not None and draft.values == {"revenue": "13万", "employees": "abc"} and draft.version == 1
    # Reloading the page shows the draft as typed (text in a number field too) at its version.
    page = client.get(URL).text
    assert 'value="13万"' in page and 'value="abc"' in page and _page_fields(client)["draft_version"] == "1"


def test_two_tabs_submitting_store_one_revision(clients: dict[str, TestClient], engine: Engine,
                                                seeded: Seeded) -> None:
    client = clients["enterprise"]
    first_tab, second_tab = _page_fields(client), _page_fields(client)
    stored = _post(client, "/submit", GOOD, first_tab)
    assert stored.status_code == 200 and stored.json()["status"] == "stored" and stored.json()["created"] == 1
    again = _post(client, "/submit", GOOD, second_tab)
    assert again.status_code == 409 and again.json()["status"] == "stale"
    assert _revisions(engine, seeded.own_enterprise) == 1
    draft = load_draft(engine, Report("enterprise_annual", "2024", seeded.own_enterprise))
    assert draft is not None and draft.submitted


def test_a_superseded_form_version_is_refused_and_the_values_kept(clients: dict[str, TestClient], engine: Engine,
                                                                  seeded: Seeded) -> None:
    client = clients["enterprise"]
    loaded = {**_page_fields(client), "form_version": "0" * 64}  # opened before the form's YAML changed
    refused = _post(client, "/submit", GOOD, loaded)
    assert refused.status_code == 409 and refused.json()["status"] == "superseded"
    assert _revisions(engine, seeded.own_enterprise) == 0
    draft = load_draft(engine, Report("enterprise_annual", "2024", seeded.own_enterprise))
    assert draft is not None and draft.values["revenue"] == "13万"
    # The reloaded page carries the current version: the same values now go through.
    assert _post(client, "/submit", GOOD, _page_fields(client)).json()["status"] == "stored"


def test_confirming_a_warning_needs_a_reason_kept_with_the_filing(clients: dict[str, TestClient], engine: Engine,
                                                                  seeded: Seeded) -> None:
    client = clients["enterprise"]
    unconfirmed = _post(client, "/submit", WARNED, _page_fields(client))
    assert unconfirmed.status_code == 422 and unconfirmed.json()["status"] == "needs_confirmation"
    assert [i["rule"] for i in unconfirmed.json()["issues"]] == ["outlier"]
    no_reason = _post(client, "/submit", {**WARNED, "confirm_warnings": "true"}, _page_fields(client))
    assert no_reason.status_code == 422 and no_reason.json()["status"] == "needs_reason"
    done = _post(client, "/submit", {**WARNED, "confirm_warnings": "true", "warning_reason": "业务剥离"},
                 _page_fields(client))
    assert done.status_code == 200 and done.json()["status"] == "stored"
    with engine.connect() as conn:
        filing = conn.execute(select(OnlineFiling)).one()
    assert (filing.entity_key, filing.filed_by, filing.on_behalf, filing.warning_reason) == \
        (seeded.own_enterprise, "enterprise1", False, "业务剥离")
    assert _revisions(engine, seeded.own_enterprise) == 1


def test_bad_input_gets_a_clear_message(clients: dict[str, TestClient], engine: Engine) -> None:
    client = clients["enterprise"]
    loaded = _page_fields(client)
    too_long = _post(client, "/draft", {"revenue": "9" * 65}, loaded)
    assert too_long.status_code == 422 and "revenue" in too_long.text and "64" in too_long.text
    bad_version = _post(client, "/draft", {"revenue": "1"}, {**loaded, "draft_version": "x"})
    assert bad_version.status_code == 422 and "draft_version" in bad_version.text
    superscript = _post(client, "/draft", {"revenue": "1"}, {**loaded, "draft_version": "²"})  # isdigit() says yes
    assert superscript.status_code == 422 and "draft_version" in superscript.text
    checked = _post(client, "/check", {**GOOD, "employees": "-5", "revenue": "十三"}, loaded).json()
    assert {(i["field"], i["rule"]) for i in checked["issues"] if i["severity"] == "error"} == \
        {("revenue", "not_a_number"), ("employees", "below_min")}
    rejected = _post(client, "/submit", {**GOOD, "employees": "-5"}, loaded)
    assert rejected.status_code == 422 and rejected.json()["status"] == "rejected"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Submission).where(Submission.period == "2024")) == 0
        # The values are kept in the draft all the same: nothing typed is lost.
        assert conn.scalar(select(OnlineDraft.values)) == {**GOOD, "employees": "-5"}


def test_an_expired_session_keeps_the_draft(clients: dict[str, TestClient], engine: Engine, seeded: Seeded) -> None:
    client = clients["enterprise"]
    loaded = _page_fields(client)
    assert _post(client, "/draft", {"revenue": "5万"}, loaded).status_code == 200
    client.cookies.clear()  # the session is gone (expired, logged out elsewhere)
    lost = client.post(URL + "/draft", data={**loaded, "revenue": "6万", "draft_version": "1"})
    assert lost.status_code in (401, 403)
    draft = load_draft(engine, Report("enterprise_annual", "2024", seeded.own_enterprise))
    assert draft is not None and draft.values == {"revenue": "5万"}


def test_a_zone_files_on_behalf_and_the_reviewer_sees_it(clients: dict[str, TestClient], engine: Engine,
                                                         seeded: Seeded) -> None:
    zone = clients["zone"]
    url = f"{URL}?entity={seeded.own_enterprise}"
    loaded = _page_fields(zone, url)
    filed = zone.post(URL + "/submit", data={**loaded, **GOOD, "entity": seeded.own_enterprise})
    assert filed.status_code == 200 and filed.json()["status"] == "stored", filed.text
    with engine.connect() as conn:
        assert conn.execute(select(OnlineFiling.filed_by, OnlineFiling.filed_role, OnlineFiling.on_behalf)).one() \
            == ("zone1", "zone", True)
    page = clients["province"].get(f"{URL}/review?entity={seeded.own_enterprise}")
    assert page.status_code == 200 and "园区代企业填报" in page.text and "zone1 (zone)" in page.text
    # Beside last year's latest revision (999,999): 130,000 is -87.0 %.
    assert 'data-value="revenue">130,000<' in page.text and 'data-last="revenue">999,999<' in page.text
    assert 'data-yoy="revenue">-87.0%<' in page.text
    # The other province's enterprise is no report of the province's to review: the same 404 as none at all.
    assert clients["province"].get(f"{URL}/review?entity={seeded.other_enterprise}").status_code == 404
    assert clients["zone"].get(f"{URL}/review?entity={seeded.other_enterprise}").status_code == 404


def test_a_return_with_a_field_comment_reaches_the_filler(clients: dict[str, TestClient], engine: Engine,
                                                          seeded: Seeded) -> None:
    enterprise, province = clients["enterprise"], clients["province"]
    assert _post(enterprise, "/submit", GOOD, _page_fields(enterprise)).json()["status"] == "stored"
    review = f"{URL}/review?entity={seeded.own_enterprise}"
    returned = province.post(f"{URL}/return", data={
        "csrf_token": csrf_of(province, review), "entity": seeded.own_enterprise, "comment": "请核对",
        "note_revenue": "营业收入与财务报表不符", "note_bogus": "ignored"}, follow_redirects=False)
    assert returned.status_code == 303
    with engine.connect() as conn:
        assert conn.scalar(select(Submission.state).where(Submission.period == "2024")) == "returned"
    form = enterprise.get(URL).text
    assert 'id="note-revenue"' in form and "营业收入与财务报表不符" in form and "请核对" in form
    assert 'id="note-employees"' not in form and "ignored" not in form
    # Corrected and submitted again: a second revision, and the note is gone with the return.
    again = _post(enterprise, "/submit", {**GOOD, "revenue": "14万"}, _page_fields(enterprise))
    assert again.json()["status"] == "stored"
    assert _revisions(engine, seeded.own_enterprise) == 2
    assert 'id="note-revenue"' not in enterprise.get(URL).text
    diff = province.get(review).text
    assert 'data-value="revenue">140,000<' in diff and 'data-prev="revenue">130,000 *<' in diff
    # The zone's committee returns its enterprises' reports too (enterprise_annual's workflow); an enterprise never.
    assert 'id="review-return"' in clients["zone"].get(review).text
    refused = clients["enterprise"].post(f"{URL}/return", data={"csrf_token": csrf_of(clients["enterprise"], URL),
                                                                "entity": seeded.own_enterprise, "comment": "x"})
    assert refused.status_code == 403


def test_print_view_shows_the_draft_values(clients: dict[str, TestClient]) -> None:
    client = clients["enterprise"]
    _post(client, "/draft", GOOD, _page_fields(client))
    page = client.get(URL + "/print")
    assert page.status_code == 200 and 'data-value="revenue">13万<' in page.text and "<input" not in page.text.split(
        'id="online-print-page"')[1]

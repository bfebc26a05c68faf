"""网上填报 in a real browser: an enterprise fills its annual report (an inline error fixed, a warning confirmed
with a reason, the draft saved and reloaded), submits; the province returns it with a note on a field; the
enterprise sees the note, corrects and resubmits; the report is reviewed and approved and its figure reaches
the zone's profile."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Session
from tests.web.seed import PASSWORD, USERS, credit_code

pytestmark = pytest.mark.browser
FORM = "/reporting/online/enterprise_annual/2024"


def _type(page: Page, field: str, value: str) -> None:
    page.fill(f"#f-{field}", value)


def _wait_text(page: Page, selector: str, text: str) -> None:
    script = "([s, t]) => { const e = document.querySelector(s); return e && e.textContent.includes(t); }"
    page.wait_for_function(script, arg=[selector, text], timeout=10_000)


def _submit(page: Page) -> None:
    page.click("#online-submit")
    _wait_text(page, "#online-status", "已提交审核")


def _act(session: Session, action: str) -> None:
    session.go("/reporting")
    session.page.click(f"button[data-action='{action}'][data-zone='Z1101'][data-period='2024']")
    session.page.wait_for_load_state("networkidle")
    assert session.page.locator("#done-message").count() == 1


def test_an_enterprise_fills_in_its_report_and_it_reaches_the_zone_profile(
        open_session: Callable[[str], Session]) -> None:
    enterprise = open_session("online-enterprise")
    enterprise.login(USERS["enterprise"])
    page = enterprise.go(FORM)
    assert page.locator("[data-last='revenue']").inner_text() == "999,999"  # last year's latest revision
    for field, value in (("revenue", "13万"), ("total_profit", "1.3万"), ("net_profit", "10,000"),
                         ("total_assets", "260,000"), ("employees", "abc")):
        _type(page, field, value)
    page.wait_for_selector("#issue-employees .error", timeout=10_000)  # text in a number field, as typed
    assert page.locator("tr[data-field='employees']").get_attribute("class") == "has-error"
    enterprise.shot("inline-error")
    _type(page, "employees", "115")
    page.wait_for_selector("#issue-employees .error", state="detached", timeout=10_000)
    _type(page, "revenue", "1万")  # a tenth of last year's: the outlier warning
    page.wait_for_selector("#issue-revenue .warning", timeout=10_000)
    page.click("#online-submit")  # not confirmed: nothing is sent
    _wait_text(page, "#online-status", "存在提示")
    page.click("#online-save")
    _wait_text(page, "#online-status", "草稿已保存")

    page = enterprise.go(FORM)  # reloaded: the server's draft
    assert page.locator("#f-revenue").input_value() == "1万"
    assert page.locator("#f-employees").input_value() == "115"
    page.wait_for_selector("#issue-revenue .warning", timeout=10_000)  # checked again on opening
    page.check("input[name='confirm_warnings']")
    page.fill("#warning-reason", "剥离了一项业务")
    _submit(page)
    enterprise.shot("submitted")

    province = open_session("online-province")
    province.login(USERS["province"])
    review = province.go(f"{FORM}/review?entity={credit_code(1)}")
    assert "剥离了一项业务" in review.locator("#review-reason").inner_text()
    assert review.locator("[data-value='revenue']").inner_text() == "10,000"
    review.fill("input[name='note_revenue']", "营业收入与财务报表不符，请核对")
    review.fill("#review-comment", "请修改后重新提交")
    review.click("#review-return")
    review.wait_for_load_state("networkidle")
    assert review.locator("#review-state").inner_text() == "已退回"
    province.shot("returned")

    page = enterprise.go(FORM)
    assert "营业收入与财务报表不符" in page.locator("#note-revenue").inner_text()
    assert "请修改后重新提交" in page.locator("#online-returned").inner_text()
    _type(page, "revenue", "14万")
    page.wait_for_selector("#issue-revenue .warning", state="detached", timeout=10_000)
    page.uncheck("input[name='confirm_warnings']")
    _submit(page)
    enterprise.shot("resubmitted")

    _act(province, "review")
    admin = open_session("online-admin")
    admin.login(USERS["admin"])
    _act(admin, "approve")
    zone = open_session("online-zone")
    zone.login(USERS["zone"])
    profile = zone.go("/zones/Z1101?year=2024")
    revenue = profile.locator("#table-key_indicators tr", has_text="营业收入").first.inner_text()
    assert "1.40" in revenue  # 14万 千元 = 1.40 亿元, the zone's only 2024 report
    zone.shot("profile")


def test_an_expired_session_keeps_what_was_typed(open_session: Callable[[str], Session]) -> None:
    """The session ends mid-form: the page says so and keeps the values in the browser; after logging in again
    the user is back on the form with them, and they reach the server's draft."""
    enterprise = open_session("online-expired")
    enterprise.expected.append(enterprise.live.base + FORM)  # the refused save logs a 401/403 on purpose
    enterprise.login(USERS["enterprise"])
    page = enterprise.go(FORM)
    _type(page, "revenue", "13万")
    page.click("#online-save")
    _wait_text(page, "#online-status", "草稿已保存")
    page.context.clear_cookies()  # the session is gone (expired, or logged out in another tab)
    _type(page, "employees", "115")
    page.click("#online-save")
    page.wait_for_selector("#online-login", timeout=10_000)
    assert "登录已过期" in page.locator("#online-status").inner_text()
    enterprise.shot("expired")
    page.click("#online-login")
    page.wait_for_load_state("networkidle")
    page.fill("#username", USERS["enterprise"])
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(FORM)
    assert page.locator("#f-revenue").input_value() == "13万"
    assert page.locator("#f-employees").input_value() == "115"  # restored from this browser
    _wait_text(page, "#online-status", "草稿已保存")  # and saved on the server
    page = enterprise.go(FORM)
    page.evaluate("() => localStorage.clear()")
    page = enterprise.go(FORM)
    assert page.locator("#f-employees").input_value() == "115"

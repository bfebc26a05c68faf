"""网上填报 in a real browser: an enterprise fills its annual report (an inline error fixed, a coded field chosen
from its drop-down, a warning confirmed with a reason, the draft saved and reloaded), submits; its zone's
committee reviews it and returns it with a note on a field; the enterprise sees the note beside the field,
corrects and resubmits; the zone reviews and approves it (enterprise_annual's workflow) and its figure reaches
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


def _step(page: Page, action: str, done: str) -> None:
    """Take a workflow step from the review page; the page says it was taken."""
    page.click(f"#review-{action}")
    page.wait_for_load_state("networkidle")
    assert done in page.locator("#review-done").inner_text()


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
    options = page.locator("#f-enterprise_scale option").all_inner_texts()  # a coded field: its code list
    assert options[1:] == ["1 大型", "2 中型", "3 小型", "4 微型"]
    page.select_option("#f-enterprise_scale", "3")
    _type(page, "revenue", "1万")  # a tenth of last year's: the outlier warning
    page.wait_for_selector("#issue-revenue .warning", timeout=10_000)
    page.click("#online-submit")  # not confirmed: nothing is sent
    _wait_text(page, "#online-status", "存在提示")
    page.click("#online-save")
    _wait_text(page, "#online-status", "草稿已保存")

    page = enterprise.go(FORM)  # reloaded: the server's draft
    assert page.locator("#f-revenue").input_value() == "1万"
    assert page.locator("#f-employees").input_value() == "115"
    assert page.locator("#f-enterprise_scale").input_value() == "3"
    page.wait_for_selector("#issue-revenue .warning", timeout=10_000)  # checked again on opening
    page.check("input[name='confirm_warnings']")
    page.fill("#warning-reason", "剥离了一项业务")
    _submit(page)
    enterprise.shot("submitted")

    zone = open_session("online-zone")
    zone.login(USERS["zone"])
    review_url = f"{FORM}/review?entity={credit_code(1)}"
    review = zone.go(review_url)
    assert "剥离了一项业务" in review.locator("#review-reason").inner_text()
    assert review.locator("[data-value='revenue']").inner_text() == "10,000"
    assert review.locator("#review-approve").count() == 0  # submitted: reviewed first
    review.fill("input[name='note_revenue']", "营业收入与财务报表不符，请核对")
    review.fill("#review-comment", "请修改后重新提交")
    review.click("#review-return")
    review.wait_for_load_state("networkidle")
    assert review.locator("#review-state").inner_text() == "已退回"
    zone.shot("returned")

    page = enterprise.go(FORM)
    assert "营业收入与财务报表不符" in page.locator("#note-revenue").inner_text()  # beside the field
    assert "请修改后重新提交" in page.locator("#online-returned").inner_text()
    _type(page, "revenue", "14万")
    page.wait_for_selector("#issue-revenue .warning", state="detached", timeout=10_000)
    page.uncheck("input[name='confirm_warnings']")
    _submit(page)
    enterprise.shot("resubmitted")

    review = zone.go(review_url)
    assert review.locator("[data-value='revenue']").inner_text() == "140,000"
    assert review.locator("[data-prev='revenue']").inner_text().startswith("10,000")  # against the revision before
    assert "营业收入与财务报表不符" in review.locator("[data-earlier-note='revenue']").inner_text()  # what was asked
    _step(review, "review", "已审核通过")
    _step(review, "approve", "已批准")
    assert review.locator("#review-state").inner_text() == "已批准"
    zone.shot("approved")
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

"""The profile's PDF link in a real browser: the status line shows while the report prints, then it downloads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import Session
from tests.web.seed import USERS

pytestmark = pytest.mark.browser


def test_a_zone_user_downloads_its_evaluation_report(open_session: Callable[[str], Session]) -> None:
    session = open_session("report-pdf")
    session.login(USERS["zone"])
    page = session.go(f"/zones/{session.live.seeded.own_zone}?year=2023")
    link = page.locator("#zone-report-pdf")
    with page.expect_download(timeout=120_000) as download:
        link.click()
        assert page.locator(".pdf-status").first.is_visible(), "the status line says the report is being made"
    saved = Path(download.value.path())
    assert download.value.suggested_filename == f"{session.live.seeded.own_zone}-2023.pdf"
    assert saved.read_bytes()[:5] == b"%PDF-"
    page.wait_for_function("() => document.querySelector('.pdf-status').hidden")

"""A visual check: the first page of a zone's report, as Chromium's PDF viewer shows it, against a reviewed
reference image (tests/data/reports/). A change to the templates that moves the cover fails here: review the
new image (written beside the reference as *.actual.png) and replace the reference if it is right."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageChops, ImageStat
from playwright.sync_api import sync_playwright

from hizone.reports.documents import print_zone_report, zones_evaluated
from hizone.reports.render import CHROMIUM, CHROMIUM_ARGS, PdfRenderer
from hizone.reports.sources import CHINA, Sources

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reports" / "zone-cover.png"
VIEW = {"width": 800, "height": 1100}
FIRST_PAGE = (300, 55, 800, 760)  # the viewer's first page at its default zoom (toolbar and thumbnails cut off)
DIFFERENT = 48  # a pixel differs when a channel moves by more than this (0–255): not antialiasing noise
TOLERANCE = 0.001  # the share of the page's pixels that may differ
PRINTED = dt.datetime(2026, 1, 5, 9, 30, tzinfo=CHINA)  # the cover's print time, fixed
SETTLE_SECONDS = 60.0


def _first_page(pdf: bytes) -> Image.Image:
    """Screenshots until two in a row agree (the viewer draws its pages in its own time). In a thread of its own:
    Playwright's sync API refuses a thread with an asyncio loop, which earlier tests in the worker may leave."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_screenshot_first_page, pdf).result()


def _screenshot_first_page(pdf: bytes) -> Image.Image:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--headless=new"])
        page = browser.new_page(viewport=VIEW)
        page.route("http://report.test/r.pdf",
                   lambda route: route.fulfill(status=200, content_type="application/pdf", body=pdf))
        page.goto("http://report.test/r.pdf")
        deadline, last = time.monotonic() + SETTLE_SECONDS, b""
        while time.monotonic() < deadline:
            time.sleep(1.0)
            shot = page.screenshot()
            if shot == last:
                break
            last = shot
        browser.close()
    return Image.open(BytesIO(last)).convert("RGB").crop(FIRST_PAGE)


def _differing(shown: Image.Image, reference: Image.Image) -> float:
    """The share of pixels that differ by more than antialiasing would."""
    mask = ImageChops.difference(shown, reference).convert("L").point(lambda v: 255 if v > DIFFERENT else 0)
    return ImageStat.Stat(mask).mean[0] / 255


def _cover(src: Sources, renderer: PdfRenderer, zone: str) -> Image.Image:
    fixed = dataclasses.replace(src, clock=lambda: PRINTED)
    return _first_page(print_zone_report(fixed, zone, 2023, renderer=renderer))


def test_the_cover_looks_as_reviewed(national: Sources, renderer: PdfRenderer) -> None:
    shown = _cover(national, renderer, zones_evaluated(national, 2023)[0])
    if not REFERENCE.exists():
        shown.save(REFERENCE.with_suffix(".actual.png"))
        raise AssertionError(f"no reference image: review {REFERENCE.with_suffix('.actual.png')} and rename it")
    share = _differing(shown, Image.open(REFERENCE).convert("RGB"))
    if share > TOLERANCE:
        shown.save(REFERENCE.with_suffix(".actual.png"))
    assert share <= TOLERANCE, f"{share:.2%} of the cover differs from the reviewed reference"


def test_the_check_sees_a_different_report(national: Sources, renderer: PdfRenderer) -> None:
    """Not vacuous: another zone's cover (another name in its title) is told apart from the reference."""
    shown = _cover(national, renderer, zones_evaluated(national, 2023)[-1])
    assert _differing(shown, Image.open(REFERENCE).convert("RGB")) > TOLERANCE

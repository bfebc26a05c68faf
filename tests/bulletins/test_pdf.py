"""A bulletin in PDF: printed here by Chromium (as hizone.reports prints), read back through pypdf."""

from __future__ import annotations

from pathlib import Path

import pytest

from hizone.bulletins.extract import read_bulletin
from hizone.reports.render import PageFurniture, PdfRenderer

from .conftest import facts_of

pytestmark = pytest.mark.browser

HTML = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><style>
body { font-family: 'Noto Sans CJK SC', sans-serif; font-size: 14px; width: 30em; }
</style></head><body>
<h1>深圳高新区打造国家战略科技力量</h1>
<p>数据显示，截至2021年底，深圳高新区拥有高新技术企业5450家，年产值超亿元企业970家，境内外上市企业167家。</p>
<p>2021年，国家高新区营业收入47.8万亿元，同比增长11.7%。（供稿：深圳高新区）</p>
</body></html>"""


def test_a_pdf_bulletin(tmp_path: Path) -> None:
    renderer = PdfRenderer(workers=1)
    try:
        pdf = renderer.render(HTML, PageFurniture("火炬动态"))
    finally:
        renderer.close()
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(pdf)
    bulletin = read_bulletin(path)
    assert "深圳高新区拥有高新技术企业" in "".join(bulletin.text.split())
    found = facts_of(bulletin.text)
    assert [(f.subject, f.value, f.unit) for f in found] == [
        ("Z4403", 5450, "家"), ("Z4403", 970, "家"), ("Z4403", 167, "家"),
        ("national_zones", 47.8e12, "元"), ("national_zones", 11.7, "%")]
    assert all(bulletin.text[f.start:f.end] == f.quote for f in found)

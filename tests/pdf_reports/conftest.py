"""A synthetic demo store (every zone, two evaluated years, alerts raised) for the report tests, built once; the
PDFs are opened with pypdf and read back as text."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterator
from functools import cache
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTCollection
from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.auth import Principal
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.monitor.service import AlertStore, run_rules
from hizone.ranking import framework_for, run_evaluation
from hizone.registry import load_provinces, load_zones
from hizone.reports.render import PdfRenderer
from hizone.reports.sources import Sources, open_sources
from hizone.store import open_store
from hizone.store.read_views import form_views, refresh_read_views

NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
YEARS = (2022, 2023)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Engine, Path]]:
    folder = tmp_path_factory.mktemp("report-store")
    shutil.copy(sqlite_template, folder / "hizone.sqlite")
    engine = open_store(f"sqlite:///{folder / 'hizone.sqlite'}")
    catalog = default_catalog()
    refresh_read_views(engine, form_views(catalog))
    load(engine, generate(catalog, load_provinces(), load_zones(), 500, 2021), catalog)
    analytics = folder / "analytics.duckdb"
    build(engine, analytics)
    for year in YEARS:
        run_evaluation(engine, Analytics(analytics), framework_for("zone_evaluation", year), year, samples=20)
    alerts = AlertStore(engine)
    alerts.record(run_rules(Analytics(analytics)))
    first = alerts.list()[0]
    alerts.transition(first.id, "acknowledged", "test", "checked with the zone")
    yield engine, analytics
    engine.dispose()


@pytest.fixture(scope="session")
def national(demo_store: tuple[Engine, Path]) -> Sources:
    engine, analytics = demo_store
    return open_sources(engine, analytics, Principal("analyst", "analyst"))


@pytest.fixture(scope="session")
def renderer() -> Iterator[PdfRenderer]:
    made = PdfRenderer(workers=1)
    yield made
    made.close()


@cache
def shared_glyphs() -> dict[str, str]:
    """Radicals that Noto CJK draws with an ideograph's glyph (⻚ and 页): Chromium's text layer names such a
    glyph by its first code point, so a PDF text library reads the radical. Map each back to the ideograph."""
    font = next(f for f in TTCollection(str(NOTO), lazy=True).fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    by_glyph: dict[str, list[int]] = {}
    for code, glyph in font.getBestCmap().items():
        by_glyph.setdefault(glyph, []).append(code)
    mapping = {}
    for codes in by_glyph.values():
        ideographs = [c for c in codes if 0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF]
        for code in codes:
            if ideographs and 0x2E80 <= code <= 0x2FDF:
                mapping[chr(code)] = chr(ideographs[0])
    return mapping


def pdf_text(pdf: bytes) -> list[str]:
    """Each page's text as a reader copies it (radicals read as their ideographs, NFKC)."""
    table = str.maketrans(shared_glyphs())
    return [unicodedata.normalize("NFKC", page.extract_text().translate(table))
            for page in pypdf.PdfReader(BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    """NFKC, without white space (a table cell wraps a long zone name over lines)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the pages use, by family, and whether its glyphs travel with the file: a font program
    (FontFile*) or, as Chromium writes a CFF collection such as Noto CJK, a Type 3 font (each glyph's outline
    in the PDF itself, CharProcs), nothing left for the reader's machine to supply."""
    found: dict[str, bool] = {}
    for page in pypdf.PdfReader(BytesIO(pdf)).pages:
        resources = page.get("/Resources")
        for ref in (resources.get_object().get("/Font") or {}).values() if resources else ():
            font = ref.get_object()
            for part in [font, *(d.get_object() for d in font.get("/DescendantFonts") or [])]:
                descriptor = part.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                family = str(descriptor.get("/FontFamily") or part.get("/BaseFont"))
                embedded = "/CharProcs" in part or any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                                                 "/FontFile3"))
                found[family] = found.get(family, True) and embedded
    return found

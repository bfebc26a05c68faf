"""An entry's documents (tiny contest of test_store, limit 100,000 bytes in its YAML): real files of several
writers accepted and hashed, files that are not what their names say refused with the file and the reason and
nothing stored; reading scoped like the entry (a judge: the entries assigned to it); every upload audited."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pypdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func, select

from hizone.auth.policy import Principal
from hizone.auth.users import add_user
from hizone.contests import service
from hizone.contests.documents import DocumentRefused, load_rules
from hizone.store import session_scope
from hizone.store.models import AuditLog, ContestDocument
from hizone.web.security import CSRF_HEADER
from tests.contests.test_store import ADMIN, EDITION, B, contest, judge  # noqa: F401  (the fixture)
from tests.web.conftest import csrf_of, login, make_app

DATA = Path(__file__).parent / "data"
CHROMIUM_PDF = (DATA / "business-plan-chromium.pdf").read_bytes()  # Chromium's print-to-PDF (Skia/PDF)
LIMIT = 100_000  # tiny-2023.yaml's document_max_bytes
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def pypdf_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "营业收入"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx(main_type: str = DOCX_MAIN, with_main: bool = True) -> bytes:
    """A minimal Word file built by hand: [Content_Types].xml naming word/document.xml as the main part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'))
        if with_main:
            archive.writestr("word/document.xml", (
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                '<w:p><w:r><w:t>商业计划书</w:t></w:r></w:p></w:body></w:document>'))
    return out.getvalue()


def image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def stored_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(ContestDocument)) or 0


def test_real_files_of_several_writers_are_accepted_and_hashed(contest: Engine) -> None:  # noqa: F811
    files = {"plan-chromium.pdf": CHROMIUM_PDF, "plan-pypdf.pdf": pypdf_pdf(), "finance.xlsx": xlsx(),
             "plan.docx": docx(), "photo.png": image("PNG"), "licence.jpg": image("JPEG")}
    expected = {"plan-chromium.pdf": "application/pdf", "plan-pypdf.pdf": "application/pdf",
                "finance.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "plan.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "photo.png": "image/png", "licence.jpg": "image/jpeg"}
    for name, data in files.items():
        stored = service.attach(contest, ADMIN, EDITION, "E1", name, data)
        assert (stored.media_type, stored.size) == (expected[name], len(data))
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
    # The Chromium file's hash as `sha256sum tests/contests/data/business-plan-chromium.pdf` gives it.
    listed = service.documents(contest, ADMIN, EDITION, "E1")
    assert [d.filename for d in listed] == list(files)
    assert listed[0].sha256 == "5f09b4eb248fd4812da9cef19a44557a7c72d89050b537122ddd172cd639f8f8"
    again = service.attach(contest, ADMIN, EDITION, "E1", "copy.pdf", CHROMIUM_PDF)  # the same content: once
    assert again.filename == "plan-chromium.pdf" and stored_count(contest) == 6
    meta, content = service.document(contest, ADMIN, EDITION, "E1", listed[0].sha256)
    assert content == CHROMIUM_PDF and meta.media_type == "application/pdf"
    with session_scope(contest) as session:
        logged = [(a.actor, a.detail["after"]["filename"], a.detail["after"]["sha256"]) for a in session.scalars(
            select(AuditLog).where(AuditLog.action == service.DOCUMENT_ACTION).order_by(AuditLog.id))]
    assert logged == [("boss", name, hashlib.sha256(data).hexdigest()) for name, data in files.items()]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("plan.pdf", xlsx(), "plan.pdf: the content is a ZIP archive, not a PDF document as .pdf says"),
    ("plan.pdf", b"%PDF-1.7\nnothing else", "plan.pdf: starts like a PDF but does not open as one"),
    ("plan.pdf", b"", "plan.pdf: the file is empty"),
    ("big.pdf", CHROMIUM_PDF + b"\0" * (LIMIT + 1 - len(CHROMIUM_PDF)),
     "big.pdf: 100,001 bytes is over the limit of 100,000 bytes"),
    ("photo.png", image("JPEG"), "photo.png: the content is a JPEG image, not a PNG image as .png says"),
    ("photo.jpg", b"MZ\x90\0 an executable", "photo.jpg: the content is a Windows executable, not a JPEG image"),
    ("finance.xlsx", docx(), "finance.xlsx: the archive's [Content_Types].xml names no "
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml part: not an Excel workbook "
     "(.xlsx) (its main part is " + DOCX_MAIN + ")"),
    ("plan.docx", xlsx(), "plan.docx: the archive's [Content_Types].xml names no " + DOCX_MAIN),
    ("plan.docx", docx(with_main=False), "plan.docx: the archive lacks its main part word/document.xml"),
    ("plan.docx", b"PK\x03\x04 not really a zip", "plan.docx: not a valid ZIP archive, so not a Word document"),
    ("setup.exe", pypdf_pdf(), "setup.exe: .exe is not an accepted document type (.pdf, .png, .jpg, .jpeg, "
     ".docx, .xlsx, .pptx)"),
])
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_stored(contest: Engine, name: str,  # noqa: F811
                                                                       data: bytes, reason: str) -> None:
    with pytest.raises(DocumentRefused, match=re.escape(reason)):
        service.attach(contest, ADMIN, EDITION, "E1", name, data)
    with session_scope(contest) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == service.DOCUMENT_ACTION)) == 0
    assert stored_count(contest) == 0


def test_the_limit_is_the_contests_and_the_catalog_default_elsewhere(contest: Engine) -> None:  # noqa: F811
    assert service.document_limit(contest, EDITION) == LIMIT
    assert load_rules().max_bytes == 20 * 1024 * 1024  # catalog/data/contests/documents.yaml
    exact = CHROMIUM_PDF + b"\0" * (LIMIT - len(CHROMIUM_PDF))  # trailing bytes after %%EOF: still a PDF
    assert service.attach(contest, ADMIN, EDITION, "E1", "exact.pdf", exact).size == LIMIT


def test_reading_is_scoped_like_the_entry(contest: Engine) -> None:  # noqa: F811
    digest = service.attach(contest, ADMIN, EDITION, "E2", "plan.pdf", CHROMIUM_PDF).sha256
    service.assign(contest, ADMIN, EDITION, "signup")  # E2: jud1, jud2 (test_store's plan)
    assert [d.sha256 for d in service.documents(contest, judge("jud1"), EDITION, "E2")] == [digest]
    with pytest.raises(service.AccessDenied, match="entry E2 is not yours to read"):
        service.documents(contest, judge("jud3"), EDITION, "E2")
    with pytest.raises(service.AccessDenied, match="entry E9 is not yours to read"):  # a judge learns nothing
        service.documents(contest, judge("jud3"), EDITION, "E9")
    zone2 = Principal("zone2", "zone", province_code="11", zone_code="Z2")  # E2 is Z1's
    with pytest.raises(service.AccessDenied):
        service.document(contest, zone2, EDITION, "E2", digest)
    # Another zone's entry and an unknown code get one answer: a zone does not learn which codes exist.
    for code in ("E2", "E9"):
        with pytest.raises(service.AccessDenied, match=f"entry {code} is not yours to read$"):
            service.documents(contest, zone2, EDITION, code)
    with pytest.raises(service.NotFound, match="no entry E9"):  # the national roles read all: told plainly
        service.documents(contest, ADMIN, EDITION, "E9")
    own = Principal("firm-b", "enterprise", credit_code=B)
    assert service.document(contest, own, EDITION, "E2", digest)[1] == CHROMIUM_PDF
    # An enterprise attaches to its own entry only; a zone and a judge not at all.
    assert service.attach(contest, own, EDITION, "E2", "licence.png", image("PNG")).media_type == "image/png"
    for who in (own, zone2, judge("jud1")):
        with pytest.raises(service.AccessDenied):
            service.attach(contest, who, EDITION, "E1", "x.png", image("PNG"))
    with pytest.raises(service.NotFound, match="entry E2 has no document"):
        service.document(contest, ADMIN, EDITION, "E2", "0" * 64)


PASSWORDS = {"jud1": "judge-password-1", "jud3": "judge-password-1", "boss1": "boss-password-1"}


@pytest.fixture
def clients(contest: Engine) -> Iterator[dict[str, TestClient]]:  # noqa: F811
    add_user(contest, "boss1", PASSWORDS["boss1"], "admin")
    service.assign(contest, ADMIN, EDITION, "signup")
    app = make_app(contest)
    made = {name: login(TestClient(app), name, password) for name, password in PASSWORDS.items()}
    yield made
    for client in made.values():
        client.close()


def test_upload_and_download_through_the_api_and_the_page(clients: dict[str, TestClient]) -> None:
    boss, jud1, jud3 = clients["boss1"], clients["jud1"], clients["jud3"]
    headers = {CSRF_HEADER: csrf_of(boss), "Accept": "application/json"}
    url = f"/api/v1/contests/{EDITION}/entries/E2/documents"
    made = boss.post(url, files={"file": ("plan.pdf", CHROMIUM_PDF, "application/pdf")}, headers=headers)
    assert made.status_code == 201, made.text
    digest = hashlib.sha256(CHROMIUM_PDF).hexdigest()
    assert (made.json()["sha256"], made.json()["media_type"]) == (digest, "application/pdf")
    refused = boss.post(url, files={"file": ("plan.pdf", xlsx(), "application/pdf")}, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "the content is a ZIP archive, not a PDF document as .pdf says"
    assert refused.json()["error"]["where"] == "plan.pdf"
    empty = boss.post(url, files={"file": ("plan.docx", b"")}, headers=headers)
    assert (empty.status_code, empty.json()["error"]["message"]) == (400, "the file is empty")
    got = jud1.get(f"{url}/{digest}")
    assert (got.status_code, got.content, got.headers["content-type"]) == (200, CHROMIUM_PDF, "application/pdf")
    assert "attachment" in got.headers["content-disposition"]
    assert jud3.get(f"{url}/{digest}").status_code == 403  # jud3 judges E1 and E3, not E2
    assert [d["filename"] for d in jud1.get(url).json()] == ["plan.pdf"]
    # The page: the judge sees the entry and its document's link; the admin uploads with the form.
    page = jud1.get(f"/contests/{EDITION}/entries/E2").text
    assert f"/documents/{digest}" in page and 'id="contest-upload"' not in page
    form = {"csrf_token": csrf_of(boss, f"/contests/{EDITION}/entries/E2")}
    posted = boss.post(f"/contests/{EDITION}/entries/E2/documents", data=form,
                       files={"file": ("sheet.xlsx", xlsx())}, follow_redirects=False)
    assert posted.status_code == 303
    bad = boss.post(f"/contests/{EDITION}/entries/E2/documents", data=form,
                    files={"file": ("scan.png", CHROMIUM_PDF)}, follow_redirects=False)
    assert bad.status_code == 400 and "scan.png: the content is a PDF document, not a PNG image" in bad.text
    assert "sheet.xlsx" in boss.get(f"/contests/{EDITION}/entries/E2").text
    assert len(boss.get(url).json()) == 2

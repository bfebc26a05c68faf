"""Reading bulletins: .txt in UTF-8 and .pdf; a bad file is one clear error naming it, never a traceback."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pypdf
import pytest

from hizone.bulletins import extract
from hizone.bulletins.extract import read_bulletin
from hizone.errors import HizoneError

from .conftest import DATA


def _blank_pdf(password: str | None = None) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_text_bulletin(tmp_path: Path) -> None:
    source = DATA / "000_c0e1c72b8ee8b672.txt"
    bulletin = read_bulletin(source)
    assert bulletin.text == source.read_text(encoding="utf-8")
    assert bulletin.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert bulletin.file == source.name


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("binary.txt", bytes(range(256)) * 4, "not a text file"),
    ("gbk.txt", "深圳高新区拥有高新技术企业5450家。".encode("gbk"), "not UTF-8 text"),
    ("empty.txt", b"  \n\n", "no text"),
    ("fake.pdf", "深圳高新区".encode(), "not a PDF file"),
    ("truncated.pdf", _blank_pdf()[:60], "PDF"),
    ("encrypted.pdf", _blank_pdf("secret"), "encrypted"),
    ("blank.pdf", _blank_pdf(), "no text"),
    ("bulletin.docx", b"PK\x03\x04", "unsupported file type '.docx'"),
])
def test_bad_files(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(HizoneError) as caught:
        read_bulletin(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and reason in message and "\n" not in message


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    path.write_text("深圳高新区" * 100, encoding="utf-8")
    monkeypatch.setattr(extract, "MAX_BYTES", 1000)
    with pytest.raises(HizoneError, match="file too large"):
        read_bulletin(path)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(HizoneError, match="cannot read"):
        read_bulletin(tmp_path / "none.txt")


def test_a_byte_order_mark_stays_a_character(tmp_path: Path) -> None:
    # offsets count code points as a reader of the file (UTF-8) sees them, the BOM included
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff深圳高新区拥有高新技术企业5450家。".encode())
    bulletin = read_bulletin(path)
    assert bulletin.text == path.read_text(encoding="utf-8") and bulletin.text[0] == "\ufeff"

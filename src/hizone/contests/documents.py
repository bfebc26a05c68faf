"""An entry's documents checked by their content: the accepted types, their limits and how each is recognised
come from catalog/data/contests/documents.yaml. Pure: bytes in, the media type out or a refusal that names the
file and the reason.
"""

from __future__ import annotations

import functools
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from hizone.catalog.loader import read_yaml
from hizone.contests.model import contests_directory
from hizone.errors import CatalogError, HizoneError

CONTENT_TYPES = "[Content_Types].xml"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_CHECKS = ("magic", "pdf", "ooxml")
_MAX_CONTENT_TYPES_BYTES = 1 << 20  # a real [Content_Types].xml is a few kB


class DocumentRefused(HizoneError):
    """A document that is not what its name says, too large, empty or of a type not accepted."""


@dataclass(frozen=True)
class DocumentType:
    extension: str
    media_type: str
    name_en: str
    check: str
    magic: bytes
    main_part: str | None = None


@dataclass(frozen=True)
class DocumentRules:
    max_bytes: int
    types: tuple[DocumentType, ...]
    signatures: tuple[tuple[bytes, str], ...]  # (magic, what it is) for naming other content

    def of(self, extension: str) -> DocumentType | None:
        return next((t for t in self.types if t.extension == extension), None)


def _hex(value: Any, where: str) -> bytes:
    try:
        return bytes.fromhex(str(value))
    except ValueError:
        raise CatalogError(f"'magic' must be hex digits, not {value!r}", where=where) from None


def parse_rules(doc: dict[str, Any], where: str) -> DocumentRules:
    types = []
    for t in doc.get("types") or []:
        check = str(t.get("check", "magic"))
        if check not in _CHECKS:
            raise CatalogError(f"'check' must be one of {', '.join(_CHECKS)}, not {check!r}", where=where)
        if check == "ooxml" and not t.get("main_part"):
            raise CatalogError(f"{t.get('extension')}: an ooxml type needs 'main_part'", where=where)
        types.append(DocumentType(str(t["extension"]).lower(), str(t["media_type"]), str(t["name_en"]), check,
                                  _hex(t["magic"], where), t.get("main_part")))
    max_bytes = doc.get("max_bytes")
    if not types or not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise CatalogError("the document rules need 'types' and a positive integer 'max_bytes'", where=where)
    signatures = tuple((_hex(s["magic"], where), str(s["name_en"])) for s in doc.get("signatures") or [])
    return DocumentRules(max_bytes, tuple(types), signatures)


@functools.cache
def load_rules() -> DocumentRules:
    path = contests_directory() / "documents.yaml"
    return parse_rules(read_yaml(path), str(path))


def _what(rules: DocumentRules, data: bytes) -> str:
    """What the first bytes say the content is, for a refusal's message."""
    for t in rules.types:
        if t.check != "ooxml" and data.startswith(t.magic):
            return t.name_en
    for magic, name in rules.signatures:
        if data.startswith(magic):
            return name
    return "not a recognised document type"


def _check_pdf(filename: str, data: bytes) -> None:
    import pypdf
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentRefused("the PDF is password-protected: the judges could not open it", where=filename)
        pages = len(reader.pages)
    except DocumentRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise DocumentRefused(f"starts like a PDF but does not open as one ({type(exc).__name__}: {exc})"[:300],
                              where=filename) from None
    if pages < 1:
        raise DocumentRefused("the PDF has no page", where=filename)


def _check_ooxml(filename: str, data: bytes, kind: DocumentType) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if CONTENT_TYPES not in names:
            raise DocumentRefused(f"the archive has no {CONTENT_TYPES}: not an Office file ({kind.name_en})",
                                  where=filename)
        info = archive.getinfo(CONTENT_TYPES)
        if info.file_size > _MAX_CONTENT_TYPES_BYTES:
            raise DocumentRefused(f"{CONTENT_TYPES} is {info.file_size:,} bytes: not an Office file",
                                  where=filename)
        root = ElementTree.fromstring(archive.read(CONTENT_TYPES))
    except DocumentRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ElementTree.ParseError, EOFError, ValueError, OSError,
            NotImplementedError) as exc:
        raise DocumentRefused(f"not a valid ZIP archive, so not {kind.name_en} ({exc})"[:300],
                              where=filename) from None
    parts = [o.get("PartName", "").lstrip("/") for o in root.iter(f"{_CT_NS}Override")
             if o.get("ContentType") == kind.main_part]
    if not parts:
        found = sorted({o.get("ContentType", "") for o in root.iter(f"{_CT_NS}Override")
                        if str(o.get("ContentType", "")).endswith(".main+xml")})
        said = f" (its main part is {', '.join(found)})" if found else ""
        raise DocumentRefused(f"the archive's {CONTENT_TYPES} names no {kind.main_part} part: "
                              f"not {kind.name_en}{said}", where=filename)
    if not any(p in names for p in parts):
        raise DocumentRefused(f"the archive lacks its main part {parts[0]}: not {kind.name_en}", where=filename)


def check_document(rules: DocumentRules, filename: str, data: bytes, max_bytes: int | None = None) -> str:
    """The media type of ``data``, named ``filename``, once its content is what the extension says and its size
    within ``max_bytes`` (default: the rules'); a DocumentRefused naming the file and the reason otherwise."""
    limit = max_bytes or rules.max_bytes
    extension = Path(filename).suffix.lower()
    kind = rules.of(extension)
    if kind is None:
        accepted = ", ".join(dict.fromkeys(t.extension for t in rules.types))
        raise DocumentRefused(f"{extension or 'no extension'} is not an accepted document type ({accepted})",
                              where=filename)
    if not data:
        raise DocumentRefused("the file is empty", where=filename)
    if len(data) > limit:
        raise DocumentRefused(f"{len(data):,} bytes is over the limit of {limit:,} bytes", where=filename)
    if not data.startswith(kind.magic):
        raise DocumentRefused(f"the content is {_what(rules, data)}, not {kind.name_en} as {extension} says",
                              where=filename)
    if kind.check == "pdf":
        _check_pdf(filename, data)
    elif kind.check == "ooxml":
        _check_ooxml(filename, data, kind)
    return kind.media_type

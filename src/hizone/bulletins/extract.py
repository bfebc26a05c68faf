"""Read a bulletin (.txt or .pdf) and extract its quantitative facts, each with its offsets and quote.

The shared bulletins are text converted from PDF: lines break anywhere, even inside a number ("5450\\n家"),
and page furniture (running titles, page numbers) sits among the sentences. So matching runs over a compact
copy of the text without whitespace or furniture, and every span found there maps back to code-point
offsets in the original text. Articles end with "（供稿：…）"; a short line without punctuation after a sentence
end is a heading, and the first heading of an article its title, which names the article's subject.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from hizone.bulletins.lexicon import Lexicon, lexicon
from hizone.bulletins.model import Bulletin, Fact
from hizone.errors import HizoneError

MAX_BYTES = 20 * 1024 * 1024  # a bulletin is some 100 kB as text, a few MB as PDF
MAX_QUOTE = 400
BREAK = "\n"  # in the compact text: a boundary no sentence crosses (around headings, after 供稿)
NATIONAL, CHINA = "national_zones", "china"
SENTENCE_END = "。！？"
CLAUSE_END = "，；：,;:、"
ZONE_SUFFIXES = ("农业高新技术产业示范区", "高新技术产业开发区", "高技术产业开发区", "新技术开发区", "高新技术产业园区",
                 "科技园区")
CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "首": 1}


# ---------------------------------------------------------------- reading


def read_bulletin(path: Path) -> Bulletin:
    """The bulletin's text (.txt in UTF-8, .pdf through pypdf); a HizoneError naming the file otherwise."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise HizoneError(f"file too large ({size} bytes, at most {MAX_BYTES})", where=where)
        data = path.read_bytes()
    except OSError as exc:
        raise HizoneError(f"cannot read: {exc.strerror or exc}", where=where) from None
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(data, where)
    elif suffix == ".txt":
        if b"\x00" in data:
            raise HizoneError("not a text file (binary content)", where=where)
        try:
            text = data.decode("utf-8")  # a BOM stays a character: offsets count as a reader of the file does
        except UnicodeDecodeError as exc:
            raise HizoneError(f"not UTF-8 text (byte {exc.start}); save the bulletin as UTF-8", where=where) from None
    else:
        raise HizoneError(f"unsupported file type '{suffix or '(none)'}': a bulletin is .txt or .pdf", where=where)
    if not text.strip():
        raise HizoneError("no text in the file", where=where)
    issue, issue_date = issue_of(text)
    return Bulletin(file=path.name, sha256=hashlib.sha256(data).hexdigest(), text=text, issue=issue,
                    issue_date=issue_date)


def _pdf_text(data: bytes, where: str) -> str:
    if not data.startswith(b"%PDF-"):
        raise HizoneError("not a PDF file (no %PDF- header)", where=where)
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise HizoneError("the PDF is encrypted", where=where)
        # the text layer may name an ideograph's glyph by a radical drawn alike (⾼ for 高): read it as written
        return "\n".join(page.extract_text() or "" for page in reader.pages).translate(lexicon().radicals)
    except HizoneError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError) as exc:  # pypdf raises many kinds on damaged files
        raise HizoneError(f"damaged PDF: {exc or type(exc).__name__}", where=where) from None


_HEADER_ISSUE = re.compile(r"(\d{4})\s*年\s*第\s*(\d{1,3})\s*期")
_HEADER_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_YEAR = re.compile(r"(?<![\d\-－—~])((?:19|20)\d{2})\s*年(?!\s*前)")


def issue_of(text: str) -> tuple[str, date | None]:
    """(issue, date) from the header (2022年第9期, 2022年9月20日); else the year inferred from the text.

    Without a header: bulletins report the past year's figures most, so the issue's year is the latest
    year mentioned that is at most the most mentioned one plus one (plans for 2030 do not count), and the
    day the latest month and day written without a year."""
    head = text[:400]
    issue_match = _HEADER_ISSUE.search(head)
    issue = f"{issue_match[1]}年第{int(issue_match[2])}期" if issue_match else ""
    date_match = _HEADER_DATE.search(head)
    if date_match:
        try:
            return issue, date(int(date_match[1]), int(date_match[2]), int(date_match[3]))
        except ValueError:
            pass
    squeezed = re.sub(r"\s+", "", text)
    years = [int(y) for y in _YEAR.findall(squeezed)]
    if issue_match:
        year = int(issue_match[1])
    elif years:
        mode = Counter(years).most_common(1)[0][0]
        year = max(y for y in years if y <= mode + 1)
    else:
        return issue, None
    days = []
    for m in re.finditer(r"(?<![\d年])(\d{1,2})月(\d{1,2})日", squeezed):
        month, day = int(m[1]), int(m[2])
        if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]:
            days.append((month, day))
    month, day = max(days) if days else (1, 1)
    return issue, date(year, month, day)


# ---------------------------------------------------------------- the compact text


@dataclass(frozen=True)
class Compact:
    text: str
    where: list[int]  # where[i]: the offset in the original text of compact character i

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.where[start], self.where[end - 1] + 1


def compact(text: str, lex: Lexicon) -> tuple[Compact, list[tuple[int, int]]]:
    """The text without whitespace or furniture lines, with a BREAK around each heading; and the headings'
    (start, end) in the compact text."""
    furniture = re.compile("|".join(f"(?:{p.pattern})" for p in lex.furniture)) if lex.furniture else re.compile("(?!)")
    fold = lex.radicals | _FULL_WIDTH  # radicals read as ideographs (⾼ → 高), full-width digits as digits
    lines = []  # (offset, line, its non-space characters) of each content line
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = "".join(line.split())
        if stripped and not furniture.match(line):
            lines.append((offset, line, stripped))
        offset += len(line)
    pieces: list[str] = []  # a line's non-space characters, or a BREAK
    where: list[int] = []
    size = 0  # of the compact text so far
    headings: list[tuple[int, int]] = []
    previous, previous_heading = "。", False  # the last content line, stripped; was it a heading
    for index, (offset, line, stripped) in enumerate(lines):
        following = lines[index + 1][2] if index + 1 < len(lines) else "。"
        heading = _is_heading(stripped, previous, previous_heading) and not _CONTINUES.match(following)
        if heading:
            pieces.append(BREAK)
            where.append(offset)
            size += 1
            start = size
        pieces.append(stripped.translate(fold))  # one character to one: offsets hold
        lead = len(line) - len(line.lstrip())
        if len(line.strip()) == len(stripped):  # no space inside the line: its characters in a row
            where.extend(range(offset + lead, offset + lead + len(stripped)))
        else:
            where.extend(offset + m.start() for m in _NON_SPACE.finditer(line))
        size += len(stripped)
        if heading:
            headings.append((start, size))
            pieces.append(BREAK)
            where.append(offset + len(line.rstrip()))
            size += 1
        previous, previous_heading = stripped, heading
    return Compact("".join(pieces), where), headings


_NON_SPACE = re.compile(r"\S")
# A line that goes on with the one before ("家，" or "5450家。" after "…拥有高新技术企业"): that is no heading.
_CONTINUES = re.compile(r"[，。；、：％%）)”]|[\d.]+[万亿千百]*[家个人项件次元%％名位台所类倍]")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _is_heading(line: str, previous: str, previous_heading: bool) -> bool:
    """A short line without punctuation after a sentence's end or after another heading (title, subtitle)."""
    return (len(line) <= 32 and (previous_heading or previous[-1] in "。！？）)”")
            and not any(c in line for c in "，。；！？,;、") and not line.startswith("（") and line[-1] not in "：:")


# ---------------------------------------------------------------- zones


@dataclass(frozen=True)
class Zones:
    names: dict[str, str]  # code -> official name
    pattern: re.Pattern[str]  # every alias, national and China word, longest first
    alias: dict[str, str]  # alias -> code (or NATIONAL / CHINA)
    places: re.Pattern[str]  # provinces and the zones' cities: 江苏省, 陕西, 深圳市
    ambiguous: frozenset[str]  # short forms of more than one zone (火炬高新区: 厦门, 中山, 威海)


@cache
def _zones(zones: tuple[tuple[str, str], ...]) -> Zones:
    lex = lexicon()
    primary: dict[str, set[str]] = {}
    secondary: dict[str, set[str]] = {}
    for code, name in zones:
        first, second = _short_forms(name)
        for form in first | set(lex.zone_aliases.get(code, [])):
            primary.setdefault(form, set()).add(code)
        for form in second:
            secondary.setdefault(form, set()).add(code)
    alias: dict[str, str] = {a: next(iter(c)) for a, c in primary.items() if len(c) == 1}
    alias |= {a: next(iter(c)) for a, c in secondary.items() if len(c) == 1 and a not in primary}
    alias |= {w: NATIONAL for w in lex.national_words} | {w: CHINA for w in lex.china_words}
    ordered = sorted(alias, key=len, reverse=True)
    ambiguous = frozenset(a for a, c in (primary | secondary).items() if len(c) > 1)
    return Zones(dict(zones), re.compile("|".join(map(re.escape, ordered))), alias, _places(zones), ambiguous)


def _places(zones: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """Provinces (from the registry) and cities (the zones' names begin with them), as the text writes them."""
    from hizone.registry.tables import load_provinces

    names = set()
    for province in load_provinces():
        short = re.sub(r"(壮族|回族|维吾尔)?(自治区|省|市)$", "", province.name_zh)
        names |= {province.name_zh, short + "省", short + "市"}
    for _code, name in zones:
        suffix = next((s for s in ZONE_SUFFIXES if name.endswith(s)), None)
        core = name[: -len(suffix)] if suffix else ""
        if len(core) >= 2:
            names |= {core.removesuffix("市") + "市", core[:2] + "市"}
    return re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True))))


def _short_forms(name: str) -> tuple[set[str], set[str]]:
    """The usual ways of writing a zone's name: 深圳市高新技术产业园区 → 深圳高新区; 上海张江高新技术产业开发区 →
    上海张江高新区 and (second rank, kept where unique) 张江高新区, 上海高新区."""
    first: set[str] = {name}
    second: set[str] = set()
    suffix = next((s for s in ZONE_SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        return first, second
    core = name[: -len(suffix)].removeprefix("新疆生产建设兵团")
    cores = {core, core[:-1]} if core.endswith("市") and len(core) > 2 else {core}
    for c in cores:
        first |= {c + "高新区", c + "国家高新区", c + "高新技术产业开发区"}
        if "示范区" in suffix:
            first |= {c + "示范区", c + "农业高新区"}
        if len(c) >= 4:
            second |= {c[2:] + "高新区", c[:2] + "高新区"}
    return first, second


# ---------------------------------------------------------------- articles and sentences


@dataclass(frozen=True)
class Sentence:
    start: int  # in the compact text
    end: int
    article: int
    heading: bool


_CREDIT = re.compile(r"[（(](?:供稿|来源|稿源|撰稿|作者)[：:](?P<by>[^）)]{0,60})[）)]")


def sentences(cp: Compact, headings: list[tuple[int, int]]) -> tuple[list[Sentence], list[tuple[int, int, str]]]:
    """The sentences in order with their article's index; and each article's (start, end, credit)."""
    text = cp.text
    heading_starts = {s for s, _ in headings}
    # An article ends with its credit (供稿); one without a credit ends where a title and subtitle (two headings
    # in a row) begin the next.
    ends = {m.end(): m["by"] for m in _CREDIT.finditer(text)}
    for i in range(len(headings) - 1):
        follows = i > 0 and headings[i][0] - headings[i - 1][1] <= 2
        if headings[i + 1][0] - headings[i][1] <= 2 and not follows:
            ends.setdefault(headings[i][0] - 1, "")
    articles: list[tuple[int, int, str]] = []
    start = 0
    for end in sorted(ends):
        if end > start:
            articles.append((start, end, ends[end]))
            start = end
    if start < len(text):
        articles.append((start, len(text), ""))
    out: list[Sentence] = []
    for index, (a_start, a_end, _credit) in enumerate(articles):
        body = text[a_start:a_end]
        for m in re.finditer(rf"[^{SENTENCE_END}{BREAK}]+[{SENTENCE_END}]*", body):
            s, e = a_start + m.start(), a_start + m.end()
            if _CREDIT.fullmatch(text[s:e]):
                continue
            credit = _CREDIT.search(text, s, e)
            if credit:  # "…参加会议。（供稿：…）" ends the sentence before the credit
                e = credit.start()
            if e > s:
                out.append(Sentence(s, e, index, s in heading_starts))
    return out, articles


def article_subjects(cp: Compact, sents: list[Sentence], articles: list[tuple[int, int, str]],
                     zones: Zones) -> list[tuple[str, str]]:
    """Each article's (subject, name): the zone its title names, else the zone that supplied it (供稿), else
    the national zones or China, whichever its text names more."""
    subjects = []
    for index, (a_start, a_end, credit) in enumerate(articles):
        titles = [s for s in sents if s.article == index and s.heading][:2]
        title = "".join(cp.text[s.start:s.end] for s in titles if s.start - a_start < 80)
        found = _first_zone(title, zones) or _first_zone(credit, zones)
        if found is None:  # a zone the registry does not know: "XX高新区：…" titles, or the zone supplied it
            unknown = re.match(r"([\u4e00-\u9fff]{2,8}?高新区)(?:[：:（(]|$)", title) or \
                re.fullmatch(r"([\u4e00-\u9fff]{2,8}?高新区)", credit)
            if unknown and not _generic(unknown[1]):
                found = (f"unknown:{unknown[1]}", unknown[1])
        if found is None:
            if "国家高新区" in title:
                found = (NATIONAL, "国家高新区")
            else:
                body = cp.text[a_start:a_end]
                national = sum(body.count(w) for w in lexicon().national_words)
                china = len(re.findall(r"全国(?!平均|首|唯一|率先|第|前)|我国", body))
                found = (CHINA, "全国") if china > national else (NATIONAL, "国家高新区")
        subjects.append(found)
    return subjects


def _generic(name: str) -> bool:
    """Words before 高新区 that make no zone's name (各高新区, 推动高新区, 占入驻高新区)."""
    return "国家" in name or bool(_NOT_A_NAME.match(name))


_NOT_A_NAME = re.compile(r"新升级|长三角|地方|当地"
                         r"|[占在与对向为到从由把将使让入进各全该本我其此新所推加建打这那每两几多]")


def _first_zone(text: str, zones: Zones) -> tuple[str, str] | None:
    for m in zones.pattern.finditer(text):
        code = zones.alias[m[0]]
        if code not in (NATIONAL, CHINA):
            return code, zones.names[code]
    return None


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    start: int  # in the compact text
    end: int
    value: Decimal
    unit: str
    qualifier: str


@cache
def _figure_pattern() -> re.Pattern[str]:
    lex = lexicon()

    def alternation(words: Iterable[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    after = alternation(lex.qualifiers_after)
    return re.compile(
        rf"(?P<before>{alternation(lex.qualifiers_before)})?"
        rf"(?:(?P<num>(?<![\d./,])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|(?<![\d./,])\d+(?:\.\d+)?)(?![\d.,]*/)"
        rf"|(?P<cn>[一二两三四五六七八九十]+)(?=倍|成)|(?<=[超过近逾破])(?P<mag>[十百千])(?=万|亿))"
        rf"(?P<after1>{after})?(?P<mult>{alternation(lex.multipliers)})?(?P<after2>{after})?"
        rf"(?P<unit>{alternation(lex.units)})(?P<after3>{after})?")


_FRACTION = re.compile(r"(?P<before>超过|超|近|约|接近)?(?<![\d.])(?P<num>\d+)/(?P<den>\d+)(?![\d年月])")
_RANK = re.compile(r"(?:排名|名列|位列|位居|居|排)[\u4e00-\u9fff]{0,8}?"
                   r"第(?P<rank>\d+|[一二三四五六七八九十]+)(?![批届期次代轮类阶])(?:名|位)?"
                   r"|居[\u4e00-\u9fff]{0,6}?(?P<top>首位)")


def figures(text: str, start: int, end: int) -> list[Figure]:
    lex = lexicon()
    found: list[Figure] = []
    for m in _figure_pattern().finditer(text, start, end):
        group = "num" if m["num"] is not None else "cn" if m["cn"] is not None else "mag"
        if m[group] is None:
            continue
        sign = 1
        before = text[m.start(group) - 1:m.start(group)]
        if before in "-－−" and before and not text[m.start(group) - 2:m.start(group) - 1].isdigit() and \
                not m["before"]:
            sign = -1  # 增长-3.5%; but 1-7月 and 3-5家 are ranges
        elif before in ("第", "-", "—", "－", "~"):
            continue
        if group == "mag" and not (m["before"] and m["mult"]):
            continue  # 超千亿元 is a figure; 千亿级产业集群 is none
        if text.startswith(lex.not_after.get(m["unit"], ()), m.end("unit")):
            continue  # 6个月, "551"人才计划: not the unit
        spec = lex.units[m["unit"]]
        if group == "num":
            number = Decimal(m["num"].replace(",", ""))
        else:
            number = Decimal(_cn_number(m[group]) if group == "cn" else {"十": 10, "百": 100, "千": 1000}[m["mag"]])
        multiplier = lex.multipliers[m["mult"]] if m["mult"] else Decimal(1)
        value = sign * number * multiplier * spec.factor
        found.append(Figure(m.start() - (sign < 0), m.end(), value, spec.unit, _qualifier(m, lex)))
    for m in _FRACTION.finditer(text, start, end):  # 1/4 → 25 %
        if int(m["den"]) > 0:
            qualifier = lex.qualifiers_before.get(m["before"] or "", "")
            found.append(Figure(m.start(), m.end(), Decimal(m["num"]) / Decimal(m["den"]) * 100, "%", qualifier))
    for m in _RANK.finditer(text, start, end):
        rank = 1 if m["top"] else (int(m["rank"]) if m["rank"].isdigit() else _cn_number(m["rank"]))
        found.append(Figure(m.start(), m.end(), Decimal(rank), "名次", ""))
    return sorted(found, key=lambda f: f.start)


def _qualifier(m: re.Match[str], lex: Lexicon) -> str:
    if m["before"]:
        return lex.qualifiers_before[m["before"]]
    for group in ("after1", "after2", "after3"):
        if m[group]:
            return lex.qualifiers_after[m[group]]
    return ""


def _cn_number(text: str) -> int:
    """一 … 九十九 (what bulletins write in words: 三倍, 四成, 第十四)."""
    if "十" not in text:
        return CN_DIGITS.get(text, 0) if len(text) == 1 else 0
    tens, _, ones = text.partition("十")
    return (CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)


# ---------------------------------------------------------------- periods


_PERIOD = re.compile(
    r"截至(?P<d_y>今年|去年|\d{4}年)?(?P<d_m>\d{1,2})月(?P<d_d>\d{1,2})日"
    r"|截至(?P<me_y>今年|去年|\d{4}年)?(?P<me_m>\d{1,2})月底"
    r"|(?P<ye_y>今年|去年|\d{4})年?(?:年)?(?:底|末|年底|年末)"
    r"|(?P<mr_y>今年|去年|\d{4}年)?(?P<mr_a>\d{1,2})[-－—~至](?P<mr_b>\d{1,2})月"
    r"|(?P<q_y>今年|去年|\d{4}年)?(?P<q>上半年|下半年|前三季度|一季度|第一季度|前两个月)"
    r"|(?P<same>(?:去年|上年)同期)"
    r"|(?P<yr_a>\d{4})年?[-－—~至到](?P<yr_b>\d{4})年"
    r"|(?:近|过去)(?P<years_a>\d{1,2}|[一二两三四五六七八九十]{1,2})年(?:来|间)?"
    r"|(?P<years_b>\d{1,2}|[二两三四五六七八九十]{1,2})年(?:来|间)"
    r"|(?P<since>\d{4})年以来"
    r"|(?P<m_y>今年|去年|\d{4}年)(?P<m_m>\d{1,2})月(?!\d{0,2}日)"
    r"|(?P<rel>今年|去年|当年)"
    r"|(?P<y>\d{4})年(?:度)?"
    r"|(?P<now>截至目前|目前|近日|日前|截至当前)")


_QUARTERS = {"上半年": "01..06", "下半年": "07..12", "前三季度": "01..09", "一季度": "01..03", "第一季度": "01..03",
             "前两个月": "01..02"}


def _year(text: str | None, issue_year: int | None) -> int | None:
    if text is None:
        return issue_year
    if text.startswith("今年") or text == "当年":
        return issue_year
    if text.startswith("去年"):
        return issue_year - 1 if issue_year else None
    return int(text[:4])


def periods(text: str, start: int, end: int, issue_year: int | None) -> list[tuple[int, str, bool]]:
    """(where it ends, period, is a span of years) of each period expression in text[start:end]."""
    out = []
    for m in _PERIOD.finditer(text, start, end):
        period = _period(m, issue_year)
        if period is not None:
            out.append((m.end(), period, ".." in period and len(period) == 10))
    return out


def _period(m: re.Match[str], issue_year: int | None) -> str | None:
    if m["d_m"]:
        y = _year(m["d_y"], issue_year)
        return f"{y}-{int(m['d_m']):02d}-{int(m['d_d']):02d}" if y else ""
    if m["me_m"]:
        y, month = _year(m["me_y"], issue_year), int(m["me_m"])
        return f"{y}-{month:02d}-{calendar.monthrange(y, month)[1]:02d}" if y and 1 <= month <= 12 else ""
    if m["ye_y"]:
        y = _year(m["ye_y"], issue_year)
        return f"{y}-12-31" if y else ""
    if m["mr_a"]:
        y = _year(m["mr_y"], issue_year)
        return f"{y}-{int(m['mr_a']):02d}..{int(m['mr_b']):02d}" if y else ""
    if m["q"]:
        y = _year(m["q_y"], issue_year)
        return f"{y}-{_QUARTERS[m['q']]}" if y else ""
    if m["same"]:
        return None  # 较去年同期: what the figure is compared with, not its period
    if m["yr_a"]:
        return f"{m['yr_a']}..{m['yr_b']}"
    if m["years_a"] or m["years_b"]:  # 十年来, 近5年: the years before the issue's
        count = m["years_a"] or m["years_b"]
        years = int(count) if count.isdigit() else _cn_number(count)
        return f"{issue_year - years}..{issue_year - 1}" if issue_year and 1 < years <= 50 else ""
    if m["since"]:
        return f"{m['since']}..{issue_year - 1}" if issue_year and int(m["since"]) < issue_year - 1 else m["since"]
    if m["m_m"]:
        y = _year(m["m_y"], issue_year)
        return f"{y}-{int(m['m_m']):02d}" if y and 1 <= int(m["m_m"]) <= 12 else ""
    if m["rel"]:
        y = _year(m["rel"], issue_year)
        return str(y) if y else ""
    if m["y"]:
        return m["y"] if 1949 <= int(m["y"]) <= 2100 else None
    return ""


# ---------------------------------------------------------------- facts


def extract_facts(bulletin: Bulletin, zones: Iterable[tuple[str, str]]) -> list[Fact]:
    """Every quantitative fact about a zone, the national zones or China in the bulletin, in text order."""
    lex = lexicon()
    registry = _zones(tuple(sorted(zones)))
    cp, headings = compact(bulletin.text, lex)
    sents, articles = sentences(cp, headings)
    subjects = article_subjects(cp, sents, articles, registry)
    issue_year = bulletin.issue_date.year if bulletin.issue_date else None
    facts: list[Fact] = []
    carried: tuple[int, tuple[str, str]] | None = None
    for sentence in sents:
        article = subjects[sentence.article]
        # In an article about the national zones or China, a sentence that names no one is about whom the
        # sentence before it named ("全国…15253家。其中，孵化器6227家"); in a zone's article, about the zone.
        default = carried[1] if carried and carried[0] == sentence.article and article[0] in (NATIONAL, CHINA) \
            else article
        mentions = list(registry.pattern.finditer(cp.text, sentence.start, sentence.end))
        named = _last_mention(cp.text, mentions, sentence.start, sentence.end, registry, article)
        if named is not None:
            carried = (sentence.article, named)
        if not sentence.heading and any(w in cp.text[sentence.start:sentence.end] for w in lex.event_words):
            continue
        found = figures(cp.text, sentence.start, sentence.end)
        in_sentence = periods(cp.text, sentence.start, sentence.end, issue_year) if found else []
        for figure in found:
            fact = _fact(bulletin, cp, sentence, figure, default, registry, mentions, in_sentence)
            if fact is not None:
                facts.append(fact)
    return facts


_NOT_CHINA = re.compile(r"\d|平均|首|唯一|率先|第|前|范围|领先|高校|各地")  # 全国平均水平, 全国首个, 全国35%的…


def _last_mention(text: str, mentions: list[re.Match[str]], start: int, end: int, zones: Zones,
                  article: tuple[str, str]) -> tuple[str, str] | None:
    """Whom the mentions (of a sentence) ending by `end` name last: a zone (not one of a list: 成都、武汉、
    上海张江等), or, outside a zone's article, the national zones or China (not 全国平均水平, 全国首个, 全国35%的…)."""
    last = None
    in_zone_article = article[0] not in (NATIONAL, CHINA)
    for m in mentions:
        if m.end() > end:
            break
        code = zones.alias[m[0]]
        if code in (NATIONAL, CHINA):
            comparison = code == CHINA and _NOT_CHINA.match(text, m.end())
            # in a zone's article, only a clause that begins with them is about them (国家高新区营业收入…)
            opens = m.start() == 0 or text[m.start() - 1] in "，；：。！？\n"
            if (in_zone_article and not opens) or text[m.start() - 1:m.start()] == "占" or comparison:
                continue
        elif text[m.end():m.end() + 1] in ("、", "和", "及") or text[m.start() - 1:m.start()] == "、":
            continue
        last = m
    named = _named(last[0], zones, article) if last else None
    return _unknown_zone(text, start, end, last.end() if last else start, zones) or named


_UNKNOWN_ZONE = re.compile(r"[\u4e00-\u9fff]{2,4}?高新区")


def _unknown_zone(text: str, start: int, end: int, after: int, zones: Zones) -> tuple[str, str] | None:
    """A zone the registry does not know, where a clause begins with it ("…；南沙高新区拥有…") after the last
    zone named."""
    found = None
    for m in _UNKNOWN_ZONE.finditer(text, after, end):
        opens = m.start() == start or text[m.start() - 1] in "，；：。！？\n"
        known = m[0] in zones.alias or m[0] in zones.ambiguous or zones.pattern.match(text, m.start())
        if opens and not known and not _generic(m[0]):
            found = (f"unknown:{m[0]}", m[0])
    return found


def _clause_end(text: str, position: int, end: int) -> int:
    for i in range(position, end):
        if text[i] in CLAUSE_END:
            return i
    return end


def _clause_start(text: str, start: int, position: int, separators: str = CLAUSE_END) -> int:
    for i in range(position - 1, start - 1, -1):
        if text[i] in separators:
            return i + 1
    return start


def _fact(bulletin: Bulletin, cp: Compact, sentence: Sentence, figure: Figure, article: tuple[str, str],
          zones: Zones, mentions: list[re.Match[str]], in_sentence: list[tuple[int, str, bool]]) -> Fact | None:
    lex = lexicon()
    text = cp.text
    clause = text[_clause_start(text, sentence.start, figure.start):figure.start]
    if any(w in clause for w in lex.enterprise_words):
        return None
    whole_clause = clause + text[figure.start:_clause_end(text, figure.end, sentence.end)]
    if any(w in whole_clause for w in lex.contest_words):
        return None  # 举办"…"大赛: a contest's figure
    if re.search(r"(?<!占)(?:高于|低于|比|较)[\u4e00-\u9fff]{1,6}[省市]$", clause):
        return None  # 高于龙岩市1.9%: the city's figure
    if text[figure.start - 1:figure.start] == "”" and figure.unit in ("个", "项", "类", "大"):
        return None  # "重回前十"1个目标: the parts of a slogan
    if _about_a_place(text, sentence, figure, zones):
        return None
    subject = _subject(text, sentence, figure, article, zones, mentions)
    metric = _metric(text[max(sentence.start, figure.start - 60):figure.start], text[figure.end:sentence.end],
                     figure.unit)
    period = _fact_period(text, sentence, figure, metric, in_sentence)
    qualifier = figure.qualifier or ("累计" if "累计" in clause else "")
    start, end = _quote(cp, sentence, figure)
    return Fact(file=bulletin.file, start=start, end=end, subject=subject[0], subject_name=subject[1],
                metric=metric, value=float(figure.value), unit=figure.unit, period=period, qualifier=qualifier,
                quote=bulletin.text[start:end])


def _about_a_place(text: str, sentence: Sentence, figure: Figure, zones: Zones) -> bool:
    """Whether the figure is a province's or a city's: its clause begins with the place ("江苏省高新技术企业达
    3.7万家"), not as a level (吉林省级企业技术中心) nor where a zone's figure is compared with it."""
    start = _clause_start(text, sentence.start, figure.start, "，；：,;:")  # not 、: 其中…1家、河南省实验室3家
    place = zones.places.match(text, start)
    return place is not None and not text.startswith(("级", "平均", "比重"), place.end())


def _subject(text: str, sentence: Sentence, figure: Figure, article: tuple[str, str], zones: Zones,
             mentions: list[re.Match[str]]) -> tuple[str, str]:
    following = re.match(r"(?:新升级的|新升级|的)?", text[figure.end:sentence.end])
    after = zones.pattern.match(text, figure.end + (following.end() if following else 0))
    if after and figure.unit in ("家", "个"):
        return _named(after[0], zones, article)
    return _last_mention(text, mentions, sentence.start, figure.start, zones, article) or article


def _named(alias: str, zones: Zones, article: tuple[str, str]) -> tuple[str, str]:
    code = zones.alias[alias]
    if code == NATIONAL:
        return NATIONAL, "国家高新区"
    if code == CHINA:
        return CHINA, "全国"
    return code, zones.names[code]


@cache
def _metric_phrases(with_zones: bool) -> tuple[re.Pattern[str], dict[str, str]]:
    """The metrics' phrases as one pattern, longest first; 高新区 only after a count (before a figure it names
    the subject)."""
    codes: dict[str, str] = {}
    for phrase, code in lexicon().metrics:
        if with_zones or code != "zone_count":
            codes.setdefault(phrase, code)
    pattern = "|".join(re.escape(p) for p in sorted(codes, key=len, reverse=True))
    return re.compile(f"(?=({pattern}))"), codes


def _metric(before: str, after: str, unit: str) -> str:
    """What the figure measures: for a count, the noun right after it, whose head comes last (36家科技领军企业:
    企业; 173家国家高新区); else the phrase nearest before it, with a growth or share suffix for a rate."""
    lex = lexicon()
    if unit == "名次":
        return "rank"
    if unit in ("家", "个", "人", "所", "项", "件", "台", "类"):
        noun = re.match(r"的?([^，。；、：,;:（(“”\d]{1,12})", after)
        if noun:
            found = _last_phrase(noun[1], with_zones=True)
            if found:
                return found
    base = _last_phrase(before)
    if base and re.search(r"(?:净增|增加)了?$", before):  # 较2012年净增123家: the change of a count or sum
        return base + "_change"
    if not base or unit not in ("%", "百分点", "倍"):
        return base
    tail = before[before.rfind(_phrase_of(before, base)):]
    for words in (lex.share_suffixes, lex.growth_suffixes):
        positions = [(tail.rfind(w) + len(w), len(w), s) for w, s in words.items() if w in tail]
        if positions:
            return base + max(positions)[2]
    return base + ("_growth" if unit == "倍" else "_share")


def _last_phrase(text: str, with_zones: bool = False) -> str:
    """The code of the metric phrase that ends last in text (the longest where two end together)."""
    best: tuple[int, int, str] | None = None
    phrases, codes = _metric_phrases(with_zones)
    for m in phrases.finditer(text):  # every position: phrases may overlap (研发投入, 研发投入强度)
        key = (m.start() + len(m[1]), len(m[1]), codes[m[1]])
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else ""


def _phrase_of(text: str, code: str) -> str:
    """The last of code's phrases in text (where its suffix is looked for after)."""
    phrases, codes = _metric_phrases(False)
    found = [m for m in phrases.finditer(text) if codes[m[1]] == code]
    return found[-1][1] if found else ""


def _fact_period(text: str, sentence: Sentence, figure: Figure, metric: str,
                 in_sentence: list[tuple[int, str, bool]]) -> str:
    found = [p for p in in_sentence if p[0] <= figure.start]
    if not found:
        return ""
    # A change from one year to another (从2012年的67家发展到2021年的228家，增长240.3%; 是2012年的2.35倍) spans them.
    growth = figure.unit == "倍" or metric.endswith(("_cagr", "_growth", "_change", "_yoy"))
    years = sorted({int(p) for _, p, _ in found if p.isdigit()})
    if growth and len(years) >= 2 and not found[-1][2] and \
            _FROM_YEAR.search(text, sentence.start, figure.start):
        return f"{years[0]}..{years[-1]}"
    return found[-1][1]


_FROM_YEAR = re.compile(r"[从由较比]\d{4}年|是\d{4}年的")


def _quote(cp: Compact, sentence: Sentence, figure: Figure) -> tuple[int, int]:
    """The sentence's span in the original text; its clause (；, then ，) where the sentence is too long."""
    for separators in ("", "；;", "；;，,"):
        s, e = sentence.start, sentence.end
        if separators:
            for i in range(figure.start - 1, sentence.start - 1, -1):
                if cp.text[i] in separators:
                    s = i + 1
                    break
            for i in range(figure.end, sentence.end):
                if cp.text[i] in separators:
                    e = i + 1
                    break
        start, end = cp.span(s, e)
        if end - start <= MAX_QUOTE:
            return start, end
    start, end = cp.span(figure.start, figure.end)
    return start, min(end, start + MAX_QUOTE)

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
            text = data.decode("utf-8-sig")
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
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except HizoneError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError) as exc:  # pypdf raises many kinds on damaged files
        raise HizoneError(f"damaged PDF: {exc or type(exc).__name__}", where=where) from None


_HEADER_ISSUE = re.compile(r"(\d{4})\s*年\s*第\s*(\d{1,3})\s*期")
_HEADER_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_YEAR = re.compile(r"(?<![\d\-－—~])((?:19|20)\d{2})\s*年(?!\s*前)")
_MONTH_DAY = re.compile(r"(?<![\d年])\s(\d{1,2})\s*月\s*(\d{1,2})\s*日|(?<![\d年\s])(\d{1,2})\s*月\s*(\d{1,2})\s*日")


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
    chars: list[str] = []
    where: list[int] = []
    headings: list[tuple[int, int]] = []
    offset = 0
    previous = "。"  # the last content line so far, stripped
    for line in text.splitlines(keepends=True):
        stripped = "".join(line.split())
        if stripped and not any(p.match(line) for p in lex.furniture):
            heading = _is_heading(stripped, previous)
            if heading:
                chars.append(BREAK)
                where.append(offset)
                start = len(chars)
            for i, ch in enumerate(line):
                if not ch.isspace():
                    chars.append(ch)
                    where.append(offset + i)
            if heading:
                headings.append((start, len(chars)))
                chars.append(BREAK)
                where.append(offset + len(line.rstrip()))
            previous = stripped
        offset += len(line)
    return Compact("".join(chars), where), headings


def _is_heading(line: str, previous: str) -> bool:
    return (len(line) <= 32 and previous[-1] in "。！？）)”"
            and not any(c in line for c in "，。；：！？,;:") and not line.startswith("（"))


# ---------------------------------------------------------------- zones


@dataclass(frozen=True)
class Zones:
    names: dict[str, str]  # code -> official name
    pattern: re.Pattern[str]  # every alias, national and China word, longest first
    alias: dict[str, str]  # alias -> code (or NATIONAL / CHINA)


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
    return Zones(dict(zones), re.compile("|".join(map(re.escape, ordered))), alias)


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


_CREDIT = re.compile(r"（供稿[：:][^）]{0,60}）")


def sentences(cp: Compact, headings: list[tuple[int, int]]) -> tuple[list[Sentence], list[tuple[int, int, str]]]:
    """The sentences in order with their article's index; and each article's (start, end, credit)."""
    text = cp.text
    heading_starts = {s for s, _ in headings}
    articles: list[tuple[int, int, str]] = []
    start = 0
    for m in _CREDIT.finditer(text):
        articles.append((start, m.end(), m[0][4:-1]))
        start = m.end()
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
    return "国家" in name or bool(re.match(r"^(新升级|全国|各|推动|加快|所在|长三角|该|全|本|地方|当地)", name))


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
        rf"(?:(?P<num>(?<![\d./])\d+(?:\.\d+)?)(?![\d.]*/)|(?P<cn>[一二两三四五六七八九十]+)(?=倍|成))"
        rf"(?P<after1>{after})?(?P<mult>{alternation(lex.multipliers)})?(?P<after2>{after})?"
        rf"(?P<unit>{alternation(lex.units)})(?P<after3>{after})?")


_FRACTION = re.compile(r"(?P<before>超过|超|近|约|接近)?(?<![\d.])(?P<num>\d+)/(?P<den>\d+)(?![\d年月])")
_RANK = re.compile(r"(?:排名|名列|位列|位居|居|排)(?:升至|上升至|提升至)?(?:全国|全省|全球|世界|全市)?"
                   r"第(?P<rank>\d+|[一二三四五六七八九十]+)(?:名|位)?|居[\u4e00-\u9fff]{0,6}?(?P<top>首位)")


def figures(text: str, start: int, end: int) -> list[Figure]:
    lex = lexicon()
    found: list[Figure] = []
    for m in _figure_pattern().finditer(text, start, end):
        if m["num"] is None and m["cn"] is None:
            continue
        num_start = m.start("num") if m["num"] is not None else m.start("cn")
        if text[num_start - 1:num_start] in ("第", "-", "—", "－", "~"):
            continue
        spec = lex.units[m["unit"]]
        number = Decimal(m["num"]) if m["num"] is not None else Decimal(_cn_number(m["cn"]))
        multiplier = lex.multipliers[m["mult"]] if m["mult"] else Decimal(1)
        value = number * multiplier * spec.factor
        found.append(Figure(m.start(), m.end(), value, spec.unit, _qualifier(m, lex)))
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
    r"|(?P<yr_a>\d{4})年?[-－—~至到](?P<yr_b>\d{4})年"
    r"|(?P<decade>(?:近)?(?:十|10)年(?:来|间)?)"
    r"|(?P<since>\d{4})年以来"
    r"|(?P<m_y>今年|去年|\d{4}年)(?P<m_m>\d{1,2})月(?!\d{0,2}日)"
    r"|(?P<rel>今年|去年|当年)"
    r"|(?P<y>\d{4})年(?:度)?"
    r"|(?P<now>截至目前|目前|近日|日前|截至当前)")


def _year(text: str | None, issue_year: int | None) -> int | None:
    if text is None:
        return issue_year
    if text.startswith("今年") or text == "当年":
        return issue_year
    if text.startswith("去年"):
        return issue_year - 1 if issue_year else None
    return int(text[:4])


def periods(text: str, start: int, end: int, issue_year: int | None) -> list[tuple[int, str, bool]]:
    """(position, period, is a span of years) of each period expression in text[start:end]."""
    out = []
    for m in _PERIOD.finditer(text, start, end):
        period = _period(m, issue_year)
        if period is not None:
            out.append((m.start(), period, ".." in period and len(period) == 10))
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
    if m["yr_a"]:
        return f"{m['yr_a']}..{m['yr_b']}"
    if m["decade"]:
        return f"{issue_year - 10}..{issue_year - 1}" if issue_year else ""
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
        named = _last_mention(cp.text, sentence.start, sentence.end, registry, article)
        if named is not None:
            carried = (sentence.article, named)
        if not sentence.heading and any(w in cp.text[sentence.start:sentence.end] for w in lex.event_words):
            continue
        for figure in figures(cp.text, sentence.start, sentence.end):
            fact = _fact(bulletin, cp, sentence, figure, default, registry, issue_year)
            if fact is not None:
                facts.append(fact)
    return facts


def _last_mention(text: str, start: int, end: int, zones: Zones, article: tuple[str, str]) -> tuple[str, str] | None:
    """Whom text[start:end] names last: a zone (not one of a list: 成都、武汉、上海张江等), or, outside a zone's
    article, the national zones or China (not 全国平均水平, 全国首个, 全国35%的…)."""
    last = None
    in_zone_article = article[0] not in (NATIONAL, CHINA)
    for m in zones.pattern.finditer(text, start, end):
        code = zones.alias[m[0]]
        if code in (NATIONAL, CHINA):
            if in_zone_article or (code == CHINA and re.match(r"[\d]|平均|首|唯一|率先|第|前|范围|领先|高校|各地",
                                                               text[m.end():m.end() + 2])):
                continue
        elif text[m.end():m.end() + 1] in ("、", "和", "及") or text[m.start() - 1:m.start()] == "、":
            continue
        last = m
    return _named(last[0], zones, article) if last else None


def _clause_start(text: str, start: int, position: int) -> int:
    for i in range(position - 1, start - 1, -1):
        if text[i] in CLAUSE_END:
            return i + 1
    return start


def _fact(bulletin: Bulletin, cp: Compact, sentence: Sentence, figure: Figure, article: tuple[str, str],
          zones: Zones, issue_year: int | None) -> Fact | None:
    lex = lexicon()
    text = cp.text
    clause = text[_clause_start(text, sentence.start, figure.start):figure.start]
    if any(w in clause for w in lex.enterprise_words):
        return None
    if re.search(r"(?:高于|低于|比|较)[\u4e00-\u9fff]{1,6}[省市]$", clause):
        return None  # 高于龙岩市1.9%: the city's figure
    if text[figure.start - 1:figure.start] == "”" and figure.unit in ("个", "项", "类", "大"):
        return None  # "重回前十"1个目标: the parts of a slogan
    subject = _subject(text, sentence, figure, article, zones)
    metric = _metric(text[sentence.start:figure.start], text[figure.end:sentence.end], figure.unit)
    period = _fact_period(text, sentence, figure, issue_year, metric)
    qualifier = figure.qualifier or ("累计" if "累计" in clause else "")
    start, end = _quote(cp, sentence, figure)
    return Fact(file=bulletin.file, start=start, end=end, subject=subject[0], subject_name=subject[1],
                metric=metric, value=float(figure.value), unit=figure.unit, period=period, qualifier=qualifier,
                quote=bulletin.text[start:end])


def _subject(text: str, sentence: Sentence, figure: Figure, article: tuple[str, str],
             zones: Zones) -> tuple[str, str]:
    following = re.match(r"(?:新升级的|新升级|的)?", text[figure.end:sentence.end])
    after = zones.pattern.match(text, figure.end + (following.end() if following else 0))
    if after and figure.unit in ("家", "个"):
        return _named(after[0], zones, article)
    return _last_mention(text, sentence.start, figure.start, zones, article) or article


def _named(alias: str, zones: Zones, article: tuple[str, str]) -> tuple[str, str]:
    code = zones.alias[alias]
    if code == NATIONAL:
        return NATIONAL, "国家高新区"
    if code == CHINA:
        return CHINA, "全国"
    return code, zones.names[code]


def _metric(before: str, after: str, unit: str) -> str:
    lex = lexicon()
    if unit in ("家", "个", "人", "所", "项", "件") and not re.match(r"[，。；、]", after[:1] or "，"):
        head = after[1:] if after.startswith("的") else after
        for phrase, code in lex.metrics:
            if head.startswith(phrase):
                return code
    if unit == "名次":
        return "rank"
    best: tuple[int, int, str] | None = None
    for phrase, code in lex.metrics:
        at = before.rfind(phrase)
        if at >= 0:
            key = (at + len(phrase), len(phrase), code)
            if best is None or key[:2] > best[:2]:
                best = key
    base = best[2] if best else ""
    tail = before[best[0]:] if best else before
    suffix = ""
    for words in (lex.share_suffixes, lex.growth_suffixes):
        positions = [(tail.rfind(w) + len(w), len(w), s) for w, s in words.items() if w in tail]
        if positions:
            suffix = max(positions)[2]
            break
    if unit in ("%", "百分点", "倍") and not suffix and base:
        suffix = "_growth" if unit == "倍" else "_share"
    return base + suffix if base else ""


def _fact_period(text: str, sentence: Sentence, figure: Figure, issue_year: int | None, metric: str) -> str:
    found = periods(text, sentence.start, figure.start, issue_year)
    if not found:
        return ""
    growth = figure.unit == "倍" or metric.endswith(("_cagr", "_growth", "_change"))
    years = sorted({int(p) for _, p, _ in found if p.isdigit()})
    if growth and len(years) >= 2 and not found[-1][2]:
        return f"{years[0]}..{years[-1]}"
    return found[-1][1]


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

"""The fact: one quantitative statement in a bulletin, with where it stands in the file's text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The columns of `hizone bulletins extract FILE --out facts.csv` (an external contract: keep the order).
FACT_COLUMNS = ("file", "start", "end", "subject", "subject_name", "metric", "value", "unit", "period",
                "qualifier", "quote")


@dataclass(frozen=True)
class Fact:
    """`start`/`end` are code-point offsets into the file's text; `quote` is text[start:end] (≤ 400 characters).

    `subject` is a zone's registry code, `national_zones`, `china` or `unknown:<name>`; `value` is in the base
    unit (元, 美元, 家, %, 倍, 名次, 平方米 …); `period` is `2021`, `2021-12-31`, `2022-01..07`, `2012..2021`,
    `2022-05` or empty; `qualifier` is 超过, 近, 约, 余, 以上, 累计 or empty.
    """

    file: str
    start: int
    end: int
    subject: str
    subject_name: str
    metric: str
    value: float
    unit: str
    period: str
    qualifier: str
    quote: str


@dataclass(frozen=True)
class Bulletin:
    """A bulletin's text as read from .txt or .pdf; `issue_date` resolves 今年/去年 (None when not found)."""

    file: str
    sha256: str
    text: str
    issue: str
    issue_date: date | None


# The extractor's public API (hizone.bulletins.extract), used by the CLI and by the store:
#   read_bulletin(path: Path) -> Bulletin
#   extract_facts(bulletin: Bulletin, zones: Iterable[tuple[str, str]]) -> list[Fact]
#     zones: (registry code, official name) pairs; the extractor derives the usual short forms itself.

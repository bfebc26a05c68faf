"""Full-text search over bulletins, Chinese-aware and the same on every database.

Chinese has no spaces between words and the bulletins' text comes from PDF, where a line break or a space can
fall inside a word or a number ("营业收\\n入", "5 450"). So text is searched in its *folded* form: full-width
digits and letters as ASCII, lower case, every space and line break removed. The store keeps each bulletin's
folded text and the set of its character bigrams (``grams``): a query's bigrams pick the candidate bulletins in
SQL, its hits are counted in their folded text, and ``find`` locates the first hits in the original text (a term
matching with spaces between its characters), so the results do not depend on the database's own text search.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

SNIPPET_CONTEXT = 40  # characters shown on each side of a hit
_WIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}  # full-width ASCII, ideographic space
_SPACE = re.compile(r"\s+")


def _lowered(text: str) -> str:
    """Full-width ASCII as ASCII, lower case, one character for each of ``text``'s."""
    low = text.translate(_WIDTH).lower()
    if len(low) != len(text):  # a character whose lower case is longer ("İ"): keep one for one
        low = "".join(ch.translate(_WIDTH).lower()[:1] for ch in text)
    return low


def folded_text(text: str) -> str:
    """The text as search reads it: what the store keeps, counts hits in and takes bigrams of."""
    return _SPACE.sub("", _lowered(text))


def grams(folded: str) -> set[str]:
    """The character bigrams of a folded text (one character when the text has only one)."""
    if len(folded) == 1:
        return {folded}
    return {folded[i:i + 2] for i in range(len(folded) - 1)}


def terms(query: str) -> list[str]:
    """The query's terms (separated by spaces), folded, each once, the longest first."""
    found = {folded_text(term) for term in query.split()}
    return sorted((t for t in found if t), key=lambda t: (-len(t), t))


def query_grams(term: str) -> set[str]:
    """What a bulletin's ``grams`` must all hold for it to contain ``term`` (empty for a one-character term,
    which the bigrams cannot select: every bulletin is a candidate and ``find`` decides)."""
    return {term[i:i + 2] for i in range(len(term) - 1)}


@dataclass(frozen=True)
class Hit:
    """One occurrence of a term: ``start``/``end`` are code-point offsets into the original text."""

    term: str
    start: int
    end: int
    before: str  # the original text just before the hit, the hit itself and just after it (for a snippet,
    matched: str  # each with its runs of spaces and line breaks shown as one space)
    after: str

    @property
    def snippet(self) -> str:
        return f"{self.before}{self.matched}{self.after}"


def find(text: str, query: str, limit: int = 20) -> list[Hit]:
    """The first hits of every term of ``query`` in ``text`` by position (at most ``limit``); none unless every
    term occurs (the terms are ANDed). A term matches with spaces and line breaks between its characters, as it
    does in the folded text, and the match's offsets are the original text's."""
    low = _lowered(text)
    hits: list[Hit] = []
    for term in terms(query):
        pattern = re.compile(r"\s*".join(map(re.escape, term)))
        found = list(itertools.islice(pattern.finditer(low), limit))
        if not found:
            return []
        for m in found:
            start, end = m.span()
            low_start, high_end = max(0, start - SNIPPET_CONTEXT), min(len(text), end + SNIPPET_CONTEXT)
            hits.append(Hit(term, start, end, _plain(text[low_start:start]), _plain(text[start:end]),
                            _plain(text[end:high_end])))
    hits.sort(key=lambda h: (h.start, h.end))
    return hits[:limit]


def count(folded: str, query: str) -> int:
    """How many hits ``query`` has in a ``folded`` text (0 unless every term occurs)."""
    numbers = [folded.count(term) for term in terms(query)]
    return sum(numbers) if numbers and all(numbers) else 0


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text)

"""The indicator formula language: a small grammar, parsed into a tree (never ``eval``).

Two layers, because ratios must roll up as Σnumerator/Σdenominator:

* aggregate expressions (what an indicator is): numbers, ``sum(row where cond)``, ``count(where cond)``,
  a bare element (short for ``sum(element)``), another indicator's code, ``yoy(aggregate)``, + - * /;
* row expressions (inside ``sum``): numbers, elements, + - * — no division, so a ratio is always
  taken after summing;
* conditions (after ``where``): comparisons of row expressions, qualification flags valid at
  period end (``high_tech``), ``and`` / ``or`` / ``not``.

Example: ``sum(revenue where high_tech) / revenue * 100``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from hizone.errors import CatalogError

# --- the tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Name:
    """An element, an indicator or a flag; which one is settled when the formula is checked."""

    name: str
    column: int


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node
    text: str  # the source of the right operand, to name a zero denominator at run time


@dataclass(frozen=True)
class Sum:
    row: Node
    where: Cond | None


@dataclass(frozen=True)
class Count:
    where: Cond | None


@dataclass(frozen=True)
class Yoy:
    operand: Node
    text: str


@dataclass(frozen=True)
class Compare:
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: Node
    right: Node


@dataclass(frozen=True)
class Flag:
    name: str
    column: int


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    left: Cond
    right: Cond


@dataclass(frozen=True)
class Not:
    operand: Cond


Node = Num | Name | Neg | BinOp | Sum | Count | Yoy
Cond = Compare | Flag | BoolOp | Not

# --- tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op><=|>=|==|!=|[-+*/(),<>]))")
KEYWORDS = {"where", "and", "or", "not"}
FUNCTIONS = {"sum", "count", "yoy"}


@dataclass(frozen=True)
class Token:
    kind: Literal["num", "name", "op", "end"]
    text: str
    column: int  # 1-based, within the formula


class FormulaError(CatalogError):
    """A formula that does not parse or check; ``where`` names the file, line and column."""


def tokenize(source: str, where: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if not match:
            bad = source[position:].lstrip()[:1]
            column = len(source) - len(source[position:].lstrip()) + 1
            raise FormulaError(f"unexpected character {bad!r} at column {column}", where=where)
        kind = match.lastgroup
        assert kind is not None
        tokens.append(Token(kind, match.group(kind), match.start(kind) + 1))  # type: ignore[arg-type]
        position = match.end()
    tokens.append(Token("end", "", len(source) + 1))
    return tokens


# --- parser ---------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str, where: str) -> None:
        self.source = source
        self.where = where
        self.tokens = tokenize(source, where)
        self.index = 0

    def fail(self, reason: str, token: Token | None = None) -> FormulaError:
        token = token or self.peek()
        shown = repr(token.text) if token.kind != "end" else "the end"
        return FormulaError(f"{reason} at column {token.column} (found {shown}) in '{self.source}'",
                            where=self.where)

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token.kind in ("op", "name") and token.text == text:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise self.fail(f"expected '{text}'")

    def parse(self) -> Node:
        node = self.expression()
        if self.peek().kind != "end":
            raise self.fail("unexpected token")
        return node

    def expression(self) -> Node:
        node = self.term()
        while self.peek().text in ("+", "-") and self.peek().kind == "op":
            op = self.take().text
            start = self.peek().column
            right = self.term()
            node = BinOp(op, node, right, self._text_since(start))  # type: ignore[arg-type]
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek().text in ("*", "/") and self.peek().kind == "op":
            op = self.take().text
            start = self.peek().column
            right = self.unary()
            node = BinOp(op, node, right, self._text_since(start))  # type: ignore[arg-type]
        return node

    def _text_since(self, column: int) -> str:
        end = self.tokens[self.index - 1]
        return self.source[column - 1:end.column - 1 + len(end.text)].strip()

    def unary(self) -> Node:
        if self.peek().kind == "op" and self.peek().text == "-":
            self.take()
            return Neg(self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "num":
            return Num(float(token.text))
        if token.kind == "op" and token.text == "(":
            node = self.expression()
            self.expect(")")
            return node
        if token.kind == "name" and token.text not in KEYWORDS:
            if self.peek().text == "(" and self.peek().kind == "op":
                return self.call(token)
            return Name(token.text, token.column)
        raise self.fail("expected a number, a name or '('", token)

    def call(self, function: Token) -> Node:
        if function.text not in FUNCTIONS:
            raise self.fail(f"unknown function '{function.text}' (known: {', '.join(sorted(FUNCTIONS))})",
                            function)
        self.expect("(")
        if function.text == "count":
            where = self.condition() if self.accept("where") else None
            self.expect(")")
            return Count(where)
        start = self.peek().column
        if function.text == "yoy":
            operand = self.expression()
            text = self._text_since(start)
            self.expect(")")
            return Yoy(operand, text)
        row = self.expression()
        where = self.condition() if self.accept("where") else None
        self.expect(")")
        return Sum(row, where)

    def condition(self) -> Cond:
        node = self.conjunction()
        while self.accept("or"):
            node = BoolOp("or", node, self.conjunction())
        return node

    def conjunction(self) -> Cond:
        node = self.negation()
        while self.accept("and"):
            node = BoolOp("and", node, self.negation())
        return node

    def negation(self) -> Cond:
        if self.accept("not"):
            return Not(self.negation())
        # A parenthesis may open a condition or an arithmetic operand; try the condition first.
        if self.peek().kind == "op" and self.peek().text == "(":
            saved = self.index
            self.take()
            try:
                inner = self.condition()
                self.expect(")")
                return inner
            except FormulaError:
                self.index = saved
        token = self.peek()
        if token.kind == "name" and token.text not in KEYWORDS and self._is_bare_flag():
            self.take()
            return Flag(token.text, token.column)
        left = self.expression()
        op = self.peek()
        if op.kind != "op" or op.text not in ("<", "<=", ">", ">=", "==", "!="):
            raise self.fail("expected a comparison (<, <=, >, >=, ==, !=)")
        self.take()
        return Compare(op.text, left, self.expression())  # type: ignore[arg-type]

    def _is_bare_flag(self) -> bool:
        following = self.tokens[self.index + 1]
        return following.kind == "end" or following.text in (")", "and", "or")


def parse(source: str, where: str) -> Node:
    """The tree of ``source``; a FormulaError naming ``where`` and the column otherwise."""
    if not source.strip():
        raise FormulaError("empty formula", where=where)
    return _Parser(source, where).parse()

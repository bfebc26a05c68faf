"""Checks a parsed formula against its form and compiles it to portable SQL (DuckDB and Spark SQL).

An indicator becomes a scalar expression over *atoms*: additive aggregates (sums and counts over
the rows of one fact table). Atoms add up, so the same scalar expression evaluated on the atoms of
a zone, a province or the nation is Σnumerator/Σdenominator at every level.

Atoms come from four sides:
  ``a`` — the fact rows of the period;                       ``r`` — the fact rows of the year before;
  ``c``/``p`` — this year / last year over the *comparable* rows: entities that reported in both.
``yoy(x)`` reads ``c``/``p`` on the comparable basis and ``a``/``r`` on the raw basis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from hizone.analytics.formula import (
    BinOp,
    BoolOp,
    Compare,
    Cond,
    Count,
    Flag,
    FormulaError,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Sum,
    Yoy,
)

Sign = Literal["pos", "nonneg", "any"]
Basis = Literal["comparable", "raw"]
BASES: tuple[Basis, ...] = ("comparable", "raw")


@dataclass(frozen=True)
class Col:
    """An element's column in a fact row."""

    name: str


@dataclass(frozen=True)
class FlagCol:
    """A qualification flag's column (valid at period end)."""

    name: str


@dataclass(frozen=True)
class RowNeg:
    operand: RowNode


@dataclass(frozen=True)
class RowBinOp:
    op: Literal["+", "-", "*"]
    left: RowNode
    right: RowNode


RowNode = Num | Col | RowNeg | RowBinOp
CondNode = Compare | FlagCol | BoolOp | Not


@dataclass(frozen=True)
class Atom:
    """An additive aggregate: ``sum(row where cond)`` or ``count(where cond)`` (row is None)."""

    row: RowNode | None
    where: CondNode | None


def element_column(code: str) -> str:
    """The fact-table column of an element (prefixed, so no element code collides with an SQL keyword)."""
    return f"e_{code}"


def flag_column(kind: str) -> str:
    return f"q_{kind}"


def _number(value: float) -> str:
    # An explicit DOUBLE: a bare 1.0 is a DECIMAL in both DuckDB and Spark, which would change the arithmetic.
    return f"CAST({float(value)!r} AS DOUBLE)"


def render_row(node: RowNode | CondNode, column: Callable[[str], str]) -> str:
    """SQL for a row expression or condition; ``column`` maps an element or flag to its column."""
    match node:
        case Num(value):
            return _number(value)
        case Col(name):
            return column(element_column(name))
        case FlagCol(name):
            return column(flag_column(name))
        case RowNeg(operand):
            return f"(-{render_row(operand, column)})"
        case RowBinOp(op, left, right):
            return f"({render_row(left, column)} {op} {render_row(right, column)})"
        case Compare(op, left, right):
            sql_op = "=" if op == "==" else "<>" if op == "!=" else op
            return f"({render_row(left, column)} {sql_op} {render_row(right, column)})"  # type: ignore[arg-type]
        case BoolOp(op, left, right):
            return f"({render_row(left, column)} {op.upper()} {render_row(right, column)})"  # type: ignore[arg-type]
        case Not(operand):
            return f"(NOT {render_row(operand, column)})"  # type: ignore[arg-type]
    raise TypeError(f"not a row node: {node!r}")


def render_atom(atom: Atom, column: Callable[[str], str]) -> str:
    """The aggregate SQL of an atom over rows whose columns ``column`` names."""
    where = render_row(atom.where, column) if atom.where is not None else None
    if atom.row is None:
        one, zero = _number(1), _number(0)
        body = one if where is None else f"CASE WHEN {where} THEN {one} ELSE {zero} END"
        return f"SUM({body})"
    value = render_row(atom.row, column)
    if where is None:
        return f"SUM({value})"
    return f"SUM(CASE WHEN {where} THEN {value} ELSE {_number(0)} END)"


@dataclass
class AtomRegistry:
    """The atoms of every indicator over one fact table, numbered once so they are computed once."""

    atoms: list[Atom] = field(default_factory=list)
    _index: dict[Atom, int] = field(default_factory=dict)

    def add(self, atom: Atom) -> int:
        if atom not in self._index:
            self._index[atom] = len(self.atoms)
            self.atoms.append(atom)
        return self._index[atom]


@dataclass(frozen=True)
class Guard:
    """A condition under which the value is null, and the reason to give."""

    condition: str
    reason: str


@dataclass(frozen=True)
class Scalar:
    """A compiled aggregate expression for one basis: SQL over atom columns, its sign, guards."""

    sql: str
    sign: Sign
    constant: float | None
    guards: tuple[Guard, ...]


@dataclass(frozen=True)
class CompiledIndicator:
    code: str
    value_sql: dict[Basis, str]
    reason_sql: dict[Basis, str]
    uses_yoy: bool
    atoms: tuple[int, ...]  # indices in the registry that this indicator reads
    yoy_atoms: tuple[int, ...] = ()  # those it also needs on the comparable basis (inside yoy)


@dataclass(frozen=True)
class Scope:
    """What names mean in one form: its elements (with their lower bounds) and qualification flags."""

    elements: Mapping[str, float | None]  # code -> min (None: may be negative)
    flags: frozenset[str]
    indicators: Mapping[str, Node]  # code -> parsed formula, same form and period type


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Compiler:
    """Compiles the formulas of one fact table's indicators into SQL over a shared atom registry."""

    def __init__(self, scope: Scope, registry: AtomRegistry | None = None) -> None:
        self.scope = scope
        self.registry = registry or AtomRegistry()

    def compile(self, code: str, formula: Node, where: str) -> CompiledIndicator:
        self._where = where
        self._used: set[int] = set()
        self._yoy_used: set[int] = set()
        self._uses_yoy = False
        values: dict[Basis, str] = {}
        reasons: dict[Basis, str] = {}
        for basis in BASES:
            scalar = self._aggregate(formula, basis, side="a", in_yoy=False, stack=(code,))
            values[basis] = scalar.sql
            whens = " ".join(f"WHEN {g.condition} THEN {_sql_text(g.reason)}" for g in scalar.guards)
            reasons[basis] = f"CASE {whens} WHEN ({scalar.sql}) IS NULL THEN 'no data' ELSE NULL END"
        return CompiledIndicator(code, values, reasons, self._uses_yoy, tuple(sorted(self._used)),
                                 tuple(sorted(self._yoy_used)))

    def check(self, code: str, formula: Node, where: str) -> Sign:
        """Check ``formula`` (names, nesting, denominators) and return its sign; registers atoms."""
        self._where = where
        self._used = set()
        self._yoy_used = set()
        self._uses_yoy = False
        return self._aggregate(formula, "comparable", side="a", in_yoy=False, stack=(code,)).sign

    def _fail(self, reason: str, column: int | None = None) -> FormulaError:
        at = f" at column {column}" if column else ""
        return FormulaError(f"{reason}{at}", where=self._where)

    # -- aggregate layer -----------------------------------------------------------------------

    def _aggregate(self, node: Node, basis: Basis, side: str, in_yoy: bool, stack: tuple[str, ...]) -> Scalar:
        match node:
            case Num(value):
                return Scalar(_number(value), "pos" if value > 0 else "nonneg" if value == 0 else "any",
                              value, ())
            case Name(name, column):
                return self._name(name, column, basis, side, in_yoy, stack)
            case Sum() | Count():
                return self._atom(node, side)
            case Neg(operand):
                inner = self._aggregate(operand, basis, side, in_yoy, stack)
                constant = -inner.constant if inner.constant is not None else None
                return Scalar(f"(-{inner.sql})", "any", constant, inner.guards)
            case BinOp():
                return self._binop(node, basis, side, in_yoy, stack)
            case Yoy(operand, text):
                return self._yoy(operand, text, basis, in_yoy, stack)
        raise self._fail(f"unsupported expression {node!r}")

    def _name(self, name: str, column: int, basis: Basis, side: str, in_yoy: bool,
              stack: tuple[str, ...]) -> Scalar:
        if name in self.scope.indicators:
            if name in stack:
                cycle = " -> ".join((*stack[stack.index(name):], name))
                raise self._fail(f"indicators refer to each other in a cycle: {cycle}", column)
            return self._aggregate(self.scope.indicators[name], basis, side, in_yoy, (*stack, name))
        if name in self.scope.elements:
            return self._atom(Sum(Name(name, column), None), side)
        if name in self.scope.flags:
            raise self._fail(f"'{name}' is a qualification flag; count it with count(where {name})", column)
        raise self._fail(f"unknown name '{name}' (not an element of this form, an indicator or a flag)",
                         column)

    def _atom(self, node: Sum | Count, side: str) -> Scalar:
        if isinstance(node, Count):
            atom = Atom(None, self._cond(node.where) if node.where is not None else None)
            sign: Sign = "nonneg"
        else:
            row, sign = self._row(node.row)
            atom = Atom(row, self._cond(node.where) if node.where is not None else None)
        index = self.registry.add(atom)
        self._used.add(index)
        if side in ("c", "p"):
            self._yoy_used.add(index)
        return Scalar(f"{side}{index}", sign, None, ())

    def _binop(self, node: BinOp, basis: Basis, side: str, in_yoy: bool, stack: tuple[str, ...]) -> Scalar:
        left = self._aggregate(node.left, basis, side, in_yoy, stack)
        right = self._aggregate(node.right, basis, side, in_yoy, stack)
        guards = left.guards + right.guards
        constant = _fold(node.op, left.constant, right.constant)
        if node.op == "/":
            if right.constant == 0:
                raise self._fail(f"division by zero: '{node.text}' is always 0")
            if right.sign == "any":
                raise self._fail(f"division by '{node.text}', which may be zero or change sign; divide by a "
                                 "non-negative measure (a sum, a count or a positive number)")
            sql = f"(CASE WHEN {right.sql} = 0 THEN NULL ELSE {left.sql} / {right.sql} END)"
            if right.constant is None:
                guards = (*guards, Guard(f"{right.sql} = 0", f"division by zero: {node.text} is 0"))
            return Scalar(sql, _div_sign(left.sign, right.sign), constant, guards)
        sql = f"({left.sql} {node.op} {right.sql})"
        return Scalar(sql, _sign(node.op, left.sign, right.sign), constant, guards)

    def _yoy(self, operand: Node, text: str, basis: Basis, in_yoy: bool, stack: tuple[str, ...]) -> Scalar:
        if in_yoy:
            raise self._fail(f"yoy() inside yoy(): '{text}'")
        self._uses_yoy = True
        current_side, previous_side = ("c", "p") if basis == "comparable" else ("a", "r")
        current = self._aggregate(operand, basis, current_side, True, stack)
        previous = self._aggregate(operand, basis, previous_side, True, stack)
        sql = (f"(CASE WHEN {previous.sql} IS NULL OR {previous.sql} = 0 THEN NULL "
               f"ELSE {current.sql} / {previous.sql} - {_number(1)} END)")
        guards = (*current.guards, *previous.guards,
                  Guard(f"{previous.sql} IS NULL", f"no data for {text} in the previous year"),
                  Guard(f"{previous.sql} = 0", f"previous year's {text} is 0"))
        return Scalar(sql, "any", None, guards)

    # -- row layer -----------------------------------------------------------------------------

    def _row(self, node: Node) -> tuple[RowNode, Sign]:
        match node:
            case Num(value):
                return Num(value), "pos" if value > 0 else "nonneg" if value == 0 else "any"
            case Name(name, column):
                if name in self.scope.elements:
                    low = self.scope.elements[name]
                    sign: Sign = "any" if low is None or low < 0 else "pos" if low > 0 else "nonneg"
                    return Col(name), sign
                if name in self.scope.indicators:
                    raise self._fail(f"indicator '{name}' inside sum(): sum elements, then combine", column)
                raise self._fail(f"unknown element '{name}' in this form", column)
            case Neg(operand):
                inner, _ = self._row(operand)
                return RowNeg(inner), "any"
            case BinOp(op, left, right, text):
                if op == "/":
                    raise self._fail(f"division inside sum() ('/ {text}'): sum numerator and denominator "
                                     "separately and divide the sums")
                left_row, left_sign = self._row(left)
                right_row, right_sign = self._row(right)
                return RowBinOp(op, left_row, right_row), _sign(op, left_sign, right_sign)
            case Sum() | Count() | Yoy():
                raise self._fail("aggregates cannot be nested inside sum()")
        raise self._fail(f"unsupported row expression {node!r}")

    def _cond(self, node: Cond) -> CondNode:
        match node:
            case Flag(name, column):
                if name in self.scope.flags:
                    return FlagCol(name)
                raise self._fail(f"unknown qualification flag '{name}' (known: "
                                 f"{', '.join(sorted(self.scope.flags)) or 'none for this form'})", column)
            case Compare(op, left, right):
                return Compare(op, self._row(left)[0], self._row(right)[0])  # type: ignore[arg-type]
            case BoolOp(op, left, right):
                return BoolOp(op, self._cond(left), self._cond(right))  # type: ignore[arg-type]
            case Not(operand):
                return Not(self._cond(operand))  # type: ignore[arg-type]
        raise self._fail(f"unsupported condition {node!r}")


def _fold(op: str, left: float | None, right: float | None) -> float | None:
    if left is None or right is None:
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    return left / right if right else None


def _sign(op: str, left: Sign, right: Sign) -> Sign:
    if op == "-" or "any" in (left, right):
        return "any"
    if op == "+":
        return "pos" if "pos" in (left, right) else "nonneg"
    return "pos" if left == right == "pos" else "nonneg"


def _div_sign(left: Sign, right: Sign) -> Sign:
    return "any" if "any" in (left, right) else "pos" if left == right == "pos" else "nonneg"

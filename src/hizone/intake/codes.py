"""Whole-column checks of 统一社会信用代码 (GB 32100-2015), the same rule as registry.validate_credit_code."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from hizone.registry.credit_code import ALPHABET, WEIGHTS

_LOOKUP = np.full(128, -1, dtype=np.int8)  # code point -> value; -1 outside the alphabet (DEL, 127, included)
for _i, _ch in enumerate(ALPHABET):
    _LOOKUP[ord(_ch)] = _i
_WEIGHTS = np.asarray(WEIGHTS, dtype=np.int32)


class CodeProblem(IntEnum):
    OK = 0
    LENGTH = 1
    CHARACTER = 2
    SHAPE = 3
    CHECK = 4


REASONS = {
    CodeProblem.LENGTH: ("长度应为18位", "must have 18 characters"),
    CodeProblem.CHARACTER: ("含有不允许的字符（I、O、S、V、Z及符号）", "has a character that is not allowed "
                            "(I, O, S, V, Z or a symbol)"),
    CodeProblem.SHAPE: ("第1位不能为0，第3–8位应为行政区划代码", "position 1 cannot be 0 and positions 3–8 must "
                        "be a division code"),
    CodeProblem.CHECK: ("校验码错误，应为“{expected}”", "fails the GB 32100 check: last character should be "
                        "'{expected}'"),
}


def credit_code_problems(codes: Sequence[str] | npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.int8],
                                                                                npt.NDArray[np.str_]]:
    """(problem per code, expected check character per code) for upper-cased, stripped codes."""
    array = np.asarray(codes, dtype=np.str_)
    problems = np.zeros(len(array), dtype=np.int8)
    expected = np.full(len(array), "", dtype="<U1")
    if len(array) == 0:
        return problems, expected
    lengths = np.strings.str_len(array)
    problems[lengths != 18] = CodeProblem.LENGTH
    full = np.flatnonzero(lengths == 18)
    if len(full) == 0:
        return problems, expected
    points = array[full].astype("<U18").view(np.uint32).reshape(-1, 18)
    values = _LOOKUP[np.minimum(points, 127)]  # small integer types throughout: 200,000 codes in ~10 ms
    bad_char = (values < 0).any(axis=1)
    shape = (values[:, 0] == 0) | (values[:, 2:8] > 9).any(axis=1)
    check = (31 - (values[:, :17].astype(np.int32) @ _WEIGHTS) % 31) % 31
    wrong_check = values[:, 17] != check
    alphabet = np.asarray(list(ALPHABET))
    problems[full[wrong_check]] = CodeProblem.CHECK
    expected[full] = alphabet[check]
    problems[full[shape]] = CodeProblem.SHAPE
    problems[full[bad_char]] = CodeProblem.CHARACTER
    return problems, expected

"""The digits predicate every reader of user input shares."""

from __future__ import annotations

import pytest

from hizone.text import ascii_digits


@pytest.mark.parametrize(("text", "expected"), [("0", True), ("2023", True), ("", False), ("²", False),
                                                ("①", False), ("٣", False), ("１２", False), ("1.5", False),
                                                ("-1", False), (" 1", False)])
def test_only_ascii_digits_count(text: str, expected: bool) -> None:
    assert ascii_digits(text) is expected
    if expected:
        assert int(text) == float(text)
    elif text and text.isdigit():  # what str.isdigit() lets through and int() may refuse
        assert not text.isascii()

"""Predicates on text from users, shared by every reader."""

from __future__ import annotations


def ascii_digits(text: str) -> bool:
    """Only the digits 0-9, at least one: ``str.isdigit()`` also accepts '²', '①' and other digits that int()
    and float() refuse."""
    return text.isascii() and text.isdigit()

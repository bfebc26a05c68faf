"""统一社会信用代码 (unified social credit code), GB 32100-2015: format and check character."""

from __future__ import annotations

import re

from hizone.errors import RegistryError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_SHAPE = re.compile(r"^[1-9A-HJ-NP-RTUWXY][0-9A-HJ-NP-RTUWXY]\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def check_character(first17: str) -> str:
    """The 18th character for the first 17: 31 − (Σ value·weight mod 31), with 31 written as 0."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str, where: str | None = None) -> str:
    """The code upper-cased and stripped, or a RegistryError saying what is wrong with it."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise RegistryError(f"credit code '{raw}' has {len(code)} characters, expected 18", where=where)
    if not _SHAPE.match(code):
        bad = next((ch for ch in code if ch not in _VALUE), None)
        reason = f"character '{bad}' is not allowed" if bad else "positions 3–8 must be a division code"
        raise RegistryError(f"credit code '{raw}': {reason}", where=where)
    expected = check_character(code[:17])
    if code[17] != expected:
        raise RegistryError(f"credit code '{raw}' fails the GB 32100 check: last character should be "
                            f"'{expected}'", where=where)
    return code

"""The ladder's figures as text and tables: what an enterprise is missing in words, the 后备库 and the bulk
screening as Tables (one set of rows for the page, the .xlsx/.csv export and the command line)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from hizone.ladder.reserve import Candidate
from hizone.ladder.selfcheck import Shortfall
from hizone.ladder.service import SelfCheck
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, Table

WAN = 10_000
MONEY = ("rd", "hitech_revenue", "revenue")
SCORES = ("score_max", "score_min")


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.4g}%"


def shortfall_text(found: Shortfall, lang: str) -> str:
    """"38万元 more R&D would reach 4%": money in 万元 rounded up (a little more, never a little short)."""
    amount, value = found.more, f"{float(found.value):g}"
    if found.quantity in MONEY:
        shown = f"{math.ceil(amount / WAN * 100) / 100:g}"
        threshold = f"{float(found.threshold):.4g}" if found.quantity == "revenue" else _percent(found.threshold)
    elif found.quantity == "rd_domestic" or found.quantity in SCORES:
        shown, threshold = f"{float(amount):g}", f"{float(found.threshold):g}"
        threshold += "%" if found.quantity == "rd_domestic" else ""
    else:
        shown, threshold = str(amount), _percent(found.threshold)
    return translate(f"ladder.more.{found.quantity}", lang, amount=shown, threshold=threshold, value=value)


RESERVE_COLUMNS = ("zone_code", "credit_code", "stage", "failed", "missing", "unchecked")


def reserve_table(candidates: Sequence[Candidate], year: int, lang: str) -> Table:
    """One row per enterprise and rung it is near: what fails, what is missing in words, what to confirm."""
    columns = [Column(key, translate(f"ladder.reserve.{key}", lang)) for key in RESERVE_COLUMNS]
    rows: list[dict[str, object]] = [
        {"zone_code": c.zone_code, "credit_code": c.credit_code, "stage": translate(f"ladder.stage.{c.stage}", lang),
         "failed": ";".join(c.failed), "missing": "；".join(shortfall_text(s, lang) for s in c.missing),
         "unchecked": "; ".join(c.unchecked)} for c in candidates]
    return Table(f"reserve-{year}", columns, rows)


SCREENING_COLUMNS = (("credit_code", "text"), ("sme_score", "number"), ("sme_eligible", "text"),
                     ("hte_verdict", "text"), ("hte_failed", "text"), ("hte_rd_ratio", "number"),
                     ("hte_rd_threshold", "number"), ("hte_score_min", "number"), ("hte_score_max", "number"),
                     ("missing", "text"), ("unchecked", "text"))


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _eligible(value: bool | None, lang: str) -> str:
    return translate(f"ladder.eligible.{'none' if value is None else str(value).lower()}", lang)


def screening_table(checks: Sequence[SelfCheck], year: int, lang: str) -> Table:
    """One row per enterprise: the 科技型中小企业 score and verdict, the 高企 verdict, failed hard criteria, R&D
    ratio against its threshold (in %), score range, what is missing in words and what could not be checked."""
    columns = [Column(key, translate(f"ladder.screening.{key}", lang), kind)  # type: ignore[arg-type]
               for key, kind in SCREENING_COLUMNS]
    rows: list[dict[str, object]] = []
    for check in checks:
        sme, hte = check.assessment.tech_sme, check.assessment.hightech
        rows.append({
            "credit_code": check.credit_code, "sme_score": _float(sme.score),
            "sme_eligible": _eligible(sme.eligible, lang),
            "hte_verdict": translate(f"ladder.verdict.{hte.verdict.value}", lang),
            "hte_failed": ";".join(hte.failed),
            "hte_rd_ratio": None if hte.rd_ratio is None else float(hte.rd_ratio * 100),
            "hte_rd_threshold": None if hte.rd_threshold is None else float(hte.rd_threshold * 100),
            "hte_score_min": _float(hte.score_min), "hte_score_max": _float(hte.score_max),
            "missing": "；".join(shortfall_text(s, lang) for s in check.shortfalls),
            "unchecked": "; ".join(f"{u.criterion} ({u.why})" for u in check.assessment.unchecked)})
    return Table(f"screening-{year}", columns, rows)

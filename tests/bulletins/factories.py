"""Bulletins and facts built by hand, for the tests of what stands on the extractor."""

from __future__ import annotations

import datetime as dt
import hashlib

from hizone.bulletins.model import Bulletin, Fact

TEXT = ("火炬动态 2022年第8期\n"
        "深圳高新区高质量发展\n截至2021年底，深圳高新区拥有高新技术企业5450家。2021年，园区企业营业收\n入突破1.2万亿元。\n"
        "（供稿：深圳高新区）\n"
        "天津滨海高新区\n2021年，天津滨海高新区企业营业收入突破5200亿元，同比增长12.9%。\n（供稿：天津滨海高新区）\n")


def bulletin(text: str = TEXT, file: str = "issue8.txt", issue: str = "2022年第8期",
             issue_date: dt.date | None = dt.date(2022, 8, 20)) -> Bulletin:
    return Bulletin(file, hashlib.sha256(text.encode()).hexdigest(), text, issue, issue_date)


def fact_at(b: Bulletin, quote: str, subject: str, metric: str, value: float, unit: str, period: str,
            qualifier: str = "", subject_name: str = "") -> Fact:
    start = b.text.index(quote)
    return Fact(b.file, start, start + len(quote), subject, subject_name or subject, metric, value, unit, period,
                qualifier, quote)


def facts(b: Bulletin) -> list[Fact]:
    return [
        fact_at(b, "截至2021年底，深圳高新区拥有高新技术企业5450家。", "Z4403",
                "high_tech_enterprise_count", 5450, "家", "2021-12-31", subject_name="深圳高新区"),
        fact_at(b, "2021年，园区企业营业收\n入突破1.2万亿元。", "Z4403", "revenue", 1.2e12, "元", "2021", "超过",
                subject_name="深圳高新区"),
        fact_at(b, "2021年，天津滨海高新区企业营业收入突破5200亿元，同比增长12.9%。", "Z1201", "revenue", 5.2e11, "元",
                "2021", "超过", subject_name="天津滨海高新区"),
    ]

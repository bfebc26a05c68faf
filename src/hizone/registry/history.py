"""An enterprise's dated history (``enterprise_version``): which version holds in a period, and the versions
as a page or the API lists them.

A period belongs to the zone of the version valid on its last day: an enterprise that moved on 1 January
2023 reports its 2022 figures for its old zone and its 2023 figures for the new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression, Text, case, cast, func, or_, select
from sqlalchemy.orm import Session

from hizone.store.models import Enterprise, EnterpriseVersion, Zone


def period_end_text(period: SQLColumnExpression[str]) -> ColumnElement[str]:
    """The last day of a period ("2023" or "2023-04") as ISO text for comparing with dates as text. A month
    ends on its "31st": no date lies between a month's true last day and it, so comparisons come out the same."""
    return case((func.length(period) == 4, period.concat("-12-31")), else_=period.concat("-31"))


def valid_on(end: ColumnElement[str]) -> ColumnElement[bool]:
    """The condition that a version holds on the day ``end`` (ISO text): from ``valid_from`` to the day before
    ``valid_to``."""
    version = EnterpriseVersion
    return (cast(version.valid_from, Text) <= end) & or_(version.valid_to.is_(None),
                                                         cast(version.valid_to, Text) > end)


@dataclass(frozen=True)
class Version:
    """One dated version as a page shows it (``valid_to``: the next version's first day; None while current)."""

    valid_from: dt.date
    valid_to: dt.date | None
    name: str
    zone_code: str
    zone_name: str
    industry_code: str | None
    founded: dt.date | None
    source: str
    source_row: int | None
    recorded_by: str
    recorded_at: dt.datetime


def history(session: Session, enterprise_id: int) -> list[Version]:
    """The enterprise's versions, newest first. They name its own zones only: a viewer who may read the
    enterprise may read its registrations, which carry no figure of any zone."""
    version = EnterpriseVersion
    rows = session.execute(
        select(version.valid_from, version.valid_to, version.name, version.zone_code, Zone.name_zh,
               version.industry_code, version.founded, version.source, version.source_row, version.recorded_by,
               version.recorded_at)
        .join(Zone, Zone.code == version.zone_code).where(version.enterprise_id == enterprise_id)
        .order_by(version.valid_from.desc(), version.id.desc()))
    return [Version(*row) for row in rows]


def enterprise_id(session: Session, credit_code: str) -> int | None:
    return session.scalar(select(Enterprise.id).where(Enterprise.credit_code == credit_code))

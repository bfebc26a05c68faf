"""The demo's national totals two ways: the roll-up, and plain SQL over the enterprise rows in the store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.registry import load_provinces, load_zones
from hizone.store.models import Submission


@pytest.fixture
def demo_analytics(engine: Engine, tmp_path: Path) -> tuple[Engine, Analytics]:
    load(engine, generate(default_catalog(), load_provinces(), load_zones(), enterprises=2000, seed=5),
         default_catalog())
    build(engine, tmp_path / "analytics.duckdb")
    return engine, Analytics(tmp_path / "analytics.duckdb")


def direct_totals(engine: Engine, element: str) -> dict[str, Decimal]:
    """Σ element per year straight from the approved enterprise submissions, in exact decimals."""
    totals: dict[str, Decimal] = {}
    stmt = select(Submission).where(Submission.form_code == "enterprise_annual", Submission.state == "approved")
    with Session(engine) as session:
        for row in session.scalars(stmt):
            values = row.values
            if values.get(element) is not None:
                totals[row.period] = totals.get(row.period, Decimal(0)) + Decimal(str(values[element]))
    return totals


@pytest.mark.parametrize(("indicator", "element"), [("revenue_total", "revenue"), ("taxes_paid_total", "taxes_paid"),
                                                    ("employees_total", "employees")])
def test_roll_up_and_direct_sql_agree_to_the_yuan(demo_analytics: tuple[Engine, Analytics], indicator: str,
                                                   element: str) -> None:
    engine, analytics = demo_analytics
    direct = direct_totals(engine, element)
    rolled = {v.period: v.value for v in analytics.values([indicator], "nation", ["CN"])}
    assert sorted(rolled) == sorted(direct) and len(direct) == 5
    for period, total in direct.items():
        # Values are in 千元: half a yuan is 0.0005.
        assert abs(Decimal(str(rolled[period])) - total) < Decimal("0.0005"), period
    # The provinces add up to the nation too.
    provinces = analytics.values([indicator], "province", periods=["2023"])
    assert abs(Decimal(str(sum(v.value or 0 for v in provinces))) - direct["2023"]) < Decimal("0.0005")

"""The demo's incubation chain against the national 2021 figures (中国创业孵化发展报告2022) at the demo's scale:
a demo of 3,000 enterprises is 3,000 / 200,000 = 1.5% of the programme, so it holds round(15,253 × 0.015) = 229
carriers, round(6,227 × 0.015) = 93 incubators of which round(1,287 × 0.015) = 19 national, round(2,551 × 0.015)
= 38 国家备案 众创空间, round(244,000 × 0.015) = 3,660 enterprises in incubation and 3,240 graduated. The
众创空间 are the rest, 229 − 93 = 136 (9,026 × 0.015 = 135.4: the total is kept, not each rounding)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.catalog import default_catalog
from hizone.demo.generate import generate
from hizone.demo.incubation import targets
from hizone.demo.load import load
from hizone.incubation.engine import Stay, overlapping
from hizone.incubation.service import graduates_path, summary
from hizone.registry.tables import load_provinces, load_zones
from hizone.store import session_scope
from hizone.store.models import Carrier, Incubatee


def test_demo_totals_land_on_the_national_2021_figures(engine: Engine) -> None:
    demo = generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=11)
    assert demo.scale == 0.015
    assert targets(demo.scale) == {"carriers": 229, "incubators": 93, "incubators_national": 19,
                                   "maker_spaces": 135, "maker_spaces_filed": 38, "in_incubation": 3660,
                                   "graduated": 3240}
    counts = load(engine, demo, default_catalog())
    assert counts["incubation carriers"] == 229
    found = summary(engine, Principal.of("demo"), today=dt.date(2021, 12, 31))
    assert (found["carriers"], found["by_kind"]) == (229, {"众创空间": 136, "孵化器": 93})
    assert (found["by_level"]["国家级"], found["by_level"]["国家备案"]) == (19, 38)
    assert (found["in_incubation"], found["graduated"]) == (3660, 3240)
    with session_scope(engine) as session:
        assert all(c.synthetic and c.name.endswith("（合成）") for c in session.query(Carrier))
        stays = [Stay(i.credit_code, str(i.carrier_id), i.entry, i.graduated, 1) for i in session.query(Incubatee)]
    assert overlapping(stays) == []  # the demo passes its own check
    # graduates linked to demo enterprises: some became 高企 afterwards, so the ladder path is not empty
    assert sum(p["high_tech"] for p in graduates_path(engine, Principal.of("demo")).values()) > 0

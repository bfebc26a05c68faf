"""Roll-up as SQL: atoms per zone, summed into every group a zone belongs to, then the indicators.

Pure SQL generation (no connection): the same steps run on DuckDB and on Spark SQL. A plan is a list
of (name, select) steps; each step may read the tables of the steps before it.

Tables a plan expects:
  the fact table (one row per entity and period: ``entity_key, zone_code, period, prev_period`` and
  ``e_<element>`` / ``q_<flag>`` columns) and, for groups, ``membership(zone_code, grp_level, grp_key)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from hizone.analytics.compiler import AtomRegistry, CompiledIndicator, render_atom

Mode = Literal["groups", "entities"]
LEVELS = ("zone", "province", "region", "demo_zone", "cluster", "nation")
NATION_KEY = "CN"


@dataclass(frozen=True)
class Step:
    name: str
    sql: str


def _atoms(registry: AtomRegistry, prefix: str, alias: str | None, only: Sequence[int] | None = None
           ) -> list[str]:
    def column(name: str) -> str:
        return f"{alias}.{name}" if alias else name
    wanted = range(len(registry.atoms)) if only is None else only
    return [f"{render_atom(registry.atoms[i], column)} AS {prefix}{i}" for i in wanted]


def plan(fact: str, registry: AtomRegistry, indicators: Sequence[CompiledIndicator], mode: Mode,
         tag: str, entity_filter: str | None = None, current: str | None = None,
         previous: str | None = None) -> list[Step]:
    """Steps ending in ``{tag}_values``: one row per (grp_level, grp_key, period, indicator).

    ``current``: the rows of ``fact`` whose periods are wanted (all when None; ``fact`` then holds the year
    before them as well): only they are compared with the year before. ``previous``: where the comparable
    basis finds an entity's row of the year before (``fact`` when None), for a ``fact`` of some units only."""
    unit = "zone_code" if mode == "groups" else "entity_key"
    where = f" WHERE {entity_filter}" if entity_filter else ""
    count = len(registry.atoms)
    a_cols = ", ".join(f"a{i}" for i in range(count))
    steps = [Step(f"{tag}_unit", f"SELECT {unit} AS unit, period, prev_period, "
                                 f"{', '.join(_atoms(registry, 'a', None))} FROM {fact}{where} "
                                 f"GROUP BY {unit}, period, prev_period")]
    uses_yoy = any(ind.uses_yoy for ind in indicators)
    # Only the atoms read inside yoy() are needed on the comparable basis (the self-join is the costly part).
    compared = sorted({i for ind in indicators for i in ind.yoy_atoms})
    if uses_yoy:
        # Comparable basis: only entities that reported in both the period and the one a year before.
        cmp_where = f" WHERE {entity_filter.replace('entity_key', 'c.entity_key')}" if entity_filter else ""
        steps.append(Step(f"{tag}_unit_cmp",
                          f"SELECT c.{unit} AS unit, c.period AS period, "
                          f"{', '.join(_atoms(registry, 'c', 'c', compared) + _atoms(registry, 'p', 'p', compared))} "
                          f"FROM {current or fact} c JOIN {previous or fact} p ON p.entity_key = c.entity_key "
                          f"AND p.period = c.prev_period{cmp_where} GROUP BY c.{unit}, c.period"))
    k_cols = ", ".join([f"c{i}" for i in compared] + [f"p{i}" for i in compared])
    if mode == "groups":
        sums = ", ".join(f"SUM(u.a{i}) AS a{i}" for i in range(count))
        steps.append(Step(f"{tag}_grp", f"SELECT m.grp_level, m.grp_key, u.period, u.prev_period, {sums} "
                                        f"FROM {tag}_unit u JOIN membership m ON m.zone_code = u.unit "
                                        "GROUP BY m.grp_level, m.grp_key, u.period, u.prev_period"))
        if uses_yoy:
            cmp_sums = ", ".join([f"SUM(u.c{i}) AS c{i}" for i in compared]
                                 + [f"SUM(u.p{i}) AS p{i}" for i in compared])
            steps.append(Step(f"{tag}_grp_cmp", f"SELECT m.grp_level, m.grp_key, u.period, {cmp_sums} "
                                                f"FROM {tag}_unit_cmp u JOIN membership m "
                                                "ON m.zone_code = u.unit GROUP BY m.grp_level, m.grp_key, u.period"))
    else:
        steps.append(Step(f"{tag}_grp", f"SELECT 'enterprise' AS grp_level, unit AS grp_key, period, "
                                        f"prev_period, {a_cols} FROM {tag}_unit"))
        if uses_yoy:
            steps.append(Step(f"{tag}_grp_cmp", f"SELECT 'enterprise' AS grp_level, unit AS grp_key, period, "
                                                f"{k_cols} FROM {tag}_unit_cmp"))
    steps.append(Step(f"{tag}_wide", _wide(tag, count, indicators, compared if uses_yoy else None)))
    steps.append(Step(f"{tag}_values", _long(tag, indicators)))
    return steps


def _wide(tag: str, count: int, indicators: Sequence[CompiledIndicator], compared: Sequence[int] | None) -> str:
    columns = []
    for ind in indicators:
        columns.append(f"{ind.value_sql['comparable']} AS v_{ind.code}")
        columns.append(f"{ind.reason_sql['comparable']} AS why_{ind.code}")
        raw = ind.value_sql["raw"] if ind.uses_yoy else "CAST(NULL AS DOUBLE)"
        columns.append(f"{raw} AS raw_{ind.code}")
    r_cols = ", ".join(f"a{i} AS r{i}" for i in range(count))
    joins = (f" LEFT JOIN (SELECT grp_level AS r_level, grp_key AS r_key, period AS r_period, {r_cols} "
             f"FROM {tag}_grp) r ON r.r_level = g.grp_level AND r.r_key = g.grp_key AND r.r_period = g.prev_period")
    if compared is not None:
        k_cols = ", ".join([f"c{i}" for i in compared] + [f"p{i}" for i in compared])
        joins += (f" LEFT JOIN (SELECT grp_level AS k_level, grp_key AS k_key, period AS k_period, {k_cols} "
                  f"FROM {tag}_grp_cmp) k ON k.k_level = g.grp_level AND k.k_key = g.grp_key "
                  "AND k.k_period = g.period")
    return f"SELECT g.grp_level, g.grp_key, g.period, {', '.join(columns)} FROM {tag}_grp g{joins}"


def _long(tag: str, indicators: Sequence[CompiledIndicator]) -> str:
    parts = [f"SELECT grp_level, grp_key, period, '{ind.code}' AS indicator, v_{ind.code} AS value, "
             f"raw_{ind.code} AS value_raw, why_{ind.code} AS reason FROM {tag}_wide" for ind in indicators]
    return " UNION ALL ".join(parts)

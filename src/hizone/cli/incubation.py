"""`hizone incubation import-carriers|import-levels|import-incubatees|check|grades|chain`: the incubation chain's
registry from lists, a carrier's self-check, the year's grades and a zone's chain (optionally as .xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hizone.cli.common import acting_user, command_group, console, open_configured_store, user_errors
from hizone.cli.registry import FileArgument, ProvinceOption, RoleOption, SheetOption, UserOption, ZoneOption

incubation_app = command_group("The incubation chain: carriers, their levels and incubatees, self-checks, grades.")


def _print(lines: list[str]) -> None:
    for line in lines:
        console(highlight=False, soft_wrap=True).print(line)


@incubation_app.command("import-carriers")
@user_errors
def import_carriers_command(file: FileArgument, user: UserOption = "cli", role: RoleOption = "admin",
                            zone: ZoneOption = None, province: ProvinceOption = None,
                            sheet: SheetOption = None) -> None:
    """Register carriers (载体代码, 载体名称, 载体类型; 综合或专业, 专业领域, 高新区代码 or 省份代码, 级别 with its
    认定日期, 运营主体, 地址, 经度/纬度, 成立年份): all of the file or nothing."""
    from hizone.incubation.registry import import_carriers

    _print(import_carriers(open_configured_store(), file, acting_user(user, role, zone, province),
                           sheet=sheet).describe())


@incubation_app.command("import-levels")
@user_errors
def import_levels_command(file: FileArgument, user: UserOption = "cli", role: RoleOption = "admin",
                          zone: ZoneOption = None, province: ProvinceOption = None,
                          sheet: SheetOption = None) -> None:
    """Record level events of a published list (载体代码, 级别, 事项 认定/复核/撤销, 日期, 文号)."""
    from hizone.incubation.registry import import_levels

    _print(import_levels(open_configured_store(), file, acting_user(user, role, zone, province),
                         sheet=sheet).describe())


@incubation_app.command("import-incubatees")
@user_errors
def import_incubatees_command(file: FileArgument, user: UserOption = "cli", role: RoleOption = "admin",
                              zone: ZoneOption = None, province: ProvinceOption = None,
                              sheet: SheetOption = None) -> None:
    """Record enterprises in incubation (载体代码, 统一社会信用代码, 入孵日期; 毕业日期 with 毕业条件, 专业领域):
    an enterprise in two carriers at once, or graduating before entry, refuses the file."""
    from hizone.incubation.registry import import_incubatees

    _print(import_incubatees(open_configured_store(), file, acting_user(user, role, zone, province),
                             sheet=sheet).describe())


@incubation_app.command("check")
@user_errors
def check_command(carrier: Annotated[str, typer.Argument(help="the carrier's code")]) -> None:
    """A carrier's self-check against the 2018 national-level conditions, on its latest annual report."""
    from hizone.auth.policy import Principal
    from hizone.incubation.service import profile

    p = profile(open_configured_store(), Principal.of("cli"), carrier)
    lines = [f"{p.carrier.code} {p.carrier.name} ({p.carrier.kind}, {p.carrier.focus}) levels: "
             f"{', '.join(p.carrier.levels) or '-'}; in incubation {p.carrier.in_incubation}, graduated "
             f"{p.carrier.graduated}, beyond 48 months {p.carrier.overdue}"]
    if not p.checks:
        lines.append("no annual report to check")
    lines += [f"{c.code}: {'-' if c.value is None else f'{c.value:g}'} (≥ {c.threshold:g}) "
              f"{'met' if c.passed else 'not known' if c.passed is None else 'NOT met'}" for c in p.checks]
    if p.grade:
        lines.append(f"grade {p.report_year}: {p.grade.grade} (score {p.grade.score:.1f}, stability "
                     f"{p.grade.stability:.0%})")
    _print(lines)


@incubation_app.command("grades")
@user_errors
def grades_command(year: Annotated[int, typer.Option(min=2000, max=2100, help="the report year")]) -> None:
    """Every incubator's score and grade A–D for a year (综合 and 专业 scored apart, graded by the 2021 shares)."""
    from hizone.auth.policy import Principal
    from hizone.incubation.service import grades_for

    found = grades_for(open_configured_store(), Principal.of("cli"), str(year))
    _print([f"{code}: {g.grade} (score {g.score:.1f}, stability {g.stability:.0%})" for code, g in
            sorted(found.items(), key=lambda kv: -kv[1].score)] or [f"no approved incubator reports for {year}"])


@incubation_app.command("chain")
@user_errors
def chain_command(zone: Annotated[str | None, typer.Option(help="a zone code (default: the nation)")] = None,
                  xlsx: Annotated[Path | None, typer.Option(help="also write the carriers and the chain (.xlsx)")]
                  = None) -> None:
    """A zone's chain 众创空间 → 孵化器 → 加速器 → 大学科技园: carriers, national-level ones, in incubation,
    graduated, beyond 48 months, graduates that became 高企."""
    from hizone.auth.policy import Principal
    from hizone.incubation.service import chain, list_carriers
    from hizone.web.services.incubation import carriers_table, chain_table
    from hizone.web.services.tables import to_xlsx

    engine, principal = open_configured_store(), Principal.of("cli")
    funnel = chain(engine, principal, zone)
    _print([f"{s['kind']}: carriers {s['carriers']}, national {s['national']}, in incubation "
            f"{s['in_incubation']}, graduated {s['graduated']}, beyond 48 months {s['overdue']}, became 高企 "
            f"{s['became_high_tech']}" for s in funnel.stages])
    if xlsx is not None:
        rows = list_carriers(engine, principal, zone=zone)
        xlsx.write_bytes(to_xlsx(carriers_table(rows, "zh"), f"孵化链条 {funnel.key}", any(
            r.synthetic for r in rows), (chain_table(funnel, "zh"),)))
        _print([f"written to {xlsx}"])

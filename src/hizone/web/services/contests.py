"""Contests as the pages, the API and the exports show them: tables of entries, scores and results."""

from __future__ import annotations

from sqlalchemy import Engine

from hizone.auth.policy import Principal, can_run_contests
from hizone.contests import service
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, Table


def _synthetic(engine: Engine, edition: str) -> bool:
    return any(e.synthetic for e in service.editions(engine) if e.key == edition)


def entries_table(engine: Engine, principal: Principal, edition: str, lang: str) -> Table:
    """The entries the principal may see, with their eligibility and the reasons."""
    t = lambda key: translate(f"contests.{key}", lang)  # noqa: E731
    columns = [Column("code", t("code"), "link"), Column("name", t("name")), Column("zone", t("zone")),
               Column("field", t("field")), Column("group", t("group")), Column("stage", t("stage")),
               Column("eligible", t("eligible")), Column("reasons", t("reasons")), Column("rank", t("rank"), "int"),
               Column("award", t("award"))]
    if can_run_contests(principal):
        columns.append(Column("judges", t("judges")))
    rows: list[dict[str, object]] = [
        {"code": e.code, "code_href": f"/contests/{edition}/entries/{e.code}", "name": e.name, "zone": e.zone_code,
         "field": e.field, "group": e.group,
         "stage": e.stage, "eligible": t("yes") if e.eligible else t("no"), "reasons": "；".join(e.reasons) or None,
         "rank": e.rank, "award": e.award, "judges": ", ".join(e.judges) or None}
        for e in service.entries(engine, principal, edition)]
    return Table("entries", columns, rows)


def results_table(engine: Engine, principal: Principal, edition: str, stage: str, count: int | None, lang: str
                  ) -> tuple[Table, bool]:
    """A stage's ranking recomputed from the stored scores, and whether the edition is synthetic."""
    t = lambda key: translate(f"contests.{key}", lang)  # noqa: E731
    made = service.decision(engine, principal, edition, stage, count)
    shown = {e.code: e for e in service.entries(engine, principal, edition)}
    columns = [Column("rank", t("rank"), "int"), Column("code", t("code")), Column("name", t("name")),
               Column("zone", t("zone")), Column("field", t("field")), Column("raw_mean", t("raw_mean"), "number"),
               Column("value", t("value"), "number"), Column("advances", t("advances")),
               Column("refused", t("refused"))]
    rows: list[dict[str, object]] = [
        {"rank": r.rank, "code": r.entry, "name": shown[r.entry].name, "zone": shown[r.entry].zone_code,
         "field": shown[r.entry].field, "raw_mean": round(r.raw_mean, 4), "value": round(r.value, 4),
         "advances": t("yes") if r.advances else t("no"), "refused": "；".join(made.refused.get(r.entry, ())) or None}
        for r in made.results]
    return Table("results", columns, rows), _synthetic(engine, edition)

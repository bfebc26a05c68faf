"""Contests as the pages, the API and the exports show them: tables of entries, scores and results."""

from __future__ import annotations

from sqlalchemy import Engine

from hizone.analytics.read import Reader
from hizone.auth.policy import Principal, can_run_contests
from hizone.contests import service, tracking
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


def tracking_tables(engine: Engine, reader: Reader, principal: Principal, edition: str, until: int | None,
                    lang: str) -> tuple[Table, Table, bool]:
    """The follow-up of an edition's entrants (of the principal's scope) as two tables, the cohorts (winners,
    others, by field, by zone) and each entrant with its financing and where that figure came from; financing
    in 万元 as users read it (the form's 千元 / 10)."""
    t = lambda key: translate(f"contests.{key}", lang)  # noqa: E731
    made = service.track(engine, reader, principal, edition, until)
    kinds = tracking.TRACKED
    columns = [Column("cohort", t("cohort")), Column("label", t("label")), Column("entrants", t("entrants"), "int"),
               Column("winners", t("winners"), "int"),
               *(Column(f"became_{k}", t(f"became_{k}"), "number") for k in kinds),
               Column("financed", t("financed"), "number"), Column("financing_raised", t("financing_raised"), "number"),
               Column("source_form", t("source_form"), "int"), Column("source_incubation", t("source_incubation"),
                                                                       "int"),
               Column("source_none", t("source_none"), "int"),
               Column("revenue_growth", t("revenue_growth"), "number"), Column("rd_growth", t("rd_growth"), "number")]

    def cohort_row(kind: str, c: tracking.Cohort) -> dict[str, object]:
        label = t(c.label) if c.label in ("winners", "others") else c.label
        return {"cohort": t(kind), "label": label, "entrants": c.entrants, "winners": c.winners,
                **{f"became_{k}": round(c.became[k], 4) for k in kinds}, "financed": round(c.financed, 4),
                "financing_raised": round(c.financing_raised / 10, 1),
                **{f"source_{s}": c.sources.get(s, 0) for s in ("form", "incubation", "none")},
                "revenue_growth": None if c.median_revenue_growth is None else round(c.median_revenue_growth, 4),
                "rd_growth": None if c.median_rd_growth is None else round(c.median_rd_growth, 4)}

    rows = [cohort_row("cohorts", made.winners), cohort_row("cohorts", made.others),
            *(cohort_row("by_field", c) for c in made.by_field), *(cohort_row("by_zone", c) for c in made.by_zone)]
    cohorts = Table("tracking", columns, rows)
    entrant_columns = [Column("code", t("code")), Column("credit_code", t("credit_code")), Column("zone", t("zone")),
                       Column("field", t("field")), Column("winner", t("winners")), Column("became", t("became")),
                       Column("financing_raised", t("financing_raised"), "number"),
                       Column("financing_source", t("financing_sources")), Column("last_year", t("last_year"), "int"),
                       Column("revenue_growth", t("revenue_growth"), "number"),
                       Column("rd_growth", t("rd_growth"), "number")]
    entrants = Table("entrants", entrant_columns, [
        {"code": o.entry, "credit_code": o.credit_code, "zone": o.zone_code, "field": o.field,
         "winner": t("yes") if o.winner else t("no"), "became": "、".join(t(f"became_{k}") for k in o.became) or None,
         "financing_raised": None if o.financing_raised is None else round(o.financing_raised / 10, 1),
         "financing_source": t(f"source_{o.financing_source or 'none'}"), "last_year": o.last_year,
         "revenue_growth": None if o.revenue_growth is None else round(o.revenue_growth, 4),
         "rd_growth": None if o.rd_growth is None else round(o.rd_growth, 4)} for o in made.outcomes])
    return cohorts, entrants, _synthetic(engine, edition)

"""企业名录 behind the pages and the API: enterprise lists and published qualification lists uploaded, read in
intake's worker and stored by the same functions as `hizone registry import-enterprises / import-list`."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hizone.auth import Principal
from hizone.intake.readers import Limits
from hizone.intake.worker import read_in_worker
from hizone.registry.enterprises import EnterpriseImport, import_enterprises, known_enterprises
from hizone.registry.lists import ListImport, ReviewItem, import_list, list_kinds
from hizone.registry.sheets import Reader
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, Table

UPLOAD_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".csv")
ROWS_ON_PAGE = 200
TABLES = ("outcome", "review")


def list_options() -> list[tuple[str, str, str]]:
    """(--kind spelling, Chinese name, English name) of every kind with a published list, in catalog order."""
    seen: dict[str, tuple[str, str, str]] = {}
    for kind in list_kinds().values():
        if kind.list_spec is not None:
            seen.setdefault(kind.code, (kind.list_spec.option, kind.name_zh, kind.name_en))
    return list(seen.values())


def _reader(limits: Limits) -> Reader:
    """intake's worker, under the upload limits: the web process never parses a user's bytes itself."""
    return functools.partial(read_in_worker, limits=limits)


@dataclass
class RegistryUpload:
    """One uploaded list and what became of it, kept for its uploader (the page's tables and their exports)."""

    owner: str
    name: str
    enterprises: EnterpriseImport | None = None
    listing: ListImport | None = None
    names: dict[str, str] = field(default_factory=dict)  # credit code -> registered name, for the outcome table


def upload_enterprises(engine: Engine, principal: Principal, data: bytes, name: str,
                       limits: Limits) -> RegistryUpload:
    result = import_enterprises(engine, data, principal, name=name, read=_reader(limits))
    return RegistryUpload(principal.username, result.source_name, enterprises=result,
                          names=_names(engine, [*result.registered, *(code for code, _ in result.updated)]))


def upload_list(engine: Engine, principal: Principal, data: bytes, name: str, kind: str, year: int | None,
                limits: Limits) -> RegistryUpload:
    result = import_list(engine, data, kind, principal, year=year, name=name, read=_reader(limits))
    return RegistryUpload(principal.username, result.source_name, listing=result,
                          names=_names(engine, [*result.stored, *result.updated]))


def _names(engine: Engine, codes: list[str]) -> dict[str, str]:
    with Session(engine) as session:
        return {code: known.name for code, known in known_enterprises(session, codes).items()}


def summary(upload: RegistryUpload, lang: str) -> str:
    """What the upload did, in the page's language."""
    if upload.enterprises is not None:
        ent = upload.enterprises
        return translate("registry.summary.enterprises", lang, file=upload.name, registered=len(ent.registered),
                         updated=len(ent.updated), unchanged=len(ent.unchanged))
    assert upload.listing is not None
    lst = upload.listing
    return translate("registry.summary.list", lang, file=upload.name,
                     kind=lst.kind.name_en if lang == "en" else lst.kind.name_zh, stored=len(lst.stored),
                     updated=len(lst.updated), unchanged=len(lst.unchanged), review=len(lst.review))


def outcome_table(upload: RegistryUpload, lang: str) -> Table:
    """Enterprises registered or updated, or qualifications added or updated (the unchanged are only counted)."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("credit_code", t("registry.credit_code")), Column("name", t("registry.name")),
               Column("outcome", t("registry.outcome")), Column("changes", t("registry.changes"))]
    rows: list[dict[str, object]] = []
    if upload.enterprises is not None:
        ent = upload.enterprises
        rows += [{"credit_code": code, "name": upload.names.get(code), "outcome": t("registry.registered")}
                 for code in ent.registered]
        rows += [{"credit_code": code, "name": upload.names.get(code), "outcome": t("registry.updated"),
                  "changes": "; ".join(f"{c.field}: {c.old} → {c.new}" for c in changes)}
                 for code, changes in ent.updated]
    if upload.listing is not None:
        lst = upload.listing
        rows += [{"credit_code": code, "name": upload.names.get(code), "outcome": t("registry.added")}
                 for code in lst.stored]
        rows += [{"credit_code": code, "name": upload.names.get(code), "outcome": t("registry.updated")}
                 for code in lst.updated]
    return Table("outcome", columns, rows)


def review_table(upload: RegistryUpload, lang: str) -> Table:
    """The rows of a list not stored, for a person to decide: never matched by a guess."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("file", t("report.file")), Column("row", t("report.row"), "int"),
               Column("list_name", t("registry.list_name")), Column("credit_code", t("registry.credit_code")),
               Column("registered_name", t("registry.registered_name")), Column("reason", t("registry.reason")),
               Column("proposed_credit_code", t("registry.proposal"))]
    items: list[ReviewItem] = upload.listing.review if upload.listing is not None else []
    rows: list[dict[str, object]] = [
        {"file": upload.name, "row": item.row, "list_name": item.name or None, "credit_code": item.credit_code or None,
         "registered_name": item.registered_name or None, "reason": item.reason,
         "proposed_credit_code": item.proposed_credit_code or None} for item in items]
    return Table("review", columns, rows)


def table(upload: RegistryUpload, name: str, lang: str) -> Table:
    return outcome_table(upload, lang) if name == "outcome" else review_table(upload, lang)


def shown(table: Table) -> Table:
    """The first ROWS_ON_PAGE rows (the exports hold all)."""
    return Table(table.name, table.columns, table.rows[:ROWS_ON_PAGE])

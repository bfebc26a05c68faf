"""The audit log (the submissions' change events and the account and registry entries) and the user list,
as admins see them: tables the pages show and the exports write."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from hizone.store.changes import AuditEntry, AuditFilter, audit_count, audit_entries
from hizone.store.models import User
from hizone.web.i18n import translate
from hizone.web.services.enterprises import Page
from hizone.web.services.tables import Column, Table, check_export_size

AUDIT_PAGE_SIZE = 50


def _audit_columns(lang: str) -> list[Column]:
    return [Column("id", "#", "int"), Column("at", translate("audit.at", lang)),
            Column("actor", translate("audit.actor", lang)), Column("action", translate("audit.action", lang)),
            Column("object", translate("audit.object", lang)), Column("detail", translate("audit.detail", lang))]


def _audit_row(entry: AuditEntry) -> dict[str, object]:
    return {"id": entry.id, "at": entry.at.strftime("%Y-%m-%d %H:%M:%S"), "actor": entry.actor,
            "action": entry.action, "object": f"{entry.object_kind}:{entry.object_id}",
            "detail": json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)}


def _audit_table(session: Session, lang: str, wanted: AuditFilter, offset: int, limit: int) -> Table:
    entries = audit_entries(session.connection(), wanted, offset=offset, limit=limit)
    return Table("audit", _audit_columns(lang), [_audit_row(entry) for entry in entries])


def audit_page(session: Session, lang: str, page: int, actor: str | None = None,
               action: str | None = None) -> tuple[Table, Page]:
    """One page of the log (newest first) as a table, and the pager's numbers."""
    wanted = AuditFilter(actor=actor, action=action)
    table = _audit_table(session, lang, wanted, (page - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE)
    return table, Page(table.rows, audit_count(session.connection(), wanted), page, AUDIT_PAGE_SIZE)


def audit_export(session: Session, lang: str, actor: str | None = None, action: str | None = None) -> Table:
    """Every entry the filters select (newest first), as the pages show them one page at a time."""
    wanted = AuditFilter(actor=actor, action=action)
    total = audit_count(session.connection(), wanted)
    check_export_size(total, "entries", "filter by actor or action", where="actor")
    return _audit_table(session, lang, wanted, 0, total)


def users_table(session: Session, lang: str) -> Table:
    columns = [Column("username", translate("login.username", lang)), Column("role", translate("users.role", lang)),
               Column("province", translate("users.province_code", lang)),
               Column("zone", translate("users.zone_code", lang)),
               Column("credit_code", translate("ent.credit_code", lang)),
               Column("email", translate("users.email", lang)),
               Column("status", translate("users.status", lang)), Column("created", translate("users.created", lang))]
    rows: list[dict[str, object]] = [
        {"username": u.username, "role": translate(f"role.{u.role}", lang), "province": u.province_code,
         "zone": u.zone_code, "credit_code": u.credit_code, "email": u.email,
         "status": translate("users.active" if u.active else "users.inactive", lang),
         "created": u.created_at.strftime("%Y-%m-%d"), "is_active": u.active}
        for u in session.scalars(select(User).order_by(User.username))]
    return Table("users", columns, rows)

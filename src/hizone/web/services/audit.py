"""The audit log and the user list, as admins see them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hizone.store.models import AuditLog, User
from hizone.web.services.enterprises import Page


def audit_page(session: Session, page: int, size: int = 50, actor: str | None = None,
               action: str | None = None) -> Page:
    query = select(AuditLog)
    if actor:
        query = query.where(AuditLog.actor == actor)
    if action:
        query = query.where(AuditLog.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditLog.id.desc()).offset((page - 1) * size).limit(size))
    items: list[dict[str, object]] = [
        {"id": r.id, "at": r.at.strftime("%Y-%m-%d %H:%M:%S"), "actor": r.actor, "action": r.action,
         "object": f"{r.object_kind}:{r.object_id}", "detail": r.detail} for r in rows]
    return Page(items, int(total), page, size)


def users(session: Session) -> list[dict[str, object]]:
    return [{"username": u.username, "role": u.role, "province": u.province_code, "zone": u.zone_code,
             "credit_code": u.credit_code, "active": u.active, "created": u.created_at.strftime("%Y-%m-%d")}
            for u in session.scalars(select(User).order_by(User.username))]

"""In-app notices: a user's own messages (reminders' in-app copies), newest first, and marking them read.

Every function takes the user's id: no query here reads another user's notices.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Engine, ScalarSelect, bindparam, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hizone.store.models import Notice, utcnow

NOTICES_SHOWN = 100


def unread_of(user_id: ColumnElement[Any] | InstrumentedAttribute[int]) -> ScalarSelect[int]:
    """How many of the user's notices are unread, as a subquery (a page's session read counts them along)."""
    return select(func.count()).select_from(Notice).where(Notice.user_id == user_id,
                                                          Notice.read_at.is_(None)).scalar_subquery()


# Built once: every page's header asks (constructing the statement cost more than running it).
_UNREAD = select(unread_of(bindparam("user")))


def unread_count(engine: Engine, user_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(_UNREAD, {"user": user_id}) or 0)


def notices_of(engine: Engine, user_id: int, limit: int = NOTICES_SHOWN) -> list[Notice]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(Notice).where(Notice.user_id == user_id)
                                    .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)))


def mark_read(engine: Engine, user_id: int, notice_id: int | None = None) -> int:
    """Mark one of the user's notices read (or all of them without ``notice_id``); how many changed. Another
    user's notice is not found (0), as if it did not exist."""
    query = update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    if notice_id is not None:
        query = query.where(Notice.id == notice_id)
    with engine.begin() as conn:
        return int(conn.execute(query.values(read_at=utcnow())).rowcount)

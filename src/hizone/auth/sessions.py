"""Server-side sessions and login unlock tokens: random secrets handed out once, only their SHA-256 stored.

A session lives until its row is deleted (logout, log out everywhere, deactivation, a password reset) or its
cookie's signed age runs out. An unlock token (mailed to the user) is good for one login within its lifetime.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, delete, select, true, update
from sqlalchemy.orm import Session

from hizone.auth.policy import Principal
from hizone.store import session_scope
from hizone.store.models import UnlockToken, User, WebSession
from hizone.store.notices import unread_of


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: Engine, user_id: int, max_age_seconds: int) -> str:
    """A new session for the user (their sessions older than ``max_age_seconds`` are swept on the way)."""
    token = secrets.token_urlsafe(32)
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=max_age_seconds)
    with session_scope(engine) as session:
        session.execute(delete(WebSession).where(WebSession.user_id == user_id, WebSession.created_at < stale))
        session.add(WebSession(user_id=user_id, token_sha256=digest(token)))
    return token


# Every page request asks this: built once, so a request pays for the query, not for building it.
_SESSION_USER = (select(User.id, User.username, User.role, User.province_code, User.zone_code, User.credit_code)
                 .join(WebSession, WebSession.user_id == User.id)
                 .where(WebSession.token_sha256 == bindparam("digest"), User.active))


def session_principal(session: Session | Connection, token: str) -> Principal | None:
    """The active user whose session this is, or None (logged out, ended everywhere, or deactivated)."""
    user = session.execute(_SESSION_USER, {"digest": digest(token)}).first()
    return None if user is None else _principal(*user)


class SessionWith:
    """:func:`session_principal`, the user's unread notices (the page header's badge) and the one row of ``also``
    read in the same statement: a page's session and the data version it is shown at cost the server one round
    trip, not three. The statement is built once: building it (and SQLAlchemy's cache key of it) cost ten times
    what running it does on SQLite."""

    def __init__(self, also: Select[Any]) -> None:
        user = _SESSION_USER.add_columns(unread_of(User.id).label("unread")).subquery("session_user")
        extra = also.subquery("also")
        self._query = select(extra, user).select_from(extra.outerjoin(user, true()))
        self._width = len(also.selected_columns)

    def __call__(self, conn: Connection, token: str,
                 params: Mapping[str, object] | None = None) -> tuple[Principal | None, int, tuple[object, ...]]:
        """(the session's principal or None, its unread notices, the row of ``also`` with ``params`` bound)."""
        row = conn.execute(self._query, {**(params or {}), "digest": digest(token)}).one()
        found = tuple(row[self._width:])
        if found[0] is None:
            return None, 0, tuple(row[:self._width])
        return _principal(*found[:-1]), int(found[-1] or 0), tuple(row[:self._width])


def _principal(user_id: int, username: str, role: str, province_code: str | None, zone_code: str | None,
               credit_code: str | None) -> Principal:
    return Principal(username=username, role=role, province_code=province_code, zone_code=zone_code,
                     credit_code=credit_code, user_id=user_id)


def close_session(engine: Engine, token: str) -> None:
    with session_scope(engine) as session:
        session.execute(delete(WebSession).where(WebSession.token_sha256 == digest(token)))


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def issue_unlock(session: Session, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    session.add(UnlockToken(user_id=user_id, token_sha256=digest(token)))
    return token


def unlock_user(session: Session, token: str, max_age_seconds: int) -> str | None:
    """The username an unused, unexpired unlock token belongs to (None otherwise); it is not used up."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=max_age_seconds)
    return session.scalar(select(User.username).join(UnlockToken, UnlockToken.user_id == User.id)
                          .where(UnlockToken.token_sha256 == digest(token), UnlockToken.used_at.is_(None),
                                 UnlockToken.created_at > since, User.active))


def use_unlock(session: Session, token: str) -> bool:
    """Mark the token used; False when it already was (two logins racing on one link: only one wins)."""
    done = session.execute(update(UnlockToken).where(UnlockToken.token_sha256 == digest(token),
                                                     UnlockToken.used_at.is_(None))
                           .values(used_at=dt.datetime.now(dt.UTC)))
    return bool(getattr(done, "rowcount", 0))

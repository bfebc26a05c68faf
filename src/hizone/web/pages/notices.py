"""通知: the caller's own in-app notices (reminders), newest first, and marking them read."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from hizone.auth import Principal
from hizone.store.notices import mark_read, notices_of
from hizone.web import security
from hizone.web.pages.common import see_other
from hizone.web.rendering import render

router = APIRouter(include_in_schema=False)


def _user_id(principal: Principal) -> int:
    if principal.user_id is None:  # a logged-in caller always has one; a guard, not a path
        raise HTTPException(status_code=404, detail="no notices")
    return principal.user_id


@router.get("/notices")
def notices(request: Request, principal: security.LoggedIn) -> Response:
    found = notices_of(request.app.state.engine, _user_id(principal))
    return render(request, "notices.html", {"notices": found})


@router.post("/notices/read")
def read(request: Request, principal: security.LoggedIn,
         notice_id: str = Form("", pattern=r"^\d{0,12}$")) -> Response:
    """Mark one notice read (or, without ``notice_id``, all of them); another user's is not found."""
    changed = mark_read(request.app.state.engine, _user_id(principal), int(notice_id) if notice_id else None)
    if notice_id and not changed:
        raise HTTPException(status_code=404, detail=f"no unread notice '{notice_id}' of yours")
    return see_other("/notices")

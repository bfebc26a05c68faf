"""The API's interactive documentation (Swagger UI), served from the vendored copy in static/vendor."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hizone.web import security
from hizone.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/api/docs")
def api_docs(request: Request, _: security.Public) -> Response:
    return render(request, "docs.html", {"openapi_url": request.app.openapi_url})

"""The web surface: server-rendered pages and the REST API (FastAPI + Jinja2 + HTMX)."""

from hizone.web.app import create_app

__all__ = ["create_app"]

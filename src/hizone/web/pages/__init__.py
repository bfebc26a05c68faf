"""Server-rendered pages (Jinja2 + HTMX): each module is one router."""

"""Page rendering: Jinja2 templates with the language, the caller, the CSRF token and the data banner."""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from hizone.analytics.read import ReadCache, Reader
from hizone.auth import Principal, can_query_analytic_tables
from hizone.store.notices import unread_count
from hizone.web.i18n import translate
from hizone.web.services.tables import Suppressed, format_amount, format_cell

TEMPLATES = Path(__file__).parent / "templates"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    # The templates are package files: checking each one's modification time on every page is wasted work.
    templates.env.auto_reload = False
    templates.env.globals["format_cell"] = format_cell
    templates.env.globals["can_query_analytic_tables"] = can_query_analytic_tables  # the SQL page's nav link
    templates.env.filters["num"] = lambda v, d=2: "—" if v is None else str(v) if isinstance(v, Suppressed) \
        else f"{v:,.{d}f}"
    templates.env.filters["pct"] = lambda v: "—" if v is None else str(v) if isinstance(v, Suppressed) \
        else f"{v:+.1f}%"
    templates.env.filters["amount"] = pass_context(
        lambda ctx, v, unit, base=1.0: format_amount(v, translate(f"unit.{unit}", ctx["lang"]), ctx["lang"], base))
    templates.env.filters["urlquote"] = lambda v: quote(str(v), safe="")
    templates.env.filters["choice"] = choice_label
    return templates


def choice_label(value: object, choices: Sequence[tuple[str, str, str]], lang: str) -> str:
    """A coded field's value with its label from the code list ((code, zh, en) each), e.g. "3 小型"; a value that
    is no code of the list (or a field without one) as it is."""
    text = str(value) if value is not None else ""
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    label = next(((zh if lang != "en" else en) for code, zh, en in choices if code == text), None)
    return f"{text} {label}" if label else text


def principal_of(request: Request) -> Principal:
    caller = getattr(request.state, "caller", None)
    return caller.principal if caller is not None else Principal.public()


def current_figures(request: Request) -> Reader:
    """The analytics reader for this request (probed once per request, however many parts ask)."""
    found = getattr(request.state, "figures", None)
    if isinstance(found, Reader):
        return found
    cache: ReadCache = request.app.state.figures
    figures = cache.get(getattr(request.state, "data_version", None))  # read with the caller's session
    request.state.figures = figures
    return figures


class FragmentCache:
    """Rendered page content by (template, data version, language, parameters): pages that many people open
    with the same parameters are rendered once per data change. Keys must name everything the content
    depends on, including the caller's scope when it decides what is shown."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple[object, ...], str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get_or_render(self, key: tuple[object, ...], make: Callable[[], str]) -> str:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        html = make()
        with self._lock:
            self._items[key] = html
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return html


def render_cached(request: Request, fragment: str, key: tuple[object, ...], title: Callable[[], str],
                  build: Callable[[], dict[str, Any]]) -> HTMLResponse:
    """The page of ``fragments/<fragment>`` inside the shell; ``build`` runs only on a cache miss."""
    lang = getattr(request.state, "lang", "zh")
    app = request.app
    version = current_figures(request).version

    def make() -> str:
        context = {"lang": lang, "t": lambda k, **kw: translate(k, lang, **kw), **build()}
        return app.state.templates.get_template(f"fragments/{fragment}").render(context)

    content = app.state.fragments.get_or_render((fragment, version, lang, *key), make)
    return render(request, "shell.html", {"content": content, "page_title": title()})


def _unread_notices(request: Request) -> int:
    """The caller's unread notices, for the header; 0 when the store cannot say (an error page stays one)."""
    caller = getattr(request.state, "caller", None)
    if caller is not None and caller.unread_notices is not None:  # read along with the session
        return int(caller.unread_notices)
    user_id = principal_of(request).user_id
    if user_id is None:
        return 0
    try:
        return unread_count(request.app.state.engine, user_id)
    except SQLAlchemyError:
        return 0


def notices_badge(request: Request) -> Markup:
    """The header's count of unread notices after its link (nothing when there are none)."""
    unread = _unread_notices(request)
    return Markup(' <span class="badge" id="notices-unread">{}</span>').format(unread) if unread else Markup("")


@dataclass(frozen=True)
class Marks:
    """Placeholders a page kept for many sessions is rendered with (see ``web.page_cache``), in place of what
    differs per session: its CSRF token, the user's name and the unread-notices badge. Random per process, so no
    content can hold one by chance."""

    csrf: str
    username: str
    badge: str

    @classmethod
    def new(cls) -> Marks:
        token = secrets.token_hex(12)
        return cls(f"hzcsrf{token}", f"hzuser{token}", f"hzbadge{token}")


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """``template`` with the shell's context; under a page cache's render (``request.state.marks``) the
    per-session parts are its placeholders."""
    lang = getattr(request.state, "lang", "zh")
    app = request.app
    synthetic = False
    try:
        found = getattr(request.state, "figures", None)
        synthetic = found.synthetic if isinstance(found, Reader) else request.app.state.figures.synthetic()
    except Exception:  # the banner must never turn an error page into another error
        synthetic = False
    marks: Marks | None = getattr(request.state, "marks", None)
    principal = principal_of(request)
    if marks is not None:
        principal = dataclasses.replace(principal, username=marks.username, user_id=None)
    base = {"request": request, "lang": lang, "t": lambda key, **kw: translate(key, lang, **kw),
            "principal": principal,
            "notices_badge": (lambda: Markup(marks.badge)) if marks else lambda: notices_badge(request),
            "csrf": marks.csrf if marks else getattr(request.state, "csrf", ""),
            "synthetic": synthetic, "path": request.url.path,
            "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else "")}
    base.update(context)
    response: HTMLResponse = app.state.templates.TemplateResponse(request, template, base, status_code=status,
                                                                  headers=headers)
    return response

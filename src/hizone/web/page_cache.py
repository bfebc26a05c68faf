"""Finished pages kept by what they show: a page that many people open costs a look-up and a substitution.

A page is kept per (address with its query, language, data version, the caller's role and scope). The data
version is the Reader's (the analytics build and the store's change sequence it was drawn at) and the
store's as this request read it with its session: both move with every change the pages show (see
``analytics.read.version_probe``), and every worker process reads them from the store, so a process keeping
its own pages never serves one from before a change it has not seen. Role and scope (province, zone,
enterprise) decide the navigation, which rows link to profiles and what disclosure control withholds: a page
is never served to a caller whose role or scope differs from the one it was rendered for. What differs per
session (the CSRF token, the user's name, the unread-notices badge) is rendered as placeholders
(``rendering.Marks``) and filled in for each request.

Only a 200 HTML page is kept; an error, a redirect or a page that sets a cookie is answered once, as rendered.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape
from starlette.concurrency import run_in_threadpool

from hizone.analytics.read import Reader
from hizone.auth import Principal
from hizone.web.rendering import Marks, current_figures, notices_badge

PageKey = tuple[object, ...]
WAIT_SECONDS = 30.0  # how long a request waits for another's render of the same page before rendering its own


@dataclass(frozen=True)
class Page:
    """A kept page as its encoded text between the placeholders: ``texts[0] slots[0] texts[1] ...``; filling
    it in joins bytes (no search through a hundred kilobytes of HTML per request, no encoding)."""

    texts: tuple[bytes, ...]
    slots: tuple[str, ...]  # the placeholder between texts[i] and texts[i + 1]


class PageCache:
    """Rendered pages (with ``marks`` as placeholders) by key, least recently used dropped beyond ``size``.

    Requests that miss the same page together wait for the first one's render rather than each rendering it:
    after a data change some fifty requests would otherwise render the same page at once."""

    def __init__(self, size: int = 256) -> None:
        self.marks = Marks.new()
        self._split = re.compile("(" + "|".join(re.escape(m) for m in dataclasses.astuple(self.marks)) + ")")
        self._pages: OrderedDict[PageKey, Page] = OrderedDict()
        self._rendering: dict[PageKey, threading.Event] = {}
        self._size = size
        self._lock = threading.Lock()

    def serve(self, request: Request, key: PageKey, username: str, render: Callable[[], Response]) -> Response:
        """The page at ``key`` for this request (the caller's ``username``): kept, or rendered by ``render`` (with
        the placeholders) and kept when it can be."""
        page, turn = self._wait_for(key)
        if page is not None:
            return self.filled(request, page, username)
        response = self._render(request, key, render, turn)
        if not isinstance(response, HTMLResponse):
            return response
        return self.filled(request, self._page(response), username, response)

    def kept(self, key: PageKey) -> Page | None:
        """The page kept at ``key``, or None."""
        with self._lock:
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
            return found

    def _wait_for(self, key: PageKey) -> tuple[Page | None, threading.Event | None]:
        """(the kept page, None), after another request's render of it when one is running; else (None, the
        event this request sets when its own render is done, or None when it renders after waiting too long)."""
        while True:
            with self._lock:
                found = self._pages.get(key)
                if found is not None:
                    self._pages.move_to_end(key)
                    return found, None
                running = self._rendering.get(key)
                if running is None:
                    turn = self._rendering[key] = threading.Event()
                    return None, turn
            if not running.wait(WAIT_SECONDS):
                return None, None
            # That render kept nothing (an error page, say): the next waiter renders its own.

    def _render(self, request: Request, key: PageKey, render: Callable[[], Response],
                turn: threading.Event | None) -> Response:
        request.state.marks = self.marks
        response: Response | None = None
        try:
            response = render()
            return response
        finally:
            request.state.marks = None  # an error page rendered after this one is the caller's own
            keep = isinstance(response, HTMLResponse) and response.status_code == 200 and \
                "set-cookie" not in response.headers
            page = self._page(response) if keep and response is not None else None
            with self._lock:
                if page is not None:
                    self._pages[key] = page
                    while len(self._pages) > self._size:
                        self._pages.popitem(last=False)
                if turn is not None:
                    del self._rendering[key]
            if turn is not None:  # the requests waiting for this render
                turn.set()

    def _page(self, response: Response) -> Page:
        parts = self._split.split(bytes(response.body).decode("utf-8"))
        return Page(tuple(text.encode("utf-8") for text in parts[::2]), tuple(parts[1::2]))

    def filled(self, request: Request, page: Page, username: str, rendered: Response | None = None) -> Response:
        """``page`` with this request's CSRF token, user name and notices badge in place of the placeholders;
        with the status and headers (cookies) of the answer ``rendered`` when it was rendered for this request."""
        marks = self.marks
        values = {marks.csrf: str(escape(getattr(request.state, "csrf", ""))).encode(),
                  marks.username: str(escape(username)).encode(), marks.badge: str(notices_badge(request)).encode()}
        parts = [page.texts[0]]
        for slot, text in zip(page.slots, page.texts[1:], strict=True):
            parts += (values[slot], text)
        response = HTMLResponse(b"".join(parts), status_code=rendered.status_code if rendered is not None else 200)
        if rendered is not None:
            response.raw_headers += [(k, v) for k, v in rendered.raw_headers
                                     if k not in (b"content-length", b"content-type")]
        return response


async def cached_page(request: Request, principal: Principal, render: Callable[[], Response]) -> Response:
    """This request's page for ``principal``, from the app's page cache: ``render`` (the route's work) runs only
    when no request with the same address, language, data version, role and scope has rendered it yet.

    A kept page is answered here, on the event loop, when the request's session read brought the data version
    and the analytics at that version are loaded: a look-up and a substitution, no thread. Anything else (a
    visitor without a session, whose data version is read from the store; figures to load; a page to render)
    goes to a worker thread."""
    cache: PageCache = request.app.state.pages
    version = getattr(request.state, "data_version", None)
    loaded = request.app.state.figures.loaded(version) if version is not None else None
    if loaded is not None:
        request.state.figures = loaded
        page = cache.kept(_key(request, principal, loaded))
        if page is not None:
            return cache.filled(request, page, principal.username)
    return await run_in_threadpool(lambda: cache.serve(request, _key(request, principal, current_figures(request)),
                                                       principal.username, render))


def _key(request: Request, principal: Principal, figures: Reader) -> PageKey:
    address = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return (address, getattr(request.state, "lang", "zh"), figures.version, figures.synthetic,
            getattr(request.state, "data_version", None),
            principal.role, principal.province_code, principal.zone_code, principal.credit_code)

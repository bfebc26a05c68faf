"""HTML to PDF through one long-lived Chromium (Playwright, Debian's chromium binary).

Playwright's synchronous API belongs to the thread that started it, while web requests run in a thread pool:
so one worker thread owns the browser and renders the jobs handed to it, one page per report. The page's
requests are answered from memory (the report's HTML) and from the web package's static files (ECharts and
app.js); every other request is refused, so a report never reaches the network.
"""

from __future__ import annotations

import atexit
import mimetypes
import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hizone.errors import HizoneError

CHROMIUM = os.environ.get("HIZONE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--font-render-hinting=none"]
STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
ORIGIN = "http://hizone.report"  # a name that never resolves: every request is answered by the route below
READY = "() => Array.from(document.querySelectorAll('[data-chart]')).every(e => e.dataset.ready === '1')"
CHART_SECONDS = 10.0


@dataclass(frozen=True)
class PageFurniture:
    """What Chromium prints in the margins of every page: a running title left, page numbers right."""

    title: str
    page_label: str = "第 {page} 页，共 {pages} 页"

    def header(self) -> str:
        return (f'<div style="font-size:8px;width:100%;padding:0 14mm;color:#667;font-family:\'Noto Sans CJK SC\','
                f'sans-serif"><span>{_escape(self.title)}</span></div>')

    def footer(self) -> str:
        label = _escape(self.page_label).replace("{page}", '<span class="pageNumber"></span>') \
            .replace("{pages}", '<span class="totalPages"></span>')
        return (f'<div style="font-size:8px;width:100%;padding:0 14mm;text-align:right;color:#667;'
                f'font-family:\'Noto Sans CJK SC\',sans-serif">{label}</div>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PdfRenderer:
    """Prints HTML to PDF; thread-safe. ``workers`` browsers (each in its own thread) take jobs from one queue:
    a batch keeps them all busy while the next report's figures are gathered. Started on first use."""

    def __init__(self, chromium: str = CHROMIUM, workers: int = 2) -> None:
        self.chromium = chromium
        self.workers = workers
        self._jobs: queue.Queue[tuple[str, PageFurniture, Future[bytes]] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._started = threading.Lock()

    def submit(self, html: str, furniture: PageFurniture) -> Future[bytes]:
        """The PDF of ``html``, printed by the next free browser."""
        self._start()
        done: Future[bytes] = Future()
        self._jobs.put((html, furniture, done))
        return done

    def render(self, html: str, furniture: PageFurniture) -> bytes:
        return self.submit(html, furniture).result()

    def close(self) -> None:
        alive = [t for t in self._threads if t.is_alive()]
        for _ in alive:
            self._jobs.put(None)
        for thread in alive:
            thread.join(timeout=30)
        self._threads = []

    def _start(self) -> None:
        with self._started:
            if self._threads and all(t.is_alive() for t in self._threads):
                return
            if not Path(self.chromium).exists():
                raise HizoneError(f"Chromium is missing at {self.chromium}: run `make system-deps` (it installs "
                                  "Debian's chromium and fonts-noto-cjk) or set HIZONE_CHROMIUM", where="reports")
            self.close()
            started: list[Future[None]] = []
            for number in range(self.workers):
                ready: Future[None] = Future()
                thread = threading.Thread(target=self._serve, args=(ready,), name=f"pdf-renderer-{number}",
                                          daemon=True)
                thread.start()
                self._threads.append(thread)
                started.append(ready)
            for ready in started:
                ready.result()  # a browser that cannot start is the caller's error, not a hung request

    def _serve(self, ready: Future[None]) -> None:
        from playwright.sync_api import sync_playwright

        try:
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(executable_path=self.chromium, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(locale="zh-CN")
        except Exception as error:
            ready.set_exception(HizoneError(f"Chromium did not start: {error}", where="reports"))
            return
        ready.set_result(None)
        printer = _Printer(context)
        try:
            while (job := self._jobs.get()) is not None:
                html, furniture, done = job
                try:
                    done.set_result(printer.print(html, furniture))
                except Exception as error:
                    done.set_exception(error)
        finally:
            browser.close()
            playwright.stop()


SHELL = (f'<!doctype html><html lang="zh" data-print="1"><head><meta charset="utf-8">'
         f'<script src="{ORIGIN}/static/vendor/echarts.min.js"></script><script src="{ORIGIN}/static/app.js"></script>'
         '</head><body></body></html>')
# Swaps a report into the shell: its styles and body replace the last report's (whose charts are disposed).
SWAP = """html => {
  document.querySelectorAll('[data-chart]').forEach(el => {
    const chart = echarts.getInstanceByDom(el);
    if (chart) chart.dispose();
  });
  const doc = new DOMParser().parseFromString(html, 'text/html');
  document.head.querySelectorAll('style').forEach(s => s.remove());
  doc.head.querySelectorAll('style').forEach(s => document.head.appendChild(s));
  document.documentElement.lang = doc.documentElement.lang;
  document.title = doc.title;
  document.body.replaceWith(document.adoptNode(doc.body));
  window.hizoneInit(document);
  return document.fonts.ready.then(() => true);
}"""
PAGE_REUSE = 50  # reports printed by one page before a fresh one (what a long batch leaves behind stays bounded)


class _Printer:
    """A page with ECharts and app.js loaded once; each report's content is swapped into it and printed.
    Loading the scripts again for every report would cost more than the print itself."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.page: Any = None
        self.printed = 0

    def _fresh_page(self) -> Any:
        if self.page is not None:
            self.page.close()
        page = self.context.new_page()
        page.route("**/*", _answer)
        page.goto(f"{ORIGIN}/report", wait_until="load")
        self.printed = 0
        return page

    def print(self, html: str, furniture: PageFurniture) -> bytes:
        if self.page is None or self.printed >= PAGE_REUSE:
            self.page = self._fresh_page()
        self.printed += 1
        try:
            self.page.evaluate(SWAP, html)
            self.page.wait_for_function(READY, timeout=CHART_SECONDS * 1000)
            pdf: bytes = self.page.pdf(format="A4", print_background=True, display_header_footer=True,
                                       header_template=furniture.header(), footer_template=furniture.footer(),
                                       margin={"top": "18mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        except Exception:
            self.page.close()  # a page left half-swapped is not printed from again
            self.page = None
            raise
        return pdf


def _answer(route: Any) -> None:
    url: str = route.request.url
    if url == f"{ORIGIN}/report":
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=SHELL)
        return
    if url.startswith(f"{ORIGIN}/static/"):
        target = (STATIC / url.removeprefix(f"{ORIGIN}/static/").split("?")[0]).resolve()
        if target.is_relative_to(STATIC) and target.is_file():
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            route.fulfill(status=200, content_type=kind, body=_static(target))
            return
    route.abort()


_STATIC_BYTES: dict[Path, bytes] = {}


def _static(path: Path) -> bytes:
    """Static files are read once (ECharts is a megabyte): package files do not change while running."""
    found = _STATIC_BYTES.get(path)
    if found is None:
        found = _STATIC_BYTES[path] = path.read_bytes()
    return found


_default: PdfRenderer | None = None
_default_lock = threading.Lock()


def default_renderer() -> PdfRenderer:
    """The process's renderer (one browser for every report the process prints)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PdfRenderer()
            atexit.register(_default.close)
        return _default

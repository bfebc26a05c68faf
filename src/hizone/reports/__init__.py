"""PDF reports people print, sign and file: the zone evaluation report and the monthly economic-operation
report, built from the analytics and service layer (never computing a figure of their own).

How a report is made: a Jinja2 template (HTML with a print stylesheet) is filled with figures from the
services, then Debian's Chromium, driven by Playwright, prints it to PDF (``render.PdfRenderer``).

Why Chromium rather than a document library (WeasyPrint, ReportLab):
- the charts are the pages' own: the same ECharts option builders (``web/static/app.js``) draw them, as SVG,
  so a report's radar looks like the profile page's; WeasyPrint runs no JavaScript, so charts would need a
  second renderer (and a second look) in Python;
- Chromium's print path repeats a table's ``<thead>`` on every page, numbers pages in its header/footer
  templates and carries the glyphs of Debian's Noto Sans CJK in the file (a CFF collection, written as Type 3
  fonts: each glyph's outline is in the PDF, so it prints the same on any machine; the text layer maps glyphs
  back to characters, with /ActualText where Noto draws a radical and its ideograph with one glyph);
- it is already a test dependency (browser tests) and a Debian package (``make system-deps``); one browser
  is started per process and each report is a page of it, so a report costs a page load and a print
  (a few hundred milliseconds), not a browser start.
"""

from hizone.reports.cache import PdfCache
from hizone.reports.render import PdfRenderer, default_renderer

__all__ = ["PdfCache", "PdfRenderer", "default_renderer"]

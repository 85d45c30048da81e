"""The report as a PDF: the same fragment the page shows, with the print styles, and the
diagrams drawn on the server (a PDF runs no JavaScript). WeasyPrint is heavy, so only this
module imports it, and only the report worker and the download need it."""

import base64
import logging
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from . import diagrams
from .report_render import report_context

log = logging.getLogger(__name__)

# WeasyPrint's warnings about the screen-only parts of the app's stylesheets, by the message
# template it logs them with: media queries by width (it knows media types only), properties it
# does not implement (position: sticky, filter, accent-color, overflow-x, fill on HTML) and
# values it does not parse (color-mix, font-weight: 650). About twenty per render, none of them
# a fault of the PDF. The report's print styles are what the PDF uses.
SCREEN_ONLY_TEMPLATES = (
    "Ignored `%s:%s` at %d:%d, %s.",
    "Ignored `%s: %s` at %d:%d, %s.",
    "Invalid media type %r the whole @media rule was ignored at %d:%d.",
    "Expected a media type, got %r",
)


class ScreenOnlyCss(logging.Filter):
    """Logs WeasyPrint's warnings about screen-only CSS at DEBUG (on this module's logger)
    instead of WARNING; every other WeasyPrint warning passes untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not self.screen_only(record):
            return True
        log.debug("WeasyPrint skipped screen-only CSS: %s", record.getMessage())
        return False

    @staticmethod
    def screen_only(record: logging.LogRecord) -> bool:
        if record.msg in SCREEN_ONLY_TEMPLATES:
            return True
        # Animations (the page's "just arrived" highlights) mean nothing on paper.
        return record.msg == "Unknown rule %s at %d:%d" and "@keyframes" in str(record.args)


_FILTER = ScreenOnlyCss()


def _prefixed_ids(svg: str | None, prefix: str) -> str | None:
    if svg is None:
        return None
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    return svg.replace('href="#', f'href="#{prefix}').replace("url(#", f"url(#{prefix}")


def report_pdf(data: Mapping[str, Any], *, board_png: bytes | None = None) -> bytes:
    """The PDF; ``board_png`` is the board's picture (checked and re-encoded on upload), embedded
    as a data URI so that WeasyPrint fetches nothing."""
    from weasyprint import CSS, HTML

    weasyprint_log = logging.getLogger("weasyprint")
    if _FILTER not in weasyprint_log.filters:
        weasyprint_log.addFilter(_FILTER)

    context = {
        **report_context(data),
        "pdf": True,
        "board_src": "data:image/png;base64," + base64.b64encode(board_png).decode("ascii")
        if board_png
        else "",
        "reference_diagram_svg": diagrams.flowchart_svg(data["diagram"]["reference"]),
        # Graphviz names the elements of every drawing alike (graph0, node1…): the second
        # drawing's ids get a prefix, so the PDF's anchors are unique.
        "candidate_diagram_svg": _prefixed_ids(
            diagrams.flowchart_svg(data["diagram"]["candidate"]), "candidate-"
        ),
    }
    html = render_to_string("feedback/report_pdf.html", context)
    names = ("css/app.css", "css/report.css", "css/report-pdf.css")
    sheets = [CSS(filename=finders.find(name)) for name in names]
    return HTML(string=html).write_pdf(stylesheets=sheets)

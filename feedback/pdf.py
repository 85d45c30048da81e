"""The report as a PDF: the same fragment the page shows, with the print styles, and the
diagrams drawn on the server (a PDF runs no JavaScript). WeasyPrint is heavy, so only this
module imports it, and only the report worker and the download need it."""

import base64
from collections.abc import Mapping
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from . import diagrams
from .reports import report_context


def report_pdf(data: Mapping[str, Any], *, board_png: bytes | None = None) -> bytes:
    """The PDF; ``board_png`` is the board's picture (checked and re-encoded on upload), embedded
    as a data URI so that WeasyPrint fetches nothing."""
    from weasyprint import CSS, HTML

    context = {
        **report_context(data),
        "pdf": True,
        "board_src": "data:image/png;base64," + base64.b64encode(board_png).decode("ascii")
        if board_png
        else "",
        "reference_diagram_svg": diagrams.flowchart_svg(data["diagram"]["reference"]),
        "candidate_diagram_svg": diagrams.flowchart_svg(data["diagram"]["candidate"]),
    }
    html = render_to_string("feedback/report_pdf.html", context)
    sheets = [CSS(filename=finders.find(name)) for name in ("css/app.css", "css/report.css")]
    return HTML(string=html).write_pdf(stylesheets=sheets)

"""The report as a PDF: the same fragment the page shows, with the print styles, and the
diagrams drawn on the server (a PDF runs no JavaScript). WeasyPrint is heavy, so only this
module imports it, and only the report worker and the download need it."""

from collections.abc import Mapping
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from . import diagrams
from .report_render import report_context


def report_pdf(data: Mapping[str, Any]) -> bytes:
    from weasyprint import CSS, HTML

    context = {
        **report_context(data),
        "pdf": True,
        "reference_diagram_svg": diagrams.flowchart_svg(data["diagram"]["reference"]),
        "candidate_diagram_svg": diagrams.flowchart_svg(data["diagram"]["candidate"]),
    }
    html = render_to_string("feedback/report_pdf.html", context)
    sheets = [CSS(filename=finders.find(name)) for name in ("css/app.css", "css/report.css")]
    return HTML(string=html).write_pdf(stylesheets=sheets)

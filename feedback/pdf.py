"""The report as a PDF: the same fragment the page shows, with the print styles, and the
diagrams drawn on the server (a PDF runs no JavaScript). WeasyPrint is heavy, so only this
module imports it, and only the report worker and the download need it."""

import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from . import diagrams
from .reports import report_context

# What WeasyPrint says about the stylesheets: they are the page's (app.css, report.css), so
# screen-only CSS it does not know (media queries by width or colour scheme, color-mix, filter,
# accent-color, keyframes) is expected there, and a first render printed some sixty warnings.
SKIPPED_CSS = ("Ignored `", "Invalid media type", "Expected a media type", "Unknown rule")


class SkippedCssFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(SKIPPED_CSS)


_skipped_css = SkippedCssFilter()


def report_pdf(data: Mapping[str, Any]) -> bytes:
    from weasyprint import CSS, HTML

    logger = logging.getLogger("weasyprint")
    if _skipped_css not in logger.filters:
        logger.addFilter(_skipped_css)

    context = {
        **report_context(data),
        "pdf": True,
        "reference_diagram_svg": diagrams.flowchart_svg(
            data["diagram"]["reference"], id_prefix="reference-"
        ),
        "candidate_diagram_svg": diagrams.flowchart_svg(
            data["diagram"]["candidate"], id_prefix="candidate-"
        ),
    }
    html = render_to_string("feedback/report_pdf.html", context)
    sheets = [CSS(filename=finders.find(name)) for name in ("css/app.css", "css/report.css")]
    return HTML(string=html).write_pdf(stylesheets=sheets)

"""Rendering the report PDF logs no warning: the stylesheets are the page's, and the modern CSS
WeasyPrint skips in them (custom media queries, color-mix, :has) is expected, not a fault."""

import logging

import pytest

from feedback import reports
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_report_pdf_renders_without_warnings(caplog):
    from feedback.pdf import report_pdf

    session = factories.finished_interview(hints=False)
    factories.self_assess(session)
    factories.finalise(session)
    data = reports.report_data(session.interview.pk)
    with caplog.at_level(logging.WARNING):
        pdf = report_pdf(data)
    assert pdf.startswith(b"%PDF-")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [], "\n".join(warnings)

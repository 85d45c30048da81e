"""The first PDF render logs no WARNING about the app's screen-only CSS (WeasyPrint's about
twenty, demoted to DEBUG by a precise filter), while any other WeasyPrint warning still shows."""

import logging

import pytest

from feedback.pdf import ScreenOnlyCss, report_pdf
from interviews.models import Report
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_pdf_render_logs_no_warning_about_screen_only_css(
    django_capture_on_commit_callbacks, caplog
):
    session = factories.finished_interview()
    with django_capture_on_commit_callbacks(execute=True):
        factories.self_assess(session)
        factories.finalise(session)
    report = Report.objects.get()
    with caplog.at_level(logging.DEBUG):
        pdf = report_pdf(report.data)
    assert pdf.startswith(b"%PDF")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == []
    demoted = [r.getMessage() for r in caplog.records if r.name == "feedback.pdf"]
    assert any("Invalid media type" in m for m in demoted)  # still there, at DEBUG
    assert any("position: sticky" in m for m in demoted)


def record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("weasyprint", logging.WARNING, "css.py", 1, msg, args, None)


def test_only_the_screen_only_warnings_are_demoted():
    kept = ScreenOnlyCss()
    assert not kept.filter(record("Ignored `%s:%s` at %d:%d, %s.", "filter", "none", 1, 2, "x"))
    assert not kept.filter(record("Expected a media type, got %r", "(max-width: 900px)"))
    assert not kept.filter(record("Unknown rule %s at %d:%d", "<AtRule @keyframes … { … }>", 6, 1))
    assert kept.filter(record("Unknown rule %s at %d:%d", "<AtRule @frobnicate … { … }>", 6, 1))
    assert kept.filter(record("Parse error at %d:%d: %s", 1, 2, "bad"))
    assert kept.filter(record("Failed to load image at %r: %s", "x.png", "404"))

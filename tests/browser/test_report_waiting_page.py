"""The report that takes longer than usual, in Chromium: the state, its retry, the report."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from interviews.models import Interview, Report
from tests import factories
from tests.browser.test_report_flow import off_loop, signed_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stuck_report():
    """Both sides in and a report requested long ago that no worker took."""
    session = factories.finished_interview()
    factories.self_assess(session)
    Interview.objects.filter(pk=session.interview.pk).update(status="completed")
    report = Report.objects.create(interview=session.interview)
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_SLOW_SECONDS + 5)
    Report.objects.filter(pk=report.pk).update(requested_at=long_ago)
    return session


def test_taking_longer_than_usual_then_retry_and_the_report(signed_in, allow_sync_orm):  # noqa: F811
    session = off_loop(stuck_report)
    page = signed_in(session.candidate)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/interviews/{session.interview.pk}/report/")
    expect(page.locator("[data-report-slow]")).to_have_text("Taking longer than usual")
    page.screenshot(path="test-artifacts/report-slow-390.png")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path="test-artifacts/report-slow-1366.png")
    page.click("[data-report-nudge]")  # the live server compiles in process (CELERY_EAGER)
    expect(page.locator("[data-report-status]")).to_have_attribute(
        "data-report-status", "ready", timeout=20_000
    )
    assert page.js_errors == []

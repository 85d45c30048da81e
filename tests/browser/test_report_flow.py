"""After the interview, in Chromium: the candidate assesses themselves, the interviewer
finalises the scorecard, the report appears on both screens without a reload, and the PDF
downloads."""

import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import Client
from pypdf import PdfReader

from feedback import services as feedback_services
from interviews.models import Interview, Report
from tests import factories
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = ROOT / "test-artifacts"


def off_loop(function, /, **kwargs):
    """Run a service outside Playwright's thread: services broadcast with async_to_sync, which
    refuses to run in a thread with an event loop."""

    def call():
        from django.db import connections

        try:
            return function(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


@pytest.fixture
def signed_in(browser, live_server_url):
    """Pages in browser contexts carrying a user's session cookie (the login page is tested
    elsewhere); each page collects its JavaScript errors in ``page.js_errors``."""
    with signed_in_pages(browser, live_server_url) as open_page:
        yield open_page


@contextmanager
def signed_in_pages(browser, base_url: str) -> Iterator[Callable]:
    """``open_page(user)``: a page on ``base_url`` in a context of its own signed in as
    ``user``; the contexts are closed at the end."""
    contexts = []

    def open_page(user):
        context = _context(browser, base_url, user)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def _context(browser, base_url: str, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=base_url, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )
    return context


def choose_levels(page, level: int) -> None:
    """Pick ``level`` for every criterion that has nothing chosen yet."""
    for fieldset in page.locator("fieldset[data-criterion]").all():
        if fieldset.locator("input[type=radio]:checked").count():
            continue
        fieldset.locator(f"label.anchor-choice.level-{level}").click()


def test_self_assess_finalise_and_the_report_appears_and_downloads(signed_in, allow_sync_orm):
    session = off_loop(factories.finished_interview, bank=True, live_scores={"clarify-goals": 2})
    wrapup = f"/interviews/{session.interview.pk}/wrap-up/"
    report_url = f"/interviews/{session.interview.pk}/report/"
    candidate = signed_in(session.candidate)
    interviewer = signed_in(session.interviewer)

    # The candidate scores themselves: no level is pre-selected for them.
    candidate.goto(wrapup)
    assert candidate.locator("input[type=radio]:checked").count() == 0
    choose_levels(candidate, 3)
    candidate.locator("fieldset[data-criterion='clarify-goals'] label.level-4").click()
    candidate.fill("#note-clarify-goals", "I asked about the goal before anything else.")
    candidate.fill("#id_reflection", "I ran out of time before monitoring.")
    candidate.click("[data-submit-assessment]")
    candidate.wait_for_selector("text=Your self-assessment is in")
    candidate.evaluate("window.stayedOnThePage = true")

    # The interviewer finds the live score filled in, completes the scorecard and finalises.
    interviewer.goto(wrapup)
    live = interviewer.locator("fieldset[data-criterion='clarify-goals'] input:checked")
    assert live.get_attribute("value") == "2"
    choose_levels(interviewer, 3)
    for note in interviewer.locator("textarea.note").all():
        if not note.input_value():
            note.fill("Said so explicitly, with numbers.")
    interviewer.fill("#id_strengths", "Pinned down the business goal in the first minute.")
    interviewer.fill("#id_improvements", "Leave ten minutes for serving and monitoring.")
    interviewer.click("[data-finalise]")
    interviewer.wait_for_url(f"**{report_url}")
    interviewer.wait_for_selector("[data-report]")

    # The candidate's waiting page moves on to the report by itself.
    candidate.wait_for_selector("[data-report]", timeout=15_000)
    assert candidate.url.endswith(report_url)
    overall = candidate.locator("[data-overall]").inner_text().split("/")[0].strip()
    report = Report.objects.get(interview=session.interview)
    assert overall == report.data["overall"]["score"]
    body = candidate.locator("[data-report]").inner_text()
    assert "Pinned down the business goal in the first minute." in body
    assert "Over-estimate" in body  # clarify-goals: 4 against the interviewer's 2
    candidate.wait_for_selector(".diagram.is-rendered svg", timeout=15_000)
    candidate.screenshot(path=str(ARTIFACTS / "report-page.png"), full_page=True)

    with candidate.expect_download() as download:
        candidate.click("[data-download=pdf]")
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert overall in text
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    with candidate.expect_download() as download:
        candidate.click("[data-download=md]")
    assert download.value.path().read_text().startswith("# Visual search")
    assert candidate.js_errors == [] and interviewer.js_errors == []


def test_the_report_page_swaps_the_report_in_when_it_is_ready(signed_in, allow_sync_orm):
    session = off_loop(factories.finished_interview)
    off_loop(factories.self_assess, session=session)
    # Completed with a pending report that no worker has taken yet.
    Interview.objects.filter(pk=session.interview.pk).update(status="completed")
    report = Report.objects.create(interview=session.interview)
    page = signed_in(session.candidate)
    page.goto(f"/interviews/{session.interview.pk}/report/")
    page.wait_for_selector("text=Compiling your report")
    page.evaluate("window.stayedOnThePage = true")
    assert off_loop(feedback_services.report_compile, report_id=report.pk).status == "compiled"
    page.wait_for_selector("[data-report]", timeout=10_000)
    assert page.evaluate("window.stayedOnThePage") is True  # swapped in, not reloaded
    assert page.locator("[data-download=pdf]").is_visible()
    page.wait_for_selector(".diagram.is-rendered svg")  # Mermaid drew the swapped-in diagrams
    assert page.js_errors == []


def test_a_solo_drill_ends_in_its_report(signed_in, allow_sync_orm):
    session = off_loop(factories.solo_drill, bank=True)
    page = signed_in(session.candidate)
    page.goto(f"/interviews/{session.interview.pk}/wrap-up/")
    page.click("[data-reveal-step='clarify']")
    page.wait_for_selector("#reference-clarify .reference-step")
    choose_levels(page, 2)
    page.click("[data-submit-assessment]")
    page.wait_for_selector("[data-report]", timeout=15_000)
    assert "Self-assessment" in page.locator("[data-overall]").locator("..").inner_text()
    page.screenshot(path=str(ARTIFACTS / "drill-report-page.png"), full_page=True)
    assert page.js_errors == []

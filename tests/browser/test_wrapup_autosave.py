"""The wrap-up in Chromium: choices and notes saved as you go and restored after a reload; a
refused submission's error summary takes the focus and its links focus each field."""

import pytest
from playwright.sync_api import expect

from interviews.models import WrapupDraft
from tests import factories
from tests.browser.conftest import shot
from tests.browser.test_report_flow import off_loop, signed_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wrapup_url(session) -> str:
    return f"/interviews/{session.interview.pk}/wrap-up/"


def pick(page, criterion: str, level: str) -> None:
    page.locator(f"label:has(> #level-{criterion}-{level})").click()


def test_the_self_assessment_survives_a_reload(signed_in, allow_sync_orm):  # noqa: F811
    session = off_loop(factories.finished_interview)
    page = signed_in(session.candidate)
    page.goto(wrapup_url(session))
    saved = page.locator("[data-save-state]")
    pick(page, "clarify-main", "2")
    pick(page, "frame-main", "4")
    pick(page, "data-main", "not_observed")
    page.locator("#note-frame-main").fill("Framed it as ranking, then checked the metric.")
    page.locator("label:has(> #concept-concept-1-hinted)").click()
    expect(saved).to_have_attribute("data-save-state", "saved")
    expect(saved).to_contain_text("Saved at")
    expect(page.locator("[data-progress-step='frame'] [data-step-done]")).to_have_text("1")
    expect(page.locator("[data-progress-done]")).to_have_text("3")
    shot(page, "wrapup-self-autosaved")

    page.reload()
    expect(page.locator("#level-clarify-main-2")).to_be_checked()
    expect(page.locator("#level-frame-main-4")).to_be_checked()
    expect(page.locator("#level-data-main-not_observed")).to_be_checked()
    expect(page.locator("#note-frame-main")).to_have_value(
        "Framed it as ranking, then checked the metric."
    )
    expect(page.locator("#concept-concept-1-hinted")).to_be_checked()
    expect(page.locator("[data-progress-done]")).to_have_text("3")
    assert page.js_errors == []


def test_a_lost_save_says_so_and_is_retried(signed_in, allow_sync_orm):  # noqa: F811
    session = off_loop(factories.finished_interview)
    page = signed_in(session.candidate)
    page.goto(wrapup_url(session))
    page.route("**/wrap-up/draft/", lambda route: route.abort())
    pick(page, "clarify-main", "3")
    saved = page.locator("[data-save-state]")
    expect(saved).to_have_attribute("data-save-state", "failed")
    expect(saved).to_contain_text("Not saved")
    retry = page.locator("[data-save-retry]")
    expect(retry).to_be_visible()
    page.unroute("**/wrap-up/draft/")
    retry.click()
    expect(saved).to_have_attribute("data-save-state", "saved")
    draft = WrapupDraft.objects.get(interview=session.interview, source="self")
    assert draft.fields["level-clarify-main"] == "3"


def test_the_error_summary_takes_the_focus_and_links_to_each_field(
    signed_in,  # noqa: F811
    allow_sync_orm,
):
    session = off_loop(factories.finished_interview, live_scores={})
    page = signed_in(session.interviewer)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(wrapup_url(session))
    pick(page, "clarify-main", "3")
    page.click("[data-finalise]")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("need attention")
    shot(page, "wrapup-error-summary")
    summary.locator("[data-error-link='level-frame-main-1']").click()
    expect(page.locator("#level-frame-main-1")).to_be_focused()
    expect(page.locator("fieldset[data-criterion='frame-main']")).to_be_in_viewport()
    page.locator("#error-summary").focus()
    summary.locator("[data-error-link='id_strengths']").click()
    expect(page.locator("#id_strengths")).to_be_focused()
    # What was chosen before the refusal is still chosen (and was saved as it was chosen).
    expect(page.locator("#level-clarify-main-3")).to_be_checked()
    assert page.js_errors == []


def test_beside_the_scorecard_at_laptop_and_phone_width(signed_in, allow_sync_orm):  # noqa: F811
    session = off_loop(factories.finished_interview, live_scores={"clarify-main": 3})
    off_loop(
        factories.document_texts,
        session=session,
        texts={"private": "Asked about latency early; missed the cold start."},
        doc="private",
    )
    page = signed_in(session.interviewer)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(wrapup_url(session))
    aside = page.locator("[data-aside-panel]")
    expect(aside).to_have_attribute("open", "")
    expect(aside).to_contain_text("Asked about latency early")
    expect(aside).to_contain_text("Hint")
    expect(aside).to_contain_text("Live evidence for clarify-main.")
    box = aside.bounding_box()
    form_box = page.locator("[data-wrapup-form]").bounding_box()
    assert box["x"] > form_box["x"] + form_box["width"] - 1  # a column beside the form
    page.screenshot(path="test-artifacts/wrapup-scorecard-1366.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(aside).not_to_have_attribute("open", "")  # folded on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="test-artifacts/wrapup-scorecard-390.png")
    aside.locator("summary").click()
    expect(aside).to_contain_text("Asked about latency early")
    page.locator("#step-clarify").scroll_into_view_if_needed()
    page.screenshot(path="test-artifacts/wrapup-scorecard-390-criteria.png")
    candidate = signed_in(session.candidate)
    candidate.set_viewport_size({"width": 390, "height": 844})
    candidate.goto(wrapup_url(session))
    candidate.screenshot(path="test-artifacts/wrapup-self-390.png")
    candidate.set_viewport_size({"width": 1366, "height": 768})
    candidate.screenshot(path="test-artifacts/wrapup-self-1366.png")
    assert page.js_errors == [] and candidate.js_errors == []

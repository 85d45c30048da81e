"""Scores a candidate can trust, end to end in Chromium: an interview scored through the room's
panel with a hint (its cap shown beside the step's criteria), a critical red flag marked
observed, the checklist ticked live, and the last step never reached; the wrap-up keeps the
marks; the report explains each of them and its signal."""

import re

import pytest
from playwright.sync_api import expect

from interviews.models import Mark, Report
from tests import factories
from tests.browser.conftest import shot
from tests.browser.test_report_flow import choose_levels, off_loop, signed_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANEL = "[data-panel]"


def score(page, criterion: str, level: int, evidence: str) -> None:
    box = page.locator(f"{PANEL} [data-criterion='{criterion}']")
    box.locator(f"[data-score-level='{level}']").click()
    box.locator("[data-score-evidence]").fill(evidence)


def move_on(page) -> None:
    expect(page.locator("#room")).to_have_attribute("data-outbox", "0")
    current = page.locator(".rail-step.current").get_attribute("data-step-index")
    page.click("[data-move='1']")
    expect(page.locator(".rail-step.current")).not_to_have_attribute("data-step-index", current)


def test_a_session_with_a_hint_a_knockout_and_an_unreached_step_is_explained(
    signed_in,  # noqa: F811
    allow_sync_orm,
):
    session = off_loop(factories.interview)  # the factory rubric and case; target: senior
    room_url = f"/interviews/{session.interview.pk}/"
    interviewer = signed_in(session.interviewer)
    candidate = signed_in(session.candidate)
    interviewer.goto(room_url)
    candidate.goto(room_url)
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected")
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-status-pill]")).to_have_text("Live")

    # Clarify: one hint, then the step's criterion scored 4 (it counts at most 3 after a hint).
    interviewer.click(f"{PANEL} [data-kind=hint][data-index='0'] [data-send-hint]")
    expect(candidate.locator("[data-deliveries]")).to_contain_text("Hint 1 for factory-case")
    interviewer.click("[data-side-tab=score]")
    clarify = interviewer.locator(f"{PANEL} [data-criterion='clarify-main']")
    expect(clarify.locator("[data-cap-note]")).to_have_text(
        "Hint sent: counts at most 3 (one hint on this step). Score what you saw; the app "
        "applies the cap."
    )
    expect(clarify.locator("[data-score-level='4']")).to_have_class(re.compile("above-cap"))
    # The examples a peer scores with, and what a senior candidate is expected to show.
    expect(clarify).to_contain_text("Strong signal 1 for factory-case clarify.")
    expect(clarify.locator("[data-expect-level=senior]")).to_be_visible()
    expect(clarify.locator("[data-expect-level=staff]")).to_be_hidden()
    score(interviewer, "clarify-main", 4, "Asked about the goal before anything else.")
    concept = interviewer.locator(f"{PANEL} [data-mark-kind=concept][data-mark-key='concept-1']")
    concept.locator("[data-mark-value=unprompted]").click()
    expect(concept.locator("[data-mark-value=unprompted]")).to_have_attribute(
        "aria-pressed", "true"
    )
    shot(interviewer, "scoring-panel-clarify")
    move_on(interviewer)

    # Frame, then data: the critical red flag observed; the cap note is for clarify only.
    score(interviewer, "frame-main", 4, "Framed it as ranking with a clear objective.")
    move_on(interviewer)
    data = interviewer.locator(f"{PANEL} [data-criterion='data-main']")
    expect(data.locator("[data-cap-note]")).to_be_hidden()
    flag = data.locator("[data-mark-kind=flag][data-mark-key='data:0']")
    expect(flag).to_contain_text("Critical")
    flag.locator("[data-mark-value=observed]").click()
    expect(flag).to_have_attribute("data-mark", "observed")
    score(interviewer, "data-main", 4, "Sampling and leakage handled well.")
    for key in ("features", "model", "serve"):
        move_on(interviewer)
        score(interviewer, f"{key}-main", 4, f"Strong on {key}.")
    # A second tab of the interviewer's finds the marks and the cap where they were left.
    second = signed_in(session.interviewer)
    second.goto(room_url)
    expect(second.locator("[data-connection]")).to_have_text("Connected")
    second.click("[data-side-tab=score]")
    expect(second.locator(f"{PANEL} [data-mark-key='concept-1']")).to_have_attribute(
        "data-mark", "unprompted"
    )
    second.close()
    expect(interviewer.locator("#room")).to_have_attribute("data-outbox", "0")

    # Nothing of the scoring aids reached the candidate's page.
    text = candidate.content()
    for secret in ("Concept 1 of", "Red flag", "Strong signal", "Hint sent: counts"):
        assert secret not in text, secret

    # The interview ends on serve: monitoring is never reached.
    interviewer.once("dialog", lambda dialog: dialog.accept())
    interviewer.click("[data-action='interview.end']")
    candidate.wait_for_url("**/wrap-up/")
    interviewer.wait_for_url("**/wrap-up/")
    marks = Mark.objects.filter(interview=session.interview, source="interviewer")
    assert {(m.key, m.value, m.critical) for m in marks} == {
        ("concept-1", "unprompted", False),
        ("data:0", "observed", True),
    }

    # The candidate assesses themselves and ticks the checklist too.
    choose_levels(candidate, 3)
    candidate.check("input[name='concept-concept-1'][value=hinted]")
    candidate.click("[data-submit-assessment]")
    candidate.wait_for_selector("text=Your self-assessment is in")

    # The interviewer's scorecard keeps the live scores and marks; monitoring is not observed.
    expect(interviewer.locator("[data-not-reached]")).to_have_count(1)
    expect(interviewer.locator("#step-clarify [data-cap-note]")).to_contain_text(
        "Hints were sent here (one hint on this step): its criteria count at most 3."
    )
    expect(interviewer.locator("input[name='flag-data:0']")).to_be_checked()
    expect(interviewer.locator("input[name='concept-concept-1'][value=unprompted]")).to_be_checked()
    interviewer.locator("fieldset[data-criterion='monitor-main'] label.not-observed").click()
    choose_levels(interviewer, 4)
    for note in interviewer.locator("textarea.note").all():
        if not note.input_value():
            note.fill("Seen in the session.")
    interviewer.fill("#id_strengths", "Pinned down the goal and the metrics early.")
    interviewer.fill(
        "#id_improvements", "Never assume labels arrive at once; leave time for monitoring."
    )
    shot(interviewer, "scorecard")
    interviewer.click("[data-finalise]")
    interviewer.wait_for_selector("[data-report]", timeout=20_000)
    candidate.wait_for_selector("[data-report]", timeout=20_000)

    # The report explains the signal: the hint cap, the knock-out, the step not reached.
    report = Report.objects.get(interview=session.interview).data
    overall = report["overall"]
    assert overall["score"] == "3.47"  # (3×2 + 4×2×5 + 1×2 + 4×1) / 15 = 52/15
    assert (overall["band"], overall["hire_signal"]) == ("hire", "lean_hire")
    assert overall["explanation"] == (
        "Overall 3.47 is 0.47 above the Senior bar of 3.00, in the hire band (0.2 to 0.5). "
        "A critical red flag was observed (Step data: “Red flag 1 for factory-case data.”), so "
        "the signal is capped at lean hire instead of hire. The interview did not reach Step "
        "monitor: its criteria count at level 1 unless they were scored. Hint caps lowered 1 "
        "level (Criterion clarify-main 4 → 3)."
    )
    page = candidate.locator("[data-report]")
    expect(candidate.locator("[data-hire]")).to_have_text("Lean hire")
    expect(candidate.locator("[data-explanation]")).to_contain_text(overall["explanation"])
    expect(candidate.locator("[data-knockout]")).to_contain_text(
        "Critical red flag observed (Step data): “Red flag 1 for factory-case data.”"
    )
    expect(page.locator("#step-clarify [data-count-note]")).to_have_text(
        "Capped at 3: one hint on this step"
    )
    expect(page.locator("#step-monitor [data-count-note]")).to_have_text(
        "Not reached: counted at level 1"
    )
    expect(page.locator("[data-checklist]")).to_contain_text(
        "1 of the 5 concepts expected of a Senior candidate raised unprompted"
    )
    shot(candidate, "report-explained")
    assert candidate.js_errors == [] and interviewer.js_errors == []

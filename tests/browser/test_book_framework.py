"""A short interview under the book layout, end to end in Chromium: the interviewer picks the
framework when creating the interview, the room walks the book's seven steps with their budgets
(the data step's guide composed of the data and feature sections, the evaluation step scoring
the evaluation criteria), and the report that both people see shows the evaluation step."""

import pytest
from playwright.sync_api import expect

from casestudies.models import CaseStudy
from interviews import services
from interviews.models import Interview, Report
from tests import factories
from tests.browser.conftest import shot
from tests.browser.test_report_flow import ARTIFACTS, choose_levels, off_loop, signed_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANEL = "[data-panel]"
BOOK = ["clarify", "frame", "data", "model", "evaluation", "serving", "monitoring"]


def move_on(page) -> None:
    expect(page.locator("#room")).to_have_attribute("data-outbox", "0")
    current = page.locator(".rail-step.current").get_attribute("data-step-index")
    page.click("[data-move='1']")
    expect(page.locator(".rail-step.current")).not_to_have_attribute("data-step-index", current)


def score(page, criterion: str, level: int, evidence: str) -> None:
    box = page.locator(f"{PANEL} [data-criterion='{criterion}']")
    box.locator(f"[data-score-level='{level}']").click()
    box.locator("[data-score-evidence]").fill(evidence)


def test_a_short_interview_under_the_book_layout_reports_its_evaluation_step(
    signed_in,  # noqa: F811
    allow_sync_orm,
):
    off_loop(factories.load_bank)
    ines = off_loop(factories.user, name="Ines Interviewer")
    carl = off_loop(factories.user, name="Carl Candidate")
    interviewer = signed_in(ines)

    # The interviewer picks the book layout when creating the interview.
    interviewer.goto("/interviews/new/?case=visual-search")
    interviewer.check("input[name=role][value=interviewer]")
    interviewer.select_option("#id_framework", "book")
    shot(interviewer, "book-new-interview")
    interviewer.click("form.card button[type=submit]")
    interviewer.wait_for_url("**/interviews/*-*/")
    interview = Interview.objects.get()
    assert (interview.framework.slug, interview.case_study.slug) == ("book", "visual-search")
    off_loop(services.invite_accept, user=carl, token=interview.invite.token)
    candidate = signed_in(carl)
    room_url = f"/interviews/{interview.pk}/"
    interviewer.goto(room_url)
    candidate.goto(room_url)
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected")
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")

    # Both see the book's seven steps.
    for page in (interviewer, candidate):
        keys = [s.get_attribute("data-step-key") for s in page.locator(".rail-step").all()]
        assert keys == BOOK
        expect(page.locator(".rail-step[data-step-key=evaluation]")).to_contain_text("Evaluation")
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-status-pill]")).to_have_text("Live")
    move_on(interviewer)
    move_on(interviewer)

    # Data: the guide holds the data and the feature sections; the data section's last hint is
    # answer-level, so the step's criteria count at most 2 once it is sent.
    guide = interviewer.locator(f"{PANEL} [data-panel-step=data]")
    expect(guide).to_contain_text("Data preparation.")
    expect(guide).to_contain_text("Feature engineering.")
    data_hints = len(
        CaseStudy.objects.get(slug="visual-search").steps.get(framework_step__key="data").hints
    )
    answer = guide.locator(f"[data-kind=hint][data-index='{data_hints - 1}']")
    answer.locator("[data-send-hint]").click()
    expect(candidate.locator("[data-deliveries]")).to_contain_text("Hint")
    interviewer.click("[data-side-tab=score]")
    labels = interviewer.locator(f"{PANEL} [data-criterion='data-labels']")
    expect(labels.locator("[data-cap-note]")).to_contain_text("counts at most 2")
    expect(interviewer.locator(f"{PANEL} [data-criterion='features-signals']")).to_be_visible()
    score(interviewer, "data-labels", 3, "Explained delayed labels from purchases.")
    move_on(interviewer)
    score(interviewer, "model-choice", 3, "Started from a pretrained embedding baseline.")
    move_on(interviewer)

    # Evaluation: its own step, scoring offline evaluation and the experiment.
    evaluation = interviewer.locator(f"{PANEL} [data-panel-step=evaluation]")
    interviewer.click("[data-side-tab=guide]")
    expect(evaluation.locator("[data-panel-tab=guide]")).to_contain_text(
        "This step has no guide section of its own in this case"
    )
    evaluation.scroll_into_view_if_needed()
    interviewer.screenshot(path=str(ARTIFACTS / "book-room-evaluation-guide.png"))
    interviewer.click("[data-side-tab=score]")
    expect(evaluation.locator("[data-criterion]")).to_have_count(2)
    expect(evaluation.locator("[data-criterion='model-evaluation']")).to_contain_text(
        "Evaluates models offline"
    )
    expect(evaluation.locator("[data-criterion='serve-experimentation']")).to_be_visible()
    score(interviewer, "model-evaluation", 4, "Recall at k on held-out sessions, by category.")
    score(interviewer, "serve-experimentation", 4, "A/B test on add-to-cart with guardrails.")
    shot(interviewer, "book-room-evaluation")
    expect(interviewer.locator("#room")).to_have_attribute("data-outbox", "0")

    # The interview ends on evaluation: serving and monitoring are never reached.
    interviewer.once("dialog", lambda dialog: dialog.accept())
    interviewer.click("[data-action='interview.end']")
    candidate.wait_for_url("**/wrap-up/")
    interviewer.wait_for_url("**/wrap-up/")
    expect(interviewer.locator("#step-evaluation")).to_contain_text("Evaluates models offline")
    choose_levels(candidate, 3)
    candidate.click("[data-submit-assessment]")
    candidate.wait_for_selector("text=Your self-assessment is in")
    for name in ("monitor-detection", "monitor-lifecycle", "serve-architecture"):
        interviewer.locator(f"fieldset[data-criterion='{name}'] label.not-observed").click()
    choose_levels(interviewer, 3)
    for note in interviewer.locator("textarea.note").all():
        if not note.input_value():
            note.fill("Seen in the session.")
    interviewer.fill("#id_strengths", "A clear offline evaluation plan tied to the experiment.")
    interviewer.fill("#id_improvements", "Leave time for serving and monitoring.")
    interviewer.click("[data-finalise]")
    interviewer.wait_for_selector("[data-report]", timeout=20_000)
    candidate.wait_for_selector("[data-report]", timeout=20_000)

    # The report follows the book layout: its steps, evaluation scored on its own.
    data = Report.objects.get(interview=interview).data
    assert [s["key"] for s in data["steps"]] == BOOK
    report = candidate.locator("[data-report]")
    expect(report.locator("[data-framework=book]")).to_have_text(
        "Seven stages with an evaluation step"
    )
    step = report.locator("#step-evaluation")
    expect(step.locator("h3")).to_have_text("5Evaluation")
    expect(step).to_contain_text("Evaluates models offline")
    expect(step).to_contain_text("Recall at k on held-out sessions, by category.")
    expect(step.locator(".score-chip").first).to_contain_text("4.00")
    expect(report.locator("#step-data .step-flag.capped")).to_contain_text("count at most 2")
    expect(report.locator("#step-serving .step-flag.not-reached")).to_be_visible()
    expect(report.locator("#step-monitoring .step-flag.not-reached")).to_be_visible()
    shot(candidate, "book-report")
    candidate.set_viewport_size({"width": 390, "height": 844})
    step.scroll_into_view_if_needed()
    candidate.screenshot(path=str(ARTIFACTS / "book-report-evaluation-phone.png"))
    candidate.set_viewport_size({"width": 1366, "height": 768})
    step.scroll_into_view_if_needed()
    candidate.screenshot(path=str(ARTIFACTS / "book-report-evaluation.png"))
    assert candidate.js_errors == [] and interviewer.js_errors == []

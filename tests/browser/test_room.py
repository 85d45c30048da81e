"""A whole mock interview in two Chromium contexts: the interviewer creates it, the candidate
joins by the invite link, they go through all seven steps with notes, a diagram, chat, a hint
and scores; the candidate reloads mid-way and finds everything; the interviewer ends it."""

import re

import pytest
from playwright.sync_api import expect

from interviews.models import Delivery, Document, Event, Interview, Score
from tests import factories
from tests.browser.conftest import log_in, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS = ["clarify", "frame", "data", "features", "model", "serve", "monitor"]
DIAGRAM = "flowchart LR\n  Photo --> Embedding[Image encoder]\n  Embedding --> Index[ANN index]"


def test_two_people_run_a_whole_interview(live_server_url, context_factory):
    factories.load_bank()
    factories.user(email="ines@example.org", name="Ines", password="room-test-pass-1")
    factories.user(email="carl@example.org", name="Carl", password="room-test-pass-2")
    interviewer = log_in(context_factory(), live_server_url, "ines@example.org", "room-test-pass-1")
    candidate = log_in(context_factory(), live_server_url, "carl@example.org", "room-test-pass-2")

    # The interviewer creates the interview and shares the link; the candidate joins.
    interviewer.goto(live_server_url + "/interviews/new/")
    option = interviewer.locator(
        "select[name=case_study] option", has_text=re.compile(r"^Visual search for a home-goods")
    )
    interviewer.select_option("select[name=case_study]", option.get_attribute("value"))
    interviewer.check("input[name=role][value=interviewer]")
    interviewer.click("main form button[type=submit]")
    link = interviewer.input_value("[data-invite-url]")
    candidate.goto(link)
    expect(candidate.locator("main")).to_contain_text("You join as the candidate")
    candidate.click("main form button[type=submit]")
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")
    expect(interviewer.locator("[data-presence]")).to_contain_text("Carl · Candidate")
    expect(interviewer.locator("[data-invite]")).to_be_hidden()

    # The candidate cannot start or move anything: there are no such controls on their page.
    assert candidate.locator("[data-action='interview.start']").count() == 0
    assert candidate.locator("[data-move]").count() == 0
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-status-pill]")).to_have_text("Live")

    for index, key in enumerate(STEPS):
        expect(candidate.locator(".rail-step.current")).to_have_attribute("data-step-key", key)
        # The candidate's notes follow the move once they pause typing (a sentence is not cut).
        expect(candidate.locator(f"[data-note-tab={key}]")).to_have_attribute(
            "aria-selected", "true"
        )
        candidate.fill("[data-notes-editor]", f"My notes for {key}: decisions and trade-offs.")
        expect(interviewer.locator("[data-notes-view]")).to_contain_text(f"My notes for {key}")
        if key == "clarify":
            interviewer.click("[data-panel] [data-kind=hint][data-index='0'] [data-send-hint]")
            expect(candidate.locator("[data-deliveries]")).to_contain_text("Hint")
            expect(
                interviewer.locator(
                    "[data-panel] [data-kind=hint][data-index='0'] [data-send-hint]"
                )
            ).to_have_text("Sent ✓")
            candidate.fill("[data-chat-input]", "Can I assume about 90 queries a second?")
            candidate.press("[data-chat-input]", "Enter")
            expect(interviewer.locator("[data-chat-log]")).to_contain_text("90 queries")
        if key == "frame":
            candidate.click("[data-drawing-tab=diagram]")  # the board shows first
            candidate.fill("[data-diagram-editor]", DIAGRAM)
            expect(interviewer.locator("[data-diagram-preview] svg")).to_be_visible()
            expect(candidate.locator("[data-save-state=diagram]")).to_have_text("Saved")
        interviewer.click("[data-side-tab=score]")
        first = interviewer.locator("[data-panel] [data-criterion]").first
        first.locator("[data-score-level='3']").click()
        first.locator("[data-score-evidence]").fill(f"Evidence seen in {key}.")
        expect(interviewer.locator("[data-score-count]")).to_contain_text("1/")
        interviewer.click("[data-side-tab=guide]")
        expect(candidate.locator("[data-save-state=notes]")).to_have_text("Saved")
        if key == "data":
            # A refresh mid-interview loses nothing.
            candidate.reload()
            expect(candidate.locator("[data-connection]")).to_have_text("Connected")
            candidate.click("[data-note-tab=clarify]")
            expect(candidate.locator("[data-notes-editor]")).to_have_value(
                "My notes for clarify: decisions and trade-offs."
            )
            expect(candidate.locator("[data-diagram-editor]")).to_have_value(DIAGRAM)
            expect(candidate.locator("[data-deliveries]")).to_contain_text("Hint")
            expect(candidate.locator("[data-chat-log]")).to_contain_text("90 queries")
            candidate.click("[data-note-tab=data]")
            shot(candidate, "room-candidate-after-reload")
            # Typing that had not reached the server when the page went away is kept in the
            # browser, restored after the reload and saved then.
            unsaved = f"My notes for {key}: decisions and trade-offs. And one more thought."
            candidate.evaluate(
                """text => { const box = document.querySelector('[data-notes-editor]');
                box.value = text; box.dispatchEvent(new Event('input')); location.reload(); }""",
                unsaved,
            )
            candidate.wait_for_load_state()
            expect(candidate.locator("[data-connection]")).to_have_text("Connected")
            expect(candidate.locator("[data-notes-editor]")).to_have_value(unsaved)
            expect(interviewer.locator("[data-notes-view]")).to_contain_text("one more thought")
            expect(candidate.locator("[data-save-state=notes]")).to_have_text("Saved")
        if index < len(STEPS) - 1:
            # The evidence is sent when typing pauses and kept until the server has it.
            expect(interviewer.locator("#room")).to_have_attribute("data-outbox", "0")
            interviewer.click("[data-move='1']")
    shot(interviewer, "room-interviewer")

    # Nothing private ever reached the candidate's page.
    html = candidate.content()
    for secret in ("What to probe", "Score this step", "Red flags", "Evidence seen in"):
        assert secret not in html, secret

    interviewer.once("dialog", lambda dialog: dialog.accept())
    interviewer.click("[data-action='interview.end']")
    candidate.wait_for_url("**/wrap-up/")
    interviewer.wait_for_url("**/wrap-up/")
    assert not interviewer.js_errors and not candidate.js_errors

    interview = Interview.objects.get()
    assert interview.status == "wrapup"
    assert sorted(interview.elapsed) == sorted(STEPS)
    notes = Document.objects.filter(interview=interview, slot__startswith="notes:")
    assert notes.count() == 7
    assert Document.objects.get(interview=interview, slot="diagram").text == DIAGRAM
    assert Delivery.objects.filter(interview=interview).count() == 1
    scores = Score.objects.filter(interview=interview, source="interviewer")
    assert scores.count() == 7 and all(s.level == 3 and s.evidence for s in scores)
    moves = Event.objects.filter(interview=interview, kind="step")
    assert [e.step_key for e in moves] == STEPS[1:]

"""The room feels live, in two Chromium contexts against a real uvicorn process:

- the interviewer's view grows while the candidate types (sampled from the DOM), and a server
  restarted in the middle of the session loses nothing: both views converge without a reload;
- a step move does not cut the candidate's sentence, and the diagram keeps its last drawing
  while the text does not parse.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from casestudies.models import CaseStudy
from interviews import services
from interviews.models import Document
from tests import factories
from tests.browser.conftest import log_in, shot
from tests.conftest import ROOT, free_port, wait_for_port
from tests.conftest import test_database_url as database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Server:
    """A uvicorn process on a port of its own that a test can kill and start again."""

    def __init__(self, name: str) -> None:
        self.port = free_port()
        self.name = name
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        log = open(ROOT / "test-artifacts" / f"{self.name}-{self.starts}.log", "w")  # noqa: SIM115
        env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true"}
        env.update(CELERY_EAGER="true", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "config.asgi:application"),
                *("--port", str(self.port), "--host", "127.0.0.1", "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def server(request) -> Iterator[Server]:
    running = Server(request.node.name)
    running.start()
    yield running
    if running.process and running.process.poll() is None:
        running.process.terminate()
        running.process.wait(timeout=10)


def open_room(server: Server, context_factory, *, level="senior"):
    factories.load_bank()
    ines = factories.user(email="ines@example.org", name="Ines", password="live-test-pass-1")
    carl = factories.user(email="carl@example.org", name="Carl", password="live-test-pass-2")
    case = CaseStudy.objects.get(slug="visual-search")
    interview = services.interview_create(
        user=ines, case_study=case, role="interviewer", target_level=level
    )
    services.invite_accept(user=carl, token=interview.invite.token)
    interviewer = log_in(context_factory(), server.url, "ines@example.org", "live-test-pass-1")
    candidate = log_in(context_factory(), server.url, "carl@example.org", "live-test-pass-2")
    for page in (interviewer, candidate):
        page.goto(f"{server.url}/interviews/{interview.pk}/")
        expect(page.locator("[data-connection]")).to_have_text("Connected")
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-notes-editor]")).to_be_enabled()
    return interview, interviewer, candidate


def view_text(page) -> str:
    return page.locator("[data-notes-view]").inner_text()


def test_the_interviewer_watches_the_typing_and_a_restart_loses_nothing(server, context_factory):
    interview, interviewer, candidate = open_room(server, context_factory)
    editor = candidate.locator("[data-notes-editor]")
    editor.click()
    sentence = (
        "Shoppers upload a photo; we embed it and search about 55M listings by nearest "
        "neighbours within a 300 ms budget, then re-rank by availability and price. "
    )
    # Type continuously at about 20 characters a second, looking at the interviewer's
    # screen every few characters, while the typing goes on.
    samples = []
    for start in range(0, len(sentence), 6):
        candidate.keyboard.type(sentence[start : start + 6], delay=50)
        samples.append((len(editor.input_value()), len(view_text(interviewer))))
    typed_during = [seen for typed, seen in samples[:-1]]
    assert len(set(typed_during)) > len(samples) // 2, samples  # it grew while typing
    lags = [typed - seen for typed, seen in samples]
    assert max(lags[2:]) <= 30, samples  # never more than a breath behind
    expect(interviewer.locator("[data-notes-view]")).to_contain_text(sentence.strip())

    # The server dies; the candidate keeps typing; it comes back: nothing is lost and nobody
    # reloads.
    server.kill()
    expect(candidate.locator("[data-connection]")).to_contain_text("Reconnecting")
    more = "While the server was away, this was kept in the browser."
    candidate.keyboard.type(more, delay=10)
    expect(candidate.locator("[data-save-state=notes]")).to_have_text(
        "Offline: kept on this device"
    )
    time.sleep(1)
    server.start()
    for page in (interviewer, candidate):
        expect(page.locator("[data-connection]")).to_have_text("Connected", timeout=20_000)
    expect(interviewer.locator("[data-notes-view]")).to_contain_text(more, timeout=10_000)
    expect(candidate.locator("[data-save-state=notes]")).to_have_text("Saved")
    assert editor.input_value() == sentence + more
    text = Document.objects.get(interview=interview, slot="notes:clarify").text
    assert text == sentence + more
    shot(interviewer, "live-interviewer-after-restart")
    assert not interviewer.js_errors and not candidate.js_errors


def test_a_step_move_does_not_cut_a_sentence_and_the_diagram_keeps_its_drawing(
    server, context_factory
):
    interview, interviewer, candidate = open_room(server, context_factory)
    editor = candidate.locator("[data-notes-editor]")
    editor.click()
    candidate.keyboard.type("The business goal is more purchases from photo ", delay=20)
    interviewer.click("[data-move='1']")
    expect(candidate.locator(".rail-step.current")).to_have_attribute("data-step-key", "frame")
    notice = candidate.locator("[data-step-notice]")
    expect(notice).to_contain_text("moved on to Frame")
    candidate.keyboard.type("searches.", delay=20)  # the end of the sentence stays put
    expect(notice).to_be_hidden(timeout=6000)  # once the candidate pauses
    expect(candidate.locator("[data-note-tab=frame]")).to_have_attribute("aria-selected", "true")
    clarify = Document.objects.filter(interview=interview, slot="notes:clarify")
    candidate.wait_for_function(
        "() => document.querySelector('[data-save-state=notes]').textContent !== 'Saving…'"
    )
    assert clarify.get().text.endswith("from photo searches.")
    assert not Document.objects.filter(interview=interview, slot="notes:frame").exists()

    candidate.click("[data-drawing-tab=diagram]")  # the board shows first
    diagram = candidate.locator("[data-diagram-editor]")
    diagram.fill("flowchart LR\n  Photo --> Encoder --> Index")
    expect(interviewer.locator("[data-diagram-preview] svg")).to_be_visible()
    diagram.press("End")
    candidate.keyboard.type("\n  Index -->", delay=20)  # a line half written
    preview = interviewer.locator("[data-diagram-preview]")
    expect(preview.locator(".diagram-note")).to_contain_text("last version that could be drawn")
    expect(preview.locator("svg")).to_be_visible()  # the drawing stays, the error beside it
    candidate.keyboard.type(" Ranker", delay=20)
    expect(preview.locator(".diagram-note")).to_have_count(0)
    expect(preview).to_contain_text("Ranker")
    shot(interviewer, "live-diagram-kept")
    assert not interviewer.js_errors and not candidate.js_errors

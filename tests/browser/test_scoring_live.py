"""Live scoring in Chromium: a late echo of an earlier score never overwrites what the
interviewer has since typed or chosen; the anchors are visible as cards; a hint can be taken
back within its undo window, a curveball asks first."""

import json
import re

import pytest
from playwright.sync_api import expect

from interviews import services as interview_services
from interviews.models import Delivery
from tests import factories
from tests.browser.conftest import shot
from tests.browser.test_report_flow import off_loop, signed_in  # noqa: F401
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANEL = "[data-panel]"


def live_session():
    session = off_loop(factories.interview)
    off_loop(interview_services.interview_start, actor=session.actor("interviewer"))
    return session


class EchoHolder:
    """Between the page and the server: holds back the server's score echoes while
    ``holding``, to deliver them late and out of order (as a slow relay would)."""

    def __init__(self, page) -> None:
        self.holding = False
        self.held: list[str] = []
        self.sent: list[dict] = []
        page.route_web_socket(re.compile(r".*/ws/.*"), self.route)

    def route(self, ws) -> None:
        server = ws.connect_to_server()

        def upstream(message) -> None:
            if isinstance(message, str):
                self.sent.append(json.loads(message))
            server.send(message)

        def downstream(message) -> None:
            if self.holding and isinstance(message, str) and '"score.recorded"' in message:
                self.held.append(message)
                return
            ws.send(message)

        self.ws = ws
        ws.on_message(upstream)
        server.on_message(downstream)

    def release(self, index: int) -> None:
        self.ws.send(self.held[index])


def test_a_late_echo_never_overwrites_evidence_or_a_level(
    signed_in,  # noqa: F811
    allow_sync_orm,
):
    session = live_session()
    page = signed_in(session.interviewer)
    echoes = EchoHolder(page)
    page.goto(f"/interviews/{session.interview.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    page.click("[data-side-tab=score]")
    box = page.locator(f"{PANEL} [data-criterion='clarify-main']")
    evidence = box.locator("[data-score-evidence]")
    echoes.holding = True
    evidence.fill("Asked about the goal")
    page.wait_for_function("() => document.querySelector('#room').dataset.outbox === '0'")
    evidence.fill("Asked about the goal, then the users")
    page.wait_for_function("() => document.querySelector('#room').dataset.outbox === '0'")
    assert len(echoes.held) == 2
    box.locator("[data-score-level='3']").click()
    box.locator("[data-score-level='4']").click()
    page.wait_for_function("() => document.querySelector('#room').dataset.outbox === '0'")
    assert len(echoes.held) == 4
    page.locator("h3", has_text="Score this step").click()  # the evidence box loses the focus
    # The latest echoes arrive first, then the earlier ones, late.
    echoes.release(3)
    echoes.release(1)
    echoes.release(2)
    echoes.release(0)
    page.wait_for_timeout(400)
    expect(evidence).to_have_value("Asked about the goal, then the users")
    expect(box.locator("[data-score-level='4']")).to_have_attribute("aria-pressed", "true")
    expect(box.locator("[data-score-level='3']")).to_have_attribute("aria-pressed", "false")
    assert page.js_errors == []


def test_a_hint_can_be_taken_back_and_a_curveball_asks_first(
    signed_in,  # noqa: F811
    allow_sync_orm,
):
    session = live_session()
    interviewer = signed_in(session.interviewer)
    echoes = EchoHolder(interviewer)
    candidate = signed_in(session.candidate)
    room_url = f"/interviews/{session.interview.pk}/"
    interviewer.set_viewport_size({"width": 1366, "height": 768})
    interviewer.goto(room_url)
    candidate.goto(room_url)
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected")
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")

    hint = interviewer.locator(f"{PANEL} [data-kind=hint][data-index='0']")
    hint.locator("[data-send-hint]").click()
    expect(hint.locator("[data-send-hint]")).to_contain_text("Sent — reaches them in")
    shot_viewport(interviewer, "room-hint-undo-1366")
    hint.locator("[data-undo-hint]").click()
    expect(interviewer.locator("[data-banner]")).to_contain_text("taken back")
    expect(hint.locator("[data-send-hint]")).to_have_text("Send to candidate")
    expect(hint.locator("[data-undo-hint]")).to_be_hidden()
    interviewer.wait_for_timeout(3000)  # past the undo window (HINT_UNDO_MS, tests/conftest.py)
    expect(candidate.locator("[data-deliveries]")).not_to_contain_text("Hint 1")
    assert not Delivery.objects.filter(interview=session.interview).exists()

    curveball = interviewer.locator(f"{PANEL} [data-kind=curveball][data-index='0']")
    interviewer.once("dialog", lambda dialog: dialog.dismiss())
    curveball.locator("[data-send-hint]").click()
    interviewer.wait_for_timeout(300)
    assert not [m for m in echoes.sent if m["payload"].get("kind") == "curveball"]
    messages = []
    interviewer.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    curveball.locator("[data-send-hint]").click()
    assert "curveball" in messages[0].lower()
    expect(candidate.locator("[data-deliveries]")).to_contain_text(
        "Curveball for factory-case clarify.", timeout=10_000
    )
    expect(curveball.locator("[data-send-hint]")).to_have_text("Sent ✓")
    # The room relays at once and stores through the write-behind a moment later.
    curveballs = Delivery.objects.filter(interview=session.interview, kind="curveball")
    wait_until(lambda: curveballs.count() == 1, timeout=10, what="the curveball stored")
    assert interviewer.js_errors == [] and candidate.js_errors == []


def shot_viewport(page, name: str) -> None:
    page.screenshot(path=f"test-artifacts/{name}.png")


def test_the_scoring_panel_shows_each_levels_anchor(signed_in, allow_sync_orm):  # noqa: F811
    session = live_session()
    page = signed_in(session.interviewer)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/interviews/{session.interview.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    page.click("[data-side-tab=score]")
    box = page.locator(f"{PANEL} [data-criterion='clarify-main']")
    for level in (1, 2, 3, 4):
        card = box.locator(f"[data-score-level='{level}']")
        expect(card).to_be_visible()
        expect(card).to_contain_text(f"Anchor {level} of clarify-main.")
    box.locator("[data-score-level='3']").click()
    expect(box.locator("[data-score-level='3']")).to_have_attribute("aria-pressed", "true")
    box.locator("[data-score-evidence]").fill("Asked who the users are before anything else.")
    box.scroll_into_view_if_needed()
    shot_viewport(page, "room-scoring-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("[data-pane-tab=guide]")  # a phone shows one panel at a time
    page.click("[data-side-tab=score]")
    expect(box.locator("[data-score-level='3']")).to_be_visible()
    box.scroll_into_view_if_needed()
    shot_viewport(page, "room-scoring-390")
    shot(page, "room-scoring-390-full")
    assert page.js_errors == []

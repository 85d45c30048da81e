"""The shared board and the room's layout in Chromium, two people in two contexts against a real
uvicorn process: both draw with the mouse and each sees the other's elements; a reload, a fresh
browser and a dropped socket all find the board; the board is read-only before the start; the
Mermaid diagram becomes board elements; the board's image reaches the report. At 1366×768 the
candidate's notes and the board are on screen together after the start, and the interviewer
sees the guide beside the candidate's work; at 390 px the room is tabs, not a long column."""

import pytest
from playwright.sync_api import expect

from interviews.models import BoardImage, DocumentUpdate
from tests import factories
from tests.browser.conftest import shot
from tests.browser.test_report_flow import off_loop, signed_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Keeps every WebSocket the page opens, so that a test can drop one (the room reconnects).
TRACK_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""

WIDE_DIAGRAM = (
    "flowchart LR\n  Upload[Photo upload] --> Detect[Object detector] --> Embed[Image encoder]"
    " --> Index[ANN index] --> Rerank[Re-ranker] --> Results[Similar products]"
)
ELEMENTS = "SevenstepsRoomBoard.board.handle.getSceneElements().map(e => [e.type, e.id])"


def board_ready(page) -> None:
    expect(page.locator("#room")).to_have_attribute("data-board-state", "ready")


def draw(page, tool: str, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Pick a tool from Excalidraw's toolbar and drag on the board with the mouse."""
    # The radio input sits under its icon: click the label that holds both, as a person does.
    page.locator(f"[data-board] [data-testid='toolbar-{tool}']").locator("xpath=..").click()
    box = page.locator("[data-board] canvas.interactive").bounding_box()
    page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + (start[0] + end[0]) / 2, box["y"] + (start[1] + end[1]) / 2)
    page.mouse.move(box["x"] + end[0], box["y"] + end[1])
    page.mouse.up()


def types_on(page) -> list[str]:
    return sorted(kind for kind, _id in page.evaluate(ELEMENTS))


def in_viewport(page, selector: str, *, scrolls: bool = False) -> bool:
    """Whether the element is wholly inside the window, without scrolling the page; for one
    that scrolls inside its own box (``scrolls``), whether at least 200 px of it show."""
    return page.evaluate(
        """([sel, scrolls]) => {
          const r = document.querySelector(sel).getBoundingClientRect();
          const inside = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
            && r.right <= innerWidth;
          const shown = scrolls ? Math.min(r.bottom, innerHeight) - r.top >= 200
            : r.bottom <= innerHeight;
          return inside && shown; }""",
        [selector, scrolls],
    )


@pytest.fixture
def session(allow_sync_orm):
    return off_loop(factories.interview)


def test_two_people_draw_on_one_board_that_survives_reloads_and_drops(
    session,
    signed_in,  # noqa: F811
):
    room_url = f"/interviews/{session.interview.pk}/"
    interviewer = signed_in(session.interviewer)
    candidate = signed_in(session.candidate)
    candidate.context.add_init_script(TRACK_SOCKETS)
    interviewer.context.add_init_script(TRACK_SOCKETS)
    interviewer.goto(room_url)
    candidate.goto(room_url)
    board_ready(candidate)
    board_ready(interviewer)
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")
    # Before the start the board is read-only: no drawing tools.
    expect(candidate.locator("[data-board] [data-testid='toolbar-rectangle']")).to_have_count(0)
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-board] [data-testid='toolbar-rectangle']")).to_be_visible()

    draw(candidate, "rectangle", (60, 120), (200, 200))
    draw(interviewer, "ellipse", (220, 130), (330, 220))
    for page in (candidate, interviewer):
        page.wait_for_function(f"() => {ELEMENTS}.length === 2")
        assert types_on(page) == ["ellipse", "rectangle"]
    expect(candidate.locator("[data-save-state=board]")).to_have_text("Saved")
    expect(interviewer.locator("[data-save-state=board]")).to_have_text("Saved")
    shot(candidate, "board-room-candidate-drawn")

    # An element moved (as Excalidraw does it: a new version): the newer version wins.
    rect_id = next(i for kind, i in candidate.evaluate(ELEMENTS) if kind == "rectangle")
    candidate.evaluate(
        """id => { const b = SevenstepsRoomBoard.board.handle;
        b.updateScene(b.getSceneElementsIncludingDeleted()
          .map(e => e.id === id ? {...e, x: 500, version: e.version + 1} : e)); }""",
        rect_id,
    )
    interviewer.wait_for_function(
        "id => SevenstepsRoomBoard.board.handle.getSceneElements()"
        ".find(e => e.id === id).x === 500",
        arg=rect_id,
    )

    # A reload finds the board; so does a browser that never saw it (the server's copy).
    candidate.reload()
    board_ready(candidate)
    candidate.wait_for_function(f"() => {ELEMENTS}.length === 2")
    fresh = signed_in(session.candidate)
    fresh.goto(room_url)
    board_ready(fresh)
    fresh.wait_for_function(f"() => {ELEMENTS}.length === 2")
    assert types_on(fresh) == ["ellipse", "rectangle"]
    fresh.context.close()

    # The interviewer's socket drops; what each draws meanwhile meets after the reconnect.
    interviewer.evaluate("window.__sockets.at(-1).close()")
    expect(interviewer.locator("[data-connection]")).not_to_have_text("Connected")
    draw(interviewer, "diamond", (60, 240), (160, 320))
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected", timeout=15_000)
    candidate.wait_for_function(f"() => {ELEMENTS}.length === 3")
    assert types_on(candidate) == ["diamond", "ellipse", "rectangle"]
    expect(interviewer.locator("[data-save-state=board]")).to_have_text("Saved")
    assert DocumentUpdate.objects.filter(interview=session.interview, doc="board").exists()
    assert not candidate.js_errors and not interviewer.js_errors


def test_the_board_image_reaches_the_report_and_a_diagram_goes_on_the_board(
    session,
    signed_in,  # noqa: F811
):
    room_url = f"/interviews/{session.interview.pk}/"
    interviewer = signed_in(session.interviewer)
    candidate = signed_in(session.candidate)
    interviewer.goto(room_url)
    candidate.goto(room_url)
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")
    interviewer.click("[data-action='interview.start']")
    board_ready(candidate)
    candidate.click("[data-drawing-tab=diagram]")
    candidate.fill(
        "[data-diagram-editor]",
        "flowchart LR\n  Query --> Retrieval[Candidate retrieval]\n  Retrieval --> Ranker",
    )
    candidate.click("[data-diagram-to-board]")
    expect(candidate.locator("[data-drawing-panel=board]")).to_be_visible()
    candidate.wait_for_function(
        "() => SevenstepsRoomBoard.board.handle.getSceneElements()"
        ".some(e => e.type === 'text' && e.text === 'Candidate retrieval')"
    )
    interviewer.wait_for_function(
        "() => SevenstepsRoomBoard.board.handle.getSceneElements()"
        ".filter(e => e.type === 'arrow').length === 2"
    )
    # A while later (past the replay's few-second frames) the interviewer adds a box.
    expect(interviewer.locator("[data-save-state=board]")).to_have_text("Saved")
    interviewer.wait_for_timeout(6500)
    interviewer.click("[data-drawing-tab=board]")
    draw(interviewer, "rectangle", (40, 300), (140, 360))
    candidate.wait_for_function(
        "() => SevenstepsRoomBoard.board.handle.getSceneElements()"
        ".filter(e => e.type === 'rectangle').length === 4"  # 3 from the diagram, 1 drawn
    )
    expect(interviewer.locator("[data-save-state=board]")).to_have_text("Saved")
    drawn = len(candidate.evaluate("SevenstepsRoomBoard.board.handle.getSceneElements()"))
    # The board's picture goes to the server when the interview ends.
    interviewer.once("dialog", lambda dialog: dialog.accept())
    interviewer.click("[data-action='interview.end']")
    candidate.wait_for_url("**/wrap-up/")
    image = BoardImage.objects.get(interview=session.interview)
    assert image.png.startswith(b"\x89PNG") and image.width > 100 and image.height > 50

    # The timeline plays the board back as it was built: the diagram first, then the box.
    candidate.goto(f"/interviews/{session.interview.pk}/timeline/")
    board = candidate.locator("[data-replay-board]")
    expect(board).to_have_attribute("data-ready", "1", timeout=20_000)
    expect(board).to_have_attribute("data-elements", str(drawn))  # the last moment
    frames = candidate.evaluate(
        "url => fetch(url).then(r => r.json()).then(d => d.frames.map(f => f.doc))",
        f"/interviews/{session.interview.pk}/timeline/replay.json",
    )
    first_board = frames.index("board")
    candidate.evaluate(
        """i => { const s = document.querySelector('[data-replay-scrubber]');
        s.value = String(i); s.dispatchEvent(new Event('input')); }""",
        first_board,
    )
    expect(board).to_have_attribute("data-elements", str(drawn - 1))
    expect(candidate.locator("[data-replay-time]")).not_to_have_text("0:00")
    shot(candidate, "board-replay-first-moment")
    assert not candidate.js_errors and not interviewer.js_errors


def test_at_laptop_size_the_work_is_on_screen_together(
    session,
    signed_in,  # noqa: F811
):
    room_url = f"/interviews/{session.interview.pk}/"
    interviewer = signed_in(session.interviewer)
    candidate = signed_in(session.candidate)
    for page in (interviewer, candidate):
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(room_url)
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")
    expect(candidate.locator("[data-prompt]")).to_have_attribute("open", "")
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-status-pill]")).to_have_text("Live")
    board_ready(candidate)
    board_ready(interviewer)
    candidate.fill("[data-notes-editor]", "Users upload a photo; we return similar products.")
    expect(interviewer.locator("[data-notes-view]")).to_contain_text("similar products")
    chat = "Latency budget: 300 ms?"
    candidate.fill("[data-chat-input]", chat)
    candidate.press("[data-chat-input]", "Enter")
    expect(interviewer.locator("[data-chat-log]")).to_contain_text(chat)

    # The candidate: the prompt folded, the step's brief, the notes and the board in view.
    expect(candidate.locator("[data-prompt]")).not_to_have_attribute("open", "")
    expect(candidate.locator("[data-step-brief='clarify']")).to_be_visible()
    interviewer.screenshot(path="test-artifacts/room-1366-interviewer.png")
    candidate.screenshot(path="test-artifacts/room-1366-candidate.png")
    for selector in ("[data-notes-editor]", "[data-board]", "[data-chat-input]", "[data-prompt]"):
        assert in_viewport(candidate, selector), selector
    # The interviewer: the candidate's notes and board beside the guide and the chat.
    for selector in ("[data-notes-view]", "[data-board]", "[data-chat-input]"):
        assert in_viewport(interviewer, selector), selector
    assert in_viewport(interviewer, "[data-panel] [data-panel-tab=guide]", scrolls=True)
    # The whole room fits the window (the site's footer may follow below it).
    assert candidate.evaluate(
        "document.querySelector('.room-grid').getBoundingClientRect().bottom <= innerHeight"
    )

    # The Mermaid diagram: its preview starts at full size (readable labels), zooms and pans.
    candidate.click("[data-drawing-tab=diagram]")
    candidate.fill("[data-diagram-editor]", WIDE_DIAGRAM)
    interviewer.click("[data-drawing-tab=diagram]")
    preview = interviewer.locator("[data-diagram-preview]")
    expect(preview.locator("svg")).to_be_visible()
    label_height = """el => Math.max(...[...el.querySelectorAll('svg .nodeLabel, svg text')]
        .map(t => t.getBoundingClientRect().height))"""
    assert preview.evaluate(label_height) >= 12  # px: readable, not shrunk to fit
    interviewer.click("[data-zoom-bar] [data-zoom=fit]")
    expect(preview).not_to_have_attribute("data-zoom", "1")
    interviewer.click("[data-zoom-bar] [data-zoom=reset]")
    expect(preview).to_have_attribute("data-zoom", "1")
    interviewer.click("[data-zoom-bar] [data-zoom=in]")
    expect(preview).to_have_attribute("data-zoom", "1.25")
    scrolled = preview.evaluate("el => { el.scrollLeft = 120; return el.scrollLeft; }")
    assert scrolled > 0  # wider than its box: it pans
    assert in_viewport(interviewer, "[data-diagram-preview]")  # inside its column
    interviewer.screenshot(path="test-artifacts/room-1366-interviewer-diagram.png")
    candidate.screenshot(path="test-artifacts/room-1366-candidate-diagram.png")

    # A phone: tabs over the panels, the notes and the chat each one tap away.
    candidate.set_viewport_size({"width": 390, "height": 844})
    expect(candidate.locator("[data-pane-tabs]")).to_be_visible()
    candidate.screenshot(path="test-artifacts/room-390-candidate-notes.png")
    assert in_viewport(candidate, "[data-notes-editor]", scrolls=True)
    expect(candidate.locator("[data-board]")).to_be_hidden()
    candidate.screenshot(path="test-artifacts/room-390-candidate-notes.png")
    candidate.click("[data-pane-tab=chat]")
    expect(candidate.locator("[data-chat-input]")).to_be_visible()
    expect(candidate.locator("[data-notes-editor]")).to_be_hidden()
    assert candidate.evaluate("document.documentElement.scrollHeight") < 2000
    candidate.screenshot(path="test-artifacts/room-390-candidate-chat.png")
    candidate.click("[data-pane-tab=board]")
    candidate.click("[data-drawing-tab=board]")
    expect(candidate.locator("[data-board] canvas.interactive")).to_be_visible()
    candidate.screenshot(path="test-artifacts/room-390-candidate-board.png")
    interviewer.set_viewport_size({"width": 390, "height": 844})
    interviewer.click("[data-pane-tab=guide]")
    expect(interviewer.locator("[data-panel] [data-panel-tab=guide]")).to_be_visible()
    interviewer.screenshot(path="test-artifacts/room-390-interviewer-guide.png")
    assert not candidate.js_errors and not interviewer.js_errors


def test_a_solo_drill_has_the_board_beside_the_notes(
    signed_in,  # noqa: F811
    allow_sync_orm,
):
    drill = off_loop(factories.solo_drill, finished=False)
    page = signed_in(drill.candidate)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/interviews/{drill.interview.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    page.click("[data-action='interview.start']")
    expect(page.locator("[data-status-pill]")).to_have_text("Live")
    board_ready(page)
    page.fill("[data-notes-editor]", "Alone: requirements first.")
    draw(page, "ellipse", (80, 140), (240, 240))
    page.wait_for_function(f"() => {ELEMENTS}.length === 1")
    expect(page.locator("[data-save-state=board]")).to_have_text("Saved")
    for selector in ("[data-notes-editor]", "[data-board]"):
        assert in_viewport(page, selector), selector
    page.screenshot(path="test-artifacts/room-1366-solo.png")
    page.reload()
    board_ready(page)
    page.wait_for_function(f"() => {ELEMENTS}.length === 1")
    assert not page.js_errors

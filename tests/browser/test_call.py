"""Voice and video in the room: two Chromium contexts with Chromium's synthetic microphone and
camera (a tone and a test pattern) create and join a real interview through the app, check their
devices, join the call, and connect peer to peer through the room's signalling. The figures
come from each side's own RTCPeerConnection.getStats(), and are written to
test-artifacts/call-stats.json.

The pages' RTCPeerConnection objects are found by wrapping the constructor before any page
script runs (a test's init script, outside the page's CSP): the app has no test hook."""

import json
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from interviews import services
from tests import factories
from tests.browser.conftest import log_in
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEETING = "https://meet.example.org/sevensteps-practice"
SLOW = 20_000  # ms: connecting a room or a call on a busy machine
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

# Keeps every RTCPeerConnection the page makes in window.__peers (newest last), and every
# Content-Security-Policy violation in window.__csp.
RECORD_PEERS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline"));
});
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.__peers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__peers.push(this);
      const n = window.__peers.length;
      ["signalingstatechange", "iceconnectionstatechange", "connectionstatechange",
       "icegatheringstatechange"].forEach((name) => this.addEventListener(name, () =>
        console.debug("pc" + n, name, this.signalingState, this.iceConnectionState,
                      this.connectionState, this.iceGatheringState)));
    }
  };
})();
// The call's signals, both ways, in the console (test-artifacts/call-console-*.log).
document.addEventListener("room:message", (e) => {
  const m = e.detail || {};
  if (m.type !== "call.signal") return;
  console.debug("received", m.payload.kind, JSON.stringify(m.payload.data).slice(0, 120));
}, true);
(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const signal = typeof data === "string" && data.includes("call.signal");
    if (signal) console.debug("sent", data.slice(0, 160));
    return send.call(this, data);
  };
})();
"""

# The figures of the page's live connection: audio received and sent, the round trip of the
# selected candidate pair, packets lost; and the ICE username fragment in use (changes on an
# ICE restart).
READ_STATS = """
async () => {
  const pc = (window.__peers || []).filter((p) => p.connectionState !== "closed").pop();
  if (!pc) return null;
  const out = {state: pc.connectionState, audioBytesReceived: 0, audioPacketsReceived: 0,
               audioPacketsLost: 0, videoBytesReceived: 0, audioBytesSent: 0, rttMs: null,
               ufrag: null};
  const report = await pc.getStats();
  report.forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "audio") {
      out.audioBytesReceived += r.bytesReceived || 0;
      out.audioPacketsReceived += r.packetsReceived || 0;
      out.audioPacketsLost += r.packetsLost || 0;
    }
    if (r.type === "inbound-rtp" && r.kind === "video") {
      out.videoBytesReceived += r.bytesReceived || 0;
    }
    if (r.type === "outbound-rtp" && r.kind === "audio") out.audioBytesSent += r.bytesSent || 0;
    if (r.type === "transport" && r.selectedCandidatePairId) {
      const pair = report.get(r.selectedCandidatePairId);
      if (pair && pair.currentRoundTripTime !== undefined) {
        out.rttMs = pair.currentRoundTripTime * 1000;
      }
      const local = pair && report.get(pair.localCandidateId);
      if (local) out.ufrag = local.usernameFragment || null;
    }
  });
  out.peers = window.__peers.length;
  return out;
}
"""


@pytest.fixture
def media_browser(transactional_db, monkeypatch) -> Iterator:
    """Chromium with a synthetic microphone and camera, permission granted without a prompt."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *FAKE_MEDIA]
        )
        yield chromium
        chromium.close()
        connections.close_all()


def person(browser, base: str, email: str, password: str, **context_kwargs) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, **context_kwargs)
    context.set_default_timeout(15_000)
    context.add_init_script(RECORD_PEERS)
    # What the page logs (the call's warnings, say), kept for a failed run to be read.
    log = (ROOT / "test-artifacts" / f"call-console-{email.split('@')[0]}.log").open("w")
    context.on(
        "console",
        lambda message: (
            log.write(f"{time.time():.3f} {message.type}: {message.text}\n") or log.flush()
        ),
    )
    return log_in(context, base, email, password)


def stats(page: Page) -> dict:
    return page.evaluate(READ_STATS)


def wait_for_audio(page: Page, *, above: int = 0, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    figures = None
    while time.monotonic() < deadline:
        figures = stats(page)
        if figures and figures["audioBytesReceived"] > above and figures["rttMs"] is not None:
            return figures
        time.sleep(0.25)
    raise AssertionError(f"no audio arrived: {figures}")


def screenshot(page: Page, name: str) -> None:
    page.locator("[data-call]").scroll_into_view_if_needed()
    page.screenshot(path=str(ROOT / "test-artifacts" / f"{name}.png"))


def create_and_join(live_server_url: str, interviewer: Page, candidate: Page) -> None:
    """The interviewer creates the interview on the new-interview page; the candidate joins by
    the invite link."""
    interviewer.goto(live_server_url + "/interviews/new/")
    option = interviewer.locator(
        "select[name=case_study] option", has_text=re.compile(r"^Visual search for a home-goods")
    )
    interviewer.select_option("select[name=case_study]", option.get_attribute("value"))
    interviewer.check("input[name=role][value=interviewer]")
    interviewer.fill("input[name=call_link]", MEETING)
    interviewer.click("main form button[type=submit]")
    link = interviewer.input_value("[data-invite-url]")
    candidate.goto(link)
    candidate.click("main form button[type=submit]")
    # The machine running the suite may be busy: the first load of a room can take a while.
    expect(candidate.locator("[data-connection]")).to_have_text("Connected", timeout=SLOW)
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected", timeout=SLOW)


def test_two_people_talk_through_the_rooms_signalling(live_server_url, media_browser):
    factories.load_bank()
    factories.user(email="ines@example.org", name="Ines", password="call-test-pass-1")
    factories.user(email="carl@example.org", name="Carl", password="call-test-pass-2")
    interviewer = person(media_browser, live_server_url, "ines@example.org", "call-test-pass-1")
    candidate = person(media_browser, live_server_url, "carl@example.org", "call-test-pass-2")
    # The interviewer's room socket passes through the test, which can cut it later.
    sockets = []

    def through_the_test(route) -> None:
        sockets.append((route, route.connect_to_server()))

    interviewer.context.route_web_socket(re.compile(r"/ws/interviews/"), through_the_test)
    create_and_join(live_server_url, interviewer, candidate)

    # The meeting link given on the new-interview page is there for both, opening apart.
    for page in (interviewer, candidate):
        link = page.locator("[data-call-link] a")
        expect(link).to_have_attribute("href", MEETING)
        assert set(link.get_attribute("rel").split()) == {"noopener", "noreferrer"}
    # The interviewer changes it before the start; the candidate's open page follows.
    interviewer.click("[data-call-link-edit] summary")
    interviewer.fill("#call-link-input", MEETING + "-2")
    interviewer.click("[data-call-link-edit] button[type=submit]")
    expect(interviewer.locator(".messages")).to_contain_text("Meeting link saved.")
    expect(candidate.locator("[data-call-link] a")).to_have_attribute("href", MEETING + "-2")
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected", timeout=SLOW)

    # Before the start both are offered the check; it shows the microphone's level and the
    # camera. The candidate skips it.
    for page in (interviewer, candidate):
        expect(page.locator("[data-call-check]")).to_be_visible()
    screenshot(interviewer, "call-interviewer-check-offered-1366")
    interviewer.click("[data-call-check-start]")
    expect(interviewer.locator("[data-call-level-note]")).to_have_text("We hear you.")
    interviewer.wait_for_function(
        "document.querySelector('[data-call-check-preview]').videoWidth > 0"
    )
    screenshot(interviewer, "call-interviewer-check-1366")
    candidate.click("[data-call-check-skip]")
    expect(candidate.locator("[data-call-check]")).to_be_hidden()

    # The interviewer joins (with the stream the check opened) and waits; the candidate sees it.
    interviewer.click("[data-call-join]")
    expect(interviewer.locator("[data-call-check]")).to_be_hidden()
    expect(interviewer.locator("[data-call-status]")).to_contain_text("Waiting for the candidate")
    expect(candidate.locator("[data-call-status]")).to_have_text(
        "Your interviewer is in the call.", timeout=SLOW
    )
    expect(candidate.locator("[data-call-join]")).to_have_text("Join your interviewer")
    candidate.click("[data-call-join]")
    for page, peer in ((interviewer, "the candidate"), (candidate, "your interviewer")):
        expect(page.locator("[data-call-status]")).to_have_text(
            f"In the call with {peer}.", timeout=SLOW
        )
        expect(page.locator("[data-call-mute]")).to_have_attribute("aria-pressed", "false")

    # Audio flows both ways, peer to peer: each side's own statistics.
    figures = {
        "interviewer": wait_for_audio(interviewer),
        "candidate": wait_for_audio(candidate),
    }
    time.sleep(3)  # a few seconds of talking, for figures worth reporting
    figures = {"interviewer": stats(interviewer), "candidate": stats(candidate)}
    for side, got in figures.items():
        assert got["state"] == "connected", side
        assert got["audioBytesReceived"] > 5_000, (side, got)
        assert got["audioPacketsReceived"] > 100, (side, got)
        assert got["videoBytesReceived"] > 0, (side, got)
        assert got["rttMs"] is not None and got["rttMs"] < 1_000, (side, got)
        assert got["audioPacketsLost"] <= got["audioPacketsReceived"] * 0.05, (side, got)
    (ROOT / "test-artifacts" / "call-stats.json").write_text(json.dumps(figures, indent=2))
    for page in (interviewer, candidate):
        expect(page.locator("[data-call-quality]")).to_contain_text("connection")
        page.wait_for_function("document.querySelector('[data-call-remote]').videoWidth > 0")
    screenshot(interviewer, "call-interviewer-1366")
    screenshot(candidate, "call-candidate-1366")

    # Mute and camera off are pressed states, and the other side is told.
    candidate.click("[data-call-mute]")
    expect(candidate.locator("[data-call-mute]")).to_have_attribute("aria-pressed", "true")
    expect(candidate.locator("[data-call-mute]")).to_have_text("Mute")  # the label stays
    expect(candidate.locator("[data-call-local-note]")).to_have_text("Muted")
    expect(interviewer.locator("[data-call-remote-note]")).to_have_text("Muted")
    candidate.click("[data-call-camera]")
    expect(candidate.locator("[data-call-camera]")).to_have_attribute("aria-pressed", "true")
    expect(interviewer.locator("[data-call-remote-note]")).to_have_text("Camera off · Muted")
    candidate.click("[data-call-camera]")
    candidate.click("[data-call-mute]")
    expect(interviewer.locator("[data-call-remote-note]")).to_be_hidden()

    # Device choice lists the synthetic devices by name once permission is granted.
    interviewer.click("[data-call-devices]")
    expect(interviewer.locator("[data-call-device=audioinput] option").first).not_to_have_text("")

    # The room's socket drops and comes back: the call restarts ICE and carries on.
    before = stats(interviewer)
    page_side, server_side = sockets[-1]
    server_side.close()
    page_side.close(code=4000, reason="cut by the test")
    expect(interviewer.locator("[data-connection]")).to_contain_text("Reconnecting")
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected", timeout=SLOW)
    # An ICE restart: the connection carries on with new ICE credentials.
    wait_until(
        lambda: (stats(interviewer) or {}).get("ufrag") not in (None, before["ufrag"]),
        timeout=20,
        what="an ICE restart",
    )
    after = wait_for_audio(interviewer, above=before["audioBytesReceived"])
    assert after["peers"] == before["peers"], "an ICE restart, not a new connection"
    expect(interviewer.locator("[data-call-status]")).to_have_text(
        "In the call with the candidate.", timeout=SLOW
    )

    # The candidate reloads the page: the interviewer waits; the new page learns that the
    # interviewer is in the call, and joining again connects a new connection.
    candidate.reload()
    expect(interviewer.locator("[data-call-status]")).to_contain_text("Waiting for the candidate")
    expect(candidate.locator("[data-call-status]")).to_have_text(
        "Your interviewer is in the call.", timeout=SLOW
    )
    candidate.click("[data-call-join]")
    expect(candidate.locator("[data-call-status]")).to_have_text(
        "In the call with your interviewer.", timeout=SLOW
    )
    wait_for_audio(candidate)
    wait_for_audio(interviewer, above=0)

    # Phone width: the call bar still fits.
    for page, role in ((interviewer, "interviewer"), (candidate, "candidate")):
        page.set_viewport_size({"width": 390, "height": 844})
        # The whole page (a sticky element could cover the bar in a viewport shot), cut to
        # the call bar.
        box = page.locator("[data-call]").bounding_box()
        top = box["y"] + page.evaluate("window.scrollY")
        page.screenshot(
            path=str(ROOT / "test-artifacts" / f"call-{role}-390.png"),
            full_page=True,
            clip={"x": 0, "y": max(0, top - 12), "width": 390, "height": box["height"] + 24},
        )

    # Leaving says goodbye: the other side waits again.
    candidate.click("[data-call-leave]")
    expect(interviewer.locator("[data-call-status]")).to_contain_text("Waiting for the candidate")
    expect(candidate.locator("[data-call-join]")).to_be_visible()
    for page in (interviewer, candidate):
        assert page.js_errors == [], page.js_errors
        assert page.evaluate("window.__csp") == []


def test_a_refused_microphone_is_explained(live_server_url, chromium_without_media_ui, room):
    browser = chromium_without_media_ui
    page = person(browser, live_server_url, "carl@example.org", "call-test-pass-2")
    page.goto(f"{live_server_url}/interviews/{room.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected", timeout=SLOW)
    page.click("[data-call-join]")
    error = page.locator("[data-call-error]")
    expect(error).to_contain_text("Your browser blocked the microphone and camera")
    expect(page.locator("[data-call-status]")).to_have_text("Not in the call.")
    expect(page.locator("[data-call-join]")).to_be_enabled()
    screenshot(page, "call-refused-1366")


def test_a_call_whose_answers_were_lost_connects_by_itself(live_server_url, media_browser, room):
    """Each side's answers are lost on the way for the first seconds (a socket blip, a signal
    refused): nothing moves until the side left waiting restarts ICE with a new offer."""
    dropping = {"on": True, "dropped": 0}

    def lossy(route) -> None:
        server = route.connect_to_server()

        def forward(message) -> None:
            if dropping["on"] and '"call.signal"' in message and '"answer"' in message:
                dropping["dropped"] += 1
                return
            server.send(message)

        route.on_message(forward)

    pages = {}
    for role, email, password in (
        ("interviewer", "ines@example.org", "call-test-1"),
        ("candidate", "carl@example.org", "call-test-pass-2"),
    ):
        page = person(media_browser, live_server_url, email, password)
        page.context.route_web_socket(re.compile(r"/ws/interviews/"), lossy)
        page.goto(f"{live_server_url}/interviews/{room.pk}/")
        expect(page.locator("[data-connection]")).to_have_text("Connected", timeout=SLOW)
        pages[role] = page
    for page in pages.values():
        page.click("[data-call-check-skip]")
        page.click("[data-call-join]")
    # Waiting in Playwright (not in time.sleep): the route handler runs on its loop.
    for _ in range(200):
        if dropping["dropped"]:
            break
        pages["interviewer"].wait_for_timeout(100)
    assert dropping["dropped"], "no answer was sent"
    pages["interviewer"].wait_for_timeout(2000)  # both sides wait for answers that never come
    for page in pages.values():
        expect(page.locator("[data-call-status]")).to_contain_text("Connecting to")
    dropping["on"] = False
    for page, peer in (
        (pages["interviewer"], "the candidate"),
        (pages["candidate"], "your interviewer"),
    ):
        expect(page.locator("[data-call-status]")).to_have_text(
            f"In the call with {peer}.", timeout=2 * SLOW
        )
    wait_for_audio(pages["candidate"])
    for page in pages.values():
        assert page.js_errors == [], page.js_errors


@pytest.fixture
def room(transactional_db):
    factories.load_bank()
    interviewer = factories.user(email="ines@example.org", name="Ines", password="call-test-1")
    candidate = factories.user(email="carl@example.org", name="Carl", password="call-test-pass-2")
    from casestudies.models import CaseStudy

    case = CaseStudy.objects.filter(title__startswith="Visual search").first()
    interview = services.interview_create(
        user=interviewer, case_study=case, role="interviewer", target_level="senior"
    )
    services.invite_accept(user=candidate, token=interview.invite.token)
    return interview


@pytest.fixture
def chromium_without_media_ui(transactional_db, monkeypatch) -> Iterator:
    """Chromium with synthetic devices but no automatic permission: the context is not granted
    the camera or microphone, so the page's request is refused (NotAllowedError)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"],
        )
        yield chromium
        chromium.close()
        connections.close_all()

"""The pages under the Content-Security-Policy, in Chromium: every main page loads without one
violation reported (htmx, Mermaid diagrams, the report's charts, the admin), and the room works:
an interview is created, both roles open it, a chat message and a diagram go across."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from interviews.models import ChatMessage
from tests import factories
from tests.browser.test_report_flow import off_loop
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation, whatever reports it: the event in the page, and the console line.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ` +
                    `${e.sourceFile || "?"}:${e.lineNumber}`);
});
"""


class Watched:
    """Browser contexts that collect CSP violations and script errors on every page."""

    def __init__(self, browser, base: str) -> None:
        self.browser, self.base = browser, base
        self.contexts, self.problems = [], []

    def context(self, user=None):
        context = self.browser.new_context(
            base_url=self.base, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        context.add_init_script(WATCH)
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": self.base,
                    }
                ]
            )
        self.contexts.append(context)
        return context

    def page(self, user=None):
        page = self.context(user).new_page()
        page.on("console", lambda m: self._console(page, m))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        return page

    def _console(self, page, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"{page.url}: {message.text}")

    def visit(self, page, path: str, *, diagrams: int = 0) -> None:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert "script-src" in response.headers["content-security-policy"]
        if diagrams:
            expect(page.locator(".diagram.is-rendered svg")).to_have_count(diagrams)
        page.wait_for_load_state("networkidle")
        self.collect(page)

    def collect(self, page) -> None:
        self.problems += [f"{page.url}: {v}" for v in page.evaluate("window.__csp || []")]
        page.evaluate("window.__csp = []")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def watched(browser, live_server_url):
    watching = Watched(browser, live_server_url)
    yield watching
    watching.close()


def sessions():
    """A completed interview with its report (visual search, with a candidate diagram) and one
    in its wrap-up. Services broadcast, which cannot happen next to Playwright's loop."""
    factories.load_bank()
    done = factories.finished_interview(bank=True)
    factories.self_assess(done)
    factories.finalise(done)  # eager: the report is compiled at once
    wrapping = factories.finished_interview(bank=True, case_slug="video-recommendation")
    return done, wrapping


def test_the_main_pages_load_without_a_violation(watched):
    done, wrapping = off_loop(sessions)
    case = done.interview.case_study

    anonymous = watched.page()
    for path in ("/", "/accounts/login/", "/accounts/signup/"):
        watched.visit(anonymous, path)

    interviewer = watched.page(done.interviewer)
    for path in ("/dashboard/", "/progress/", "/profile/", "/interviews/new/", "/drills/new/"):
        watched.visit(interviewer, path)
    watched.visit(interviewer, "/library/")
    interviewer.fill("input[name=q]", "search")  # htmx swaps the results in
    expect(interviewer.locator("#library-results")).to_contain_text("Visual search")
    watched.collect(interviewer)
    # The case page with its guide and reference architecture (this user interviewed on it).
    watched.visit(interviewer, f"/library/{case.slug}/", diagrams=1)
    report = f"/interviews/{done.interview.pk}/report/"
    watched.visit(interviewer, report, diagrams=2)  # the candidate's and the reference
    expect(interviewer.locator("[data-report] svg").first).to_be_visible()  # the step chart
    watched.visit(interviewer, f"/interviews/{done.interview.pk}/timeline/")
    scorecard = watched.page(wrapping.interviewer)
    watched.visit(scorecard, f"/interviews/{wrapping.interview.pk}/wrap-up/", diagrams=1)
    self_assessment = watched.page(wrapping.candidate)
    watched.visit(self_assessment, f"/interviews/{wrapping.interview.pk}/wrap-up/")

    curator = watched.page(factories.user(staff=True))
    watched.visit(curator, "/curation/usage/")
    watched.visit(curator, f"/library/{case.slug}/preview/interviewer/", diagrams=1)
    watched.visit(curator, f"/library/{case.slug}/preview/candidate/", diagrams=1)
    watched.visit(curator, "/admin/")
    watched.visit(curator, "/admin/casestudies/casestudy/")
    watched.visit(curator, f"/admin/casestudies/casestudy/{case.pk}/change/", diagrams=1)
    curator.fill("#id_diagram", "flowchart LR\n  A[Edited] --> B[Preview]")  # redrawn as typed
    expect(curator.locator(".field-diagram_preview .diagram svg")).to_contain_text("Edited")
    watched.collect(curator)
    watched.visit(curator, "/admin/rubrics/rubric/")

    assert watched.problems == []


def test_the_room_works_under_the_policy(watched):
    factories.load_bank()
    ines, carl = factories.user(name="Ines"), factories.user(name="Carl")
    interviewer, candidate = watched.page(ines), watched.page(carl)

    interviewer.goto("/interviews/new/")
    option = interviewer.locator(
        "select[name=case_study] option", has_text=re.compile(r"^Visual search for a home-goods")
    )
    interviewer.select_option("select[name=case_study]", option.get_attribute("value"))
    interviewer.check("input[name=role][value=interviewer]")
    interviewer.click("main form button[type=submit]")
    link = interviewer.input_value("[data-invite-url]")
    candidate.goto(link)
    candidate.click("main form button[type=submit]")
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")
    expect(interviewer.locator("[data-presence]")).to_contain_text("Carl · Candidate")
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-status-pill]")).to_have_text("Live")

    candidate.fill("[data-chat-input]", "Shall I start with the requirements?")
    candidate.press("[data-chat-input]", "Enter")
    expect(interviewer.locator("[data-chat-log]")).to_contain_text("start with the requirements")
    interviewer.fill("[data-chat-input]", "Please do.")
    interviewer.press("[data-chat-input]", "Enter")
    expect(candidate.locator("[data-chat-log]")).to_contain_text("Please do.")

    candidate.click("[data-drawing-tab=diagram]")  # the board shows first
    candidate.fill("[data-diagram-editor]", "flowchart LR\n  Photo --> Index[ANN index]")
    expect(interviewer.locator("[data-diagram-preview] svg")).to_contain_text("ANN index")
    interviewer.click("[data-panel] [data-kind=hint][data-index='0'] [data-send-hint]")
    expect(candidate.locator("[data-deliveries]")).to_contain_text("Hint")

    for page in (interviewer, candidate):
        watched.collect(page)
    assert watched.problems == []
    # The chat is relayed at once and stored by the write-behind a moment later.
    chats = ChatMessage.objects.filter(author__in=[ines, carl])
    wait_until(lambda: chats.count() == 2, timeout=10, what="both chat messages stored")

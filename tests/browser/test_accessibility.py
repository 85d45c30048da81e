"""axe-core on every page and state a test can reach, in light and dark: any violation, of any
impact, fails. axe runs from the vendored file (tests only; no page includes it), evaluated
through the DevTools protocol so that the page's strict CSP stays on.

Each test walks a group of pages and reports every violation it found at the end, so one run
shows all that needs fixing. ``STATES`` counts the page states checked, for the record."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from casestudies.models import CaseStudy
from interviews import services as interview_services
from tests import factories
from tests.browser.conftest import shot
from tests.conftest import ROOT, WORKER_SUFFIX

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (ROOT / "static" / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text()
SCHEMES = ["light", "dark"]
STATES: dict[str, int] = {}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => [
      n.target.join(" "), (n.failureSummary || "").split("\\n").slice(1, 2).join(""),
    ]),
    count: v.nodes.length,
  }));
}"""


def off_loop(function, /, **kwargs):
    """A service outside Playwright's thread (services broadcast with async_to_sync)."""

    def call():
        from django.db import connections

        try:
            return function(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


class Auditor:
    """Opens pages as a signed-in person and runs axe on each state."""

    def __init__(self, browser, base_url: str, scheme: str):
        self.browser, self.base, self.scheme = browser, base_url, scheme
        self.found: list[str] = []
        self.contexts = []
        self.checked = 0

    def page(self, user=None, *, width: int = 1366, height: int = 768):
        context = self.browser.new_context(
            base_url=self.base,
            color_scheme=self.scheme,
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base}]
            )
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page

    def check(self, page, label: str, url: str | None = None) -> None:
        if url is not None:
            page.goto(url)
        page.wait_for_load_state("networkidle")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE)
        violations = page.evaluate(RUN_AXE)
        self.checked += 1
        for v in violations:
            self.found.append(
                f"[{self.scheme}] {label} ({page.url.removeprefix(self.base)}): {v['id']} "
                f"({v['impact']}, {v['count']} nodes) {v['help']}\n      "
                + "\n      ".join(f"{target} :: {summary}" for target, summary in v["nodes"])
            )
        if page.js_errors:
            self.found.append(f"[{self.scheme}] {label}: JavaScript errors {page.js_errors}")

    def finish(self, group: str) -> None:
        for context in self.contexts:
            context.close()
        STATES[f"{group}-{self.scheme}"] = self.checked
        (ROOT / "test-artifacts" / f"axe-{group}-{self.scheme}.txt").write_text(
            f"{self.checked} page states\n" + "\n".join(self.found)
        )
        assert not self.found, f"{len(self.found)} violations:\n" + "\n".join(self.found)


@pytest.fixture(params=SCHEMES)
def auditor(request, browser, live_server_url, allow_sync_orm):
    return Auditor(browser, live_server_url, request.param)


def test_pages_anyone_can_reach_have_no_violations(auditor):
    page = auditor.page()
    auditor.check(page, "home", "/")
    auditor.check(page, "log in", "/accounts/login/")
    page.fill("input[name=login]", "nobody@example.org")
    page.fill("input[name=password]", "wrong-password-1")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("not correct")
    auditor.check(page, "log in, refused")
    auditor.check(page, "sign up", "/accounts/signup/")
    page.fill("input[name=email]", "new@example.org")
    page.fill("input[name=display_name]", "New Person")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "different")
    page.click("main form button[type=submit]")
    expect(page.locator(".errorlist").first).to_be_visible()
    auditor.check(page, "sign up, errors")
    auditor.check(page, "password reset", "/accounts/password/reset/")
    page.fill("input[name=email]", "nobody@example.org")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/password/reset/done/")
    auditor.check(page, "password reset sent")
    auditor.check(page, "reset key invalid", "/accounts/password/reset/key/1-set-password/")
    auditor.finish("public")


def test_practice_pages_have_no_violations(auditor):
    session = off_loop(factories.finished_interview, bank=True)
    off_loop(factories.self_assess, session=session)
    off_loop(factories.finalise, session=session)
    candidate, interviewer = session.candidate, session.interviewer
    drill = off_loop(
        factories.solo_drill, bank=True, case_slug="similar-listings", candidate=candidate
    )
    iid = session.interview.pk

    page = auditor.page(candidate)
    message_page = page
    auditor.check(page, "dashboard", "/dashboard/")
    auditor.check(page, "library", "/library/")
    auditor.check(page, "library, filtered", "/library/?domain=search&difficulty=medium&q=x")
    auditor.check(page, "library, nothing found", "/library/?q=no-such-case-at-all")
    auditor.check(page, "case page", "/library/visual-search/")
    auditor.check(page, "glossary", "/library/glossary/")
    auditor.check(page, "new interview", "/interviews/new/")
    page.select_option("select[name=case_study]", index=0)
    auditor.check(page, "new drill", "/drills/new/")
    auditor.check(page, "progress", "/progress/")
    auditor.check(page, "profile", "/profile/")
    auditor.check(page, "report, candidate", f"/interviews/{iid}/report/")
    auditor.check(page, "timeline, candidate", f"/interviews/{iid}/timeline/")
    auditor.check(page, "drill wrap-up", f"/interviews/{drill.interview.pk}/wrap-up/")

    page = auditor.page(interviewer)
    auditor.check(page, "report, interviewer", f"/interviews/{iid}/report/")
    auditor.check(page, "timeline, interviewer", f"/interviews/{iid}/timeline/")

    phone = auditor.page(candidate, width=390, height=844)
    auditor.check(phone, "report on a phone", f"/interviews/{iid}/report/")
    phone.click("[data-menu-toggle]")
    auditor.check(phone, "phone menu open")

    # A flash message on a page.
    abandoned = off_loop(factories.interview, bank=True, interviewer=candidate)
    message_page.goto(f"/interviews/{abandoned.interview.pk}/")
    message_page.once("dialog", lambda dialog: dialog.accept())
    message_page.locator("form[action$='/abandon/'] button").first.click()
    message_page.wait_for_url("**/dashboard/")
    auditor.check(message_page, "dashboard with a message")
    auditor.finish("practice")


def test_join_and_wrapup_pages_have_no_violations(auditor):
    factories.load_bank()
    host = factories.user(name="Hana Host")
    guest = factories.user(name="Gus Guest")
    other = factories.user(name="Olga Other")
    created = off_loop(
        interview_services.interview_create,
        user=host,
        case_study=CaseStudy.objects.get(slug="visual-search"),
        role="interviewer",
        target_level="senior",
    )
    token = created.invite.token
    page = auditor.page(guest)
    auditor.check(page, "join, valid", f"/join/{token}/")
    auditor.check(page, "join, unknown link", "/join/not-a-real-token/")
    off_loop(interview_services.invite_accept, user=guest, token=token)
    auditor.check(auditor.page(other), "join, used link", f"/join/{token}/")

    session = off_loop(factories.finished_interview, bank=True)
    candidate = auditor.page(session.candidate)
    auditor.check(candidate, "wrap-up, candidate", f"/interviews/{session.interview.pk}/wrap-up/")
    interviewer = auditor.page(session.interviewer)
    wrapup = f"/interviews/{session.interview.pk}/wrap-up/"
    auditor.check(interviewer, "wrap-up, interviewer", wrapup)
    interviewer.click("[data-finalise]")
    auditor.check(interviewer, "wrap-up, interviewer, incomplete")
    off_loop(factories.self_assess, session=session)
    auditor.check(candidate, "wrap-up, candidate, submitted", wrapup)
    auditor.finish("wrapup")


def test_the_room_has_no_violations_for_either_role(auditor):
    factories.load_bank()
    host, guest = factories.user(name="Ines Interviewer"), factories.user(name="Carl Candidate")
    created = off_loop(
        interview_services.interview_create,
        user=host,
        case_study=CaseStudy.objects.get(slug="visual-search"),
        role="interviewer",
        target_level="senior",
    )
    room = f"/interviews/{created.pk}/"
    interviewer = auditor.page(host)
    interviewer.goto(room)
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected")
    expect(interviewer.locator("[data-presence]")).to_contain_text("Candidate: waiting to join")
    # Nothing to start before the peer is there.
    expect(interviewer.locator("[data-action='interview.start']")).to_be_hidden()
    auditor.check(interviewer, "room waiting for the peer, interviewer")
    off_loop(interview_services.invite_accept, user=guest, token=created.invite.token)
    expect(interviewer.locator("[data-action='interview.start']")).to_be_visible()
    candidate = auditor.page(guest)
    candidate.goto(room)
    expect(interviewer.locator("[data-connection]")).to_have_text("Connected")
    expect(candidate.locator("[data-connection]")).to_have_text("Connected")
    auditor.check(interviewer, "room before, interviewer")
    auditor.check(candidate, "room before, candidate")
    interviewer.click("[data-action='interview.start']")
    expect(candidate.locator("[data-status-pill]")).to_have_text("Live")
    candidate.fill("[data-notes-editor]", "Goal: more purchases from photos.")
    auditor.check(interviewer, "room live, interviewer")
    auditor.check(candidate, "room live, candidate")
    for tab in interviewer.locator("[data-side-tab]").all():
        tab.click()
        auditor.check(interviewer, f"room live, interviewer, {tab.get_attribute('data-side-tab')}")
    interviewer.once("dialog", lambda dialog: dialog.accept())
    interviewer.click("[data-action='interview.end']")
    candidate.wait_for_url("**/wrap-up/")
    interviewer.wait_for_url("**/wrap-up/")
    auditor.check(interviewer, "room after, interviewer")
    auditor.check(candidate, "room after, candidate")

    drill = off_loop(factories.solo_drill, bank=True, finished=False)
    solo = auditor.page(drill.candidate)
    solo.goto(f"/interviews/{drill.interview.pk}/")
    expect(solo.locator("[data-connection]")).to_have_text("Connected")
    auditor.check(solo, "drill before")
    auditor.finish("room")


def test_partner_and_staff_pages_have_no_violations(auditor):
    now = timezone.now()
    start = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    a, _b, booking = off_loop(factories.proposed_booking, start=start, now=now)
    page = auditor.page(a)
    auditor.check(page, "partners home", "/partners/")
    auditor.check(page, "partner request", "/partners/request/")
    auditor.check(page, "booking", booking.get_absolute_url())
    auditor.check(page, "coming up", "/partners/coming-up/")
    auditor.check(page, "me", "/partners/me/")
    auditor.check(page, "partner settings", "/partners/settings/")
    auditor.check(page, "report a partner", f"/partners/bookings/{booking.pk}/report/")
    auditor.check(page, "password change", "/accounts/password/change/")
    page.fill("input[name=oldpassword]", "wrong")
    page.click("main form button[type=submit]")
    auditor.check(page, "password change, errors")
    auditor.check(page, "e-mail addresses", "/accounts/email/")

    session = off_loop(factories.finished_interview, bank=True)
    off_loop(factories.self_assess, session=session)
    off_loop(factories.finalise, session=session)
    rate = f"/partners/interviews/{session.interview.pk}/rate/"
    auditor.check(auditor.page(session.candidate), "rate a partner", rate)

    staff = factories.moderator(name="Mo Moderator")
    page = auditor.page(staff)
    auditor.check(page, "moderation", "/partners/moderation/")
    auditor.check(page, "case usage", "/curation/usage/")
    auditor.check(page, "candidate preview", "/library/visual-search/preview/candidate/")
    auditor.check(page, "interviewer preview", "/library/visual-search/preview/interviewer/")
    auditor.finish("partners")


def test_error_pages_have_no_violations(auditor):
    """404, 403 and 500 as the server sends them with DEBUG off (the live server runs with
    DEBUG on, which shows Django's technical pages instead), served at a URL of the live
    server so that the page's stylesheet and CSP apply."""
    from django.test import override_settings

    user = factories.user(name="Err Person")
    bodies = {}
    with override_settings(DEBUG=False):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for code, path in (("404", "/no-such-page/"), ("403", "/partners/moderation/")):
            response = client.get(path)
            assert response.status_code == int(code)
            bodies[code] = response
        from django.test import RequestFactory
        from django.views.defaults import server_error

        bodies["500"] = server_error(RequestFactory().get("/"))
    page = auditor.page(user)
    for code, response in bodies.items():
        url = f"{auditor.base}/__error-{code}/"
        headers = {k: v for k, v in response.items() if k.lower() != "content-length"}

        def serve(route, request, r=response, h=headers) -> None:
            route.fulfill(status=r.status_code, headers=h, body=r.content)

        page.route(url, serve)
        auditor.check(page, f"error {code}", url)
        shot(page, f"error-{code}-{auditor.scheme}")
        phone = auditor.page(user, width=390, height=844)
        phone.route(url, serve)
        phone.goto(url)
        shot(phone, f"error-{code}-phone-{auditor.scheme}")
    auditor.finish("errors")


def teardown_module() -> None:
    # One file per xdist worker: each counts the states of the tests it ran.
    (ROOT / "test-artifacts" / f"axe-states{WORKER_SUFFIX}.json").write_text(
        json.dumps(STATES, indent=1)
    )

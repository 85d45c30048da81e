"""Every main page at a laptop's 1366×768 and a phone's 390×844, light and dark: nothing
scrolls sideways on the phone, and a screenshot of each is kept (test-artifacts/screens/) to
be looked at. Also the page-wide behaviour: the phone menu, the theme toggle remembered
without a flash, and tabs worked from the keyboard."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = ROOT / "test-artifacts" / "screens"
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}


def off_loop(function, /, **kwargs):
    def call():
        from django.db import connections

        try:
            return function(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def signed_in(browser, base: str, user, *, size: str, scheme: str):
    width, height = SIZES[size]
    context = browser.new_context(
        base_url=base, viewport={"width": width, "height": height}, color_scheme=scheme
    )
    context.set_default_timeout(15_000)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    return context


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def culprits(page) -> list[str]:
    """The innermost elements that stick out past the window's right edge."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [...document.querySelectorAll("body *")].filter((el) => {
            const box = el.getBoundingClientRect();
            if (box.right <= width + 1 || box.width === 0) return false;
            for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
              const o = getComputedStyle(a).overflowX;
              if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return false;
            }
            return true;
          });
          const innermost = out.filter((el) => !out.some((o) => o !== el && el.contains(o)));
          return innermost.slice(0, 5).map((el) =>
            el.tagName.toLowerCase() + "." + [...el.classList].join(".") + " " +
            Math.round(el.getBoundingClientRect().right));
        }"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])  # two tests: they run side by side
def test_main_pages_fit_a_phone_and_are_kept_as_screenshots(browser, live_server_url, scheme):
    SCREENS.mkdir(parents=True, exist_ok=True)
    session = off_loop(factories.finished_interview, bank=True)
    off_loop(factories.self_assess, session=session)
    off_loop(factories.finalise, session=session)
    now = timezone.now()
    start = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    partner, _other, booking = off_loop(factories.proposed_booking, start=start, now=now)
    iid = session.interview.pk
    pages = {
        "home": (None, "/"),
        "login": (None, "/accounts/login/"),
        "signup": (None, "/accounts/signup/"),
        "dashboard": (session.candidate, "/dashboard/"),
        "library": (session.candidate, "/library/"),
        "case": (session.candidate, "/library/visual-search/"),
        "new-interview": (session.candidate, "/interviews/new/"),
        "progress": (session.candidate, "/progress/"),
        "report": (session.candidate, f"/interviews/{iid}/report/"),
        "report-interviewer": (session.interviewer, f"/interviews/{iid}/report/"),
        "timeline": (session.candidate, f"/interviews/{iid}/timeline/"),
        "partners": (partner, "/partners/"),
        "booking": (partner, booking.get_absolute_url()),
        "password-change": (session.candidate, "/accounts/password/change/"),
        "email": (session.candidate, "/accounts/email/"),
    }
    too_wide = []
    for size in SIZES:
        contexts = {}
        for name, (user, path) in pages.items():
            key = user.pk if user else None
            if key not in contexts:
                contexts[key] = signed_in(browser, live_server_url, user, size=size, scheme=scheme)
            page = contexts[key].new_page()
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if size == "phone" and (overflow := sideways_overflow(page)) > 0:
                too_wide.append(f"{name} ({scheme}): {overflow}px too wide: {culprits(page)}")
            page.screenshot(
                path=str(SCREENS / f"{name}-{size}-{scheme}.png"),
                full_page=True,
                timeout=60_000,
            )
            page.close()
        for context in contexts.values():
            context.close()
    assert not too_wide, "\n".join(too_wide)


def test_the_phone_menu_opens_closes_and_leads_to_a_page(browser, live_server_url):
    user = factories.user(name="Phoebe Phone")
    context = signed_in(browser, live_server_url, user, size="phone", scheme="light")
    page = context.new_page()
    page.goto("/dashboard/")
    toggle = page.locator("[data-menu-toggle]")
    expect(toggle).to_be_visible()
    expect(page.locator("nav[aria-label=Main]")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("nav[aria-label=Main] a", has_text="Progress")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("nav[aria-label=Main]")).to_be_hidden()
    expect(toggle).to_be_focused()
    toggle.click()
    page.click("nav[aria-label=Main] a:has-text('Progress')")
    page.wait_for_url("**/progress/")
    assert sideways_overflow(page) == 0
    context.close()
    # On a laptop the menu is simply there, without a button.
    context = signed_in(browser, live_server_url, user, size="laptop", scheme="light")
    page = context.new_page()
    page.goto("/dashboard/")
    expect(page.locator("[data-menu-toggle]")).to_be_hidden()
    expect(page.locator("nav[aria-label=Main] a", has_text="Progress")).to_be_visible()
    context.close()


def test_the_theme_toggle_is_remembered_and_applies_before_the_first_paint(
    browser, live_server_url
):
    user = factories.user(name="Theo Theme")
    context = signed_in(browser, live_server_url, user, size="laptop", scheme="light")
    # The theme must be on <html> the moment the body exists (the stylesheet holds the first
    # paint until it loads, and the theme is set before it); the background is read once the
    # document is parsed, before anything the user could see change.
    context.add_init_script(
        """
        new MutationObserver((_, observer) => {
          if (document.body && window.firstTheme === undefined) {
            window.firstTheme = document.documentElement.dataset.theme || "";
            observer.disconnect();
          }
        }).observe(document, {childList: true, subtree: true});
        document.addEventListener("DOMContentLoaded", () => {
          window.firstBackground = getComputedStyle(document.body).backgroundColor;
        });
        """
    )
    page = context.new_page()
    page.goto("/dashboard/")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.select_option("[data-theme-choice]", "dark")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light
    assert page.evaluate("localStorage.getItem('sevensteps-theme')") == "dark"
    page.goto("/library/")
    assert page.evaluate("window.firstTheme") == "dark"
    assert page.evaluate("window.firstBackground") == dark  # no light flash
    expect(page.locator("[data-theme-choice]")).to_have_value("dark")
    # "System" forgets the choice: the system's light scheme applies again.
    page.select_option("[data-theme-choice]", "system")
    assert page.evaluate("localStorage.getItem('sevensteps-theme')") is None
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == light
    context.close()
    # With the system in dark and nothing chosen, the page is dark.
    context = signed_in(browser, live_server_url, user, size="laptop", scheme="dark")
    page = context.new_page()
    page.goto("/dashboard/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark
    context.close()


def test_the_rooms_tabs_work_from_the_keyboard(browser, live_server_url):
    session = off_loop(factories.interview, bank=True)
    context = signed_in(
        browser, live_server_url, session.interviewer, size="laptop", scheme="light"
    )
    page = context.new_page()
    page.goto(f"/interviews/{session.interview.pk}/")
    expect(page.locator("[data-connection]")).to_have_text("Connected")
    guide = page.locator("#side-tab-guide")
    guide.focus()
    # Only the selected tab is in the Tab order.
    assert page.locator("[data-side-tab][tabindex='0']").count() == 1
    page.keyboard.press("ArrowRight")
    score = page.locator("#side-tab-score")
    expect(score).to_be_focused()
    expect(score).to_have_attribute("aria-selected", "true")
    expect(page.locator("#side-panel-score")).to_be_visible()
    expect(page.locator("#side-panel-guide")).to_be_hidden()
    page.keyboard.press("End")
    expect(page.locator("#side-tab-private")).to_be_focused()
    expect(page.locator("#side-panel-private")).to_be_visible()
    page.keyboard.press("ArrowRight")  # wraps around
    expect(guide).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#side-tab-private")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Home")
    expect(guide).to_have_attribute("aria-selected", "true")
    assert page.locator("[data-side-tab][tabindex='0']").get_attribute("id") == "side-tab-guide"
    # The notes' step tabs: the panel is labelled by the selected step's tab.
    first = page.locator("[data-note-tab]").first
    first.focus()
    page.keyboard.press("ArrowRight")
    second = page.locator("[data-note-tab]").nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(page.locator("#notes-panel")).to_have_attribute(
        "aria-labelledby", second.get_attribute("id")
    )
    context.close()

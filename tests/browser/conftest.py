import pytest

from tests.conftest import ROOT


@pytest.fixture
def context_factory(browser):
    """New browser contexts (separate cookies: separate people); screenshots on the way out."""
    contexts = []

    def make(**kwargs):
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, **kwargs)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def log_in(context, base: str, email: str, password: str):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/dashboard/")
    return page


def shot(page, name: str) -> None:
    page.screenshot(path=str(ROOT / "test-artifacts" / f"{name}.png"), full_page=True)

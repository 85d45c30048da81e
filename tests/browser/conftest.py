import http.server
import posixpath
import threading
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT


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


PAGES = ROOT / "tests" / "browser" / "pages"


class _StaticFiles(http.server.SimpleHTTPRequestHandler):
    """/static/… from the repository's static folder, /pages/… from the test pages."""

    routes = {"/static/": ROOT / "static", "/pages/": PAGES}

    def translate_path(self, path: str) -> str:
        path = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(path).path))
        for prefix, folder in self.routes.items():
            if path.startswith(prefix):
                return str(folder / path.removeprefix(prefix))
        return str(PAGES / "missing")

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture(scope="session")
def static_server_url() -> Iterator[str]:
    """The static files and the test pages over HTTP on 127.0.0.1 (no Django: the vendored
    bundles are plain files). A real origin, unlike file://, has IndexedDB and module rules as
    in production."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StaticFiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def chromium() -> Iterator:
    """Chromium through Playwright, for tests that need no database."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def local_only(context) -> list[str]:
    """Aborts every request that leaves 127.0.0.1 and returns the list they are recorded in."""
    refused: list[str] = []

    def route(route) -> None:
        if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    return refused

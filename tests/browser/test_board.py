"""The vendored board bundle (Excalidraw 0.18 with React, Mermaid-to-Excalidraw) in Chromium, on
tests/browser/pages/board.html, with every request to another host refused: it must work
offline, fonts included."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import local_only, shot

pytestmark = pytest.mark.browser

FONTS = "/static/vendor/excalidraw-0.18.1/fonts/"
# Excalidraw logs this once when it cannot start a font worker from a classic script and
# subsets fonts for the SVG on the main thread instead (see static/vendor/README.md).
EXPECTED_CONSOLE_ERRORS = ("Failed to use workers for subsetting",)


@pytest.fixture
def board_page(chromium, static_server_url):
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    context.set_default_timeout(15_000)
    refused = local_only(context)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith(EXPECTED_CONSOLE_ERRORS)
            and problems.append(f"console: {message.text}")
        ),
    )
    page.goto(f"{static_server_url}/pages/board.html")
    page.evaluate("board.ready.then(() => true)")
    yield page
    assert refused == [], refused
    assert problems == [], problems
    context.close()


def test_board_draws_reads_back_and_exports_with_its_own_fonts(board_page):
    page = board_page
    expect(page.locator(".excalidraw .App-toolbar")).to_be_visible()
    page.evaluate(
        """() => board.updateScene([
          {type: "rectangle", id: "box", x: 80, y: 80, width: 220, height: 120},
          {type: "text", id: "label", x: 100, y: 260, text: "Feature store",
           originalText: "Feature store", fontSize: 28, fontFamily: 5},
        ])"""
    )
    elements = page.evaluate("board.getSceneElements()")
    by_id = {element["id"]: element for element in elements}
    assert set(by_id) == {"box", "label"}
    box = by_id["box"]
    assert (box["type"], box["x"], box["y"], box["width"], box["height"]) == (
        "rectangle",
        80,
        80,
        220,
        120,
    )
    assert box["version"] >= 1 and isinstance(box["versionNonce"], int)
    assert by_id["label"]["width"] > 0  # measured with the font

    # Excalifont (the hand-drawn font, family 5) came from the vendored folder and is in use.
    page.wait_for_function(
        "[...document.fonts].some(f => f.family === 'Excalifont' && f.status === 'loaded')"
    )
    fonts = page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(name => name.endsWith('.woff2'))"
    )
    assert any(FONTS + "Excalifont/" in url for url in fonts), fonts
    assert any(FONTS + "Assistant/" in url for url in fonts), fonts  # the interface font
    assert all("127.0.0.1" in url for url in fonts), fonts

    svg = page.evaluate("board.exportSvg()")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Feature store" in svg
    # The font is embedded (subset to the characters used), so the SVG shows it anywhere.
    assert re.search(
        r"@font-face\s*{\s*font-family:\s*Excalifont;\s*src:\s*url\(data:font/woff2", svg
    )
    shot(page, "board-drawn")


def test_board_turns_a_mermaid_flowchart_into_elements(board_page):
    page = board_page
    elements = page.evaluate(
        """() => SevenstepsBoard.fromMermaid(
          "flowchart LR\\n  Photo --> Encoder[Image encoder]\\n  Encoder --> Index[(ANN index)]"
        )"""
    )
    texts = sorted(element["text"] for element in elements if element["type"] == "text")
    assert texts == ["ANN index", "Image encoder", "Photo"]
    arrows = [element for element in elements if element["type"] == "arrow"]
    assert len(arrows) == 2
    assert all(arrow["startBinding"] and arrow["endBinding"] for arrow in arrows)
    page.evaluate("elements => board.updateScene(elements)", elements)
    assert len(page.evaluate("board.getSceneElements()")) == len(elements)

    with pytest.raises(Exception, match="Parse error on line 2"):
        page.evaluate("SevenstepsBoard.fromMermaid('flowchart LR\\n  A -->')")
    # Types Mermaid-to-Excalidraw can only draw as a picture are refused, not half-converted.
    with pytest.raises(Exception, match="can only be drawn as an image"):
        page.evaluate("""SevenstepsBoard.fromMermaid('pie title Traffic\\n  "search": 60')""")


def test_board_merges_a_peers_elements_by_version(board_page):
    """Excalidraw's own model: per element the higher version wins; deletions are tombstones."""
    page = board_page
    page.evaluate(
        """() => board.updateScene([
          {type: "rectangle", id: "a", x: 0, y: 0, width: 50, height: 50},
          {type: "ellipse", id: "b", x: 100, y: 0, width: 50, height: 50},
        ])"""
    )
    local = {e["id"]: e for e in page.evaluate("board.getSceneElements()")}
    merged = page.evaluate(
        """([a, b]) => board.reconcile([
          {...a, x: 300, version: a.version + 1, versionNonce: 1},   // newer: wins
          {...b, x: 999, version: b.version - 1, versionNonce: 2},   // older: loses
          {type: "diamond", id: "c", x: 0, y: 200, width: 40, height: 40, version: 1,
           versionNonce: 3, index: "a5"},                            // new: added
        ]).map(e => [e.id, e.x, e.isDeleted])""",
        [local["a"], local["b"]],
    )
    assert sorted(merged) == [["a", 300, False], ["b", 100, False], ["c", 0, False]]
    # A peer deletes "c": it stays in the scene as a tombstone, out of getSceneElements.
    c = next(e for e in page.evaluate("board.getSceneElementsIncludingDeleted()") if e["id"] == "c")
    page.evaluate("c => board.reconcile([{...c, isDeleted: true, version: c.version + 1}])", c)
    assert "c" not in {e["id"] for e in page.evaluate("board.getSceneElements()")}
    assert "c" in {e["id"] for e in page.evaluate("board.getSceneElementsIncludingDeleted()")}


def test_board_reports_changes_and_unmounts(board_page):
    page = board_page
    before = page.evaluate("changes.length")
    page.evaluate(
        'board.updateScene([{type: "rectangle", id: "r", x: 0, y: 0, width: 9, height: 9}])'
    )
    page.wait_for_function(f"changes.length > {before}")
    assert page.evaluate("changes[changes.length - 1].count") == 1
    page.evaluate("board.unmount()")
    expect(page.locator(".excalidraw")).to_have_count(0)
    with pytest.raises(Exception, match="unmounted"):
        page.evaluate("board.getSceneElements()")

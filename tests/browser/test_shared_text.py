"""The vendored Yjs bundle and static/js/ytextarea.js in Chromium: two people's textareas, each
bound to a Y.Doc of its own, pass updates to each other (tests/browser/pages/shared-text.html
stands in for the server with a BroadcastChannel). Typing is real keyboard input."""

import itertools

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

_rooms = itertools.count()


@pytest.fixture
def people(chromium, static_server_url):
    """Two pages on one room: (a, b). Each has its own focus, as two people would."""
    context = chromium.new_context(viewport={"width": 900, "height": 400})
    context.set_default_timeout(10_000)
    room = f"room{next(_rooms)}"
    pages = []
    for peer in ("a", "b"):
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error, page=page: page.js_errors.append(str(error)))
        page.goto(f"{static_server_url}/pages/shared-text.html?room={room}&peer={peer}")
        page.evaluate("window.ready")
        pages.append(page)
    yield pages
    for page in pages:
        assert page.js_errors == []
    context.close()


def value(page) -> str:
    return page.input_value("#notes")


def caret(page) -> tuple[int, int]:
    return tuple(page.evaluate("[notes.selectionStart, notes.selectionEnd]"))


def type_at(page, index: int, text: str) -> None:
    """Puts the caret at `index` with the keyboard (Ctrl+Home, then arrows) and types."""
    page.focus("#notes")
    page.keyboard.press("Control+Home")
    for _ in range(index):
        page.keyboard.press("ArrowRight")
    page.keyboard.type(text)


def test_concurrent_typing_converges(people):
    a, b = people
    a.focus("#notes")
    a.keyboard.type("Hello world")
    expect(b.locator("#notes")).to_have_value("Hello world")

    # Both offline for a while, typing at the start, in the middle, at the same spot, at the end.
    a.evaluate("link.hold()")
    b.evaluate("link.hold()")
    type_at(a, 0, "Alpha ")
    type_at(b, 11, " Beta")
    type_at(a, 11, "!")  # after "Alpha Hello" in a's own text
    type_at(b, 5, "[b]")  # after "Hello" in b's
    type_at(a, 11, "[a]")  # after "Alpha Hello" again: the same spot as b's "[b]"
    assert a.evaluate("link.pending()") > 0 and b.evaluate("link.pending()") > 0
    assert value(a) != value(b)

    a.evaluate("link.release()")
    b.evaluate("link.release()")
    expect(b.locator("#notes")).to_have_value(value(a))
    merged = value(a)
    for piece in ("Alpha ", " Beta", "[a]", "[b]", "!", "world"):
        assert piece in merged, merged
    assert merged.startswith("Alpha Hello") and merged.endswith("world Beta"), merged
    assert a.evaluate("doc.getText('notes').toString()") == merged
    assert b.evaluate("doc.getText('notes').toString()") == merged

    # Interleaved, live: a burst from each side, then both sides agree again.
    for turn in range(3):
        type_at(a, 0, f"a{turn}")
        type_at(b, len(value(b)), f"b{turn}")
    expect(a.locator("#notes")).to_have_value(value(b))
    shot(a, "shared-text-converged")


def test_caret_and_selection_stay_put_while_the_other_types_before_them(people):
    a, b = people
    a.focus("#notes")
    a.keyboard.type("The quick brown fox")
    expect(b.locator("#notes")).to_have_value("The quick brown fox")

    # b's caret sits before "fox"; a types before it, at the caret itself, and after it.
    b.focus("#notes")
    b.keyboard.press("End")
    for _ in range(3):
        b.keyboard.press("ArrowLeft")
    assert caret(b) == (16, 16)
    type_at(a, 4, "very ")
    expect(b.locator("#notes")).to_have_value("The very quick brown fox")
    assert caret(b) == (21, 21)
    assert b.evaluate("document.activeElement === notes")

    # a types exactly where b's caret is: b's caret stays in front of a's text.
    type_at(a, 21, "red ")
    expect(b.locator("#notes")).to_have_value("The very quick brown red fox")
    assert caret(b) == (21, 21)

    # b goes on typing where its caret is, as if nothing had happened.
    b.keyboard.type("big ")
    expect(a.locator("#notes")).to_have_value("The very quick brown big red fox")

    # A selection keeps covering the same word ("quick") when text comes in before and after it.
    b.evaluate("notes.focus(); notes.setSelectionRange(9, 14)")
    assert b.evaluate("notes.value.slice(9, 14)") == "quick"
    type_at(a, 0, ">> ")
    type_at(a, len(value(a)), " <<")
    expect(b.locator("#notes")).to_have_value(">> The very quick brown big red fox <<")
    start, end = caret(b)
    assert value(b)[start:end] == "quick"


def test_scroll_position_is_kept_when_text_arrives_above(people):
    a, b = people
    lines = "\n".join(f"line {n}" for n in range(60))
    a.evaluate("text => { notes.value = text; notes.dispatchEvent(new Event('input')); }", lines)
    expect(b.locator("#notes")).to_have_value(lines)
    b.evaluate("notes.focus(); notes.setSelectionRange(notes.value.length, notes.value.length)")
    b.evaluate("notes.scrollTop = notes.scrollHeight")
    scrolled = b.evaluate("notes.scrollTop")
    assert scrolled > 0
    type_at(a, 0, "a new first line\n")
    expect(b.locator("#notes")).to_have_value("a new first line\n" + lines)
    assert b.evaluate("notes.scrollTop") == scrolled
    assert caret(b) == (len(value(b)), len(value(b)))


def test_undo_takes_back_only_ones_own_typing(people):
    a, b = people
    a.focus("#notes")
    a.keyboard.type("mine")
    expect(b.locator("#notes")).to_have_value("mine")
    type_at(b, 4, " theirs")
    expect(a.locator("#notes")).to_have_value("mine theirs")
    a.focus("#notes")
    a.keyboard.press("Control+z")
    expect(a.locator("#notes")).to_have_value(" theirs")
    expect(b.locator("#notes")).to_have_value(" theirs")
    a.keyboard.press("Control+Shift+z")
    expect(b.locator("#notes")).to_have_value("mine theirs")


def test_text_typed_during_a_composition_merges_with_what_arrived_meanwhile(people):
    """An input method composing in b (Chromium's IME events through the DevTools protocol):
    a's edits wait until the composition ends, then both are in."""
    a, b = people
    a.focus("#notes")
    a.keyboard.type("start end")
    expect(b.locator("#notes")).to_have_value("start end")
    type_at(b, 6, "")
    cdp = b.context.new_cdp_session(b)
    cdp.send("Input.imeSetComposition", {"text": "ni", "selectionStart": 2, "selectionEnd": 2})
    type_at(a, 0, "(a) ")
    b.wait_for_timeout(300)
    assert value(b) == "start niend"  # untouched while composing
    cdp.send("Input.insertText", {"text": "你"})
    expect(b.locator("#notes")).to_have_value("(a) start 你end")
    expect(a.locator("#notes")).to_have_value("(a) start 你end")
    assert caret(b) == (11, 11)


def test_unsent_edits_survive_a_reload(people):
    a, b = people
    a.focus("#notes")
    a.keyboard.type("saved")
    expect(b.locator("#notes")).to_have_value("saved")
    a.evaluate("link.hold()")
    a.keyboard.type(" and kept")
    assert value(b) == "saved"
    # Give y-indexeddb a moment to write, then reload with the update never sent.
    a.wait_for_timeout(300)
    a.reload()
    a.evaluate("window.ready")
    expect(a.locator("#notes")).to_have_value("saved and kept")
    expect(b.locator("#notes")).to_have_value("saved and kept")

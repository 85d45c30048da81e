"""Shared documents converge: property tests over random interleavings of concurrent edits from
two browsers and a tab that drops off and reconnects, through the server's copy (interviews/
crdt.py) exactly as the room relays them; and the server's copy refuses what does not belong.
Browsers are pycrdt documents here: the same CRDT (Yrs, Yjs's Rust port), the same updates."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map, Text

from interviews import crdt

ROOT = "notes:clarify"
ROOTS = crdt.roots_for(crdt.NOTES, ["clarify", "frame"])


class Browser:
    """A tab: its own copy, what it has not yet sent, and whether it is connected."""

    def __init__(self, name: str) -> None:
        self.name, self.doc, self.outbox, self.online = name, Doc(), [], True
        self.doc[ROOT] = Text()
        self._capture = True
        self.doc.observe(self._on_update)

    def _on_update(self, event) -> None:
        if self._capture:
            self.outbox.append(event.update)

    def receive(self, update: bytes) -> None:
        self._capture = False
        try:
            self.doc.apply_update(update)
        finally:
            self._capture = True

    @property
    def text(self) -> Text:
        return self.doc.get(ROOT, type=Text)


class Room:
    """The server's copy, relaying each accepted update to the other connected tabs."""

    def __init__(self, browsers: list[Browser]) -> None:
        self.server = crdt.SharedDoc.load(crdt.NOTES, ROOTS, [])
        self.browsers = browsers
        self.acknowledged: list[str] = []  # tokens whose update the server accepted

    def send(self, browser: Browser, tokens: list[str]) -> None:
        if not browser.online or not browser.outbox:
            return
        for update in browser.outbox:
            self.server.apply(update)
            for other in self.browsers:
                if other is not browser and other.online:
                    other.receive(update)
        browser.outbox.clear()
        self.acknowledged.extend(tokens)

    def reconnect(self, browser: Browser) -> None:
        """What a reconnect does: the server sends what the tab lacks; the tab sends what the
        server lacks (room.js reconcile; the room's doc.sync)."""
        browser.online = True
        browser.receive(self.server.missing_for(browser.doc.get_state()))
        missing = browser.doc.get_update(self.server.state_vector())
        browser.outbox.clear()
        self.server.apply(missing)
        for other in self.browsers:
            if other is not browser and other.online:
                other.receive(missing)


ops = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),  # who
        st.sampled_from(["insert", "insert", "insert", "delete", "send", "drop", "reconnect"]),
        st.integers(min_value=0, max_value=10_000),  # where
    ),
    min_size=5,
    max_size=60,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops, st.randoms(use_true_random=False))
def test_concurrent_edits_converge_and_keep_every_acknowledged_insert(script, rng):
    browsers = {name: Browser(name) for name in "abc"}
    room = Room(list(browsers.values()))
    pending_tokens: dict[str, list[str]] = {name: [] for name in browsers}
    deleted_any = False
    for count, (who, action, where) in enumerate(script):
        browser = browsers[who]
        if action == "insert":
            token = f"<{who}{count}>"
            at = where % (len(browser.text) + 1)
            # Insert between tokens only, so a later delete of a whole token is the only way
            # a token disappears.
            text = str(browser.text)
            while 0 < at < len(text) and text[at - 1] != ">":
                at -= 1
            browser.text.insert(at, token)
            pending_tokens[who].append(token)
        elif action == "delete" and len(browser.text):
            text = str(browser.text)
            starts = [i for i, ch in enumerate(text) if ch == "<"]
            start = starts[where % len(starts)]
            end = text.index(">", start) + 1
            del browser.text[start:end]
            deleted_any = True
        elif action == "send":
            room.send(browser, pending_tokens[who])
            if browser.online:
                pending_tokens[who] = []
        elif action == "drop":
            browser.online = False
        elif action == "reconnect" and not browser.online:
            room.reconnect(browser)
            room.acknowledged.extend(pending_tokens[who])
            pending_tokens[who] = []
        if rng.random() < 0.1:  # a tab that sends while others keep typing
            room.send(browsers[rng.choice("abc")], [])
    for name, browser in browsers.items():
        if not browser.online:
            room.reconnect(browser)
        room.send(browser, pending_tokens[name])
    texts = {name: str(b.text) for name, b in browsers.items()}
    texts["server"] = room.server.text(ROOT)
    assert len(set(texts.values())) == 1, texts
    if not deleted_any:
        for token in room.acknowledged:
            assert token in texts["server"], (token, texts["server"])


def test_an_update_applied_twice_or_out_of_order_changes_nothing_more():
    source = Browser("a")
    updates = []
    for word in ("one ", "two ", "three"):
        source.text.insert(len(source.text), word)
        updates.append(source.outbox.pop())
    in_order = crdt.SharedDoc.load(crdt.NOTES, ROOTS, updates)
    shuffled = crdt.SharedDoc.load(crdt.NOTES, ROOTS, list(reversed(updates)) + updates)
    assert in_order.text(ROOT) == shuffled.text(ROOT) == "one two three"


@pytest.mark.parametrize(
    ("root", "text", "code"),
    [
        ("notes:nowhere", "x", "bad_message"),
        ("diagram", "x", "bad_message"),
        (ROOT, "x" * (crdt.MAX_TEXT_CHARS + 1), "too_large"),
    ],
)
def test_the_server_refuses_what_does_not_belong_and_keeps_its_copy(root, text, code):
    shared = crdt.SharedDoc.load(crdt.NOTES, ROOTS, [crdt.text_update(ROOT, "kept")])
    before = shared.state()
    with pytest.raises(crdt.CrdtError) as refused:
        shared.apply(crdt.text_update(root, text))
    assert refused.value.code == code
    assert shared.text(ROOT) == "kept" and set(shared.doc.keys()) == {ROOT}
    assert crdt.SharedDoc.load(crdt.NOTES, ROOTS, [before]).text(ROOT) == "kept"


@given(st.binary(min_size=1, max_size=200))
@settings(max_examples=300, deadline=None)
def test_bytes_that_are_not_an_update_are_refused_or_harmless(garbage):
    shared = crdt.SharedDoc.load(crdt.NOTES, ROOTS, [crdt.text_update(ROOT, "kept")])
    try:
        shared.apply(garbage)
    except crdt.CrdtError as refused:
        assert refused.code in ("bad_message", "too_large")
    assert shared.text(ROOT) == "kept"


def test_a_refused_update_after_many_accepted_ones_leaves_them_all():
    source = Browser("a")
    updates = []
    for n in range(crdt.COMPACT_EVERY + 50):  # past a compaction
        source.text.insert(len(source.text), f"{n},")
        updates.append(source.outbox.pop())
    shared = crdt.SharedDoc.load(crdt.NOTES, ROOTS, [])
    for update in updates:
        shared.apply(update)
    expected = shared.text(ROOT)
    with pytest.raises(crdt.CrdtError):
        shared.apply(crdt.text_update("notes:nowhere", "x"))
    assert shared.text(ROOT) == expected


def test_stored_parts_that_do_not_decode_are_skipped():
    good = crdt.text_update(ROOT, "kept")
    shared = crdt.SharedDoc.load(crdt.NOTES, ROOTS, [b"\x00garbage", good])
    assert shared.text(ROOT) == "kept"


def test_a_random_session_keeps_the_servers_copy_equal_to_the_browsers():
    rng = random.Random(7)
    a, b = Browser("a"), Browser("b")
    room = Room([a, b])
    for step in range(500):
        browser = rng.choice([a, b])
        if rng.random() < 0.7 or not len(browser.text):
            browser.text.insert(rng.randint(0, len(browser.text)), rng.choice("abc "))
        else:
            start = rng.randrange(len(browser.text))
            del browser.text[start : start + 1]
        if step % 3 == 0:
            room.send(browser, [])
    room.send(a, [])
    room.send(b, [])
    assert str(a.text) == str(b.text) == room.server.text(ROOT)


def test_the_text_limit_counts_characters_not_bytes():
    """The limit is checked on pycrdt's length (UTF-8 bytes) first, and in characters only
    past it: a text of accented letters over the limit in bytes but not in characters stays."""
    shared = crdt.SharedDoc.load(crdt.NOTES, ROOTS, [])
    accented = "é" * crdt.MAX_TEXT_CHARS  # twice the limit in bytes, exactly it in characters
    shared.apply(crdt.text_update(ROOT, accented))
    assert shared.text(ROOT) == accented
    one_more = Doc()
    one_more.apply_update(shared.state())
    updates = []
    one_more.observe(lambda event: updates.append(event.update))
    one_more.get(ROOT, type=Text).insert(0, "é")
    with pytest.raises(crdt.CrdtError) as refused:
        shared.apply(updates[-1])
    assert refused.value.code == "too_large"
    assert shared.text(ROOT) == accented


def test_the_limits_read_the_same_roots_and_lengths_as_pycrdts_public_api():
    """The limits read roots and text lengths from pycrdt's native document (its public
    ``keys()`` and ``get()`` cost more than the update): what they read must agree."""
    shared = crdt.SharedDoc.load(crdt.NOTES, ROOTS, [])
    shared.apply(crdt.text_update(ROOT, "naïve café ✓"))
    shared.apply(crdt.text_update("notes:frame", ""))
    board = crdt.SharedDoc.load(crdt.BOARD, crdt.roots_for(crdt.BOARD, []), [])
    source = Doc()
    source.observe(lambda event: board.apply(event.update))
    elements = source.get(crdt.BOARD_ROOT, type=Map)
    elements["a"] = {
        **{"id": "a", "type": "rectangle", "x": 1, "y": 2, "width": 30, "height": 20},
        **{"angle": 0, "version": 1, "versionNonce": 5, "isDeleted": False},
    }
    for copy in (shared, board):
        read = copy._root_lengths()
        assert set(read) == set(copy.doc.keys())
        for root, length in read.items():
            if copy is board:
                assert length == 0
            else:
                assert length == len(copy.doc.get(root, type=Text)) == len(copy.text(root).encode())
    assert shared._root_lengths()[ROOT] == len("naïve café ✓".encode())


def test_a_document_past_its_size_is_refused_and_the_copy_kept(monkeypatch):
    """The encoded size is checked once the updates it was built from near the limit (half
    of it): growing the board element by element is refused exactly when its state passes."""
    monkeypatch.setattr(crdt, "MAX_BOARD_BYTES", 6000)
    board = crdt.SharedDoc.load(crdt.BOARD, crdt.roots_for(crdt.BOARD, []), [])
    browser = Doc()
    updates = []
    browser.observe(lambda event: updates.append(event.update))
    elements = browser.get(crdt.BOARD_ROOT, type=Map)
    accepted = 0
    for n in range(200):
        elements[f"e{n}"] = {
            "id": f"e{n}",
            "type": "text",
            "x": n,
            "y": 0,
            "width": 100,
            "height": 20,
            "angle": 0,
            "version": 1,
            "versionNonce": n,
            "isDeleted": False,
            "groupIds": [],
            "boundElements": None,
            "link": None,
            "index": f"a{n}",
            "text": "a box " * 4,
        }
        try:
            board.apply(updates[-1])
        except crdt.CrdtError as refused:
            assert refused.code == "too_large"
            break
        accepted += 1
        assert len(board.state()) <= 6000
    else:
        pytest.fail("the board never filled")
    assert accepted > 10
    assert len(board.board_elements()) == accepted  # the refused element was taken back

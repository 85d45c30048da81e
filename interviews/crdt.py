"""The room's shared documents as CRDTs: Yjs v13 in the browser, its Rust port through pycrdt
here. No Django in this module.

Each interview has a few documents, each one Yjs document (``Y.Doc``) with named root types:

- ``notes``: the candidate's notes, one ``Y.Text`` per step (``notes:<step key>``);
- ``diagram``: the candidate's Mermaid text (``diagram``);
- ``board``: the shared whiteboard (the root the board's client library uses);
- ``private``: the interviewer's private notes (``private``), never sent to the candidate.

Updates are Yjs binary updates (v1 encoding). Applying one twice, or in another order, gives the
same document: that is what makes a resend after a reconnect harmless, and what lets several
server processes and browsers converge. The server keeps an authoritative copy of each document
(``SharedDoc``) so it can refuse what does not belong (an unknown root, a text over its limit, a
document grown too large, bytes that are not an update), answer a reconnecting browser with what
it lacks, and write plain text for the report.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Array, Doc, Map, Text, merge_updates
from pycrdt._pycrdt import Text as NativeText

from . import board

MAX_UPDATE_BYTES = 48 * 1024  # one update (a protocol message is at most 64 KiB of JSON)
MAX_TEXT_CHARS = 20_000  # one text: a step's notes, the diagram, the private notes
MAX_DOC_BYTES = 512 * 1024  # a whole document's encoded state
MAX_BOARD_BYTES = 2 * 1024 * 1024  # the board's elements are bulkier than text
COMPACT_EVERY = 400  # accepted updates kept besides the base state before folding them in

NOTES, DIAGRAM, BOARD, PRIVATE = "notes", "diagram", "board", "private"
DOC_NAMES = (NOTES, DIAGRAM, BOARD, PRIVATE)
BOARD_ROOT = "elements"  # a Y.Map of board elements by id (see static/js/board.js)


class CrdtError(Exception):
    """An update refused: ``code`` is a protocol error code, ``message`` words for people."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def roots_for(name: str, step_keys: Iterable[str]) -> frozenset[str]:
    """The root types a document may hold."""
    if name == NOTES:
        return frozenset(f"notes:{key}" for key in step_keys)
    if name == DIAGRAM:
        return frozenset({"diagram"})
    if name == PRIVATE:
        return frozenset({"private"})
    if name == BOARD:
        return frozenset({BOARD_ROOT})
    raise ValueError(f"unknown document {name!r}")


@dataclass
class SharedDoc:
    """The server's copy of one document: a pycrdt ``Doc`` that only grows by accepted updates.

    The accepted updates since the last compaction are kept beside a base state, so that an
    update found to break a limit after it was applied can be taken back by rebuilding without
    it (rare; the usual path is one ``apply_update``)."""

    name: str
    roots: frozenset[str]
    doc: Doc = field(default_factory=Doc)
    _base: bytes = b""
    _since_base: list[bytes] = field(default_factory=list)
    _since_bytes: int = 0  # the size of _since_base, and of the update being checked

    @classmethod
    def load(cls, name: str, roots: frozenset[str], parts: Iterable[bytes]) -> "SharedDoc":
        """A document from stored parts (a state and the updates after it, in any order;
        duplicates are harmless). Parts that do not decode are skipped, never fatal: what was
        stored was accepted once."""
        shared = cls(name, roots)
        for part in parts:
            try:
                shared.doc.apply_update(part)
            except ValueError:
                continue
        shared._base = shared.doc.get_update()
        return shared

    @property
    def max_bytes(self) -> int:
        return MAX_BOARD_BYTES if self.name == BOARD else MAX_DOC_BYTES

    def apply(self, update: bytes) -> None:
        """Apply a browser's update, or raise ``CrdtError`` and leave the document as it was."""
        if not update:
            raise CrdtError("bad_message", "an update may not be empty")
        if len(update) > MAX_UPDATE_BYTES:
            raise CrdtError("too_large", f"an update is at most {MAX_UPDATE_BYTES} bytes")
        changed: list[dict] = []
        watched = self._watch_board(changed)
        try:
            self.doc.apply_update(update)
        except (ValueError, RuntimeError, OverflowError) as exc:
            # Nothing was integrated: decoding fails before anything is applied.
            raise CrdtError("bad_message", "that is not a document update") from exc
        finally:
            if watched is not None:
                watched[0].unobserve(watched[1])  # type: ignore[arg-type]  # a Subscription
        self._since_bytes += len(update)
        problem = self._problem() or _board_problem(changed, self)
        if problem:
            self._since_bytes -= len(update)
            self._rebuild()
            raise CrdtError(*problem)
        self._since_base.append(update)
        if len(self._since_base) >= COMPACT_EVERY:
            self._base, self._since_base, self._since_bytes = self.doc.get_update(), [], 0

    def _watch_board(self, changed: list[dict]) -> tuple[Map, object] | None:
        """Collect the board entries an update adds, changes or removes (only those are
        checked: the rest were checked when they came)."""
        if self.name != BOARD:
            return None
        try:
            elements = self.doc.get(BOARD_ROOT, type=Map)
        except (TypeError, ValueError):
            return None
        return elements, elements.observe(lambda event: changed.append(event.keys))

    def _problem(self) -> tuple[str, str] | None:
        """The limits, checked after each update, cheaply: this runs once per keystroke's
        update, so neither the texts nor the document's encoding are built unless they may be
        near their limits (building them made an update cost ten times the update itself)."""
        roots = self._root_lengths()
        unknown = roots.keys() - self.roots
        if unknown:
            return "bad_message", f"the {self.name} document has no part {sorted(unknown)[0]!r}"
        if self.name != BOARD:
            for root, length in roots.items():
                # pycrdt's length is in UTF-8 bytes, never fewer than the characters: only a
                # text past the limit in bytes is counted in characters.
                too_long = length > MAX_TEXT_CHARS
                if too_long and len(self.text(root)) > MAX_TEXT_CHARS:
                    return "too_large", f"a text is at most {MAX_TEXT_CHARS} characters"
        # The encoded document is about the size of the updates it was built from (more by a
        # few bytes per item an insertion split): encoded only once that sum nears the limit.
        near = self._parts_bytes() > self.max_bytes // 2
        if near and len(self.doc.get_update()) > self.max_bytes:
            return "too_large", f"the {self.name} document is full"
        return None

    def _root_lengths(self) -> dict[str, int]:
        """Each root's name and, in a text document, its length in UTF-8 bytes (0 on the
        board), read in one transaction from pycrdt's native document. Its public
        ``Doc.keys()`` and ``Doc.get()`` wrap every root in a Python object first: on a
        keystroke's update they cost over twenty times applying the update
        (tests/interviews/test_crdt.py checks that this agrees with them). A root that came in
        an update has no type until it is read as one; it is read as a text, as ``text`` does."""
        native_doc = self.doc._doc
        with self.doc.transaction() as transaction:
            native = transaction._txn
            assert native is not None  # set while the transaction is open
            roots = native_doc.roots(native)
            if self.name == BOARD or roots.keys() - self.roots:
                return dict.fromkeys(roots, 0)
            return {
                key: (
                    value
                    if isinstance(value, NativeText)
                    else native_doc.get_or_insert_text(native, key)
                ).len(native)
                for key, value in roots.items()
            }

    def _parts_bytes(self) -> int:
        return len(self._base) + self._since_bytes

    def _rebuild(self) -> None:
        doc: Doc = Doc()
        for part in (self._base, *self._since_base):
            if part:
                doc.apply_update(part)
        self.doc = doc

    def merge_from(self, update: bytes) -> bool:
        """Fold in a trusted update (another server process's copy, stored parts). False if
        it did not decode."""
        try:
            self.doc.apply_update(update)
        except (ValueError, RuntimeError, OverflowError):
            return False
        self._since_base.append(update)
        self._since_bytes += len(update)
        return True

    def state(self) -> bytes:
        """The whole document as one update."""
        return self.doc.get_update()

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def missing_for(self, state_vector: bytes) -> bytes:
        """What a peer with ``state_vector`` lacks, as one update (an empty vector: all of it;
        CrdtError if the vector does not decode)."""
        if not state_vector:
            return self.doc.get_update()
        try:
            return self.doc.get_update(state_vector)
        except (ValueError, RuntimeError, OverflowError) as exc:
            raise CrdtError("bad_message", "that is not a state vector") from exc

    def text(self, root: str) -> str:
        if root not in self.doc:  # type: ignore[operator]  # pycrdt: __iter__ -> Iterable
            return ""
        try:
            return str(self.doc.get(root, type=Text))
        except (TypeError, ValueError):
            return ""

    def texts(self) -> dict[str, str]:
        """Every text root's plain text (not for the board)."""
        return {root: self.text(root) for root in sorted(self.roots)}

    def board_elements(self) -> list[dict]:
        """The board's elements, as the board library stores them (a map of element id to
        element); deleted elements kept by the library are left in, marked ``isDeleted``."""
        if BOARD_ROOT not in self.doc:  # type: ignore[operator]  # as in text()
            return []
        try:
            elements = self.doc.get(BOARD_ROOT, type=Map)
        except (TypeError, ValueError):
            return []
        return [_plain(value) for value in elements.values()]


def _board_problem(changed: list[dict], shared: SharedDoc) -> tuple[str, str] | None:
    """Whether the board entries an update touched are elements the board may hold."""
    if shared.name != BOARD or not changed:
        return None
    for keys in changed:
        for key, change in keys.items():
            if change.get("action") == "delete":
                # Excalidraw deletes by marking (isDeleted); an entry never goes away, which
                # keeps the board's history whole for the replay.
                return "bad_message", "a board element is deleted by marking it, not removed"
            try:
                board.check_element(key, _plain(change.get("newValue")))
            except board.ElementError as exc:
                return "bad_message", str(exc)
    if len(shared.doc.get(BOARD_ROOT, type=Map)) > board.MAX_ELEMENTS:
        return "too_large", f"the board holds at most {board.MAX_ELEMENTS} elements"
    return None


def _plain(value: object) -> Any:  # plain JSON-like values
    if isinstance(value, Map):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Array):
        return [_plain(item) for item in value]
    if isinstance(value, Text):
        return str(value)
    return value


def text_update(root: str, text: str) -> bytes:
    """An update that writes ``text`` into an empty text root: how plain text becomes a shared
    document (text stored before the documents were CRDTs, test fixtures, the benchmark's seed)."""
    doc: Doc = Doc()
    doc[root] = Text(text)
    return doc.get_update()


def merge(updates: Iterable[bytes]) -> bytes:
    """Several updates as one (what a write-behind flush stores)."""
    parts = [u for u in updates if u]
    if not parts:
        return b""
    return parts[0] if len(parts) == 1 else merge_updates(*parts)

"""What a board element may be: the server's check of each element a browser writes into the
shared board (``crdt.BOARD``, a map of element id to element; see static/js/board.js).

The board is Excalidraw's scene, one entry per element, each a plain JSON object. The check is
of shape and size, not of drawing sense: the fields the room and the report rely on have the
right types, numbers are finite and bounded, texts and point lists are bounded, and nothing can
lead a page anywhere (a link is http(s) or nothing). Text that looks like HTML is kept as it is:
it is data, drawn on a canvas or into an image, never inserted into a page as HTML.

No Django in this module.
"""

import math
import re

# The element types the board draws natively. Images and embedded pages are refused: they would
# need files the board does not sync, or load other sites into the room.
ELEMENT_TYPES = frozenset(
    {"rectangle", "diamond", "ellipse", "arrow", "line", "freedraw", "text", "frame"}
)
MAX_ELEMENTS = 5_000  # elements on one board, deleted ones included
MAX_TEXT = 10_000  # characters of one text element
MAX_POINTS = 20_000  # points of one line, arrow or freehand stroke
MAX_COORDINATE = 1e7  # how far from the origin anything may be drawn
MAX_FIELDS = 64
ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LINK = re.compile(r"https?://[^\s<>\"']{1,2000}", re.IGNORECASE)
NUMBERS = ("x", "y", "width", "height", "angle", "version", "versionNonce")
TEXTS = ("text", "originalText")


class ElementError(ValueError):
    """An element refused, with words for the person whose browser sent it."""


def _number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= 2**53
    )


def check_element(key: str, element: object) -> None:
    """Raise ``ElementError`` if ``element`` may not be stored under ``key``."""
    if not isinstance(element, dict):
        raise ElementError("a board element must be an object")
    if not isinstance(key, str) or not ID.fullmatch(key) or element.get("id") != key:
        raise ElementError("a board element is stored under its own id")
    if len(element) > MAX_FIELDS:
        raise ElementError("a board element has too many fields")
    if element.get("type") not in ELEMENT_TYPES:
        raise ElementError(f"the board cannot hold an element of type {element.get('type')!r}")
    for name in NUMBERS:
        if not _number(element.get(name)):
            raise ElementError(f"a board element needs a finite number for {name}")
    if element["version"] < 1 or element["version"] != int(element["version"]):
        raise ElementError("a board element's version is a whole number from 1")
    if any(abs(element[name]) > MAX_COORDINATE for name in ("x", "y", "width", "height")):
        raise ElementError("a board element is drawn too far away")
    if not isinstance(element.get("isDeleted"), bool):
        raise ElementError("a board element says whether it is deleted")
    for name in TEXTS:
        text = element.get(name)
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
            raise ElementError(f"a text on the board is at most {MAX_TEXT} characters")
    if element["type"] == "text" and not isinstance(element.get("text"), str):
        raise ElementError("a text element needs its text")
    _check_points(element.get("points"))
    link = element.get("link")
    if link is not None and (not isinstance(link, str) or not LINK.fullmatch(link)):
        raise ElementError("a link on the board must be an http or https address")


def _check_points(points: object) -> None:
    if points is None:
        return
    if not isinstance(points, list) or len(points) > MAX_POINTS:
        raise ElementError(f"a stroke has at most {MAX_POINTS} points")
    for point in points:
        if not (
            isinstance(point, list) and len(point) == 2 and _number(point[0]) and _number(point[1])
        ):
            raise ElementError("a point on the board is a pair of numbers")

"""Mermaid flowcharts drawn as SVG for the PDF (WeasyPrint runs no JavaScript, so Mermaid
itself cannot draw there); the page keeps using Mermaid in the browser.

This module only reads the Mermaid: the subset the bank and candidates write, ``flowchart`` /
``graph`` with a direction, nodes with the usual shapes (``A[box]``, ``A(round)``,
``A([stadium])``, ``A[(database)]``, ``A((circle))``, ``A{decision}``), edges (``-->``, ``---``,
``-.->``, ``==>``, with ``|label|`` or ``-- label -->``) and chains; ``subgraph``/``end``, styling
and comments are ignored. Laying the graph out and drawing it is Graphviz's job (the ``dot``
program, through the ``graphviz`` package): a well-kept layout engine instead of our own. Anything
unreadable, or a machine without Graphviz, returns ``None`` and the caller shows the source.
"""

import logging
import re
import shutil
import subprocess
from dataclasses import dataclass

import graphviz

SHAPES = (
    # (opener, closer, shape), longest openers first
    ("([", "])", "stadium"),
    ("[(", ")]", "cylinder"),
    ("((", "))", "circle"),
    ("[[", "]]", "rect"),
    ("{{", "}}", "hexagon"),
    ("[/", "/]", "rect"),
    ("[\\", "\\]", "rect"),
    ("[", "]", "rect"),
    ("(", ")", "round"),
    ("{", "}", "diamond"),
    (">", "]", "rect"),
)
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-.]*")
_EDGE = re.compile(
    r"\s*(?:"
    r"(?P<lab1>--|==|-\.)\s*(?P<text>[^-=.>|][^|>]*?)\s*(?:-->|==>|\.->|---)"
    r"|(?P<op><-->|-->|---|==>|===|-\.->|-\.-|--o|--x)(?:\|(?P<pipe>[^|]*)\|)?"
    r")\s*"
)
_IGNORED = ("subgraph", "end", "classDef", "class ", "style ", "linkStyle", "click ", "%%")
FONT = "DejaVu Sans"
WRAP = 22  # characters per line of a node's label
MAX_SOURCE = 20_000  # characters: the room's limit for a document
RENDER_SECONDS = 10
log = logging.getLogger(__name__)


@dataclass
class Node:
    id: str
    text: str
    shape: str = "rect"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


class DiagramError(ValueError):
    pass


def _node(line: str, pos: int, nodes: dict[str, Node]) -> tuple[str, int]:
    match = _ID.match(line, pos)
    if not match:
        raise DiagramError(f"expected a node at {line[pos:]!r}")
    node_id, pos = match.group(), match.end()
    for opener, closer, shape in SHAPES:
        if line.startswith(opener, pos):
            end = line.find(closer, pos + len(opener))
            if line.startswith('"', pos + len(opener)):
                quote_end = line.find('"', pos + len(opener) + 1)
                if quote_end != -1:
                    end = line.find(closer, quote_end)
            if end == -1:
                raise DiagramError(f"unclosed {opener!r} in {line!r}")
            text = line[pos + len(opener) : end].strip().strip('"')
            nodes[node_id] = Node(node_id, text or node_id, shape)
            return node_id, end + len(closer)
    nodes.setdefault(node_id, Node(node_id, node_id))
    return node_id, pos


def parse(source: str) -> tuple[str, dict[str, Node], list[Edge]]:
    """(direction, nodes, edges) of a flowchart, or DiagramError."""
    lines = [line.strip() for line in source.replace(";", "\n").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise DiagramError("empty diagram")
    head = lines[0].split()
    if head[0] not in ("flowchart", "graph"):
        raise DiagramError("only flowcharts are drawn here")
    direction = head[1].upper() if len(head) > 1 else "TD"
    direction = "TD" if direction == "TB" else direction
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for line in lines[1:]:
        if line.startswith(_IGNORED) or line == "end":
            continue
        source_id, pos = _node(line, 0, nodes)
        while pos < len(line):
            match = _EDGE.match(line, pos)
            if not match or match.end() == pos:
                raise DiagramError(f"cannot read {line[pos:]!r}")
            op = match.group("op") or match.group("lab1")
            label = (match.group("pipe") or match.group("text") or "").strip().strip('"')
            target_id, pos = _node(line, match.end(), nodes)
            edges.append(Edge(source_id, target_id, label, dashed="." in op))
            source_id = target_id
    if not nodes:
        raise DiagramError("no nodes")
    return direction, nodes, edges


def _wrap(text: str) -> str:
    words, lines, line = text.replace("<br>", " ").split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > WRAP:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line] if line else lines)


def _label(text: str) -> str:
    """Text as a Graphviz label that means only itself: a backslash drawn as the look-alike
    U+2216 (Graphviz gives ``\\N``, ``\\l`` and friends a meaning, and shows an escaped one
    doubled), wrapped with Graphviz's line breaks, and marked as not HTML (the package would pass
    ``<…>`` through as an HTML-like label)."""
    return graphviz.nohtml(_wrap(text.replace("\\", "\u2216")))


# Mermaid's shapes in Graphviz's words: (shape, style).
GRAPHVIZ_SHAPES = {
    "rect": ("box", ""),
    "round": ("box", "rounded"),
    "stadium": ("box", "rounded"),
    "cylinder": ("cylinder", ""),
    "circle": ("circle", ""),
    "diamond": ("diamond", ""),
    "hexagon": ("hexagon", ""),
}
RANKDIR = {"TD": "TB", "BT": "BT", "LR": "LR", "RL": "RL"}


def to_dot(direction: str, nodes: dict[str, Node], edges: list[Edge]) -> graphviz.Digraph:
    """The flowchart as a Graphviz graph. Labels go in as plain text (the library quotes and
    escapes them), never as Graphviz HTML labels."""
    graph = graphviz.Digraph(format="svg")
    graph.attr(rankdir=RANKDIR.get(direction, "TB"), nodesep="0.3", ranksep="0.4", bgcolor="white")
    graph.attr("node", fontname=FONT, fontsize="10", color="#4a4f59", margin="0.12,0.06")
    graph.attr("edge", fontname=FONT, fontsize="9", color="#4a4f59", arrowsize="0.7")
    for index, node in enumerate(nodes.values()):
        shape, style = GRAPHVIZ_SHAPES.get(node.shape, ("box", ""))
        graph.node(f"n{index}", _label(node.text) or " ", shape=shape, style=style)
    names = {node_id: f"n{index}" for index, node_id in enumerate(nodes)}
    for edge in edges:
        graph.edge(
            names[edge.source],
            names[edge.target],
            label=_label(edge.label),
            style="dashed" if edge.dashed else "solid",
        )
    return graph


def flowchart_svg(source: str, *, id_prefix: str = "") -> str | None:
    """The flowchart as an ``<svg>`` string, or None when the text is not a flowchart this
    module can read, or Graphviz cannot draw it here (the caller shows the Mermaid source).
    ``id_prefix`` goes before every id Graphviz writes ("graph0", "node1"), so that two
    diagrams in one document do not define the same anchors."""
    if not source or not source.strip() or len(source) > MAX_SOURCE:
        return None
    try:
        direction, nodes, edges = parse(source)
    except DiagramError:
        return None
    dot = shutil.which("dot")
    if dot is None:
        log.warning("diagram not drawn: Graphviz's dot program is not installed")
        return None
    # Draw it in the author's direction and turned; keep the one that prints larger on a page,
    # so a long left-to-right chain turns top-down rather than shrinking to nothing.
    other = {"LR": "TD", "RL": "TD", "TD": "LR", "BT": "LR"}.get(direction, "LR")
    best: tuple[float, str] | None = None
    for candidate in (direction, other):
        svg = _draw(dot, to_dot(candidate, nodes, edges).source)
        if svg is None:
            return None
        scale = _page_scale(svg)
        if best is None or scale > best[0] * 1.15:
            best = (scale, svg)
    assert best is not None
    svg = best[1]
    # The document starts at <svg>; drop the XML prologue and doctype before the element.
    svg = svg[svg.index("<svg") :]
    return re.sub(r'(\s)id="', rf'\1id="{id_prefix}', svg) if id_prefix else svg


PAGE_W, PAGE_H = 700.0, 860.0  # points a diagram gets on an A4 page of the report
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def _page_scale(svg: str) -> float:
    match = _SIZE.search(svg)
    if not match:
        return 0.0
    width, height = float(match.group(1)), float(match.group(2))
    return min(PAGE_W / max(width, 1.0), PAGE_H / max(height, 1.0), 1.0)


def _draw(dot: str, source: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 (our own DOT source, built by the graphviz package)
            [dot, "-Tsvg"],
            input=source,
            capture_output=True,
            text=True,
            timeout=RENDER_SECONDS,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        log.warning("diagram not drawn: %s", exc)
        return None
    return done.stdout

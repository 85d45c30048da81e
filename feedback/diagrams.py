"""Mermaid flowcharts drawn as SVG in plain Python, for the PDF (WeasyPrint runs no
JavaScript, so Mermaid itself cannot draw there). The page keeps using Mermaid in the browser.

Covers the subset the bank and candidates write: ``flowchart``/``graph`` with a direction,
nodes with the usual shapes (``A[box]``, ``A(round)``, ``A([stadium])``, ``A[(database)]``,
``A((circle))``, ``A{decision}``), edges (``-->``, ``---``, ``-.->``, ``==>``, with ``|label|`` or
``-- label -->``) and chains. ``subgraph``/``end``, styling and comments are ignored. Anything
else returns ``None`` and the caller shows the source instead.

The layout is a small layered drawing: cycles broken by depth-first search, layers by longest
path, order within layers by a few barycentre sweeps. The direction that prints larger on a
page wins, so a long left-to-right chain turns top-down rather than shrinking to nothing.
"""

import re
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise

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
PAGE_W, PAGE_H = 700.0, 860.0
FONT = "DejaVu Sans, system-ui, sans-serif"
CHAR_W, LINE_H, WRAP = 6.4, 14.0, 22


@dataclass
class Node:
    id: str
    text: str
    shape: str = "rect"
    lines: list[str] = field(default_factory=list)
    w: float = 0.0
    h: float = 0.0
    layer: int = 0
    order: float = 0.0
    x: float = 0.0
    y: float = 0.0


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


def _wrap(text: str) -> list[str]:
    words, lines, line = text.replace("<br>", " ").split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > WRAP:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines or [""]


def _orient(nodes: dict[str, Node], edges: list[Edge]) -> list[tuple[str, str]]:
    """The edges as laid out, source before target. Edges are taken in the order they were
    written; one that would close a cycle (a feedback loop: logs back to training, training
    back to the model) is laid out reversed, so the flow as first described reads straight.
    The result is acyclic by construction."""
    out: dict[str, set[str]] = {n: set() for n in nodes}

    def reaches(start: str, goal: str) -> bool:
        seen, stack = {start}, [start]
        while stack:
            current = stack.pop()
            if current == goal:
                return True
            for child in out[current] - seen:
                seen.add(child)
                stack.append(child)
        return False

    oriented = []
    for edge in edges:
        s, t = edge.source, edge.target
        if s == t:
            continue
        if reaches(t, s):
            s, t = t, s
        out[s].add(t)
        oriented.append((s, t))
    return list(dict.fromkeys(oriented))


def _assign_layers(nodes: dict[str, Node], laid: list[tuple[str, str]]) -> None:
    incoming: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in laid:
        incoming[t].append(s)
    memo: dict[str, int] = {}
    for node in nodes:  # longest path from the sources, iteratively
        stack = [node]
        while stack:
            current = stack[-1]
            pending = [p for p in incoming[current] if p not in memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            memo[current] = 1 + max((memo[p] for p in incoming[current]), default=-1)
    for node_id, layer in memo.items():
        nodes[node_id].layer = layer


def _chains(nodes: dict[str, Node], laid: list[tuple[str, str]]) -> dict:
    """Split edges that skip layers with small invisible nodes, one per skipped layer, so that
    long edges take part in the ordering and run between boxes instead of through them."""
    routes = {}
    for number, (s, t) in enumerate(laid):
        chain = [s]
        for layer in range(nodes[s].layer + 1, nodes[t].layer):
            dummy = Node(f"__{number}_{layer}", "", "dummy", w=10, h=10, layer=layer)
            nodes[dummy.id] = dummy
            chain.append(dummy.id)
        chain.append(t)
        routes[(s, t)] = chain
    return routes


def _order(nodes: dict[str, Node], routes: dict) -> list[list[Node]]:
    depth = max(n.layer for n in nodes.values()) + 1
    layers: list[list[Node]] = [[] for _ in range(depth)]
    for index, node in enumerate(nodes.values()):
        node.order = index
        layers[node.layer].append(node)
    neighbours: dict[str, list[str]] = {n: [] for n in nodes}
    for chain in routes.values():
        for a, b in pairwise(chain):
            neighbours[a].append(b)
            neighbours[b].append(a)
    for layer in layers:
        layer.sort(key=lambda n: n.order)
        for index, node in enumerate(layer):
            node.order = index
    for sweep in range(8):
        sequence = layers[1:] if sweep % 2 == 0 else list(reversed(layers[:-1]))
        for layer in sequence:
            for node in layer:
                near = [nodes[n].order for n in neighbours[node.id] if nodes[n].layer != node.layer]
                if near:
                    node.order = sum(near) / len(near)
            layer.sort(key=lambda n: n.order)
            for index, node in enumerate(layer):
                node.order = index
    return layers


def _place(layers: list[list[Node]], direction: str) -> tuple[float, float]:
    """Coordinates (node centres) for a left-right or top-down layout; returns the size."""
    across_gap, along_gap, margin = 14.0, 46.0, 8.0
    horizontal = direction in ("LR", "RL")
    # "along" is the direction of the edges, "across" the order within a layer.
    along_sizes = [max((n.w if horizontal else n.h) for n in layer) for layer in layers]
    across_totals = [
        sum((n.h if horizontal else n.w) for n in layer) + across_gap * (len(layer) - 1)
        for layer in layers
    ]
    across_max = max(across_totals)
    along = margin
    for layer, size, total in zip(layers, along_sizes, across_totals, strict=True):
        across = margin + (across_max - total) / 2
        for node in layer:
            extent = node.h if horizontal else node.w
            centre_along, centre_across = along + size / 2, across + extent / 2
            node.x, node.y = (
                (centre_along, centre_across) if horizontal else (centre_across, centre_along)
            )
            across += extent + across_gap
        along += size + along_gap
    length = along - along_gap + margin
    width, height = (length, across_max + 2 * margin)
    if not horizontal:
        width, height = height, width
    if direction in ("RL", "BT"):
        for layer in layers:
            for node in layer:
                if direction == "RL":
                    node.x = width - node.x
                else:
                    node.y = height - node.y
    return width, height


def _shape(node: Node) -> str:
    x, y, w, h = node.x - node.w / 2, node.y - node.h / 2, node.w, node.h
    stroke = 'fill="#eef3f9" stroke="#2f5d8a" stroke-width="1.2"'
    if node.shape == "diamond":
        points = f"{node.x},{y} {x + w},{node.y} {node.x},{y + h} {x},{node.y}"
        return f'<polygon points="{points}" {stroke}/>'
    if node.shape == "circle":
        return f'<ellipse cx="{node.x}" cy="{node.y}" rx="{w / 2}" ry="{h / 2}" {stroke}/>'
    if node.shape == "cylinder":
        r = 5
        return (
            f'<path d="M{x},{y + r} A{w / 2},{r} 0 0 1 {x + w},{y + r} V{y + h - r}'
            f' A{w / 2},{r} 0 0 1 {x},{y + h - r} Z" {stroke}/>'
            f'<path d="M{x},{y + r} A{w / 2},{r} 0 0 0 {x + w},{y + r}" fill="none"'
            f' stroke="#2f5d8a" stroke-width="1.2"/>'
        )
    radius = {"round": 8, "stadium": h / 2, "hexagon": 4}.get(node.shape, 3)
    return f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{radius}" {stroke}/>'


def _anchor(node: Node, towards: Node, horizontal: bool) -> tuple[float, float]:
    if node.shape == "dummy":
        return node.x, node.y
    if horizontal:
        side = 1 if towards.x > node.x else -1
        return node.x + side * node.w / 2, node.y
    side = 1 if towards.y > node.y else -1
    return node.x, node.y + side * node.h / 2


def _layout(direction: str, nodes: dict[str, Node], edges: list[Edge]):
    for node in nodes.values():
        node.lines = _wrap(node.text)
        node.w = max(40.0, max(len(line) for line in node.lines) * CHAR_W + 18)
        node.h = len(node.lines) * LINE_H + 12
        if node.shape == "diamond":
            node.w, node.h = node.w * 1.3, node.h * 1.5
        if node.shape == "cylinder":
            node.h += 8
    laid = _orient(nodes, edges)
    _assign_layers(nodes, laid)
    routes = _chains(nodes, laid)
    width, height = _place(_order(nodes, routes), direction)
    return width, height, routes


def _route(points: list[Node], horizontal: bool, forward: bool) -> str:
    """A smooth path through a chain of nodes: one S-curve per layer gap."""
    chain = points if forward else list(reversed(points))
    x, y = _anchor(chain[0], chain[1], horizontal)
    path = [f"M{x:.1f},{y:.1f}"]
    for a, b in pairwise(chain):
        x1, y1 = _anchor(a, b, horizontal)
        x2, y2 = _anchor(b, a, horizontal)
        if horizontal:
            mid = (x1 + x2) / 2
            path.append(
                f"L{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
            )
        else:
            mid = (y1 + y2) / 2
            path.append(
                f"L{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
            )
    return " ".join(path)


def flowchart_svg(source: str) -> str | None:
    """The flowchart as an ``<svg>`` string, or None when the text is not a flowchart this
    module can read (the caller shows the Mermaid source instead)."""
    if not source or not source.strip():
        return None
    try:
        direction, nodes, edges = parse(source)
    except DiagramError:
        return None
    # Try the author's direction and its turn; keep the one that prints larger on a page.
    other = {"LR": "TD", "RL": "TD", "TD": "LR", "BT": "LR"}.get(direction, "LR")
    best = None
    for candidate in (direction, other):
        copies = {key: Node(n.id, n.text, n.shape) for key, n in nodes.items()}
        width, height, routes = _layout(candidate, copies, edges)
        scale = min(PAGE_W / width, PAGE_H / height, 1.0)
        if best is None or scale > best[0] * 1.15:
            best = (scale, candidate, copies, width, height, routes)
    _scale, direction, nodes, width, height, routes = best
    horizontal = direction in ("LR", "RL")
    body = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
        ' markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"'
        ' fill="#4a4f59"/></marker></defs>'
    ]
    labels = []
    drawn: set[tuple[str, str]] = set()
    for edge in edges:
        if edge.source == edge.target or (edge.source, edge.target) in drawn:
            continue
        drawn.add((edge.source, edge.target))
        forward = (edge.source, edge.target) in routes
        chain = routes.get((edge.source, edge.target)) or routes[(edge.target, edge.source)]
        points = [nodes[n] for n in chain]
        dash = ' stroke-dasharray="4 3"' if edge.dashed else ""
        body.append(
            f'<path d="{_route(points, horizontal, forward)}" fill="none" stroke="#4a4f59"'
            f' stroke-width="1.2"{dash} marker-end="url(#arrow)"/>'
        )
        if edge.label:
            middle = points[len(points) // 2] if len(points) > 2 else None
            if middle is not None:
                lx, ly = middle.x, middle.y
            else:
                (x1, y1), (x2, y2) = (
                    _anchor(points[0], points[1], horizontal),
                    _anchor(points[1], points[0], horizontal),
                )
                lx, ly = (x1 + x2) / 2, (y1 + y2) / 2
            lw = len(edge.label) * CHAR_W * 0.9 + 8
            labels.append(
                f'<rect x="{lx - lw / 2:.1f}" y="{ly - 8:.1f}" width="{lw:.1f}" height="15"'
                f' rx="3" fill="#ffffff" fill-opacity="0.9"/>'
                f'<text x="{lx:.1f}" y="{ly + 3.5:.1f}" font-size="9.5" text-anchor="middle"'
                f' font-family="{FONT}" fill="#4a4f59">{escape(edge.label)}</text>'
            )
    for node in nodes.values():
        if node.shape == "dummy":
            continue
        body.append(_shape(node))
        first = node.y - (len(node.lines) - 1) * LINE_H / 2 + 4
        for index, line in enumerate(node.lines):
            body.append(
                f'<text x="{node.x:.1f}" y="{first + index * LINE_H:.1f}" font-size="10.5"'
                f' text-anchor="middle" font-family="{FONT}" fill="#1d1f24">{escape(line)}</text>'
            )
    body.extend(labels)
    return (
        f'<svg class="flowchart" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        f"<title>Architecture diagram</title>" + "".join(body) + "</svg>"
    )

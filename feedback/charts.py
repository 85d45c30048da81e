"""Charts as inline SVG, in plain Python over plain data: no JavaScript, so the same markup
works on the page, in the PDF (WeasyPrint draws inline SVG) and offline.

Every function returns a complete ``<svg>`` string built with escaped text only; a template
puts it in with ``|safe``. Sizes are in user units; CSS scales the element to its container.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# The step colours of static/css/app.css (--step-1 … --step-7): white text on each passes WCAG AA.
STEP_COLOURS = ("#41719f", "#5c6fc2", "#2f7a6d", "#53792f", "#8f661f", "#a9532a", "#9a4a7f")
CROSS_COLOUR = "#4a4f59"
INK, INK_2, MUTED, LINE = "#1d1f24", "#4a4f59", "#5f646d", "#e1ded6"
OVER, UNDER, ACCENT = "#8f5708", "#2f5d8a", "#2f5d8a"
FONT = "DejaVu Sans, system-ui, sans-serif"
LEVEL_MAX = 4


def step_colour(position: int) -> str:
    """The colour of the step at 1-based ``position`` (the same palette as the CSS)."""
    if position < 1:
        return CROSS_COLOUR
    return STEP_COLOURS[(position - 1) % len(STEP_COLOURS)]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 11,
    anchor: str = "start",
    fill: str = INK_2,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" text-anchor="{anchor}"'
        f' font-family="{FONT}" fill="{fill}" font-weight="{weight}">{escape(text)}</text>'
    )


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css_class: str) -> str:
    return (
        f'<svg class="chart {css_class}" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


def wrap(text: str, width: int) -> list[str]:
    """Split a label into at most two lines of about ``width`` characters."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
        if len(lines[1]) > width + 2:
            lines[1] = lines[1][: width + 1].rstrip() + "…"
    return lines


# --- Per-step bars: the report --------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One group of the step chart: a step (position 1..n) or the cross-cutting group (0)."""

    label: str
    position: int
    primary: float | None  # the interviewer's score, or the self-score in a drill
    secondary: float | None = None  # the self-score beside the interviewer's


def _bars_legend(
    left: int, primary_label: str, secondary_label: str, bar: float | None, bar_label: str
) -> list[str]:
    """The legend above the bars: primary (solid), secondary (light), the bar (dashed)."""
    body = [f'<rect x="{left}" y="10" width="12" height="12" rx="2" fill="{INK_2}"/>']
    body.append(_label(left + 17, 20, primary_label, size=11))
    legend_x = left + 24 + 7 * len(primary_label)
    if secondary_label:
        body.append(
            f'<rect x="{legend_x}" y="10" width="12" height="12" rx="2" fill="{INK_2}"'
            f' fill-opacity="0.22" stroke="{INK_2}" stroke-width="1.2"/>'
        )
        body.append(_label(legend_x + 17, 20, secondary_label, size=11))
        legend_x += 24 + 7 * len(secondary_label)
    if bar is not None:
        body.append(
            f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="16" y2="16" stroke="{INK}"'
            f' stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
        body.append(_label(legend_x + 23, 20, bar_label or f"Bar {bar:.2f}", size=11))
    return body


def _step_bar_group(
    group: Bar,
    *,
    centre: float,
    group_w: float,
    bar_w: float,
    two: bool,
    y: Callable[[float], float],
) -> list[str]:
    """One step's bars with their values, its numbered dot and its wrapped title."""
    body = []
    colour = step_colour(group.position)
    series = [(group.primary, True)] + ([(group.secondary, False)] if two else [])
    for offset, (value, solid) in enumerate(series):
        x = centre - bar_w / 2 if not two else centre - bar_w - 1 + offset * (bar_w + 2)
        if value is None:
            body.append(_label(x + bar_w / 2, y(0) - 5, "–", size=11, anchor="middle"))
            continue
        top_y = y(value)
        style = (
            f'fill="{colour}"'
            if solid
            else f'fill="{colour}" fill-opacity="0.22" stroke="{colour}" stroke-width="1.4"'
        )
        body.append(
            f'<rect x="{_num(x)}" y="{_num(top_y)}" width="{_num(bar_w)}"'
            f' height="{_num(y(0) - top_y)}" rx="2" {style}/>'
        )
        body.append(
            _label(
                x + bar_w / 2,
                top_y - 4,
                f"{value:.2f}",
                size=9.5,
                anchor="middle",
                fill=INK if solid else INK_2,
                weight="bold" if solid else "normal",
            )
        )
    number = str(group.position) if group.position else "·"
    body.append(f'<circle cx="{_num(centre)}" cy="{_num(y(0) + 14)}" r="8" fill="{colour}"/>')
    body.append(
        _label(centre, y(0) + 17.5, number, size=9.5, anchor="middle", fill="#fff", weight="bold")
    )
    for line_no, line in enumerate(wrap(group.label, max(8, int(group_w / 6.2)))):
        body.append(_label(centre, y(0) + 36 + 12 * line_no, line, size=10, anchor="middle"))
    return body


def step_bars(
    groups: Sequence[Bar],
    *,
    primary_label: str,
    secondary_label: str = "",
    bar: float | None = None,
    bar_label: str = "",
) -> str:
    """Bars per step on the 1-4 level scale, with the target level's bar as a dashed line.
    With ``secondary_label`` each step gets two bars: solid (primary) and light (secondary)."""
    width, height = 720, 300
    left, right, top, bottom = 34, 12, 40, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    two = bool(secondary_label)

    def y(value: float) -> float:
        return top + plot_h * (1 - value / LEVEL_MAX)

    body = []
    for level in range(LEVEL_MAX + 1):
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y(level))}" y2="{_num(y(level))}"'
            f' stroke="{LINE if level else "#cbc7bc"}" stroke-width="1"/>'
        )
        body.append(_label(left - 8, y(level) + 4, str(level), size=10, anchor="end", fill=MUTED))
    body += _bars_legend(left, primary_label, secondary_label, bar, bar_label)

    n = max(1, len(groups))
    group_w = plot_w / n
    bar_w = min(34.0, group_w * (0.3 if two else 0.42))
    desc = []
    for index, group in enumerate(groups):
        centre = left + group_w * (index + 0.5)
        body += _step_bar_group(group, centre=centre, group_w=group_w, bar_w=bar_w, two=two, y=y)
        parts = [f"{group.label}: {primary_label.lower()} " + _fmt_or_dash(group.primary)]
        if two:
            parts.append(f"{secondary_label.lower()} " + _fmt_or_dash(group.secondary))
        desc.append(", ".join(parts))
    if bar is not None:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y(bar))}" y2="{_num(y(bar))}"'
            f' stroke="{INK}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
    return _svg(
        width,
        height,
        "Scores per step",
        "; ".join(desc) + (f". {bar_label}." if bar is not None else "."),
        body,
        "chart-steps",
    )


def _fmt_or_dash(value: float | None) -> str:
    return "not scored" if value is None else f"{value:.2f}"


# --- Over time: the progress page --------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    label: str  # shown under the axis (a short date)
    value: float | None
    hollow: bool = False  # a solo drill (self-scored), drawn as an open circle


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    bar: float | None = None,
    bar_label: str = "",
    width: int = 520,
    height: int = 230,
) -> str:
    """Overall score per session, oldest first, on the 1-4 scale."""
    left, right, top, bottom = 34, 16, 18, 34
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - 1) / (LEVEL_MAX - 1))

    n = len(points)

    def x(index: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * index / (n - 1))

    body = []
    for level in range(1, LEVEL_MAX + 1):
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y(level))}" y2="{_num(y(level))}"'
            f' stroke="{LINE}" stroke-width="1"/>'
        )
        body.append(_label(left - 8, y(level) + 4, str(level), size=10, anchor="end", fill=MUTED))
    if bar is not None:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y(bar))}" y2="{_num(y(bar))}"'
            f' stroke="{INK}" stroke-width="1.2" stroke-dasharray="5 4"/>'
        )
        body.append(
            _label(width - right, y(bar) - 5, bar_label or f"Bar {bar:.2f}", size=10, anchor="end")
        )
    scored = [(i, p.value, p.hollow) for i, p in enumerate(points) if p.value is not None]
    if len(scored) > 1:
        path = " ".join(
            f"{'M' if k == 0 else 'L'}{_num(x(i))} {_num(y(value))}"
            for k, (i, value, _) in enumerate(scored)
        )
        body.append(f'<path d="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for i, value, hollow in scored:
        fill = "#fff" if hollow else ACCENT
        body.append(
            f'<circle cx="{_num(x(i))}" cy="{_num(y(value))}" r="4.5" fill="{fill}"'
            f' stroke="{ACCENT}" stroke-width="2"/>'
        )
    step = max(1, round(n / 8))
    for i, p in enumerate(points):
        if i % step == 0 or i == n - 1:
            body.append(_label(x(i), height - 12, p.label, size=10, anchor="middle", fill=MUTED))
    desc = ", ".join(f"{p.label}: {_fmt_or_dash(p.value)}" for p in points)
    return _svg(width, height, title, desc or "No sessions yet.", body, "chart-line")


def sparkline(values: Sequence[float | None], *, colour: str, title: str) -> str:
    """A small trend of one step's score (1-4), the latest value marked."""
    width, height, pad = 180, 46, 5

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - (value - 1) / (LEVEL_MAX - 1))

    n = len(values)

    def x(index: int) -> float:
        return pad + (width - 2 * pad) * (0.5 if n == 1 else index / (n - 1))

    body = [
        f'<line x1="{pad}" x2="{width - pad}" y1="{_num(y(3))}" y2="{_num(y(3))}"'
        f' stroke="{LINE}" stroke-width="1" stroke-dasharray="3 3"/>'
    ]
    scored = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(scored) > 1:
        path = " ".join(
            f"{'M' if k == 0 else 'L'}{_num(x(i))} {_num(y(v))}" for k, (i, v) in enumerate(scored)
        )
        body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for k, (i, v) in enumerate(scored):
        last = k == len(scored) - 1
        body.append(
            f'<circle cx="{_num(x(i))}" cy="{_num(y(v))}" r="{3.5 if last else 2}"'
            f' fill="{colour}"/>'
        )
    desc = ", ".join(_fmt_or_dash(v) for v in values)
    return _svg(width, height, title, desc or "No scores yet.", body, "chart-spark")


def delta_bars(points: Sequence[Point], *, title: str) -> str:
    """Self minus interviewer (mean over criteria) per session: above the line the candidate
    rated themselves higher than the interviewer did, below it lower."""
    width, height = 520, 230
    left, right, top, bottom = 40, 12, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    limit = 2.0

    def y(value: float) -> float:
        clipped = max(-limit, min(limit, value))
        return top + plot_h * (1 - (clipped + limit) / (2 * limit))

    body = []
    for value in (-2, -1, 0, 1, 2):
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y(value))}"'
            f' y2="{_num(y(value))}" stroke="{"#cbc7bc" if value == 0 else LINE}"'
            f' stroke-width="1"/>'
        )
        label = f"+{value}" if value > 0 else str(value)
        body.append(_label(left - 8, y(value) + 4, label, size=10, anchor="end", fill=MUTED))
    body.append(_label(left + 4, top + 10, "rated yourself higher", size=10, fill=OVER))
    body.append(_label(left + 4, top + plot_h - 4, "rated yourself lower", size=10, fill=UNDER))
    n = max(1, len(points))
    group_w = plot_w / n
    bar_w = min(36.0, group_w * 0.5)
    for i, p in enumerate(points):
        centre = left + group_w * (i + 0.5)
        if p.value is not None:
            y0, y1 = sorted((y(0), y(p.value)))
            colour = OVER if p.value > 0 else UNDER
            body.append(
                f'<rect x="{_num(centre - bar_w / 2)}" y="{_num(y0)}" width="{_num(bar_w)}"'
                f' height="{_num(max(1.5, y1 - y0))}" rx="2" fill="{colour}"/>'
            )
            sign = "+" if p.value > 0 else ""
            label_y = y0 - 4 if p.value >= 0 else y1 + 12
            body.append(_label(centre, label_y, f"{sign}{p.value:.2f}", size=9.5, anchor="middle"))
        body.append(_label(centre, height - 10, p.label, size=10, anchor="middle", fill=MUTED))
    desc = ", ".join(f"{p.label}: {_fmt_or_dash(p.value)}" for p in points)
    return _svg(width, height, title, desc or "No sessions to compare yet.", body, "chart-delta")

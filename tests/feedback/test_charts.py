"""The report's SVG charts and the Python drawing of Mermaid flowcharts: pure functions, no
database."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from feedback import charts, diagrams

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


def test_step_bars_draw_a_bar_per_scored_value_and_a_dash_for_none():
    svg = charts.step_bars(
        [charts.Bar("Clarify", 1, 3.0, 3.5), charts.Bar("Frame", 2, None, 2.0)],
        primary_label="Interviewer",
        secondary_label="Self-assessment",
        bar=3.0,
        bar_label="Senior bar 3.00",
    )
    root = parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("width") != "12"]  # not the legend
    assert len(bars) == 3
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "3.00" in texts and "3.50" in texts and "–" in texts
    assert "Senior bar 3.00" in texts
    desc = root.find(f"{SVG}desc").text
    assert "Frame: interviewer not scored, self-assessment 2.00" in desc


def test_bar_heights_follow_the_level_scale():
    root = parse(
        charts.step_bars([charts.Bar("A", 1, 4.0), charts.Bar("B", 2, 2.0)], primary_label="You")
    )
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect") if r.get("width") != "12"]
    assert heights[0] == pytest.approx(2 * heights[1])


def test_chart_text_is_escaped():
    svg = charts.step_bars([charts.Bar("<script>alert(1)</script>", 1, 2.0)], primary_label="A&B")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "A&amp;B" in svg
    parse(svg)


def test_over_time_charts_handle_gaps_and_single_points():
    line = charts.line_chart(
        [
            charts.Point("1 Nov", 2.5),
            charts.Point("2 Nov", None),
            charts.Point("3 Nov", 3.0, hollow=True),
        ],
        title="Overall",
        bar=3.0,
    )
    root = parse(line)
    assert len(list(root.iter(f"{SVG}circle"))) == 2
    assert parse(charts.sparkline([3.0], colour="#000", title="One")) is not None
    delta = parse(
        charts.delta_bars(
            [charts.Point("1 Nov", 0.5), charts.Point("2 Nov", -1.25)], title="Calibration"
        )
    )
    labels = [t.text for t in delta.iter(f"{SVG}text")]
    assert "+0.50" in labels and "-1.25" in labels


def bank_diagrams() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "casestudies" / "content").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        out.append((path.stem, doc["diagram"]))
    return out


@pytest.mark.parametrize(("slug", "source"), bank_diagrams())
def test_every_reference_diagram_of_the_bank_is_drawn_for_the_pdf(slug, source):
    svg = diagrams.flowchart_svg(source)
    assert svg is not None, slug
    root = parse(svg)
    _direction, nodes, edges = diagrams.parse(source)
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for node in nodes.values():
        assert node.text.split()[0] in texts
    assert len(list(root.iter(f"{SVG}path"))) >= len({(e.source, e.target) for e in edges})


def test_flowchart_shapes_labels_and_chains():
    direction, nodes, edges = diagrams.parse(
        "graph TD\n"
        "  A([Start]) -->|yes| B{Decide?}\n"
        '  B -- no --> C[(Store)] --> D["Quoted: text"]\n'
        "  D -.-> A\n  classDef x fill:#fff\n  %% a comment\n"
    )
    assert direction == "TD"
    assert {n.id: n.shape for n in nodes.values()} == {
        "A": "stadium",
        "B": "diamond",
        "C": "cylinder",
        "D": "rect",
    }
    assert nodes["D"].text == "Quoted: text"
    assert [(e.source, e.target, e.label, e.dashed) for e in edges] == [
        ("A", "B", "yes", False),
        ("B", "C", "no", False),
        ("C", "D", "", False),
        ("D", "A", "", True),
    ]
    svg = diagrams.flowchart_svg("graph TD\n  A --> B\n  B --> A\n  A --> A\n")
    assert svg and len(list(parse(svg).iter(f"{SVG}path"))) >= 2


@pytest.mark.parametrize(
    "source",
    [
        "",
        "sequenceDiagram\n  A->>B: hi",
        "flowchart LR\n  A[unclosed --> B",
        "flowchart LR\n  A ~~> B",
    ],
)
def test_what_cannot_be_drawn_returns_none(source):
    assert diagrams.flowchart_svg(source) is None


def test_diagram_text_is_escaped():
    svg = diagrams.flowchart_svg('flowchart LR\n  A["<img src=x onerror=alert(1)>"] --> B')
    assert "<img" not in svg and "&lt;img" in svg


def test_a_machine_without_graphviz_shows_the_source_instead(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing called dot on this path
    assert diagrams.flowchart_svg("flowchart LR\n  A --> B") is None


def test_graphviz_escapes_mean_nothing_in_a_label():
    svg = diagrams.flowchart_svg('flowchart LR\n  A["keeps \\N and \\l"] --> B')
    assert svg is not None and "keeps \u2216N and \u2216l" in svg

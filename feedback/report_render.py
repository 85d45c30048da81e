"""The feedback report rendered from its data (``Report.data``, see reports.py): the context of the
HTML page and PDF (``feedback/_report.html``), the Markdown (``feedback/report.md``), the step
chart, and the defaults that let a report of an older version render as it did."""

import copy
from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from . import charts
from .reports import REPORT_VERSION

# --- Rendering ---------------------------------------------------------------------------------


def step_chart(data: Mapping[str, Any]) -> str:
    groups = [
        charts.Bar(s["title"], s["position"], s["value"], s["self_value"]) for s in data["steps"]
    ]
    cross = data["cross_cutting"]
    if cross["criteria"]:
        groups.append(charts.Bar("Across steps", 0, cross["value"], cross["self_value"]))
    overall = data["overall"]
    return charts.step_bars(
        groups,
        primary_label=data["primary_label"],
        secondary_label="Self-assessment" if data["compare"] else "",
        bar=overall["bar_value"],
        bar_label=f"{data['interview']['target_label']} bar {overall['bar']}",
    )


HIRE_TONES = {
    "strong_no_hire": "bad",
    "no_hire": "bad",
    "lean_no_hire": "warn",
    "lean_hire": "warn",
    "hire": "good",
    "strong_hire": "good",
}
LEVEL_TONES = {"below": "bad", "meets": "good", "exceeds": "good"}


def upgrade(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A report compiled by an older version, with what the current templates read filled in
    as neutral defaults (nothing capped, every step reached, no checklist), so it renders as it
    did. A current report is returned as it is."""
    if stored.get("version", 1) >= REPORT_VERSION:
        return dict(stored)
    data = copy.deepcopy(dict(stored))
    overall = data["overall"]
    defaults = {
        "explanation": "",
        "enough_evidence": overall.get("hire_signal") != "insufficient",
        "evidence_gaps": [],
        "knocked_out": False,
        "knockouts": [],
        "unreached": [],
        "not_reached": 0,
        "capped": 0,
        "distance": "",
        "band": "",
        "band_label": "",
    }
    for side in (overall, data.get("self_overall") or {}):
        for key, value in defaults.items():
            side.setdefault(key, copy.copy(value))
    criteria = [c for step in data["steps"] for c in step["criteria"]]
    criteria += data["cross_cutting"]["criteria"]
    for criterion in criteria:
        criterion.setdefault("weight_note", "")
        criterion.setdefault("expectation", "")
        for name in ("primary", "self"):
            side = criterion.get(name)
            if side:
                side.setdefault("given", side["level"] if side["status"] == "scored" else None)
                side.setdefault("capped", False)
                side.setdefault("note", "")
    for step in data["steps"]:
        for key, value in (
            ("reached", True),
            ("cap", None),
            ("cap_why", ""),
            ("cap_note", ""),
            ("expectation", ""),
        ):
            step.setdefault(key, value)
    for entry in data.get("weakest", []):
        entry.setdefault("expectation", "")
        entry.setdefault("criteria", [])
    data.setdefault("checklist", {"present": False, "items": []})
    return data


def report_context(data: Mapping[str, Any]) -> dict[str, Any]:
    """What ``feedback/_report.html`` and ``feedback/report.md`` need besides the data: the
    chart, the date, the tones and the sections in page order."""
    data = upgrade(data)
    meta = data["interview"]
    when = parse_datetime(meta["ended_at"] or meta["completed_at"] or "") if meta else None
    overall = data["overall"]
    cross = data["cross_cutting"]
    return {
        "data": data,
        "chart": step_chart(data),
        "date": when,
        "guide_seen": parse_datetime(meta.get("guide_seen_at") or "") if meta else None,
        "hire_tone": HIRE_TONES.get(overall["hire_signal"], ""),
        "level_tone": LEVEL_TONES.get(overall["level_signal"], ""),
        "sections": [
            *data["steps"],
            *(
                [{"key": "across", "title": "Across the interview", "position": 0, **cross}]
                if cross["criteria"]
                else []
            ),
        ],
        "all_criteria": [c for s in data["steps"] for c in s["criteria"]] + cross["criteria"],
    }


def report_markdown(data: Mapping[str, Any]) -> str:
    """The report as Markdown, from the same data and in the same order as the page."""
    text = render_to_string("feedback/report.md", report_context(data))
    # Template tags leave blank lines behind; Markdown needs at most one between blocks.
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"

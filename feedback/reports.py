"""The feedback report: assembled once from the database into plain JSON (``Report.data``),
then rendered from that data: as HTML (the page and the PDF share ``feedback/_report.html``)
and as Markdown (``feedback/report.md``), from the same data.

``report_data`` reads (``_read``, a fixed number of queries) and then builds the report in named
steps: the header, the criteria rows, the steps, the calibration, the time, the feedback and the
suggestions. Everything after the read is pure (data in, data out), so a report reads the same
tomorrow even if the rubric or the case is edited meanwhile.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from uuid import UUID

from django.urls import reverse
from django.utils import timezone

from casestudies import plans
from casestudies.content import reading_markdown
from casestudies.models import CaseStep
from interviews import flow
from interviews.models import (
    BoardImage,
    Delivery,
    Interview,
    Mark,
    Role,
    Score,
)
from rubrics import explanation, scoring
from rubrics.selectors import criterion_specs, scoring_policy

from .report_inputs import _Inputs, _read
from .suggestions import _suggestions

# 2: the arithmetic's inputs and its explanation (steps reached, hint caps, knock-outs, the
# evidence rules, the checklist, level expectations). Version 1 reports still render: see
# ``upgrade``.
REPORT_VERSION = 2
ReportData = dict[str, Any]
SOURCE_LABELS: dict[str, str] = {
    Score.Source.INTERVIEWER: "Interviewer",
    Score.Source.SELF: "Self-assessment",
}
VERDICT_LABELS = {
    "over": "Over-estimate",
    "under": "Under-estimate",
    "aligned": "Aligned",
    "n/a": "Not compared",
}


def _float(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _side(
    result: scoring.CriterionResult,
    text: str,
    anchors: Mapping[int, str],
    *,
    cap_note: str = "",
) -> dict:
    """One side's result for a criterion: the level it counts as, the level given (when a hint
    cap lowered it), and why it counts as it does."""
    given = result.capped_from or result.level
    note = ""
    if result.status == scoring.NOT_REACHED:
        note = "not reached: counted at level 1"
    elif result.capped_from is not None:
        note = cap_note
    return {
        "level": result.level,
        "given": given if result.status == scoring.SCORED else None,
        "capped": result.capped_from is not None,
        "status": result.status,
        "note": note,
        "text": text,
        "anchor": anchors.get(given, "") if result.status == scoring.SCORED and given else "",
    }


def _signed(value: Fraction) -> str:
    text = scoring.fmt(abs(value))
    return f"{'−' if value < 0 else '+'}{text}"


def _overall(
    result: scoring.Result,
    policy: scoring.Policy,
    target: str,
    *,
    step_titles: Mapping[str, str],
    criterion_titles: Mapping[str, str],
) -> dict:
    scored = sum(1 for c in result.criteria if c.status == scoring.SCORED)
    insufficient = result.hire_signal == "insufficient"
    return {
        "score": scoring.fmt(result.overall),
        "value": _float(result.overall),
        "hire_signal": result.hire_signal or "",
        "hire_label": scoring.HIRE_LABELS.get(result.hire_signal or "", "Not scored"),
        "level_signal": result.level_signal or "",
        "level_label": "No level signal"
        if insufficient
        else scoring.LEVEL_SIGNAL_LABELS.get(result.level_signal or "", "Not scored"),
        "level_met": result.level_met or "",
        "level_met_label": scoring.LEVEL_LABELS.get(result.level_met or "", "none yet"),
        "bar": scoring.fmt(policy.bars[target]),
        "bar_value": _float(policy.bars[target]),
        "coverage_pct": round(float(result.coverage) * 100),
        "scored": scored,
        "not_observed": len(result.not_observed),
        "not_reached": len(result.not_reached),
        "missing": len(result.missing),
        "capped": len(result.capped),
        "total": len(result.criteria),
        # Why the signal is what it is, with the numbers (rubrics.explanation.explain).
        "explanation": explanation.explain(
            result, policy, step_titles=step_titles, criterion_titles=criterion_titles
        ),
        "distance": _signed(result.distance) if result.distance is not None else "",
        "band": result.band or "",
        "band_label": scoring.HIRE_LABELS.get(result.band or "", ""),
        "enough_evidence": result.enough_evidence,
        "evidence_gaps": list(result.evidence_gaps),
        "knocked_out": result.knocked_out,
        "knockouts": [
            {"step": step, "step_title": step_titles.get(step, step), "text": text}
            for step, text in result.knockouts
        ],
        "unreached": [step_titles.get(key, key) for key in result.unreached_steps],
    }


@dataclass
class _Results:
    """The arithmetic: the primary side's scores (the interviewer's in a peer interview, the
    candidate's own in a drill or when the interviewer never scored), the self-assessment's,
    and their calibration, with what went into them: the case's weights, the steps reached,
    the hints used per step and the critical red flags observed."""

    primary: str
    compare: bool
    head: scoring.Result
    mine: scoring.Result
    policy: scoring.Policy
    calibration: dict[str, scoring.Calibration]
    specs: dict[str, scoring.CriterionSpec]
    hints: dict[str, scoring.HintUse]
    reached: list[str]
    caps: dict[str, dict[str, Any]]  # step key -> cap, why, note (``step_caps``)


def hints_of(
    deliveries: Sequence[Delivery], guides: Mapping[str, CaseStep], step_keys: Sequence[str]
) -> dict[str, scoring.HintUse]:
    """Per step, the hints sent on it (``Delivery`` rows): how many, and whether the step's
    last (answer-level) hint was one of them. A delivery the guide no longer has (the case was
    edited since) still counts, but cannot be the answer-level one."""
    answers = {key: plans.answer_level_hints(guide) for key, guide in guides.items()}
    sent: dict[str, set[int]] = {}
    for delivery in deliveries:
        if delivery.kind == Delivery.Kind.HINT and delivery.step_key in step_keys:
            sent.setdefault(delivery.step_key, set()).add(delivery.index)
    return {
        step: scoring.HintUse(len(indexes), answer_level=bool(indexes & answers.get(step, set())))
        for step, indexes in sent.items()
    }


def step_caps(
    policy: scoring.Policy, hints: Mapping[str, scoring.HintUse], step_keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per step the hints capped: the cap, why ("one hint on this step") and the note a
    criterion carries ("capped at 3: one hint on this step")."""
    return {
        key: {**cap, "note": f"capped at {cap['cap']}: {cap['why']}"}
        for key, cap in scoring.hint_caps_now(policy, hints, step_keys).items()
    }


def _knockouts(inputs: _Inputs) -> list[tuple[str, str]]:
    """The critical red flags the interviewer observed: (step key, text)."""
    keys = {step.key for step in inputs.framework_steps}
    return [
        (mark.step_key, mark.text)
        for mark in inputs.marks.get(Score.Source.INTERVIEWER, [])
        if mark.kind == Mark.Kind.FLAG
        and mark.value == "observed"
        and mark.critical
        and mark.step_key in keys
    ]


def _score(inputs: _Inputs) -> _Results:
    rubric_specs = criterion_specs(inputs.rubric)
    known = {spec.key for spec in rubric_specs}
    # The loader checks a case's overrides against the rubric; a rubric edited since may have
    # lost a criterion, and the report still compiles.
    weights = {k: v for k, v in (inputs.case.weights or {}).items() if k in known}
    plan = inputs.plan
    # The arithmetic is the rubric's, on the session's steps: each criterion on the step it is
    # scored in, the required steps as the steps that draw them (casestudies/plans.py).
    specs = [
        dataclasses.replace(spec, step=plan.criterion_step.get(spec.key, spec.step))
        for spec in scoring.apply_weights(rubric_specs, weights)
    ]
    policy = scoring_policy(inputs.rubric)
    policy = dataclasses.replace(
        policy, required_steps=tuple(plan.map_steps(policy.required_steps))
    )
    step_keys = [step.key for step in inputs.framework_steps]
    interview = inputs.interview
    reached = flow.reached_steps(interview.elapsed, interview.step_index, step_keys)
    hints = hints_of(inputs.deliveries, inputs.guides, step_keys)
    knockouts = _knockouts(inputs)
    peer = not interview.is_solo
    primary = "interviewer" if peer and inputs.values["interviewer"] else "self"
    compare = peer and primary == "interviewer" and bool(inputs.values["self"])
    results = {
        source: scoring.score(
            specs,
            inputs.values[source],
            policy,
            target_level=interview.target_level,
            step_order=step_keys,
            reached=reached,
            hints=hints,
            knockouts=knockouts,
            step_titles={step.key: step.title for step in inputs.framework_steps},
        )
        for source in ("interviewer", "self")
    }
    calibration = (
        {
            row.key: row
            for row in scoring.calibration(
                specs,
                inputs.values["self"],
                inputs.values["interviewer"],
                policy=policy,
                hints=hints,
                reached=reached,
                step_order=step_keys,
            )
        }
        if compare
        else {}
    )
    return _Results(
        primary,
        compare,
        results[primary],
        results["self"],
        policy,
        calibration,
        {spec.key: spec for spec in specs},
        hints,
        reached,
        step_caps(policy, hints, step_keys),
    )


def _cap(results: _Results, step_key: str) -> dict[str, Any]:
    return results.caps.get(step_key, {"cap": None, "why": "", "note": ""})


def _expectation(expectations: Any, target: str) -> str:
    return str(expectations.get(target, "")) if isinstance(expectations, dict) else ""


def _criteria_rows(inputs: _Inputs, results: _Results) -> list[dict[str, Any]]:
    """One row per criterion: the primary side's level and evidence and why it counts as it
    does (a hint cap, a step not reached), the self-assessment's beside it, the calibration
    verdict, what the next level up looks like, and what the target level is expected to
    show."""
    heads = {r.key: r for r in results.head.criteria}
    mine = {r.key: r for r in results.mine.criteria}
    target = inputs.interview.target_level
    rows = []
    for c in inputs.criteria:
        anchors = {level.level: level.anchor for level in c.levels.all()}
        head, own = heads[c.key], mine[c.key]
        step_key = inputs.plan.criterion_step.get(c.key, c.step_key)
        cap_note = _cap(results, step_key)["note"] if step_key else ""
        primary_text = inputs.texts[results.primary].get(c.key, "")
        self_text = inputs.texts["self"].get(c.key, "")
        weight = results.specs[c.key].weight
        row: dict[str, Any] = {
            "key": c.key,
            "title": c.title,
            "description": c.description,
            "weight": weight,
            "weight_note": f"{c.weight} in the rubric, {weight} for this case"
            if weight != c.weight
            else "",
            "step": step_key,
            "primary": _side(head, primary_text, anchors, cap_note=cap_note),
            "self": _side(own, self_text, anchors, cap_note=cap_note) if results.compare else None,
            "delta": None,
            "gap": None,
            "verdict": "n/a",
            "verdict_label": VERDICT_LABELS["n/a"],
            "next_level": None,
            "next_anchor": "",
            "expectation": _expectation(c.expectations, target),
        }
        if c.key in results.calibration:
            row["delta"] = results.calibration[c.key].delta
            row["gap"] = abs(row["delta"]) if row["delta"] is not None else None
            row["verdict"] = results.calibration[c.key].verdict
            row["verdict_label"] = VERDICT_LABELS[row["verdict"]]
        # What the next level looks like, from the level given; not for a step never reached
        # (what was missing there is time: the expectation below says what to show).
        given = row["primary"]["given"]
        if given and given < scoring.LEVELS[-1]:
            row["next_level"] = given + 1
            row["next_anchor"] = anchors.get(given + 1, "")
        rows.append(row)
    return rows


def _steps(inputs: _Inputs, results: _Results, rows: list[dict]) -> list[dict[str, Any]]:
    """Per step: its score (and the self-assessment's), time against budget, the criteria, the
    hints and curveballs used, the candidate's notes and the reference notes."""
    steps = []
    target = inputs.interview.target_level
    for step in inputs.framework_steps:
        seconds = float(inputs.interview.elapsed.get(step.key, 0.0))
        guide = inputs.guides.get(step.key)
        group, own = results.head.steps[step.key], results.mine.steps[step.key]
        used = [d for d in inputs.deliveries if d.step_key == step.key]
        steps.append(
            {
                "key": step.key,
                "title": step.title,
                "position": step.position,
                "minutes": step.minutes,
                "seconds": round(seconds),
                "time_status": flow.budget_status(seconds, step.minutes),
                "time_pct": min(100, round(100 * seconds / (step.minutes * 60 or 1))),
                "score": scoring.fmt(group.score),
                "value": _float(group.score),
                "self_score": scoring.fmt(own.score) if results.compare else "",
                "self_value": _float(own.score) if results.compare else None,
                "criteria": [r for r in rows if r["step"] == step.key],
                "deliveries": [
                    {"kind": d.kind, "kind_label": d.get_kind_display(), "text": d.text}
                    for d in used
                ],
                "hints": sum(1 for d in used if d.kind == Delivery.Kind.HINT),
                "curveballs": sum(1 for d in used if d.kind == Delivery.Kind.CURVEBALL),
                "reached": group.reached,
                "cap": group.cap,
                "cap_why": _cap(results, step.key)["why"],
                "cap_note": _cap(results, step.key)["note"],
                "expectation": _expectation(guide.expectations if guide else {}, target),
                "notes": inputs.documents.get(f"notes:{step.key}", ""),
                "reference_notes": guide.reference_notes if guide else "",
                "further_reading": [reading_markdown(r) for r in guide.further_reading]
                if guide
                else [],
            }
        )
    return steps


def _cross_cutting(results: _Results, rows: list[dict]) -> dict[str, Any]:
    return {
        "score": scoring.fmt(results.head.cross_cutting.score),
        "value": _float(results.head.cross_cutting.score),
        "self_score": scoring.fmt(results.mine.cross_cutting.score) if results.compare else "",
        "self_value": _float(results.mine.cross_cutting.score) if results.compare else None,
        "criteria": [r for r in rows if not r["step"]],
    }


def _calibration(results: _Results, rows: list[dict]) -> dict[str, Any]:
    compared = [r for r in results.calibration.values() if r.delta is not None]
    mean = scoring.mean_delta(list(results.calibration.values()))
    return {
        "compared": len(compared),
        "over": [r["title"] for r in rows if r["verdict"] == "over"],
        "under": [r["title"] for r in rows if r["verdict"] == "under"],
        "aligned": sum(1 for r in rows if r["verdict"] == "aligned"),
        "mean_delta": _float(mean),
        "mean_label": f"{'+' if mean > 0 else ''}{scoring.fmt(mean)}" if mean is not None else "—",
    }


def _time(inputs: _Inputs, steps: list[dict]) -> dict[str, Any]:
    interview = inputs.interview
    budget = sum(step.minutes for step in inputs.framework_steps)
    seconds = flow.total_seconds(interview.elapsed, interview.clock_started_at, timezone.now())
    return {
        "seconds": round(seconds),
        "budget_minutes": budget,
        "over": [s["title"] for s in steps if s["time_status"] == "over"],
        "status": flow.budget_status(seconds, budget),
    }


def _feedback(inputs: _Inputs) -> dict[str, Any]:
    """The interviewer's written feedback and the candidate's reflection, and where each
    side's wrap-up stands."""
    self_assessment = inputs.assessments.get(Score.Source.SELF)
    scorecard = inputs.assessments.get(Score.Source.INTERVIEWER)
    if inputs.interview.is_solo:
        scorecard_state = ""
    elif scorecard and scorecard.submitted_at:
        scorecard_state = "finalised"
    else:
        scorecard_state = "live" if inputs.values["interviewer"] else "none"
    if self_assessment and self_assessment.skipped:
        self_state = "skipped"
    elif self_assessment and self_assessment.submitted_at:
        self_state = "submitted"
    else:
        self_state = "none"
    return {
        "strengths": scorecard.strengths if scorecard else "",
        "improvements": scorecard.improvements if scorecard else "",
        "scorecard": scorecard_state,
        "reflection": self_assessment.reflection if self_assessment else "",
        "self": self_state,
    }


def _header(inputs: _Inputs) -> dict[str, Any]:
    interview, case = inputs.interview, inputs.case
    target = interview.target_level
    return {
        "interview": {
            "id": str(interview.pk),
            "kind": interview.kind,
            "kind_label": interview.get_kind_display(),
            "solo": interview.is_solo,
            "target_level": target,
            "target_label": scoring.LEVEL_LABELS.get(target, target),
            "candidate": inputs.people.get(Role.CANDIDATE, ""),
            "interviewer": inputs.people.get(Role.INTERVIEWER, ""),
            "started_at": _iso(interview.started_at),
            "ended_at": _iso(interview.ended_at),
            "completed_at": _iso(interview.completed_at),
            "completed_by": inputs.completion.get("reason", "assessments"),
            # The candidate had been shown this case's interviewer guide before the end of the
            # session (interviews.selectors.guide_seen_at): the report says so.
            "guide_seen_at": _iso(inputs.guide_seen_at),
            # The steps the session walked through (casestudies/plans.py).
            "framework": inputs.plan.framework,
            "framework_title": inputs.plan.title,
        },
        "case": {
            "slug": case.slug,
            "title": case.title,
            "summary": case.summary,
            "domain": case.get_domain_display(),
            "difficulty": case.difficulty,
            "difficulty_label": case.get_difficulty_display(),
            "version": interview.case_version,
            "prompt": case.prompt,
            "url": reverse("case_detail", kwargs={"slug": case.slug}),
        },
    }


CHECKLIST_LABELS = {
    "unprompted": "Raised unprompted",
    "hinted": "Raised after a hint",
    "missed": "Missed",
    "unmarked": "Not marked",
}


def _checklist(inputs: _Inputs, results: _Results) -> dict[str, Any]:
    """The case's concept checklist against the target level's expectations, as the primary
    side marked it (the interviewer's ticks in a peer interview, the candidate's own in a
    drill). Beside the arithmetic, never in it."""
    target = inputs.interview.target_level
    titles = {step.key: step.title for step in inputs.framework_steps}
    sections = inputs.plan.section_step
    items = [
        {**item, "step": sections.get(item.get("step", ""), item.get("step", ""))}
        for item in (inputs.case.checklist or [])
        if isinstance(item, dict) and item.get("key") and item.get("level") in scoring.TARGET_LEVELS
    ]
    keys = {item["key"] for item in items}
    marks = {
        mark.key: mark.value
        for mark in inputs.marks.get(results.primary, [])
        if mark.kind == Mark.Kind.CONCEPT
        and mark.key in keys
        and mark.value in scoring.CHECKLIST_MARKS
    }
    coverage = scoring.checklist_coverage(
        [scoring.ChecklistItem(i["key"], i.get("step", ""), i["level"]) for i in items],
        marks,
        target,
    )
    rank = scoring.TARGET_LEVELS.index(target)
    rows = [
        {
            "key": item["key"],
            "concept": item.get("concept", ""),
            "step": item.get("step", ""),
            "step_title": titles.get(item.get("step", ""), item.get("step", "")),
            "level": item["level"],
            "level_label": scoring.LEVEL_LABELS[item["level"]],
            "expected": scoring.TARGET_LEVELS.index(item["level"]) <= rank,
            "mark": marks.get(item["key"], "unmarked"),
            "mark_label": CHECKLIST_LABELS[marks.get(item["key"], "unmarked")],
        }
        for item in items
    ]
    counts = coverage.counts
    share = coverage.unprompted_share
    concepts = {row["key"]: row["concept"] for row in rows}
    target_label = scoring.LEVEL_LABELS[target]
    if not items:
        summary = ""
    elif not marks:
        summary = (
            "Nobody marked the checklist in this session."
            if results.primary == "interviewer"
            else "You did not tick the checklist in your self-assessment."
        )
    else:
        summary = (
            f"{counts['unprompted']} of the {coverage.expected} concepts expected of a "
            f"{target_label} candidate raised unprompted, {counts['hinted']} after a hint, "
            f"{counts['missed']} missed"
            + (f", {counts['unmarked']} not marked" if counts["unmarked"] else "")
            + "."
        )
    return {
        "present": bool(items),
        "source": results.primary,
        "source_label": SOURCE_LABELS[results.primary],
        "marked": bool(marks),
        "target_label": target_label,
        "expected": coverage.expected,
        "counts": counts,
        "unprompted_pct": round(float(share) * 100) if share is not None else None,
        "beyond": [concepts[key] for key in coverage.beyond],
        "summary": summary,
        "items": rows,
    }


def board_summary(interview: Interview) -> dict[str, Any] | None:
    """The board picture's size and where the report serves it, or None. One query."""
    found = BoardImage.objects.filter(interview=interview).values("width", "height").first()
    if found is None:
        return None
    return {**found, "url": reverse("report_board", kwargs={"interview_id": interview.pk})}


def report_data(interview_id: UUID) -> ReportData:
    """Everything the report shows, as JSON-ready data. Reads only; a fixed number of queries."""
    inputs = _read(interview_id)
    results = _score(inputs)
    target = inputs.interview.target_level
    rows = _criteria_rows(inputs, results)
    steps = _steps(inputs, results, rows)
    titles = {
        "step_titles": {step.key: step.title for step in inputs.framework_steps},
        "criterion_titles": {c.key: c.title for c in inputs.criteria},
    }
    overall = _overall(results.head, results.policy, target, **titles)
    calibration = _calibration(results, rows)
    policy = results.policy
    return {
        "version": REPORT_VERSION,
        **_header(inputs),
        "primary": results.primary,
        "primary_label": SOURCE_LABELS[results.primary],
        "compare": results.compare,
        "overall": overall,
        "self_overall": _overall(results.mine, policy, target, **titles)
        if results.compare
        else None,
        "steps": steps,
        "cross_cutting": _cross_cutting(results, rows),
        "calibration": calibration,
        "time": _time(inputs, steps),
        "deliveries": {
            "hints": sum(1 for d in inputs.deliveries if d.kind == Delivery.Kind.HINT),
            "curveballs": sum(1 for d in inputs.deliveries if d.kind == Delivery.Kind.CURVEBALL),
        },
        "feedback": _feedback(inputs),
        "diagram": {
            "candidate": inputs.documents.get("diagram", ""),
            "reference": inputs.case.diagram,
        },
        # The shared board's final picture, if one was drawn (interviews.BoardImage; the page,
        # the PDF and the Markdown show it beside or instead of the Mermaid diagram).
        "board": board_summary(inputs.interview),
        **_suggestions(inputs, steps, overall),
        "rubric": {
            "title": inputs.rubric.title,
            "thresholds": {  # where each signal starts for this target level (bar + band)
                name: scoring.fmt(policy.bars[target] + policy.bands[name])
                for name in ("no_hire", "lean_no_hire", "lean_hire", "hire", "strong_hire")
            },
            "bars": {name: scoring.fmt(policy.bars[name]) for name in scoring.TARGET_LEVELS},
            "bands": {name: _signed(policy.bands[name]) for name in scoring.BANDS},
            "min_coverage_pct": round(float(policy.min_coverage) * 100),
            "required_steps": [titles["step_titles"].get(k, k) for k in policy.required_steps],
            "hint_caps": dict(policy.hint_caps),
        },
        "checklist": _checklist(inputs, results),
        # What the progress page reads (a small part of the JSON, fetched on its own).
        "summary": {
            "overall": overall["value"],
            "source": results.primary,
            "steps": _summary_steps(inputs, results, steps),
            "calibration": calibration["mean_delta"],
            "hire_signal": overall["hire_signal"],
            "level_signal": overall["level_signal"],
            "target_level": target,
            "bar": overall["bar_value"],
        },
    }


def _summary_steps(inputs: _Inputs, results: _Results, steps: list[dict]) -> dict[str, Any]:
    """Step key -> score for the progress page, which follows a user across sessions in the
    steps cases are written per: a session under a framework based on another (the book
    layout) gives the base's steps too, each the weighted mean of its criteria as counted."""
    out = {s["key"]: s["value"] for s in steps}
    plan = inputs.plan
    if not plan.based_on:
        return out
    sums: dict[str, list[Fraction]] = {}
    for result in results.head.criteria:
        base = plan.criterion_base.get(result.key, "")
        if base and result.counted and result.level is not None:
            total = sums.setdefault(base, [Fraction(0), Fraction(0)])
            total[0] += result.level * result.weight
            total[1] += result.weight
    for base, (points, weight) in sums.items():
        out.setdefault(base, round(float(points / weight), 2) if weight else None)
    return out

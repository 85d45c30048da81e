"""The feedback report: assembled once from the database into plain JSON (``Report.data``),
then rendered from that data as HTML (the page and the PDF share ``interviews/_report.html``)
and as Markdown.

``report_data`` reads; everything after it is pure (data in, text out), so a report reads the
same tomorrow even if the rubric or the case is edited meanwhile.
"""

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from uuid import UUID

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from casestudies.content import reading_markdown
from casestudies.models import CaseStep, CaseStudy
from rubrics import scoring
from rubrics.models import Rubric
from rubrics.selectors import criterion_specs, rubric_with_criteria, scoring_policy

from . import charts, diagrams, flow, selectors
from .models import Assessment, Delivery, Document, Event, Interview, Participant, Role, Score

REPORT_VERSION = 1
WEAKEST_STEPS = 2
CASES_TO_SUGGEST = 3
SOURCE_LABELS = {Score.Source.INTERVIEWER: "Interviewer", Score.Source.SELF: "Self-assessment"}
VERDICT_LABELS = {
    "over": "Over-estimate",
    "under": "Under-estimate",
    "aligned": "Aligned",
    "n/a": "Not compared",
}
DIFFICULTY_ORDER = ("easy", "medium", "hard")


def _float(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _value(score: Score) -> int | str | None:
    if score.level:
        return score.level
    return scoring.NOT_OBSERVED if score.not_observed else None


def _side(level: int | None, status: str, text: str, anchors: Mapping[int, str]) -> dict:
    return {"level": level, "status": status, "text": text, "anchor": anchors.get(level, "")}


def _overall(result: scoring.Result, policy: scoring.Policy, target: str) -> dict:
    scored = sum(1 for c in result.criteria if c.status == "scored")
    return {
        "score": scoring.fmt(result.overall),
        "value": _float(result.overall),
        "hire_signal": result.hire_signal or "",
        "hire_label": scoring.HIRE_LABELS.get(result.hire_signal or "", "Not scored"),
        "level_signal": result.level_signal or "",
        "level_label": scoring.LEVEL_SIGNAL_LABELS.get(result.level_signal or "", "Not scored"),
        "level_met": result.level_met or "",
        "level_met_label": scoring.LEVEL_LABELS.get(result.level_met or "", "none yet"),
        "bar": scoring.fmt(policy.bars[target]),
        "bar_value": _float(policy.bars[target]),
        "coverage_pct": round(float(result.coverage) * 100),
        "scored": scored,
        "not_observed": len(result.not_observed),
        "missing": len(result.missing),
        "total": len(result.criteria),
    }


def _weakest(steps: list[dict]) -> list[dict]:
    """The lowest-scored steps (ties: the earlier step); steps the session never scored fill in
    when fewer than two were scored, since not getting there is a weakness too."""
    scored = sorted((s for s in steps if s["value"] is not None), key=lambda s: s["value"])
    picked = scored[:WEAKEST_STEPS]
    if len(picked) < WEAKEST_STEPS:
        picked += [s for s in steps if s["value"] is None][: WEAKEST_STEPS - len(picked)]
    return [
        {"key": s["key"], "title": s["title"], "position": s["position"], "score": s["score"]}
        for s in picked
    ]


def _target_difficulty(overall: float | None) -> str:
    if overall is None or overall < 2.5:
        return "easy" if overall is not None and overall < 2 else "medium"
    return "hard" if overall >= 3.25 else "medium"


def cases_to_practise(
    *,
    step_keys: Sequence[str],
    exclude_case_id: int | None,
    practised: set[int],
    overall: float | None,
    limit: int = CASES_TO_SUGGEST,
) -> list[dict]:
    """Published cases to practise the given steps next, in one query.

    For each weak step in turn, the case whose guide for that step is richest (the most
    follow-ups, hints, curveballs and signals to work through), preferring cases the candidate
    has not done and a difficulty that fits their overall score.
    """
    if not step_keys:
        return []
    rows = (
        CaseStep.objects.filter(
            case_study__status=CaseStudy.Status.PUBLISHED, framework_step__key__in=step_keys
        )
        .exclude(case_study_id=exclude_case_id)
        .select_related("case_study", "framework_step")
    )
    target = DIFFICULTY_ORDER.index(_target_difficulty(overall))
    by_step: dict[str, list[tuple]] = {key: [] for key in step_keys}
    for row in rows:
        case = row.case_study
        richness = sum(len(getattr(row, name)) for name in CaseStep.LIST_FIELDS) + len(row.probe)
        distance = abs(DIFFICULTY_ORDER.index(case.difficulty) - target)
        rank = (case.pk in practised, distance, -richness, case.slug)
        by_step[row.framework_step.key].append((rank, case, row.framework_step.title))
    for candidates in by_step.values():
        candidates.sort(key=lambda item: item[0])
    picked: list[dict] = []
    seen: set[int] = set()
    while len(picked) < limit and any(by_step.values()):
        for key in step_keys:
            candidates = by_step[key]
            while candidates and candidates[0][1].pk in seen:
                candidates.pop(0)
            if not candidates or len(picked) >= limit:
                continue
            _rank, case, step_title = candidates.pop(0)
            seen.add(case.pk)
            picked.append(
                {
                    "slug": case.slug,
                    "title": case.title,
                    "summary": case.summary,
                    "domain": case.get_domain_display(),
                    "difficulty": case.difficulty,
                    "difficulty_label": case.get_difficulty_display(),
                    "url": reverse("case_detail", kwargs={"slug": case.slug}),
                    "drill_url": reverse("drill_new") + f"?case={case.slug}",
                    "step": key,
                    "step_title": step_title,
                    "practised": case.pk in practised,
                }
            )
    return picked


def report_data(interview_id: UUID) -> dict:
    """Everything the report shows, as JSON-ready data. Reads only; a fixed number of queries."""
    interview = Interview.objects.select_related("case_study__framework").get(pk=interview_id)
    case = interview.case_study
    rubric = rubric_with_criteria(Rubric.objects.filter(pk=interview.rubric_id)).get()
    criteria = list(rubric.criteria.all())
    specs = criterion_specs(rubric)
    policy = scoring_policy(rubric)
    framework_steps = list(case.framework.steps.all())
    step_keys = [step.key for step in framework_steps]
    target = interview.target_level

    values: dict[str, dict[str, int | str]] = {"interviewer": {}, "self": {}}
    texts: dict[str, dict[str, str]] = {"interviewer": {}, "self": {}}
    known = {c.pk for c in criteria}
    for row in Score.objects.filter(interview=interview).select_related("criterion"):
        if row.criterion_id not in known:
            continue
        texts[row.source][row.criterion.key] = row.evidence
        value = _value(row)
        if value is not None:
            values[row.source][row.criterion.key] = value

    peer = not interview.is_solo
    primary = "interviewer" if peer and values["interviewer"] else "self"
    compare = peer and primary == "interviewer" and bool(values["self"])
    results = {
        source: scoring.score(
            specs, values[source], policy, target_level=target, step_order=step_keys
        )
        for source in ("interviewer", "self")
    }
    head = results[primary]
    mine = results["self"]
    calibration = {
        row.key: row
        for row in scoring.calibration(specs, values["self"], values["interviewer"])
        if compare
    }

    assessments = {a.source: a for a in Assessment.objects.filter(interview=interview)}
    people = {
        p.role: selectors.display_name(p.user)
        for p in Participant.objects.filter(interview=interview).select_related("user__profile")
    }
    candidate_user = (
        Participant.objects.filter(interview=interview, role=Role.CANDIDATE)
        .values_list("user", flat=True)
        .first()
    )
    deliveries = list(Delivery.objects.filter(interview=interview))
    documents = {
        d.slot: d.text for d in Document.objects.filter(interview=interview, private=False)
    }
    guides = {
        step.framework_step.key: step
        for step in CaseStep.objects.filter(case_study=case).select_related("framework_step")
    }
    completion = (
        Event.objects.filter(interview=interview, kind="status", data__new="completed")
        .values_list("data", flat=True)
        .first()
    ) or {}

    def criterion_row(c) -> dict:
        anchors = {level.level: level.anchor for level in c.levels.all()}
        head_result = next(r for r in head.criteria if r.key == c.key)
        self_result = next(r for r in mine.criteria if r.key == c.key)
        row = {
            "key": c.key,
            "title": c.title,
            "description": c.description,
            "weight": c.weight,
            "step": c.step_key,
            "primary": _side(
                head_result.level, head_result.status, texts[primary].get(c.key, ""), anchors
            ),
            "self": _side(
                self_result.level, self_result.status, texts["self"].get(c.key, ""), anchors
            )
            if compare
            else None,
            "delta": None,
            "gap": None,
            "verdict": "n/a",
            "verdict_label": VERDICT_LABELS["n/a"],
            "next_level": None,
            "next_anchor": "",
        }
        if c.key in calibration:
            row["delta"] = calibration[c.key].delta
            row["gap"] = abs(row["delta"]) if row["delta"] is not None else None
            row["verdict"] = calibration[c.key].verdict
            row["verdict_label"] = VERDICT_LABELS[row["verdict"]]
        if head_result.level and head_result.level < scoring.LEVELS[-1]:
            row["next_level"] = head_result.level + 1
            row["next_anchor"] = anchors.get(head_result.level + 1, "")
        return row

    rows = [criterion_row(c) for c in criteria]
    now_budget = sum(step.minutes for step in framework_steps)
    steps = []
    for step in framework_steps:
        seconds = float(interview.elapsed.get(step.key, 0.0))
        guide = guides.get(step.key)
        group, own = head.steps[step.key], mine.steps[step.key]
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
                "self_score": scoring.fmt(own.score) if compare else "",
                "self_value": _float(own.score) if compare else None,
                "criteria": [r for r in rows if r["step"] == step.key],
                "deliveries": [
                    {"kind": d.kind, "kind_label": d.get_kind_display(), "text": d.text}
                    for d in deliveries
                    if d.step_key == step.key
                ],
                "hints": sum(
                    1 for d in deliveries if d.step_key == step.key and d.kind == Delivery.Kind.HINT
                ),
                "curveballs": sum(
                    1
                    for d in deliveries
                    if d.step_key == step.key and d.kind == Delivery.Kind.CURVEBALL
                ),
                "notes": documents.get(f"notes:{step.key}", ""),
                "reference_notes": guide.reference_notes if guide else "",
                "further_reading": [reading_markdown(r) for r in guide.further_reading]
                if guide
                else [],
            }
        )
    cross = {
        "score": scoring.fmt(head.cross_cutting.score),
        "value": _float(head.cross_cutting.score),
        "self_score": scoring.fmt(mine.cross_cutting.score) if compare else "",
        "self_value": _float(mine.cross_cutting.score) if compare else None,
        "criteria": [r for r in rows if not r["step"]],
    }
    compared = [r for r in calibration.values() if r.delta is not None]
    mean = scoring.mean_delta(list(calibration.values()))
    weakest = _weakest(steps)
    practised = selectors.practised_case_ids(user=candidate_user) if candidate_user else set()
    overall = _overall(head, policy, target)
    self_assessment = assessments.get(Score.Source.SELF)
    scorecard = assessments.get(Score.Source.INTERVIEWER)
    total_seconds = flow.total_seconds(
        interview.elapsed, interview.clock_started_at, timezone.now()
    )

    return {
        "version": REPORT_VERSION,
        "interview": {
            "id": str(interview.pk),
            "kind": interview.kind,
            "kind_label": interview.get_kind_display(),
            "solo": interview.is_solo,
            "target_level": target,
            "target_label": scoring.LEVEL_LABELS.get(target, target),
            "candidate": people.get(Role.CANDIDATE, ""),
            "interviewer": people.get(Role.INTERVIEWER, ""),
            "started_at": _iso(interview.started_at),
            "ended_at": _iso(interview.ended_at),
            "completed_at": _iso(interview.completed_at),
            "completed_by": completion.get("reason", "assessments"),
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
        "primary": primary,
        "primary_label": SOURCE_LABELS[primary],
        "compare": compare,
        "overall": overall,
        "self_overall": _overall(mine, policy, target) if compare else None,
        "steps": steps,
        "cross_cutting": cross,
        "calibration": {
            "compared": len(compared),
            "over": [r["title"] for r in rows if r["verdict"] == "over"],
            "under": [r["title"] for r in rows if r["verdict"] == "under"],
            "aligned": sum(1 for r in rows if r["verdict"] == "aligned"),
            "mean_delta": _float(mean),
            "mean_label": (
                f"{'+' if mean > 0 else ''}{scoring.fmt(mean)}" if mean is not None else "—"
            ),
        },
        "time": {
            "seconds": round(total_seconds),
            "budget_minutes": now_budget,
            "over": [s["title"] for s in steps if s["time_status"] == "over"],
            "status": flow.budget_status(total_seconds, now_budget),
        },
        "deliveries": {
            "hints": sum(1 for d in deliveries if d.kind == Delivery.Kind.HINT),
            "curveballs": sum(1 for d in deliveries if d.kind == Delivery.Kind.CURVEBALL),
        },
        "feedback": {
            "strengths": scorecard.strengths if scorecard else "",
            "improvements": scorecard.improvements if scorecard else "",
            "scorecard": (
                "finalised"
                if scorecard and scorecard.submitted_at
                else "live"
                if values["interviewer"]
                else "none"
            )
            if peer
            else "",
            "reflection": self_assessment.reflection if self_assessment else "",
            "self": (
                "skipped"
                if self_assessment and self_assessment.skipped
                else "submitted"
                if self_assessment and self_assessment.submitted_at
                else "none"
            ),
        },
        "diagram": {
            "candidate": documents.get("diagram", ""),
            "reference": case.diagram,
        },
        "weakest": weakest,
        "practise_next": cases_to_practise(
            step_keys=[w["key"] for w in weakest],
            exclude_case_id=case.pk,
            practised=practised,
            overall=overall["value"],
        ),
        "rubric": {
            "title": rubric.title,
            "thresholds": {  # where each signal starts for this target level (bar + band)
                name: scoring.fmt(policy.bars[target] + policy.bands[name])
                for name in ("no_hire", "lean_hire", "hire", "strong_hire")
            },
            "bars": {name: scoring.fmt(policy.bars[name]) for name in scoring.TARGET_LEVELS},
        },
        # What the progress page reads (a small part of the JSON, fetched on its own).
        "summary": {
            "overall": overall["value"],
            "source": primary,
            "steps": {s["key"]: s["value"] for s in steps},
            "calibration": _float(mean),
            "hire_signal": overall["hire_signal"],
            "level_signal": overall["level_signal"],
            "target_level": target,
            "bar": overall["bar_value"],
        },
    }


# --- Rendering ---------------------------------------------------------------------------------


def step_chart(data: Mapping) -> str:
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


def report_context(data: Mapping, *, pdf: bool = False) -> dict:
    """What ``interviews/_report.html`` needs besides the data: the chart, dates, tones, and
    for the PDF (no JavaScript there) the diagrams drawn in Python."""
    meta = data["interview"]
    when = parse_datetime(meta["ended_at"] or meta["completed_at"] or "") if meta else None
    overall = data["overall"]
    cross = data["cross_cutting"]
    context = {
        "data": data,
        "chart": step_chart(data),
        "pdf": pdf,
        "date": when,
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
    if pdf:
        context["reference_diagram_svg"] = diagrams.flowchart_svg(data["diagram"]["reference"])
        context["candidate_diagram_svg"] = diagrams.flowchart_svg(data["diagram"]["candidate"])
    return context


def report_pdf(data: Mapping) -> bytes:
    """The report as a PDF, from the same fragment the page shows, with the print styles."""
    from weasyprint import CSS, HTML  # heavy; only the download needs it

    html = render_to_string("interviews/report_pdf.html", report_context(data, pdf=True))
    sheets = [CSS(filename=finders.find(name)) for name in ("css/app.css", "css/report.css")]
    return HTML(string=html).write_pdf(stylesheets=sheets)


def _level_text(side: Mapping | None) -> str:
    if not side:
        return "—"
    if side["status"] == "scored":
        return f"{side['level']}/4"
    return "not observed" if side["status"] == "not_observed" else "not scored"


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.strip().splitlines()]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def report_markdown(data: Mapping) -> str:
    """The report as Markdown, section by section as on the page."""
    meta, case, overall = data["interview"], data["case"], data["overall"]
    out: list[str] = []
    add = out.append
    add(f"# {case['title']}: feedback report")
    add("")
    who = f"Candidate: {meta['candidate']}"
    if meta["interviewer"]:
        who += f" · Interviewer: {meta['interviewer']}"
    date = (meta["ended_at"] or meta["completed_at"] or "")[:10]
    add(f"{meta['kind_label']} · {date} · target level: {meta['target_label']} · {who}")
    add("")
    add("## Summary")
    add("")
    add(f"- **Overall score: {overall['score']} / 4** ({data['primary_label'].lower()} scores)")
    add(f"- Hire signal: **{overall['hire_label']}**")
    add(
        f"- Level signal: **{overall['level_label']}** for {meta['target_label']} "
        f"(bar {overall['bar']}; highest bar met: {overall['level_met_label']})"
    )
    add(
        f"- Evidence: {overall['scored']} of {overall['total']} criteria scored "
        f"({overall['coverage_pct']}% of the rubric's weight), "
        f"{overall['not_observed']} not observed"
    )
    if data["compare"]:
        add(
            f"- Your self-assessment: {data['self_overall']['score']} / 4; calibration "
            f"{data['calibration']['mean_label']} levels on average (self minus interviewer)"
        )
    add(
        f"- Time: {_duration(data['time']['seconds'])} of {data['time']['budget_minutes']}:00 · "
        f"hints used: {data['deliveries']['hints']} · curveballs: "
        f"{data['deliveries']['curveballs']}"
    )
    if data["primary"] == "self" and not meta["solo"]:
        add("")
        add("The interviewer did not score this session; the scores are your self-assessment.")
    add("")
    add("## Scores per step")
    add("")
    header = "| Step | " + data["primary_label"] + " |"
    rule = "|---|---:|"
    if data["compare"]:
        header += " Self |"
        rule += "---:|"
    header += " Time / budget |"
    rule += "---:|"
    add(header)
    add(rule)
    for s in data["steps"]:
        line = f"| {s['position']}. {s['title']} | {s['score']} |"
        if data["compare"]:
            line += f" {s['self_score']} |"
        line += f" {_duration(s['seconds'])} / {s['minutes']}:00 |"
        add(line)
    cross = data["cross_cutting"]
    if cross["criteria"]:
        line = f"| Across steps | {cross['score']} |"
        if data["compare"]:
            line += f" {cross['self_score']} |"
        add(line + " |")
    feedback = data["feedback"]
    if not meta["solo"]:
        add("")
        add("## Feedback from your interviewer")
        add("")
        if feedback["strengths"] or feedback["improvements"]:
            add("### Strengths")
            add("")
            add(feedback["strengths"].strip() or "—")
            add("")
            add("### Things to improve")
            add("")
            add(feedback["improvements"].strip() or "—")
        else:
            add("The interviewer did not write feedback before the deadline.")
    if feedback["reflection"].strip():
        add("")
        add("## Your reflection")
        add("")
        out.extend(_quote(feedback["reflection"]))
    add("")
    add("## Work on next")
    add("")
    if data["weakest"]:
        titles = ", ".join(f"{w['title']} ({w['score']})" for w in data["weakest"])
        add(f"Weakest steps: {titles}.")
        add("")
    for suggestion in data["practise_next"]:
        add(
            f"- **{suggestion['title']}** ({suggestion['difficulty_label']}, "
            f"{suggestion['domain']}): practise {suggestion['step_title']}. "
            f"{suggestion['summary']}"
        )
    if data["compare"]:
        cal = data["calibration"]
        add("")
        add("## Self versus interviewer")
        add("")
        add(
            f"Compared on {cal['compared']} criteria: {cal['aligned']} aligned, "
            f"{len(cal['over'])} over-estimated, {len(cal['under'])} under-estimated "
            f"(mean {cal['mean_label']})."
        )
        add("")
        add("| Criterion | Interviewer | Self | Verdict |")
        add("|---|---:|---:|---|")
        for s in [*data["steps"], {"criteria": cross["criteria"]}]:
            for c in s["criteria"]:
                add(
                    f"| {c['title']} | {_level_text(c['primary'])} | {_level_text(c['self'])} |"
                    f" {c['verdict_label']} |"
                )
    add("")
    add("## Step by step")
    for s in data["steps"]:
        add("")
        add(f"### {s['position']}. {s['title']}: {s['score']}")
        add("")
        add(f"Time: {_duration(s['seconds'])} of a {s['minutes']}-minute budget.")
        _markdown_criteria(out, s["criteria"], data)
        for d in s["deliveries"]:
            add(f"- {d['kind_label']} used: {d['text']}")
        if s["notes"].strip():
            add("")
            add("Your notes:")
            add("")
            out.extend(_quote(s["notes"]))
        if s["reference_notes"].strip():
            add("")
            add("Reference notes:")
            add("")
            add(s["reference_notes"].strip())
        if s["further_reading"]:
            add("")
            add("Further reading:")
            add("")
            out.extend(f"- {item}" for item in s["further_reading"])
    if cross["criteria"]:
        add("")
        add(f"### Across the interview: {cross['score']}")
        _markdown_criteria(out, cross["criteria"], data)
    add("")
    add("## Architecture")
    for label, source in (
        ("Your diagram", data["diagram"]["candidate"]),
        ("Reference diagram", data["diagram"]["reference"]),
    ):
        add("")
        add(f"### {label}")
        add("")
        if source.strip():
            add("```mermaid")
            add(source.strip())
            add("```")
        else:
            add("No diagram.")
    add("")
    add("## How the scores are computed")
    add("")
    thresholds = data["rubric"]["thresholds"]
    add(
        "Each step's score is the weighted mean of its scored criteria (1-4); the overall score "
        "is the weighted mean of every scored criterion. Not observed criteria are left out. "
        f"Hire signal thresholds: no hire from {thresholds['no_hire']}, lean hire from "
        f"{thresholds['lean_hire']}, hire from {thresholds['hire']}, strong hire from "
        f"{thresholds['strong_hire']}. Level bars: "
        + ", ".join(f"{name} {bar}" for name, bar in data["rubric"]["bars"].items())
        + "."
    )
    add("")
    return "\n".join(out)


def _markdown_criteria(out: list[str], criteria: Iterable[Mapping], data: Mapping) -> None:
    for c in criteria:
        out.append("")
        line = f"- **{c['title']}** (weight {c['weight']}): {_level_text(c['primary'])}"
        if c["self"]:
            line += f"; self {_level_text(c['self'])}"
            if c["verdict"] in ("over", "under"):
                line += f" ({c['verdict_label'].lower()})"
        out.append(line)
        if c["primary"]["text"].strip():
            label = "Evidence" if data["primary"] == "interviewer" else "Your note"
            out.append(f"  - {label}: {c['primary']['text'].strip()}")
        if c["self"] and c["self"]["text"].strip():
            out.append(f"  - Your note: {c['self']['text'].strip()}")
        if c["next_anchor"]:
            out.append(f"  - Level {c['next_level']} looks like: {c['next_anchor']}")


# --- Progress across sessions ------------------------------------------------------------------

RECENT = 5  # sessions the "weakest steps" average looks back over


def progress_data(interviews: Sequence, *, steps: Sequence) -> dict:
    """History, trends, calibration and weakest steps, from interviews annotated by
    ``selectors.progress_interviews`` (oldest first) and the framework steps (``key``,
    ``title``, ``position``). Pure over its input: no queries."""
    history, scored = [], []
    practised: set[int] = set()
    for interview in interviews:
        summary = interview.summary or {}
        mine = interview.my_role == Role.CANDIDATE
        if interview.status not in (Interview.Status.SCHEDULED, Interview.Status.ABANDONED):
            practised.add(interview.case_study_id)
        history.append(
            {
                "interview": interview,
                "peer": next(
                    (p.user for p in interview.participants.all() if p.role != interview.my_role),
                    None,
                ),
                "overall": summary.get("overall") if mine else None,
                "hire_signal": scoring.HIRE_LABELS.get(summary.get("hire_signal") or "", "")
                if mine
                else "",
                "report_status": interview.report_status or "",
            }
        )
        if (
            mine
            and interview.status == Interview.Status.COMPLETED
            and summary.get("overall") is not None
        ):
            scored.append((interview, summary))
    history.reverse()  # newest first in the table

    def label(interview) -> str:
        when = interview.completed_at or interview.ended_at or interview.created_at
        return f"{when.day} {when:%b}"

    points = [charts.Point(label(i), summary["overall"], hollow=i.is_solo) for i, summary in scored]
    last = scored[-1] if scored else None
    bar_level = last[0].target_level if last else "senior"
    bar = last[1].get("bar") if last else None
    trends = []
    for step in steps:
        values = [summary.get("steps", {}).get(step.key) for _i, summary in scored]
        recent = [v for v in values[-RECENT:] if v is not None]
        latest = next((v for v in reversed(values) if v is not None), None)
        trends.append(
            {
                "key": step.key,
                "title": step.title,
                "position": step.position,
                "values": values,
                "latest": latest,
                "average": sum(recent) / len(recent) if recent else None,
                "count": len([v for v in values if v is not None]),
                "chart": charts.sparkline(
                    values,
                    colour=charts.step_colour(step.position),
                    title=f"{step.title}: score per session",
                ),
            }
        )
    weakest = sorted((t for t in trends if t["average"] is not None), key=lambda t: t["average"])
    calibrated = [
        (i, summary["calibration"])
        for i, summary in scored
        if not i.is_solo and summary.get("calibration") is not None
    ]
    deltas = [value for _i, value in calibrated]
    overall_recent = [summary["overall"] for _i, summary in scored[-RECENT:]]
    return {
        "history": history,
        "sessions": sum(1 for row in history if not row["interview"].is_solo),
        "drills": sum(1 for row in history if row["interview"].is_solo),
        "interviewed": sum(1 for row in history if row["interview"].my_role == Role.INTERVIEWER),
        "scored": len(scored),
        "recent_average": sum(overall_recent) / len(overall_recent) if overall_recent else None,
        "latest": scored[-1][1]["overall"] if scored else None,
        "practised": practised,
        "overall_chart": charts.line_chart(
            points,
            title="Overall score per session",
            bar=bar,
            bar_label=f"{scoring.LEVEL_LABELS.get(bar_level, bar_level)} bar",
        )
        if points
        else "",
        "bar_level": scoring.LEVEL_LABELS.get(bar_level, bar_level),
        "trends": trends,
        "weakest": weakest[:3],
        "calibration_chart": charts.delta_bars(
            [charts.Point(label(i), value) for i, value in calibrated],
            title="Self minus interviewer, per session",
        )
        if calibrated
        else "",
        "calibration_mean": sum(deltas) / len(deltas) if deltas else None,
        "calibration_label": f"{sum(deltas) / len(deltas):+.2f}" if deltas else "—",
        "recent_count": len(overall_recent),
        "calibration_count": len(deltas),
    }

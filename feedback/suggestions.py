"""What a report suggests practising next: the weakest steps and the published cases that train
them, at a difficulty that suits the overall score, new ones first."""

from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from casestudies.models import CaseStep, CaseStudy
from interviews.selectors import practised_case_ids

from .report_inputs import _Inputs

WEAKEST_STEPS = 2
CASES_TO_SUGGEST = 3
DIFFICULTY_ORDER = ("easy", "medium", "hard")


def lowest_without_ties(items: Sequence[dict], field: str, limit: int) -> list[dict]:
    """Up to ``limit`` items with the lowest ``field`` (as shown: two decimals), leaving out a
    group of equal values that would not fit whole, and the items at the best value: a tie is
    no ranking, and when everything scored the same, nothing is the weakest."""
    shown = [(round(float(item[field]), 2), item) for item in items if item[field] is not None]
    shown.sort(key=lambda pair: pair[0])
    if not shown:
        return []
    best = shown[-1][0]
    picked: list[dict] = []
    for value in sorted({value for value, _ in shown}):
        group = [item for v, item in shown if v == value]
        if value == best or len(picked) + len(group) > limit:
            break
        picked += group
    return picked


def _weakest(steps: list[dict]) -> list[dict]:
    """The lowest-scored steps (never an arbitrary pick among equals); steps the session never
    scored fill in when fewer than two were scored, since not getting there is a weakness too."""
    picked = lowest_without_ties(steps, "value", WEAKEST_STEPS)
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


def _suggestions(inputs: _Inputs, steps: list[dict], overall: dict) -> dict[str, Any]:
    """The weakest steps with what the target level is expected to show in them, and
    published cases to practise them next."""
    weakest = _weakest(steps)
    by_key = {step["key"]: step for step in steps}
    for entry in weakest:
        step = by_key[entry["key"]]
        entry["expectation"] = step["expectation"]
        entry["criteria"] = [
            {"title": c["title"], "expectation": c["expectation"]}
            for c in step["criteria"]
            if c["expectation"]
        ]
    user = inputs.candidate_user
    practised = practised_case_ids(user=user) if user else set()
    return {
        "weakest": weakest,
        "practise_next": cases_to_practise(
            step_keys=inputs.plan.base_steps([w["key"] for w in weakest]),
            exclude_case_id=inputs.case.pk,
            practised=practised,
            overall=overall["value"],
        ),
    }

"""What a feedback report is built from, read from the database in a fixed number of queries
(``_read``); everything after it (reports.py) is pure."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils import timezone

from accounts.selectors import display_name
from casestudies import plans
from casestudies.models import CaseStudy
from interviews.events import EventKind
from interviews.guides import guide_seen_at
from interviews.models import (
    Assessment,
    Delivery,
    Document,
    Event,
    Interview,
    Mark,
    Participant,
    Role,
    Score,
)
from interviews.selectors import case_steps, plan_of
from rubrics import scoring
from rubrics.models import Criterion, Rubric
from rubrics.selectors import rubric_with_criteria


def _value(score: Score) -> int | str | None:
    if score.level:
        return score.level
    return scoring.NOT_OBSERVED if score.not_observed else None


@dataclass
class _Inputs:
    """Everything a report is built from, read in a fixed number of queries."""

    interview: Interview
    case: CaseStudy
    rubric: Rubric
    criteria: list[Criterion]
    framework_steps: list[plans.PlanStep]  # the steps of the session
    values: dict[str, dict[str, int | str]]  # source -> criterion key -> level or not_observed
    texts: dict[str, dict[str, str]]  # source -> criterion key -> evidence or note
    assessments: dict[str, Assessment]
    people: dict[str, str]  # role -> display name
    candidate_user: int | None
    deliveries: list[Delivery]
    documents: dict[str, str]  # slot -> text (the candidate's)
    guides: dict[str, Any]  # the guide per step of the session (interviews.selectors.case_steps)
    plan: plans.Plan  # the session's steps and where the criteria go (selectors.plan_of)
    completion: dict[str, Any]  # the data of the "completed" status event
    guide_seen_at: datetime | None  # the candidate first read the case's guide, before the end
    marks: dict[str, list[Mark]]  # source -> the checklist and red flags marked


def _read(interview_id: UUID) -> _Inputs:
    interview = Interview.objects.select_related("case_study__framework", "framework").get(
        pk=interview_id
    )
    case = interview.case_study
    plan = plan_of(interview)
    rubric = rubric_with_criteria(Rubric.objects.filter(pk=interview.rubric_id)).get()
    criteria = list(rubric.criteria.all())
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
    participants = list(
        Participant.objects.filter(interview=interview).select_related("user__profile")
    )
    completion = (
        Event.objects.filter(interview=interview, kind=EventKind.STATUS, data__new="completed")
        .values_list("data", flat=True)
        .first()
    )
    candidate_user = next((p.user_id for p in participants if p.role == Role.CANDIDATE), None)
    return _Inputs(
        interview=interview,
        case=case,
        rubric=rubric,
        criteria=criteria,
        framework_steps=list(plan.steps),
        values=values,
        texts=texts,
        assessments={a.source: a for a in Assessment.objects.filter(interview=interview)},
        people={p.role: display_name(p.user) for p in participants},
        candidate_user=candidate_user,
        deliveries=list(Delivery.objects.filter(interview=interview)),
        documents=dict(
            Document.objects.filter(interview=interview, private=False).values_list("slot", "text")
        ),
        guides=case_steps(interview),
        plan=plan,
        completion=completion or {},
        guide_seen_at=guide_seen_at(
            user_id=candidate_user,
            case_id=case.pk,
            before=interview.ended_at or timezone.now(),
        )
        if candidate_user
        else None,
        marks=_marks_by_source(interview),
    )


def _marks_by_source(interview: Interview) -> dict[str, list[Mark]]:
    marks: dict[str, list[Mark]] = {"interviewer": [], "self": []}
    for mark in Mark.objects.filter(interview=interview).exclude(value=""):
        marks.setdefault(mark.source, []).append(mark)
    return marks

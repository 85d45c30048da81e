"""Reads for what happens after the interview, each starting from an interview the caller
already got through the access getter (``interviews.selectors.interview_get_for_user``)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from accounts.types import User
from interviews.models import (
    Assessment,
    Delivery,
    Document,
    Interview,
    Participant,
    Report,
    Score,
    WrapupDraft,
)
from rubrics.models import Criterion


def rubric_criteria(interview: Interview) -> list[Criterion]:
    """The interview's rubric criteria in order, with their steps and four anchors."""
    return list(
        Criterion.objects.filter(rubric_id=interview.rubric_id)
        .select_related("framework_step")
        .prefetch_related("levels")
    )


def candidate_documents(interview: Interview) -> dict[str, str]:
    """The candidate's notes per step (``notes:<key>``) and diagram, by slot."""
    return dict(
        Document.objects.filter(interview=interview, private=False).values_list("slot", "text")
    )


def assessments_of(interview: Interview) -> dict[str, Assessment]:
    return {a.source: a for a in Assessment.objects.filter(interview=interview)}


def scores_of(interview: Interview, *, source: str) -> dict[str, Score]:
    """One side's scores by criterion key. The interviewer's side is for the interviewer's
    page and the report only: the candidate's wrap-up never asks for it."""
    return {
        s.criterion.key: s
        for s in Score.objects.filter(interview=interview, source=source).select_related(
            "criterion"
        )
    }


def draft_fields(interview: Interview, *, source: str) -> dict[str, str]:
    """One side's wrap-up draft (form field name -> value), or {}. Each side reads its own
    only: the candidate's page asks for ``self``, never for the interviewer's."""
    draft = WrapupDraft.objects.filter(interview=interview, source=source).first()
    return dict(draft.fields) if draft else {}


def interviewer_aside(interview: Interview) -> dict:
    """What the interviewer's scorecard shows beside it: their private notes, the hints and
    curveballs they sent, and their live marks are read by the view; this is the notes and
    the deliveries. For the interviewer's page only."""
    private = Document.objects.filter(interview=interview, private=True).values_list(
        "text", flat=True
    )
    return {
        "private_notes": "\n\n".join(text for text in private if text.strip()),
        "deliveries": list(Delivery.objects.filter(interview=interview)),
    }


def slow_reports(now) -> Q:
    """Reports taking longer than usual: still pending, or claimed by a worker, longer than
    ``REPORT_SLOW_SECONDS`` since they were (last) requested; a running one also claimed that
    long ago. (A retry requests it again: ``services.report_nudge``.)"""
    cutoff = now - timedelta(seconds=settings.REPORT_SLOW_SECONDS)
    return Q(requested_at__lte=cutoff) & (
        Q(status=Report.Status.PENDING) | Q(status=Report.Status.RUNNING, claimed_at__lte=cutoff)
    )


def report_is_slow(report: Report | None) -> bool:
    return (
        report is not None
        and Report.objects.filter(slow_reports(timezone.now()), pk=report.pk).exists()
    )


def report_of(interview: Interview) -> Report | None:
    return Report.objects.filter(interview=interview).first()


def progress_interviews(*, user: User) -> QuerySet[Interview]:
    """Every interview and drill of the user, oldest first, with the user's role, the case
    and the report's status and small summary (not the whole report): three queries with the
    participants, however many there are."""
    my_role = Participant.objects.filter(interview=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Interview.objects.filter(participants__user=user)
        .select_related("case_study")
        .annotate(
            my_role=Subquery(my_role),
            report_status=F("report__status"),
            summary=KeyTransform("summary", "report__data"),
        )
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("user__profile"))
        )
        .order_by("created_at")
    )

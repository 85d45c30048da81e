"""Who may see a case's interviewer guide outside the room (the case page, the curators' previews,
a session's report, timeline and wrap-up): one rule, asked by every page that shows a guide or
material from it."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, OuterRef, Q

from accounts.types import User
from casestudies import selectors as bank
from casestudies.models import CaseStudy, GuideView

from .models import (
    Assessment,
    Interview,
    Participant,
    Role,
    Score,
)

# --- The interviewer guide outside the room ------------------------------------------------------
#
# One rule, asked by every page that shows a case's guide (the case page, the curators'
# previews) or material from it (a session's report, timeline and wrap-up): the guide of a case
# is never shown to someone who is, or is about to be, the candidate on that case in a session
# that is not finished. Finished, for the candidate, means their self-assessment is in (or the
# wrap-up closed without it). A drill, and an interview nobody joined, earn nothing.

UNFINISHED = (Interview.Status.SCHEDULED, Interview.Status.LIVE, Interview.Status.WRAPUP)


def _self_assessment_in() -> Exists:
    return Exists(
        Assessment.objects.filter(
            interview=OuterRef("interview"),
            source=Score.Source.SELF,
            submitted_at__isnull=False,
        )
    )


def guide_lock(*, user: User, case_id: int, except_interview_id: UUID | None = None) -> UUID | None:
    """The unfinished interview or drill in which ``user`` is the candidate on this case
    (scheduled, live, or in its wrap-up before their self-assessment is in), if any. While
    there is one, no page shows them the case's guide. One query."""
    locking = (
        Participant.objects.filter(user=user, role=Role.CANDIDATE, interview__case_study_id=case_id)
        .filter(
            Q(interview__status__in=[Interview.Status.SCHEDULED, Interview.Status.LIVE])
            | (Q(interview__status=Interview.Status.WRAPUP) & ~_self_assessment_in())
        )
        .order_by("-interview__created_at")
    )
    if except_interview_id is not None:
        locking = locking.exclude(interview_id=except_interview_id)
    return locking.values_list("interview_id", flat=True).first()


@dataclass(frozen=True)
class GuideAccess:
    visible: bool
    # Why: "curator", "interviewed" (in a peer interview that started), "finished" (as the
    # candidate of a peer interview, self-assessment in), "session" (material of a session
    # the caller may open), "locked" (see guide_lock), "not_yet" or "anonymous".
    why: str
    locked_by: UUID | None = None

    @property
    def reason(self) -> str:
        """Words for the page: why the guide is there, or why not."""
        return GUIDE_REASONS[self.why]


GUIDE_REASONS = {
    "curator": "you curate the question bank",
    "interviewed": "you interviewed on this case",
    "finished": "you finished this case as the candidate",
    "session": "it belongs to this session",
    "locked": "You are the candidate in an interview on this case that is not finished yet. "
    "The interviewer guide, the reference notes and the reference architecture stay hidden "
    "until your self-assessment for it is in.",
    "not_yet": "The interviewer guide and the reference architecture stay hidden until you have "
    "interviewed on this case, or finished it as the candidate, so that your first attempt is "
    "honest.",
    "anonymous": "Log in to see more of this case.",
}


def guide_access(*, user: User, case: CaseStudy, session: Interview | None = None) -> GuideAccess:
    """May ``user`` be shown the interviewer guide of ``case`` (or, with ``session``, the
    guide material in that session's pages: hints sent, reference notes and architecture)?

    The lock (``guide_lock``) comes first and nobody escapes it, curators included; a session
    never locks its own pages. Without a lock: curators may; so may someone who interviewed on
    the case in a peer interview that started (an interview nobody joined earns nothing) and
    the candidate of a peer interview on it whose self-assessment is in. A drill earns nothing.
    With ``session``, the caller has already decided the user may open that session.
    At most two queries."""
    if not user.is_authenticated:
        return GuideAccess(False, "anonymous")
    locked_by = guide_lock(
        user=user, case_id=case.pk, except_interview_id=session.pk if session else None
    )
    if locked_by is not None:
        return GuideAccess(False, "locked", locked_by)
    if session is not None:
        return GuideAccess(True, "session")
    if bank.is_curator(user):
        return GuideAccess(True, "curator")
    earned = (
        Participant.objects.filter(
            user=user, interview__case_study=case, interview__kind=Interview.Kind.PEER
        )
        .filter(
            Q(role=Role.INTERVIEWER, interview__started_at__isnull=False)
            | Q(role=Role.CANDIDATE, interview__status=Interview.Status.COMPLETED)
            | (
                Q(role=Role.CANDIDATE, interview__status=Interview.Status.WRAPUP)
                & _self_assessment_in()
            )
        )
        .values_list("role", flat=True)
        .first()
    )
    if earned == Role.INTERVIEWER:
        return GuideAccess(True, "interviewed")
    if earned == Role.CANDIDATE:
        return GuideAccess(True, "finished")
    return GuideAccess(False, "not_yet")


def session_refusal(*, user: User, case_id: int, role: str) -> str:
    """Why ``user`` may not take ``role`` in a new session on this case (creating an
    interview or a drill, or joining one by invite), or "" if they may.

    While someone is the candidate in an unfinished session on a case they start no other
    session on it: as the interviewer they would read the guide, in a drill they would reveal
    the reference notes, and a second candidate session would be a way round the first. And
    someone with the guide in front of them as an interviewer does not practise the same case
    as its candidate until that interview is over. One or two queries."""
    if guide_lock(user=user, case_id=case_id) is not None:
        return (
            "You are the candidate in an interview or drill on this case that is not finished "
            "yet. Finish it (your self-assessment finishes it) or abandon it before you start "
            "another session on this case."
        )
    if role == Role.CANDIDATE and (
        Participant.objects.filter(
            user=user,
            role=Role.INTERVIEWER,
            interview__case_study_id=case_id,
            interview__status__in=UNFINISHED,
        ).exists()
    ):
        return (
            "You are the interviewer in an interview on this case that is not finished yet, "
            "with its guide in front of you. Finish that interview before you practise this "
            "case as the candidate."
        )
    return ""


def guide_seen_at(*, user_id: int, case_id: int, before: datetime | None = None) -> datetime | None:
    """When the user was first shown the guide of this case (before ``before``), if ever."""
    views = GuideView.objects.filter(user_id=user_id, case_study_id=case_id)
    if before is not None:
        views = views.filter(at__lt=before)
    return views.order_by("at").values_list("at", flat=True).first()

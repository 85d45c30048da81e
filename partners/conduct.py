"""Conduct between members: ratings of interviewers, blocks, misconduct reports and the staff's
suspensions. Like every partners write, each change is checked and recorded as an event."""

from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction

from accounts import services as account_services
from accounts.types import User
from interviews.models import Interview, Participant, Role
from interviews.selectors import interview_get_for_user

from . import selectors
from .bookings import _abandon_interviews, _seat_outcome, _set_status
from .matchmaking import _request_reopen
from .models import (
    Block,
    Booking,
    InterviewerRating,
    Member,
    MisconductReport,
    Notification,
    PracticeRequest,
    Seat,
)
from .services import MAX_NOTE_CHARS, PartnerError, _notify, _now, _staff, member_ensure

# --- Two-way feedback, blocks, misconduct --------------------------------------------------------


@transaction.atomic
def rating_submit(
    *,
    user: User,
    interview_id: UUID | str,
    preparation: int,
    hints: int,
    fairness: int,
    note: str = "",
) -> InterviewerRating:
    """The candidate rates their interviewer once the interview is complete (the scores are
    out, so their fairness can be judged). Once per interview."""
    try:
        access = interview_get_for_user(user=user, interview_id=interview_id)
    except Interview.DoesNotExist:
        raise PartnerError("There is no such interview.") from None
    interview = access.interview
    if interview.is_solo or access.role != Role.CANDIDATE:
        raise PartnerError("Only the candidate rates the interviewer.")
    if interview.status != Interview.Status.COMPLETED:
        raise PartnerError("You can rate your interviewer once the interview is complete.")
    for value in (preparation, hints, fairness):
        if value not in (1, 2, 3, 4):
            raise PartnerError("Each rating is 1, 2, 3 or 4.")
    if len(note) > MAX_NOTE_CHARS:
        raise PartnerError(f"Keep the note under {MAX_NOTE_CHARS} characters.")
    interviewer = Participant.objects.get(interview=interview, role=Role.INTERVIEWER).user
    try:
        with transaction.atomic():
            return InterviewerRating.objects.create(
                interview=interview,
                rater=user,
                interviewer=interviewer,
                preparation=preparation,
                hints=hints,
                fairness=fairness,
                note=note.strip(),
            )
    except IntegrityError:
        raise PartnerError("You have rated this interviewer already.") from None


def _shares_booking(user: User, other_id: int) -> bool:
    return (
        Seat.objects.filter(user_id=other_id, booking__seats__user=user).exists()
        or Participant.objects.filter(user_id=other_id, interview__participants__user=user)
        .exclude(user=user)
        .exists()
    )


@transaction.atomic
def block_add(*, user: User, blocked_id: int, now: datetime | None = None) -> Block:
    """Never be matched with this member again. Upcoming bookings between the two are
    cancelled, counted against neither."""
    now = _now(now)
    if blocked_id == user.pk:
        raise PartnerError("You cannot block yourself.")
    if not _shares_booking(user, blocked_id):
        raise PartnerError("You can block only someone you have been matched or practised with.")
    block, _ = Block.objects.get_or_create(blocker=user, blocked_id=blocked_id)
    upcoming = Booking.objects.filter(status__in=Booking.UPCOMING, seats__user=user).filter(
        seats__user_id=blocked_id
    )
    for booking in upcoming.select_for_update(of=("self",)):
        old = booking.status
        _set_status(booking, old, Booking.Status.CANCELLED, actor=user, now=now, reason="blocked")
        for seat in Seat.objects.filter(booking=booking):
            _seat_outcome(seat, Seat.Outcome.EXCUSED, now, actor=user)
            if seat.user_id != user.pk:
                _request_reopen(seat.request_id, now)
                _notify(seat.user_id, booking.pk, Notification.Kind.CANCELLED)
        _abandon_interviews(booking, user)
    return block


def block_remove(*, user: User, blocked_id: int) -> bool:
    return bool(Block.objects.filter(blocker=user, blocked_id=blocked_id).delete()[0])


def misconduct_report(*, user: User, booking_id: UUID | str, text: str) -> MisconductReport:
    """Report the partner of one of the member's bookings to the moderators."""
    try:
        access = selectors.booking_get_for_user(user=user, booking_id=booking_id)
    except Booking.DoesNotExist:
        raise PartnerError("There is no such booking.") from None
    text = text.strip()
    if not text:
        raise PartnerError("Say what happened.")
    if len(text) > MAX_NOTE_CHARS:
        raise PartnerError(f"Keep it under {MAX_NOTE_CHARS} characters.")
    return MisconductReport.objects.create(
        reporter=user, reported_id=access.partner.user_id, booking=access.booking, text=text
    )


def report_review(
    *, staff: User, report_id: int, note: str = "", now: datetime | None = None
) -> None:
    _staff(staff)
    MisconductReport.objects.filter(pk=report_id, status=MisconductReport.Status.OPEN).update(
        status=MisconductReport.Status.REVIEWED,
        reviewed_by=staff,
        reviewed_at=_now(now),
        staff_note=note.strip(),
    )


@transaction.atomic
def member_suspend(
    *, staff: User, user_id: int, reason: str, now: datetime | None = None
) -> Member:
    """Suspend an account: it can no longer log in (``is_active`` off, through accounts), its
    open request is withdrawn, and its upcoming bookings are cancelled, counted against
    nobody, with each partner told and returned to the pool."""
    _staff(staff)
    now = _now(now)
    if user_id == staff.pk:
        raise PartnerError("You cannot suspend yourself.")
    target = User.objects.get(pk=user_id)
    if target.is_superuser:
        raise PartnerError("A superuser cannot be suspended here.")
    member = member_ensure(user=target)
    Member.objects.filter(pk=member.pk).update(
        suspended_at=now, suspended_by=staff, suspension_reason=reason.strip()
    )
    account_services.account_active_set(user=target, active=False)
    PracticeRequest.objects.filter(user=target, status__in=PracticeRequest.ACTIVE).update(
        status=PracticeRequest.Status.WITHDRAWN, closed_at=now
    )
    for booking in Booking.objects.filter(status__in=Booking.UPCOMING, seats__user=target):
        _set_status(
            booking,
            booking.status,
            Booking.Status.CANCELLED,
            actor=staff,
            now=now,
            reason="suspended",
        )
        for seat in Seat.objects.filter(booking=booking):
            _seat_outcome(seat, Seat.Outcome.EXCUSED, now, actor=staff)
            if seat.user_id != target.pk:
                _request_reopen(seat.request_id, now)
                _notify(seat.user_id, booking.pk, Notification.Kind.CANCELLED)
        _abandon_interviews(booking, None)
    member.refresh_from_db()
    return member


@transaction.atomic
def member_unsuspend(*, staff: User, user_id: int) -> None:
    _staff(staff)
    target = User.objects.get(pk=user_id)
    Member.objects.filter(user=target).update(
        suspended_at=None, suspended_by=None, suspension_reason=""
    )
    account_services.account_active_set(user=target, active=True)

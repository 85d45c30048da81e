"""A booking's life after the matcher proposed it: confirming (which makes the interviews),
declining, expiry and cancelling; then attendance: no-shows, the rematch window and releasing a
booking.

State changes are compare-and-set (an update count of 0 means someone got there first) and each
is recorded as a ``BookingEvent``."""

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.types import User
from casestudies.models import CaseStudy
from interviews import selectors as interview_selectors
from interviews import services as interview_services
from interviews.errors import ServiceError
from interviews.models import Interview, Participant, Role

from . import matching, selectors
from .matchmaking import _propose, _request_reopen
from .models import (
    Block,
    Booking,
    Member,
    Notification,
    PracticeRequest,
    Roles,
    Seat,
)
from .services import PartnerError, _event, _notify, _now

log = logging.getLogger(__name__)


# --- Confirming, declining, expiry ---------------------------------------------------------------


def _locked(user: User, booking_id: UUID | str) -> selectors.BookingAccess:
    """The booking for one of its members, its row locked for the rest of the transaction: the
    two members' actions on it happen one after the other."""
    try:
        access = selectors.booking_get_for_user(user=user, booking_id=booking_id)
    except Booking.DoesNotExist:
        raise PartnerError("There is no such booking.") from None
    Booking.objects.select_for_update().filter(pk=access.booking.pk).values_list("pk").get()
    return selectors.booking_get_for_user(user=user, booking_id=booking_id)


def _set_status(booking: Booking, old: str, new: str, *, actor: User | None, now, **data) -> None:
    closed = new not in Booking.UPCOMING
    changes: dict[str, Any] = {"status": new}
    if closed:
        changes["closed_at"] = now
    if new == Booking.Status.CONFIRMED:
        changes["confirmed_at"] = now
    if not Booking.objects.filter(pk=booking.pk, status=old).update(**changes):
        raise PartnerError("This booking changed meanwhile; look at it again.")
    for name, value in changes.items():
        setattr(booking, name, value)
    _event(booking, "status", actor=actor, old=old, new=new, **data)


def _seat_outcome(seat: Seat, outcome: str, now: datetime, *, actor: User | None = None) -> None:
    Seat.objects.filter(pk=seat.pk).update(outcome=outcome, outcome_at=now)
    seat.outcome, seat.outcome_at = outcome, now
    _event(seat.booking_id, "seat", actor=actor, old="", new=outcome, user=seat.user_id)


@transaction.atomic
def booking_confirm(*, user: User, booking_id: UUID | str, now: datetime | None = None) -> Booking:
    """Confirm a proposed match. When both have, the booking is confirmed and its interviews
    are made (two back to back for a swap). Confirming twice is harmless."""
    now = _now(now)
    access = _locked(user, booking_id)
    booking = access.booking
    if booking.status == Booking.Status.CONFIRMED and access.seat.confirmed_at:
        return booking
    if booking.status != Booking.Status.PROPOSED:
        raise PartnerError("This match is no longer waiting for confirmation.")
    if booking.expires_at <= now:
        raise PartnerError("This match has expired; you are both back in the pool.")
    if access.seat.confirmed_at is None:
        Seat.objects.filter(pk=access.seat.pk, confirmed_at__isnull=True).update(confirmed_at=now)
        access.seat.confirmed_at = now
        _event(booking, "seat.confirmed", actor=user)
    if access.partner.confirmed_at is None:
        return booking
    _set_status(booking, Booking.Status.PROPOSED, Booking.Status.CONFIRMED, actor=user, now=now)
    _interviews_create(access)
    for seat in (access.seat, access.partner):
        if seat.request_id:
            PracticeRequest.objects.filter(
                pk=seat.request_id, status=PracticeRequest.Status.MATCHED
            ).update(status=PracticeRequest.Status.BOOKED, closed_at=now)
        _notify(seat.user_id, booking.pk, Notification.Kind.CONFIRMED)
    return booking


def _interviews_create(access: selectors.BookingAccess) -> None:
    """The booking's interviews, through the room's service: the first with the candidate of
    the first direction, and for a swap the second the other way round. A case that stopped
    being published since the match is replaced by another neither has practised."""
    booking = access.booking
    seats = {access.seat.user_id: access.seat, access.partner.user_id: access.partner}
    first_candidate = next(s for s in seats.values() if s.first_role == Role.CANDIDATE)
    first_interviewer = next(s for s in seats.values() if s.first_role == Role.INTERVIEWER)
    plan = [(first_candidate, first_interviewer, booking.first_case)]
    if booking.is_swap:
        plan.append((first_interviewer, first_candidate, booking.second_case))
    made: list[Interview] = []
    for candidate, interviewer, case in plan:
        if case is None or case.status != CaseStudy.Status.PUBLISHED:
            case = _fresh_case(list(seats), avoid=[i.case_study_id for i in made])
        try:
            made.append(
                interview_services.interview_create(
                    user=interviewer.user,
                    case_study=case,
                    role=Role.INTERVIEWER,
                    target_level=candidate.level,
                    peer=candidate.user,
                )
            )
        except ServiceError as exc:
            raise PartnerError(f"The interview could not be prepared: {exc.message}") from None
    Booking.objects.filter(pk=booking.pk).update(
        first_interview=made[0], second_interview=made[1] if len(made) > 1 else None
    )
    booking.first_interview = made[0]
    booking.second_interview = made[1] if len(made) > 1 else None


def _fresh_case(user_ids: list[int], *, avoid: list[int]) -> CaseStudy:
    done = selectors.practised_cases(user_ids=user_ids)
    excluded = set(avoid).union(*done.values()) if done else set(avoid)
    case = CaseStudy.objects.published().exclude(pk__in=excluded).order_by("?").first()
    case = case or CaseStudy.objects.published().exclude(pk__in=avoid).order_by("?").first()
    if case is None:
        raise PartnerError("There is no published case study to practise on.")
    return case


@transaction.atomic
def booking_decline(*, user: User, booking_id: UUID | str, now: datetime | None = None) -> Booking:
    """Say no to a proposed match: it closes, nobody's reliability changes, and both requests
    return to the pool (the same two are not proposed to each other again straight away)."""
    now = _now(now)
    access = _locked(user, booking_id)
    booking = access.booking
    if booking.status != Booking.Status.PROPOSED:
        raise PartnerError("This match is no longer waiting for an answer.")
    _set_status(booking, Booking.Status.PROPOSED, Booking.Status.DECLINED, actor=user, now=now)
    for seat in (access.seat, access.partner):
        _seat_outcome(seat, Seat.Outcome.EXCUSED, now, actor=user)
        _request_reopen(seat.request_id, now)
    _notify(access.partner.user_id, booking.pk, Notification.Kind.DECLINED)
    return booking


def proposals_expire(*, now: datetime | None = None) -> list[UUID]:
    """Close proposed matches past their confirm-by time; both members return to the pool."""
    now = _now(now)
    due = list(
        Booking.objects.filter(status=Booking.Status.PROPOSED, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    expired = []
    for pk in due:
        with transaction.atomic():
            booking = Booking.objects.select_for_update().filter(pk=pk).first()
            if booking is None or booking.status != Booking.Status.PROPOSED:
                continue
            _set_status(
                booking, Booking.Status.PROPOSED, Booking.Status.EXPIRED, actor=None, now=now
            )
            for seat in Seat.objects.filter(booking=booking):
                _seat_outcome(seat, Seat.Outcome.EXCUSED, now)
                _request_reopen(seat.request_id, now)
                _notify(seat.user_id, booking.pk, Notification.Kind.EXPIRED)
            expired.append(pk)
    return expired


def _abandon_interviews(booking: Booking, user: User | None) -> None:
    """Abandon the booking's interviews that have not started, as one of their participants."""
    ids = [i for i in (booking.first_interview_id, booking.second_interview_id) if i]
    for interview in Interview.objects.filter(pk__in=ids, status=Interview.Status.SCHEDULED):
        participant = (
            Participant.objects.filter(interview=interview)
            .filter(Q(user=user) if user else Q())
            .select_related("user")
            .first()
        )
        if participant is None:
            continue
        try:
            interview_services.interview_abandon(
                user=participant.user, interview=interview, role=participant.role
            )
        except ServiceError:
            log.info("interview %s changed meanwhile; not abandoned", interview.pk)


def is_late(booking: Booking, now: datetime) -> bool:
    return now > booking.starts_at - timedelta(hours=settings.LATE_CANCEL_HOURS)


@transaction.atomic
def booking_cancel(*, user: User, booking_id: UUID | str, now: datetime | None = None) -> Booking:
    """Cancel a confirmed booking before it starts (a proposed one is declined). Under
    ``LATE_CANCEL_HOURS`` before the start it counts against the canceller's reliability; the
    partner is told, and their request returns to the pool."""
    now = _now(now)
    access = _locked(user, booking_id)
    booking = access.booking
    if booking.status == Booking.Status.PROPOSED:
        return booking_decline(user=user, booking_id=booking.pk, now=now)
    if booking.status != Booking.Status.CONFIRMED:
        raise PartnerError("This booking is not upcoming.")
    if now >= booking.starts_at:
        raise PartnerError(
            "The session has started. If your partner has not come, wait for it "
            f"to be marked ({settings.NO_SHOW_MINUTES} minutes after the start)."
        )
    late = is_late(booking, now)
    _set_status(
        booking, Booking.Status.CONFIRMED, Booking.Status.CANCELLED, actor=user, now=now, late=late
    )
    _seat_outcome(
        access.seat, Seat.Outcome.LATE_CANCEL if late else Seat.Outcome.EXCUSED, now, actor=user
    )
    _seat_outcome(access.partner, Seat.Outcome.EXCUSED, now, actor=user)
    _abandon_interviews(booking, user)
    _request_reopen(access.partner.request_id, now)
    _notify(access.partner.user_id, booking.pk, Notification.Kind.CANCELLED)
    return booking


# --- No-shows, rematch ---------------------------------------------------------------------------


def _present(booking: Booking, user_id: int) -> bool:
    """Did the member have the booking's room (either interview) open from shortly before the
    start on? The room records people coming online and going offline on its timeline."""
    ids = [i for i in (booking.first_interview_id, booking.second_interview_id) if i]
    return interview_selectors.was_present(
        interview_ids=ids, user_id=user_id, since=booking.starts_at - selectors.EARLY_JOIN
    )


def _pause_if_due(user_id: int, now: datetime) -> None:
    """The stated rule: NO_SHOW_PAUSE_AFTER no-shows within NO_SHOW_PAUSE_WINDOW_DAYS pause
    matching for NO_SHOW_PAUSE_DAYS."""
    since = now - timedelta(days=settings.NO_SHOW_PAUSE_WINDOW_DAYS)
    count = Seat.objects.filter(
        user_id=user_id, outcome=Seat.Outcome.NO_SHOW, booking__starts_at__gte=since
    ).count()
    if count >= settings.NO_SHOW_PAUSE_AFTER:
        member, _ = Member.objects.get_or_create(user_id=user_id)
        Member.objects.filter(pk=member.pk).update(
            paused_until=now + timedelta(days=settings.NO_SHOW_PAUSE_DAYS)
        )


def no_shows_mark(*, now: datetime | None = None) -> dict[str, list[UUID]]:
    """For each confirmed booking that started ``NO_SHOW_MINUTES`` ago: both joined, it is
    held; one did not, the other is offered a rematch (``rematch_find``) and the absent one's
    no-show counts against their reliability (and may pause their matching); neither did, both
    count. Each booking in its own transaction, its row locked: safe to run twice at once."""
    now = _now(now)
    due = list(
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            starts_at__lte=now - timedelta(minutes=settings.NO_SHOW_MINUTES),
        ).values_list("pk", flat=True)
    )
    outcome: dict[str, list[UUID]] = {"held": [], "no_show": [], "missed": []}
    for pk in due:
        with transaction.atomic():
            booking = Booking.objects.select_for_update().filter(pk=pk).first()
            if booking is None or booking.status != Booking.Status.CONFIRMED:
                continue
            seats = list(Seat.objects.filter(booking=booking).select_related("user"))
            here = [s for s in seats if _present(booking, s.user_id)]
            away = [s for s in seats if s not in here]
            if not away:
                _set_status(
                    booking, Booking.Status.CONFIRMED, Booking.Status.HELD, actor=None, now=now
                )
                for seat in seats:
                    _seat_outcome(seat, Seat.Outcome.ATTENDED, now)
                outcome["held"].append(pk)
                continue
            new = Booking.Status.NO_SHOW if here else Booking.Status.MISSED
            _set_status(booking, Booking.Status.CONFIRMED, new, actor=None, now=now)
            for seat in here:
                _seat_outcome(seat, Seat.Outcome.ATTENDED, now)
                _notify(seat.user_id, booking.pk, Notification.Kind.NO_SHOW)
            for seat in away:
                _seat_outcome(seat, Seat.Outcome.NO_SHOW, now)
                _notify(seat.user_id, booking.pk, Notification.Kind.MISSED)
                _pause_if_due(seat.user_id, now)
            _abandon_interviews(booking, here[0].user if here else seats[0].user)
            outcome[new].append(pk)
    return outcome


def rematch_window(booking: Booking, now: datetime) -> matching.Window | None:
    """From now (on the grid) to the end of the missed session, if at least half an hour is
    left of it."""
    start = matching.ceil_to_grid(now)
    end = booking.starts_at + timedelta(minutes=booking.minutes)
    if end - start < timedelta(minutes=30):
        return None
    return matching.Window(start, end)


@transaction.atomic
def rematch_find(
    *, user: User, booking_id: UUID | str, now: datetime | None = None
) -> Booking | None:
    """After the partner did not come: propose a session for the rest of the slot with a
    member free now (whose open request has a slot covering it), longest-waiting first, by the
    same rules as matching. The one asking has confirmed; the other has
    ``REMATCH_CONFIRM_MINUTES`` to. None when nobody is free."""
    now = _now(now)
    access = _locked(user, booking_id)
    booking = access.booking
    if booking.status != Booking.Status.NO_SHOW or access.seat.outcome != Seat.Outcome.ATTENDED:
        raise PartnerError("A rematch is offered only when your partner did not come.")
    existing = selectors.rematch_of(booking)
    if existing is not None:
        return existing
    window = rematch_window(booking, now)
    if window is None:
        raise PartnerError("Too little of the session is left for a rematch.")
    member = selectors.member_for(user=user)
    if member.suspended_at is not None:
        raise PartnerError("Your account is suspended.")
    request = access.seat.request
    roles = (
        request.roles if request else (Roles.SWAP if booking.is_swap else access.seat.first_role)
    )
    done = selectors.practised_cases(user_ids=[user.pk]).get(user.pk, set())
    avoided = {c.pk for c in request.avoid_cases.all()} if request else set()
    seeker = matching.Request(
        id=0,
        member=user.pk,
        roles=roles,
        level=access.seat.level,
        minutes=booking.minutes,
        slots=(window,),
        waiting_since=booking.created_at,
        cohort=member.cohort_id,
        across=member.match_across_cohorts,
        done_cases=frozenset(done | avoided),
        avoid_domains=frozenset(request.avoid_domains if request else ()),
    )
    pool = selectors.matching_pool(now=now, earliest=window.start)
    others = [r for r in pool.requests if r.member not in (user.pk, access.partner.user_id)]
    blocks = pool.blocks | frozenset(
        Block.objects.filter(Q(blocker=user) | Q(blocked=user)).values_list(
            "blocker_id", "blocked_id"
        )
    )
    pairing = matching.rematch(seeker, others, cases=pool.cases, blocks=blocks, window=window)
    if pairing is None:
        _event(booking, "rematch.none", actor=user)
        return None
    other = next(r for r in pairing.requests if r.member != user.pk)
    rematch = _propose(
        pairing,
        claims={other.id: pool.revisions[other.id]},
        now=now,
        expires_at=now + timedelta(minutes=settings.REMATCH_CONFIRM_MINUTES),
        rematch_of=booking,
        confirmed=user,
    )
    if rematch is not None:
        _event(booking, "rematch.proposed", actor=user, rematch=str(rematch.pk))
    return rematch


@transaction.atomic
def booking_release(*, user: User, booking_id: UUID | str, now: datetime | None = None) -> bool:
    """After the partner did not come, give up the slot: the member's request goes back to the
    pool if it has times left to offer. True if it did."""
    now = _now(now)
    access = _locked(user, booking_id)
    if (
        access.booking.status != Booking.Status.NO_SHOW
        or access.seat.outcome != Seat.Outcome.ATTENDED
    ):
        raise PartnerError("Only a session your partner missed can be released.")
    _event(access.booking, "released", actor=user)
    return _request_reopen(access.seat.request_id, now)

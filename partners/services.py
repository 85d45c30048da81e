"""Every write of finding a partner: members' settings, cohorts and invite codes, requests,
the matcher's run, confirming, declining and cancelling, no-shows and rematches, reminders and
their e-mails, ratings of interviewers, blocks, misconduct reports and suspensions.

Views, tasks and management commands call these; none of them saves an important object
itself. State changes are compare-and-set (an update count of 0 means someone got there first)
and each is recorded as a ``BookingEvent``. Interviews are made through the room's own service
(``interviews.services.interview_create``). Work for the workers (matching, e-mails) is handed
over only after the transaction commits.
"""

import itertools
import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import services as account_services
from accounts.types import User
from casestudies.models import CaseStudy
from interviews import selectors as interview_selectors
from interviews import services as interview_services
from interviews.errors import ServiceError
from interviews.models import Interview, Participant, Role
from interviews.selectors import interview_get_for_user
from rubrics.models import TargetLevel

from . import matching, selectors, zones
from .models import (
    Block,
    Booking,
    BookingEvent,
    Cohort,
    InterviewerRating,
    InviteCode,
    Member,
    MisconductReport,
    Notification,
    PracticeRequest,
    RequestSlot,
    Roles,
    Seat,
)

log = logging.getLogger(__name__)

MAX_SLOTS = 8
MAX_DAYS_AHEAD = 60
MAX_NOTE_CHARS = 4000
EMAIL_ATTEMPTS = 5
# Within this long of the start a confirmed booking gets its "starting soon" reminder.
SOON = timedelta(minutes=15)
DAY = timedelta(hours=24)


class PartnerError(Exception):
    """A refused request, with a message for the member."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _after_commit(task_name: str, *args: Any) -> None:
    """Hand a task to the workers once the transaction commits (``delay_on_commit``), without
    turning a broker that does not answer into an error for a change already committed: the
    beat's next run picks the work up. (Celery is imported here only: the web processes that
    never enqueue never load it.)"""

    def send() -> None:
        from kombu.exceptions import OperationalError

        from . import tasks

        try:
            getattr(tasks, task_name).delay(*args)
        except (OperationalError, OSError):
            log.exception("partners: could not hand %s%s to a worker now", task_name, args)

    transaction.on_commit(send)


def _event(
    booking: Booking | UUID, kind: str, *, actor: User | None = None, old="", new="", **data
) -> None:
    BookingEvent.objects.create(
        booking_id=getattr(booking, "pk", booking),
        kind=kind,
        actor=actor,
        old=old,
        new=new,
        data=data,
    )


# --- Members, cohorts, invite codes --------------------------------------------------------------


def member_ensure(*, user: User) -> Member:
    member, _ = Member.objects.get_or_create(user=user)
    return member


def member_settings_update(
    *, user: User, time_zone: str, match_across_cohorts: bool | None = None
) -> Member:
    if not zones.is_zone(time_zone):
        raise PartnerError(f"{time_zone!r} is not a time zone we know.")
    member = member_ensure(user=user)
    fields: dict[str, object] = {"time_zone": time_zone}
    if match_across_cohorts is not None:
        fields["match_across_cohorts"] = match_across_cohorts
    Member.objects.filter(pk=member.pk).update(**fields)
    member.refresh_from_db()
    return member


def _code_usable(code: InviteCode, now: datetime) -> bool:
    return (
        code.active
        and (code.expires_at is None or code.expires_at > now)
        and (code.max_uses is None or code.uses < code.max_uses)
    )


def invite_code_check(*, code: str, now: datetime | None = None) -> InviteCode:
    """The usable invite code spelled ``code`` (any case, spaces ignored), or PartnerError."""
    cleaned = "".join(code.split()).upper()
    found = InviteCode.objects.select_related("cohort").filter(code=cleaned).first()
    if found is None or not _code_usable(found, _now(now)):
        raise PartnerError("That invite code is not valid, or has been used up or has expired.")
    return found


@transaction.atomic
def invite_code_redeem(*, user: User, code: str, now: datetime | None = None) -> Cohort:
    """Put the user in the code's cohort, counting one use by compare-and-set: a code for ten
    people admits ten, however many sign up at once."""
    now = _now(now)
    found = invite_code_check(code=code, now=now)
    unlimited = Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses"))
    claimed = (
        InviteCode.objects.filter(pk=found.pk, active=True)
        .filter(unlimited)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(uses=F("uses") + 1)
    )
    if not claimed:
        raise PartnerError("That invite code has just been used up. Ask for another one.")
    member = member_ensure(user=user)
    Member.objects.filter(pk=member.pk).update(cohort=found.cohort)
    return found.cohort


def member_sign_up(
    *,
    user: User,
    display_name: str,
    target_level: str,
    time_zone: str,
    invite_code: str,
) -> Member:
    """What sign-up adds to the account allauth made: the profile (accounts' service), the
    time zone, and the cohort of the invite code. A code that ran out between the form's check
    and now leaves the member without a cohort; the partner pages then ask for another."""
    account_services.profile_update(user=user, display_name=display_name, target_level=target_level)
    member = member_ensure(user=user)
    if zones.is_zone(time_zone):
        Member.objects.filter(pk=member.pk).update(time_zone=time_zone)
    if invite_code:
        try:
            invite_code_redeem(user=user, code=invite_code)
        except PartnerError:
            log.warning("sign-up of user %s: invite code ran out before it was redeemed", user.pk)
    member.refresh_from_db()
    return member


def _staff(user: User) -> None:
    if not (user.is_active and user.has_perm("partners.moderate_members")):
        raise PartnerError("Only moderators may do that.")


def cohort_create(*, staff: User, name: str, description: str = "") -> Cohort:
    _staff(staff)
    name = name.strip()
    if not name:
        raise PartnerError("A cohort needs a name.")
    if Cohort.objects.filter(name__iexact=name).exists():
        raise PartnerError(f"There is already a cohort called {name}.")
    return Cohort.objects.create(name=name, description=description.strip(), created_by=staff)


def _new_code(cohort: Cohort) -> str:
    stem = "".join(ch for ch in cohort.name.upper() if ch.isalnum())[:10] or "COHORT"
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    return f"{stem}-{''.join(secrets.choice(alphabet) for _ in range(6))}"


def invite_code_create(
    *,
    staff: User,
    cohort: Cohort,
    max_uses: int | None = None,
    expires_at: datetime | None = None,
    code: str = "",
) -> InviteCode:
    _staff(staff)
    if max_uses is not None and max_uses < 1:
        raise PartnerError("A code admits at least one person.")
    cleaned = "".join(code.split()).upper() or _new_code(cohort)
    try:
        with transaction.atomic():
            return InviteCode.objects.create(
                cohort=cohort,
                code=cleaned,
                max_uses=max_uses,
                expires_at=expires_at,
                created_by=staff,
            )
    except IntegrityError:
        raise PartnerError(f"The code {cleaned} exists already.") from None


def invite_code_deactivate(*, staff: User, code_id: int) -> None:
    _staff(staff)
    InviteCode.objects.filter(pk=code_id).update(active=False)


# --- Requests ------------------------------------------------------------------------------------


def _may_request(user: User, member: Member, now: datetime) -> None:
    if member.suspended_at is not None or not user.is_active:
        raise PartnerError("Your account is suspended.")
    if settings.INVITE_CODE_REQUIRED and member.cohort_id is None:
        raise PartnerError("Enter an invite code in your partner settings to join a cohort first.")


def _slots_check(starts: Sequence[datetime], minutes: int, now: datetime) -> list[datetime]:
    if minutes not in (60, 90):
        raise PartnerError("A session is 60 or 90 minutes.")
    if not starts:
        raise PartnerError("Offer at least one time.")
    if len(starts) > MAX_SLOTS:
        raise PartnerError(f"Offer at most {MAX_SLOTS} times.")
    ordered = sorted(start.replace(second=0, microsecond=0) for start in starts)
    length = timedelta(minutes=minutes)
    for start in ordered:
        if start.tzinfo is None:
            raise PartnerError("Times need a time zone.")
        if start < now - timedelta(minutes=5):
            raise PartnerError("One of your times has passed. Offer times in the future.")
        if start > now + timedelta(days=MAX_DAYS_AHEAD):
            raise PartnerError(f"Offer times within the next {MAX_DAYS_AHEAD} days.")
    for earlier, later in itertools.pairwise(ordered):
        if later < earlier + length:
            raise PartnerError("Two of your times overlap; keep them at least a session apart.")
    return ordered


@transaction.atomic
def request_submit(
    *,
    user: User,
    roles: str,
    target_level: str,
    minutes: int,
    starts: Sequence[datetime],
    avoid_domains: Iterable[str] = (),
    avoid_case_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> PracticeRequest:
    """Create the member's request, or change their open one (its place in the queue is
    kept; its revision moves on, so a matcher that read the old one cannot claim it). A
    request with a proposed match cannot change until the match is confirmed or declined."""
    now = _now(now)
    member = member_ensure(user=user)
    _may_request(user, member, now)
    if roles not in Roles.values:
        raise PartnerError("Choose the roles you want.")
    if target_level not in TargetLevel.values:
        raise PartnerError("Choose your target level.")
    ordered = _slots_check(starts, minutes, now)
    domains = sorted(set(avoid_domains) & set(CaseStudy.Domain.values))
    cases = list(CaseStudy.objects.filter(pk__in=list(avoid_case_ids)))
    current = (
        PracticeRequest.objects.select_for_update()
        .filter(user=user, status__in=PracticeRequest.ACTIVE)
        .first()
    )
    if current is not None and current.status == PracticeRequest.Status.MATCHED:
        raise PartnerError("You have a proposed match: confirm or decline it first.")
    fields = {
        "roles": roles,
        "target_level": target_level,
        "minutes": minutes,
        "avoid_domains": domains,
    }
    if current is None:
        try:
            with transaction.atomic():
                request = PracticeRequest.objects.create(user=user, **fields)
        except IntegrityError:
            raise PartnerError("You already have a request; change that one.") from None
    else:
        changed = PracticeRequest.objects.filter(
            pk=current.pk, status=PracticeRequest.Status.OPEN, revision=current.revision
        ).update(revision=F("revision") + 1, updated_at=now, **fields)
        if not changed:
            raise PartnerError("Your request changed meanwhile; look at it again.")
        request = current
        request.slots.all().delete()
    request.avoid_cases.set(cases)
    length = timedelta(minutes=minutes)
    RequestSlot.objects.bulk_create(
        RequestSlot(request=request, starts_at=start, ends_at=start + length) for start in ordered
    )
    request.refresh_from_db()
    _after_commit("match_requests")
    return request


@transaction.atomic
def request_withdraw(*, user: User, now: datetime | None = None) -> bool:
    withdrawn = PracticeRequest.objects.filter(
        user=user, status=PracticeRequest.Status.OPEN
    ).update(status=PracticeRequest.Status.WITHDRAWN, closed_at=_now(now))
    return bool(withdrawn)


def _request_reopen(request_id: int | None, now: datetime) -> bool:
    """Put a matched or booked request back in the pool, keeping its place in the queue, if it
    still has a slot to offer and the member has no other active request; otherwise it lapses."""
    if request_id is None:
        return False
    earliest = now + timedelta(minutes=settings.MATCH_NOTICE_MINUTES)
    future = RequestSlot.objects.filter(request_id=request_id, ends_at__gt=earliest).exists()
    active = [PracticeRequest.Status.MATCHED, PracticeRequest.Status.BOOKED]
    if future:
        try:
            with transaction.atomic():
                reopened = PracticeRequest.objects.filter(pk=request_id, status__in=active).update(
                    status=PracticeRequest.Status.OPEN,
                    revision=F("revision") + 1,
                    closed_at=None,
                )
        except IntegrityError:  # the member has made a new request meanwhile
            reopened = 0
        if reopened:
            _after_commit("match_requests")
            return True
    PracticeRequest.objects.filter(pk=request_id, status__in=active).update(
        status=PracticeRequest.Status.LAPSED, closed_at=now
    )
    return False


def requests_lapse(*, now: datetime | None = None) -> int:
    """Open requests whose every slot has passed are closed."""
    now = _now(now)
    earliest = now + timedelta(minutes=settings.MATCH_NOTICE_MINUTES)
    live = RequestSlot.objects.filter(ends_at__gt=earliest).values("request_id")
    return (
        PracticeRequest.objects.filter(status=PracticeRequest.Status.OPEN)
        .exclude(pk__in=live)
        .update(status=PracticeRequest.Status.LAPSED, closed_at=now)
    )


# --- Matching ------------------------------------------------------------------------------------


class _Lost(Exception):
    """Another run claimed one of the requests first."""


def _propose(
    pairing: matching.Pairing,
    *,
    claims: dict[int, int],
    now: datetime,
    expires_at: datetime,
    rematch_of: Booking | None = None,
    confirmed: User | None = None,
) -> Booking | None:
    """Turn a pairing into a proposed booking, claiming its requests (id -> revision read) by
    compare-and-set; None if another run got one of them first. Call inside a transaction."""
    try:
        with transaction.atomic():
            if claims:
                condition = Q()
                for request_id, revision in claims.items():
                    condition |= Q(pk=request_id, revision=revision)
                claimed = PracticeRequest.objects.filter(
                    condition, status=PracticeRequest.Status.OPEN
                ).update(status=PracticeRequest.Status.MATCHED)
                if claimed != len(claims):
                    raise _Lost
            directions = pairing.directions
            booking = Booking.objects.create(
                kind=Booking.Kind.SWAP if len(directions) == 2 else Booking.Kind.SINGLE,
                starts_at=pairing.start,
                minutes=pairing.minutes,
                # A match must be confirmed before it starts; a rematch starts now.
                expires_at=expires_at if rematch_of else min(expires_at, pairing.start),
                first_case_id=directions[0].case,
                second_case_id=directions[1].case if len(directions) == 2 else None,
                rematch_of=rematch_of,
            )
            first_candidate = directions[0].candidate
            seats = [
                Seat(
                    booking=booking,
                    user_id=request.member,
                    request_id=request.id or None,
                    first_role=Role.CANDIDATE
                    if request.member == first_candidate
                    else Role.INTERVIEWER,
                    level=request.level,
                    confirmed_at=now
                    if confirmed is not None and confirmed.pk == request.member
                    else None,
                )
                for request in pairing.requests
            ]
            Seat.objects.bulk_create(seats)
            _event(
                booking,
                "proposed",
                new=Booking.Status.PROPOSED,
                requests=[r.id for r in pairing.requests],
                rematch_of=str(rematch_of.pk) if rematch_of else None,
            )
            for seat in seats:
                if seat.confirmed_at is None:
                    _notify(seat.user_id, booking.pk, Notification.Kind.PROPOSED)
    except _Lost:
        return None
    return booking


@transaction.atomic
def requests_match(*, now: datetime | None = None) -> list[Booking]:
    """One run of the matcher over the open requests. Idempotent: requests are claimed at the
    revision read, so two runs at once, or a run racing an edit, never pair a request twice or
    pair one that changed."""
    now = _now(now)
    requests_lapse(now=now)
    notice = timedelta(minutes=settings.MATCH_NOTICE_MINUTES)
    pool = selectors.matching_pool(now=now, earliest=now + notice)
    pairings = matching.match(
        pool.requests, cases=pool.cases, blocks=pool.blocks, now=now, notice=notice
    )
    expires_at = now + timedelta(hours=settings.MATCH_CONFIRM_HOURS)
    made = []
    for pairing in pairings:
        claims = {r.id: pool.revisions[r.id] for r in pairing.requests}
        booking = _propose(pairing, claims=claims, now=now, expires_at=expires_at)
        if booking is not None:
            made.append(booking)
    if made:
        log.info("partners: %d match(es) proposed", len(made))
    return made


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


# --- Notifications and reminders -----------------------------------------------------------------


def _notify(user_id: int, booking_id: UUID, kind: str) -> Notification | None:
    """Record a notification for the member (once per booking and kind) and e-mail it after
    commit. None if it exists already: reminders are sent once however often the beat runs."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user_id=user_id, booking_id=booking_id, kind=kind
            )
    except IntegrityError:
        return None
    _after_commit("send_notification", notification.pk)
    return notification


def reminders_send(*, now: datetime | None = None) -> int:
    """Reminders for confirmed bookings: a day before (when booked earlier than that) and
    fifteen minutes before (when confirmed earlier than that). Idempotent: one per member,
    booking and kind. Also hands unsent e-mails to the workers again. Returns how many
    reminders were made."""
    now = _now(now)
    made = 0
    confirmed = Booking.objects.filter(status=Booking.Status.CONFIRMED)
    day = confirmed.filter(
        starts_at__gt=now + timedelta(hours=1),
        starts_at__lte=now + DAY,
        confirmed_at__lte=F("starts_at") - DAY,
    )
    soon = confirmed.filter(
        starts_at__gt=now, starts_at__lte=now + SOON, confirmed_at__lte=F("starts_at") - SOON
    )
    for queryset, kind in (
        (day, Notification.Kind.REMINDER_DAY),
        (soon, Notification.Kind.REMINDER_SOON),
    ):
        pairs = Seat.objects.filter(booking__in=queryset).values_list("user_id", "booking_id")
        for user_id, booking_id in pairs:
            with transaction.atomic():
                made += _notify(user_id, booking_id, kind) is not None
    stuck = Notification.objects.filter(
        emailed_at__isnull=True,
        email_attempts__lt=EMAIL_ATTEMPTS,
        created_at__lte=now - timedelta(minutes=2),
    ).values_list("pk", flat=True)[:200]
    for pk in stuck:
        with transaction.atomic():
            _after_commit("send_notification", pk)
    return made


def notification_email(*, notification_id: int) -> bool:
    """E-mail one notification, once: the attempt is claimed by compare-and-set, so a message
    delivered twice sends once. False if there was nothing to send (already sent, the member
    has no address, or the attempt was claimed elsewhere)."""
    from . import notify  # templates and the calendar library: only where mail is sent

    notification = (
        Notification.objects.select_related("user", "booking").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    attempts = notification.email_attempts
    if attempts >= EMAIL_ATTEMPTS:
        return False
    claimed = Notification.objects.filter(
        pk=notification.pk, emailed_at__isnull=True, email_attempts=attempts
    ).update(email_attempts=attempts + 1)
    if not claimed:
        return False
    if (
        not notification.user.email
        or not notification.user.is_active
        or not notify.still_true(notification)
    ):
        # Nothing to send: no address, a suspended account, or news that is no longer true (a
        # reminder for a session cancelled since, sent late by a retry).
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        return False
    message = notify.email_for(notification)
    message.send()
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def notifications_read(*, user: User, now: datetime | None = None) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=_now(now))


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


# --- Demo ----------------------------------------------------------------------------------------


DEMO_COHORT = "Demo cohort"
DEMO_CODE = "DEMO-COHORT"
DEMO_MEMBERS = (
    # (email, time zone)
    ("interviewer@example.com", "Europe/Berlin"),
    ("candidate@example.com", "Europe/London"),
)


@transaction.atomic
def demo_ensure(*, now: datetime | None = None) -> dict[str, Any]:
    """The demo members (``accounts.services.demo_accounts_ensure`` makes the accounts) in one
    cohort, each with an open swap request for tomorrow evening unless they already have a
    request or an upcoming booking; the curator moderates. The matcher then proposes a match
    (at once when Celery runs in process, as with ``make run``)."""
    now = _now(now)
    from django.contrib.auth.models import Group, Permission

    cohort, _ = Cohort.objects.get_or_create(
        name=DEMO_COHORT, defaults={"description": "The demo accounts practise here."}
    )
    InviteCode.objects.get_or_create(code=DEMO_CODE, defaults={"cohort": cohort})
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.set(Permission.objects.filter(content_type__app_label="partners"))
    curator = User.objects.filter(email="curator@example.com").first()
    if curator is not None:
        curator.groups.add(moderators)
    made = []
    for email, zone_name in DEMO_MEMBERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        member = member_ensure(user=user)
        Member.objects.filter(pk=member.pk).update(cohort=cohort, time_zone=zone_name)
        busy = Booking.objects.filter(
            status__in=Booking.UPCOMING, seats__user=user, starts_at__gt=now
        ).exists()
        active = PracticeRequest.objects.filter(
            user=user, status__in=PracticeRequest.ACTIVE
        ).exists()
        if busy or active:
            continue
        local = zones.utc_to_local(now, zone_name) + timedelta(days=1)
        starts = []
        for hour in (18, 19):
            utc, _note = zones.local_to_utc(local.date(), time(hour, 0), zone_name)
            starts.append(utc)
        profile_level = getattr(getattr(user, "profile", None), "target_level", "senior")
        request_submit(
            user=user,
            roles=Roles.SWAP,
            target_level=profile_level,
            minutes=60,
            starts=starts,
            now=now,
        )
        made.append(email)
    return {"cohort": cohort.name, "code": DEMO_CODE, "requests": made}

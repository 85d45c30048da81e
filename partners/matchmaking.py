"""Practice requests and the matcher: submitting, withdrawing, reopening and lapsing a request, and
the matcher's run that proposes bookings between open requests (the pairing itself is
``matching.py``, pure)."""

import itertools
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from accounts.types import User
from casestudies.models import CaseStudy
from interviews.models import Role
from rubrics.models import TargetLevel

from . import matching, selectors
from .models import (
    Booking,
    Member,
    Notification,
    PracticeRequest,
    RequestSlot,
    Roles,
    Seat,
)
from .services import (
    MAX_DAYS_AHEAD,
    MAX_SLOTS,
    PartnerError,
    _after_commit,
    _event,
    _notify,
    _now,
    member_ensure,
)

log = logging.getLogger(__name__)


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

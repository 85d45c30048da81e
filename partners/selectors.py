"""Reads for finding a partner, each starting from the user who asks.

``booking_get_for_user`` is the one access-checked getter for bookings: pages and services
use it, and a member who has no seat in a booking gets ``Booking.DoesNotExist`` (a 404), as
if it did not exist. Other members appear by display name, level and reliability only: nothing
here hands a page another member's e-mail address.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Avg, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber

from accounts.types import User
from casestudies.models import CaseStudy
from interviews.models import Interview, Participant, Role, Score

from . import matching
from .models import (
    Block,
    Booking,
    InterviewerRating,
    Member,
    MisconductReport,
    Notification,
    PracticeRequest,
    RequestSlot,
    Seat,
)

# The comparison of a member's scores with other interviewers' is shown once it covers this
# many candidates: with fewer it would tell the member how one peer scored elsewhere.
CALIBRATION_MIN_CANDIDATES = 3
# Presence in the room this long before the start counts as having joined.
EARLY_JOIN = timedelta(minutes=30)


# --- Members -----------------------------------------------------------------------------------


def member_for(*, user: User) -> Member:
    """The user's partner settings, or an unsaved default (UTC, no cohort) before their first
    request or change of settings."""
    member = Member.objects.filter(user=user).select_related("cohort").first()
    return member or Member(user=user)


def seat_users() -> QuerySet[Seat]:
    """Seats with what pages show of their member: name, level, time zone, cohort."""
    return Seat.objects.select_related("user__profile", "user__partner_member__cohort").order_by(
        "id"
    )


# --- Requests --------------------------------------------------------------------------------


def active_request_for(*, user: User) -> PracticeRequest | None:
    """The user's open or matched request, with its slots and the cases it avoids."""
    return (
        PracticeRequest.objects.filter(user=user, status__in=PracticeRequest.ACTIVE)
        .prefetch_related("slots", "avoid_cases")
        .first()
    )


def open_request_counts() -> dict[str, int]:
    """How many members are looking now, by roles (shown to help people choose)."""
    rows = (
        PracticeRequest.objects.filter(status=PracticeRequest.Status.OPEN)
        .values("roles")
        .annotate(n=Count("id"))
    )
    return {row["roles"]: row["n"] for row in rows}


# --- Bookings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingAccess:
    booking: Booking
    seat: Seat  # mine
    partner: Seat

    @property
    def partner_user(self) -> User:
        return self.partner.user

    @property
    def status_label(self) -> str:
        """The booking's status as its viewer needs it: whose move it is."""
        if self.booking.status == Booking.Status.PROPOSED:
            return "Waiting for your partner" if self.seat.confirmed_at else "Needs your answer"
        return self.booking.get_status_display()

    @property
    def tone(self) -> str:
        status = self.booking.status
        if status == Booking.Status.PROPOSED:
            return "accent" if self.seat.confirmed_at else "warn"
        if status in (Booking.Status.CONFIRMED, Booking.Status.HELD):
            return "good"
        return "bad" if status in (Booking.Status.NO_SHOW, Booking.Status.MISSED) else ""


def _booking_queryset() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "first_case", "second_case", "first_interview", "second_interview"
    ).prefetch_related(Prefetch("seats", queryset=seat_users()))


def booking_get_for_user(*, user: User, booking_id: UUID | str) -> BookingAccess:
    """The booking with both seats, for one of its two members; ``Booking.DoesNotExist`` for
    anyone else (staff too: they see bookings through reports), anonymous users and malformed
    ids. Two queries."""
    if not user.is_authenticated:
        raise Booking.DoesNotExist
    try:
        booking_id = UUID(str(booking_id))
    except ValueError:
        raise Booking.DoesNotExist from None
    booking = _booking_queryset().filter(seats__user=user).get(pk=booking_id)
    seats = list(booking.seats.all())
    mine = next(s for s in seats if s.user_id == user.pk)
    partner = next(s for s in seats if s.user_id != user.pk)
    return BookingAccess(booking, mine, partner)


def bookings_for(
    *, user: User, statuses: tuple[str, ...], since: datetime | None = None, limit: int = 20
) -> list[BookingAccess]:
    """The user's bookings in ``statuses`` (ending after ``since``), soonest first."""
    queryset = _booking_queryset().filter(seats__user=user, status__in=statuses)
    if since is not None:
        # Ends after `since`: starts after since minus the longest session.
        queryset = queryset.filter(starts_at__gt=since - timedelta(minutes=90))
    result = []
    for booking in queryset.order_by("starts_at")[:limit]:
        seats = list(booking.seats.all())
        mine = next(s for s in seats if s.user_id == user.pk)
        partner = next(s for s in seats if s.user_id != user.pk)
        result.append(BookingAccess(booking, mine, partner))
    return result


def past_bookings_for(*, user: User, limit: int = 10) -> list[BookingAccess]:
    queryset = (
        _booking_queryset()
        .filter(seats__user=user)
        .exclude(status__in=Booking.UPCOMING)
        .order_by("-starts_at")[:limit]
    )
    result = []
    for booking in queryset:
        seats = list(booking.seats.all())
        mine = next(s for s in seats if s.user_id == user.pk)
        partner = next(s for s in seats if s.user_id != user.pk)
        result.append(BookingAccess(booking, mine, partner))
    return result


def rematch_of(booking: Booking) -> Booking | None:
    return (
        Booking.objects.filter(rematch_of=booking, status__in=Booking.UPCOMING)
        .order_by("-created_at")
        .first()
    )


# --- Reliability ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reliability:
    attended: int
    counted: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.attended / self.counted) if self.counted else None

    @property
    def label(self) -> str:
        if not self.counted:
            return "New: no sessions yet"
        sessions = "session" if self.counted == 1 else "sessions"
        return f"{self.percent}%: came to {self.attended} of {self.counted} {sessions}"

    @property
    def tone(self) -> str:
        percent = self.percent
        if percent is None:
            return ""
        return "good" if percent >= 90 else "warn" if percent >= 70 else "bad"


def reliability_of(*, user_ids: list[int]) -> dict[int, Reliability]:
    """Attended / booked over each member's last ``RELIABILITY_WINDOW`` sessions that count
    (attended, no-show, late cancel), in one query."""
    rows = (
        Seat.objects.filter(user_id__in=user_ids, outcome__in=Seat.COUNTED)
        .annotate(
            n=Window(
                RowNumber(),
                partition_by=[F("user_id")],
                order_by=[F("booking__starts_at").desc(), F("id").desc()],
            )
        )
        .filter(n__lte=settings.RELIABILITY_WINDOW)
        .values_list("user_id", "outcome")
    )
    attended: dict[int, int] = defaultdict(int)
    counted: dict[int, int] = defaultdict(int)
    for user_id, outcome in rows:
        counted[user_id] += 1
        attended[user_id] += outcome == Seat.Outcome.ATTENDED
    return {pk: Reliability(attended[pk], counted[pk]) for pk in user_ids}


def pause_rule() -> str:
    return (
        f"Missing {settings.NO_SHOW_PAUSE_AFTER} sessions within "
        f"{settings.NO_SHOW_PAUSE_WINDOW_DAYS} days pauses matching for "
        f"{settings.NO_SHOW_PAUSE_DAYS} days. Cancelling less than "
        f"{settings.LATE_CANCEL_HOURS} hours before a session, or not joining within "
        f"{settings.NO_SHOW_MINUTES} minutes of its start, counts against your reliability."
    )


# --- Notifications, what is coming up ---------------------------------------------------------


def notifications_for(*, user: User, limit: int = 30) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user)
        .select_related("booking")
        .prefetch_related(Prefetch("booking__seats", queryset=seat_users()))
        .order_by("-created_at", "-id")[:limit]
    )


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def ratings_due(*, user: User, limit: int = 10) -> list[Interview]:
    """Completed peer interviews where the user was the candidate and has not yet rated the
    interviewer, newest first, with the interviewer's name."""
    return list(
        Interview.objects.filter(
            kind=Interview.Kind.PEER,
            status=Interview.Status.COMPLETED,
            participants__user=user,
            participants__role=Role.CANDIDATE,
            interviewer_rating__isnull=True,
        )
        .select_related("case_study")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.filter(role=Role.INTERVIEWER).select_related(
                    "user__profile"
                ),
                to_attr="interviewers",
            )
        )
        .order_by("-completed_at")[:limit]
    )


# --- How a member interviews (their own page) ---------------------------------------------------


@dataclass
class Interviewing:
    ratings: int = 0
    preparation: float | None = None
    hints: float | None = None
    fairness: float | None = None
    recent: list = field(default_factory=list)
    candidates: int = 0  # candidates the comparison covers
    shown: bool = False  # enough candidates to show it
    overall_delta: float | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)


def _ratings_into(stats: Interviewing, user: User) -> None:
    """The averages of the ratings the user got as an interviewer, and the latest notes."""
    summary = InterviewerRating.objects.filter(interviewer=user).aggregate(
        n=Count("id"),
        preparation=Avg("preparation"),
        hints=Avg("hints"),
        fairness=Avg("fairness"),
    )
    stats.ratings = summary["n"]
    stats.preparation, stats.hints, stats.fairness = (
        summary["preparation"],
        summary["hints"],
        summary["fairness"],
    )
    stats.recent = list(
        InterviewerRating.objects.filter(interviewer=user)
        .select_related("interview__case_study", "rater__profile")
        .order_by("-created_at")[:8]
    )


def _levels_given(user: User) -> tuple[list[dict], list[dict]] | None:
    """Sums of the levels given in completed peer interviews, per candidate and step: by the
    user, and by the other interviewers of the same candidates. None: the user scored nobody."""
    candidate_of = Participant.objects.filter(
        interview=OuterRef("interview"), role=Role.CANDIDATE
    ).values("user")[:1]
    interviewer_of = Participant.objects.filter(
        interview=OuterRef("interview"), role=Role.INTERVIEWER
    ).values("user")[:1]
    scored = Score.objects.filter(
        source=Score.Source.INTERVIEWER,
        level__isnull=False,
        interview__kind=Interview.Kind.PEER,
        interview__status=Interview.Status.COMPLETED,
    ).annotate(candidate=Subquery(candidate_of), interviewer=Subquery(interviewer_of))
    group = (
        "candidate",
        "criterion__framework_step__key",
        "criterion__framework_step__title",
        "criterion__framework_step__position",
    )
    mine = list(
        scored.filter(interviewer=user.pk)
        .values(*group)
        .annotate(total=Sum("level"), n=Count("id"))
        .order_by()
    )
    candidates = {row["candidate"] for row in mine if row["candidate"] is not None}
    if not candidates:
        return None
    others = list(
        scored.filter(candidate__in=candidates)
        .exclude(interviewer=user.pk)
        .values(*group)
        .annotate(total=Sum("level"), n=Count("id"))
        .order_by()
    )
    return mine, others


def _fold_levels(rows: list[dict]) -> tuple[dict, dict]:
    """(candidate -> [sum, count], step -> candidate -> [sum, count])."""
    by_candidate: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_step: dict[tuple, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        step = (
            row["criterion__framework_step__position"] or 99,
            row["criterion__framework_step__key"] or "",
            row["criterion__framework_step__title"] or "Across steps",
        )
        by_candidate[row["candidate"]][0] += row["total"]
        by_candidate[row["candidate"]][1] += row["n"]
        by_step[step][row["candidate"]][0] += row["total"]
        by_step[step][row["candidate"]][1] += row["n"]
    return by_candidate, by_step


def _mean_delta(mine_by: dict, theirs_by: dict, shared: list[int]) -> float | None:
    """The mean over the shared candidates of (the user's mean level - the others')."""
    deltas = [
        mine_by[c][0] / mine_by[c][1] - theirs_by[c][0] / theirs_by[c][1]
        for c in shared
        if c in mine_by and c in theirs_by
    ]
    return sum(deltas) / len(deltas) if deltas else None


def interviewing_of(*, user: User) -> Interviewing:
    """How the user's interviewing is rated (averages and recent notes), and how the user's
    scores compare with other interviewers' scores of the same candidates: for each candidate
    the difference of the mean levels, then the mean over candidates, overall and per step.
    Four queries, however many interviews there are."""
    stats = Interviewing()
    _ratings_into(stats, user)
    levels = _levels_given(user)
    if levels is None:
        return stats
    mine, others = levels
    my_candidates, my_steps = _fold_levels(mine)
    their_candidates, their_steps = _fold_levels(others)
    shared = sorted(set(my_candidates) & set(their_candidates))
    stats.candidates = len(shared)
    stats.shown = len(shared) >= CALIBRATION_MIN_CANDIDATES
    if not stats.shown:
        return stats
    stats.overall_delta = _mean_delta(my_candidates, their_candidates, shared)
    for step in sorted(set(my_steps) | set(their_steps)):
        delta = _mean_delta(my_steps.get(step, {}), their_steps.get(step, {}), shared)
        if delta is not None:
            stats.steps.append({"key": step[1], "title": step[2], "delta": delta})
    return stats


# --- Blocks, reports -----------------------------------------------------------------------------


def blocked_by(*, user: User) -> list[Block]:
    return list(Block.objects.filter(blocker=user).select_related("blocked__profile"))


def is_blocked(*, user: User, other_id: int) -> bool:
    return Block.objects.filter(blocker=user, blocked_id=other_id).exists()


def misconduct_reports(*, status: str | None = None, limit: int = 100) -> list[MisconductReport]:
    queryset = MisconductReport.objects.select_related(
        "reporter__profile",
        "reported__profile",
        "reported__partner_member",
        "reviewed_by__profile",
        "booking",
    )
    if status:
        queryset = queryset.filter(status=status)
    return list(queryset.order_by("status", "-created_at")[:limit])


# --- The matching pool ----------------------------------------------------------------------------


@dataclass
class Pool:
    requests: list[matching.Request]
    cases: list[matching.Case]
    blocks: frozenset[tuple[int, int]]
    revisions: dict[int, int]  # request id -> the revision read

    def by_member(self, member: int) -> matching.Request | None:
        return next((r for r in self.requests if r.member == member), None)


def practised_cases(*, user_ids: list[int]) -> dict[int, set[int]]:
    """Cases each user has practised or has booked, in either role (an interviewer has read the
    guide): every interview except abandoned ones and drills never started."""
    rows = (
        Participant.objects.filter(user_id__in=user_ids)
        .exclude(interview__status=Interview.Status.ABANDONED)
        .exclude(interview__kind=Interview.Kind.SOLO, interview__status=Interview.Status.SCHEDULED)
        .values_list("user_id", "interview__case_study_id")
    )
    done: dict[int, set[int]] = defaultdict(set)
    for user_id, case_id in rows:
        done[user_id].add(case_id)
    return done


def matching_pool(
    *, now: datetime, earliest: datetime, member_ids: list[int] | None = None
) -> Pool:
    """The open requests of members who may be matched now (active, not suspended, not paused)
    with a slot ending after ``earliest``, as the matching function's plain data. A fixed
    number of queries, whatever the size of the pool."""
    requests = (
        PracticeRequest.objects.filter(
            status=PracticeRequest.Status.OPEN,
            user__is_active=True,
            slots__ends_at__gt=earliest,
        )
        .exclude(user__partner_member__suspended_at__isnull=False)
        .exclude(user__partner_member__paused_until__gt=now)
        .distinct()
        .select_related("user__partner_member")
        .prefetch_related(
            Prefetch("slots", queryset=RequestSlot.objects.filter(ends_at__gt=earliest)),
            "avoid_cases",
        )
    )
    if member_ids is not None:
        requests = requests.filter(user_id__in=member_ids)
    rows = list(requests)
    ids = [r.user_id for r in rows]
    done = practised_cases(user_ids=ids)
    blocks = frozenset(
        Block.objects.filter(Q(blocker_id__in=ids) | Q(blocked_id__in=ids)).values_list(
            "blocker_id", "blocked_id"
        )
    )
    busy: dict[int, list[matching.Window]] = defaultdict(list)
    for user_id, starts_at, minutes in Seat.objects.filter(
        user_id__in=ids,
        booking__status__in=Booking.UPCOMING,
        booking__starts_at__gt=now - timedelta(minutes=90),
    ).values_list("user_id", "booking__starts_at", "booking__minutes"):
        busy[user_id].append(matching.Window(starts_at, starts_at + timedelta(minutes=minutes)))
    partner = Seat.objects.filter(booking=OuterRef("booking")).exclude(user=OuterRef("user"))
    last_partner = dict(
        Seat.objects.filter(user_id__in=ids)
        .annotate(
            partner=Subquery(partner.values("user")[:1]),
            n=Window(
                RowNumber(),
                partition_by=[F("user_id")],
                order_by=[F("booking__created_at").desc(), F("id").desc()],
            ),
        )
        .filter(n=1)
        .values_list("user_id", "partner")
    )
    pool = []
    for row in rows:
        member = getattr(row.user, "partner_member", None)
        avoided = {case.pk for case in row.avoid_cases.all()}
        pool.append(
            matching.Request(
                id=row.pk,
                member=row.user_id,
                roles=row.roles,
                level=row.target_level,
                minutes=row.minutes,
                slots=tuple(matching.Window(s.starts_at, s.ends_at) for s in row.slots.all()),
                waiting_since=row.created_at,
                cohort=member.cohort_id if member else None,
                across=member.match_across_cohorts if member else False,
                done_cases=frozenset(done.get(row.user_id, set()) | avoided),
                avoid_domains=frozenset(row.avoid_domains or ()),
                busy=tuple(busy.get(row.user_id, ())),
                last_partner=last_partner.get(row.user_id),
            )
        )
    return Pool(pool, published_cases(), blocks, {row.pk: row.revision for row in rows})


def published_cases() -> list[matching.Case]:
    return [
        matching.Case(pk, domain, difficulty)
        for pk, domain, difficulty in CaseStudy.objects.published()
        .order_by("pk")
        .values_list("pk", "domain", "difficulty")
    ]

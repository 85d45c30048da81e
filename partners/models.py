"""Finding a partner: cohorts and invite codes, members' matching settings, practice requests
and their slots, bookings (a proposed match, then one or two interviews), notifications,
ratings of interviewers, blocks and misconduct reports.

Times are stored in UTC; each member's time zone (``Member.time_zone``) is used to read and
show them. State changes go through ``services`` by compare-and-set and are recorded as
``BookingEvent`` rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from casestudies.models import CaseStudy
from interviews.models import Interview
from rubrics.models import TargetLevel


class Cohort(models.Model):
    """A group that practises together: a bootcamp, a study group, a company's ML guild."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InviteCode(models.Model):
    """A code that lets someone sign up (when the instance requires one) and puts them in its
    cohort. Uses are counted by compare-and-set, so a code for ten people admits ten."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=40, unique=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)  # null: no limit
    uses = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code


class Member(models.Model):
    """A person's settings for finding partners; made on their first request or settings
    change (until then ``selectors.member_for`` gives an unsaved default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_member"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    match_across_cohorts = models.BooleanField(default=False)
    # Set when repeated no-shows pause matching (bookings.no_shows_mark states the rule).
    paused_until = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suspension_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Member {self.user_id}"


class Roles(models.TextChoices):
    SWAP = "swap", "Both roles (swap)"
    CANDIDATE = "candidate", "Candidate only"
    INTERVIEWER = "interviewer", "Interviewer only"


class PracticeRequest(models.Model):
    """What a member offers: slots, roles, level, length, and what to avoid. A member has at
    most one active request (open or matched) at a time."""

    class Status(models.TextChoices):
        OPEN = "open", "Looking for a partner"
        MATCHED = "matched", "Match proposed"
        BOOKED = "booked", "Booked"
        WITHDRAWN = "withdrawn", "Withdrawn"
        LAPSED = "lapsed", "Lapsed"  # every slot passed unmatched

    ACTIVE = (Status.OPEN, Status.MATCHED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    roles = models.CharField(max_length=12, choices=Roles.choices, default=Roles.SWAP)
    target_level = models.CharField(max_length=10, choices=TargetLevel.choices)
    minutes = models.PositiveSmallIntegerField(default=60)
    avoid_domains = models.JSONField(default=list, blank=True)
    avoid_cases = models.ManyToManyField(CaseStudy, blank=True, related_name="+")
    # Bumped by every edit: the matcher claims a request only at the revision it read.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)  # waiting since
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["open", "matched"]),
                name="one_active_request_per_member",
            ),
            models.CheckConstraint(condition=Q(minutes__in=[60, 90]), name="request_minutes"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Request {self.pk} ({self.status})"


class RequestSlot(models.Model):
    """A time the member is free: ``[starts_at, ends_at)``, in UTC, as long as the request's
    length."""

    request = models.ForeignKey(PracticeRequest, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} UTC"


class Booking(models.Model):
    """Two members at one time: proposed by the matcher, confirmed by both (then its interviews
    exist), and after the start held, or closed by a no-show; or declined, expired, cancelled."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for both to confirm"
        CONFIRMED = "confirmed", "Confirmed"
        HELD = "held", "Held"
        NO_SHOW = "no_show", "Partner did not come"
        MISSED = "missed", "Nobody came"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired unconfirmed"
        CANCELLED = "cancelled", "Cancelled"

    UPCOMING = (Status.PROPOSED, Status.CONFIRMED)

    class Kind(models.TextChoices):
        SWAP = "swap", "Swap"
        SINGLE = "single", "One interview"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()  # confirm by
    first_case = models.ForeignKey(
        CaseStudy, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    second_case = models.ForeignKey(
        CaseStudy, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    first_interview = models.OneToOneField(
        Interview, null=True, blank=True, on_delete=models.SET_NULL, related_name="booking_first"
    )
    second_interview = models.OneToOneField(
        Interview, null=True, blank=True, on_delete=models.SET_NULL, related_name="booking_second"
    )
    rematch_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rematches"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"Booking {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("partners:booking", kwargs={"booking_id": self.pk})

    @property
    def is_swap(self) -> bool:
        return self.kind == self.Kind.SWAP


class Seat(models.Model):
    """One member's place in a booking: their request, their role in the first interview,
    their confirmation and, after the start, the outcome that reliability counts."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "Did not come"
        LATE_CANCEL = "late_cancel", "Cancelled late"
        EXCUSED = "excused", "Not counted"  # early cancel, decline, expiry, the partner's doing

    COUNTED = (Outcome.ATTENDED, Outcome.NO_SHOW, Outcome.LATE_CANCEL)

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        PracticeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="seats"
    )
    first_role = models.CharField(max_length=12)  # "candidate" or "interviewer"
    level = models.CharField(max_length=10, choices=TargetLevel.choices)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "user"], name="one_seat_per_member"),
        ]
        indexes = [models.Index(fields=["user", "outcome"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.booking_id}"


class BookingEvent(models.Model):
    """The append-only history of a booking: every change of status and seat, who did it."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=30)
    old = models.CharField(max_length=20, blank=True)
    new = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.old} → {self.new}"


class Notification(models.Model):
    """Something a member should know, shown in the app and e-mailed (with an ``.ics``). One
    per member, booking and kind: the unique key makes sending a reminder idempotent."""

    class Kind(models.TextChoices):
        PROPOSED = "proposed", "Match proposed"
        CONFIRMED = "confirmed", "Booking confirmed"
        REMINDER_DAY = "reminder_day", "Reminder: tomorrow"
        REMINDER_SOON = "reminder_soon", "Reminder: starting soon"
        DECLINED = "declined", "Match declined"
        EXPIRED = "expired", "Match expired"
        CANCELLED = "cancelled", "Booking cancelled"
        NO_SHOW = "no_show", "Partner did not come"
        MISSED = "missed", "Missed session"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_notifications"
    )
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "booking", "kind"], name="one_notification_per_kind"
            )
        ]
        indexes = [models.Index(fields=["emailed_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class InterviewerRating(models.Model):
    """The candidate's rating of their interviewer, after the interview (1-4 on each)."""

    interview = models.OneToOneField(
        Interview, on_delete=models.CASCADE, related_name="interviewer_rating"
    )
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings_received"
    )
    preparation = models.PositiveSmallIntegerField()
    hints = models.PositiveSmallIntegerField()  # clarity of hints
    fairness = models.PositiveSmallIntegerField()  # fairness of scores
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(preparation__gte=1, preparation__lte=4)
                & Q(hints__gte=1, hints__lte=4)
                & Q(fairness__gte=1, fairness__lte=4),
                name="rating_range",
            )
        ]

    def __str__(self) -> str:
        return f"Rating of {self.interviewer_id} in {self.interview_id}"


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_blocks"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=models.F("blocked")), name="no_self_block"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class MisconductReport(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REVIEWED = "reviewed", "Reviewed"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reported = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="misconduct_reports"
    )
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("moderate_members", "Can review misconduct and suspend members")]

    def __str__(self) -> str:
        return f"Report on {self.reported_id}"

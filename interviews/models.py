"""Interviews: people, live sessions, their timeline, documents, scores and reports."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from casestudies.models import CaseStudy, Framework
from rubrics.models import Criterion, Rubric, TargetLevel


class Role(models.TextChoices):
    INTERVIEWER = "interviewer", "Interviewer"
    CANDIDATE = "candidate", "Candidate"


class Interview(models.Model):
    """One mock interview (two peers) or one solo drill (a candidate alone)."""

    class Kind(models.TextChoices):
        PEER = "peer", "Peer interview"
        SOLO = "solo", "Solo drill"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        WRAPUP = "wrapup", "Wrap-up"
        COMPLETED = "completed", "Completed"
        ABANDONED = "abandoned", "Abandoned"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PEER)
    case_study = models.ForeignKey(CaseStudy, on_delete=models.PROTECT, related_name="interviews")
    case_version = models.PositiveIntegerField()
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="interviews")
    # The steps the session walks through: the case's framework, or one based on it (the book
    # layout), picked at creation. Null on sessions from before the choice: the case's.
    # Read through ``selectors.plan_of``, never directly.
    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_level = models.CharField(max_length=10, choices=TargetLevel.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    # Index into the framework's ordered steps. Changed only by compare-and-set in services.
    step_index = models.PositiveSmallIntegerField(default=0)
    # The clock: seconds spent per step key so far, plus when the running clock last started
    # (null while paused or not live). Time now = elapsed + (now - clock_started_at).
    elapsed = models.JSONField(default=dict, blank=True)
    clock_started_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    revealed_steps = models.JSONField(default=list, blank=True)  # solo drill
    # For teams that talk in their own meeting tool instead of the room's call: an https link
    # shown to both (services.call_link_clean). Set when creating, changed until the start.
    call_link = models.URLField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "ended_at"])]
        # Seeing an interview one is not in (its scores, private notes, feedback) is a role of
        # its own, apart from curating the bank: the "Session reviewers" group has it, and
        # every such read is logged (feedback.models.PrivateRead).
        permissions = [
            ("view_private", "Can read the private notes and scores of any interview"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.case_study} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("room", kwargs={"interview_id": self.pk})

    @property
    def is_solo(self) -> bool:
        return self.kind == self.Kind.SOLO

    @property
    def noun(self) -> str:
        """What pages and messages call it: a drill is not an interview."""
        return "drill" if self.is_solo else "interview"


class Participant(models.Model):
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "role"], name="one_user_per_role"),
            models.UniqueConstraint(fields=["interview", "user"], name="one_role_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"


class Invite(models.Model):
    """The link that lets the peer join in the other role: unguessable, expires, works once."""

    interview = models.OneToOneField(Interview, on_delete=models.CASCADE, related_name="invite")
    token = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=12, choices=Role.choices)  # the role the peer gets
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Invite to {self.interview_id}"


class Event(models.Model):
    """The append-only timeline of an interview: every join, transition, hint, score and
    revision. Rows are only ever inserted (services.event_record). Ordered by id."""

    class Visibility(models.TextChoices):
        ALL = "all", "Both participants"
        INTERVIEWER = "interviewer", "Interviewer only"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    step_key = models.CharField(max_length=40, blank=True)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.ALL)
    # For transitions: {"old": ..., "new": ...}; otherwise what the event needs to replay.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["interview", "kind"])]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind}"


class Document(models.Model):
    """The plain text of one part of a shared document, as of the last write-behind flush: the
    candidate's notes for a step (slot ``notes:<step>``), the diagram (``diagram``) or the
    interviewer's private notes (``private``). Pages and reports read these; the documents
    themselves are CRDTs (``DocumentUpdate``, ``DocumentState``), and this text is derived from
    them by the room (interviews/writebehind.py). ``revision`` counts the flushes that changed
    it."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="documents")
    slot = models.CharField(max_length=60)
    private = models.BooleanField(default=False)
    text = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "slot"], name="one_document_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.slot} r{self.revision}"


class DocumentUpdate(models.Model):
    """One write-behind flush of one shared document: the Yjs updates that the sockets of one
    server process sent for it in that window, merged. Append-only: the document's history,
    which the timeline replays. (interviews/crdt.py, interviews/writebehind.py)"""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="updates")
    doc = models.CharField(max_length=12)  # notes, diagram, board, private
    data = models.BinaryField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["interview", "doc", "at"])]

    def __str__(self) -> str:
        return f"{self.doc} update at {self.at:%H:%M:%S}"


class DocumentState(models.Model):
    """A shared document folded into one update now and then, so that loading it does not
    replay every flush: the state plus the updates from shortly before ``at`` (merging is
    idempotent, so the overlap is harmless and covers another process's late flush)."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="states")
    doc = models.CharField(max_length=12)
    state = models.BinaryField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "doc"], name="one_state_per_document")
        ]

    def __str__(self) -> str:
        return f"{self.doc} state at {self.at:%H:%M:%S}"


class BoardImage(models.Model):
    """The shared board as a picture, for the report and its PDF: a PNG the browser exports from
    the board and the server checks and re-encodes (interviews/boardimage.py). One per interview,
    replaced as the board changes; the last one sent before the wrap-up is the final board."""

    interview = models.OneToOneField(
        Interview, on_delete=models.CASCADE, related_name="board_image"
    )
    png = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"board image {self.width}×{self.height}"


class ChatMessage(models.Model):
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="chat")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    at = models.DateTimeField(auto_now_add=True)
    # The sender's id for the message: a resend after a reconnect is recognised, not repeated.
    # Null, not "", for messages from before ids: the unique constraint ignores nulls.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "client_id"], name="chat_sent_once")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Delivery(models.Model):
    """A hint or curveball the interviewer sent to the candidate (a snapshot of its text)."""

    class Kind(models.TextChoices):
        HINT = "hint", "Hint"
        CURVEBALL = "curveball", "Curveball"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="deliveries")
    step_key = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    index = models.PositiveSmallIntegerField()
    text = models.TextField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "step_key", "kind", "index"], name="deliver_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.index + 1} of {self.step_key}"


class Score(models.Model):
    """One criterion scored by one side: the interviewer live and at wrap-up, or the candidate
    assessing themselves. ``level`` is 1-4; ``not_observed`` marks a criterion the interview
    never reached; neither means not scored yet."""

    class Source(models.TextChoices):
        INTERVIEWER = "interviewer", "Interviewer"
        SELF = "self", "Self-assessment"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=12, choices=Source.choices)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    not_observed = models.BooleanField(default=False)
    evidence = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "criterion", "source"], name="one_score_per_side"
            ),
            models.CheckConstraint(
                condition=models.Q(level__isnull=True) | models.Q(level__gte=1, level__lte=4),
                name="score_level_range",
            ),
            models.CheckConstraint(
                condition=~(models.Q(level__isnull=False) & models.Q(not_observed=True)),
                name="score_level_or_not_observed",
            ),
        ]

    def __str__(self) -> str:
        level = "not observed" if self.not_observed else self.level
        return f"{self.criterion_id} by {self.source}: {level}"


class Mark(models.Model):
    """One mark on the case's concept checklist or on one of its red flags, by one side: the
    interviewer live and at wrap-up, or the candidate ticking the checklist for themselves in
    the self-assessment. Upserted on (interview, source, kind, key); an empty ``value`` clears
    it. A red flag's text and whether it is critical are kept as they were when it was marked
    (the case may be edited later), like a delivery's text."""

    class Kind(models.TextChoices):
        CONCEPT = "concept", "Checklist concept"
        FLAG = "flag", "Red flag"

    # rubrics.scoring.CHECKLIST_MARKS
    CONCEPT_VALUES: tuple[str, ...] = ("unprompted", "hinted", "missed")
    FLAG_VALUES: tuple[str, ...] = ("observed",)

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="marks")
    source = models.CharField(max_length=12, choices=Score.Source.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # A concept's key in the case's checklist; a red flag's "<step key>:<index>" in its step.
    key = models.CharField(max_length=80)
    value = models.CharField(max_length=12, blank=True)
    step_key = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)  # a red flag's text
    critical = models.BooleanField(default=False)  # a critical red flag: a knock-out
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "source", "kind", "key"], name="one_mark_per_side"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} by {self.source}: {self.value or 'cleared'}"


class Assessment(models.Model):
    """A side's wrap-up: the candidate's self-assessment or the interviewer's scorecard."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="assessments")
    source = models.CharField(max_length=12, choices=Score.Source.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reflection = models.TextField(blank=True)  # the candidate's
    strengths = models.TextField(blank=True)  # the interviewer's
    improvements = models.TextField(blank=True)  # the interviewer's
    skipped = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "source"], name="one_assessment_per_side")
        ]

    def __str__(self) -> str:
        return f"{self.source} assessment of {self.interview_id}"


class Report(models.Model):
    """The compiled feedback report. One per interview (the unique key makes compiling
    idempotent); the worker claims it by compare-and-set on ``status``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Compiling"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    interview = models.OneToOneField(Interview, on_delete=models.CASCADE, related_name="report")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    markdown = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    compiled_at = models.DateTimeField(null=True, blank=True)
    # The last attempt to hand the report to the workers failed (the broker did not answer):
    # when, and why. Cleared once a later attempt gets through (feedback.services).
    enqueue_failed_at = models.DateTimeField(null=True, blank=True)
    enqueue_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Report {self.interview_id} ({self.status})"


class WrapupDraft(models.Model):
    """A side's wrap-up form as it stands before it is submitted, saved as the person goes
    (feedback.services.wrapup_draft_save): field name -> value, exactly as the form posts it
    (``level-<criterion>``, ``note-<criterion>``, ``concept-<key>``, ``flag-<key>``, the
    reflection or the feedback). A reload fills the form from it. Each side's draft is its own:
    the candidate's page never reads the interviewer's (the self-assessment stays blind).
    ``revision`` counts the saves; a save names the revision it was based on."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="drafts")
    source = models.CharField(max_length=12, choices=Score.Source.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fields = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "source"], name="one_draft_per_side")
        ]

    def __str__(self) -> str:
        return f"{self.source} draft of {self.interview_id} r{self.revision}"

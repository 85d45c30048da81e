"""Every write of what happens after the interview: the candidate's self-assessment, the
interviewer's scorecard, completing the interview, and the feedback report's pipeline (request,
compile, retry, the periodic sweep).

The candidate assesses themselves blind: nothing here or in the wrap-up view hands them the
interviewer's scores before their own assessment is in (or skipped). The interview completes
when both sides are in (a drill: when the candidate is), or at the deadline with whatever is
in; completing requests the report, which a Celery task compiles (feedback/tasks.py).
"""

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.types import User
from interviews import flow, writebehind
from interviews import selectors as room_selectors
from interviews.errors import ServiceError
from interviews.events import EventKind, event_record
from interviews.flow import Action
from interviews.models import Assessment, Interview, Mark, Report, Role, Score, WrapupDraft
from interviews.protocol import MAX_EVIDENCE_CHARS, ErrorCode
from interviews.services import Actor
from rubrics.models import Criterion
from rubrics.scoring import NOT_OBSERVED

from . import report_render, reports
from .models import PrivateRead

log = logging.getLogger(__name__)

Levels = Mapping[str, int | str | None]  # criterion key -> 1-4, "not_observed", or None
MAX_FEEDBACK_CHARS = 10_000
# A pending report older than this is enqueued again by the sweep (its message may be lost).
REPORT_REQUEUE_AFTER = timedelta(minutes=10)


def _wrapup_lock(actor: Actor) -> Interview:
    """The interview, locked: both sides' submissions serialise on this row, so exactly one
    of them sees the other's in and completes the interview."""
    return (
        Interview.objects.select_for_update(of=("self",))
        .select_related("case_study__framework")
        .get(pk=actor.interview_id)
    )


def _rubric_criteria(interview: Interview) -> list[Criterion]:
    return list(
        Criterion.objects.filter(rubric_id=interview.rubric_id).select_related("framework_step")
    )


def _levels_check(
    criteria: list[Criterion], levels: Levels, texts: Mapping[str, str], *, need_text: str
) -> dict[str, str]:
    """Per-criterion problems: every criterion needs a level or "not observed", and with
    ``need_text`` (what to call it) a written note. Empty when all is well."""
    errors: dict[str, str] = {}
    keys = {c.key for c in criteria}
    for key in sorted(set(levels) - keys):
        errors[key] = f"There is no criterion {key!r} in this rubric."
    for c in criteria:
        value = levels.get(c.key)
        if value in (None, ""):
            errors[c.key] = f"{c.title}: choose a level, or “not observed”."
        elif value != NOT_OBSERVED and value not in (1, 2, 3, 4):
            errors[c.key] = f"{c.title}: a level is 1, 2, 3 or 4."
        elif need_text and not (texts.get(c.key) or "").strip():
            errors[c.key] = f"{c.title}: write the {need_text} behind this score."
        elif len(texts.get(c.key) or "") > MAX_EVIDENCE_CHARS:
            errors[c.key] = f"{c.title}: keep it under {MAX_EVIDENCE_CHARS} characters."
    return errors


def _stored_level(value: int | str | None) -> int | None:
    """A checked level as stored: None for "not observed"; ``_scores_check`` refused the rest."""
    if value == NOT_OBSERVED:
        return None
    assert value is not None, "levels are checked before they are written"
    return int(value)


def _scores_write(
    interview: Interview,
    criteria: list[Criterion],
    levels: Levels,
    texts: Mapping[str, str],
    source: str,
) -> None:
    """Upsert one side's score for every criterion in one statement."""
    rows = [
        Score(
            interview=interview,
            criterion=c,
            source=source,
            level=_stored_level(levels[c.key]),
            not_observed=levels[c.key] == NOT_OBSERVED,
            evidence=(texts.get(c.key) or "").strip(),
        )
        for c in criteria
    ]
    Score.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["interview", "criterion", "source"],
        update_fields=["level", "not_observed", "evidence", "updated_at"],
    )


@dataclass(frozen=True)
class _Marks:
    """What a wrap-up's marks may name: the case's checklist and its red flags."""

    checklist: dict[str, str]  # concept key -> concept
    flags: dict[str, tuple[str, str, bool]]  # red flag key -> (step key, text, critical)


def _marks_check(
    interview: Interview, concepts: Mapping[str, str], flags: Mapping[str, bool]
) -> tuple[_Marks, dict[str, str]]:
    """The case's checklist and red flags, and a problem per mark that names neither or has a
    value a mark cannot have (keyed by the form field)."""
    known = _Marks(
        checklist={
            item["key"]: str(item.get("concept", ""))
            for item in interview.case_study.checklist
            if isinstance(item, dict) and item.get("key")
        },
        flags=room_selectors.red_flags(room_selectors.case_steps(interview)) if flags else {},
    )
    errors: dict[str, str] = {}
    for key, value in concepts.items():
        if key not in known.checklist:
            errors[f"concept-{key}"] = f"The case's checklist has no concept {key!r}."
        elif value not in ("", *Mark.CONCEPT_VALUES):
            errors[f"concept-{key}"] = "A concept is raised unprompted, after a hint, or missed."
    for key in flags:
        if key not in known.flags:
            errors[f"flag-{key}"] = f"The case has no red flag {key!r}."
    return known, errors


def _marks_write(
    interview: Interview,
    known: _Marks,
    *,
    source: str,
    actor: User,
    concepts: Mapping[str, str],
    flags: Mapping[str, bool],
) -> None:
    """Upsert one side's marks, through the write-behind's ``persist`` as the room does (the
    rows and their timeline events); a mark that did not change is not written again."""
    current = {
        (kind, key): value
        for kind, key, value in Mark.objects.filter(interview=interview, source=source).values_list(
            "kind", "key", "value"
        )
    }
    batch, now = writebehind.Batch(), timezone.now()
    for key, value in concepts.items():
        if current.get((Mark.Kind.CONCEPT, key), "") != value:
            batch.mark(
                interview.pk,
                (Mark.Kind.CONCEPT, key, value),
                actor.pk,
                now,
                source=source,
                label=known.checklist[key],
            )
    for key, observed in flags.items():
        value = "observed" if observed else ""
        if current.get((Mark.Kind.FLAG, key), "") != value:
            step_key, text, critical = known.flags[key]
            batch.mark(
                interview.pk,
                (Mark.Kind.FLAG, key, value),
                actor.pk,
                now,
                source=source,
                step_key=step_key,
                label=text,
                critical=critical,
            )
    writebehind.persist(batch)


def _wrapup_open(interview: Interview, actor: Actor, action: Action) -> None:
    """Refuse unless the actor's role may submit ``action`` now (the rule table)."""
    try:
        flow.check(actor.role, action, solo=actor.solo)
    except flow.FlowError as exc:
        raise ServiceError(exc.code, exc.message) from None
    if interview.status != Interview.Status.WRAPUP:
        raise ServiceError(
            ErrorCode.INVALID_STATE,
            "The wrap-up is over: the report has been compiled."
            if interview.status == Interview.Status.COMPLETED
            else f"There is no wrap-up while the interview is {interview.status}.",
        )


@transaction.atomic
def assessment_submit(
    *,
    actor: Actor,
    levels: Levels | None = None,
    notes: Mapping[str, str] | None = None,
    reflection: str = "",
    skipped: bool = False,
    concepts: Mapping[str, str] | None = None,
) -> Assessment:
    """The candidate's self-assessment: a level or "not observed" for every criterion, an
    optional note each and a reflection, and their own ticks of the case's concept checklist
    (``concepts``: key -> unprompted, hinted, missed or ""), or ``skipped`` (peer interviews
    only). Submitted once. In a solo drill this completes the drill and requests the report,
    whose checklist is these ticks."""
    interview = _wrapup_lock(actor)
    _wrapup_open(interview, actor, Action.SELF_ASSESS)
    if Assessment.objects.filter(
        interview=interview, source=Score.Source.SELF, submitted_at__isnull=False
    ).exists():
        raise ServiceError(ErrorCode.INVALID_STATE, "Your self-assessment is already in.")
    if skipped and interview.is_solo:
        raise ServiceError(
            ErrorCode.INVALID_STATE, "A drill's report is built from your self-assessment."
        )
    levels, notes = dict(levels or {}), dict(notes or {})
    if len(reflection) > MAX_FEEDBACK_CHARS:
        raise ServiceError(
            ErrorCode.BAD_MESSAGE,
            "The reflection is too long.",
            errors={"reflection": f"Keep it under {MAX_FEEDBACK_CHARS} characters."},
        )
    if not skipped:
        criteria = _rubric_criteria(interview)
        errors = _levels_check(criteria, levels, notes, need_text="")
        known, mark_errors = _marks_check(interview, dict(concepts or {}), {})
        errors.update(mark_errors)
        if errors:
            raise ServiceError(
                ErrorCode.BAD_MESSAGE,
                f"{len(errors)} item{'' if len(errors) == 1 else 's'} "
                f"need{'s' if len(errors) == 1 else ''} attention.",
                errors=errors,
            )
        _scores_write(interview, criteria, levels, notes, Score.Source.SELF)
        _marks_write(
            interview,
            known,
            source=Score.Source.SELF,
            actor=actor.user,
            concepts=dict(concepts or {}),
            flags={},
        )
    WrapupDraft.objects.filter(interview=interview, source=Score.Source.SELF).delete()
    assessment, _ = Assessment.objects.update_or_create(
        interview=interview,
        source=Score.Source.SELF,
        defaults={
            "author": actor.user,
            "reflection": "" if skipped else reflection.strip(),
            "skipped": skipped,
            "submitted_at": timezone.now(),
        },
    )
    event_record(
        interview_id=interview.pk,
        kind=EventKind.ASSESSMENT_SUBMITTED,
        actor=actor.user,
        source=Score.Source.SELF,
        skipped=skipped,
        levels={} if skipped else levels,
    )
    _complete_when_ready(interview, actor.user)
    return assessment


@transaction.atomic
def scorecard_finalise(
    *,
    actor: Actor,
    levels: Levels,
    evidence: Mapping[str, str],
    strengths: str,
    improvements: str,
    concepts: Mapping[str, str] | None = None,
    flags: Mapping[str, bool] | None = None,
) -> Assessment:
    """The interviewer's final scorecard: every criterion scored or marked "not observed",
    each with its evidence, and written feedback; and, as given, the concept checklist
    (``concepts``: key -> unprompted, hinted, missed or "") and the red flags observed
    (``flags``: key -> observed), which replace the live marks they name. Refused with a
    message per item otherwise. Finalised once."""
    interview = _wrapup_lock(actor)
    _wrapup_open(interview, actor, Action.SCORECARD)
    if Assessment.objects.filter(
        interview=interview, source=Score.Source.INTERVIEWER, submitted_at__isnull=False
    ).exists():
        raise ServiceError(ErrorCode.INVALID_STATE, "The scorecard is already finalised.")
    criteria = _rubric_criteria(interview)
    errors = _levels_check(criteria, levels, evidence, need_text="evidence")
    concepts, flags = dict(concepts or {}), dict(flags or {})
    known, mark_errors = _marks_check(interview, concepts, flags)
    errors.update(mark_errors)
    for name, text, what in (
        ("strengths", strengths, "what went well"),
        ("improvements", improvements, "what to improve"),
    ):
        if not text.strip():
            errors[name] = f"Write {what}: the candidate takes this home."
        elif len(text) > MAX_FEEDBACK_CHARS:
            errors[name] = f"Keep it under {MAX_FEEDBACK_CHARS} characters."
    if errors:
        raise ServiceError(
            ErrorCode.BAD_MESSAGE,
            f"{len(errors)} item{'' if len(errors) == 1 else 's'} of the scorecard "
            f"need{'s' if len(errors) == 1 else ''} attention.",
            errors=errors,
        )
    _scores_write(interview, criteria, levels, evidence, Score.Source.INTERVIEWER)
    _marks_write(
        interview,
        known,
        source=Score.Source.INTERVIEWER,
        actor=actor.user,
        concepts=concepts,
        flags=flags,
    )
    WrapupDraft.objects.filter(interview=interview, source=Score.Source.INTERVIEWER).delete()
    assessment, _ = Assessment.objects.update_or_create(
        interview=interview,
        source=Score.Source.INTERVIEWER,
        defaults={
            "author": actor.user,
            "strengths": strengths.strip(),
            "improvements": improvements.strip(),
            "submitted_at": timezone.now(),
        },
    )
    event_record(
        interview_id=interview.pk,
        kind=EventKind.ASSESSMENT_SUBMITTED,
        actor=actor.user,
        private=True,  # carries the interviewer's scores: never in the candidate's timeline
        source=Score.Source.INTERVIEWER,
        levels=dict(levels),
    )
    _complete_when_ready(interview, actor.user)
    return assessment


@transaction.atomic
def wrapup_draft_save(
    *, actor: Actor, fields: Mapping[str, str], clear: tuple[str, ...] = ()
) -> WrapupDraft:
    """Keep a side's wrap-up form as it stands, before it is submitted: ``fields`` (form field
    name -> value, checked by the caller's form) are merged into the draft, ``clear`` names
    fields to empty (a red flag unticked: an unticked box is not posted). Refused once that
    side has submitted or the wrap-up is over. Each save counts a revision."""
    interview = Interview.objects.get(pk=actor.interview_id)
    candidate = actor.role == Role.CANDIDATE
    _wrapup_open(interview, actor, Action.SELF_ASSESS if candidate else Action.SCORECARD)
    source = Score.Source.SELF if candidate else Score.Source.INTERVIEWER
    if Assessment.objects.filter(
        interview=interview, source=source, submitted_at__isnull=False
    ).exists():
        raise ServiceError(
            ErrorCode.INVALID_STATE,
            "Your self-assessment is already in."
            if candidate
            else "The scorecard is already finalised.",
        )
    draft, _ = WrapupDraft.objects.select_for_update().get_or_create(
        interview=interview, source=source, defaults={"author": actor.user}
    )
    merged = {**draft.fields, **{name: str(value) for name, value in fields.items()}}
    merged.update(dict.fromkeys(clear, ""))
    draft.fields, draft.revision, draft.author = merged, draft.revision + 1, actor.user
    draft.save(update_fields=["fields", "revision", "author", "updated_at"])
    return draft


def _complete_when_ready(interview: Interview, user: User) -> None:
    """Call with the interview row locked (``_wrapup_lock``)."""
    needed = {Score.Source.SELF} if interview.is_solo else set(Score.Source.values)
    submitted = set(
        Assessment.objects.filter(interview=interview, submitted_at__isnull=False).values_list(
            "source", flat=True
        )
    )
    if needed <= submitted:
        interview_complete(interview_id=interview.pk, actor=user, reason="assessments")


@transaction.atomic
def interview_complete(*, interview_id: UUID, reason: str, actor: User | None = None) -> bool:
    """Wrap-up → completed, by compare-and-set; requests the report. False if the interview
    was not in its wrap-up (already completed by the other side or the sweep)."""
    now = timezone.now()
    matched = Interview.objects.filter(pk=interview_id, status=Interview.Status.WRAPUP).update(
        status=flow.next_status(Interview.Status.WRAPUP, "complete"), completed_at=now
    )
    if not matched:
        return False
    event_record(
        interview_id=interview_id,
        kind=EventKind.STATUS,
        actor=actor,
        old=Interview.Status.WRAPUP,
        new=Interview.Status.COMPLETED,
        reason=reason,
    )
    report_request(interview_id=interview_id)
    return True


# Handing a report to the workers happens in a thread of its own, after commit: the request
# that finished a wrap-up never waits on the broker. One thread keeps the order and bounds the
# connections; a publish that fails is recorded on the report and sent again by the beat
# (reports_requeue, every REPORT_REQUEUE_SECONDS), so it waits for Redis to come back, not for
# the ten-minute sweep.
_enqueuer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-enqueue")


def _enqueue_compile(report_id: int) -> None:
    """Hand a report to the workers once the transaction commits, off the request's path.

    What the user just did is committed when this runs, so nothing here turns into an error
    page. With tasks eager (no broker: the embedded defaults, most tests) the report compiles
    in process at once, as before; a failure is logged and the report is marked failed.
    """

    def send() -> None:
        from . import (
            tasks,  # Celery is loaded only where reports are requested
        )

        if tasks.compile_report.app.conf.task_always_eager:
            try:
                tasks.compile_report.delay(report_id)
            except Exception:
                log.exception("report %s: compiling in process failed", report_id)
            return
        _enqueuer.submit(_publish_in_thread, report_id)

    transaction.on_commit(send)


def _publish_in_thread(report_id: int) -> None:
    try:
        report_publish(report_id=report_id)
    finally:
        connections.close_all()  # this thread's own connection


def report_publish(*, report_id: int) -> bool:
    """Put the compile task of a report on the broker now, without retrying (the settings keep
    the connect timeout short). A failure is recorded on the report (``enqueue_failed_at``,
    ``enqueue_error``) for ``reports_requeue``; a success clears it. Never raises."""
    from . import tasks

    try:
        tasks.compile_report.apply_async((report_id,), retry=False)
    except Exception as exc:
        log.warning("report %s: could not be handed to a worker: %s", report_id, exc)
        Report.objects.filter(pk=report_id, status=Report.Status.PENDING).update(
            enqueue_failed_at=timezone.now(), enqueue_error=_failure_reason(exc)
        )
        return False
    Report.objects.filter(pk=report_id, enqueue_failed_at__isnull=False).update(
        enqueue_failed_at=None, enqueue_error=""
    )
    return True


def reports_requeue() -> list[int]:
    """Send again every pending report whose last hand-over failed; the ids that got through.
    The beat runs it every ``REPORT_REQUEUE_SECONDS`` (feedback.tasks.requeue_reports)."""
    failed = Report.objects.filter(
        status=Report.Status.PENDING, enqueue_failed_at__isnull=False
    ).values_list("pk", flat=True)
    return [pk for pk in list(failed) if report_publish(report_id=pk)]


@transaction.atomic
def report_request(*, interview_id: UUID) -> Report:
    """The interview's report, created pending and handed to a worker after commit. A report
    that is already pending is enqueued again: the worker's claim makes duplicates harmless."""
    report, _ = Report.objects.get_or_create(interview_id=interview_id)
    if report.status == Report.Status.PENDING:
        _enqueue_compile(report.pk)
    return report


@transaction.atomic
def report_retry(*, report_id: int, user: User | None = None) -> Report:
    """Send a failed report back to the worker."""
    matched = Report.objects.filter(pk=report_id, status=Report.Status.FAILED).update(
        status=Report.Status.PENDING, failure_reason=""
    )
    report = Report.objects.get(pk=report_id)
    if not matched:
        raise ServiceError(ErrorCode.INVALID_STATE, "Only a report that failed can be retried.")
    event_record(interview_id=report.interview_id, kind=EventKind.REPORT_RETRIED, actor=user)
    _enqueue_compile(report.pk)
    return report


def report_nudge(*, report_id: int, user: User | None = None) -> bool:
    """A participant asks again for a report that is taking longer than usual (a stopped or
    busy worker, a lost message): it is handed to the workers again. Idempotent: the request
    is taken by compare-and-set on a slow report (``selectors.slow_reports``), which also
    restarts its clock, so a double click or a second tab enqueues once; the worker's claim
    makes a duplicate message harmless anyway. False if the report was not slow (compiled,
    failed, or just requested)."""
    from .selectors import slow_reports

    now = timezone.now()
    with transaction.atomic():
        matched = Report.objects.filter(slow_reports(now), pk=report_id).update(requested_at=now)
        if not matched:
            return False
        interview_id = Report.objects.values_list("interview_id", flat=True).get(pk=report_id)
        event_record(
            interview_id=interview_id, kind=EventKind.REPORT_RETRIED, actor=user, reason="slow"
        )
        _enqueue_compile(report_id)
    return True


@dataclass(frozen=True)
class CompileOutcome:
    status: str  # "compiled", "ready" (nothing to do), "busy" (another claim), "missing"
    retry_in: float = 0.0  # for "busy": seconds until that claim counts as stale


def _failure_reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return text[:500]


def report_compile(*, report_id: int) -> CompileOutcome:
    """Compile a report if this caller wins the claim; idempotent.

    Not one transaction on purpose: the claim (pending/failed → running, or a running one
    whose claim is older than ``REPORT_CLAIM_STALE_SECONDS``, left by a worker that died)
    commits at once so that other workers see it. The result is saved only while the claim is
    still ours, so a report is written once however many deliveries race. On an exception the
    report is marked failed with the reason and the exception propagates (the task retries).
    """
    stale = timedelta(seconds=settings.REPORT_CLAIM_STALE_SECONDS)
    claimed_at = timezone.now()
    claimable = Q(status__in=[Report.Status.PENDING, Report.Status.FAILED]) | Q(
        status=Report.Status.RUNNING, claimed_at__lt=claimed_at - stale
    )
    won = (
        Report.objects.filter(claimable, pk=report_id).update(
            status=Report.Status.RUNNING, claimed_at=claimed_at, attempts=F("attempts") + 1
        )
        == 1
    )
    if not won:
        current = Report.objects.filter(pk=report_id).values("status", "claimed_at").first()
        if current is None:
            return CompileOutcome("missing")
        if current["status"] == Report.Status.READY:
            return CompileOutcome("ready")
        left = (current["claimed_at"] or claimed_at) + stale - timezone.now()
        return CompileOutcome("busy", retry_in=max(1.0, left.total_seconds()))
    ours = Report.objects.filter(pk=report_id, status=Report.Status.RUNNING, claimed_at=claimed_at)
    try:
        interview_id = Report.objects.values_list("interview_id", flat=True).get(pk=report_id)
        data = reports.report_data(interview_id)
        markdown = report_render.report_markdown(data)
    except Exception as exc:
        ours.update(status=Report.Status.FAILED, failure_reason=_failure_reason(exc))
        raise
    with transaction.atomic():
        saved = ours.update(
            status=Report.Status.READY,
            data=data,
            markdown=markdown,
            compiled_at=timezone.now(),
            failure_reason="",
        )
        if not saved:  # our claim went stale and another worker took over
            return CompileOutcome("busy")
        event_record(interview_id=interview_id, kind=EventKind.REPORT_READY)
    return CompileOutcome("compiled")


@dataclass(frozen=True)
class SweepResult:
    completed: list[UUID]
    requeued: list[int]


def reports_sweep(*, now: datetime | None = None) -> SweepResult:
    """The periodic sweep: complete wrap-ups past the deadline with whatever is in, and hand
    reports that look stuck (a lost message, a dead worker) back to the workers."""
    now = now or timezone.now()
    deadline = now - timedelta(hours=settings.REPORT_DEADLINE_HOURS)
    overdue = Interview.objects.filter(
        status=Interview.Status.WRAPUP, ended_at__lt=deadline
    ).values_list("pk", flat=True)
    completed = [pk for pk in overdue if interview_complete(interview_id=pk, reason="deadline")]
    stuck = Report.objects.filter(
        Q(status=Report.Status.PENDING, requested_at__lt=now - REPORT_REQUEUE_AFTER)
        | Q(
            status=Report.Status.RUNNING,
            claimed_at__lt=now - timedelta(seconds=settings.REPORT_CLAIM_STALE_SECONDS),
        )
    ).values_list("pk", flat=True)
    requeued = list(stuck)
    for pk in requeued:
        _enqueue_compile(pk)
    return SweepResult(completed=completed, requeued=requeued)


def private_read_record(*, reader: User, interview_id: UUID, what: str) -> PrivateRead:
    """Log that ``reader``, who is not in the interview, read its private notes and scores on
    the page ``what``."""
    return PrivateRead.objects.create(reader=reader, interview_id=interview_id, what=what)

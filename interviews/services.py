"""Every write of the interviews app goes through a function here.

Views, the consumer, tasks and management commands call these; none of them saves an important
object itself. State changes are compare-and-set (an update count of 0 means the caller's view
was stale or the request a duplicate), each is recorded as an ``Event`` row (the timeline), and
messages go out through ``realtime.broadcast`` only after the transaction commits.
"""

import logging
import random
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from casestudies.models import CaseStep, CaseStudy
from rubrics.models import Criterion, TargetLevel
from rubrics.scoring import NOT_OBSERVED
from rubrics.selectors import rubric_for_framework

from . import flow, realtime, reports, selectors, tasks
from .models import (
    Assessment,
    ChatMessage,
    Delivery,
    Document,
    Event,
    Interview,
    Invite,
    Participant,
    Profile,
    Report,
    Role,
    Score,
)
from .protocol import MAX_EVIDENCE_CHARS, ErrorCode

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refused request, with a protocol error code and a message for the user."""

    def __init__(self, code: str, message: str, **extra) -> None:
        self.code, self.message, self.extra = str(code), message, extra
        super().__init__(message)


class InviteError(Exception):
    pass


def _other(role: str) -> str:
    return Role.CANDIDATE if role == Role.INTERVIEWER else Role.INTERVIEWER


# --- Profiles and demo accounts --------------------------------------------------------------


def profile_update(*, user: AbstractBaseUser, display_name: str, target_level: str) -> Profile:
    profile, _ = Profile.objects.update_or_create(
        user=user,
        defaults={"display_name": display_name.strip(), "target_level": target_level},
    )
    return profile


DEMO_ACCOUNTS = (
    # (email, display name, target level, is staff)
    ("interviewer@example.com", "Ines (interviewer)", TargetLevel.SENIOR, False),
    ("candidate@example.com", "Carl (candidate)", TargetLevel.SENIOR, False),
    ("curator@example.com", "Cora (curator)", TargetLevel.STAFF, True),
)
CURATOR_APPS = ("casestudies", "rubrics")


def curators_group_ensure() -> Group:
    """The staff group that may edit the question bank and the rubrics, and nothing else."""
    group, _ = Group.objects.get_or_create(name="Curators")
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=CURATOR_APPS))
    return group


@transaction.atomic
def demo_accounts_ensure(*, password: str) -> list[str]:
    """Create (or reset the password of) the demo accounts; returns their emails."""
    User = get_user_model()
    curators = curators_group_ensure()
    emails = []
    for email, name, level, is_staff in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(
            email=email, defaults={"username": email.split("@")[0]}
        )
        user.set_password(password)
        user.is_staff = is_staff
        user.save()
        if is_staff:
            user.groups.add(curators)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        profile_update(user=user, display_name=name, target_level=level)
        emails.append(email)
    return emails


# --- Creating and joining --------------------------------------------------------------------


def event_record(
    *,
    interview_id: UUID,
    kind: str,
    actor: AbstractBaseUser | None = None,
    step_key: str = "",
    private: bool = False,
    **data,
) -> None:
    """Append one row to the interview's timeline. Call inside the transaction of the change.

    Every keystroke's save writes one, so this is a plain INSERT: building a model instance and
    compiling the statement cost about a millisecond of CPU per call, most of an autosave's
    (docs/performance.md). The fields' own adapters prepare the values for either database.
    """
    _insert_event(
        interview_id,
        actor.pk if actor is not None else None,
        kind,
        step_key,
        Event.Visibility.INTERVIEWER if private else Event.Visibility.ALL,
        data,
    )


def _insert_event(interview_id, actor_id, kind, step_key, visibility, data) -> None:
    meta = Event._meta
    connection = connections[router.db_for_write(Event)]
    values = [
        meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in (
            ("interview", interview_id),
            ("at", timezone.now()),
            ("actor", actor_id),
            ("kind", kind),
            ("step_key", step_key),
            ("visibility", visibility),
            ("data", data),
        )
    ]
    columns = ", ".join(
        connection.ops.quote_name(meta.get_field(name).column)
        for name in ("interview", "at", "actor", "kind", "step_key", "visibility", "data")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns})"  # noqa: S608
            f" VALUES ({', '.join(['%s'] * len(values))})",
            values,
        )


def case_study_surprise(*, user: AbstractBaseUser) -> CaseStudy:
    """A published case the user has not practised yet; any published one if none is left."""
    published = list(CaseStudy.objects.published().values_list("pk", flat=True))
    if not published:
        raise ServiceError(ErrorCode.NOT_FOUND, "There is no published case study yet.")
    practised = selectors.practised_case_ids(user=user)
    fresh = [pk for pk in published if pk not in practised] or published
    return CaseStudy.objects.get(pk=random.choice(fresh))  # noqa: S311 (not security)


@transaction.atomic
def interview_create(
    *,
    user: AbstractBaseUser,
    case_study: CaseStudy | None,
    role: str,
    target_level: str,
    kind: str = Interview.Kind.PEER,
) -> Interview:
    """Create an interview (or a solo drill) with its creator as a participant. A peer interview
    gets a single-use invite for the other role. ``case_study=None`` means "surprise me"."""
    if case_study is None:
        case_study = case_study_surprise(user=user)
    if case_study.status != CaseStudy.Status.PUBLISHED:
        raise ServiceError(ErrorCode.NOT_FOUND, "That case study is not published.")
    if role not in Role.values:
        raise ServiceError(ErrorCode.BAD_MESSAGE, f"Unknown role {role!r}.")
    if target_level not in TargetLevel.values:
        raise ServiceError(ErrorCode.BAD_MESSAGE, f"Unknown target level {target_level!r}.")
    rubric = rubric_for_framework(case_study.framework)
    if rubric is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "No rubric exists for this case's framework.")
    if kind == Interview.Kind.SOLO:
        role = Role.CANDIDATE
    interview = Interview.objects.create(
        kind=kind,
        case_study=case_study,
        case_version=case_study.version,
        rubric=rubric,
        target_level=target_level,
        created_by=user,
    )
    Participant.objects.create(interview=interview, user=user, role=role)
    if kind == Interview.Kind.PEER:
        Invite.objects.create(
            interview=interview,
            token=secrets.token_urlsafe(32),
            role=_other(role),
            expires_at=timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS),
        )
    event_record(
        interview_id=interview.pk,
        kind="created",
        actor=user,
        role=role,
        case=case_study.slug,
        case_version=case_study.version,
        interview_kind=kind,
    )
    return interview


@transaction.atomic
def invite_accept(*, user: AbstractBaseUser, token: str) -> Interview:
    """Join an interview through its invite, in the role the invite offers. The invite is
    claimed by compare-and-set, so two people opening the same link cannot both get in."""
    invite = Invite.objects.select_related("interview").filter(token=token).first()
    if invite is None:
        raise InviteError("This invite link is not valid. Ask your peer for a new one.")
    interview = invite.interview
    if Participant.objects.filter(interview=interview, user=user).exists():
        if invite.accepted_by_id == user.pk:
            return interview  # opening the link again after joining just goes back in
        raise InviteError("You cannot interview yourself: this link is for your peer.")
    if invite.accepted_at is not None:
        raise InviteError("This invite link has already been used.")
    if invite.expires_at <= timezone.now():
        raise InviteError("This invite link has expired. Ask your peer for a new one.")
    if interview.status not in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        raise InviteError("This interview is over.")
    claimed = Invite.objects.filter(pk=invite.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if not claimed:
        raise InviteError("This invite link has already been used.")
    try:
        with transaction.atomic():
            Participant.objects.create(interview=interview, user=user, role=invite.role)
    except IntegrityError:
        raise InviteError("Someone already joined in that role.") from None
    event_record(interview_id=interview.pk, kind="joined", actor=user, role=invite.role)
    realtime.broadcast(
        interview.pk,
        realtime.to_both({"type": "presence", "payload": selectors.presence_payload(interview.pk)}),
    )
    return interview


@transaction.atomic
def invite_renew(*, user: AbstractBaseUser, interview: Interview) -> Invite:
    """A fresh link (the old one stops working) while nobody has joined yet."""
    invite = Invite.objects.select_for_update().get(interview=interview)
    if interview.created_by_id != user.pk:
        raise InviteError("Only the person who created the interview can renew its link.")
    if invite.accepted_at is not None:
        raise InviteError("Your peer has already joined.")
    invite.token = secrets.token_urlsafe(32)
    invite.expires_at = timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS)
    invite.save(update_fields=["token", "expires_at"])
    return invite


# --- Presence --------------------------------------------------------------------------------


@transaction.atomic
def presence_change(*, interview_id: UUID, user: AbstractBaseUser, delta: int) -> None:
    """Count a socket opening (+1) or closing (-1); the timeline records a participant coming
    online or going offline, and both sides get the new presence."""
    participant = (
        Participant.objects.select_for_update().filter(interview_id=interview_id, user=user).first()
    )
    if participant is None:
        return
    before = participant.connections
    after = max(0, before + delta)
    Participant.objects.filter(pk=participant.pk).update(
        connections=after, last_seen_at=timezone.now()
    )
    if (before == 0) != (after == 0):
        event_record(
            interview_id=interview_id,
            kind="online" if after else "offline",
            actor=user,
            role=participant.role,
        )
    realtime.broadcast(
        interview_id,
        realtime.to_both({"type": "presence", "payload": selectors.presence_payload(interview_id)}),
    )


def presence_heartbeat(*, interview_id: UUID, user: AbstractBaseUser) -> None:
    Participant.objects.filter(interview_id=interview_id, user=user).update(
        last_seen_at=timezone.now()
    )


# --- The flow: start, move, pause, resume, end --------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who is acting in a room: resolved once per socket by the access getter.

    A socket also carries what does not change during an interview (the framework's steps, the
    rubric's criteria), read once when it connects, so that a keystroke's save does not read
    them again. Built without them (as tests and pages do), the services read them as needed.
    """

    user: AbstractBaseUser
    interview_id: UUID
    role: str
    solo: bool
    steps: tuple[flow.Step, ...] = ()
    criteria: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # key: (id, step)


def actor_for(*, user: AbstractBaseUser, interview: Interview, role: str) -> Actor:
    """The actor of a socket, with its interview's steps and criteria."""
    criteria = {
        key: (pk, step or "")
        for pk, key, step in Criterion.objects.filter(rubric_id=interview.rubric_id).values_list(
            "pk", "key", "framework_step__key"
        )
    }
    return Actor(
        user, interview.pk, role, interview.is_solo, tuple(selectors.steps_of(interview)), criteria
    )


def _load(actor: Actor) -> Interview:
    interview = Interview.objects.select_related("case_study__framework", "rubric").get(
        pk=actor.interview_id
    )
    if actor.steps:
        interview._steps = list(actor.steps)  # known already: no query for them
    return interview


def _step_keys(actor: Actor) -> list[str]:
    if actor.steps:
        return [step.key for step in actor.steps]
    return [step.key for step in selectors.steps_of(_load(actor))]


def _check(actor: Actor, action: str) -> None:
    try:
        flow.check_permission(actor.role, action, solo=actor.solo)
    except flow.FlowError as exc:
        raise ServiceError(exc.code, exc.message) from None


def _state_messages(interview: Interview, *, with_panel: bool = False) -> dict[str, list[dict]]:
    state = {"type": "state", "payload": selectors.state_payload(interview)}
    messages = realtime.to_both(state)
    if with_panel and not interview.is_solo:
        key = selectors.steps_of(interview)[interview.step_index].key
        messages[Role.INTERVIEWER] = [
            {
                "type": "panel",
                "payload": {"step": key, "html": selectors.panel_html(interview, key)},
            },
        ]
    return messages


def _compare_and_set(interview: Interview, **changes) -> Interview:
    """Apply ``changes`` only if the interview still is as we read it."""
    matched = Interview.objects.filter(
        pk=interview.pk,
        status=interview.status,
        step_index=interview.step_index,
        paused=interview.paused,
        clock_started_at=interview.clock_started_at,
    ).update(**changes)
    if not matched:
        raise ServiceError(ErrorCode.STALE, "The interview changed meanwhile; try again.")
    for name, value in changes.items():
        setattr(interview, name, value)
    return interview


def _flow_error(exc: flow.FlowError) -> ServiceError:
    return ServiceError(exc.code, exc.message)


@transaction.atomic
def interview_start(*, actor: Actor) -> Interview:
    _check(actor, "start")
    interview = _load(actor)
    try:
        status = flow.next_status(interview.status, "start")
    except flow.FlowError as exc:
        raise _flow_error(exc) from None
    if not interview.is_solo and interview.participants.count() < 2:
        raise ServiceError(ErrorCode.INVALID_STATE, "Wait for your peer to join before starting.")
    now = timezone.now()
    old = interview.status
    _compare_and_set(interview, status=status, started_at=now, clock_started_at=now, paused=False)
    step_key = selectors.steps_of(interview)[interview.step_index].key
    event_record(
        interview_id=interview.pk,
        kind="status",
        actor=actor.user,
        step_key=step_key,
        old=old,
        new=status,
    )
    realtime.broadcast(interview.pk, _state_messages(interview, with_panel=True))
    return interview


@transaction.atomic
def step_move(*, actor: Actor, from_key: str, to_key: str) -> Interview:
    """Move to the next or previous step. ``from_key`` is the step the sender saw as current:
    a double click or two racing tabs move once, the second gets ``stale``."""
    _check(actor, "move")
    interview = _load(actor)
    steps = selectors.steps_of(interview)
    keys = [step.key for step in steps]
    if from_key not in keys or to_key not in keys:
        raise ServiceError(ErrorCode.INVALID_STEP, "There is no such step.")
    if keys[interview.step_index] != from_key:
        raise ServiceError(
            ErrorCode.STALE, f"The interview is already on {steps[interview.step_index].title}."
        )
    current, target = interview.step_index, keys.index(to_key)
    try:
        flow.check_move(interview.status, interview.paused, current, target, len(steps))
    except flow.FlowError as exc:
        raise _flow_error(exc) from None
    now = timezone.now()
    banked = flow.bank_time(interview.elapsed, interview.clock_started_at, from_key, now)
    _compare_and_set(interview, step_index=target, elapsed=banked, clock_started_at=now)
    event_record(
        interview_id=interview.pk,
        kind="step",
        actor=actor.user,
        step_key=to_key,
        old=from_key,
        new=to_key,
        seconds_on_old=banked[from_key],
    )
    realtime.broadcast(interview.pk, _state_messages(interview, with_panel=True))
    return interview


@transaction.atomic
def clock_pause(*, actor: Actor) -> Interview:
    _check(actor, "pause")
    interview = _load(actor)
    if interview.status != Interview.Status.LIVE or interview.paused:
        raise ServiceError(ErrorCode.INVALID_STATE, "Only a running interview can be paused.")
    key = selectors.steps_of(interview)[interview.step_index].key
    banked = flow.bank_time(interview.elapsed, interview.clock_started_at, key, timezone.now())
    _compare_and_set(interview, paused=True, elapsed=banked, clock_started_at=None)
    event_record(interview_id=interview.pk, kind="paused", actor=actor.user, step_key=key)
    realtime.broadcast(interview.pk, _state_messages(interview))
    return interview


@transaction.atomic
def clock_resume(*, actor: Actor) -> Interview:
    _check(actor, "resume")
    interview = _load(actor)
    if interview.status != Interview.Status.LIVE or not interview.paused:
        raise ServiceError(ErrorCode.INVALID_STATE, "Only a paused interview can be resumed.")
    key = selectors.steps_of(interview)[interview.step_index].key
    _compare_and_set(interview, paused=False, clock_started_at=timezone.now())
    event_record(interview_id=interview.pk, kind="resumed", actor=actor.user, step_key=key)
    realtime.broadcast(interview.pk, _state_messages(interview))
    return interview


@transaction.atomic
def interview_end(*, actor: Actor) -> Interview:
    """End the live interview: bank the clock and move both sides to the wrap-up."""
    _check(actor, "end")
    interview = _load(actor)
    try:
        status = flow.next_status(interview.status, "end")
    except flow.FlowError as exc:
        raise _flow_error(exc) from None
    key = selectors.steps_of(interview)[interview.step_index].key
    now = timezone.now()
    banked = flow.bank_time(interview.elapsed, interview.clock_started_at, key, now)
    old = interview.status
    _compare_and_set(
        interview, status=status, elapsed=banked, clock_started_at=None, paused=False, ended_at=now
    )
    event_record(
        interview_id=interview.pk,
        kind="status",
        actor=actor.user,
        step_key=key,
        old=old,
        new=status,
    )
    ended = {
        "type": "ended",
        "payload": {
            "status": status,
            "redirect": reverse("wrapup", kwargs={"interview_id": interview.pk}),
        },
    }
    realtime.broadcast(
        interview.pk,
        realtime.to_both({"type": "state", "payload": selectors.state_payload(interview)}, ended),
    )
    return interview


@transaction.atomic
def interview_abandon(*, user: AbstractBaseUser, interview: Interview) -> Interview:
    """Give up on an interview that has not ended; any participant may."""
    try:
        status = flow.next_status(interview.status, "abandon")
    except flow.FlowError as exc:
        raise _flow_error(exc) from None
    now = timezone.now()
    matched = Interview.objects.filter(pk=interview.pk, status=interview.status).update(
        status=status, ended_at=now, clock_started_at=None
    )
    if not matched:
        raise ServiceError(ErrorCode.STALE, "The interview changed meanwhile; try again.")
    event_record(
        interview_id=interview.pk, kind="status", actor=user, old=interview.status, new=status
    )
    interview.refresh_from_db()
    realtime.broadcast(
        interview.pk,
        realtime.to_both(
            {"type": "ended", "payload": {"status": status, "redirect": reverse("dashboard")}}
        ),
    )
    return interview


# --- Documents: notes per step, the diagram, private notes ------------------------------------

DOCUMENT_WRITE_STATUSES = {
    "notes": {Interview.Status.LIVE},
    "diagram": {Interview.Status.LIVE},
    "private": {Interview.Status.SCHEDULED, Interview.Status.LIVE, Interview.Status.WRAPUP},
}


def _document_kind(slot: str, keys: list[str]) -> tuple[str, str]:
    """(kind, step key) for a slot name, or ServiceError."""
    if slot == "diagram":
        return "diagram", ""
    if slot == "private":
        return "private", ""
    if slot.startswith("notes:") and slot[len("notes:") :] in keys:
        return "notes", slot[len("notes:") :]
    raise ServiceError(ErrorCode.NOT_FOUND, f"There is no document {slot!r}.")


@dataclass(frozen=True)
class DocumentResult:
    slot: str
    revision: int
    text: str


@transaction.atomic
def document_edit(*, actor: Actor, slot: str, base_revision: int, text: str) -> DocumentResult:
    """Save a new revision of a document if ``base_revision`` is still the latest.

    A stale base is refused with ``stale_revision`` carrying the current text and revision, so
    the client can merge instead of silently overwriting (or being overwritten).

    This runs for every pause in typing, so the usual case is two statements: one
    compare-and-set UPDATE, which also checks that the interview is in a status that allows the
    edit, and the timeline row. Everything else (the first revision, a refusal) takes the slow
    path that finds out why.
    """
    kind, step_key = _document_kind(slot, _step_keys(actor))
    _check(actor, "private_note" if kind == "private" else kind)
    allowed = DOCUMENT_WRITE_STATUSES[kind]
    saved = _update_while(
        Document,
        interview_id=actor.interview_id,
        statuses=allowed,
        where={"interview": actor.interview_id, "slot": slot, "revision": base_revision},
        values={
            "text": text,
            "revision": base_revision + 1,
            "updated_by": actor.user.pk,
            "updated_at": timezone.now(),
        },
    )
    if not saved:
        status = (
            Interview.objects.filter(pk=actor.interview_id).values_list("status", flat=True).get()
        )
        if status not in allowed:
            raise ServiceError(
                ErrorCode.INVALID_STATE, f"This can't be edited while the interview is {status}."
            )
    if not saved and base_revision == 0:
        # The first revision is an INSERT; the unique (interview, slot) constraint turns it
        # into a conflict if another tab got there first.
        try:
            with transaction.atomic():
                Document.objects.create(
                    interview_id=actor.interview_id,
                    slot=slot,
                    private=kind == "private",
                    text=text,
                    revision=1,
                    updated_by=actor.user,
                )
            saved = 1
        except IntegrityError:
            pass
    if not saved:
        document = Document.objects.filter(interview_id=actor.interview_id, slot=slot).first()
        if document is None:
            raise ServiceError(
                ErrorCode.STALE_REVISION, "Start from revision 0.", slot=slot, text="", revision=0
            )
        if document.text == text:
            return DocumentResult(slot, document.revision, text)  # a resend of what we have
        raise ServiceError(
            ErrorCode.STALE_REVISION,
            "This text was changed elsewhere; here is the latest version.",
            slot=slot,
            text=document.text,
            revision=document.revision,
        )
    revision = base_revision + 1
    event_record(
        interview_id=actor.interview_id,
        kind=f"{kind}.revised",
        actor=actor.user,
        step_key=step_key,
        private=kind == "private",
        slot=slot,
        revision=revision,
        text=text,
    )
    if kind != "private":
        update = {
            "type": "doc.updated",
            "payload": {"slot": slot, "text": text, "revision": revision, "by": actor.role},
        }
        realtime.broadcast(actor.interview_id, realtime.to_both(update))
    return DocumentResult(slot, revision, text)


def _update_while(model, *, interview_id: UUID, statuses, where: dict, values: dict) -> int:
    """``UPDATE model SET values WHERE where`` if the interview's status is one of
    ``statuses``, as one statement; returns the number of rows changed.

    This is the room's hot path (every pause in typing, every score). The ORM would compile the
    UPDATE with its status subquery anew each time, over a millisecond of CPU; this plain
    statement is the same compare-and-set, with each value prepared by its field's adapter."""
    connection = connections[router.db_for_write(model)]
    q, meta = connection.ops.quote_name, model._meta

    def prep(name, value):
        return meta.get_field(name).get_db_prep_save(value, connection)

    key = Interview._meta.pk.get_db_prep_value(interview_id, connection)
    statuses = list(statuses)
    sets = ", ".join(f"{q(meta.get_field(name).column)} = %s" for name in values)
    conditions = " AND ".join(f"{q(meta.get_field(name).column)} = %s" for name in where)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(meta.db_table)} SET {sets} WHERE {conditions}"  # noqa: S608
            f" AND EXISTS (SELECT 1 FROM {q(Interview._meta.db_table)} WHERE {q('id')} = %s"
            f" AND {q('status')} IN ({', '.join(['%s'] * len(statuses))}))",
            [
                *(prep(name, value) for name, value in values.items()),
                *(prep(name, value) for name, value in where.items()),
                key,
                *statuses,
            ],
        )
        return cursor.rowcount


# --- Chat, hints, scores ------------------------------------------------------------------------


@transaction.atomic
def chat_post(*, actor: Actor, text: str) -> ChatMessage:
    _check(actor, "chat")
    text = text.strip()
    if not text:
        raise ServiceError(ErrorCode.BAD_MESSAGE, "A chat message needs some text.")
    status = Interview.objects.filter(pk=actor.interview_id).values_list("status", flat=True).get()
    if status not in (Interview.Status.SCHEDULED, Interview.Status.LIVE, Interview.Status.WRAPUP):
        raise ServiceError(ErrorCode.INVALID_STATE, "The chat of this interview is closed.")
    message = ChatMessage.objects.create(
        interview_id=actor.interview_id, author=actor.user, text=text
    )
    event_record(
        interview_id=actor.interview_id,
        kind="chat",
        actor=actor.user,
        message_id=message.pk,
        text=text,
    )
    realtime.broadcast(
        actor.interview_id,
        realtime.to_both(
            {"type": "chat.message", "payload": selectors.chat_payload(message, actor.role)}
        ),
    )
    return message


@transaction.atomic
def delivery_send(*, actor: Actor, step_key: str, kind: str, index: int) -> Delivery:
    """Send a hint or curveball from the guide to the candidate. Sending the same one twice
    delivers it once."""
    _check(actor, "hint")
    interview = _load(actor)
    if interview.status != Interview.Status.LIVE:
        raise ServiceError(
            ErrorCode.INVALID_STATE, "Hints can be sent while the interview is live."
        )
    step = CaseStep.objects.filter(
        case_study_id=interview.case_study_id, framework_step__key=step_key
    ).first()
    items = (step.hints if kind == "hint" else step.curveballs) if step else []
    if not 0 <= index < len(items):
        raise ServiceError(ErrorCode.NOT_FOUND, f"There is no {kind} {index + 1} for that step.")
    delivery, created = Delivery.objects.get_or_create(
        interview=interview,
        step_key=step_key,
        kind=kind,
        index=index,
        # A curveball is {text, expected}: only its text goes to the candidate.
        defaults={
            "text": items[index]["text"] if kind == "curveball" else items[index],
            "sent_by": actor.user,
        },
    )
    if created:
        event_record(
            interview_id=interview.pk,
            kind=f"{kind}.sent",
            actor=actor.user,
            step_key=step_key,
            index=index,
            text=delivery.text,
        )
        realtime.broadcast(
            interview.pk,
            realtime.to_both({"type": "delivery", "payload": selectors.delivery_payload(delivery)}),
        )
    return delivery


SCORE_STATUSES = {
    Score.Source.INTERVIEWER: {Interview.Status.LIVE, Interview.Status.WRAPUP},
    Score.Source.SELF: {Interview.Status.WRAPUP},
}


@transaction.atomic
def score_record(
    *,
    actor: Actor,
    criterion_key: str,
    level: int | None,
    not_observed: bool = False,
    evidence: str = "",
    source: str = Score.Source.INTERVIEWER,
) -> Score:
    """Record one criterion's score with its evidence. The interviewer scores live and during
    the wrap-up; the candidate scores themselves (source ``self``) at the wrap-up."""
    if source == Score.Source.INTERVIEWER:
        _check(actor, "score")
    elif actor.role != Role.CANDIDATE:
        raise ServiceError(ErrorCode.FORBIDDEN, "Only the candidate assesses themselves.")
    if level is not None and level not in (1, 2, 3, 4):
        raise ServiceError(ErrorCode.BAD_MESSAGE, "A level is 1, 2, 3 or 4.")
    if level is not None and not_observed:
        raise ServiceError(ErrorCode.BAD_MESSAGE, "Choose a level or 'not observed', not both.")
    if criterion_key in actor.criteria:
        criterion_id, step_key = actor.criteria[criterion_key]
    else:
        found = (
            Criterion.objects.filter(rubric__interviews__pk=actor.interview_id, key=criterion_key)
            .values_list("pk", "framework_step__key")
            .first()
        )
        if found is None:
            raise ServiceError(ErrorCode.NOT_FOUND, f"There is no criterion {criterion_key!r}.")
        criterion_id, step_key = found[0], found[1] or ""
    allowed = SCORE_STATUSES[source]
    values = {"level": level, "not_observed": not_observed, "evidence": evidence.strip()}
    # Live scoring writes often: one compare-and-set UPDATE that also checks the interview's
    # status; an INSERT only for a criterion's first score, after the status was checked.
    mine = Score.objects.filter(
        interview_id=actor.interview_id, criterion_id=criterion_id, source=source
    )
    where = {"interview": actor.interview_id, "criterion": criterion_id, "source": source}
    if not _update_while(
        Score,
        interview_id=actor.interview_id,
        statuses=allowed,
        where=where,
        values={**values, "updated_at": timezone.now()},
    ):
        status = (
            Interview.objects.filter(pk=actor.interview_id).values_list("status", flat=True).get()
        )
        if status not in allowed:
            raise ServiceError(
                ErrorCode.INVALID_STATE, f"Scores can't be changed while the interview is {status}."
            )
        try:
            with transaction.atomic():
                Score.objects.create(
                    interview_id=actor.interview_id,
                    criterion_id=criterion_id,
                    source=source,
                    **values,
                )
        except IntegrityError:  # the other tab inserted it first: ours is the later write
            mine.update(**values, updated_at=timezone.now())
    event_record(
        interview_id=actor.interview_id,
        kind=f"score.{source}",
        actor=actor.user,
        step_key=step_key,
        private=True,
        criterion=criterion_key,
        **values,
    )
    if source == Score.Source.INTERVIEWER:
        realtime.broadcast(
            actor.interview_id,
            {
                Role.INTERVIEWER: [
                    {"type": "score.recorded", "payload": {"criterion": criterion_key, **values}}
                ]
            },
        )
    return Score(
        interview_id=actor.interview_id, criterion_id=criterion_id, source=source, **values
    )


@transaction.atomic
def reference_reveal(*, actor: Actor, step_key: str) -> str:
    """Solo drill: show a step's reference notes, once the candidate has written their own."""
    _check(actor, "reveal")
    # Locked: two reveals racing must not drop one from the list.
    interview = (
        Interview.objects.select_for_update(of=("self",))
        .select_related("case_study__framework")
        .get(pk=actor.interview_id)
    )
    keys = [step.key for step in selectors.steps_of(interview)]
    if step_key not in keys:
        raise ServiceError(ErrorCode.INVALID_STEP, "There is no such step.")
    if interview.status not in (Interview.Status.LIVE, Interview.Status.WRAPUP):
        raise ServiceError(ErrorCode.INVALID_STATE, "Start the drill first.")
    notes = Document.objects.filter(interview=interview, slot=f"notes:{step_key}").first()
    if notes is None or not notes.text.strip():
        raise ServiceError(
            ErrorCode.INVALID_STATE,
            "Write your own notes for this step before revealing the reference.",
        )
    if step_key not in interview.revealed_steps:
        Interview.objects.filter(pk=interview.pk).update(
            revealed_steps=[*interview.revealed_steps, step_key]
        )
        event_record(
            interview_id=interview.pk,
            kind="reference.revealed",
            actor=actor.user,
            step_key=step_key,
        )
    html = selectors.reference_html(interview, step_key)
    return html


# --- After the interview: self-assessment, scorecard, completion, the report ---------------------
# The candidate assesses themselves blind: nothing here or in the wrap-up view hands them the
# interviewer's scores before their own assessment is in (or skipped). The interview completes
# when both sides are in (a drill: when the candidate is), or at the deadline with whatever is
# in; completing requests the report, which a Celery task compiles (interviews/tasks.py).

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
            level=None if levels[c.key] == NOT_OBSERVED else int(levels[c.key]),
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


def _wrapup_open(interview: Interview) -> None:
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
) -> Assessment:
    """The candidate's self-assessment: a level or "not observed" for every criterion, an
    optional note each and a reflection, or ``skipped`` (peer interviews only). Submitted once.
    In a solo drill this completes the drill and requests the report."""
    if actor.role != Role.CANDIDATE:
        raise ServiceError(ErrorCode.FORBIDDEN, "Only the candidate assesses themselves.")
    interview = _wrapup_lock(actor)
    _wrapup_open(interview)
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
        if errors:
            raise ServiceError(
                ErrorCode.BAD_MESSAGE,
                f"{len(errors)} criteri{'on needs' if len(errors) == 1 else 'a need'} attention.",
                errors=errors,
            )
        _scores_write(interview, criteria, levels, notes, Score.Source.SELF)
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
        kind="assessment.submitted",
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
) -> Assessment:
    """The interviewer's final scorecard: every criterion scored or marked "not observed",
    each with its evidence, and written feedback. Refused with a message per criterion
    otherwise. Finalised once."""
    if actor.solo or actor.role != Role.INTERVIEWER:
        raise ServiceError(ErrorCode.FORBIDDEN, "Only the interviewer finalises the scorecard.")
    interview = _wrapup_lock(actor)
    _wrapup_open(interview)
    if Assessment.objects.filter(
        interview=interview, source=Score.Source.INTERVIEWER, submitted_at__isnull=False
    ).exists():
        raise ServiceError(ErrorCode.INVALID_STATE, "The scorecard is already finalised.")
    criteria = _rubric_criteria(interview)
    errors = _levels_check(criteria, levels, evidence, need_text="evidence")
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
        kind="assessment.submitted",
        actor=actor.user,
        private=True,  # carries the interviewer's scores: never in the candidate's timeline
        source=Score.Source.INTERVIEWER,
        levels=dict(levels),
    )
    _complete_when_ready(interview, actor.user)
    return assessment


def _complete_when_ready(interview: Interview, user: AbstractBaseUser) -> None:
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
def interview_complete(
    *, interview_id: UUID, reason: str, actor: AbstractBaseUser | None = None
) -> bool:
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
        kind="status",
        actor=actor,
        old=Interview.Status.WRAPUP,
        new=Interview.Status.COMPLETED,
        reason=reason,
    )
    report_request(interview_id=interview_id)
    return True


def _enqueue_compile(report_id: int) -> None:
    """Hand a report to the workers once the transaction commits.

    Like ``delay_on_commit``, but what the user just did is already committed when this runs:
    a broker that does not answer, or (in eager mode) a compile that fails in process, is logged
    rather than turned into an error page. The report stays pending or is marked failed, and
    the sweep or the retry button sends it again.
    """

    def send() -> None:
        try:
            tasks.compile_report.delay(report_id)
        except Exception:
            log.exception("report %s: could not be handed to a worker now", report_id)

    transaction.on_commit(send)


@transaction.atomic
def report_request(*, interview_id: UUID) -> Report:
    """The interview's report, created pending and handed to a worker after commit. A report
    that is already pending is enqueued again: the worker's claim makes duplicates harmless."""
    report, _ = Report.objects.get_or_create(interview_id=interview_id)
    if report.status == Report.Status.PENDING:
        _enqueue_compile(report.pk)
    return report


@transaction.atomic
def report_retry(*, report_id: int, user: AbstractBaseUser | None = None) -> Report:
    """Send a failed report back to the worker."""
    matched = Report.objects.filter(pk=report_id, status=Report.Status.FAILED).update(
        status=Report.Status.PENDING, failure_reason=""
    )
    report = Report.objects.get(pk=report_id)
    if not matched:
        raise ServiceError(ErrorCode.INVALID_STATE, "Only a report that failed can be retried.")
    event_record(interview_id=report.interview_id, kind="report.retried", actor=user)
    _enqueue_compile(report.pk)
    return report


@dataclass(frozen=True)
class CompileOutcome:
    status: str  # "compiled", "ready" (nothing to do), "busy" (another claim), "missing"
    retry_in: float = 0.0  # for "busy": seconds until that claim counts as stale


def _failure_reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return text[:500]


def report_compile(*, report_id: int, pause: float = 0.0) -> CompileOutcome:
    """Compile a report if this caller wins the claim; idempotent.

    Not one transaction on purpose: the claim (pending/failed → running, or a running one
    whose claim is older than ``REPORT_CLAIM_STALE_SECONDS``, left by a worker that died)
    commits at once so that other workers see it. The result is saved only while the claim is
    still ours, so a report is written once however many deliveries race. On an exception the
    report is marked failed with the reason and the exception propagates (the task retries).
    ``pause`` waits after claiming (tests use it to kill a worker mid-task).
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
    if pause:
        time.sleep(pause)
    try:
        interview_id = Report.objects.values_list("interview_id", flat=True).get(pk=report_id)
        data = reports.report_data(interview_id)
        markdown = reports.report_markdown(data)
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
        event_record(interview_id=interview_id, kind="report.ready")
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

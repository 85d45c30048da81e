"""Every write of the live room goes through a function here: creating and joining an
interview, presence, the flow (start, move, pause, resume, end, abandon), documents, chat,
hints, scores and a drill's reference notes. What happens after the interview (the wrap-up,
the report) is the feedback app's, which calls in here and never the other way round.

Views, the consumer, tasks and management commands call these; none of them saves an important
object itself. Who may do what in which phase is asked of ``flow.RULES`` through ``_check``.
State changes are compare-and-set (an update count of 0 means the caller's view was stale or
the request a duplicate), each is recorded on the timeline (``events.event_record``), and
messages, built by the protocol's constructors, go out through ``realtime.broadcast`` only after
the transaction commits.
"""

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from accounts.types import User
from casestudies.models import CaseStep, CaseStudy
from rubrics.models import Criterion, TargetLevel
from rubrics.selectors import rubric_for_framework

from . import flow, protocol, realtime, selectors
from .errors import InviteError, ServiceError
from .events import REVISED, SENT, EventKind, event_record
from .flow import Action
from .models import (
    ChatMessage,
    Delivery,
    Document,
    Interview,
    Invite,
    Participant,
    Role,
    Score,
)
from .protocol import ErrorCode

__all__ = ["InviteError", "ServiceError"]  # raised here; defined in errors.py


def _other(role: str) -> str:
    return Role.CANDIDATE if role == Role.INTERVIEWER else Role.INTERVIEWER


# --- Who acts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who is acting in a room: resolved once per socket by the access getter.

    A socket also carries what does not change during an interview (the framework's steps, the
    rubric's criteria), read once when it connects, so that a keystroke's save does not read
    them again. Built without them (as tests and pages do), the services read them as needed.
    """

    user: User
    interview_id: UUID
    role: str
    solo: bool
    steps: tuple[flow.Step, ...] = ()
    criteria: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # key: (id, step)


def actor_for(*, user: User, interview: Interview, role: str) -> Actor:
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


def _check(actor: Actor, action: Action, interview: Interview | None = None) -> None:
    """Refuse unless the actor's role may take ``action`` (now, if ``interview`` is given)."""
    now = flow.phase(interview.status, interview.paused) if interview is not None else None
    try:
        flow.check(actor.role, action, now, solo=actor.solo)
    except flow.FlowError as exc:
        raise ServiceError(exc.code, exc.message) from None


# --- Creating and joining --------------------------------------------------------------------


def case_study_surprise(*, user: User) -> CaseStudy:
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
    user: User,
    case_study: CaseStudy | None,
    role: str,
    target_level: str,
    kind: str = Interview.Kind.PEER,
    peer: User | None = None,
) -> Interview:
    """Create an interview (or a solo drill) with its creator as a participant. A peer interview
    gets a single-use invite for the other role, unless the ``peer`` is known already (a booked
    partner): then the peer is a participant in the other role at once and there is no invite.
    ``case_study=None`` means "surprise me"."""
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
    if peer is not None and (kind != Interview.Kind.PEER or peer.pk == user.pk):
        raise ServiceError(ErrorCode.BAD_MESSAGE, "A peer joins a peer interview, not their own.")
    interview = Interview.objects.create(
        kind=kind,
        case_study=case_study,
        case_version=case_study.version,
        rubric=rubric,
        target_level=target_level,
        created_by=user,
    )
    Participant.objects.create(interview=interview, user=user, role=role)
    if peer is None and kind == Interview.Kind.PEER:
        Invite.objects.create(
            interview=interview,
            token=secrets.token_urlsafe(32),
            role=_other(role),
            expires_at=timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS),
        )
    event_record(
        interview_id=interview.pk,
        kind=EventKind.CREATED,
        actor=user,
        role=role,
        case=case_study.slug,
        case_version=case_study.version,
        interview_kind=kind,
    )
    if peer is not None:
        Participant.objects.create(interview=interview, user=peer, role=_other(role))
        event_record(
            interview_id=interview.pk, kind=EventKind.JOINED, actor=peer, role=_other(role)
        )
    return interview


@transaction.atomic
def invite_accept(*, user: User, token: str) -> Interview:
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
    event_record(interview_id=interview.pk, kind=EventKind.JOINED, actor=user, role=invite.role)
    realtime.broadcast(interview.pk, _state_messages(interview))
    realtime.broadcast(interview.pk, realtime.to_both(selectors.presence_message(interview.pk)))
    return interview


@transaction.atomic
def invite_renew(*, user: User, interview: Interview, role: str) -> Invite:
    """A fresh link (the old one stops working) while nobody has joined yet."""
    if interview.is_solo:
        raise InviteError("A drill has no invite: you practise it alone.")
    try:
        flow.check(role, Action.INVITE_RENEW, flow.phase(interview.status, interview.paused))
    except flow.FlowError as exc:
        raise InviteError(exc.message) from None
    invite = Invite.objects.select_for_update().filter(interview=interview).first()
    if invite is None or interview.created_by_id != user.pk:
        raise InviteError("Only the person who created the interview can renew its link.")
    if invite.accepted_at is not None:
        raise InviteError("Your peer has already joined.")
    invite.token = secrets.token_urlsafe(32)
    invite.expires_at = timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS)
    invite.save(update_fields=["token", "expires_at"])
    return invite


# --- Presence --------------------------------------------------------------------------------


@transaction.atomic
def presence_change(*, interview_id: UUID, user: User, delta: int) -> None:
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
            kind=EventKind.ONLINE if after else EventKind.OFFLINE,
            actor=user,
            role=participant.role,
        )
    realtime.broadcast(interview_id, realtime.to_both(selectors.presence_message(interview_id)))


def presence_heartbeat(*, interview_id: UUID, user: User) -> None:
    Participant.objects.filter(interview_id=interview_id, user=user).update(
        last_seen_at=timezone.now()
    )


# --- The flow: start, move, pause, resume, end, abandon -----------------------------------------


def _state_messages(
    interview: Interview, *, with_panel: bool = False
) -> dict[str, list[protocol.JSON]]:
    """The new state for each role (with the actions that role may take now), and for the
    interviewer the panel of the current step."""
    roles = (Role.CANDIDATE,) if interview.is_solo else (Role.INTERVIEWER, Role.CANDIDATE)
    messages = {role: [selectors.state_message(interview, role)] for role in roles}
    if with_panel and not interview.is_solo:
        key = selectors.steps_of(interview)[interview.step_index].key
        panel = protocol.Panel(step=key, html=selectors.panel_html(interview, key))
        messages[Role.INTERVIEWER].append(protocol.envelope(panel))
    return messages


def _compare_and_set(interview: Interview, **changes: Any) -> Interview:
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


def _transition(interview: Interview, action: str) -> str:
    try:
        return flow.next_status(interview.status, action)
    except flow.FlowError as exc:
        raise ServiceError(exc.code, exc.message) from None


@transaction.atomic
def interview_start(*, actor: Actor) -> Interview:
    interview = _load(actor)
    _check(actor, Action.START, interview)
    status = _transition(interview, "start")
    if not interview.is_solo and interview.participants.count() < 2:
        raise ServiceError(ErrorCode.INVALID_STATE, "Wait for your peer to join before starting.")
    now = timezone.now()
    old = interview.status
    _compare_and_set(interview, status=status, started_at=now, clock_started_at=now, paused=False)
    step_key = selectors.steps_of(interview)[interview.step_index].key
    event_record(
        interview_id=interview.pk,
        kind=EventKind.STATUS,
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
    _check(actor, Action.MOVE)
    interview = _load(actor)
    steps = selectors.steps_of(interview)
    keys = [step.key for step in steps]
    if from_key not in keys or to_key not in keys:
        raise ServiceError(ErrorCode.INVALID_STEP, "There is no such step.")
    if keys[interview.step_index] != from_key:
        raise ServiceError(
            ErrorCode.STALE, f"The interview is already on {steps[interview.step_index].title}."
        )
    _check(actor, Action.MOVE, interview)
    current, target = interview.step_index, keys.index(to_key)
    try:
        flow.check_move(current, target, len(steps))
    except flow.FlowError as exc:
        raise ServiceError(exc.code, exc.message) from None
    now = timezone.now()
    banked = flow.bank_time(interview.elapsed, interview.clock_started_at, from_key, now)
    _compare_and_set(interview, step_index=target, elapsed=banked, clock_started_at=now)
    event_record(
        interview_id=interview.pk,
        kind=EventKind.STEP,
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
    interview = _load(actor)
    _check(actor, Action.PAUSE, interview)
    key = selectors.steps_of(interview)[interview.step_index].key
    banked = flow.bank_time(interview.elapsed, interview.clock_started_at, key, timezone.now())
    _compare_and_set(interview, paused=True, elapsed=banked, clock_started_at=None)
    event_record(interview_id=interview.pk, kind=EventKind.PAUSED, actor=actor.user, step_key=key)
    realtime.broadcast(interview.pk, _state_messages(interview))
    return interview


@transaction.atomic
def clock_resume(*, actor: Actor) -> Interview:
    interview = _load(actor)
    _check(actor, Action.RESUME, interview)
    key = selectors.steps_of(interview)[interview.step_index].key
    _compare_and_set(interview, paused=False, clock_started_at=timezone.now())
    event_record(interview_id=interview.pk, kind=EventKind.RESUMED, actor=actor.user, step_key=key)
    realtime.broadcast(interview.pk, _state_messages(interview))
    return interview


@transaction.atomic
def interview_end(*, actor: Actor) -> Interview:
    """End the live interview: bank the clock and move both sides to the wrap-up."""
    interview = _load(actor)
    _check(actor, Action.END, interview)
    status = _transition(interview, "end")
    key = selectors.steps_of(interview)[interview.step_index].key
    now = timezone.now()
    banked = flow.bank_time(interview.elapsed, interview.clock_started_at, key, now)
    old = interview.status
    _compare_and_set(
        interview, status=status, elapsed=banked, clock_started_at=None, paused=False, ended_at=now
    )
    event_record(
        interview_id=interview.pk,
        kind=EventKind.STATUS,
        actor=actor.user,
        step_key=key,
        old=old,
        new=status,
    )
    ended = protocol.Ended(
        status=status, redirect=reverse("wrapup", kwargs={"interview_id": interview.pk})
    )
    messages = _state_messages(interview)
    for role_messages in messages.values():
        role_messages.append(protocol.envelope(ended))
    realtime.broadcast(interview.pk, messages)
    return interview


@transaction.atomic
def interview_abandon(*, user: User, interview: Interview, role: str) -> Interview:
    """Give up on an interview that has not ended; any participant may."""
    try:
        flow.check(
            role,
            Action.ABANDON,
            flow.phase(interview.status, interview.paused),
            solo=interview.is_solo,
        )
    except flow.FlowError as exc:
        raise ServiceError(exc.code, exc.message) from None
    status = _transition(interview, "abandon")
    matched = Interview.objects.filter(pk=interview.pk, status=interview.status).update(
        status=status, ended_at=timezone.now(), clock_started_at=None
    )
    if not matched:
        raise ServiceError(ErrorCode.STALE, "The interview changed meanwhile; try again.")
    event_record(
        interview_id=interview.pk,
        kind=EventKind.STATUS,
        actor=user,
        old=interview.status,
        new=status,
    )
    interview.refresh_from_db()
    ended = protocol.Ended(status=status, redirect=reverse("dashboard"))
    realtime.broadcast(interview.pk, realtime.to_both(protocol.envelope(ended)))
    return interview


# --- Documents: notes per step, the diagram, private notes ------------------------------------

DOCUMENT_ACTIONS = {
    "notes": Action.NOTES,
    "diagram": Action.DIAGRAM,
    "private": Action.PRIVATE_NOTE,
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


def _refuse_if_closed(actor: Actor, action: Action) -> None:
    """The slow path of a refused compare-and-set: was it the interview's phase?"""
    status, paused = (
        Interview.objects.filter(pk=actor.interview_id).values_list("status", "paused").get()
    )
    _check(actor, action, Interview(status=status, paused=paused))


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
    action = DOCUMENT_ACTIONS[kind]
    _check(actor, action)
    statuses = flow.statuses(actor.role, action, solo=actor.solo)
    saved = _update_while(
        Document,
        interview_id=actor.interview_id,
        statuses=statuses,
        where={"interview": actor.interview_id, "slot": slot, "revision": base_revision},
        values={
            "text": text,
            "revision": base_revision + 1,
            "updated_by": actor.user.pk,
            "updated_at": timezone.now(),
        },
    )
    if not saved:
        _refuse_if_closed(actor, action)
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
        kind=REVISED[kind],
        actor=actor.user,
        step_key=step_key,
        private=kind == "private",
        slot=slot,
        revision=revision,
        text=text,
    )
    if kind != "private":
        update = protocol.DocUpdated(slot=slot, text=text, revision=revision, by=actor.role)
        realtime.broadcast(actor.interview_id, realtime.to_both(protocol.envelope(update)))
    return DocumentResult(slot, revision, text)


def _update_while(
    model: type[Model],
    *,
    interview_id: UUID,
    statuses: frozenset[str],
    where: dict[str, Any],
    values: dict[str, Any],
) -> int:
    """``UPDATE model SET values WHERE where`` if the interview's status is one of
    ``statuses``, as one statement; returns the number of rows changed.

    This is the room's hot path (every pause in typing, every score). The ORM would compile the
    UPDATE with its status subquery anew each time, over a millisecond of CPU; this plain
    statement is the same compare-and-set, with each value prepared by its field's adapter."""
    connection = connections[router.db_for_write(model)]
    q, meta = connection.ops.quote_name, model._meta

    def prep(name: str, value: Any) -> Any:
        return meta.get_field(name).get_db_prep_save(value, connection)  # type: ignore[union-attr]

    key = Interview._meta.pk.get_db_prep_value(interview_id, connection)  # type: ignore[union-attr]
    status_list = sorted(statuses)
    sets = ", ".join(f"{q(meta.get_field(name).column)} = %s" for name in values)  # type: ignore[union-attr]
    conditions = " AND ".join(f"{q(meta.get_field(name).column)} = %s" for name in where)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(meta.db_table)} SET {sets} WHERE {conditions}"  # noqa: S608
            f" AND EXISTS (SELECT 1 FROM {q(Interview._meta.db_table)} WHERE {q('id')} = %s"
            f" AND {q('status')} IN ({', '.join(['%s'] * len(status_list))}))",
            [
                *(prep(name, value) for name, value in values.items()),
                *(prep(name, value) for name, value in where.items()),
                key,
                *status_list,
            ],
        )
        return cursor.rowcount


# --- Chat, hints, scores ------------------------------------------------------------------------


@transaction.atomic
def chat_post(*, actor: Actor, text: str) -> ChatMessage:
    _check(actor, Action.CHAT)
    text = text.strip()
    if not text:
        raise ServiceError(ErrorCode.BAD_MESSAGE, "A chat message needs some text.")
    status, paused = (
        Interview.objects.filter(pk=actor.interview_id).values_list("status", "paused").get()
    )
    _check(actor, Action.CHAT, Interview(status=status, paused=paused))
    message = ChatMessage.objects.create(
        interview_id=actor.interview_id, author=actor.user, text=text
    )
    event_record(
        interview_id=actor.interview_id,
        kind=EventKind.CHAT,
        actor=actor.user,
        message_id=message.pk,
        text=text,
    )
    realtime.broadcast(
        actor.interview_id, realtime.to_both(selectors.chat_message(message, actor.role))
    )
    return message


@transaction.atomic
def delivery_send(*, actor: Actor, step_key: str, kind: str, index: int) -> Delivery:
    """Send a hint or curveball from the guide to the candidate. Sending the same one twice
    delivers it once."""
    _check(actor, Action.HINT)
    interview = _load(actor)
    _check(actor, Action.HINT, interview)
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
        defaults={"text": items[index], "sent_by": actor.user},
    )
    if created:
        event_record(
            interview_id=interview.pk,
            kind=SENT[kind],
            actor=actor.user,
            step_key=step_key,
            index=index,
            text=delivery.text,
        )
        realtime.broadcast(interview.pk, realtime.to_both(selectors.delivery_message(delivery)))
    return delivery


@transaction.atomic
def score_record(
    *,
    actor: Actor,
    criterion_key: str,
    level: int | None,
    not_observed: bool = False,
    evidence: str = "",
) -> Score:
    """Record the interviewer's live score of one criterion, with its evidence, during the
    interview and its wrap-up. (The wrap-up's scorecards are written whole by the feedback
    app.)"""
    _check(actor, Action.SCORE)
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
    source = Score.Source.INTERVIEWER
    values = {"level": level, "not_observed": not_observed, "evidence": evidence.strip()}
    # Live scoring writes often: one compare-and-set UPDATE that also checks the interview's
    # status; an INSERT only for a criterion's first score, after the status was checked.
    where = {"interview": actor.interview_id, "criterion": criterion_id, "source": source}
    statuses = flow.statuses(actor.role, Action.SCORE, solo=actor.solo)
    if not _update_while(
        Score,
        interview_id=actor.interview_id,
        statuses=statuses,
        where=where,
        values={**values, "updated_at": timezone.now()},
    ):
        _refuse_if_closed(actor, Action.SCORE)
        try:
            with transaction.atomic():
                Score.objects.create(
                    interview_id=actor.interview_id,
                    criterion_id=criterion_id,
                    source=source,
                    **values,
                )
        except IntegrityError:  # another tab inserted it first: ours is the later write
            Score.objects.filter(
                interview_id=actor.interview_id, criterion_id=criterion_id, source=source
            ).update(**values, updated_at=timezone.now())
    event_record(
        interview_id=actor.interview_id,
        kind=EventKind.SCORE_INTERVIEWER,
        actor=actor.user,
        step_key=step_key,
        private=True,
        criterion=criterion_key,
        **values,
    )
    recorded = protocol.ScoreRecorded(criterion=criterion_key, **values)  # type: ignore[arg-type]
    realtime.broadcast(actor.interview_id, {Role.INTERVIEWER: [protocol.envelope(recorded)]})
    return Score(
        interview_id=actor.interview_id, criterion_id=criterion_id, source=source, **values
    )


@transaction.atomic
def reference_reveal(*, actor: Actor, step_key: str) -> str:
    """Solo drill: show a step's reference notes, once the candidate has written their own."""
    _check(actor, Action.REVEAL)
    # Locked: two reveals racing must not drop one from the list.
    interview = (
        Interview.objects.select_for_update(of=("self",))
        .select_related("case_study__framework")
        .get(pk=actor.interview_id)
    )
    keys = [step.key for step in selectors.steps_of(interview)]
    if step_key not in keys:
        raise ServiceError(ErrorCode.INVALID_STEP, "There is no such step.")
    _check(actor, Action.REVEAL, interview)
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
            kind=EventKind.REFERENCE_REVEALED,
            actor=actor.user,
            step_key=step_key,
        )
    return selectors.reference_html(interview, step_key)

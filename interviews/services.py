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
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.types import User
from casestudies.models import CaseStudy, Framework
from rubrics.models import TargetLevel
from rubrics.selectors import rubric_for_framework

from . import calls, flow, guides, protocol, realtime, selectors
from .errors import InviteError, ServiceError
from .events import EventKind, event_record
from .flow import Action
from .models import (
    Document,
    Interview,
    Invite,
    Participant,
    Role,
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
    criteria = selectors.criteria_of(interview)
    return Actor(
        user, interview.pk, role, interview.is_solo, tuple(selectors.steps_of(interview)), criteria
    )


def _load(actor: Actor) -> Interview:
    interview = Interview.objects.select_related(
        "case_study__framework", "framework", "rubric"
    ).get(pk=actor.interview_id)
    if actor.steps:
        vars(interview)["_steps"] = list(actor.steps)  # known already (selectors.steps_of)
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
    framework: Framework | None = None,
    call_link: str = "",
) -> Interview:
    """Create an interview (or a solo drill) with its creator as a participant. ``framework``
    is the steps it walks through: the case's own (the default) or one based on it. A peer interview
    gets a single-use invite for the other role, unless the ``peer`` is known already (a booked
    partner): then the peer is a participant in the other role at once and there is no invite.
    ``case_study=None`` means "surprise me". Refused while the user (or the peer) is the
    candidate in an unfinished session on the case, and as its candidate while they interview
    on it (``guides.session_refusal``)."""
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
    framework = _framework_for(case_study, framework)
    if kind == Interview.Kind.SOLO:
        role = Role.CANDIDATE
    call_link = _call_link(call_link) if kind == Interview.Kind.PEER else ""
    if peer is not None and (kind != Interview.Kind.PEER or peer.pk == user.pk):
        raise ServiceError(ErrorCode.BAD_MESSAGE, "A peer joins a peer interview, not their own.")
    # The guide rule (guides.guide_access): a candidate whose session on this case is not
    # finished starts no other session on it (as its interviewer they would read the guide).
    refusal = guides.session_refusal(user=user, case_id=case_study.pk, role=role)
    if not refusal and peer is not None:
        refusal = guides.session_refusal(user=peer, case_id=case_study.pk, role=_other(role))
        refusal = refusal and f"Your partner cannot take this case: {refusal}"
    if refusal:
        raise ServiceError(ErrorCode.FORBIDDEN, refusal)
    interview = Interview.objects.create(
        kind=kind,
        case_study=case_study,
        case_version=case_study.version,
        rubric=rubric,
        framework=framework,
        target_level=target_level,
        created_by=user,
        call_link=call_link,
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
        framework=framework.slug,
    )
    if peer is not None:
        Participant.objects.create(interview=interview, user=peer, role=_other(role))
        event_record(
            interview_id=interview.pk, kind=EventKind.JOINED, actor=peer, role=_other(role)
        )
    return interview


def _framework_for(case_study: CaseStudy, framework: Framework | None) -> Framework:
    """The framework a new session on this case walks through: the case's own, or one based on
    it (refused otherwise)."""
    framework = framework or case_study.framework
    if framework.pk != case_study.framework_id and framework.based_on_id != case_study.framework_id:
        raise ServiceError(
            ErrorCode.BAD_MESSAGE,
            f"The framework “{framework.title}” does not fit this case: a case runs under its "
            "own framework or one based on it.",
        )
    return framework


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
    refusal = selectors.invite_refusal(invite=invite, user=user)
    if refusal:
        raise InviteError(refusal)
    claimed = Invite.objects.filter(pk=invite.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if not claimed:
        raise InviteError("This invite link has already been used. Ask your peer for a new one.")
    try:
        with transaction.atomic():
            Participant.objects.create(interview=interview, user=user, role=invite.role)
    except IntegrityError:
        raise InviteError("Someone already joined in that role.") from None
    event_record(interview_id=interview.pk, kind=EventKind.JOINED, actor=user, role=invite.role)
    realtime.announce_joined(interview.pk, user, invite.role)
    return interview


@transaction.atomic
def _call_link(value: str) -> str:
    try:
        return calls.call_link_clean(value)
    except ValueError as exc:
        raise ServiceError(ErrorCode.BAD_MESSAGE, str(exc)) from None


def call_link_set(*, interview: Interview, role: str, link: str) -> Interview:
    """The interviewer sets or clears the meeting link of a peer interview, until it starts
    (compare-and-set on the status: a start that came first wins)."""
    if interview.is_solo or role != Role.INTERVIEWER:
        raise ServiceError(ErrorCode.FORBIDDEN, "Only the interviewer changes the meeting link.")
    link = _call_link(link)
    changed = Interview.objects.filter(pk=interview.pk, status=Interview.Status.SCHEDULED).update(
        call_link=link
    )
    if not changed:
        raise ServiceError(
            ErrorCode.INVALID_STATE, "The meeting link can be changed only before the start."
        )
    interview.call_link = link
    # The other person's open room shows the new link at once (static/js/call.js).
    message = protocol.envelope(protocol.CallLink(url=link))
    realtime.broadcast(interview.pk, {None: [message]})
    return interview


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


# --- The flow: start, move, pause, resume, end, abandon -----------------------------------------


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
def interview_start(*, actor: Actor, announce: bool = True) -> Interview:
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
    if announce:
        realtime.announce_state(interview)
    return interview


@transaction.atomic
def step_move(*, actor: Actor, from_key: str, to_key: str, announce: bool = True) -> Interview:
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
    if announce:
        realtime.announce_state(interview)
    return interview


@transaction.atomic
def clock_pause(*, actor: Actor, announce: bool = True) -> Interview:
    interview = _load(actor)
    _check(actor, Action.PAUSE, interview)
    key = selectors.steps_of(interview)[interview.step_index].key
    banked = flow.bank_time(interview.elapsed, interview.clock_started_at, key, timezone.now())
    _compare_and_set(interview, paused=True, elapsed=banked, clock_started_at=None)
    event_record(interview_id=interview.pk, kind=EventKind.PAUSED, actor=actor.user, step_key=key)
    if announce:
        realtime.announce_state(interview)
    return interview


@transaction.atomic
def clock_resume(*, actor: Actor, announce: bool = True) -> Interview:
    interview = _load(actor)
    _check(actor, Action.RESUME, interview)
    key = selectors.steps_of(interview)[interview.step_index].key
    _compare_and_set(interview, paused=False, clock_started_at=timezone.now())
    event_record(interview_id=interview.pk, kind=EventKind.RESUMED, actor=actor.user, step_key=key)
    if announce:
        realtime.announce_state(interview)
    return interview


@transaction.atomic
def interview_end(*, actor: Actor, announce: bool = True) -> Interview:
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
    if announce:
        realtime.announce_state(interview)
        realtime.announce_ended(
            interview.pk, status, reverse("wrapup", kwargs={"interview_id": interview.pk})
        )
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
    realtime.announce_state(interview)
    realtime.announce_ended(interview.pk, status, reverse("dashboard"))
    return interview


# --- Documents, chat, hints and scores -----------------------------------------------------------
# These happen many times a minute, so they live on the room's fast path: checked against the
# room's state in memory and made durable in batches (interviews/live.py,
# interviews/writebehind.py). Only a drill's reference reveal at the wrap-up, below, is a page's.


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

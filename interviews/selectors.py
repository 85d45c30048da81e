"""Reads for the interviews app, each starting from the user who asks.

``interview_get_for_user`` is the one access-checked getter: every view and the consumer go
through it. What a role may see is decided here, on the server: the candidate's snapshot never
contains the guide, the scores or the interviewer's private notes.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.selectors import display_name
from accounts.types import User
from casestudies import plans
from casestudies.models import CaseStep, Framework
from rubrics import scoring
from rubrics.models import Criterion, TargetLevel
from rubrics.selectors import scoring_policy

from . import flow, protocol
from .events import EventKind
from .models import (
    ChatMessage,
    Delivery,
    Document,
    DocumentState,
    DocumentUpdate,
    Event,
    Interview,
    Invite,
    Mark,
    Participant,
    Role,
    Score,
)

CHAT_HISTORY = 200


# --- Access --------------------------------------------------------------------------------


REVIEWER = "reviewer"  # the role of someone who may read any interview (interviews.view_private)


@dataclass(frozen=True)
class Access:
    interview: Interview
    role: str  # "interviewer", "candidate", or REVIEWER for a session reviewer not in it

    @property
    def is_participant(self) -> bool:
        return self.role in (Role.INTERVIEWER, Role.CANDIDATE)


def interview_get_for_user(
    *, user: User, interview_id: UUID | str, allow_reviewer: bool = False
) -> Access:
    """The interview and the user's role in it, in one query.

    Raises ``Interview.DoesNotExist`` for anonymous users, malformed ids, and users who are not
    participants (session reviewers too, unless ``allow_reviewer``), so callers answer 404
    without telling whether the interview exists. A session reviewer is someone with the
    permission ``interviews.view_private`` (the "Session reviewers" group, superusers), not
    any staff: curating the bank gives no sight of interviews. Callers log a reviewer's read
    (``feedback.services.private_read_record``).
    """
    if not user.is_authenticated:
        raise Interview.DoesNotExist
    try:
        interview_id = UUID(str(interview_id))
    except ValueError:
        raise Interview.DoesNotExist from None
    my_role = Participant.objects.filter(interview=OuterRef("pk"), user=user).values("role")[:1]
    interview = (
        Interview.objects.select_related("case_study__framework", "framework", "rubric")
        .annotate(my_role=Subquery(my_role))
        .get(pk=interview_id)
    )
    if interview.my_role:
        return Access(interview, interview.my_role)
    if allow_reviewer and user.has_perm("interviews.view_private"):
        return Access(interview, REVIEWER)
    raise Interview.DoesNotExist


# --- The room: what each role sees -----------------------------------------------------------


def framework_of(interview: Interview) -> Framework:
    """The framework the session walks through: the one picked at creation, else the case's."""
    if interview.framework_id and interview.framework_id != interview.case_study.framework_id:
        return cast(Framework, interview.framework)
    return interview.case_study.framework


def plan_of(interview: Interview) -> plans.Plan:
    """The steps of this interview, and where the case's guide and the rubric's criteria go in
    them (casestudies/plans.py): the one place the room, the wrap-up and the report ask.
    Built once per interview instance: two queries (the steps, the criteria' steps)."""
    cached = getattr(interview, "_plan", None)
    if cached is None:
        criteria = dict(
            Criterion.objects.filter(rubric_id=interview.rubric_id).values_list(
                "key", "framework_step__key"
            )
        )
        cached = plans.plan_for(
            framework_of(interview), {key: step or "" for key, step in criteria.items()}
        )
        vars(interview)["_plan"] = cached  # a cache on the instance, not a field
    return cached


def steps_of(interview: Interview) -> list[flow.Step]:
    """The steps of this interview (``plan_of``) as the flow and the clock take them, fetched
    once per interview instance (a handler asks several times: to validate, to bank time, to
    render the panel)."""
    cached = getattr(interview, "_steps", None)
    if cached is None:
        cached = [flow.Step(s.key, s.title, s.minutes) for s in plan_of(interview).steps]
        vars(interview)["_steps"] = cached  # a cache on the instance, not a field
    return cached


def criterion_step(interview: Interview, criterion: Criterion) -> str:
    """The step of this interview a criterion is scored in ("" for a cross-cutting one)."""
    return plan_of(interview).criterion_step.get(criterion.key, criterion.step_key)


def checklist_of(interview: Interview) -> list[dict[str, Any]]:
    """The case's concept checklist with each concept's step as a step of this interview."""
    plan = plan_of(interview)
    return [
        {**item, "step": plan.section_step.get(item.get("step", ""), item.get("step", ""))}
        if isinstance(item, dict)
        else item
        for item in interview.case_study.checklist or []
    ]


def clock_of(interview: Interview) -> dict[str, Any]:
    return {
        "elapsed": {k: round(float(v), 3) for k, v in interview.elapsed.items()},
        "running_since": (
            interview.clock_started_at.isoformat() if interview.clock_started_at else None
        ),
    }


STATE_FIELDS = (
    "status",
    "step_index",
    "paused",
    "elapsed",
    "clock_started_at",
    "started_at",
    "ended_at",
)


def state_fields(interview: Interview) -> dict[str, Any]:
    """What a room keeps of the interview row, as JSON (datetimes in ISO form)."""
    out: dict[str, Any] = {}
    for name in STATE_FIELDS:
        value = getattr(interview, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def interview_state(interview_id: UUID) -> Interview:
    """The interview's row, with only the fields a room keeps."""
    return Interview.objects.only(*STATE_FIELDS).get(pk=interview_id)


def peer_joined(interview: Interview) -> bool:
    """Both people are in a peer interview (a drill needs nobody else). Asked once per
    interview instance."""
    if interview.is_solo:
        return True
    cached = getattr(interview, "_peer_joined", None)
    if cached is None:
        cached = interview.participants.count() >= 2
        vars(interview)["_peer_joined"] = cached  # as in steps_of
    return cached


def actions_for(interview: Interview, role: str) -> list[str]:
    """What ``role`` may do in this interview now (the rule table, ``flow.RULES``)."""
    phase = flow.phase(interview.status, interview.paused)
    # Only starting needs the peer, and only before the start does it matter: no query then.
    joined = peer_joined(interview) if phase == flow.SCHEDULED else True
    return flow.allowed(role, phase, solo=interview.is_solo, peer_joined=joined)


def state_message(interview: Interview, role: str) -> protocol.JSON:
    phase = flow.phase(interview.status, interview.paused)
    return protocol.envelope(
        protocol.State(
            status=interview.status,
            phase=phase,
            label=flow.PHASE_LABELS[phase],
            step_index=interview.step_index,
            paused=interview.paused,
            clock=clock_of(interview),
            server_now=timezone.now().isoformat(),
            actions=actions_for(interview, role),
            why_not=flow.why_not(role, phase, solo=interview.is_solo),
        )
    )


def was_present(*, interview_ids: list[UUID], user_id: int, since: datetime) -> bool:
    """Whether ``user_id`` had one of these rooms open at some moment from ``since`` on. The
    room records a person coming online (their first socket) and going offline (their last
    one closing) on the timeline: an event of either kind since then, or an "online" as the
    last such event before it (they are still there), is presence. Two queries at most."""
    rows = Event.objects.filter(
        interview_id__in=interview_ids,
        actor_id=user_id,
        kind__in=(EventKind.ONLINE, EventKind.OFFLINE),
    )
    if rows.filter(at__gte=since).exists():
        return True
    last = rows.filter(at__lt=since).order_by("-at", "-id").values_list("kind", flat=True)
    return last.first() == EventKind.ONLINE


def document_slot_visible(slot: str, role: str) -> bool:
    return slot != "private" or role == Role.INTERVIEWER


def _delivered(delivery: Delivery) -> protocol.Delivered:
    return protocol.Delivered(
        step=delivery.step_key,
        kind=delivery.kind,
        index=delivery.index,
        text=delivery.text,
        sent_at=delivery.sent_at.isoformat(),
    )


def delivery_message(delivery: Delivery) -> protocol.JSON:
    return protocol.envelope(_delivered(delivery))


def _chat_posted(message: ChatMessage, role: str) -> protocol.ChatPosted:
    return protocol.ChatPosted(
        id=message.client_id or str(message.pk),
        author=display_name(message.author),
        role=role,
        text=message.text,
        at=message.at.isoformat(),
    )


def chat_message(message: ChatMessage, role: str) -> protocol.JSON:
    return protocol.envelope(_chat_posted(message, role))


def interviewer_scores(interview: Interview) -> dict[str, Score]:
    """The interviewer's live scores by criterion key: for the interviewer's room only."""
    return {
        s.criterion.key: s
        for s in Score.objects.filter(
            interview=interview, source=Score.Source.INTERVIEWER
        ).select_related("criterion")
    }


def _score_recorded(score: Score) -> protocol.ScoreRecorded:
    return protocol.ScoreRecorded(
        criterion=score.criterion.key,
        level=score.level,
        not_observed=score.not_observed,
        evidence=score.evidence,
    )


def case_step(interview: Interview, step_key: str):
    """The case's guide for one step of this interview (``case_steps``), or None."""
    return case_steps(interview).get(step_key)


def step_criteria(interview: Interview, step_key: str) -> list[Criterion]:
    """The rubric criteria scored during a step; the last step also gets the cross-cutting
    ones (communication, trade-offs, time management), judged over the whole interview."""
    criteria = (
        Criterion.objects.filter(rubric_id=interview.rubric_id)
        .select_related("framework_step")
        .prefetch_related("levels")
    )
    keys = [step.key for step in steps_of(interview)]
    if keys and step_key == keys[-1]:
        return [c for c in criteria if criterion_step(interview, c) in (step_key, "")]
    return [c for c in criteria if criterion_step(interview, c) == step_key]


PANEL_CACHE_SIZE = 512  # panels (about 10 kB each): every step of every case, several times
_panels: OrderedDict = OrderedDict()
_panels_lock = threading.Lock()


def panel_html(interview: Interview, step_key: str, *, scores: dict | None = None) -> str:
    """The interviewer's panel for one step: the private guide with send actions, and live
    scoring of the step's criteria. Rendered from the same partial the room page includes.

    Without ``scores`` the panel holds no state of this interview (the browser marks sent
    hints and applies the scores it holds), so it depends only on the case, the framework, the
    rubric and the step, and is kept in this process under their versions: a curator's edit
    makes a new key. (In process, not in the shared cache: a key made of row ids must not
    outlive the database it came from.)
    """
    if scores is not None:
        return _render_panel(interview, step_key, scores)
    case = interview.case_study
    framework = framework_of(interview)
    key = (
        case.pk,
        case.version,
        framework.pk,
        framework.version,
        interview.rubric_id,
        interview.rubric.version,
        step_key,
    )
    with _panels_lock:
        html = _panels.get(key)
        if html is not None:
            _panels.move_to_end(key)
            return html
    html = _render_panel(interview, step_key, {})
    with _panels_lock:
        _panels[key] = html
        while len(_panels) > PANEL_CACHE_SIZE:
            _panels.popitem(last=False)
    return html


def _render_panel(interview: Interview, step_key: str, scores: dict) -> str:
    criteria = list(
        Criterion.objects.filter(rubric_id=interview.rubric_id)
        .select_related("framework_step")
        .prefetch_related("levels")
    )
    steps = steps_of(interview)
    keys = [step.key for step in steps]
    last = bool(keys) and step_key == keys[-1]
    for criterion in criteria:
        vars(criterion)["plan_step"] = criterion_step(interview, criterion)  # data-criterion-step
    shown = [
        c for c in criteria if (home := vars(c)["plan_step"]) == step_key or (last and not home)
    ]
    guides = case_steps(interview)
    tagged = tagged_signals(guides, steps)
    shown_keys = {c.key for c in shown}
    # This step's signals and flags that evidence a criterion scored elsewhere (a cross-cutting
    # one before the last step): listed after the criteria, so every flag can be marked here.
    elsewhere = [
        item
        for key, items in tagged.items()
        if key not in shown_keys
        for item in items
        if item["step"] == step_key
    ]
    return render_to_string(
        "interviews/_panel.html",
        {
            "interview": interview,
            "step": guides.get(step_key),
            "step_key": step_key,
            "criteria": [(c, scores.get(c.key), tagged.get(c.key, [])) for c in shown],
            "elsewhere": elsewhere,
            "criterion_titles": {c.key: c.title for c in criteria},
            "checklist": checklist_rows(checklist_of(interview), steps, first=step_key),
            "target_levels": TargetLevel.choices,
        },
    )


def case_steps(interview: Interview) -> dict[str, Any]:
    """The case's guide per step of this interview, by step key (``plans.compose_guides``:
    for the case's own framework, its step guides as they are; under a framework based on it,
    each step's guide composed of the sections it draws). One query, kept on the instance."""
    cached = getattr(interview, "_guides", None)
    if cached is None:
        guides = {
            step.framework_step.key: step
            for step in CaseStep.objects.filter(
                case_study_id=interview.case_study_id
            ).select_related("framework_step")
        }
        cached = plans.compose_guides(plan_of(interview), guides, case_id=interview.case_study_id)
        vars(interview)["_guides"] = cached  # a cache on the instance, not a field
    return cached


def flag_key(step_key: str, index: int) -> str:
    """A red flag's key for a mark: its step and its position in the step's guide."""
    return f"{step_key}:{index}"


def tagged_signals(
    guides: dict[str, Any], steps: list[flow.Step]
) -> dict[str, list[dict[str, Any]]]:
    """Criterion key -> the case's strong signals and red flags tagged with it, in step order:
    the examples a peer scores that criterion with. Each item: kind ("strong" or "red"), text,
    level, critical, step, step_title and, for a red flag, the key it is marked by."""
    out: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        guide = guides.get(step.key)
        if guide is None:
            continue
        for kind, items in (("strong", guide.strong_signals), ("red", guide.red_flags)):
            for index, item in enumerate(items):
                if not isinstance(item, dict) or not item.get("criterion"):
                    continue
                out.setdefault(item["criterion"], []).append(
                    {
                        "kind": kind,
                        "text": item.get("text", ""),
                        "level": item.get("level"),
                        "critical": bool(item.get("critical")) and kind == "red",
                        "step": step.key,
                        "step_title": step.title,
                        "criterion": item["criterion"],
                        "key": flag_key(step.key, index) if kind == "red" else "",
                    }
                )
    return out


def red_flags(guides: dict[str, Any]) -> dict[str, tuple[str, str, bool]]:
    """Every red flag of the case by its mark key: (step key, text, critical)."""
    return {
        flag_key(key, index): (
            key,
            _item_text(item),
            bool(isinstance(item, dict) and item.get("critical")),
        )
        for key, guide in guides.items()
        for index, item in enumerate(guide.red_flags)
    }


def checklist_rows(
    checklist: list[dict[str, Any]], steps: list[flow.Step], *, first: str = ""
) -> list[dict[str, Any]]:
    """The case's concept checklist with step titles and level labels, the items of ``first``
    (the current step) first."""
    titles = {step.key: step.title for step in steps}
    order = {step.key: position for position, step in enumerate(steps)}
    labels = dict(TargetLevel.choices)
    rows = [
        {
            **item,
            "step_title": titles.get(item.get("step", ""), item.get("step", "")),
            "level_label": labels.get(item.get("level", ""), item.get("level", "")),
            "here": bool(first) and item.get("step") == first,
        }
        for item in checklist
        if isinstance(item, dict) and item.get("key")
    ]
    rows.sort(key=lambda row: (not row["here"], order.get(row.get("step", ""), 99)))
    return rows


@dataclass
class StepGuide:
    """A step as the room needs it: its budget, and the texts of its hints and curveballs."""

    key: str
    title: str
    minutes: int
    hints: list[str]
    curveballs: list[str]
    # Indexes of the answer-level hints (the last of each guide section the step shows).
    answer_hints: frozenset[int] = frozenset()


@dataclass
class RoomData:
    """What a room loads from the database once (interviews/live.py)."""

    interview: Interview  # with its case, framework and rubric
    steps: list[StepGuide]
    criteria: dict[str, tuple[int, str]]  # key -> (id, step key)
    participants: dict[int, tuple[str, str]]  # user id -> (role, display name)
    doc_parts: dict[str, list[bytes]]  # document name -> stored state and updates
    texts: dict[str, str]  # slot -> plain text stored (documents from before the CRDTs)
    chat: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    references: dict[str, str]
    panels: dict[str, str]  # step key -> the interviewer's panel (peer interviews)
    # What the scoring aids check against (interviews/live.py, "Scoring aids"):
    policy: scoring.Policy | None = None  # the rubric's numbers: the hint caps
    checklist: dict[str, str] = field(default_factory=dict)  # concept key -> concept
    flags: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # see red_flags
    marks: list[dict[str, Any]] = field(default_factory=list)  # the interviewer's: kind, key, value


# A state folded by one process may lack another process's update committed just before it:
# updates this much older than the state are read too (merging twice is harmless).
STATE_OVERLAP = timedelta(seconds=120)


def _item_text(item: Any) -> str:
    return str(item["text"]) if isinstance(item, dict) else str(item)


def document_parts(interview_id: UUID) -> dict[str, list[bytes]]:
    """Each shared document's stored parts: its last folded state and the updates from shortly
    before it on (all updates when there is no state yet). Two queries."""
    states = {row.doc: row for row in DocumentState.objects.filter(interview_id=interview_id)}
    parts: dict[str, list[bytes]] = {name: [] for name in states}
    for name, row in states.items():
        parts[name].append(bytes(row.state))
    # Only the rows that count are read: a document's updates from shortly before its state
    # on, all of a document without one (a long session has thousands of older rows).
    wanted = ~Q(doc__in=list(states))
    for name, row in states.items():
        wanted |= Q(doc=name, at__gte=row.at - STATE_OVERLAP)
    updates = DocumentUpdate.objects.filter(wanted, interview_id=interview_id).order_by("id")
    for doc, data in updates.values_list("doc", "data"):
        parts.setdefault(doc, []).append(bytes(data))
    return parts


def room_data(interview_id: UUID) -> RoomData:
    """Everything a room keeps in memory, read once: a fixed number of queries."""
    interview = Interview.objects.select_related(
        "case_study__framework", "framework", "rubric"
    ).get(pk=interview_id)
    guides = case_steps(interview)
    steps = []
    for step in steps_of(interview):
        guide = guides.get(step.key)
        steps.append(
            StepGuide(
                step.key,
                step.title,
                step.minutes,
                [_item_text(h) for h in (guide.hints if guide else [])],
                [_item_text(c) for c in (guide.curveballs if guide else [])],
                plans.answer_level_hints(guide) if guide else frozenset(),
            )
        )
    criteria = criteria_of(interview)
    participants = {
        p.user_id: (p.role, display_name(p.user))
        for p in Participant.objects.filter(interview=interview).select_related("user__profile")
    }
    roles = {user_id: role for user_id, (role, _name) in participants.items()}
    chat = list(
        ChatMessage.objects.filter(interview=interview)
        .select_related("author__profile")
        .order_by("-id")[:CHAT_HISTORY]
    )
    return RoomData(
        interview=interview,
        steps=steps,
        criteria=criteria,
        participants=participants,
        doc_parts=document_parts(interview.pk),
        texts=dict(Document.objects.filter(interview=interview).values_list("slot", "text")),
        chat=[_chat_posted(m, roles.get(m.author_id, "")).payload() for m in reversed(chat)],
        deliveries=[_delivered(d).payload() for d in Delivery.objects.filter(interview=interview)],
        scores=[_score_recorded(s).payload() for s in interviewer_scores(interview).values()],
        references={
            key: reference_html(interview, key)
            for key in (interview.revealed_steps if interview.is_solo else [])
        },
        panels={} if interview.is_solo else {s.key: panel_html(interview, s.key) for s in steps},
        policy=scoring_policy(interview.rubric),
        checklist={
            item["key"]: str(item.get("concept", ""))
            for item in interview.case_study.checklist
            if isinstance(item, dict) and item.get("key")
        },
        flags=red_flags(guides),
        marks=[] if interview.is_solo else marks_of(interview.pk, source=Score.Source.INTERVIEWER),
    )


def criteria_of(interview: Interview) -> dict[str, tuple[int, str]]:
    """The rubric's criteria: key -> (id, the step of this interview it is scored in)."""
    plan = plan_of(interview)
    return {
        key: (pk, plan.criterion_step.get(key, step or ""))
        for pk, key, step in Criterion.objects.filter(rubric_id=interview.rubric_id).values_list(
            "pk", "key", "framework_step__key"
        )
    }


def marks_of(interview_id: UUID, *, source: str) -> list[dict[str, Any]]:
    """One side's marks (checklist concepts and red flags) as the room sends them: kind, key,
    value; cleared marks left out. The interviewer's are for the interviewer only."""
    return [
        {"kind": kind, "key": key, "value": value}
        for kind, key, value in Mark.objects.filter(interview_id=interview_id, source=source)
        .exclude(value="")
        .values_list("kind", "key", "value")
    ]


def _step_payload(step: flow.Step) -> dict[str, Any]:
    near, over = flow.budget_marks(step.minutes)
    return {
        "key": step.key,
        "title": step.title,
        "minutes": step.minutes,
        "near_at": near,
        "over_at": over,
    }


def reference_html(interview: Interview, step_key: str) -> str:
    return render_to_string(
        "casestudies/_reference_step.html", {"step": case_step(interview, step_key)}
    )


# --- Pages -------------------------------------------------------------------------------------


def interviews_for_user(*, user: User) -> QuerySet[Interview]:
    """The user's interviews and drills, newest first, with what lists show, in one query."""
    my_role = Participant.objects.filter(interview=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Interview.objects.filter(participants__user=user)
        .select_related("case_study", "report")
        .defer("report__data", "report__markdown")  # lists need the status, not the report
        .annotate(my_role=Subquery(my_role))
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.select_related("user__profile"),
            )
        )
        .order_by("-created_at")
    )


def practised_case_ids(*, user: User | int) -> set[int]:
    """Case studies the user (an account, or its id: the report knows only that) has practised:
    any interview or drill that went live."""
    return set(
        Interview.objects.filter(participants__user=user)
        .exclude(status__in=[Interview.Status.SCHEDULED, Interview.Status.ABANDONED])
        .values_list("case_study_id", flat=True)
    )


def invite_refusal(*, invite: Invite, user: User) -> str:
    """Why ``user`` cannot join through ``invite`` now, or "" if they can: the join page says
    it before anyone presses "Join", and ``services.invite_accept`` refuses for the same
    reasons (it also claims the invite by compare-and-set, for two people at once)."""
    interview = invite.interview
    if interview.created_by_id == user.pk:
        return "This is your own invite link: send it to your peer."
    if invite.accepted_at is not None:
        return "This invite link has already been used. Ask your peer for a new one."
    if invite.expires_at <= timezone.now():
        return "This invite link has expired. Ask your peer for a new one."
    if interview.status not in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        return "This interview is over."
    return ""

"""Reads for the interviews app, each starting from the user who asks.

``interview_get_for_user`` is the one access-checked getter: every view and the consumer go
through it. What a role may see is decided here, on the server: the candidate's snapshot never
contains the guide, the scores or the interviewer's private notes.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, OuterRef, Prefetch, Q, Subquery
from django.db.models.fields.json import KeyTransform
from django.template.loader import render_to_string
from django.utils import timezone

from casestudies.models import CaseStep, CaseStudy
from rubrics.models import Criterion, TargetLevel

from . import flow
from .models import (
    Assessment,
    ChatMessage,
    Delivery,
    Document,
    Event,
    Interview,
    Participant,
    Profile,
    Report,
    Role,
    Score,
)

CHAT_HISTORY = 200
PRESENCE_STALE_SECONDS = 90


def profile_for(*, user: AbstractBaseUser) -> Profile:
    """The user's profile, or an unsaved default for accounts made outside sign-up."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        fallback = (user.get_username() or "").split("@")[0] or "Someone"
        return Profile(user=user, display_name=fallback, target_level=TargetLevel.SENIOR)


def display_name(user: AbstractBaseUser) -> str:
    return profile_for(user=user).display_name


# --- Access --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    interview: Interview
    role: str  # "interviewer", "candidate", or "staff" for a staff member who is not in it

    @property
    def is_participant(self) -> bool:
        return self.role in (Role.INTERVIEWER, Role.CANDIDATE)


def interview_get_for_user(
    *, user: AbstractBaseUser, interview_id: UUID | str, allow_staff: bool = False
) -> Access:
    """The interview and the user's role in it, in one query.

    Raises ``Interview.DoesNotExist`` for anonymous users, malformed ids, and users who are not
    participants (staff too, unless ``allow_staff``), so callers answer 404 without telling
    whether the interview exists.
    """
    if not user.is_authenticated:
        raise Interview.DoesNotExist
    try:
        interview_id = UUID(str(interview_id))
    except ValueError:
        raise Interview.DoesNotExist from None
    my_role = Participant.objects.filter(interview=OuterRef("pk"), user=user).values("role")[:1]
    interview = (
        Interview.objects.select_related("case_study__framework", "rubric")
        .annotate(my_role=Subquery(my_role))
        .get(pk=interview_id)
    )
    if interview.my_role:
        return Access(interview, interview.my_role)
    if allow_staff and user.is_staff:
        return Access(interview, "staff")
    raise Interview.DoesNotExist


# --- The room: what each role sees -----------------------------------------------------------


def steps_of(interview: Interview) -> list[flow.Step]:
    """The framework's steps, fetched once per interview instance (a handler asks several
    times: to validate, to bank time, to render the panel)."""
    cached = getattr(interview, "_steps", None)
    if cached is None:
        cached = [
            flow.Step(step.key, step.title, step.minutes)
            for step in interview.case_study.framework.steps.all()
        ]
        interview._steps = cached
    return cached


def clock_of(interview: Interview) -> dict:
    return {
        "elapsed": {k: round(float(v), 3) for k, v in interview.elapsed.items()},
        "running_since": (
            interview.clock_started_at.isoformat() if interview.clock_started_at else None
        ),
    }


def state_payload(interview: Interview) -> dict:
    return {
        "status": interview.status,
        "step_index": interview.step_index,
        "paused": interview.paused,
        "clock": clock_of(interview),
        "server_now": timezone.now().isoformat(),
    }


def presence_payload(interview_id: UUID) -> dict:
    now = timezone.now()
    rows = Participant.objects.filter(interview_id=interview_id).select_related("user__profile")
    return {
        "participants": [
            {
                "role": p.role,
                "name": display_name(p.user),
                "online": p.connections > 0
                and p.last_seen_at is not None
                and (now - p.last_seen_at).total_seconds() < PRESENCE_STALE_SECONDS,
            }
            for p in rows
        ]
    }


def document_slot_visible(slot: str, role: str) -> bool:
    return slot != "private" or role == Role.INTERVIEWER


def delivery_payload(delivery: Delivery) -> dict:
    return {
        "step": delivery.step_key,
        "kind": delivery.kind,
        "index": delivery.index,
        "text": delivery.text,
        "sent_at": delivery.sent_at.isoformat(),
    }


def chat_payload(message: ChatMessage, role: str) -> dict:
    return {
        "id": message.pk,
        "author": display_name(message.author),
        "role": role,
        "text": message.text,
        "at": message.at.isoformat(),
    }


def score_payload(score: Score) -> dict:
    return {
        "criterion": score.criterion.key,
        "level": score.level,
        "not_observed": score.not_observed,
        "evidence": score.evidence,
    }


def case_step(interview: Interview, step_key: str) -> CaseStep | None:
    return (
        CaseStep.objects.filter(case_study_id=interview.case_study_id, framework_step__key=step_key)
        .select_related("framework_step")
        .first()
    )


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
        return [c for c in criteria if c.step_key in (step_key, "")]
    return [c for c in criteria if c.step_key == step_key]


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
    key = (
        case.pk,
        case.version,
        case.framework_id,
        case.framework.version,
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
    criteria = step_criteria(interview, step_key)
    return render_to_string(
        "interviews/_panel.html",
        {
            "interview": interview,
            "step": case_step(interview, step_key),
            "step_key": step_key,
            "criteria": [(c, scores.get(c.key)) for c in criteria],
        },
    )


def room_snapshot(*, interview: Interview, role: str, user: AbstractBaseUser) -> dict:
    """Everything ``role`` may see of the room, to (re)build a browser's view from scratch."""
    steps = steps_of(interview)
    documents = [
        {"slot": d.slot, "text": d.text, "revision": d.revision}
        for d in Document.objects.filter(interview=interview).order_by("slot")
        if document_slot_visible(d.slot, role)
    ]
    roles = dict(Participant.objects.filter(interview=interview).values_list("user_id", "role"))
    chat = list(
        ChatMessage.objects.filter(interview=interview)
        .select_related("author__profile")
        .order_by("-id")[:CHAT_HISTORY]
    )
    deliveries = list(Delivery.objects.filter(interview=interview))
    snapshot = {
        "interview": {
            "id": str(interview.pk),
            "kind": interview.kind,
            "status": interview.status,
            "step_index": interview.step_index,
            "paused": interview.paused,
            "case": {"title": interview.case_study.title, "slug": interview.case_study.slug},
            "target_level": interview.target_level,
            "revealed_steps": list(interview.revealed_steps),
        },
        "me": {"role": role, "user_id": user.pk, "name": display_name(user)},
        "steps": [{"key": s.key, "title": s.title, "minutes": s.minutes} for s in steps],
        "clock": clock_of(interview),
        "presence": presence_payload(interview.pk)["participants"],
        "documents": documents,
        "chat": [chat_payload(m, roles.get(m.author_id, "")) for m in reversed(chat)],
        "deliveries": [delivery_payload(d) for d in deliveries],
        "server_now": timezone.now().isoformat(),
    }
    if role == Role.INTERVIEWER and steps:
        scores = {
            s.criterion.key: s
            for s in Score.objects.filter(
                interview=interview, source=Score.Source.INTERVIEWER
            ).select_related("criterion")
        }
        current = steps[min(interview.step_index, len(steps) - 1)].key
        snapshot["scores"] = [score_payload(s) for s in scores.values()]
        snapshot["panel"] = {"step": current, "html": panel_html(interview, current)}
    if interview.is_solo and interview.revealed_steps:
        snapshot["references"] = [
            {"step": key, "html": reference_html(interview, key)}
            for key in interview.revealed_steps
        ]
    return snapshot


def reference_html(interview: Interview, step_key: str) -> str:
    return render_to_string(
        "casestudies/_reference_step.html", {"step": case_step(interview, step_key)}
    )


# --- Pages -------------------------------------------------------------------------------------


def interviews_for_user(*, user: AbstractBaseUser):
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


def practised_case_ids(*, user: AbstractBaseUser) -> set[int]:
    """Case studies the user has practised: any interview or drill that went live."""
    return set(
        Interview.objects.filter(participants__user=user)
        .exclude(status__in=[Interview.Status.SCHEDULED, Interview.Status.ABANDONED])
        .values_list("case_study_id", flat=True)
    )


def guide_visible(*, user: AbstractBaseUser, case: CaseStudy) -> bool:
    """May this user read the interviewer guide of this case outside a session? Staff may; so
    may a user who interviewed on this case, and a candidate who has finished it."""
    if user.is_staff:
        return True
    finished = [Interview.Status.WRAPUP, Interview.Status.COMPLETED]
    return (
        Participant.objects.filter(user=user, interview__case_study=case)
        .filter(Q(role=Role.INTERVIEWER) | Q(interview__status__in=finished))
        .exists()
    )


# --- After the interview: wrap-up, reports, progress ---------------------------------------------


def rubric_criteria(interview: Interview) -> list[Criterion]:
    """The interview's rubric criteria in order, with their steps and four anchors."""
    return list(
        Criterion.objects.filter(rubric_id=interview.rubric_id)
        .select_related("framework_step")
        .prefetch_related("levels")
    )


def candidate_documents(interview: Interview) -> dict[str, str]:
    """The candidate's notes per step (``notes:<key>``) and diagram, by slot."""
    return dict(
        Document.objects.filter(interview=interview, private=False).values_list("slot", "text")
    )


def assessments_of(interview: Interview) -> dict[str, Assessment]:
    return {a.source: a for a in Assessment.objects.filter(interview=interview)}


def scores_of(interview: Interview, *, source: str) -> dict[str, Score]:
    """One side's scores by criterion key. The interviewer's side is for the interviewer's
    page and the report only: the candidate's wrap-up never asks for it."""
    return {
        s.criterion.key: s
        for s in Score.objects.filter(interview=interview, source=source).select_related(
            "criterion"
        )
    }


def report_of(interview: Interview) -> Report | None:
    return Report.objects.filter(interview=interview).first()


def progress_interviews(*, user: AbstractBaseUser):
    """Every interview and drill of the user, oldest first, with the user's role, the case
    and the report's status and small summary (not the whole report): three queries with the
    participants, however many there are."""
    my_role = Participant.objects.filter(interview=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Interview.objects.filter(participants__user=user)
        .select_related("case_study")
        .annotate(
            my_role=Subquery(my_role),
            report_status=F("report__status"),
            summary=KeyTransform("summary", "report__data"),
        )
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("user__profile"))
        )
        .order_by("created_at")
    )


# --- Curation: how each case is used -----------------------------------------------------------

TOO_HARD, TOO_EASY, MIN_SESSIONS_FOR_A_VERDICT = 2.25, 3.25, 3


@dataclass
class CaseUsage:
    case: CaseStudy
    sessions: int = 0
    peer: int = 0
    solo: int = 0
    completed: int = 0
    hints: int = 0
    curveballs: int = 0
    step_levels: dict | None = None  # step key -> mean interviewer level
    overall: float | None = None

    @property
    def hints_per_peer(self) -> float | None:
        return self.hints / self.peer if self.peer else None

    @property
    def curveballs_per_peer(self) -> float | None:
        return self.curveballs / self.peer if self.peer else None

    @property
    def verdict(self) -> str:
        if self.overall is None or self.completed < MIN_SESSIONS_FOR_A_VERDICT:
            return ""
        if self.overall < TOO_HARD:
            return "too hard?"
        if self.overall > TOO_EASY:
            return "too easy?"
        return "balanced"


def case_usage() -> tuple[list, list[CaseUsage]]:
    """Usage of every case study that is not retired: sessions, completions, hints and
    curveballs sent, and the interviewers' mean level per step (plain means of the 1-4 levels
    given in peer interviews that went past the live stage). Five queries however many cases
    and sessions there are."""
    from django.db.models import Avg, Count, Q

    cases = list(
        CaseStudy.objects.exclude(status=CaseStudy.Status.RETIRED)
        .select_related("framework")
        .order_by("title")
    )
    usage = {case.pk: CaseUsage(case=case, step_levels={}) for case in cases}
    past_live = [Interview.Status.WRAPUP, Interview.Status.COMPLETED]
    counts = Interview.objects.values("case_study_id").annotate(
        sessions=Count("pk", filter=~Q(status=Interview.Status.ABANDONED)),
        peer=Count("pk", filter=Q(kind=Interview.Kind.PEER, status__in=past_live)),
        solo=Count("pk", filter=Q(kind=Interview.Kind.SOLO, status__in=past_live)),
        completed=Count("pk", filter=Q(status=Interview.Status.COMPLETED)),
    )
    for row in counts:
        if row["case_study_id"] in usage:
            item = usage[row["case_study_id"]]
            item.sessions, item.peer, item.solo, item.completed = (
                row["sessions"],
                row["peer"],
                row["solo"],
                row["completed"],
            )
    sent = Delivery.objects.values("interview__case_study_id", "kind").annotate(n=Count("pk"))
    for row in sent:
        item = usage.get(row["interview__case_study_id"])
        if item:
            setattr(item, "hints" if row["kind"] == "hint" else "curveballs", row["n"])
    levels = (
        Score.objects.filter(
            source=Score.Source.INTERVIEWER,
            level__isnull=False,
            interview__kind=Interview.Kind.PEER,
            interview__status__in=past_live,
        )
        .values("interview__case_study_id", "criterion__framework_step__key")
        .annotate(mean=Avg("level"), n=Count("pk"))
    )
    level_sum: dict[int, float] = {}  # case -> sum of all levels given, for the overall mean
    level_count: dict[int, int] = {}
    for row in levels:
        item = usage.get(row["interview__case_study_id"])
        if item is None:
            continue
        key = row["criterion__framework_step__key"] or "across"
        item.step_levels[key] = float(row["mean"])
        level_sum[item.case.pk] = level_sum.get(item.case.pk, 0.0) + float(row["mean"]) * row["n"]
        level_count[item.case.pk] = level_count.get(item.case.pk, 0) + row["n"]
    for pk, item in usage.items():
        if level_count.get(pk):
            item.overall = level_sum[pk] / level_count[pk]
    steps = []
    if cases:
        steps = [flow.Step(s.key, s.title, s.minutes) for s in cases[0].framework.steps.all()]
    return steps, list(usage.values())


# --- The timeline: a replay of the session -----------------------------------------------------

STATUS_WORDS = {
    "scheduled": "scheduled",
    "live": "started",
    "wrapup": "ended",
    "completed": "completed",
    "abandoned": "abandoned",
}


def _describe(event: Event, steps: dict[str, str]) -> tuple[str, str]:
    """(headline, detail) of one timeline row, in words."""
    data, step = event.data, steps.get(event.step_key, event.step_key)
    kind = event.kind
    if kind == "created":
        return f"Created as the {data.get('role', '')}", f"case version {data.get('case_version')}"
    if kind == "joined":
        return f"Joined as the {data.get('role', '')}", ""
    if kind in ("online", "offline"):
        return ("Connected" if kind == "online" else "Disconnected"), ""
    if kind == "status":
        return f"Interview {STATUS_WORDS.get(data.get('new'), data.get('new'))}", data.get(
            "reason", ""
        )
    if kind == "step":
        seconds = int(data.get("seconds_on_old", 0))
        old = steps.get(data.get("old"), data.get("old"))
        return f"Moved to {step}", f"after {seconds // 60}:{seconds % 60:02d} on {old}"
    if kind in ("paused", "resumed"):
        return f"Clock {kind}", ""
    if kind.endswith(".revised"):
        label = {"notes": f"Notes for {step}", "diagram": "Diagram", "private": "Private notes"}[
            kind.split(".")[0]
        ]
        return label, data.get("text", "")
    if kind == "chat":
        return "Chat", data.get("text", "")
    if kind in ("hint.sent", "curveball.sent"):
        what = "Hint" if kind == "hint.sent" else "Curveball"
        return f"{what} sent ({step})", data.get("text", "")
    if kind.startswith("score."):
        level = "not observed" if data.get("not_observed") else data.get("level")
        return f"Scored {data.get('criterion')}: {level}", data.get("evidence", "")
    if kind == "reference.revealed":
        return f"Reference notes revealed ({step})", ""
    if kind == "assessment.submitted":
        who = "Self-assessment" if data.get("source") == "self" else "Scorecard"
        return f"{who} submitted" + (" (skipped)" if data.get("skipped") else ""), ""
    if kind.startswith("report."):
        return f"Report {kind.split('.', 1)[1]}", ""
    return kind, ""


def timeline(*, interview: Interview, role: str) -> list[dict]:
    """The session's events as ``role`` may see them, oldest first, with the time since the
    start. The candidate gets no interviewer-only row (scores, private notes). Runs of
    revisions of one document fold into one row holding the text as it ended. Two queries."""
    events = Event.objects.filter(interview=interview).select_related("actor__profile")
    if role == Role.CANDIDATE:
        events = events.filter(visibility=Event.Visibility.ALL)
    steps = {step.key: step.title for step in steps_of(interview)}
    start = interview.started_at
    rows: list[dict] = []
    for event in events:
        headline, detail = _describe(event, steps)
        slot = event.data.get("slot") if event.kind.endswith(".revised") else None
        if slot and rows and rows[-1]["slot"] == slot:
            last = rows[-1]
            last["detail"], last["revisions"][1] = detail, event.data.get("revision")
            last["until"] = event.at
            continue
        rows.append(
            {
                "at": event.at,
                "until": None,
                "offset": (event.at - start).total_seconds() if start else None,
                "who": display_name(event.actor) if event.actor else "Sevensteps",
                "kind": event.kind.split(".")[0],
                "private": event.visibility == Event.Visibility.INTERVIEWER,
                "headline": headline,
                "detail": detail,
                "slot": slot,
                "revisions": [event.data.get("revision"), event.data.get("revision")]
                if slot
                else None,
            }
        )
    return rows

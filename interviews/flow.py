"""The seven-step session flow as plain Python: statuses, who may do what, which step moves are
allowed, and the clock. No database here; services apply these rules with compare-and-set."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

SCHEDULED, LIVE, WRAPUP, COMPLETED, ABANDONED = (
    "scheduled",
    "live",
    "wrapup",
    "completed",
    "abandoned",
)
STATUSES = (SCHEDULED, LIVE, WRAPUP, COMPLETED, ABANDONED)
# A phase is a status, with "paused" split out of "live": what the rules below look at.
PAUSED = "paused"
PHASES = (SCHEDULED, LIVE, PAUSED, WRAPUP, COMPLETED, ABANDONED)
PHASE_LABELS = {
    SCHEDULED: "Not started",
    LIVE: "Live",
    PAUSED: "Paused",
    WRAPUP: "Wrap-up",
    COMPLETED: "Completed",
    ABANDONED: "Abandoned",
}
INTERVIEWER, CANDIDATE = "interviewer", "candidate"
PEER, SOLO = "peer", "solo"

# Status transitions: action -> (statuses it may start from, status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({SCHEDULED}), LIVE),
    "end": (frozenset({LIVE}), WRAPUP),
    "complete": (frozenset({WRAPUP}), COMPLETED),
    "abandon": (frozenset({SCHEDULED, LIVE}), ABANDONED),
}


class FlowError(Exception):
    """A move the rules refuse. ``code`` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


class Action(StrEnum):
    START = "start"
    MOVE = "move"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    ABANDON = "abandon"
    NOTES = "notes"  # the candidate's notes for a step
    DIAGRAM = "diagram"  # the shared architecture diagram
    BOARD = "board"  # the shared whiteboard: both people draw
    CALL = "call"  # voice and video between the two: signalling through the room
    PRIVATE_NOTE = "private_note"  # the interviewer's private notes
    CHAT = "chat"
    HINT = "hint"  # send a hint or curveball from the guide
    SCORE = "score"  # the interviewer's live scoring
    MARK = "mark"  # the interviewer ticks the concept checklist and red flags observed
    REVEAL = "reveal"  # a solo drill's reference notes
    SELF_ASSESS = "self_assess"  # the candidate's wrap-up
    SCORECARD = "scorecard"  # the interviewer's wrap-up
    INVITE_RENEW = "invite_renew"


_OPEN = frozenset({SCHEDULED, LIVE, PAUSED})
_RUNNING = frozenset({LIVE, PAUSED})
_TALKING = frozenset({SCHEDULED, LIVE, PAUSED, WRAPUP})

# Who may do what, and in which phases: kind of interview -> role -> action -> phases. This
# table is the rule. Services ask it through ``check``; the room is told what its socket may
# do now (``allowed``) and enables its controls from that list alone.
RULES: dict[str, dict[str, dict[Action, frozenset[str]]]] = {
    PEER: {
        INTERVIEWER: {
            Action.START: frozenset({SCHEDULED}),
            Action.MOVE: frozenset({LIVE}),
            Action.PAUSE: frozenset({LIVE}),
            Action.RESUME: frozenset({PAUSED}),
            Action.END: _RUNNING,
            Action.ABANDON: _OPEN,
            Action.CHAT: _TALKING,
            Action.BOARD: _RUNNING,
            Action.CALL: _OPEN,
            Action.HINT: _RUNNING,
            Action.SCORE: frozenset({LIVE, PAUSED, WRAPUP}),
            Action.MARK: frozenset({LIVE, PAUSED, WRAPUP}),
            Action.PRIVATE_NOTE: _TALKING,
            Action.SCORECARD: frozenset({WRAPUP}),
            Action.INVITE_RENEW: _OPEN,
        },
        CANDIDATE: {
            Action.ABANDON: _OPEN,
            Action.CHAT: _TALKING,
            Action.NOTES: _RUNNING,
            Action.DIAGRAM: _RUNNING,
            Action.BOARD: _RUNNING,
            Action.CALL: _OPEN,
            Action.SELF_ASSESS: frozenset({WRAPUP}),
            Action.INVITE_RENEW: _OPEN,
        },
    },
    SOLO: {
        # In a drill the candidate is alone and drives the clock.
        CANDIDATE: {
            Action.START: frozenset({SCHEDULED}),
            Action.MOVE: frozenset({LIVE}),
            Action.PAUSE: frozenset({LIVE}),
            Action.RESUME: frozenset({PAUSED}),
            Action.END: _RUNNING,
            Action.ABANDON: _OPEN,
            Action.NOTES: _RUNNING,
            Action.DIAGRAM: _RUNNING,
            Action.BOARD: _RUNNING,
            Action.REVEAL: frozenset({LIVE, PAUSED, WRAPUP}),
            Action.SELF_ASSESS: frozenset({WRAPUP}),
        },
    },
}

# Why an action is refused in the wrong phase, in words for the person who tried.
NOT_NOW: dict[Action, str] = {
    Action.START: "The interview has already started.",
    Action.MOVE: "Steps move only while the interview is running, not paused.",
    Action.PAUSE: "Only a running interview can be paused.",
    Action.RESUME: "Only a paused interview can be resumed.",
    Action.END: "Only a running interview can be ended.",
    Action.ABANDON: "This interview is over; it can no longer be abandoned.",
    Action.NOTES: "Notes can be written while the interview runs.",
    Action.DIAGRAM: "The diagram can be edited while the interview runs.",
    Action.BOARD: "The board can be drawn on while the interview runs.",
    Action.CALL: "The call is over with the interview.",
    Action.PRIVATE_NOTE: "Private notes are closed once the report is compiled.",
    Action.CHAT: "The chat of this interview is closed.",
    Action.HINT: "Hints can be sent while the interview runs.",
    Action.SCORE: "Scores can be changed during the interview and its wrap-up.",
    Action.MARK: "The checklist and red flags can be marked during the interview and its wrap-up.",
    Action.REVEAL: "Start the drill first.",
    Action.SELF_ASSESS: "The self-assessment opens once the interview ends.",
    Action.SCORECARD: "The scorecard opens once the interview ends.",
    Action.INVITE_RENEW: "This interview is over; its invite can no longer be renewed.",
}


def phase(status: str, paused: bool = False) -> str:
    return PAUSED if status == LIVE and paused else status


# Actions that also need the peer in the room (a peer interview starts with both people).
NEEDS_PEER = frozenset({Action.START})


def allowed(
    role: str, phase_now: str, *, solo: bool = False, peer_joined: bool = True
) -> list[str]:
    """The actions ``role`` may take now, in table order: what the room enables."""
    table = RULES[SOLO if solo else PEER].get(role, {})
    return [
        str(action)
        for action, phases in table.items()
        if phase_now in phases and (solo or peer_joined or action not in NEEDS_PEER)
    ]


def why_not(role: str, phase_now: str, *, solo: bool = False) -> dict[str, str]:
    """For each action ``role`` may take in some phase but not in this one, why not: what the
    room shows beside a disabled control."""
    table = RULES[SOLO if solo else PEER].get(role, {})
    return {
        str(action): NOT_NOW[action] for action, phases in table.items() if phase_now not in phases
    }


def statuses(role: str, action: str, *, solo: bool = False) -> frozenset[str]:
    """The interview statuses in which ``role`` may take ``action``, for a check made in SQL
    (which sees the status column, not the phase). Only for actions allowed alike whether or
    not the clock is paused."""
    phases = RULES[SOLO if solo else PEER].get(role, {}).get(Action(action), frozenset())
    if (LIVE in phases) != (PAUSED in phases):
        raise ValueError(f"{action} depends on the pause; check it with check(), not in SQL")
    return frozenset(LIVE if p == PAUSED else p for p in phases)


def may(role: str, action: str, phase_now: str | None = None, *, solo: bool = False) -> bool:
    """Whether ``role`` may ever take ``action`` (``phase_now`` None), or may now."""
    phases = RULES[SOLO if solo else PEER].get(role, {}).get(Action(action))
    return phases is not None and (phase_now is None or phase_now in phases)


def check(role: str, action: str, phase_now: str | None = None, *, solo: bool = False) -> None:
    """Raise ``FlowError`` unless ``role`` may take ``action`` in ``phase_now``: ``forbidden``
    if the role never may, ``invalid_state`` if not in this phase (``None``: skip that)."""
    act = Action(action)
    phases = RULES[SOLO if solo else PEER].get(role, {}).get(act)
    if phases is None:
        raise FlowError("forbidden", f"The {role} may not {act.value.replace('_', ' ')}.")
    if phase_now is not None and phase_now not in phases:
        raise FlowError("invalid_state", NOT_NOW[act])


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    minutes: int


def next_status(status: str, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise FlowError("invalid_state", f"cannot {action} an interview that is {status}")
    return target


def check_move(current: int, target: int, step_count: int) -> None:
    """The interviewer (a drill's candidate) moves one step at a time, next or back. Whether
    moving is allowed now at all is the rule table's (``Action.MOVE``)."""
    if not 0 <= target < step_count or not 0 <= current < step_count:
        raise FlowError("invalid_step", "There is no such step.")
    if abs(target - current) != 1:
        raise FlowError("invalid_step", "Move one step at a time, next or back.")


# --- The clock ---------------------------------------------------------------------------------
# Server timestamps only: every browser computes the same figures from the same snapshot, and a
# refresh does not reset anything.


def running_seconds(started_at: datetime | None, now: datetime) -> float:
    if started_at is None:
        return 0.0
    return max(0.0, (now - started_at).total_seconds())


def step_seconds(
    elapsed: Mapping[str, float],
    started_at: datetime | None,
    current_key: str,
    key: str,
    now: datetime,
) -> float:
    """Seconds spent on step ``key``, counting the running stretch if it is the current one."""
    extra = running_seconds(started_at, now) if key == current_key else 0.0
    return float(elapsed.get(key, 0.0)) + extra


def total_seconds(
    elapsed: Mapping[str, float], started_at: datetime | None, now: datetime
) -> float:
    return sum(float(v) for v in elapsed.values()) + running_seconds(started_at, now)


def bank_time(
    elapsed: Mapping[str, float], started_at: datetime | None, current_key: str, now: datetime
) -> dict[str, float]:
    """Fold the running stretch into the current step: what to store when the clock stops or
    the step changes."""
    banked = {k: float(v) for k, v in elapsed.items()}
    banked[current_key] = round(banked.get(current_key, 0.0) + running_seconds(started_at, now), 3)
    return banked


def reached_steps(
    elapsed: Mapping[str, float], step_index: int, step_keys: list[str] | tuple[str, ...]
) -> list[str]:
    """The steps the interview reached, in order: every step with time on the clock, the
    current one, and those before it (steps move one at a time, so the interview passed
    through them). A later step with no time was never reached: the scoring counts its
    unscored criteria at level 1 (rubrics/scoring.py)."""
    current = min(max(step_index, 0), len(step_keys) - 1) if step_keys else -1
    return [
        key
        for position, key in enumerate(step_keys)
        if position <= current or float(elapsed.get(key, 0) or 0) > 0
    ]


BUDGET_NEAR = 0.8  # a step is "near" its budget from this share of it


def budget_marks(minutes: int) -> tuple[float, float]:
    """(seconds from which a step is "near" its budget, seconds after which it is "over").
    The room colours its rail from these two numbers, so the rule lives here only."""
    budget = minutes * 60
    return BUDGET_NEAR * budget, float(budget)


def budget_status(seconds: float, minutes: int) -> str:
    """ "ok" under 80% of the budget, "near" up to 100%, "over" past it."""
    near, over = budget_marks(minutes)
    if seconds > over:
        return "over"
    if seconds >= near:
        return "near"
    return "ok"

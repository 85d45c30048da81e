"""The seven-step session flow as plain Python: statuses, who may do what, which step moves are
allowed, and the clock. No database here; services apply these rules with compare-and-set."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

SCHEDULED, LIVE, WRAPUP, COMPLETED, ABANDONED = (
    "scheduled",
    "live",
    "wrapup",
    "completed",
    "abandoned",
)
INTERVIEWER, CANDIDATE = "interviewer", "candidate"

# Status transitions: action -> (statuses it may start from, status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({SCHEDULED}), LIVE),
    "end": (frozenset({LIVE}), WRAPUP),
    "complete": (frozenset({WRAPUP}), COMPLETED),
    "abandon": (frozenset({SCHEDULED, LIVE}), ABANDONED),
}

# What each role may do in a peer interview. In a solo drill the candidate drives the clock.
DRIVING = frozenset({"start", "move", "pause", "resume", "end", "abandon"})
PEER_PERMISSIONS: dict[str, frozenset[str]] = {
    INTERVIEWER: DRIVING | {"chat", "hint", "score", "private_note"},
    CANDIDATE: frozenset({"chat", "notes", "diagram"}),
}
SOLO_PERMISSIONS: dict[str, frozenset[str]] = {
    CANDIDATE: DRIVING | {"notes", "diagram", "reveal"},
}


class FlowError(Exception):
    """A move the rules refuse. ``code`` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    minutes: int


def may(role: str, action: str, *, solo: bool = False) -> bool:
    table = SOLO_PERMISSIONS if solo else PEER_PERMISSIONS
    return action in table.get(role, frozenset())


def check_permission(role: str, action: str, *, solo: bool = False) -> None:
    if not may(role, action, solo=solo):
        raise FlowError("forbidden", f"the {role} may not {action.replace('_', ' ')}")


def next_status(status: str, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise FlowError("invalid_state", f"cannot {action} an interview that is {status}")
    return target


def can_move(status: str, paused: bool, current: int, target: int, step_count: int) -> bool:
    """The interviewer moves one step at a time, next or back, while the interview is live
    and not paused."""
    return (
        status == LIVE
        and not paused
        and 0 <= current < step_count
        and 0 <= target < step_count
        and abs(target - current) == 1
    )


def check_move(status: str, paused: bool, current: int, target: int, step_count: int) -> None:
    if status != LIVE:
        raise FlowError("invalid_state", f"steps move only while live, not {status}")
    if paused:
        raise FlowError("invalid_state", "resume the interview before moving on")
    if not 0 <= target < step_count:
        raise FlowError("invalid_step", "there is no such step")
    if not can_move(status, paused, current, target, step_count):
        raise FlowError("invalid_step", "move one step at a time, next or back")


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


def budget_status(seconds: float, minutes: int) -> str:
    """ "ok" under 80% of the budget, "near" up to 100%, "over" past it."""
    budget = minutes * 60
    if seconds > budget:
        return "over"
    if seconds >= 0.8 * budget:
        return "near"
    return "ok"

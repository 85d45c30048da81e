"""The seven-step flow is pure logic: tested here without a database."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from interviews import flow

STEPS = [
    flow.Step("clarify", "Clarify", 5),
    flow.Step("frame", "Frame", 5),
    flow.Step("data", "Data", 7),
    flow.Step("features", "Features", 6),
    flow.Step("model", "Model", 9),
    flow.Step("serve", "Serve", 8),
    flow.Step("monitor", "Monitor", 5),
]
N = len(STEPS)
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("current", "target"), list(product(range(N), range(N))))
def test_every_pair_of_steps_allows_exactly_next_and_back(current, target):
    if abs(target - current) == 1:
        flow.check_move(current, target, N)
    else:
        with pytest.raises(flow.FlowError) as refused:
            flow.check_move(current, target, N)
        assert refused.value.code == "invalid_step"


@pytest.mark.parametrize("phase", [p for p in flow.PHASES if p != flow.LIVE])
def test_steps_move_only_while_live_and_not_paused(phase):
    assert not flow.may(flow.INTERVIEWER, "move", phase)
    with pytest.raises(flow.FlowError) as refused:
        flow.check(flow.INTERVIEWER, "move", phase)
    assert refused.value.code == "invalid_state"
    assert flow.may(flow.INTERVIEWER, "move", flow.LIVE)


def test_a_paused_interview_is_its_own_phase():
    assert flow.phase(flow.LIVE, paused=True) == flow.PAUSED
    assert flow.phase(flow.LIVE, paused=False) == flow.LIVE
    assert flow.phase(flow.WRAPUP, paused=True) == flow.WRAPUP
    assert "resume" in flow.allowed(flow.INTERVIEWER, flow.PAUSED)
    assert "pause" not in flow.allowed(flow.INTERVIEWER, flow.PAUSED)


@pytest.mark.parametrize("target", [-1, N, N + 5])
def test_there_is_no_step_outside_the_framework(target):
    with pytest.raises(flow.FlowError) as refused:
        flow.check_move(N - 1, target, N)
    assert refused.value.code == "invalid_step"


STATUS_CASES = [
    ("start", flow.SCHEDULED, flow.LIVE),
    ("end", flow.LIVE, flow.WRAPUP),
    ("complete", flow.WRAPUP, flow.COMPLETED),
    ("abandon", flow.SCHEDULED, flow.ABANDONED),
    ("abandon", flow.LIVE, flow.ABANDONED),
]
STATUSES = [flow.SCHEDULED, flow.LIVE, flow.WRAPUP, flow.COMPLETED, flow.ABANDONED]


@pytest.mark.parametrize(("action", "status"), list(product(flow.TRANSITIONS, STATUSES)))
def test_status_transitions_follow_the_table(action, status):
    expected = {(a, s): t for a, s, t in STATUS_CASES}
    if (action, status) in expected:
        assert flow.next_status(status, action) == expected[(action, status)]
    else:
        with pytest.raises(flow.FlowError) as refused:
            flow.next_status(status, action)
        assert refused.value.code == "invalid_state"


def test_completed_and_abandoned_are_final():
    for status in (flow.COMPLETED, flow.ABANDONED):
        for action in flow.TRANSITIONS:
            with pytest.raises(flow.FlowError):
                flow.next_status(status, action)


@pytest.mark.parametrize(
    "action", ["start", "move", "pause", "resume", "end", "hint", "score", "mark", "private_note"]
)
def test_only_the_interviewer_drives_and_scores_a_peer_interview(action):
    assert flow.may(flow.INTERVIEWER, action)
    assert not flow.may(flow.CANDIDATE, action)
    with pytest.raises(flow.FlowError) as refused:
        flow.check(flow.CANDIDATE, action, flow.LIVE)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("action", ["notes", "diagram"])
def test_only_the_candidate_writes_notes_and_the_diagram(action):
    assert flow.may(flow.CANDIDATE, action)
    assert not flow.may(flow.INTERVIEWER, action)


def test_both_chat():
    assert flow.may(flow.CANDIDATE, "chat") and flow.may(flow.INTERVIEWER, "chat")


def test_in_a_solo_drill_the_candidate_drives_and_reveals_but_nobody_scores_live():
    for action in ("start", "move", "pause", "resume", "end", "notes", "diagram", "reveal"):
        assert flow.may(flow.CANDIDATE, action, solo=True)
    for action in ("hint", "score", "mark", "chat", "invite_renew"):
        assert not flow.may(flow.CANDIDATE, action, solo=True)
    assert not flow.may(flow.INTERVIEWER, "start", solo=True)


def test_an_unknown_role_may_do_nothing():
    assert not flow.may("staff", "chat")
    assert not flow.may("", "start")
    assert flow.allowed("staff", flow.LIVE) == []


# The whole table, cell by cell: (kind, role, action) -> the phases it is allowed in. A change
# to the rules changes this test, on purpose.
EXPECTED = {
    ("peer", "interviewer"): {
        "start": {"scheduled"},
        "move": {"live"},
        "pause": {"live"},
        "resume": {"paused"},
        "end": {"live", "paused"},
        "abandon": {"scheduled", "live", "paused"},
        "chat": {"scheduled", "live", "paused", "wrapup"},
        "board": {"live", "paused"},
        "call": {"scheduled", "live", "paused"},
        "hint": {"live", "paused"},
        "score": {"live", "paused", "wrapup"},
        "mark": {"live", "paused", "wrapup"},
        "private_note": {"scheduled", "live", "paused", "wrapup"},
        "scorecard": {"wrapup"},
        "invite_renew": {"scheduled", "live", "paused"},
    },
    ("peer", "candidate"): {
        "abandon": {"scheduled", "live", "paused"},
        "chat": {"scheduled", "live", "paused", "wrapup"},
        "notes": {"live", "paused"},
        "diagram": {"live", "paused"},
        "board": {"live", "paused"},
        "call": {"scheduled", "live", "paused"},
        "self_assess": {"wrapup"},
        "invite_renew": {"scheduled", "live", "paused"},
    },
    ("solo", "candidate"): {
        "start": {"scheduled"},
        "move": {"live"},
        "pause": {"live"},
        "resume": {"paused"},
        "end": {"live", "paused"},
        "abandon": {"scheduled", "live", "paused"},
        "notes": {"live", "paused"},
        "diagram": {"live", "paused"},
        "board": {"live", "paused"},
        "reveal": {"live", "paused", "wrapup"},
        "self_assess": {"wrapup"},
    },
}


@pytest.mark.parametrize(
    ("kind", "role", "action", "phase"),
    [
        (kind, role, action, phase)
        for kind, role in EXPECTED
        for action in flow.Action
        for phase in flow.PHASES
    ],
)
def test_the_rule_table_cell_by_cell(kind, role, action, phase):
    solo = kind == "solo"
    expected = phase in EXPECTED[(kind, role)].get(str(action), set())
    assert flow.may(role, action, phase, solo=solo) == expected
    assert (str(action) in flow.allowed(role, phase, solo=solo)) == expected
    if expected:
        flow.check(role, action, phase, solo=solo)
    else:
        with pytest.raises(flow.FlowError) as refused:
            flow.check(role, action, phase, solo=solo)
        never = str(action) not in EXPECTED[(kind, role)]
        assert refused.value.code == ("forbidden" if never else "invalid_state")


def test_a_peer_interview_starts_only_with_both_people_in():
    assert "start" not in flow.allowed(flow.INTERVIEWER, flow.SCHEDULED, peer_joined=False)
    assert "start" in flow.allowed(flow.INTERVIEWER, flow.SCHEDULED, peer_joined=True)
    assert "start" in flow.allowed(flow.CANDIDATE, flow.SCHEDULED, solo=True, peer_joined=False)


def test_sql_checks_get_statuses_only_for_actions_the_pause_does_not_change():
    assert flow.statuses(flow.CANDIDATE, "notes") == {flow.LIVE}
    assert flow.statuses(flow.INTERVIEWER, "score") == {flow.LIVE, flow.WRAPUP}
    with pytest.raises(ValueError, match="pause"):
        flow.statuses(flow.INTERVIEWER, "move")


# --- The clock -----------------------------------------------------------------------------


def test_a_running_step_counts_time_since_the_clock_started():
    elapsed = {"clarify": 100.0}
    now = T0 + timedelta(seconds=30)
    assert flow.step_seconds(elapsed, T0, "clarify", "clarify", now) == 130.0
    assert flow.step_seconds(elapsed, T0, "clarify", "frame", now) == 0.0
    assert flow.total_seconds(elapsed, T0, now) == 130.0


def test_a_paused_clock_does_not_run():
    elapsed = {"clarify": 100.0, "frame": 20.0}
    later = T0 + timedelta(hours=1)
    assert flow.step_seconds(elapsed, None, "frame", "frame", later) == 20.0
    assert flow.total_seconds(elapsed, None, later) == 120.0


def test_banking_time_folds_the_running_stretch_into_the_current_step():
    banked = flow.bank_time({"clarify": 10.0}, T0, "clarify", T0 + timedelta(seconds=5.5))
    assert banked == {"clarify": 15.5}
    banked = flow.bank_time(banked, T0, "frame", T0 + timedelta(seconds=2))
    assert banked == {"clarify": 15.5, "frame": 2.0}


def test_a_clock_skewed_into_the_future_never_counts_negative_time():
    assert flow.running_seconds(T0, T0 - timedelta(seconds=3)) == 0.0


@pytest.mark.parametrize(
    ("seconds", "status"),
    [(0, "ok"), (239, "ok"), (240, "near"), (300, "near"), (301, "over")],
)
def test_budget_status_against_a_five_minute_step(seconds, status):
    assert flow.budget_status(seconds, 5) == status


def test_the_budget_marks_are_what_the_room_colours_its_rail_by():
    assert flow.budget_marks(5) == (240.0, 300.0)


# --- Steps reached: what the report's arithmetic counts at level 1 when unscored ---------------

KEYS = ("clarify", "frame", "data", "features", "model", "serve", "monitor")


@pytest.mark.parametrize(
    ("elapsed", "index", "reached"),
    [
        ({}, 0, ["clarify"]),  # started and ended at once: the first step was reached
        ({"clarify": 300, "frame": 200}, 1, ["clarify", "frame"]),
        ({"clarify": 300, "frame": 0.0}, 2, ["clarify", "frame", "data"]),  # passed through
        ({"clarify": 300, "monitor": 12}, 0, ["clarify", "monitor"]),  # moved back: time counts
        ({k: 60 for k in KEYS}, 6, list(KEYS)),
    ],
)
def test_the_steps_reached_are_those_with_time_and_up_to_the_current_one(elapsed, index, reached):
    assert flow.reached_steps(elapsed, index, KEYS) == reached

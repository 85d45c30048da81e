"""rubrics.scoring is plain arithmetic: no database here, every expected value worked by hand.

The scenarios use the default rubric's format-2 weights: step criteria 2/2, 3/2, 2/2, 2/2, 3/2,
3/2, 2/2 (31) and cross-cutting communication 5, trade-offs 2, time management 4, technical
correctness 3, adaptability 2 (16): 47 in all.
"""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rubrics import explanation, scoring
from rubrics.scoring import NOT_OBSERVED, CriterionSpec, HintUse, Policy

STEPS = ("clarify", "frame", "data", "features", "model", "serve", "monitor")
STEP_WEIGHTS = {
    "clarify": (2, 2),
    "frame": (3, 2),
    "data": (2, 2),
    "features": (2, 2),
    "model": (3, 2),
    "serve": (3, 2),
    "monitor": (2, 2),
}
CROSS = {
    "communication": 5,
    "trade-offs": 2,
    "time-management": 4,
    "technical-correctness": 3,
    "adaptability": 2,
}
CRITERIA = [
    CriterionSpec(f"{step}-{n}", step, weight)
    for step, weights in STEP_WEIGHTS.items()
    for n, weight in enumerate(weights, start=1)
] + [CriterionSpec(key, "", weight) for key, weight in CROSS.items()]
POLICY = Policy(
    bars={"mid": Fraction(5, 2), "senior": Fraction(3), "staff": Fraction(7, 2)},
    bands={
        "strong_hire": Fraction(1, 2),
        "hire": Fraction(1, 5),
        "lean_hire": Fraction(0),
        "lean_no_hire": Fraction(-1, 4),
        "no_hire": Fraction(-3, 4),
    },
    min_coverage=Fraction(4, 5),
    required_steps=("data", "serve", "monitor"),
    hint_caps={"first": 3, "second": 2, "answer": 2},
)


def keys_of(*steps: str) -> list[str]:
    return [c.key for c in CRITERIA if c.step in steps]


def levels(level, *steps: str) -> dict:
    return dict.fromkeys(keys_of(*steps), level)


def run(scores, *, criteria=CRITERIA, target="senior", policy=POLICY, **kwargs):
    return scoring.score(criteria, scores, policy, target_level=target, step_order=STEPS, **kwargs)


def test_the_default_weights_add_up_to_47():
    assert sum(c.weight for c in CRITERIA if c.step) == 31
    assert sum(c.weight for c in CRITERIA if not c.step) == 16


# --- The three scenarios of the issue ----------------------------------------------------------


def scenario_one() -> dict:
    scores = levels(3, "clarify", "frame", "data", "features", "model")
    scores.update(levels(3, ""), **{"time-management": 1})
    return scores


def test_scenario_1_never_reaching_serve_and_monitor_is_a_no_hire_below_every_bar():
    # Through model at 3: 22 × 3 = 66; serve and monitor not reached count at 1: 9 × 1 = 9;
    # time management 4 × 1 = 4; the other cross-cutting 12 × 3 = 36. 115 / 47 = 2.45.
    result = run(scenario_one(), reached=STEPS[:5])

    assert result.overall == Fraction(115, 47)
    assert scoring.fmt(result.overall) == "2.45"
    assert result.coverage == 1
    assert result.enough_evidence and result.evidence_gaps == []
    assert result.distance == Fraction(115, 47) - 3  # −0.55
    assert result.hire_signal == "no_hire"
    assert (result.level_signal, result.level_met) == ("below", None)  # 2.45 < 2.50
    assert result.not_reached == keys_of("serve", "monitor")
    assert result.unreached_steps == ["serve", "monitor"]
    assert result.steps["serve"].score == 1
    assert not result.steps["serve"].reached


def test_scenario_2_reaching_every_step_at_2_beats_never_getting_there():
    scores = scenario_one()
    scores.update(levels(2, "serve", "monitor"), **{"time-management": 3})

    result = run(scores)

    # 66 + 9 × 2 + 4 × 3 + 36 = 132; 132 / 47 = 2.81, 0.19 below the senior bar.
    assert result.overall == Fraction(132, 47)
    assert scoring.fmt(result.overall) == "2.81"
    assert result.hire_signal == "lean_no_hire"
    assert (result.level_signal, result.level_met) == ("below", "mid")  # a down-level
    assert result.overall > run(scenario_one(), reached=STEPS[:5]).overall
    assert explanation.explain(result, POLICY) == (
        "Overall 2.81 is 0.19 below the Senior bar of 3.00, in the lean-no-hire band "
        "(−0.25 to 0); it meets the Mid-level bar of 2.50."
    )


def test_scenario_3_too_little_evidence_gives_no_signal_and_says_what_is_missing():
    scores = levels(3, "clarify", "frame", "model", "")

    result = run(scores)

    assert result.coverage == Fraction(30, 47)  # 4 + 5 + 5 + 16
    assert result.overall == 3
    assert result.hire_signal == "insufficient"
    assert scoring.HIRE_LABELS["insufficient"] == "Not enough evidence"
    assert (result.level_signal, result.level_met) == (None, None)
    assert result.evidence_gaps == [
        "coverage is 64%, below 80%",
        "nothing was scored in data",
        "nothing was scored in serve",
        "nothing was scored in monitor",
    ]
    assert "not enough evidence" in explanation.explain(result, POLICY)


def test_evidence_gaps_use_step_titles_when_given():
    result = run(levels(3, *STEPS[:5], ""), step_titles={"serve": "Deployment and serving"})
    assert "nothing was scored in Deployment and serving" in result.evidence_gaps
    assert "nothing was scored in monitor" in result.evidence_gaps


def test_a_required_step_with_nothing_counted_is_a_gap_even_with_full_coverage_elsewhere():
    scores = {**levels(4, *STEPS, ""), **dict.fromkeys(keys_of("monitor"), NOT_OBSERVED)}
    result = run(scores)
    assert result.coverage == Fraction(43, 47)  # above 80%
    assert result.evidence_gaps == ["nothing was scored in monitor"]
    assert result.hire_signal == "insufficient"


def test_coverage_just_below_the_minimum_is_shown_with_a_decimal():
    # 79.5% would round to 80%: say 79.5%, not "80%, below 80%".
    policy = Policy(
        bars=POLICY.bars, bands=POLICY.bands, min_coverage=Fraction(4, 5), required_steps=()
    )
    criteria = [CriterionSpec("a", "clarify", 159), CriterionSpec("b", "clarify", 41)]
    result = run({"a": 3}, criteria=criteria, policy=policy)
    assert result.coverage == Fraction(159, 200)
    assert result.evidence_gaps == ["coverage is 79.5%, below 80%"]


# --- Not reached against not observed ----------------------------------------------------------


def test_not_reached_counts_as_level_1_and_not_observed_on_a_reached_step_is_left_out():
    scores = levels(4, *STEPS, "")
    scores["serve-1"] = NOT_OBSERVED  # serve reached: left out
    del scores["monitor-1"]  # monitor not reached: counted at 1
    scores["monitor-2"] = NOT_OBSERVED  # likewise

    result = run(scores, reached=STEPS[:6])

    statuses = {r.key: r.status for r in result.criteria}
    assert statuses["serve-1"] == "not_observed"
    assert statuses["monitor-1"] == statuses["monitor-2"] == "not_reached"
    assert result.not_observed == ["serve-1"]
    assert result.not_reached == ["monitor-1", "monitor-2"]
    assert result.missing == []
    # 44 weight at 4 (47 − serve-1's 3) minus monitor's 4, plus monitor 4 × 1: (40×4 + 4) / 44.
    assert result.overall == Fraction(164, 44)
    assert result.coverage == Fraction(44, 47)
    assert result.steps["monitor"].score == 1


def test_a_level_given_on_an_unreached_step_still_counts_as_given():
    result = run({"monitor-1": 3}, reached=STEPS[:6])
    row = next(r for r in result.criteria if r.key == "monitor-1")
    assert (row.status, row.level) == ("scored", 3)


def test_cross_cutting_criteria_are_never_not_reached():
    result = run({}, reached=[])
    assert {r.status for r in result.criteria if not r.step} == {"missing"}
    assert {r.status for r in result.criteria if r.step} == {"not_reached"}
    assert result.overall == 1
    assert result.coverage == Fraction(31, 47)


def test_missing_criteria_on_reached_steps_are_left_out_and_reported():
    result = run({"clarify-1": 4, "clarify-2": NOT_OBSERVED, "frame-1": None})
    assert result.overall == 4
    assert result.steps["frame"].score is None
    assert result.steps["frame"].status == "not scored"
    assert "frame-1" in result.missing and "communication" in result.missing
    assert result.not_observed == ["clarify-2"]


def test_nothing_scored_gives_no_overall_and_no_signals():
    result = run({})
    assert result.overall is None
    assert result.coverage == 0
    assert (result.hire_signal, result.level_signal, result.level_met) == (None, None, None)
    assert explanation.explain(result, POLICY).startswith("Nothing was scored")


# --- Hint caps ---------------------------------------------------------------------------------

CAPS = Policy(
    bars=POLICY.bars,
    bands=POLICY.bands,
    min_coverage=POLICY.min_coverage,
    required_steps=POLICY.required_steps,
    hint_caps={"first": 3, "second": 2, "answer": 1},  # distinct, to tell them apart
)


@pytest.mark.parametrize(
    ("use", "cap"),
    [
        (None, None),
        (HintUse(0), None),
        (HintUse(1), 3),
        (HintUse(2), 2),
        (HintUse(5), 2),
        (HintUse(1, answer_level=True), 1),  # the answer-level hint, whatever came before
        (HintUse(3, answer_level=True), 1),
    ],
)
def test_the_hint_cap_of_a_step(use, cap):
    assert scoring.hint_cap(use, CAPS.hint_caps) == cap


def test_hint_caps_lower_the_step_criteria_and_record_the_level_given():
    scores = levels(4, *STEPS, "")
    hints = {"data": HintUse(1), "serve": HintUse(2), "monitor": HintUse(2, answer_level=True)}

    result = run(scores, policy=CAPS, hints=hints)

    counted = {r.key: (r.level, r.capped_from) for r in result.criteria}
    assert counted["data-1"] == (3, 4)
    assert counted["serve-2"] == (2, 4)
    assert counted["monitor-1"] == (1, 4)
    assert counted["clarify-1"] == (4, None)
    assert counted["communication"] == (4, None)  # cross-cutting: never capped
    assert result.steps["data"].cap == 3 and result.steps["clarify"].cap is None
    assert result.capped == keys_of("data", "serve", "monitor")
    # 47 × 4 − data 4 × 1 − serve 5 × 2 − monitor 4 × 3 = 188 − 26 = 162.
    assert result.overall == Fraction(162, 47)


def test_a_level_at_or_under_the_cap_is_not_capped():
    result = run({"data-1": 2, "data-2": 3}, policy=CAPS, hints={"data": HintUse(1)})
    assert [(r.level, r.capped_from) for r in result.criteria[4:6]] == [(2, None), (3, None)]
    assert result.capped == []


def test_an_answer_level_hint_without_hints_sent_is_refused():
    with pytest.raises(ValueError, match="answer-level"):
        HintUse(0, answer_level=True)
    with pytest.raises(ValueError, match="hint count"):
        HintUse(-1)


def test_hints_on_an_unknown_step_are_refused():
    with pytest.raises(ValueError, match="hints for unknown steps: deploy"):
        run({}, hints={"deploy": HintUse(1)})


# --- Bands: relative to the target's bar, a distance exactly on a threshold gets the higher one --


@pytest.mark.parametrize(
    ("overall", "signal"),
    [
        (Fraction(7, 2), "strong_hire"),  # d = 0.5 exactly
        (Fraction(349, 100), "hire"),
        (Fraction(16, 5), "hire"),  # d = 0.2 exactly
        (Fraction(319, 100), "lean_hire"),
        (Fraction(3), "lean_hire"),  # d = 0 exactly: at the bar
        (Fraction(299, 100), "lean_no_hire"),
        (Fraction(11, 4), "lean_no_hire"),  # d = −0.25 exactly
        (Fraction(274, 100), "no_hire"),
        (Fraction(9, 4), "no_hire"),  # d = −0.75 exactly
        (Fraction(224, 100), "strong_no_hire"),
    ],
)
def test_a_distance_exactly_on_a_band_threshold_gets_the_higher_signal(overall, signal):
    assert scoring.hire_signal(overall - 3, POLICY.bands) == signal


def test_band_edges_through_score():
    # 16 weight at 4 and 31 at 3 would be 3.34; pick two criteria for exact edges instead.
    criteria = [CriterionSpec("a", "clarify", 1), CriterionSpec("b", "clarify", 1)]
    policy = Policy(bars=POLICY.bars, bands=POLICY.bands, min_coverage=1)
    at_bar = run({"a": 3, "b": 3}, criteria=criteria, policy=policy)
    assert (at_bar.overall, at_bar.hire_signal, at_bar.level_signal) == (3, "lean_hire", "meets")
    below = run({"a": 3, "b": 2}, criteria=criteria, policy=policy)  # 2.5: d = −0.5
    assert (below.hire_signal, below.level_signal, below.level_met) == (
        "no_hire",
        "below",
        "mid",
    )


@pytest.mark.parametrize(
    ("target", "signal", "level", "met"),
    [
        ("mid", "strong_hire", "exceeds", "senior"),  # 3.09 − 2.5 = 0.59
        ("senior", "lean_hire", "meets", "senior"),  # 3.09 − 3.0 = 0.09
        ("staff", "no_hire", "below", "senior"),  # 3.09 − 3.5 = −0.41: a down-level
    ],
)
def test_the_same_interview_reads_differently_against_each_target_level(target, signal, level, met):
    scores = {**levels(3, *STEPS, ""), "communication": 4, "trade-offs": 4}  # (141 + 7) / 47

    result = run(scores, target=target)

    assert result.overall == Fraction(148, 47)
    assert (result.hire_signal, result.level_signal, result.level_met) == (signal, level, met)


def test_level_signal_at_the_top_has_nothing_to_exceed():
    assert scoring.level_signal(Fraction(4), POLICY.bars, "staff") == ("meets", "staff")
    assert scoring.level_signal(Fraction(7, 2), POLICY.bars, "senior") == ("exceeds", "staff")
    assert scoring.level_signal(Fraction(2), POLICY.bars, "mid") == ("below", None)


# --- Knock-outs ---------------------------------------------------------------------------------

FLAG = ("data", "Assumes fraud labels arrive the moment a payment is made.")


@pytest.mark.parametrize(
    ("lifted", "band"),
    [
        (("", *STEPS), "strong_hire"),  # 4.00
        (("",), "hire"),  # 31 × 3 + 16 × 4 = 157; 157/47 = 3.34
    ],
)
def test_a_knock_out_caps_hire_and_strong_hire_at_lean_hire(lifted, band):
    scores = {**levels(3, *STEPS, ""), **levels(4, *lifted)}
    plain = run(scores)
    assert plain.hire_signal == band

    result = run(scores, knockouts=[FLAG])

    assert result.hire_signal == "lean_hire"
    assert result.band == plain.hire_signal
    assert result.knocked_out
    assert result.knockouts == (FLAG,)
    assert result.level_signal == plain.level_signal  # the arithmetic is unchanged
    assert result.overall == plain.overall
    text = explanation.explain(result, POLICY)
    assert "critical red flag was observed" in text
    assert "capped at lean hire" in text
    assert FLAG[1] in text


def test_a_knock_out_leaves_a_signal_at_or_below_lean_hire_alone_but_is_kept():
    result = run(levels(3, *STEPS, ""), knockouts=[FLAG])  # exactly at the bar: lean hire
    assert (result.hire_signal, result.knocked_out, result.knockouts) == (
        "lean_hire",
        False,
        (FLAG,),
    )
    low = run(levels(2, *STEPS, ""), knockouts=[FLAG])
    assert (low.hire_signal, low.knocked_out) == ("strong_no_hire", False)


def test_a_knock_out_on_an_unknown_step_is_refused():
    with pytest.raises(ValueError, match="unknown step 'payments'"):
        run({}, knockouts=[("payments", "x")])


# --- Weight overrides ---------------------------------------------------------------------------


def test_a_case_weight_override_changes_the_arithmetic():
    scores = {**levels(3, *STEPS, ""), "data-1": 1}
    plain = run(scores)  # (47 × 3 − 2 × 2) / 47 = 137/47

    heavier = scoring.apply_weights(CRITERIA, {"data-1": 5})
    result = run(scores, criteria=heavier)  # (50 × 3 − 5 × 2) / 50 = 140/50

    assert plain.overall == Fraction(137, 47)
    assert result.overall == Fraction(14, 5)
    assert next(c for c in heavier if c.key == "data-1").weight == 5
    assert next(c for c in CRITERIA if c.key == "data-1").weight == 2  # the rubric's unchanged


def test_weight_overrides_for_unknown_criteria_or_bad_weights_are_refused():
    with pytest.raises(ValueError, match="unknown criteria: nope"):
        scoring.apply_weights(CRITERIA, {"nope": 3})
    with pytest.raises(ValueError, match="whole number"):
        scoring.apply_weights(CRITERIA, {"data-1": 0})


# --- Explanations ---------------------------------------------------------------------------------


def test_explain_scenario_1_names_the_band_the_missing_bar_and_the_unreached_steps():
    text = explanation.explain(
        run(scenario_one(), reached=STEPS[:5]),
        POLICY,
        step_titles={"serve": "Deployment and serving", "monitor": "Monitoring"},
    )
    assert text == (
        "Overall 2.45 is 0.55 below the Senior bar of 3.00, in the no-hire band (−0.75 to "
        "−0.25); it meets no level's bar (the Mid-level bar is 2.50). The interview did not "
        "reach Deployment and serving and Monitoring: their criteria count at level 1 unless "
        "they were scored."
    )


def test_explain_at_the_bar_and_above_it():
    at = run(levels(3, *STEPS, ""))
    assert explanation.explain(at, POLICY) == (
        "Overall 3.00 is exactly on the Senior bar of 3.00, in the lean-hire band (0 to 0.2)."
    )
    high = run(levels(4, *STEPS, ""), target="mid")
    assert explanation.explain(high, POLICY) == (
        "Overall 4.00 is 1.50 above the Mid-level bar of 2.50, in the strong-hire band (0.5 and "
        "above); it also reaches the Staff bar of 3.50."
    )


def test_explain_says_just_below_when_rounding_hides_the_gap():
    criteria = [CriterionSpec("a", "clarify", 1), CriterionSpec("b", "clarify", 199)]
    policy = Policy(bars=POLICY.bars, bands=POLICY.bands, min_coverage=1)
    result = run({"a": 2, "b": 3}, criteria=criteria, policy=policy)  # 599/200 = 2.995
    assert scoring.fmt(result.overall) == "3.00"
    assert result.hire_signal == "lean_no_hire"
    assert "Overall 3.00 is just below the Senior bar of 3.00" in explanation.explain(
        result, policy
    )


def test_explain_lists_the_hint_caps_with_criterion_titles():
    result = run(levels(4, *STEPS, ""), hints={"data": HintUse(2)})
    text = explanation.explain(result, POLICY, criterion_titles={"data-1": "Labels"})
    assert "Hint caps lowered 2 levels (Labels 4 → 2, data-2 4 → 2)." in text


# --- Calibration: self against interviewer, after the same caps ----------------------------------


def test_calibration_marks_over_under_aligned_and_not_comparable():
    criteria = CRITERIA[:4]  # clarify-1, clarify-2, frame-1, frame-2
    rows = scoring.calibration(
        criteria,
        {"clarify-1": 4, "clarify-2": 2, "frame-1": 3, "frame-2": NOT_OBSERVED},
        {"clarify-1": 3, "clarify-2": 3, "frame-1": 3, "frame-2": 2},
    )
    assert [(r.key, r.verdict, r.delta) for r in rows] == [
        ("clarify-1", "over", 1),
        ("clarify-2", "under", -1),
        ("frame-1", "aligned", 0),
        ("frame-2", "n/a", None),
    ]
    assert (rows[3].self_level, rows[3].interviewer_level) == (None, 2)


def test_a_hint_cap_is_not_a_disagreement():
    # Self says 4, the interviewer 2 after a second hint on data: both count as 2.
    rows = scoring.calibration(
        CRITERIA,
        {"data-1": 4, "frame-1": 4},
        {"data-1": 2, "frame-1": 2},
        policy=POLICY,
        hints={"data": HintUse(2)},
        step_order=STEPS,
    )
    by_key = {r.key: r for r in rows}
    assert (by_key["data-1"].verdict, by_key["data-1"].self_level) == ("aligned", 2)
    assert by_key["frame-1"].verdict == "over"


def test_calibration_on_an_unreached_step_is_not_comparable():
    rows = scoring.calibration(
        CRITERIA, {"monitor-1": 3}, {"monitor-1": 1}, reached=STEPS[:6], step_order=STEPS
    )
    assert next(r for r in rows if r.key == "monitor-1").verdict == "n/a"


def test_calibration_tolerance_and_mean_delta():
    criteria = CRITERIA[:3]
    rows = scoring.calibration(
        criteria, {"clarify-1": 4, "clarify-2": 1}, {"clarify-1": 3, "clarify-2": 3}, tolerance=1
    )
    assert [r.verdict for r in rows] == ["aligned", "under", "n/a"]
    assert scoring.mean_delta(rows) == Fraction(-1, 2)  # (1 − 2) / 2
    assert scoring.mean_delta(rows[2:]) is None


# --- The concept checklist ---------------------------------------------------------------------

CHECKLIST = [
    ("log-and-wait", "data", "mid"),
    ("time-split", "model", "mid"),
    ("calibration", "model", "senior"),
    ("negative-sampling-correction", "data", "senior"),
    ("delayed-feedback", "data", "staff"),
    ("budget-pacing", "serve", "staff"),
]


def test_checklist_coverage_counts_the_expected_items_and_credits_unprompted_extras():
    marks = {
        "log-and-wait": "unprompted",
        "time-split": "hinted",
        "calibration": "missed",
        "delayed-feedback": "unprompted",
        "budget-pacing": "hinted",
    }

    senior = scoring.checklist_coverage(CHECKLIST, marks, "senior")

    assert senior.expected == 4
    assert senior.counts == {"unprompted": 1, "hinted": 1, "missed": 1, "unmarked": 1}
    assert senior.beyond == ["delayed-feedback"]  # staff-level, raised unprompted: a plus
    assert senior.unprompted_share == Fraction(1, 4)
    mid = scoring.checklist_coverage(CHECKLIST, marks, "mid")
    assert (mid.expected, mid.beyond) == (2, ["delayed-feedback"])
    staff = scoring.checklist_coverage(CHECKLIST, marks, "staff")
    assert (staff.expected, staff.counts["unprompted"], staff.beyond) == (6, 2, [])


def test_checklist_marks_are_checked():
    with pytest.raises(ValueError, match="unknown checklist items: nope"):
        scoring.checklist_coverage(CHECKLIST, {"nope": "missed"}, "mid")
    with pytest.raises(ValueError, match="a mark is unprompted, hinted, missed"):
        scoring.checklist_coverage(CHECKLIST, {"calibration": "yes"}, "mid")
    with pytest.raises(ValueError, match="target level"):
        scoring.checklist_coverage(CHECKLIST, {}, "principal")


# --- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 5, -1, "3", 2.5, True])
def test_a_level_outside_one_to_four_raises(bad):
    with pytest.raises(ValueError, match="criterion 'clarify-1'"):
        run({"clarify-1": bad})


def test_a_score_for_an_unknown_criterion_raises():
    with pytest.raises(ValueError, match="unknown criteria: zzz"):
        run({"clarify-1": 3, "zzz": 2})


def test_an_unknown_target_level_or_reached_step_raises():
    with pytest.raises(ValueError, match="target level"):
        run({}, target="principal")
    with pytest.raises(ValueError, match="unknown reached steps: deploy"):
        run({}, reached=["deploy"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bars": {"mid": 3, "senior": Fraction(5, 2), "staff": 4}}, "bars must rise"),
        ({"bars": {"mid": 2, "senior": 3}}, "bars need exactly"),
        (
            {"bands": {**POLICY.bands, "hire": Fraction(1, 2)}},
            "bands must fall",
        ),
        (
            {"bands": {**POLICY.bands, "lean_hire": Fraction(1, 10)}},
            "lean_hire band must start at 0",
        ),
        ({"min_coverage": 0}, "min_coverage"),
        ({"hint_caps": {"first": 2, "second": 3, "answer": 2}}, "second hint"),
        ({"hint_caps": {"first": 5, "second": 2, "answer": 2}}, "level 1-4"),
    ],
)
def test_a_policy_out_of_order_is_refused(change, message):
    fields = {
        "bars": POLICY.bars,
        "bands": POLICY.bands,
        "min_coverage": POLICY.min_coverage,
        "hint_caps": POLICY.hint_caps,
        **change,
    }
    with pytest.raises(ValueError, match=message):
        Policy(**fields)


def test_a_policy_takes_decimals_and_text_exactly():
    from decimal import Decimal

    policy = Policy(
        bars={"mid": Decimal("2.50"), "senior": "3", "staff": 3.5},
        bands={**POLICY.bands, "hire": 0.2},
        min_coverage=0.8,
    )
    assert policy.bars["mid"] == Fraction(5, 2)
    assert policy.bands["hire"] == Fraction(1, 5)
    assert policy.min_coverage == Fraction(4, 5)


# --- Display rounding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Fraction(10, 3), 2, "3.33"),
        (Fraction(13, 8), 2, "1.63"),  # 1.625 rounds half up (banker's rounding gives 1.62)
        (Fraction(1, 8), 2, "0.13"),  # 0.125, likewise
        (Fraction(7, 2), 2, "3.50"),
        (Fraction(3), 2, "3.00"),
        (Fraction(5, 4), 1, "1.3"),
        (Fraction(2, 3), 2, "0.67"),
        (None, 2, "—"),
    ],
)
def test_fmt_rounds_half_up(value, places, shown):
    assert scoring.fmt(value, places) == shown


# --- Properties ---------------------------------------------------------------------------------

VALUES = st.one_of(st.sampled_from(scoring.LEVELS), st.just(NOT_OBSERVED), st.none())
SCORES = st.fixed_dictionaries({c.key: VALUES for c in CRITERIA})
REACHED = st.integers(min_value=0, max_value=len(STEPS)).map(lambda n: STEPS[:n])
HINTS = st.dictionaries(
    st.sampled_from(STEPS),
    st.integers(min_value=1, max_value=4).flatmap(
        lambda n: st.builds(HintUse, st.just(n), st.booleans())
    ),
)
TARGETS = st.sampled_from(scoring.TARGET_LEVELS)
KNOCKOUTS = st.lists(st.just(FLAG), max_size=1)


@settings(max_examples=300, deadline=None)
@given(SCORES, REACHED, HINTS, TARGETS, KNOCKOUTS)
def test_the_hire_signal_never_contradicts_the_level_signal(scores, reached, hints, target, ko):
    result = run(scores, reached=reached, hints=hints, target=target, knockouts=ko)
    if result.hire_signal in (None, "insufficient"):
        assert result.level_signal is None
        return
    hire_side = result.hire_signal in scoring.HIRE_SIDE
    assert hire_side == (result.level_signal in ("meets", "exceeds"))
    assert 1 <= result.overall <= 4
    assert 0 <= result.coverage <= 1


@settings(max_examples=300, deadline=None)
@given(SCORES, REACHED, HINTS, TARGETS, st.sampled_from(CRITERIA))
def test_raising_one_level_never_lowers_the_overall_or_the_signal(
    scores, reached, hints, target, criterion
):
    if scores[criterion.key] not in (1, 2, 3):
        scores = {**scores, criterion.key: 1}
    higher = {**scores, criterion.key: scores[criterion.key] + 1}

    before = run(scores, reached=reached, hints=hints, target=target)
    after = run(higher, reached=reached, hints=hints, target=target)

    assert after.overall >= before.overall
    assert after.coverage == before.coverage
    if before.hire_signal in scoring.HIRE_SIGNALS and after.hire_signal in scoring.HIRE_SIGNALS:
        order = scoring.HIRE_SIGNALS.index
        assert order(after.hire_signal) >= order(before.hire_signal)


@settings(max_examples=200, deadline=None)
@given(SCORES, REACHED, HINTS)
def test_a_counted_level_never_exceeds_the_level_given_or_the_cap(scores, reached, hints):
    result = run(scores, reached=reached, hints=hints)
    for row in result.criteria:
        given_level = scores[row.key]
        if row.status == "scored":
            assert row.level <= given_level
            cap = result.steps[row.step].cap if row.step else None
            assert cap is None or row.level <= cap
        elif row.status == "not_reached":
            assert row.level == 1 and row.step not in reached
        else:
            assert row.level is None


# --- What the room and the report derive from the hints sent -----------------------------------


def test_hints_used_counts_each_step_and_knows_the_answer_level_one():
    counts = {"clarify": 2, "data": 3, "serve": 1}
    sent = [("data", 0), ("data", 0), ("clarify", 1), ("serve", 0), ("data", 1)]
    assert scoring.hints_used(sent, counts) == {
        "data": HintUse(2),  # the same hint twice is one hint
        "clarify": HintUse(1, answer_level=True),  # the last of two: the answer-level one
        "serve": HintUse(1, answer_level=True),
    }
    assert scoring.hints_used([], counts) == {}


@pytest.mark.parametrize("sent", [[("deploy", 0)], [("data", 3)], [("data", -1)], [("data", True)]])
def test_hints_used_refuses_a_hint_the_guide_does_not_have(sent):
    with pytest.raises(ValueError):
        scoring.hints_used(sent, {"data": 3})


def test_the_caps_the_room_shows_come_with_their_reason():
    hints = {"data": HintUse(1), "serve": HintUse(2), "monitor": HintUse(1, answer_level=True)}
    assert scoring.hint_caps_now(CAPS, hints, STEPS) == {
        "data": {"cap": 3, "why": "one hint on this step"},
        "serve": {"cap": 2, "why": "two hints on this step"},
        "monitor": {"cap": 1, "why": "the answer-level hint on this step"},
    }
    assert scoring.hint_caps_now(CAPS, {"data": HintUse(0)}, STEPS) == {}

"""rubrics.scoring is plain arithmetic: no database here, every expected value worked by hand."""

from fractions import Fraction

import pytest

from rubrics import scoring
from rubrics.scoring import NOT_OBSERVED, CriterionSpec, Policy

POLICY = Policy(
    thresholds={
        "no_hire": Fraction(7, 4),
        "lean_hire": Fraction(5, 2),
        "hire": Fraction(3),
        "strong_hire": Fraction(7, 2),
    },
    bars={"mid": Fraction(5, 2), "senior": Fraction(3), "staff": Fraction(7, 2)},
)
STEPS = ("clarify", "frame")
# Total weight 5: clarify 2 + 1, frame 1, cross-cutting 1.
CRITERIA = [
    CriterionSpec("a", "clarify", 2),
    CriterionSpec("b", "clarify", 1),
    CriterionSpec("c", "frame", 1),
    CriterionSpec("d", "", 1),
]


def run(scores, *, criteria=CRITERIA, target="senior", steps=STEPS):
    return scoring.score(criteria, scores, POLICY, target_level=target, step_order=steps)


def flat(weights):
    """Criteria on one step with the given weights, keyed w0, w1, …"""
    return [CriterionSpec(f"w{i}", "clarify", weight) for i, weight in enumerate(weights)]


# --- Weights and the weighted mean -----------------------------------------------------------


def test_the_docstring_example_adds_up_by_hand():
    # a=3 (w2), b=4 (w1), c not observed, d not scored:
    # clarify = (2×3 + 1×4) / 3 = 10/3; overall the same; coverage = 3/5.
    result = run({"a": 3, "b": 4, "c": NOT_OBSERVED})
    assert result.steps["clarify"].score == Fraction(10, 3)
    assert result.overall == Fraction(10, 3)
    assert result.coverage == Fraction(3, 5)
    assert result.hire_signal == "hire"  # 3 <= 3.33 < 3.5
    assert scoring.fmt(result.overall) == "3.33"


def test_weights_pull_the_mean_towards_the_heavier_criterion():
    # (3×1 + 1×4) / 4 = 7/4, not the plain mean 5/2.
    result = run({"w0": 1, "w1": 4}, criteria=flat([3, 1]), steps=("clarify",))
    assert result.overall == Fraction(7, 4)


def test_the_overall_score_counts_step_and_cross_cutting_criteria_alike():
    # a=2 (w2), b=2 (w1), c=4 (w1), d=1 (w1): (4 + 2 + 4 + 1) / 5 = 11/5.
    result = run({"a": 2, "b": 2, "c": 4, "d": 1})
    assert result.overall == Fraction(11, 5)
    assert result.steps["clarify"].score == 2
    assert result.steps["frame"].score == 4
    assert result.cross_cutting.score == 1
    assert result.coverage == 1


def test_group_results_report_what_was_scored_out_of_what():
    clarify = run({"a": 3, "b": NOT_OBSERVED}).steps["clarify"]
    assert (clarify.scored, clarify.total) == (1, 2)
    assert (clarify.weight_scored, clarify.weight_total) == (2, 3)
    assert clarify.status == "scored"


# --- Thresholds: a score exactly on one gets the higher signal --------------------------------


@pytest.mark.parametrize(
    ("weights", "levels", "overall", "signal"),
    [
        ([3, 1], [2, 1], Fraction(7, 4), "no_hire"),  # (6 + 1) / 4 = 1.75
        ([1, 1], [2, 3], Fraction(5, 2), "lean_hire"),  # 2.5
        ([1, 1], [3, 3], Fraction(3), "hire"),  # 3.0
        ([1, 1], [3, 4], Fraction(7, 2), "strong_hire"),  # 3.5
    ],
)
def test_a_score_exactly_on_a_threshold_gets_the_higher_signal(weights, levels, overall, signal):
    scores = {f"w{i}": level for i, level in enumerate(levels)}
    result = run(scores, criteria=flat(weights), steps=("clarify",))
    assert result.overall == overall
    assert result.hire_signal == signal


def test_just_below_the_lowest_threshold_is_strong_no_hire():
    # (2×2 + 1×1) / 3 = 5/3 = 1.67 < 1.75.
    result = run({"w0": 2, "w1": 1}, criteria=flat([2, 1]), steps=("clarify",))
    assert result.overall == Fraction(5, 3)
    assert result.hire_signal == "strong_no_hire"


def test_just_below_a_threshold_keeps_the_lower_signal():
    # (3×3 + 1×2) / 4 = 11/4 = 2.75: above lean hire (2.5), below hire (3.0).
    result = run({"w0": 3, "w1": 2}, criteria=flat([3, 1]), steps=("clarify",))
    assert result.overall == Fraction(11, 4)
    assert result.hire_signal == "lean_hire"


def test_hire_signal_of_nothing_is_nothing():
    assert scoring.hire_signal(None, POLICY.thresholds) is None


# --- Missing and not observed: reported, never counted as zero ---------------------------------


def test_not_observed_and_missing_criteria_are_left_out_of_the_arithmetic():
    # Only a=4 counts: overall 4, not (2×4) / 5 as it would be if the others counted as zero.
    result = run({"a": 4, "b": NOT_OBSERVED, "c": None})
    assert result.overall == 4
    assert result.steps["clarify"].score == 4


def test_not_observed_and_missing_criteria_are_reported_separately():
    result = run({"a": 4, "b": NOT_OBSERVED, "c": None})
    assert result.not_observed == ["b"]
    assert result.missing == ["c", "d"]  # None and absent are both "missing"
    statuses = {r.key: r.status for r in result.criteria}
    assert statuses == {"a": "scored", "b": "not_observed", "c": "missing", "d": "missing"}
    assert [r.level for r in result.criteria] == [4, None, None, None]


def test_a_step_with_nothing_scored_has_no_score():
    result = run({"a": 3, "b": 3, "c": NOT_OBSERVED, "d": 3})
    assert result.steps["frame"].score is None
    assert result.steps["frame"].status == "not scored"


def test_a_step_without_any_criterion_has_no_score():
    result = run({"a": 3}, steps=("clarify", "frame", "serve"))
    assert result.steps["serve"].score is None
    assert result.steps["serve"].total == 0


def test_nothing_scored_gives_no_overall_and_no_signals():
    result = run({})
    assert result.overall is None
    assert result.coverage == 0
    assert result.hire_signal is None
    assert result.level_signal is None
    assert result.level_met is None


# --- Coverage -------------------------------------------------------------------------------


def test_coverage_under_one_half_gives_insufficient_evidence_whatever_the_score():
    # Only d (weight 1 of 5) scored: coverage 1/5, a perfect 4 but no hire signal.
    result = run({"d": 4})
    assert result.coverage == Fraction(1, 5)
    assert result.overall == 4
    assert result.hire_signal == "insufficient"
    assert scoring.HIRE_LABELS[result.hire_signal] == "Insufficient evidence"


def test_coverage_of_exactly_one_half_is_enough():
    criteria = flat([1, 1])
    result = run({"w0": 4}, criteria=criteria, steps=("clarify",))
    assert result.coverage == Fraction(1, 2)
    assert result.hire_signal == "strong_hire"


def test_not_observed_weight_counts_against_coverage():
    # a (w2) scored, b, c, d not observed: 2/5 < 1/2.
    result = run({"a": 4, "b": NOT_OBSERVED, "c": NOT_OBSERVED, "d": NOT_OBSERVED})
    assert result.coverage == Fraction(2, 5)
    assert result.hire_signal == "insufficient"


# --- Level signal ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overall", "target", "signal", "met"),
    [
        (Fraction(29, 10), "senior", "below", "mid"),
        (Fraction(3), "senior", "meets", "senior"),  # exactly on the bar meets it
        (Fraction(33, 10), "senior", "meets", "senior"),
        (Fraction(7, 2), "senior", "exceeds", "staff"),  # reaches the next level's bar
        (Fraction(3), "mid", "exceeds", "senior"),
        (Fraction(2), "mid", "below", None),
        (Fraction(4), "staff", "meets", "staff"),  # nothing above staff to exceed
        (Fraction(34, 10), "staff", "below", "senior"),
    ],
)
def test_level_signal_compares_with_the_target_bar(overall, target, signal, met):
    assert scoring.level_signal(overall, POLICY.bars, target) == (signal, met)


def test_level_signal_comes_out_of_score_for_the_chosen_target():
    result = run({"a": 3, "b": 3, "c": 3, "d": 3}, target="mid")
    assert (result.level_signal, result.level_met, result.target_level) == (
        "exceeds",
        "senior",
        "mid",
    )


def test_an_unknown_target_level_raises():
    with pytest.raises(ValueError, match="target level"):
        run({"a": 3}, target="principal")


# --- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 5, -1, "3", 2.5, True])
def test_a_level_outside_one_to_four_raises(bad):
    with pytest.raises(ValueError, match="criterion 'a'"):
        run({"a": bad})


def test_a_score_for_an_unknown_criterion_raises():
    with pytest.raises(ValueError, match="unknown criteria: zzz"):
        run({"a": 3, "zzz": 2})


def test_thresholds_out_of_order_are_refused():
    with pytest.raises(ValueError, match="thresholds"):
        Policy(
            thresholds={
                "no_hire": Fraction(2),
                "lean_hire": Fraction(2),
                "hire": Fraction(3),
                "strong_hire": Fraction(4),
            },
            bars=POLICY.bars,
        )
    with pytest.raises(ValueError, match="bars"):
        Policy(
            thresholds=POLICY.thresholds,
            bars={"mid": Fraction(3), "senior": Fraction(5, 2), "staff": Fraction(7, 2)},
        )


# --- Display rounding ------------------------------------------------------------------------


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


# --- Calibration: self against interviewer -----------------------------------------------------


def test_calibration_marks_over_under_aligned_and_not_comparable():
    rows = scoring.calibration(
        CRITERIA,
        {"a": 4, "b": 2, "c": 3, "d": NOT_OBSERVED},
        {"a": 3, "b": 3, "c": 3, "d": 2},
    )
    assert [(r.key, r.verdict, r.delta) for r in rows] == [
        ("a", "over", 1),
        ("b", "under", -1),
        ("c", "aligned", 0),
        ("d", "n/a", None),
    ]
    assert (rows[3].self_level, rows[3].interviewer_level) == (None, 2)


def test_calibration_of_a_criterion_nobody_scored_is_not_comparable():
    rows = scoring.calibration(CRITERIA[:1], {}, {"a": None})
    assert rows[0].verdict == "n/a"
    assert (rows[0].self_level, rows[0].interviewer_level) == (None, None)


def test_calibration_tolerance_treats_near_misses_as_aligned():
    rows = scoring.calibration(CRITERIA[:2], {"a": 4, "b": 1}, {"a": 3, "b": 3}, tolerance=1)
    assert [r.verdict for r in rows] == ["aligned", "under"]


def test_mean_delta_averages_the_comparable_rows_only():
    rows = scoring.calibration(
        CRITERIA, {"a": 4, "b": 4, "c": 1, "d": None}, {"a": 3, "b": 2, "c": 3, "d": 3}
    )
    # deltas 1, 2, -2 → 1/3; d is not comparable.
    assert scoring.mean_delta(rows) == Fraction(1, 3)
    assert scoring.mean_delta(rows[3:]) is None

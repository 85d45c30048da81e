"""Rubric scoring: plain arithmetic over plain data, checkable by hand.

The rules
---------
1. Each criterion gets a level from 1 to 4, or is marked *not observed*, or is not scored at all
   (*missing*). Only levels 1-4 enter the arithmetic: a criterion that was not observed or not
   scored is reported as such and never counted as zero.
2. A **step score** is the weighted mean of the scored criteria of that step::

       step score = Σ (weight × level) / Σ weight        over the step's scored criteria

   A step with no scored criterion has no score ("not scored").
3. The **overall score** is the same weighted mean over every scored criterion, the step ones and
   the cross-cutting ones (communication, trade-offs, time management) alike.
4. **Coverage** is the share of the rubric's total weight that was scored. Below
   ``MIN_COVERAGE`` (one half) there is too little evidence for a hire signal, and the signal is
   "insufficient evidence" whatever the score.
5. The **hire signal** compares the overall score with the rubric's thresholds; a score exactly on
   a threshold gets the higher signal. Below ``no_hire`` is "strong no hire".
6. The **level signal** compares the overall score with the bar of the candidate's target level
   (mid, senior, staff): *below*, *meets*, or *exceeds* (also meets the next level's bar). The
   highest level whose bar the score reaches is reported too.

Arithmetic is done with exact fractions, so ties are exact; ``fmt`` rounds half up to two
decimals for display.

Example: criteria A (weight 2) = 3, B (weight 1) = 4, C (weight 1) not observed →
overall = (2×3 + 1×4) / (2 + 1) = 10/3 = 3.33; coverage = 3/4.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

NOT_OBSERVED = "not_observed"
LEVELS = (1, 2, 3, 4)
MIN_COVERAGE = Fraction(1, 2)

HIRE_SIGNALS = ("strong_no_hire", "no_hire", "lean_hire", "hire", "strong_hire")
HIRE_LABELS = {
    "strong_no_hire": "Strong no hire",
    "no_hire": "No hire",
    "lean_hire": "Lean hire",
    "hire": "Hire",
    "strong_hire": "Strong hire",
    "insufficient": "Insufficient evidence",
}
TARGET_LEVELS = ("mid", "senior", "staff")
LEVEL_LABELS = {"mid": "Mid-level", "senior": "Senior", "staff": "Staff"}
LEVEL_SIGNAL_LABELS = {"below": "Below the bar", "meets": "Meets the bar", "exceeds": "Exceeds"}

ScoreValue = int | str | None


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    step: str  # "" for a cross-cutting criterion
    weight: int
    title: str = ""


@dataclass(frozen=True)
class Policy:
    """Thresholds: lowest overall score for no_hire, lean_hire, hire, strong_hire.
    Bars: overall score expected at mid, senior, staff."""

    thresholds: Mapping[str, Fraction]
    bars: Mapping[str, Fraction]

    def __post_init__(self) -> None:
        order = [self.thresholds[name] for name in HIRE_SIGNALS[1:]]
        if order != sorted(order) or len(set(order)) != len(order):
            raise ValueError("hire thresholds must be strictly increasing")
        bars = [self.bars[name] for name in TARGET_LEVELS]
        if bars != sorted(bars) or len(set(bars)) != len(bars):
            raise ValueError("level bars must be strictly increasing")


@dataclass(frozen=True)
class CriterionResult:
    key: str
    step: str
    weight: int
    level: int | None
    status: str  # "scored", "not_observed", "missing"


@dataclass(frozen=True)
class GroupResult:
    """A step, or the cross-cutting group (key "")."""

    key: str
    score: Fraction | None
    scored: int
    total: int
    weight_scored: int
    weight_total: int

    @property
    def status(self) -> str:
        return "scored" if self.score is not None else "not scored"


@dataclass(frozen=True)
class Result:
    criteria: list[CriterionResult]
    steps: dict[str, GroupResult]
    cross_cutting: GroupResult
    overall: Fraction | None
    coverage: Fraction
    hire_signal: str | None
    level_signal: str | None
    level_met: str | None
    target_level: str
    not_observed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def weighted_mean(pairs: Iterable[tuple[int, int]]) -> Fraction | None:
    """Σ(weight × level) / Σ weight over (weight, level) pairs; None when there are none."""
    pairs = list(pairs)
    total_weight = sum(weight for weight, _ in pairs)
    if not total_weight:
        return None
    return Fraction(sum(weight * level for weight, level in pairs), total_weight)


def hire_signal(overall: Fraction | None, thresholds: Mapping[str, Fraction]) -> str | None:
    if overall is None:
        return None
    signal = "strong_no_hire"
    for name in HIRE_SIGNALS[1:]:
        if overall >= thresholds[name]:
            signal = name
    return signal


def level_signal(
    overall: Fraction | None, bars: Mapping[str, Fraction], target: str
) -> tuple[str | None, str | None]:
    """(signal against the target level, highest level whose bar the score reaches)."""
    if target not in TARGET_LEVELS:
        raise ValueError(f"unknown target level {target!r}")
    if overall is None:
        return None, None
    met = [level for level in TARGET_LEVELS if overall >= bars[level]]
    level_met = met[-1] if met else None
    if overall < bars[target]:
        return "below", level_met
    index = TARGET_LEVELS.index(target)
    above = TARGET_LEVELS[index + 1] if index + 1 < len(TARGET_LEVELS) else None
    if above and overall >= bars[above]:
        return "exceeds", level_met
    return "meets", level_met


def _check(value: ScoreValue, key: str) -> None:
    if value is None or value == NOT_OBSERVED:
        return
    if isinstance(value, bool) or value not in LEVELS:
        raise ValueError(f"criterion {key!r}: a score is 1-4 or not observed, not {value!r}")


def score(
    criteria: Sequence[CriterionSpec],
    scores: Mapping[str, ScoreValue],
    policy: Policy,
    *,
    target_level: str,
    step_order: Sequence[str],
) -> Result:
    """Apply the rules in the module docstring. ``scores`` maps criterion key to a level, to
    ``NOT_OBSERVED``, or to None; a key absent from ``scores`` is missing."""
    known = {c.key for c in criteria}
    unknown = set(scores) - known
    if unknown:
        raise ValueError(f"scores for unknown criteria: {', '.join(sorted(unknown))}")
    results = []
    for criterion in criteria:
        value = scores.get(criterion.key)
        _check(value, criterion.key)
        if value is None:
            results.append(
                CriterionResult(criterion.key, criterion.step, criterion.weight, None, "missing")
            )
        elif value == NOT_OBSERVED:
            results.append(
                CriterionResult(
                    criterion.key, criterion.step, criterion.weight, None, "not_observed"
                )
            )
        else:
            results.append(
                CriterionResult(
                    criterion.key, criterion.step, criterion.weight, int(value), "scored"
                )
            )

    def group(key: str, members: list[CriterionResult]) -> GroupResult:
        scored = [r for r in members if r.status == "scored"]
        return GroupResult(
            key=key,
            score=weighted_mean((r.weight, r.level) for r in scored),
            scored=len(scored),
            total=len(members),
            weight_scored=sum(r.weight for r in scored),
            weight_total=sum(r.weight for r in members),
        )

    steps = {key: group(key, [r for r in results if r.step == key]) for key in step_order}
    cross = group("", [r for r in results if not r.step])
    everything = group("*", results)
    coverage = (
        Fraction(everything.weight_scored, everything.weight_total)
        if everything.weight_total
        else Fraction(0)
    )
    overall = everything.score
    if overall is not None and coverage < MIN_COVERAGE:
        signal = "insufficient"
    else:
        signal = hire_signal(overall, policy.thresholds)
    level, level_met = level_signal(overall, policy.bars, target_level)
    return Result(
        criteria=results,
        steps=steps,
        cross_cutting=cross,
        overall=overall,
        coverage=coverage,
        hire_signal=signal,
        level_signal=level,
        level_met=level_met,
        target_level=target_level,
        not_observed=[r.key for r in results if r.status == "not_observed"],
        missing=[r.key for r in results if r.status == "missing"],
    )


@dataclass(frozen=True)
class Calibration:
    key: str
    self_level: int | None
    interviewer_level: int | None
    delta: int | None  # self minus interviewer
    verdict: str  # "over", "under", "aligned", "n/a"


def calibration(
    criteria: Sequence[CriterionSpec],
    self_scores: Mapping[str, ScoreValue],
    interviewer_scores: Mapping[str, ScoreValue],
    *,
    tolerance: int = 0,
) -> list[Calibration]:
    """Self versus interviewer per criterion. A self-score more than ``tolerance`` levels above
    the interviewer's is an over-estimate, below is an under-estimate; a criterion either side
    left unscored or not observed cannot be compared ("n/a")."""
    out = []
    for criterion in criteria:
        mine = self_scores.get(criterion.key)
        theirs = interviewer_scores.get(criterion.key)
        if mine in LEVELS and theirs in LEVELS:
            delta = int(mine) - int(theirs)
            verdict = "over" if delta > tolerance else "under" if delta < -tolerance else "aligned"
            out.append(Calibration(criterion.key, int(mine), int(theirs), delta, verdict))
        else:
            out.append(
                Calibration(
                    criterion.key,
                    int(mine) if mine in LEVELS else None,
                    int(theirs) if theirs in LEVELS else None,
                    None,
                    "n/a",
                )
            )
    return out


def mean_delta(rows: Sequence[Calibration]) -> Fraction | None:
    deltas = [row.delta for row in rows if row.delta is not None]
    return Fraction(sum(deltas), len(deltas)) if deltas else None


def fmt(value: Fraction | None, places: int = 2) -> str:
    """Round half up for display: 10/3 → "3.33", 13/8 → "1.63", None → "—"."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(quantum, rounding=ROUND_HALF_UP))

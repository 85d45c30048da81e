"""Rubric scoring, format 2: plain arithmetic over plain data, checkable by hand.

No Django here. ``docs/scoring.md`` explains the same rules to a candidate with a worked example.

The rules
---------
1. Each criterion gets a level from 1 to 4, or is marked *not observed*, or is not scored at all
   (*missing*). What it **counts as**:

   - a level 1-4: that level, but never above the **hint cap** of its step (below);
   - not observed or missing, on a step the interview **never reached**: level 1 (*not reached*:
     running out of time is evidence too);
   - not observed or missing otherwise (the step was reached, or the criterion is cross-cutting):
     left out of the arithmetic, never counted as zero.

2. **Hint caps.** A step on which hints were sent caps its criteria: after one hint at the
   rubric's ``first`` cap, after two or more at ``second``, and once the step's last
   (answer-level) hint was sent at ``answer``. Cross-cutting criteria are never capped.

3. A **step score**, the cross-cutting score and the **overall score** are weighted means of the
   counted levels::

       score = Σ (weight × counted level) / Σ weight        over the counted criteria

4. **Coverage** is the counted weight over the total weight. There is **enough evidence** for a
   hire signal when coverage reaches ``min_coverage`` and every step in ``required_steps`` has at
   least one counted criterion; otherwise the hire signal is ``insufficient`` and there is no
   level signal.

5. The **distance** ``d = overall − bar of the target level``. The hire signal is the first band
   from the top whose threshold ``d`` reaches (a distance exactly on a threshold gets the higher
   signal); below ``no_hire`` is ``strong_no_hire``. The ``lean_hire`` band starts at 0, so
   "meets the bar" and a hire-side signal (lean hire or better) always agree.

6. A **knock-out** (a critical red flag observed) caps the hire signal at ``lean_hire``.

7. The **level signal** is ``meets`` when ``d ≥ 0``, ``exceeds`` when the overall also reaches
   the next level's bar, else ``below``; ``level_met`` is the highest level whose bar the overall
   reaches.

Arithmetic uses exact fractions, so ties are exact; ``fmt`` rounds half up to two decimals for
display.
"""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

NOT_OBSERVED = "not_observed"
LEVELS = (1, 2, 3, 4)

# Hire signals from the bottom up; "insufficient" stands apart (not enough evidence).
HIRE_SIGNALS = ("strong_no_hire", "no_hire", "lean_no_hire", "lean_hire", "hire", "strong_hire")
HIRE_SIDE = ("lean_hire", "hire", "strong_hire")
# Where each signal starts, as a distance from the bar, from the top down.
BANDS = ("strong_hire", "hire", "lean_hire", "lean_no_hire", "no_hire")
HIRE_LABELS = {
    "strong_no_hire": "Strong no hire",
    "no_hire": "No hire",
    "lean_no_hire": "Lean no hire",
    "lean_hire": "Lean hire",
    "hire": "Hire",
    "strong_hire": "Strong hire",
    "insufficient": "Not enough evidence",
}
TARGET_LEVELS = ("mid", "senior", "staff")
LEVEL_LABELS = {"mid": "Mid-level", "senior": "Senior", "staff": "Staff"}
LEVEL_SIGNAL_LABELS = {"below": "Below the bar", "meets": "Meets the bar", "exceeds": "Exceeds"}
HINT_CAPS = ("first", "second", "answer")
CHECKLIST_MARKS = ("unprompted", "hinted", "missed")

# What a criterion's result is: the first two are counted in the arithmetic.
SCORED, NOT_REACHED, NOT_OBSERVED_STATUS, MISSING = (
    "scored",
    "not_reached",
    "not_observed",
    "missing",
)
COUNTED = (SCORED, NOT_REACHED)

ScoreValue = int | str | None


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    step: str  # "" for a cross-cutting criterion
    weight: int
    title: str = ""


@dataclass(frozen=True)
class HintUse:
    """Hints sent on one step. ``answer_level``: the step's last (answer-level) hint was one."""

    count: int
    answer_level: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(f"a hint count is a whole number from 0, not {self.count!r}")
        if self.answer_level and self.count < 1:
            raise ValueError("the answer-level hint is one of the hints sent: count must be ≥ 1")


def _exact(value) -> Fraction:
    """An exact number: a float goes through its shortest text (0.8 is 4/5, not 0.800000011…)."""
    if isinstance(value, bool):
        raise ValueError(f"a number is needed, not {value!r}")
    if isinstance(value, float):
        value = repr(value)
    try:
        return Fraction(value)
    except (TypeError, ValueError):
        raise ValueError(f"a number is needed, not {value!r}") from None


@dataclass(frozen=True)
class Policy:
    """A rubric's numbers: the bar of each target level (an overall score), where each hire
    signal starts as a distance from that bar, the evidence a signal needs, and the hint caps."""

    bars: Mapping[str, Fraction]
    bands: Mapping[str, Fraction]
    min_coverage: Fraction
    required_steps: tuple[str, ...] = ()
    hint_caps: Mapping[str, int] = field(
        default_factory=lambda: {"first": 3, "second": 2, "answer": 2}
    )

    def __post_init__(self) -> None:
        for name, given, names in (
            ("bars", self.bars, TARGET_LEVELS),
            ("bands", self.bands, BANDS),
            ("hint caps", self.hint_caps, HINT_CAPS),
        ):
            if set(given) != set(names):
                raise ValueError(f"{name} need exactly {', '.join(names)}, got {sorted(given)}")
        # Exact numbers whatever came in (Decimal from the database, text, int).
        set_ = object.__setattr__
        set_(self, "bars", {name: _exact(self.bars[name]) for name in TARGET_LEVELS})
        set_(self, "bands", {name: _exact(self.bands[name]) for name in BANDS})
        set_(self, "min_coverage", _exact(self.min_coverage))
        set_(self, "required_steps", tuple(self.required_steps))
        set_(self, "hint_caps", {name: self.hint_caps[name] for name in HINT_CAPS})
        bars = [self.bars[name] for name in TARGET_LEVELS]
        if any(low >= high for low, high in itertools.pairwise(bars)):
            raise ValueError("level bars must rise strictly from mid to staff")
        if not all(1 <= bar <= 4 for bar in bars):
            raise ValueError("level bars are overall scores from 1 to 4")
        bands = [self.bands[name] for name in BANDS]
        if any(high <= low for high, low in itertools.pairwise(bands)):
            raise ValueError("signal bands must fall strictly from strong_hire down to no_hire")
        if self.bands["lean_hire"] != 0:
            raise ValueError("the lean_hire band must start at 0: a lean hire starts at the bar")
        if not 0 < self.min_coverage <= 1:
            raise ValueError(
                f"min_coverage is a share above 0 and up to 1, not {self.min_coverage}"
            )
        for name in HINT_CAPS:
            cap = self.hint_caps[name]
            if isinstance(cap, bool) or cap not in LEVELS:
                raise ValueError(f"hint cap {name!r} must be a level 1-4, not {cap!r}")
        if self.hint_caps["second"] > self.hint_caps["first"]:
            raise ValueError("a second hint cannot allow more than the first")


@dataclass(frozen=True)
class CriterionResult:
    key: str
    step: str
    weight: int
    level: int | None  # the level it counts as (None: left out)
    status: str  # "scored", "not_reached", "not_observed", "missing"
    capped_from: int | None = None  # the level given, when a hint cap lowered it

    @property
    def counted(self) -> bool:
        return self.status in COUNTED


@dataclass(frozen=True)
class GroupResult:
    """A step, or the cross-cutting group (key "")."""

    key: str
    score: Fraction | None
    counted: int
    total: int
    weight_counted: int
    weight_total: int
    cap: int | None = None  # the hint cap of a step, None without hints
    reached: bool = True

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
    hire_signal: str | None  # a HIRE_SIGNALS value, "insufficient", or None (nothing counted)
    level_signal: str | None
    level_met: str | None
    target_level: str
    distance: Fraction | None = None  # overall − bar of the target level
    band: str | None = None  # the band the distance falls in, before any knock-out
    knocked_out: bool = False  # a knock-out lowered the signal to lean hire
    knockouts: tuple[tuple[str, str], ...] = ()
    enough_evidence: bool = False
    evidence_gaps: list[str] = field(default_factory=list)
    not_reached: list[str] = field(default_factory=list)  # criterion keys
    unreached_steps: list[str] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)  # criterion keys a hint cap lowered
    not_observed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


# --- Small pure helpers --------------------------------------------------------------------------


def weighted_mean(pairs: Iterable[tuple[int, int]]) -> Fraction | None:
    """Σ(weight × level) / Σ weight over (weight, level) pairs; None when there are none."""
    pairs = list(pairs)
    total_weight = sum(weight for weight, _ in pairs)
    if not total_weight:
        return None
    return Fraction(sum(weight * level for weight, level in pairs), total_weight)


def apply_weights(
    criteria: Sequence[CriterionSpec], weights: Mapping[str, int] | None
) -> list[CriterionSpec]:
    """The rubric's criteria with a case study's weight overrides (criterion key → weight)."""
    weights = dict(weights or {})
    known = {c.key for c in criteria}
    unknown = sorted(set(weights) - known)
    if unknown:
        raise ValueError(f"weight overrides for unknown criteria: {', '.join(unknown)}")
    for key, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise ValueError(f"the weight of {key!r} must be a whole number from 1, not {weight!r}")
    return [
        CriterionSpec(c.key, c.step, weights.get(c.key, c.weight), c.title)
        if c.key in weights
        else c
        for c in criteria
    ]


def hint_cap(use: HintUse | None, caps: Mapping[str, int]) -> int | None:
    """The highest level a step's criteria can count at, given the hints sent on it."""
    if use is None or use.count == 0:
        return None
    if use.answer_level:
        return caps["answer"]
    return caps["second"] if use.count >= 2 else caps["first"]


def hints_used(
    sent: Iterable[tuple[str, int]], hint_counts: Mapping[str, int]
) -> dict[str, HintUse]:
    """Per step, the hints sent on it: ``sent`` are (step key, index) of each hint delivered,
    ``hint_counts`` the number of hints each step's guide has. The answer-level hint is a step's
    last one. Steps without a hint sent are left out; a step or index the guide does not have
    is refused."""
    indexes: dict[str, set[int]] = {}
    for step, index in sent:
        total = hint_counts.get(step)
        if total is None:
            raise ValueError(f"a hint sent on an unknown step {step!r}")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < total:
            raise ValueError(f"step {step!r} has no hint {index!r}")
        indexes.setdefault(step, set()).add(index)
    return {
        step: HintUse(len(seen), answer_level=hint_counts[step] - 1 in seen)
        for step, seen in indexes.items()
    }


_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def hint_reason(use: HintUse) -> str:
    """Why a step is capped, in words: "one hint on this step", "the answer-level hint on
    this step"."""
    if use.answer_level:
        return "the answer-level hint on this step"
    count = _COUNTS.get(use.count, str(use.count))
    return f"{count} hint{'s' if use.count != 1 else ''} on this step"


def hint_caps_now(
    policy: Policy, hints: Mapping[str, HintUse], step_order: Sequence[str]
) -> dict[str, dict[str, int | str]]:
    """What the live room tells the interviewer: per capped step, the cap and why
    (``{"data": {"cap": 3, "why": "one hint on this step"}}``). The rule is ``hint_cap``'s; the
    browser shows these and computes nothing."""
    caps = step_caps(policy, hints, step_order)
    return {step: {"cap": cap, "why": hint_reason(hints[step])} for step, cap in caps.items()}


def step_caps(
    policy: Policy, hints: Mapping[str, HintUse] | None, step_order: Sequence[str]
) -> dict[str, int]:
    """Step key → hint cap, for the steps that have one."""
    hints = hints or {}
    unknown = sorted(set(hints) - set(step_order))
    if unknown:
        raise ValueError(f"hints for unknown steps: {', '.join(unknown)}")
    caps = {}
    for key, use in hints.items():
        cap = hint_cap(use, policy.hint_caps)
        if cap is not None:
            caps[key] = cap
    return caps


def hire_signal(distance: Fraction | None, bands: Mapping[str, Fraction]) -> str | None:
    """The first band from the top whose threshold the distance reaches; strong_no_hire below
    them all."""
    if distance is None:
        return None
    for name in BANDS:
        if distance >= bands[name]:
            return name
    return "strong_no_hire"


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


def _percent(share: Fraction, threshold: Fraction | None = None) -> str:
    """A share as a whole percentage, rounded half up; one decimal where rounding would make a
    share below the threshold look equal to it."""
    shown = fmt(share * 100, 0)
    if threshold is not None and share < threshold and Fraction(shown) >= threshold * 100:
        shown = fmt(share * 100, 1)
    return f"{shown}%"


# --- Scoring ----------------------------------------------------------------------------------


def _checked_inputs(
    criteria: Sequence[CriterionSpec],
    scores: Mapping[str, ScoreValue],
    policy: Policy,
    *,
    target_level: str,
    step_order: Sequence[str],
    reached: Iterable[str] | None,
    knockouts: Iterable[tuple[str, str]],
) -> tuple[set[str], tuple[tuple[str, str], ...]]:
    """Refuse inputs that do not fit together (ValueError); return the steps reached and the
    knock-outs as (step key, text) pairs."""
    if target_level not in TARGET_LEVELS:
        raise ValueError(f"unknown target level {target_level!r}")
    steps_known = set(step_order)
    known = {c.key for c in criteria}
    unknown = set(scores) - known
    if unknown:
        raise ValueError(f"scores for unknown criteria: {', '.join(sorted(unknown))}")
    for criterion in criteria:
        if criterion.step and criterion.step not in steps_known:
            raise ValueError(
                f"criterion {criterion.key!r} is on an unknown step {criterion.step!r}"
            )
        if isinstance(criterion.weight, bool) or criterion.weight < 1:
            raise ValueError(f"criterion {criterion.key!r} needs a weight from 1")
    reached_set = steps_known if reached is None else set(reached)
    if reached_set - steps_known:
        raise ValueError(f"unknown reached steps: {', '.join(sorted(reached_set - steps_known))}")
    missing_required = [key for key in policy.required_steps if key not in steps_known]
    if missing_required:
        raise ValueError(f"required steps not in the framework: {', '.join(missing_required)}")
    pairs = tuple((str(step), str(text)) for step, text in knockouts)
    for step, _text in pairs:
        if step not in steps_known:
            raise ValueError(f"a knock-out on an unknown step {step!r}")
    return reached_set, pairs


def _criterion_result(
    criterion: CriterionSpec,
    value: ScoreValue | None,
    reached_set: set[str],
    caps: Mapping[str, int | None],
) -> CriterionResult:
    """How one criterion counts: scored (at most its step's hint cap), not reached (level 1),
    not observed or missing (left out)."""
    _check(value, criterion.key)
    spec = (criterion.key, criterion.step, criterion.weight)
    if value is None or value == NOT_OBSERVED:
        if criterion.step and criterion.step not in reached_set:
            return CriterionResult(*spec, 1, NOT_REACHED)
        if value is None:
            return CriterionResult(*spec, None, MISSING)
        return CriterionResult(*spec, None, NOT_OBSERVED_STATUS)
    level, cap = int(value), caps.get(criterion.step) if criterion.step else None
    if cap is not None and level > cap:
        return CriterionResult(*spec, cap, SCORED, capped_from=level)
    return CriterionResult(*spec, level, SCORED)


def _group(key: str, members: list[CriterionResult], **extra: Any) -> GroupResult:
    """The weighted mean of the members that count, and how much of the weight they carry."""
    counted = [r for r in members if r.counted]
    return GroupResult(
        key=key,
        score=weighted_mean((r.weight, r.level) for r in counted if r.level is not None),
        counted=len(counted),
        total=len(members),
        weight_counted=sum(r.weight for r in counted),
        weight_total=sum(r.weight for r in members),
        **extra,
    )


def _evidence_gaps(
    coverage: Fraction,
    steps: Mapping[str, GroupResult],
    policy: Policy,
    titles: Mapping[str, str],
) -> list[str]:
    """Why there is not enough evidence for a hire signal; empty when there is."""
    gaps = []
    if coverage < policy.min_coverage:
        gaps.append(
            f"coverage is {_percent(coverage, policy.min_coverage)}, "
            f"below {_percent(policy.min_coverage)}"
        )
    for key in policy.required_steps:
        if not steps[key].counted:
            gaps.append(f"nothing was scored in {titles.get(key, key)}")
    return gaps


@dataclass(frozen=True)
class _Signals:
    distance: Fraction | None = None
    band: str | None = None
    hire: str | None = None
    level: str | None = None
    level_met: str | None = None
    knocked_out: bool = False


def _signals(
    overall: Fraction | None,
    policy: Policy,
    *,
    target_level: str,
    enough: bool,
    knocked: bool,
) -> _Signals:
    """The hire and level signals of an overall score: none without one, "insufficient"
    without enough evidence, at most lean hire after a knock-out."""
    if overall is None:
        return _Signals()
    distance = overall - policy.bars[target_level]
    if not enough:
        return _Signals(distance=distance, hire="insufficient")
    band = hire_signal(distance, policy.bands)
    signal, knocked_out = band, False
    if knocked and HIRE_SIGNALS.index(signal) > HIRE_SIGNALS.index("lean_hire"):
        signal, knocked_out = "lean_hire", True
    level, level_met = level_signal(overall, policy.bars, target_level)
    return _Signals(distance, band, signal, level, level_met, knocked_out)


def score(
    criteria: Sequence[CriterionSpec],
    scores: Mapping[str, ScoreValue],
    policy: Policy,
    *,
    target_level: str,
    step_order: Sequence[str],
    reached: Iterable[str] | None = None,
    hints: Mapping[str, HintUse] | None = None,
    knockouts: Iterable[tuple[str, str]] = (),
    step_titles: Mapping[str, str] | None = None,
) -> Result:
    """Apply the rules in the module docstring.

    ``criteria`` carry their weights with the case's overrides applied (``apply_weights``).
    ``scores`` maps criterion key to a level, ``NOT_OBSERVED`` or None; an absent key is
    missing. ``reached`` is the set of step keys the interview reached (None: all of them).
    ``hints`` maps a step key to the hints sent on it; ``knockouts`` are the critical red flags
    observed, as (step key, text). ``step_titles`` only words the evidence gaps.
    """
    reached_set, knocks = _checked_inputs(
        criteria,
        scores,
        policy,
        target_level=target_level,
        step_order=step_order,
        reached=reached,
        knockouts=knockouts,
    )
    caps = step_caps(policy, hints, step_order)
    results = [_criterion_result(c, scores.get(c.key), reached_set, caps) for c in criteria]
    steps = {
        key: _group(
            key,
            [r for r in results if r.step == key],
            cap=caps.get(key),
            reached=key in reached_set,
        )
        for key in step_order
    }
    everything = _group("*", results)
    coverage = (
        Fraction(everything.weight_counted, everything.weight_total)
        if everything.weight_total
        else Fraction(0)
    )
    gaps = _evidence_gaps(coverage, steps, policy, step_titles or {})
    signals = _signals(
        everything.score,
        policy,
        target_level=target_level,
        enough=not gaps,
        knocked=bool(knocks),
    )
    return Result(
        criteria=results,
        steps=steps,
        cross_cutting=_group("", [r for r in results if not r.step]),
        overall=everything.score,
        coverage=coverage,
        hire_signal=signals.hire,
        level_signal=signals.level,
        level_met=signals.level_met,
        target_level=target_level,
        distance=signals.distance,
        band=signals.band,
        knocked_out=signals.knocked_out,
        knockouts=knocks,
        enough_evidence=not gaps,
        evidence_gaps=gaps,
        not_reached=[r.key for r in results if r.status == NOT_REACHED],
        unreached_steps=[key for key in step_order if key not in reached_set],
        capped=[r.key for r in results if r.capped_from is not None],
        not_observed=[r.key for r in results if r.status == NOT_OBSERVED_STATUS],
        missing=[r.key for r in results if r.status == MISSING],
    )


# --- Calibration: self against interviewer ------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    key: str
    self_level: int | None
    interviewer_level: int | None
    delta: int | None  # self minus interviewer, after the hint caps
    verdict: str  # "over", "under", "aligned", "n/a"


def calibration(
    criteria: Sequence[CriterionSpec],
    self_scores: Mapping[str, ScoreValue],
    interviewer_scores: Mapping[str, ScoreValue],
    *,
    policy: Policy | None = None,
    hints: Mapping[str, HintUse] | None = None,
    reached: Iterable[str] | None = None,
    step_order: Sequence[str] | None = None,
    tolerance: int = 0,
) -> list[Calibration]:
    """Self versus interviewer per criterion, both after the same hint caps (a cap is not a
    disagreement). A self-score more than ``tolerance`` levels above the interviewer's is an
    over-estimate, below an under-estimate. A criterion either side left unscored or not
    observed, or on a step never reached, cannot be compared ("n/a")."""
    order = (
        list(step_order) if step_order is not None else sorted({c.step for c in criteria if c.step})
    )
    caps = step_caps(policy, hints, order) if policy is not None else {}
    reached_set = None if reached is None else set(reached)
    out = []
    for criterion in criteria:
        mine, theirs = self_scores.get(criterion.key), interviewer_scores.get(criterion.key)
        _check(mine, criterion.key)
        _check(theirs, criterion.key)
        cap = caps.get(criterion.step) if criterion.step else None
        a, b = _after_cap(mine, cap), _after_cap(theirs, cap)
        unreached = reached_set is not None and criterion.step and criterion.step not in reached_set
        if a is not None and b is not None and not unreached:
            delta = a - b
            verdict = "over" if delta > tolerance else "under" if delta < -tolerance else "aligned"
            out.append(Calibration(criterion.key, a, b, delta, verdict))
        else:
            out.append(Calibration(criterion.key, a, b, None, "n/a"))
    return out


def _after_cap(value: ScoreValue, cap: int | None) -> int | None:
    if value not in LEVELS:
        return None
    return min(int(value), cap) if cap is not None else int(value)


def mean_delta(rows: Sequence[Calibration]) -> Fraction | None:
    deltas = [row.delta for row in rows if row.delta is not None]
    return Fraction(sum(deltas), len(deltas)) if deltas else None


# --- The concept checklist (shown beside the hire arithmetic, never in it) -----------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    step: str
    level: str  # the lowest target level expected to raise it unprompted


@dataclass(frozen=True)
class ChecklistCoverage:
    target_level: str
    expected: int  # items at or below the target level
    counts: dict[str, int]  # unprompted, hinted, missed, unmarked over the expected items
    beyond: list[str]  # keys above the target level raised unprompted: a plus

    @property
    def unprompted_share(self) -> Fraction | None:
        return Fraction(self.counts["unprompted"], self.expected) if self.expected else None


def checklist_coverage(
    items: Iterable[ChecklistItem | tuple[str, str, str]],
    marks: Mapping[str, str],
    target_level: str,
) -> ChecklistCoverage:
    """How much of a case's concept checklist the candidate raised. ``items`` are (key, step,
    level); ``marks`` map a key to unprompted, hinted or missed (absent: unmarked). Expected
    items are those whose level is at or below the target (mid ≤ senior ≤ staff)."""
    if target_level not in TARGET_LEVELS:
        raise ValueError(f"unknown target level {target_level!r}")
    parsed = [ChecklistItem(*item) if isinstance(item, tuple) else item for item in items]
    keys = [item.key for item in parsed]
    if len(set(keys)) != len(keys):
        raise ValueError("checklist keys must be unique")
    unknown = sorted(set(marks) - set(keys))
    if unknown:
        raise ValueError(f"marks for unknown checklist items: {', '.join(unknown)}")
    for key, mark in marks.items():
        if mark not in CHECKLIST_MARKS:
            raise ValueError(
                f"checklist item {key!r}: a mark is {', '.join(CHECKLIST_MARKS)}, not {mark!r}"
            )
    rank = TARGET_LEVELS.index(target_level)
    counts = dict.fromkeys((*CHECKLIST_MARKS, "unmarked"), 0)
    beyond = []
    for item in parsed:
        if item.level not in TARGET_LEVELS:
            raise ValueError(f"checklist item {item.key!r}: unknown level {item.level!r}")
        mark = marks.get(item.key, "unmarked")
        if TARGET_LEVELS.index(item.level) <= rank:
            counts[mark] += 1
        elif mark == "unprompted":
            beyond.append(item.key)
    expected = sum(counts.values())
    return ChecklistCoverage(target_level, expected, counts, beyond)


def fmt(value: Fraction | None, places: int = 2) -> str:
    """Round half up for display: 10/3 → "3.33", 13/8 → "1.63", None → "—"."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(quantum, rounding=ROUND_HALF_UP))

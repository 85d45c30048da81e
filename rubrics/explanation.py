"""A score's result in plain sentences with its numbers (``explain``): where the overall lies
against the target level's bar, the band, the level met, knock-outs, evidence gaps, steps not
reached and hint caps. Pure, like scoring.py, whose rules it words."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from .scoring import BANDS, LEVEL_LABELS, TARGET_LEVELS, Policy, Result, fmt

# --- Explanation in words -----------------------------------------------------------------------


def _signed(value: Fraction) -> str:
    """A band threshold as written in the rubric: 0.5, 0, −0.25 (a real minus sign)."""
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


def _band_range(band: str, bands: Mapping[str, Fraction]) -> str:
    if band == "strong_no_hire":
        return f"below {_signed(bands['no_hire'])}"
    if band == "strong_hire":
        return f"{_signed(bands['strong_hire'])} and above"
    above = BANDS[BANDS.index(band) - 1]
    return f"{_signed(bands[band])} to {_signed(bands[above])}"


def _join(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _name(signal: str) -> str:
    return signal.replace("_", "-")


def _overall_sentence(result: Result, policy: Policy, shown: str, bar_text: str) -> str:
    """Where the overall lies against the target's bar, its band, and the level it meets."""
    target = result.target_level
    bar = policy.bars[target]
    # The distance from the rounded overall, so that the numbers on the page add up.
    assert result.distance is not None  # set whenever there is an overall
    gap = Fraction(shown) - bar
    if result.distance == 0:
        where = f"is exactly on {bar_text}"
    elif gap == 0:
        side = "below" if result.distance < 0 else "above"
        where = f"is just {side} {bar_text}"
    else:
        side = "below" if gap < 0 else "above"
        where = f"is {fmt(abs(gap))} {side} {bar_text}"
    band = result.band or ""
    sentence = (
        f"Overall {shown} {where}, in the {_name(band)} band ({_band_range(band, policy.bands)})"
    )
    if result.level_signal == "below":
        if result.level_met:
            met = result.level_met
            sentence += f"; it meets the {LEVEL_LABELS[met]} bar of {fmt(policy.bars[met])}"
        else:
            lowest = TARGET_LEVELS[0]
            sentence += (
                f"; it meets no level's bar (the {LEVEL_LABELS[lowest]} bar is "
                f"{fmt(policy.bars[lowest])})"
            )
    elif result.level_signal == "exceeds":
        met = result.level_met or target
        sentence += f"; it also reaches the {LEVEL_LABELS[met]} bar of {fmt(policy.bars[met])}"
    return sentence + "."


def explain(
    result: Result,
    policy: Policy,
    *,
    step_titles: Mapping[str, str] | None = None,
    criterion_titles: Mapping[str, str] | None = None,
) -> str:
    """The result in plain sentences with its numbers, e.g. "Overall 2.81 is 0.19 below the
    Senior bar of 3.00, in the lean-no-hire band (−0.25 to 0); it meets the Mid-level bar of
    2.50." plus, where they apply, the knock-out, the evidence gaps, the steps not reached and
    the hint caps."""
    steps = step_titles or {}
    crits = criterion_titles or {}
    if result.overall is None:
        return "Nothing was scored, so there is no overall score and no signal."
    target = result.target_level
    bar = policy.bars[target]
    shown = fmt(result.overall)
    bar_text = f"the {LEVEL_LABELS[target]} bar of {fmt(bar)}"
    sentences = []
    if not result.enough_evidence:
        sentences.append(
            f"Overall {shown}, but there is not enough evidence for a hire signal: "
            + "; ".join(result.evidence_gaps)
            + "."
        )
    else:
        sentences.append(_overall_sentence(result, policy, shown, bar_text))
    if result.knockouts:
        flags = "; ".join(f"{steps.get(step, step)}: “{text}”" for step, text in result.knockouts)
        plural = "s were" if len(result.knockouts) > 1 else " was"
        if result.knocked_out:
            sentences.append(
                f"A critical red flag{plural} observed ({flags}), so the signal is capped at "
                f"lean hire instead of {_name(result.band or '').replace('-', ' ')}."
            )
        else:
            sentences.append(f"A critical red flag{plural} observed ({flags}).")
    if result.unreached_steps:
        names = _join([steps.get(key, key) for key in result.unreached_steps])
        whose = "their" if len(result.unreached_steps) > 1 else "its"
        sentences.append(
            f"The interview did not reach {names}: "
            f"{whose} criteria count at level 1 unless they were scored."
        )
    capped = [r for r in result.criteria if r.capped_from is not None]
    if capped:
        parts = ", ".join(f"{crits.get(r.key, r.key)} {r.capped_from} → {r.level}" for r in capped)
        sentences.append(
            f"Hint caps lowered {len(capped)} level{'s' if len(capped) > 1 else ''} ({parts})."
        )
    return " ".join(sentences)

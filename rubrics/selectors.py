"""Reads of rubrics, and their translation into the plain data ``rubrics.scoring`` works on."""

from fractions import Fraction

from django.db.models import Prefetch, QuerySet

from casestudies.content import FORMAT, TARGET_LEVELS
from casestudies.models import Framework

from . import scoring
from .content import BANDS, HINT_CAP_FIELDS
from .models import Criterion, Rubric


def rubric_with_criteria(queryset: QuerySet | None = None) -> QuerySet:
    queryset = Rubric.objects.all() if queryset is None else queryset
    return queryset.select_related("framework").prefetch_related(
        Prefetch(
            "criteria",
            queryset=Criterion.objects.select_related("framework_step").prefetch_related("levels"),
        )
    )


def rubric_for_framework(framework: Framework) -> Rubric | None:
    """The rubric a session on this framework is scored with: ``default`` if it exists."""
    rubrics = Rubric.objects.filter(framework=framework)
    return rubrics.filter(slug="default").first() or rubrics.order_by("pk").first()


def _number(value) -> float:
    """A stored Decimal as the files write it: 3.0, 2.5, -0.25 (the canonical YAML of the
    loader's floats)."""
    return float(value)


def rubric_doc(rubric: Rubric) -> dict:
    """The rubric as a content document (``rubrics/content/<slug>.yaml``)."""
    return {
        "format": FORMAT,
        "slug": rubric.slug,
        "title": rubric.title,
        "framework": rubric.framework.slug,
        "description": rubric.description,
        "bars": {level: _number(getattr(rubric, f"{level}_bar")) for level in TARGET_LEVELS},
        "signal_bands": {name: _number(getattr(rubric, f"{name}_band")) for name in BANDS},
        "evidence": {
            "min_coverage": _number(rubric.min_coverage),
            "required_steps": list(rubric.required_steps),
        },
        "hint_caps": {name: getattr(rubric, f"{name}_hint_cap") for name in HINT_CAP_FIELDS},
        "criteria": [
            {
                "key": c.key,
                "step": c.step_key,
                "title": c.title,
                "description": c.description,
                "weight": c.weight,
                "levels": {level.level: level.anchor for level in c.levels.all()},
                "expectations": {level: c.expectations.get(level, "") for level in TARGET_LEVELS},
            }
            for c in rubric.criteria.all()
        ],
    }


def criterion_specs(rubric: Rubric) -> list[scoring.CriterionSpec]:
    """The rubric's criteria as scoring works on them. A case's weight overrides are applied
    on top with ``scoring.apply_weights(specs, case.weights)``."""
    return [
        scoring.CriterionSpec(key=c.key, step=c.step_key, weight=c.weight, title=c.title)
        for c in rubric.criteria.all()
    ]


def scoring_policy(rubric: Rubric) -> scoring.Policy:
    """The rubric's numbers as ``rubrics.scoring`` takes them, exactly (Decimal → Fraction)."""
    return scoring.Policy(
        bars={level: Fraction(getattr(rubric, f"{level}_bar")) for level in TARGET_LEVELS},
        bands={name: Fraction(getattr(rubric, f"{name}_band")) for name in BANDS},
        min_coverage=Fraction(rubric.min_coverage),
        required_steps=tuple(rubric.required_steps),
        hint_caps={name: getattr(rubric, f"{name}_hint_cap") for name in HINT_CAP_FIELDS},
    )


def criteria_for_framework(framework: Framework) -> dict[str, str]:
    """Criterion key -> step key ("" for cross-cutting) of the rubric that scores a framework:
    what a case study's signals, red flags and weight overrides may name."""
    rubric = rubric_for_framework(framework)
    if rubric is None:
        return {}
    return {
        key: step or ""
        for key, step in Criterion.objects.filter(rubric=rubric).values_list(
            "key", "framework_step__key"
        )
    }


def criterion_titles(*, case_id: int) -> dict[str, str]:
    """Criterion key -> title in the rubric that scores this case's framework (the one
    ``rubric_for_framework`` picks), in one query: what tagged signals and red flags name."""
    rows = list(
        Criterion.objects.filter(rubric__framework__cases__id=case_id).values_list(
            "rubric_id", "rubric__slug", "key", "title"
        )
    )
    rubric_ids = {rubric_id for rubric_id, _slug, _key, _title in rows}
    default = [rubric_id for rubric_id, slug, _key, _title in rows if slug == "default"]
    chosen = default[0] if default else min(rubric_ids, default=None)
    return {key: title for rubric_id, _slug, key, title in rows if rubric_id == chosen}

"""Reads of rubrics, and their translation into the plain data ``rubrics.scoring`` works on."""

from fractions import Fraction

from django.db.models import Prefetch, QuerySet

from casestudies.models import Framework

from . import scoring
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


def rubric_doc(rubric: Rubric) -> dict:
    """The rubric as a content document. Scores are written as plain numbers (3.0, 2.5)."""
    num = float
    return {
        "slug": rubric.slug,
        "title": rubric.title,
        "framework": rubric.framework.slug,
        "description": rubric.description,
        "hire_thresholds": {
            "no_hire": num(rubric.no_hire_min),
            "lean_hire": num(rubric.lean_hire_min),
            "hire": num(rubric.hire_min),
            "strong_hire": num(rubric.strong_hire_min),
        },
        "level_expectations": {
            "mid": num(rubric.mid_bar),
            "senior": num(rubric.senior_bar),
            "staff": num(rubric.staff_bar),
        },
        "criteria": [
            {
                "key": c.key,
                "step": c.step_key,
                "title": c.title,
                "description": c.description,
                "weight": c.weight,
                "levels": {level.level: level.anchor for level in c.levels.all()},
            }
            for c in rubric.criteria.all()
        ],
    }


def criterion_specs(rubric: Rubric) -> list[scoring.CriterionSpec]:
    return [
        scoring.CriterionSpec(key=c.key, step=c.step_key, weight=c.weight, title=c.title)
        for c in rubric.criteria.all()
    ]


def scoring_policy(rubric: Rubric) -> scoring.Policy:
    def frac(value) -> Fraction:
        return Fraction(value)

    return scoring.Policy(
        thresholds={
            "no_hire": frac(rubric.no_hire_min),
            "lean_hire": frac(rubric.lean_hire_min),
            "hire": frac(rubric.hire_min),
            "strong_hire": frac(rubric.strong_hire_min),
        },
        bars={
            "mid": frac(rubric.mid_bar),
            "senior": frac(rubric.senior_bar),
            "staff": frac(rubric.staff_bar),
        },
    )

"""Reads of the question bank."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet

from .models import CaseStep, CaseStudy, Framework


def is_curator(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff who may look at the whole question bank (the curators' group, superusers)."""
    return bool(user.is_staff and user.has_perm("casestudies.view_casestudy"))


def case_studies_for_library(*, domain: str = "", difficulty: str = "", text: str = "") -> QuerySet:
    cases = CaseStudy.objects.published().select_related("framework").search(text)
    if domain:
        cases = cases.filter(domain=domain)
    if difficulty:
        cases = cases.filter(difficulty=difficulty)
    return cases.order_by("title")


def case_study_with_steps(queryset: QuerySet | None = None) -> QuerySet:
    """Case studies with their framework and steps in three queries, however many there are."""
    queryset = CaseStudy.objects.all() if queryset is None else queryset
    return queryset.select_related("framework").prefetch_related(
        Prefetch(
            "steps",
            queryset=CaseStep.objects.select_related("framework_step").order_by(
                "framework_step__position"
            ),
        )
    )


def framework_doc(framework: Framework) -> dict:
    return {
        "slug": framework.slug,
        "title": framework.title,
        "description": framework.description,
        "steps": [
            {
                "key": step.key,
                "title": step.title,
                "purpose": step.purpose,
                "covers": list(step.covers),
                "minutes": step.minutes,
            }
            for step in framework.steps.all()
        ],
    }


def case_study_doc(case: CaseStudy) -> dict:
    """The case study as a content document (the shape of ``casestudies/content/<slug>.yaml``).

    Expects ``case`` from ``case_study_with_steps`` so that the steps are prefetched.
    """
    return {
        "slug": case.slug,
        "title": case.title,
        "framework": case.framework.slug,
        "status": case.status,
        "domain": case.domain,
        "difficulty": case.difficulty,
        "tags": list(case.tags),
        "author": case.author,
        "reviewer": case.reviewer,
        "summary": case.summary,
        "prompt": case.prompt,
        "diagram": case.diagram,
        "steps": {
            step.framework_step.key: {
                "probe": step.probe,
                "follow_ups": list(step.follow_ups),
                "hints": list(step.hints),
                "curveballs": list(step.curveballs),
                "strong_signals": list(step.strong_signals),
                "red_flags": list(step.red_flags),
                "reference_notes": step.reference_notes,
                "further_reading": list(step.further_reading),
            }
            for step in case.steps.all()
        },
    }

"""Reads of the question bank."""

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from . import content, framework_content
from .markdown import GlossaryEntry
from .models import CaseStep, CaseStudy, CaseStudyQuerySet, Framework, Glossary, GlossaryTerm

GLOSSARY_SLUG = "glossary"  # casestudies/content/glossary/glossary.yaml


def is_curator(user: User | AnonymousUser) -> bool:
    """Staff who may look at the whole question bank (the curators' group, superusers)."""
    return bool(user.is_staff and user.has_perm("casestudies.view_casestudy"))


def case_studies_for_library(
    *, domain: str = "", difficulty: str = "", text: str = "", framework: str = ""
) -> CaseStudyQuerySet:
    """Published cases by domain, difficulty, a word, and the framework a session on them can
    follow: a case runs under its own framework and under any framework based on it."""
    cases = CaseStudy.objects.published().select_related("framework").search(text)
    if domain:
        cases = cases.filter(domain=domain)
    if difficulty:
        cases = cases.filter(difficulty=difficulty)
    if framework:
        cases = cases.filter(Q(framework__slug=framework) | Q(framework__derived__slug=framework))
    return cases.distinct().order_by("title")


def frameworks_for_library() -> list[tuple[str, str]]:
    """(slug, title) of every framework, those based on none first."""
    rows = Framework.objects.order_by(F("based_on").asc(nulls_first=True), "title")
    return list(rows.values_list("slug", "title"))


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
    doc: dict = {
        "format": content.FORMAT,
        "slug": framework.slug,
        "title": framework.title,
        "description": framework.description,
    }
    if framework.based_on is not None:
        doc["based_on"] = framework.based_on.slug
    doc["steps"] = []
    for step in framework.steps.all():
        item = {
            "key": step.key,
            "title": step.title,
            "purpose": step.purpose,
            "covers": list(step.covers),
            "minutes": step.minutes,
        }
        if framework.based_on_id:
            draws = step.draws_from or {}
            item["draws_from"] = {
                name: list(draws[name])
                for name in framework_content.DRAWS_FROM_FIELDS
                if draws.get(name)
            }
        doc["steps"].append(item)
    return doc


def case_study_doc(case: CaseStudy, *, criteria_order: Sequence[str] = ()) -> dict:
    """The case study as a content document, in the form its file is written in
    (``casestudies/content/<slug>.yaml``, ``content.case_study_canonical``).

    Expects ``case`` from ``case_study_with_steps`` so that the steps are prefetched. Weight
    overrides are written in ``criteria_order`` (the rubric's order of criteria, which the
    exporter knows), any others after them by key.
    """
    rank = {key: index for index, key in enumerate(criteria_order)}
    weights = sorted(case.weights.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    return content.case_study_canonical(
        {
            "format": content.FORMAT,
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
            "weights": dict(weights),
            "checklist": [
                content.ordered(item, content.CHECKLIST_FIELDS) for item in case.checklist
            ],
            "steps": {
                step.framework_step.key: {
                    "probe": step.probe,
                    "follow_ups": list(step.follow_ups),
                    "hints": list(step.hints),
                    "curveballs": [
                        content.ordered(i, content.CURVEBALL_FIELDS) for i in step.curveballs
                    ],
                    "strong_signals": [
                        content.ordered(i, content.SIGNAL_FIELDS) for i in step.strong_signals
                    ],
                    "red_flags": [
                        content.ordered(i, content.RED_FLAG_FIELDS) for i in step.red_flags
                    ],
                    "expectations": content.ordered(step.expectations, content.TARGET_LEVELS),
                    "reference_notes": step.reference_notes,
                    "further_reading": [
                        content.ordered(i, content.READING_FIELDS) for i in step.further_reading
                    ],
                }
                for step in case.steps.all()
            },
        }
    )


def glossary_with_terms() -> QuerySet:
    return Glossary.objects.prefetch_related("terms")


def glossary_doc(glossary: Glossary) -> dict:
    """The glossary as its content document (``casestudies/content/glossary/<slug>.yaml``)."""
    return {
        "format": content.FORMAT,
        "terms": [
            {
                "key": term.key,
                "term": term.term,
                "aliases": list(term.aliases),
                "definition": term.definition,
            }
            for term in sorted(glossary.terms.all(), key=lambda t: t.term.casefold())
        ],
    }


def glossary_terms() -> QuerySet:
    """The terms of the bank's glossary, in the order the glossary page lists them."""
    return GlossaryTerm.objects.filter(glossary__slug=GLOSSARY_SLUG).order_by(Lower("term"), "pk")


def glossary_entries() -> list[GlossaryEntry]:
    """The glossary as the guides' linker takes it (one query)."""
    return [GlossaryEntry(t.key, t.term, t.definition, tuple(t.aliases)) for t in glossary_terms()]

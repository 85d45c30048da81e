from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from rubrics import selectors as rubric_selectors

from . import content, selectors
from .models import CaseStudy


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    cases = CaseStudy.objects.published().select_related("framework")
    return render(request, "casestudies/library.html", {"cases": cases})


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    case = get_object_or_404(CaseStudy.objects.published(), slug=slug)
    return render(request, "casestudies/detail.html", {"case": case})


# --- Staff previews: a case study as the candidate and as the interviewer would see it ---------


def _case_for_preview(request: HttpRequest, slug: str) -> CaseStudy:
    """A case study in any status, for staff who may look at the bank; 404 for everyone else
    (the page's existence is no business of candidates)."""
    user = request.user
    if not (user.is_staff and user.has_perm("casestudies.view_casestudy")):
        raise Http404("No such page.")
    return get_object_or_404(selectors.case_study_with_steps(), slug=slug)


def _preview_context(case: CaseStudy, mode: str) -> dict:
    framework_steps = list(case.framework.steps.all())
    missing = content.missing_for_completeness(
        selectors.case_study_doc(case), [step.key for step in framework_steps]
    )
    return {
        "case": case,
        "mode": mode,
        "framework_steps": framework_steps,
        "total_minutes": sum(step.minutes for step in framework_steps),
        "missing": missing,
        "guides": list(case.steps.all()),
    }


@require_GET
def preview_candidate(request: HttpRequest, slug: str) -> HttpResponse:
    """What a candidate sees: the prompt and the framework's steps during the interview, then
    the reference diagram and notes after it. Nothing from the interviewer guide."""
    case = _case_for_preview(request, slug)
    return render(
        request, "casestudies/preview_candidate.html", _preview_context(case, "candidate")
    )


@require_GET
def preview_interviewer(request: HttpRequest, slug: str) -> HttpResponse:
    """What the interviewer sees: the prompt, the reference diagram, and for each step the
    private guide and the rubric criteria with their four anchors."""
    case = _case_for_preview(request, slug)
    context = _preview_context(case, "interviewer")
    rubric = rubric_selectors.rubric_for_framework(case.framework)
    criteria = []
    if rubric is not None:
        rubric = rubric_selectors.rubric_with_criteria().get(pk=rubric.pk)
        criteria = list(rubric.criteria.all())
    guides = {guide.framework_step_id: guide for guide in context["guides"]}
    context["rubric"] = rubric
    context["sections"] = [
        {
            "framework_step": framework_step,
            "guide": guides.get(framework_step.pk),
            "criteria": [c for c in criteria if c.framework_step_id == framework_step.pk],
        }
        for framework_step in context["framework_steps"]
    ]
    context["cross_cutting"] = [c for c in criteria if c.framework_step_id is None]
    return render(request, "casestudies/preview_interviewer.html", context)

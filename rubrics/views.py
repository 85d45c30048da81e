"""Pages of the rubrics app: a case study previewed as its interviewer sees it, with the rubric.

It lives here rather than in the bank because it shows the rubric, and the bank never imports
the rubrics (dependencies point one way: interviews → rubrics → casestudies). The view that
serves it is ``interviews.views.case_preview_interviewer``, which asks the guide rule first.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casestudies import views as case_views
from casestudies.models import CaseStudy

from . import selectors


def preview_interviewer_page(request: HttpRequest, case: CaseStudy) -> HttpResponse:
    """What the interviewer sees: the prompt, the reference diagram, and for each step the
    private guide and the rubric criteria with their four anchors."""
    context = case_views.preview_context(case, "interviewer")
    rubric = selectors.rubric_for_framework(case.framework)
    criteria = []
    if rubric is not None:
        rubric = selectors.rubric_with_criteria().get(pk=rubric.pk)
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
    context["criterion_titles"] = {c.key: c.title for c in criteria}  # for the signal badges
    return render(request, "casestudies/preview_interviewer.html", context)

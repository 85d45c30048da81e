from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import content, selectors
from .models import CaseStudy

# --- Staff previews: a case study as the candidate and as the interviewer would see it ---------
# The pages are served by views in the interviews app, which know the guide rule (who is a
# candidate where); these build them.


def case_for_preview(request: HttpRequest, slug: str) -> CaseStudy:
    """A case study in any status, for staff who may look at the bank; 404 for everyone else
    (the page's existence is no business of candidates)."""
    if not selectors.is_curator(request.user):
        raise Http404("No such page.")
    return get_object_or_404(selectors.case_study_with_steps(), slug=slug)


def preview_context(case: CaseStudy, mode: str) -> dict:
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


def preview_candidate_page(request: HttpRequest, case: CaseStudy) -> HttpResponse:
    """What a candidate sees: the prompt and the framework's steps during the interview, then
    the reference diagram and notes after it. Nothing else from the interviewer guide.

    Not a view: the page is served by ``interviews.views.case_preview_candidate``, which asks
    the guide rule first (the reference notes and diagram are the guide's)."""
    return render(request, "casestudies/preview_candidate.html", preview_context(case, "candidate"))


# --- The glossary -------------------------------------------------------------------------------


@require_GET
def glossary(request: HttpRequest) -> HttpResponse:
    """Every term the guides link to, one anchor per term (``#term-<key>``)."""
    return render(request, "casestudies/glossary.html", {"terms": list(selectors.glossary_terms())})

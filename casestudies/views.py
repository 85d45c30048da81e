from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import CaseStudy


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    cases = CaseStudy.objects.published().select_related("framework")
    return render(request, "casestudies/library.html", {"cases": cases})


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    case = get_object_or_404(CaseStudy.objects.published(), slug=slug)
    return render(request, "casestudies/detail.html", {"case": case})

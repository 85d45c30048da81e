"""Pages of the live room: home, dashboard, the library, creating and joining an interview,
the room itself. What happens after the interview has its pages in the feedback app."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import profile_for
from accounts.types import AuthenticatedRequest, HtmxRequest
from casestudies import selectors as bank
from casestudies import services as bank_services
from casestudies import views as bank_views
from casestudies.models import CaseStudy, Framework, GuideView
from rubrics import views as rubric_views

from . import boardimage, flow, guides, selectors, services
from .forms import CallLinkForm, InterviewForm
from .models import Interview, Invite, Role


def access_or_404(
    request: AuthenticatedRequest, interview_id: Any, *, allow_reviewer: bool = False
) -> selectors.Access:
    """The access getter for pages: 404 for anyone who may not open the interview. Pages that
    let a session reviewer in log the read (feedback.views.reviewed_access_or_404)."""
    try:
        return selectors.interview_get_for_user(
            user=request.user, interview_id=interview_id, allow_reviewer=allow_reviewer
        )
    except Interview.DoesNotExist:
        raise Http404("No such interview.") from None


@login_not_required
@require_GET
def home(request: HtmxRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "interviews/home.html")


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    profile = profile_for(user=request.user)
    mine = selectors.interviews_for_user(user=request.user)
    # Only what the page shows is fetched, whatever the length of the history.
    active = list(mine.filter(status__in=["scheduled", "live", "wrapup"])[:12])
    finished = list(mine.filter(status="completed")[:10])
    return render(
        request,
        "interviews/dashboard.html",
        {
            "profile": profile,
            "active": active,
            "finished": finished,
            "practised_count": len(selectors.practised_case_ids(user=request.user)),
        },
    )


# --- The library -------------------------------------------------------------------------------


@require_GET
def library(request: AuthenticatedRequest) -> HttpResponse:
    domain = request.GET.get("domain", "")
    difficulty = request.GET.get("difficulty", "")
    text = request.GET.get("q", "")[:100]
    if domain not in CaseStudy.Domain.values:
        domain = ""
    if difficulty not in CaseStudy.Difficulty.values:
        difficulty = ""
    frameworks = bank.frameworks_for_library()
    framework = request.GET.get("framework", "")
    if framework not in {slug for slug, _title in frameworks}:
        framework = ""
    cases = list(
        bank.case_studies_for_library(
            domain=domain, difficulty=difficulty, text=text, framework=framework
        ).with_step_count()
    )
    practised = selectors.practised_case_ids(user=request.user)
    context = {
        "cases": [(case, case.pk in practised) for case in cases],
        "domains": CaseStudy.Domain.choices,
        "difficulties": CaseStudy.Difficulty.choices,
        # Only worth a filter when there is a choice.
        "frameworks": frameworks if len(frameworks) > 1 else [],
        "filters": {"domain": domain, "difficulty": difficulty, "q": text, "framework": framework},
        "practised_count": len(practised),
    }
    template = "casestudies/library.html"
    if request.htmx and request.htmx.target == "library-results":
        template += "#results"
    return render(request, template, context)


@require_GET
def case_detail(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    queryset = bank.case_study_with_steps(CaseStudy.objects.published())
    case = get_object_or_404(queryset, slug=slug)
    guide = guides.guide_access(user=request.user, case=case)
    if guide.visible:
        bank_services.guide_view_record(
            user=request.user, case=case, where=GuideView.Where.CASE_PAGE
        )
    return render(
        request,
        "casestudies/detail.html",
        {
            "case": case,
            "framework_steps": list(case.framework.steps.all()),
            # The guide leaves the server only for those who may read it.
            "guide_steps": list(case.steps.all()) if guide.visible else [],
            "show_guide": guide.visible,
            "guide": guide,
            "practised": case.pk in selectors.practised_case_ids(user=request.user),
        },
    )


def guide_refused(request: AuthenticatedRequest, case: CaseStudy, guide: guides.GuideAccess):
    """The page for someone the guide rule keeps out (guides.guide_access)."""
    return render(
        request,
        "interviews/guide_locked.html",
        {"case": case, "guide": guide},
        status=403,
    )


def _preview(request: AuthenticatedRequest, slug: str, where: str, page) -> HttpResponse:
    case = bank_views.case_for_preview(request, slug)  # 404 for all but curators
    guide = guides.guide_access(user=request.user, case=case)
    if not guide.visible:
        return guide_refused(request, case, guide)
    bank_services.guide_view_record(user=request.user, case=case, where=where)
    return page(request, case)


@require_GET
def case_preview_candidate(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Curators: the case as its candidate sees it, reference notes and diagram included."""
    return _preview(
        request, slug, GuideView.Where.PREVIEW_CANDIDATE, bank_views.preview_candidate_page
    )


@require_GET
def case_preview_interviewer(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Curators: the case as its interviewer sees it, the whole guide and the rubric."""
    return _preview(
        request, slug, GuideView.Where.PREVIEW_INTERVIEWER, rubric_views.preview_interviewer_page
    )


# --- Creating, joining, the room --------------------------------------------------------------


def _new(request: AuthenticatedRequest, *, solo: bool) -> HttpResponse:
    cases = list(CaseStudy.objects.published().order_by("title"))
    profile = profile_for(user=request.user)
    # The README's flow: the interviewer creates the interview and sends the candidate the link.
    initial = {"target_level": profile.target_level, "role": Role.INTERVIEWER}
    if request.GET.get("framework"):
        initial["framework"] = request.GET["framework"]  # from the library's filter
    chosen = request.GET.get("case")
    if chosen and any(str(case.pk) == chosen or case.slug == chosen for case in cases):
        initial["case_study"] = next(str(c.pk) for c in cases if chosen in (str(c.pk), c.slug))
    frameworks = Framework.objects.prefetch_related("steps").order_by("based_on", "title")
    form = InterviewForm(
        request.POST or None, cases=cases, frameworks=frameworks, solo=solo, initial=initial
    )
    guide_seen = None
    if request.method == "POST" and form.is_valid():
        case = form.cleaned_data["case_study"]
        role = Role.CANDIDATE if solo else form.cleaned_data["role"]
        if case is not None and role == Role.CANDIDATE:
            # Practising a case whose guide one has read is allowed, knowingly: the page asks,
            # and the report says so.
            guide_seen = guides.guide_seen_at(user_id=request.user.pk, case_id=case.pk)
        if guide_seen is None or form.cleaned_data["guide_seen_ok"]:
            try:
                interview = services.interview_create(
                    user=request.user,
                    case_study=case,
                    role=role,
                    target_level=form.cleaned_data["target_level"],
                    kind=Interview.Kind.SOLO if solo else Interview.Kind.PEER,
                    framework=form.cleaned_data.get("framework"),
                    call_link=form.cleaned_data.get("call_link", ""),
                )
            except services.ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(interview)
    return render(
        request, "interviews/new.html", {"form": form, "solo": solo, "guide_seen": guide_seen}
    )


@require_http_methods(["GET", "POST"])
def interview_new(request: AuthenticatedRequest) -> HttpResponse:
    return _new(request, solo=False)


@require_http_methods(["GET", "POST"])
def drill_new(request: AuthenticatedRequest) -> HttpResponse:
    return _new(request, solo=True)


@require_http_methods(["GET", "POST"])
def invite_join(request: AuthenticatedRequest, token: str) -> HttpResponse:
    invite = (
        Invite.objects.select_related("interview__case_study", "interview__created_by__profile")
        .filter(token=token)
        .first()
    )
    if invite is not None and invite.accepted_by_id == request.user.pk:
        return redirect(invite.interview)
    refusal, guide_seen = "", None
    if invite is not None:
        # A used, expired or own link says so before "Join", not after.
        refusal = selectors.invite_refusal(invite=invite, user=request.user)
    if invite is not None and not refusal:
        case_id = invite.interview.case_study_id
        refusal = guides.session_refusal(user=request.user, case_id=case_id, role=invite.role)
        if not refusal and invite.role == Role.CANDIDATE:
            guide_seen = guides.guide_seen_at(user_id=request.user.pk, case_id=case_id)
    if request.method == "POST":
        if refusal:
            return render(
                request, "interviews/join.html", {"invite": invite, "error": refusal}, status=400
            )
        if guide_seen is None or request.POST.get("guide_seen_ok"):
            try:
                interview = services.invite_accept(user=request.user, token=token)
            except services.InviteError as exc:
                return render(
                    request,
                    "interviews/join.html",
                    {"invite": invite, "error": str(exc)},
                    status=400,
                )
            return redirect(interview)
    error = refusal
    if invite is None:
        error = "This invite link is not valid. Ask your peer for a new one."
    return render(
        request,
        "interviews/join.html",
        {
            "invite": invite,
            "error": error,
            "guide_seen": guide_seen,
            "confirm_missing": request.method == "POST",
        },
        status=404 if invite is None else 200,
    )


@require_GET
def room(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    access = access_or_404(request, interview_id)
    interview = access.interview
    if interview.status in (Interview.Status.WRAPUP, Interview.Status.COMPLETED):
        return redirect("wrapup", interview_id=interview.pk)
    if interview.status == Interview.Status.ABANDONED:
        messages.info(request, f"That {interview.noun} was abandoned.")
        return redirect("dashboard")
    steps = selectors.steps_of(interview)
    invite = None
    if not interview.is_solo and interview.created_by_id == request.user.pk:
        invite = Invite.objects.filter(interview=interview, accepted_at__isnull=True).first()
    context = {
        "interview": interview,
        "role": access.role,
        "steps": steps,
        # Each step's purpose and what it should cover, shown to both roles beside the notes.
        "framework_steps": list(selectors.framework_of(interview).steps.all()),
        "total_minutes": sum(s.minutes for s in steps),
        "invite_url": request.build_absolute_uri(reverse("join", args=[invite.token]))
        if invite
        else "",
        "invite": invite,
        "socket_path": f"/ws/interviews/{interview.pk}/",
        # What this role may ever do here: which controls the page carries at all. Which of
        # them work now, the socket says (flow.allowed).
        "may": {str(a): flow.may(access.role, a, solo=interview.is_solo) for a in flow.Action},
    }
    if access.role == Role.INTERVIEWER:
        # The private guide is rendered only into the interviewer's page, and recorded.
        bank_services.guide_view_record(
            user=request.user, case=interview.case_study, where=GuideView.Where.ROOM
        )
        key = steps[interview.step_index].key
        scores = selectors.interviewer_scores(interview)
        context["panel_html"] = selectors.panel_html(interview, key, scores=scores)
    return render(request, "interviews/room.html", context)


@require_POST
def board_image(request: AuthenticatedRequest, interview_id) -> JsonResponse:
    """A participant's browser sends the board as a PNG (for the report); 400 with a code for
    anything that is not a sensible PNG, 409 once the interview is over."""
    access = access_or_404(request, interview_id)
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"code": "bad_image", "message": "No image was sent."}, status=400)
    if (upload.size or 0) > boardimage.MAX_UPLOAD_BYTES:
        data = b"x" * (boardimage.MAX_UPLOAD_BYTES + 1)  # refused by size, unread
    else:
        data = upload.read()
    try:
        image = boardimage.board_image_save(
            interview=access.interview, user=request.user, data=data
        )
    except boardimage.BoardImageError as exc:
        status = 409 if exc.code == "invalid_state" else 400
        return JsonResponse({"code": exc.code, "message": exc.message}, status=status)
    return JsonResponse({"width": image.width, "height": image.height})


@require_POST
def invite_renew(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    access = access_or_404(request, interview_id)
    try:
        services.invite_renew(user=request.user, interview=access.interview, role=access.role)
        messages.success(request, "Here is a new invite link; the old one no longer works.")
    except services.InviteError as exc:
        messages.error(request, str(exc))
    return redirect(access.interview)


@require_POST
def call_link_edit(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    access = access_or_404(request, interview_id)
    form = CallLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["call_link"]))
        return redirect(access.interview)
    try:
        services.call_link_set(
            interview=access.interview, role=access.role, link=form.cleaned_data["call_link"]
        )
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        saved = form.cleaned_data["call_link"]
        messages.success(request, "Meeting link saved." if saved else "Meeting link removed.")
    return redirect(access.interview)


@require_POST
def interview_abandon(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    access = access_or_404(request, interview_id)
    try:
        services.interview_abandon(user=request.user, interview=access.interview, role=access.role)
        messages.info(request, f"{access.interview.noun.capitalize()} abandoned.")
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("dashboard")

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from casestudies import selectors as bank
from casestudies.models import CaseStudy, FrameworkStep

from . import flow, reports, selectors, services
from .forms import (
    InterviewForm,
    ProfileForm,
    ScorecardForm,
    SelfAssessmentForm,
    WrapupForm,
)
from .models import Interview, Invite, Report, Role, Score


def _access(request: HttpRequest, interview_id, *, allow_staff: bool = False):
    try:
        return selectors.interview_get_for_user(
            user=request.user, interview_id=interview_id, allow_staff=allow_staff
        )
    except Interview.DoesNotExist:
        raise Http404("No such interview.") from None


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
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
def dashboard(request: HttpRequest) -> HttpResponse:
    profile = selectors.profile_for(user=request.user)
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


@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = selectors.profile_for(user=request.user)
    form = ProfileForm(
        request.POST or None,
        initial={"display_name": profile.display_name, "target_level": profile.target_level},
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "interviews/profile.html", {"form": form})


# --- The library -------------------------------------------------------------------------------


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    domain = request.GET.get("domain", "")
    difficulty = request.GET.get("difficulty", "")
    text = request.GET.get("q", "")[:100]
    if domain not in CaseStudy.Domain.values:
        domain = ""
    if difficulty not in CaseStudy.Difficulty.values:
        difficulty = ""
    cases = list(
        bank.case_studies_for_library(
            domain=domain, difficulty=difficulty, text=text
        ).with_step_count()
    )
    practised = selectors.practised_case_ids(user=request.user)
    context = {
        "cases": [(case, case.pk in practised) for case in cases],
        "domains": CaseStudy.Domain.choices,
        "difficulties": CaseStudy.Difficulty.choices,
        "filters": {"domain": domain, "difficulty": difficulty, "q": text},
        "practised_count": len(practised),
    }
    template = "casestudies/library.html"
    if request.htmx and request.htmx.target == "library-results":
        template += "#results"
    return render(request, template, context)


@require_GET
def case_detail(request: HttpRequest, slug: str) -> HttpResponse:
    queryset = bank.case_study_with_steps(CaseStudy.objects.published())
    case = get_object_or_404(queryset, slug=slug)
    show_guide = selectors.guide_visible(user=request.user, case=case)
    return render(
        request,
        "casestudies/detail.html",
        {
            "case": case,
            "framework_steps": list(case.framework.steps.all()),
            # The guide leaves the server only for those who may read it.
            "guide_steps": list(case.steps.all()) if show_guide else [],
            "show_guide": show_guide,
            "practised": case.pk in selectors.practised_case_ids(user=request.user),
        },
    )


# --- Creating, joining, the room --------------------------------------------------------------


def _new(request: HttpRequest, *, solo: bool) -> HttpResponse:
    cases = list(CaseStudy.objects.published().order_by("title"))
    profile = selectors.profile_for(user=request.user)
    initial = {"target_level": profile.target_level, "role": Role.CANDIDATE}
    chosen = request.GET.get("case")
    if chosen and any(str(case.pk) == chosen or case.slug == chosen for case in cases):
        initial["case_study"] = next(str(c.pk) for c in cases if chosen in (str(c.pk), c.slug))
    form = InterviewForm(request.POST or None, cases=cases, solo=solo, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.interview_create(
                user=request.user,
                case_study=form.cleaned_data["case_study"],
                role=Role.CANDIDATE if solo else form.cleaned_data["role"],
                target_level=form.cleaned_data["target_level"],
                kind=Interview.Kind.SOLO if solo else Interview.Kind.PEER,
            )
        except services.ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(interview)
    return render(request, "interviews/new.html", {"form": form, "solo": solo})


@require_http_methods(["GET", "POST"])
def interview_new(request: HttpRequest) -> HttpResponse:
    return _new(request, solo=False)


@require_http_methods(["GET", "POST"])
def drill_new(request: HttpRequest) -> HttpResponse:
    return _new(request, solo=True)


@require_http_methods(["GET", "POST"])
def invite_join(request: HttpRequest, token: str) -> HttpResponse:
    invite = (
        Invite.objects.select_related("interview__case_study", "interview__created_by__profile")
        .filter(token=token)
        .first()
    )
    if request.method == "POST":
        try:
            interview = services.invite_accept(user=request.user, token=token)
        except services.InviteError as exc:
            return render(
                request, "interviews/join.html", {"invite": invite, "error": str(exc)}, status=400
            )
        return redirect(interview)
    error = None
    if invite is None:
        error = "This invite link is not valid. Ask your peer for a new one."
    elif invite.accepted_by_id == request.user.pk:
        return redirect(invite.interview)
    return render(
        request,
        "interviews/join.html",
        {"invite": invite, "error": error},
        status=404 if invite is None else 200,
    )


@require_GET
def room(request: HttpRequest, interview_id) -> HttpResponse:
    access = _access(request, interview_id)
    interview = access.interview
    if interview.status in (Interview.Status.WRAPUP, Interview.Status.COMPLETED):
        return redirect("wrapup", interview_id=interview.pk)
    if interview.status == Interview.Status.ABANDONED:
        messages.info(request, "That interview was abandoned.")
        return redirect("dashboard")
    steps = selectors.steps_of(interview)
    invite = None
    if not interview.is_solo and interview.created_by_id == request.user.pk:
        invite = Invite.objects.filter(interview=interview, accepted_at__isnull=True).first()
    context = {
        "interview": interview,
        "role": access.role,
        "steps": steps,
        "total_minutes": sum(s.minutes for s in steps),
        "invite_url": request.build_absolute_uri(reverse("join", args=[invite.token]))
        if invite
        else "",
        "invite": invite,
        "socket_path": f"/ws/interviews/{interview.pk}/",
    }
    if access.role == Role.INTERVIEWER:
        # The private guide is rendered only into the interviewer's page.
        key = steps[interview.step_index].key
        scores = selectors.scores_of(interview, source=Score.Source.INTERVIEWER)
        context["panel_html"] = selectors.panel_html(interview, key, scores=scores)
    return render(request, "interviews/room.html", context)


@require_POST
def invite_renew(request: HttpRequest, interview_id) -> HttpResponse:
    access = _access(request, interview_id)
    try:
        services.invite_renew(user=request.user, interview=access.interview)
        messages.success(request, "Here is a new invite link; the old one no longer works.")
    except services.InviteError as exc:
        messages.error(request, str(exc))
    return redirect(access.interview)


@require_POST
def interview_abandon(request: HttpRequest, interview_id) -> HttpResponse:
    access = _access(request, interview_id)
    try:
        services.interview_abandon(user=request.user, interview=access.interview)
        messages.info(request, "Interview abandoned.")
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("dashboard")


# --- After the interview: wrap-up, report, progress ------------------------------------------


def _actor(request: HttpRequest, access: selectors.Access) -> services.Actor:
    interview = access.interview
    return services.Actor(request.user, interview.pk, access.role, interview.is_solo)


def _wrapup_sections(
    interview: Interview,
    criteria: list,
    form: WrapupForm | None,
    *,
    documents: dict[str, str],
    revealed: set[str] = frozenset(),
) -> list[dict]:
    """The wrap-up page, step by step: the candidate's notes, and each criterion with its
    anchors, the value chosen so far, the note and the errors. Plain data for the template."""

    def row(criterion) -> dict:
        level_name, note_name = f"level-{criterion.key}", f"note-{criterion.key}"
        value, note, errors = "", "", []
        if form is not None:
            bound_level, bound_note = form[level_name], form[note_name]
            value = str(bound_level.value() or "")
            note = bound_note.value() or ""
            errors = [*bound_level.errors, *bound_note.errors]
        return {
            "criterion": criterion,
            "anchors": [
                {
                    "value": str(level.level),
                    "text": level.anchor,
                    "checked": value == str(level.level),
                }
                for level in criterion.levels.all()
            ],
            "not_observed": value == "not_observed",
            "level_name": level_name,
            "note_name": note_name,
            "value": value,
            "note": note,
            "errors": errors,
        }

    sections = []
    for position, step in enumerate(selectors.steps_of(interview), start=1):
        sections.append(
            {
                "key": step.key,
                "title": step.title,
                "position": position,
                "minutes": step.minutes,
                "seconds": float(interview.elapsed.get(step.key, 0)),
                "notes": documents.get(f"notes:{step.key}", ""),
                "revealed": step.key in revealed,
                "reference_html": selectors.reference_html(interview, step.key)
                if step.key in revealed
                else "",
                "rows": [row(c) for c in criteria if c.step_key == step.key],
            }
        )
    cross = [row(c) for c in criteria if not c.step_key]
    if cross:
        sections.append({"key": "", "title": "Across the interview", "position": 0, "rows": cross})
    return sections


def _wrapup_context(request: HttpRequest, access: selectors.Access, **extra) -> dict:
    interview = access.interview
    steps = selectors.steps_of(interview)
    deadline = None
    if interview.ended_at:
        deadline = interview.ended_at + timedelta(hours=settings.REPORT_DEADLINE_HOURS)
    return {
        "interview": interview,
        "role": access.role,
        "steps": steps,
        "total_minutes": sum(s.minutes for s in steps),
        "total_seconds": flow.total_seconds(
            interview.elapsed, interview.clock_started_at, timezone.now()
        ),
        "deadline": deadline,
        **extra,
    }


@require_http_methods(["GET", "POST"])
def wrapup(request: HttpRequest, interview_id) -> HttpResponse:
    """After the interview. The candidate assesses themselves, the interviewer finalises the
    scorecard; then each waits for the other (the page polls) and goes on to the report.

    The candidate's responses never carry the interviewer's scores: this view does not read
    them on the candidate's path, and the report exists only once the self-assessment is in
    (or the deadline passed)."""
    access = _access(request, interview_id, allow_staff=True)
    interview = access.interview
    if interview.status in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        return redirect(interview)
    if interview.status == Interview.Status.ABANDONED:
        messages.info(request, "That interview was abandoned.")
        return redirect("dashboard")
    if interview.status == Interview.Status.COMPLETED:
        url = reverse("report", kwargs={"interview_id": interview.pk})
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if not access.is_participant:
        if request.method == "POST":
            raise Http404("Staff can look, not assess.")
        assessments = selectors.assessments_of(interview)
        return render(
            request,
            "interviews/wrapup.html",
            _wrapup_context(request, access, state="staff", assessments=assessments),
        )
    if access.role == Role.CANDIDATE:
        return _wrapup_candidate(request, access)
    return _wrapup_interviewer(request, access)


def _wrapup_candidate(request: HttpRequest, access: selectors.Access) -> HttpResponse:
    interview = access.interview
    mine = selectors.assessments_of(interview).get(Score.Source.SELF)
    submitted = bool(mine and mine.submitted_at)
    if submitted:
        if request.method == "POST":
            messages.info(request, "Your self-assessment is already in.")
            return redirect("wrapup", interview_id=interview.pk)
        context = _wrapup_context(request, access, state="waiting", assessment=mine)
        template = "interviews/wrapup.html#waiting" if request.htmx else "interviews/wrapup.html"
        return render(request, template, context)
    criteria = selectors.rubric_criteria(interview)
    form = SelfAssessmentForm(request.POST or None, criteria=criteria)
    status = 200
    if request.method == "POST":
        skipped = "skip" in request.POST and not interview.is_solo
        if skipped or form.is_valid():
            try:
                services.assessment_submit(
                    actor=_actor(request, access),
                    levels=None if skipped else form.levels(),
                    notes=None if skipped else form.notes(),
                    reflection="" if skipped else form.cleaned_data["reflection"],
                    skipped=skipped,
                )
            except services.ServiceError as exc:
                form.add_service_errors(exc.extra.get("errors", {}))
                form.add_error(None, exc.message)
            else:
                if interview.is_solo:
                    messages.success(request, "Drill complete. Here is your report.")
                    return redirect("report", interview_id=interview.pk)
                messages.success(
                    request,
                    "Skipped. Your report comes once your interviewer finalises the scorecard."
                    if skipped
                    else "Your self-assessment is in. Your report comes once your interviewer "
                    "finalises the scorecard.",
                )
                return redirect("wrapup", interview_id=interview.pk)
        status = 400
    documents = selectors.candidate_documents(interview)
    sections = _wrapup_sections(
        interview,
        criteria,
        form,
        documents=documents,
        revealed=set(interview.revealed_steps) if interview.is_solo else set(),
    )
    context = _wrapup_context(
        request, access, state="self", form=form, sections=sections, documents=documents
    )
    return render(request, "interviews/wrapup.html", context, status=status)


def _wrapup_interviewer(request: HttpRequest, access: selectors.Access) -> HttpResponse:
    interview = access.interview
    assessments = selectors.assessments_of(interview)
    mine = assessments.get(Score.Source.INTERVIEWER)
    candidate_in = bool(
        assessments.get(Score.Source.SELF, None) and assessments["self"].submitted_at
    )
    if mine and mine.submitted_at:
        if request.method == "POST":
            messages.info(request, "The scorecard is already finalised.")
            return redirect("wrapup", interview_id=interview.pk)
        context = _wrapup_context(
            request, access, state="waiting", assessment=mine, candidate_in=candidate_in
        )
        template = "interviews/wrapup.html#waiting" if request.htmx else "interviews/wrapup.html"
        return render(request, template, context)
    criteria = selectors.rubric_criteria(interview)
    live = selectors.scores_of(interview, source=Score.Source.INTERVIEWER)
    initial = {}
    for key, score in live.items():
        level = "not_observed" if score.not_observed else str(score.level or "")
        initial[f"level-{key}"] = level
        initial[f"note-{key}"] = score.evidence
    form = ScorecardForm(request.POST or None, criteria=criteria, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.scorecard_finalise(
                    actor=_actor(request, access),
                    levels=form.levels(),
                    evidence=form.notes(),
                    strengths=form.cleaned_data["strengths"],
                    improvements=form.cleaned_data["improvements"],
                )
            except services.ServiceError as exc:
                form.add_service_errors(exc.extra.get("errors", {}))
                form.add_error(None, exc.message)
            else:
                interview.refresh_from_db(fields=["status"])
                if interview.status == Interview.Status.COMPLETED:
                    messages.success(request, "Scorecard finalised. The report is on its way.")
                    return redirect("report", interview_id=interview.pk)
                messages.success(
                    request,
                    "Scorecard finalised. The report is compiled once the candidate has "
                    "assessed themselves.",
                )
                return redirect("wrapup", interview_id=interview.pk)
        status = 400
    documents = selectors.candidate_documents(interview)
    sections = _wrapup_sections(interview, criteria, form, documents=documents)
    context = _wrapup_context(
        request,
        access,
        state="scorecard",
        form=form,
        sections=sections,
        documents=documents,
        candidate_in=candidate_in,
        deliveries=list(interview.deliveries.all()),
    )
    return render(request, "interviews/wrapup.html", context, status=status)


@require_POST
def wrapup_reveal(request: HttpRequest, interview_id, step_key: str) -> HttpResponse:
    """Solo drill, at the wrap-up: show a step's reference notes (once the candidate wrote
    their own for it)."""
    access = _access(request, interview_id)
    interview = access.interview
    try:
        html = services.reference_reveal(actor=_actor(request, access), step_key=step_key)
    except services.ServiceError as exc:
        if request.htmx:
            return render(request, "interviews/wrapup.html#reveal-error", {"message": exc.message})
        messages.error(request, exc.message)
        return redirect(reverse("wrapup", kwargs={"interview_id": interview.pk}))
    if request.htmx:
        return HttpResponse(html)
    return redirect(reverse("wrapup", kwargs={"interview_id": interview.pk}) + f"#step-{step_key}")


@require_GET
def report(request: HttpRequest, interview_id) -> HttpResponse:
    """The feedback report. While it compiles, the page polls (htmx) and swaps it in."""
    access = _access(request, interview_id, allow_staff=True)
    interview = access.interview
    report = selectors.report_of(interview)
    context = {
        "interview": interview,
        "role": access.role,
        "report": report,
        "polling": report is not None
        and report.status in (Report.Status.PENDING, Report.Status.RUNNING),
    }
    if report is not None and report.status == Report.Status.READY:
        context.update(reports.report_context(report.data))
    template = "interviews/report.html#report-body" if request.htmx else "interviews/report.html"
    return render(request, template, context)


def _ready_report(request: HttpRequest, interview_id) -> Report:
    access = _access(request, interview_id, allow_staff=True)
    report = selectors.report_of(access.interview)
    if report is None or report.status != Report.Status.READY:
        raise Http404("The report is not ready yet.")
    return report


def _download_name(report: Report, extension: str) -> str:
    data = report.data
    day = (data["interview"].get("ended_at") or data["interview"].get("completed_at") or "")[:10]
    return f"sevensteps-{data['case']['slug']}-{day}.{extension}"


@require_GET
def report_pdf(request: HttpRequest, interview_id) -> HttpResponse:
    report = _ready_report(request, interview_id)
    # Rendering takes seconds; a compiled report does not change, so keep the file a while.
    key = f"report-pdf:{reports.REPORT_VERSION}:{report.pk}:{report.compiled_at.timestamp()}"
    pdf = cache.get(key)
    if pdf is None:
        pdf = reports.report_pdf(report.data)
        cache.set(key, pdf, timeout=24 * 3600)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(report, "pdf")}"'
    return response


@require_GET
def report_md(request: HttpRequest, interview_id) -> HttpResponse:
    report = _ready_report(request, interview_id)
    response = HttpResponse(report.markdown, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(report, "md")}"'
    return response


@require_POST
def report_retry(request: HttpRequest, interview_id) -> HttpResponse:
    access = _access(request, interview_id, allow_staff=True)
    report = selectors.report_of(access.interview)
    if report is None:
        raise Http404("There is no report to retry.")
    try:
        services.report_retry(report_id=report.pk, user=request.user)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("report", interview_id=access.interview.pk)


@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    """The user's history and trends. A fixed number of queries however many sessions."""
    interviews = list(selectors.progress_interviews(user=request.user))
    framework_ids = {i.case_study.framework_id for i in interviews}
    steps = {}
    for step in FrameworkStep.objects.filter(framework_id__in=framework_ids).order_by("position"):
        steps.setdefault(step.key, step)
    data = reports.progress_data(interviews, steps=list(steps.values()))
    latest = data["latest"]
    data["practise_next"] = reports.cases_to_practise(
        step_keys=[t["key"] for t in data["weakest"][:2]],
        exclude_case_id=None,
        practised=data["practised"],
        overall=latest,
    )
    return render(request, "interviews/progress.html", {"progress": data})


@require_GET
def case_usage(request: HttpRequest) -> HttpResponse:
    """Curators: how each case is used, to spot cases that are too hard or too easy."""
    if not (request.user.is_staff and request.user.has_perm("casestudies.view_casestudy")):
        raise Http404("No such page.")
    steps, usage = selectors.case_usage()
    return render(
        request,
        "interviews/usage.html",
        {
            "steps": steps,
            "usage": usage,
            "too_hard": selectors.TOO_HARD,
            "too_easy": selectors.TOO_EASY,
        },
    )


@require_GET
def session_timeline(request: HttpRequest, interview_id) -> HttpResponse:
    """The replay of a session: every event the viewer's role may see, in order."""
    access = _access(request, interview_id, allow_staff=True)
    interview = access.interview
    if interview.status in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        return redirect(interview)
    role = Role.INTERVIEWER if access.role == "staff" else access.role
    return render(
        request,
        "interviews/timeline.html",
        {
            "interview": interview,
            "role": access.role,
            "rows": selectors.timeline(interview=interview, role=role),
        },
    )

"""Pages after the interview: the wrap-up (self-assessment and scorecard), the report and its
downloads, progress, case usage for curators, and the session's timeline."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.types import AuthenticatedRequest
from casestudies import selectors as bank
from casestudies.models import FrameworkStep
from interviews import flow, guides
from interviews import selectors as room
from interviews import services as room_services
from interviews.errors import ServiceError
from interviews.models import BoardImage, Interview, Report, Role, Score
from interviews.services import Actor
from interviews.views import access_or_404, guide_refused
from rubrics.selectors import scoring_policy

from . import progress as progress_module
from . import report_render, reports, selectors, services, suggestions, timeline, usage
from . import wrapup as wrapup_aids
from .forms import ScorecardForm, SelfAssessmentForm, WrapupForm


def reviewed_access_or_404(request: AuthenticatedRequest, interview_id, what: str) -> room.Access:
    """The access getter for the pages that show an interview's private notes and scores: its
    participants, and session reviewers (``interviews.view_private``), whose every read is
    logged. Curators, like anyone else, get a 404."""
    access = access_or_404(request, interview_id, allow_reviewer=True)
    if access.role == room.REVIEWER:
        services.private_read_record(
            reader=request.user, interview_id=access.interview.pk, what=what
        )
    return access


def _guide_refusal(request: AuthenticatedRequest, access: room.Access) -> HttpResponse | None:
    """A session's pages carry material from the case's guide (the hints and curveballs sent,
    the reference notes and architecture): not for someone who is now the candidate in another
    unfinished session on the case (the guide rule, interviews.guides.guide_access)."""
    interview = access.interview
    guide = guides.guide_access(user=request.user, case=interview.case_study, session=interview)
    return None if guide.visible else guide_refused(request, interview.case_study, guide)


def _actor(request: AuthenticatedRequest, access: room.Access) -> Actor:
    interview = access.interview
    return Actor(request.user, interview.pk, access.role, interview.is_solo)


@dataclass
class _Aids:
    """What the wrap-up shows beside the scores: per step the hint cap and whether the
    interview reached it, the case's tagged signals and red flags per criterion (the
    interviewer's scorecard only), the checklist, and what the target level is expected to
    show."""

    caps: dict[str, dict]  # step key -> cap, why, note (reports.step_caps)
    reached: set[str]
    tagged: dict[str, list[dict]]
    checklist: list[dict]
    target: str

    def flag_keys(self, criteria: list) -> list[str]:
        """The red flags shown beside a criterion: the ones the form marks."""
        return [item["key"] for c in criteria for item in self.tagged.get(c.key, []) if item["key"]]


def _aids(interview: Interview, *, signals: bool) -> _Aids:
    steps = room.steps_of(interview)
    keys = [step.key for step in steps]
    guides = room.case_steps(interview)
    hints = reports.hints_of(list(interview.deliveries.all()), guides, keys)
    return _Aids(
        caps=reports.step_caps(scoring_policy(interview.rubric), hints, keys),
        reached=set(flow.reached_steps(interview.elapsed, interview.step_index, keys)),
        tagged=room.tagged_signals(guides, steps) if signals else {},
        checklist=room.checklist_rows(room.checklist_of(interview), steps),
        target=interview.target_level,
    )


def _checklist_rows(aids: _Aids, form: WrapupForm | None) -> list[dict]:
    rows = []
    for item in aids.checklist:
        field = f"concept-{item['key']}"
        bound = form[field] if form is not None else None
        rows.append(
            {
                **item,
                "field": field,
                "value": str(bound.value() or "") if bound is not None else "",
                "errors": list(bound.errors) if bound is not None else [],
            }
        )
    return rows


def _wrapup_sections(
    interview: Interview,
    criteria: list,
    form: WrapupForm | None,
    *,
    documents: dict[str, str],
    revealed: frozenset[str] | set[str] = frozenset(),
    aids: _Aids | None = None,
) -> list[dict]:
    """The wrap-up page, step by step: the candidate's notes, whether the interview reached
    the step and the cap its hints impose, and each criterion with its anchors, the value
    chosen so far, the note and the errors, what the target level is expected to show, and
    (on the scorecard) the case's signals and red flags for it. Plain data for the template."""

    def signals(criterion) -> list[dict]:
        items = aids.tagged.get(criterion.key, []) if aids else []
        out = []
        for item in items:
            field = f"flag-{item['key']}" if item["key"] else ""
            observed = bool(form[field].value()) if field and form is not None else False
            out.append({**item, "field": field, "observed": observed})
        return out

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
            "signals": signals(criterion),
            "expectation": str(criterion.expectations.get(aids.target, ""))
            if aids and isinstance(criterion.expectations, dict)
            else "",
        }

    sections = []
    for position, step in enumerate(room.steps_of(interview), start=1):
        sections.append(
            {
                "key": step.key,
                "title": step.title,
                "position": position,
                "minutes": step.minutes,
                "seconds": float(interview.elapsed.get(step.key, 0)),
                "notes": documents.get(f"notes:{step.key}", ""),
                "revealed": step.key in revealed,
                "reached": aids is None or step.key in aids.reached,
                "cap": aids.caps.get(step.key) if aids else None,
                "reference_html": room.reference_html(interview, step.key)
                if step.key in revealed
                else "",
                "rows": [row(c) for c in criteria if room.criterion_step(interview, c) == step.key],
            }
        )
    cross = [row(c) for c in criteria if not room.criterion_step(interview, c)]
    if cross:
        sections.append({"key": "", "title": "Across the interview", "position": 0, "rows": cross})
    return sections


def _wrapup_context(request: AuthenticatedRequest, access: room.Access, **extra) -> dict:
    interview = access.interview
    steps = room.steps_of(interview)
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
def wrapup(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    """After the interview. The candidate assesses themselves, the interviewer finalises the
    scorecard; then each waits for the other (the page polls) and goes on to the report.

    The candidate's responses never carry the interviewer's scores: this view does not read
    them on the candidate's path, and the report exists only once the self-assessment is in
    (or the deadline passed)."""
    access = reviewed_access_or_404(request, interview_id, "wrap-up")
    interview = access.interview
    if interview.status in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        return redirect(interview)
    if refused := _guide_refusal(request, access):
        return refused
    if interview.status == Interview.Status.ABANDONED:
        messages.info(request, f"That {interview.noun} was abandoned.")
        return redirect("dashboard")
    if interview.status == Interview.Status.COMPLETED:
        url = reverse("report", kwargs={"interview_id": interview.pk})
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if not access.is_participant:
        if request.method == "POST":
            raise Http404("Reviewers can look, not assess.")
        assessments = selectors.assessments_of(interview)
        return render(
            request,
            "feedback/wrapup.html",
            _wrapup_context(request, access, state="reviewer", assessments=assessments),
        )
    if access.role == Role.CANDIDATE:
        return _wrapup_candidate(request, access)
    return _wrapup_interviewer(request, access)


def _wrapup_candidate(request: AuthenticatedRequest, access: room.Access) -> HttpResponse:
    interview = access.interview
    mine = selectors.assessments_of(interview).get(Score.Source.SELF)
    submitted = bool(mine and mine.submitted_at)
    if submitted:
        if request.method == "POST":
            messages.info(request, "Your self-assessment is already in.")
            return redirect("wrapup", interview_id=interview.pk)
        context = _wrapup_context(request, access, state="waiting", assessment=mine)
        template = "feedback/wrapup.html#waiting" if request.htmx else "feedback/wrapup.html"
        return render(request, template, context)
    criteria = selectors.rubric_criteria(interview)
    aids = _aids(interview, signals=False)
    form = SelfAssessmentForm(
        request.POST or None,
        criteria=criteria,
        concepts=[i["key"] for i in aids.checklist],
        initial=selectors.draft_fields(interview, source=Score.Source.SELF),
    )
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
                    concepts=None if skipped else form.concepts(),
                )
            except ServiceError as exc:
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
        aids=aids,
    )
    checklist = _checklist_rows(aids, form)
    context = _wrapup_context(
        request,
        access,
        state="self",
        form=form,
        sections=sections,
        documents=documents,
        checklist=checklist,
        errors=wrapup_aids.error_summary(form, sections, checklist),
        progress=wrapup_aids.progress(sections, evidence_needed=False),
    )
    return render(request, "feedback/wrapup.html", context, status=status)


def _scorecard_initial(interview: Interview, live: dict, live_marks: list[dict]) -> dict[str, Any]:
    """The scorecard as the room left it (live scores and marks), then the saved draft over it."""
    initial: dict[str, Any] = {}
    for key, score in live.items():
        level = "not_observed" if score.not_observed else str(score.level or "")
        initial[f"level-{key}"] = level
        initial[f"note-{key}"] = score.evidence
    for mark in live_marks:
        concept = mark["kind"] == "concept"
        initial[f"{mark['kind']}-{mark['key']}"] = mark["value"] if concept else True
    initial.update(selectors.draft_fields(interview, source=Score.Source.INTERVIEWER))
    return initial


def _wrapup_interviewer(request: AuthenticatedRequest, access: room.Access) -> HttpResponse:
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
        template = "feedback/wrapup.html#waiting" if request.htmx else "feedback/wrapup.html"
        return render(request, template, context)
    criteria = selectors.rubric_criteria(interview)
    aids = _aids(interview, signals=True)
    live = selectors.scores_of(interview, source=Score.Source.INTERVIEWER)
    live_marks = room.marks_of(interview.pk, source=Score.Source.INTERVIEWER)
    initial = _scorecard_initial(interview, live, live_marks)
    form = ScorecardForm(
        request.POST or None,
        criteria=criteria,
        initial=initial,
        concepts=[i["key"] for i in aids.checklist],
        flags=aids.flag_keys(criteria),
    )
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
                    concepts=form.concepts(),
                    flags=form.flags(),
                )
            except ServiceError as exc:
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
    sections = _wrapup_sections(interview, criteria, form, documents=documents, aids=aids)
    checklist = _checklist_rows(aids, form)
    context = _wrapup_context(
        request,
        access,
        state="scorecard",
        form=form,
        sections=sections,
        documents=documents,
        candidate_in=candidate_in,
        checklist=checklist,
        errors=wrapup_aids.error_summary(form, sections, checklist),
        progress=wrapup_aids.progress(sections, evidence_needed=True),
        live=wrapup_aids.live_scores(sections, live, live_marks, aids.checklist),
        **selectors.interviewer_aside(interview),
    )
    return render(request, "feedback/wrapup.html", context, status=status)


@require_POST
def wrapup_draft(request: AuthenticatedRequest, interview_id) -> JsonResponse:
    """Autosave: the wrap-up form as it stands, posted by the page's script (static/js/
    wrapup.js) after each choice and pause in typing. Answers {"saved": true, "revision"}, or
    {"saved": false, "message", "errors"} with 400 (a value the form refuses) or 409 (submitted
    already, or the wrap-up is over). Participants only; each saves their own side."""
    access = access_or_404(request, interview_id)
    interview = access.interview
    criteria = selectors.rubric_criteria(interview)
    candidate = access.role == Role.CANDIDATE
    aids = _aids(interview, signals=not candidate)
    concepts = [i["key"] for i in aids.checklist]
    if candidate:
        form: WrapupForm = SelfAssessmentForm(request.POST, criteria=criteria, concepts=concepts)
    else:
        flags = aids.flag_keys(criteria)
        form = ScorecardForm(request.POST, criteria=criteria, concepts=concepts, flags=flags)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse(
            {"saved": False, "message": "Some values could not be kept.", "errors": errors},
            status=400,
        )
    names = [name for name in form.fields if name in request.POST]
    unticked = tuple(n for n in form.fields if n.startswith("flag-") and n not in request.POST)
    try:
        draft = services.wrapup_draft_save(
            actor=_actor(request, access),
            fields={name: request.POST[name] for name in names},
            clear=unticked,
        )
    except ServiceError as exc:
        return JsonResponse({"saved": False, "message": exc.message, "errors": {}}, status=409)
    return JsonResponse({"saved": True, "revision": draft.revision})


@require_POST
def wrapup_reveal(request: AuthenticatedRequest, interview_id, step_key: str) -> HttpResponse:
    """Solo drill, at the wrap-up: show a step's reference notes (once the candidate wrote
    their own for it)."""
    access = access_or_404(request, interview_id)
    interview = access.interview
    if refused := _guide_refusal(request, access):
        return refused
    try:
        html = room_services.reference_reveal(actor=_actor(request, access), step_key=step_key)
    except ServiceError as exc:
        if request.htmx:
            return render(request, "feedback/wrapup.html#reveal-error", {"message": exc.message})
        messages.error(request, exc.message)
        return redirect(reverse("wrapup", kwargs={"interview_id": interview.pk}))
    if request.htmx:
        return HttpResponse(html)
    return redirect(reverse("wrapup", kwargs={"interview_id": interview.pk}) + f"#step-{step_key}")


@require_GET
def report(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    """The feedback report. While it compiles, the page polls (htmx) and swaps it in."""
    access = reviewed_access_or_404(request, interview_id, "report")
    interview = access.interview
    if refused := _guide_refusal(request, access):
        return refused
    report = selectors.report_of(interview)
    context = {
        "interview": interview,
        "role": access.role,
        # The page speaks to the candidate; the interviewer (or a reviewer) reads about them.
        "about_candidate": access.role != Role.CANDIDATE,
        "report": report,
        "polling": report is not None
        and report.status in (Report.Status.PENDING, Report.Status.RUNNING),
        "slow": selectors.report_is_slow(report),
    }
    if report is not None and report.status == Report.Status.READY:
        context.update(report_render.report_context(report.data))
    template = "feedback/report.html#report-body" if request.htmx else "feedback/report.html"
    return render(request, template, context)


def _ready_report(request: AuthenticatedRequest, interview_id, what: str) -> Report:
    access = reviewed_access_or_404(request, interview_id, what)
    if _guide_refusal(request, access) is not None:
        raise PermissionDenied("Not while you are the candidate in a session on this case.")
    report = selectors.report_of(access.interview)
    if report is None or report.status != Report.Status.READY:
        raise Http404("The report is not ready yet.")
    return report


def _download_name(report: Report, extension: str) -> str:
    data = report.data
    day = (data["interview"].get("ended_at") or data["interview"].get("completed_at") or "")[:10]
    return f"sevensteps-{data['case']['slug']}-{day}.{extension}"


@require_GET
def report_pdf(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    report = _ready_report(request, interview_id, "report PDF")
    assert report.compiled_at is not None  # a ready report has been compiled
    # Rendering takes seconds; a compiled report does not change, so keep the file a while.
    key = f"report-pdf:{reports.REPORT_VERSION}:{report.pk}:{report.compiled_at.timestamp()}"
    pdf = cache.get(key)
    if pdf is None:
        from .pdf import report_pdf  # WeasyPrint: loaded only for a download

        board = BoardImage.objects.filter(interview_id=report.interview_id).first()
        pdf = report_pdf(report.data, board_png=bytes(board.png) if board else None)
        cache.set(key, pdf, timeout=24 * 3600)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(report, "pdf")}"'
    return response


@require_GET
def report_board(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    """The board's final picture, to whoever may read the report (a PNG re-encoded on upload)."""
    report = _ready_report(request, interview_id, "report board")
    image = BoardImage.objects.filter(interview_id=report.interview_id).first()
    if image is None:
        raise Http404("No board was drawn.")
    response = HttpResponse(bytes(image.png), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = 'inline; filename="board.png"'
    return response


@require_GET
def report_md(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    report = _ready_report(request, interview_id, "report Markdown")
    response = HttpResponse(report.markdown, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(report, "md")}"'
    return response


@require_POST
def report_retry(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    access = reviewed_access_or_404(request, interview_id, "report retry")
    report = selectors.report_of(access.interview)
    if report is None:
        raise Http404("There is no report to retry.")
    try:
        services.report_retry(report_id=report.pk, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("report", interview_id=access.interview.pk)


@require_POST
def report_nudge(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    """ "Taking longer than usual": a participant hands the report to the workers again."""
    access = access_or_404(request, interview_id)
    report = selectors.report_of(access.interview)
    if report is None:
        raise Http404("There is no report to ask for.")
    if services.report_nudge(report_id=report.pk, user=request.user):
        messages.info(request, "Asked again. The report appears here as soon as it is compiled.")
    url = reverse("report", kwargs={"interview_id": access.interview.pk})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
def progress(request: AuthenticatedRequest) -> HttpResponse:
    """The user's history and trends. A fixed number of queries however many sessions."""
    interviews = list(selectors.progress_interviews(user=request.user))
    framework_ids = {i.case_study.framework_id for i in interviews}
    steps: dict[str, FrameworkStep] = {}
    for step in FrameworkStep.objects.filter(framework_id__in=framework_ids).order_by("position"):
        steps.setdefault(step.key, step)
    data = progress_module.progress_data(interviews, steps=list(steps.values()))
    latest = data["latest"]
    data["practise_next"] = suggestions.cases_to_practise(
        step_keys=[t["key"] for t in data["weakest"][:2]],
        exclude_case_id=None,
        practised=data["practised"],
        overall=latest,
    )
    return render(request, "feedback/progress.html", {"progress": data})


@require_GET
def case_usage(request: AuthenticatedRequest) -> HttpResponse:
    """Curators: how each case is used, to spot cases that are too hard or too easy."""
    if not bank.is_curator(request.user):
        raise Http404("No such page.")
    steps, rows = usage.case_usage()
    return render(
        request,
        "feedback/usage.html",
        {
            "steps": steps,
            "usage": rows,
            "too_hard": usage.TOO_HARD,
            "too_easy": usage.TOO_EASY,
        },
    )


def _timeline_access(request: AuthenticatedRequest, interview_id: Any) -> tuple[room.Access, str]:
    """The participants and session reviewers (their reads logged); a reviewer sees what the
    interviewer sees."""
    access = reviewed_access_or_404(request, interview_id, "timeline")
    role = Role.INTERVIEWER if access.role == room.REVIEWER else access.role
    return access, role


@require_GET
def timeline_replay(request: AuthenticatedRequest, interview_id: Any) -> JsonResponse:
    """The documents' history for the timeline's scrubber (fetched by the page)."""
    access, role = _timeline_access(request, interview_id)
    if access.interview.status in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        raise Http404("The replay is ready once the interview has ended.")
    if _guide_refusal(request, access):
        raise Http404("The replay is not yours to see now.")
    return JsonResponse(timeline.replay(interview=access.interview, role=role))


@require_GET
def session_timeline(request: AuthenticatedRequest, interview_id) -> HttpResponse:
    """The replay of a session: every event the viewer's role may see, in order."""
    access, role = _timeline_access(request, interview_id)
    interview = access.interview
    if interview.status in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
        return redirect(interview)
    if refused := _guide_refusal(request, access):
        return refused
    return render(
        request,
        "feedback/timeline.html",
        {
            "interview": interview,
            "role": access.role,
            "rows": timeline.timeline(interview=interview, role=role),
        },
    )

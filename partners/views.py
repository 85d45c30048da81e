"""Pages for finding a partner: your request, a booking, what is coming up, your interviewing,
your settings, rating an interviewer, reporting misconduct, and moderation for staff.

Every page shows times in the viewer's own time zone (``timezone.override``), reaches a booking
only through ``selectors.booking_get_for_user`` (a 404 for anyone else), and names other
members by display name: no page carries another member's e-mail address.
"""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import profile_for
from accounts.types import AuthenticatedRequest
from casestudies.models import CaseStudy
from interviews.models import Interview, Role
from interviews.views import access_or_404

from . import bookings, conduct, matchmaking, notify, selectors, services, zones
from .forms import (
    CodeForm,
    CohortForm,
    InviteCodeForm,
    MisconductForm,
    RatingForm,
    RequestForm,
    SettingsForm,
    SuspendForm,
)
from .models import (
    Booking,
    Cohort,
    InterviewerRating,
    InviteCode,
    Member,
    MisconductReport,
    PracticeRequest,
    Seat,
)


def _render(request: AuthenticatedRequest, member: Member, template: str, context: dict, **kwargs):
    """Render with times in the member's zone."""
    with timezone.override(zones.zone(member.time_zone)):
        return render(request, template, {"member": member, **context}, **kwargs)


def _access_or_404(request: AuthenticatedRequest, booking_id: UUID) -> selectors.BookingAccess:
    try:
        return selectors.booking_get_for_user(user=request.user, booking_id=booking_id)
    except Booking.DoesNotExist:
        raise Http404("No such booking.") from None


def _paused(member: Member) -> bool:
    return member.paused_until is not None and member.paused_until > timezone.now()


# --- Your request ----------------------------------------------------------------------------


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    member = selectors.member_for(user=request.user)
    now = timezone.now()
    active = selectors.active_request_for(user=request.user)
    upcoming = selectors.bookings_for(user=request.user, statuses=Booking.UPCOMING, since=now)
    past = selectors.past_bookings_for(user=request.user, limit=5)
    reliability = selectors.reliability_of(user_ids=[request.user.pk])[request.user.pk]
    return _render(
        request,
        member,
        "partners/home.html",
        {
            "active": active,
            "upcoming": upcoming,
            "past": past,
            "reliability": reliability,
            "paused": _paused(member),
            "pause_rule": selectors.pause_rule(),
            "looking": selectors.open_request_counts(),
            "needs_code": settings.INVITE_CODE_REQUIRED and member.cohort_id is None,
            "confirm_hours": settings.MATCH_CONFIRM_HOURS,
            "now": now,
        },
    )


def _request_initial(member: Member, active: PracticeRequest | None, user) -> dict[str, Any]:
    if active is None:
        return {
            "target_level": profile_for(user=user).target_level,
            "time_zone": member.time_zone,
        }
    initial: dict[str, Any] = {
        "roles": active.roles,
        "target_level": active.target_level,
        "minutes": active.minutes,
        "time_zone": member.time_zone,
        "avoid_domains": active.avoid_domains,
        "avoid_cases": [str(c.pk) for c in active.avoid_cases.all()],
    }
    for n, slot in enumerate(active.slots.all()):
        local = zones.utc_to_local(slot.starts_at, member.time_zone)
        initial[f"day_{n}"] = local.date()
        initial[f"time_{n}"] = time(local.hour, local.minute)
    return initial


@require_http_methods(["GET", "POST"])
def request_edit(request: AuthenticatedRequest) -> HttpResponse:
    member = selectors.member_for(user=request.user)
    active = selectors.active_request_for(user=request.user)
    if active is not None and active.status == PracticeRequest.Status.MATCHED:
        messages.info(request, "You have a proposed match: confirm or decline it first.")
        return redirect("partners:home")
    cases = list(CaseStudy.objects.published().order_by("title").only("pk", "title"))
    form = RequestForm(
        request.POST or None,
        cases=cases,
        initial=_request_initial(member, active, request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["time_zone"] != member.time_zone:
                member = services.member_settings_update(
                    user=request.user, time_zone=data["time_zone"]
                )
            matchmaking.request_submit(
                user=request.user,
                roles=data["roles"],
                target_level=data["target_level"],
                minutes=data["minutes"],
                starts=data["starts"],
                avoid_domains=data["avoid_domains"],
                avoid_case_ids=[int(pk) for pk in data["avoid_cases"]],
            )
        except services.PartnerError as exc:
            form.add_error(None, exc.message)
        else:
            for note in form.notes:
                messages.info(request, note)
            messages.success(
                request,
                "Your request is in the pool. We propose a match as soon as someone fits; "
                "you will get an e-mail.",
            )
            return redirect("partners:home")
    return _render(
        request,
        member,
        "partners/request.html",
        {"form": form, "active": active, "zone_unset": member.pk is None},
    )


@require_POST
def request_withdraw(request: AuthenticatedRequest) -> HttpResponse:
    if matchmaking.request_withdraw(user=request.user):
        messages.info(request, "Your request is withdrawn.")
    return redirect("partners:home")


# --- A booking -----------------------------------------------------------------------------


def _step(
    *,
    position: int,
    interview: Interview | None,
    case: CaseStudy | None,
    my_role: str,
    starts_at: datetime,
    rated: set[UUID],
) -> dict[str, Any]:
    """One interview of the booking, as the viewer may see it: the case only if they are its
    interviewer (to prepare), the room, the wrap-up or report, and the rating to give."""
    status = interview.status if interview else ""
    return {
        "position": position,
        "interview": interview,
        "status": status,
        "status_label": interview.get_status_display() if interview else "",
        "role": my_role,
        "starts_at": starts_at,
        # The interviewer sees the case to prepare; the candidate once the interview has begun.
        "case": case if my_role == Role.INTERVIEWER or status not in ("", "scheduled") else None,
        "open": status in (Interview.Status.SCHEDULED, Interview.Status.LIVE),
        "finished": status in (Interview.Status.WRAPUP, Interview.Status.COMPLETED),
        "may_rate": my_role == Role.CANDIDATE
        and status == Interview.Status.COMPLETED
        and interview is not None
        and interview.pk not in rated,
        "rated": interview is not None and interview.pk in rated,
    }


def _booking_context(
    request: AuthenticatedRequest, access: selectors.BookingAccess
) -> dict[str, Any]:
    booking, me, partner = access.booking, access.seat, access.partner
    now = timezone.now()
    ids = [i for i in (booking.first_interview_id, booking.second_interview_id) if i]
    rated = set(
        InterviewerRating.objects.filter(interview_id__in=ids, rater=request.user).values_list(
            "interview_id", flat=True
        )
    )
    other = Role.INTERVIEWER if me.first_role == Role.CANDIDATE else Role.CANDIDATE
    half = booking.starts_at + timedelta(minutes=booking.minutes // 2)
    steps = [
        _step(
            position=1,
            interview=booking.first_interview,
            case=booking.first_case,
            my_role=me.first_role,
            starts_at=booking.starts_at,
            rated=rated,
        )
    ]
    if booking.is_swap:
        steps.append(
            _step(
                position=2,
                interview=booking.second_interview,
                case=booking.second_case,
                my_role=other,
                starts_at=half,
                rated=rated,
            )
        )
        # The second interview is the next thing to do once the first is over.
        steps[1]["next"] = steps[0]["finished"] or steps[0]["status"] == Interview.Status.ABANDONED
    partner_member = getattr(partner.user, "partner_member", None)
    partner_zone = partner_member.time_zone if partner_member else "UTC"
    reliability = selectors.reliability_of(user_ids=[partner.user_id])[partner.user_id]
    return {
        "access": access,
        "booking": booking,
        "me": me,
        "partner": partner,
        "partner_member": partner_member,
        "partner_zone": partner_zone,
        "partner_time": notify.time_text(booking.starts_at, partner_zone),
        "partner_reliability": reliability,
        "steps": steps,
        "late": bookings.is_late(booking, now),
        "late_hours": settings.LATE_CANCEL_HOURS,
        "no_show_minutes": settings.NO_SHOW_MINUTES,
        "ends_at": booking.starts_at + timedelta(minutes=booking.minutes),
        "started": now >= booking.starts_at,
        "rematch": selectors.rematch_of(booking)
        if booking.status == Booking.Status.NO_SHOW
        else None,
        "rematch_possible": booking.status == Booking.Status.NO_SHOW
        and me.outcome == Seat.Outcome.ATTENDED
        and bookings.rematch_window(booking, now) is not None,
        "blocked": selectors.is_blocked(user=request.user, other_id=partner.user_id),
        # A session that did not happen needs no plan of its interviews.
        "show_plan": booking.status in (*Booking.UPCOMING, Booking.Status.HELD)
        or any(step["finished"] for step in steps),
        "slot_over": now >= booking.starts_at + timedelta(minutes=booking.minutes),
        "now": now,
    }


@require_GET
def booking(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    access = _access_or_404(request, booking_id)
    member = selectors.member_for(user=request.user)
    template = "partners/booking.html"
    if request.htmx and request.htmx.target == "booking-status":
        if access.booking.status != Booking.Status.PROPOSED:
            # The partner answered: the whole page changes (the rooms appear), not just this.
            return HttpResponse(headers={"HX-Refresh": "true"})
        template += "#status"
    return _render(request, member, template, _booking_context(request, access))


def _booking_action(
    request: AuthenticatedRequest, booking_id: UUID, action, success: str
) -> HttpResponse:
    _access_or_404(request, booking_id)
    try:
        result = action(user=request.user, booking_id=booking_id)
    except services.PartnerError as exc:
        messages.error(request, exc.message)
    else:
        if success:
            messages.success(request, success)
        if isinstance(result, Booking) and result.pk != booking_id:
            return redirect(result)
    return redirect("partners:booking", booking_id=booking_id)


@require_POST
def booking_confirm(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    return _booking_action(request, booking_id, bookings.booking_confirm, "Confirmed.")


@require_POST
def booking_decline(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    _access_or_404(request, booking_id)
    try:
        bookings.booking_decline(user=request.user, booking_id=booking_id)
    except services.PartnerError as exc:
        messages.error(request, exc.message)
        return redirect("partners:booking", booking_id=booking_id)
    messages.info(request, "Declined. Your request is back in the pool if it has times left.")
    return redirect("partners:home")


@require_POST
def booking_cancel(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    return _booking_action(
        request, booking_id, bookings.booking_cancel, "Cancelled. Your partner has been told."
    )


@require_POST
def booking_rematch(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    _access_or_404(request, booking_id)
    try:
        found = bookings.rematch_find(user=request.user, booking_id=booking_id)
    except services.PartnerError as exc:
        messages.error(request, exc.message)
        return redirect("partners:booking", booking_id=booking_id)
    if found is None:
        messages.info(
            request,
            "Nobody is free for the rest of this slot right now. Try again in a few minutes, or "
            "release the slot.",
        )
        return redirect("partners:booking", booking_id=booking_id)
    messages.success(request, "We found someone free now. They have a few minutes to confirm.")
    return redirect(found)


@require_POST
def booking_release(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    _access_or_404(request, booking_id)
    try:
        back = bookings.booking_release(user=request.user, booking_id=booking_id)
    except services.PartnerError as exc:
        messages.error(request, exc.message)
        return redirect("partners:booking", booking_id=booking_id)
    messages.info(
        request,
        "Slot released. Your request is back in the pool."
        if back
        else "Slot released. Make a new request when you want another partner.",
    )
    return redirect("partners:home")


@require_POST
def block(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    access = _access_or_404(request, booking_id)
    try:
        conduct.block_add(user=request.user, blocked_id=access.partner.user_id)
    except services.PartnerError as exc:
        messages.error(request, exc.message)
        return redirect("partners:booking", booking_id=booking_id)
    messages.info(request, "Blocked. You will not be matched with them again.")
    return redirect("partners:booking", booking_id=booking_id)


@require_POST
def unblock(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    if conduct.block_remove(user=request.user, blocked_id=user_id):
        messages.info(request, "Unblocked.")
    return redirect("partners:settings")


@require_http_methods(["GET", "POST"])
def report(request: AuthenticatedRequest, booking_id: UUID) -> HttpResponse:
    access = _access_or_404(request, booking_id)
    member = selectors.member_for(user=request.user)
    form = MisconductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conduct.misconduct_report(
                user=request.user, booking_id=booking_id, text=form.cleaned_data["text"]
            )
        except services.PartnerError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Thank you. A moderator will read your report.")
            return redirect("partners:booking", booking_id=booking_id)
    return _render(
        request,
        member,
        "partners/report.html",
        {"form": form, "booking": access.booking, "partner": access.partner},
    )


# --- Rating an interviewer -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def rate(request: AuthenticatedRequest, interview_id: UUID) -> HttpResponse:
    access = access_or_404(request, interview_id)
    interview = access.interview
    if interview.is_solo or access.role != Role.CANDIDATE:
        raise Http404("Only the candidate rates the interviewer.")
    member = selectors.member_for(user=request.user)
    interviewer = (
        interview.participants.filter(role=Role.INTERVIEWER).select_related("user__profile").first()
    )
    existing = InterviewerRating.objects.filter(interview=interview).first()
    form = RatingForm(request.POST or None)
    if request.method == "POST" and existing is None and form.is_valid():
        try:
            conduct.rating_submit(user=request.user, interview_id=interview.pk, **form.cleaned_data)
        except services.PartnerError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Thank you: your interviewer sees your rating on their page.")
            booking = Booking.objects.filter(first_interview=interview).first() or (
                Booking.objects.filter(second_interview=interview).first()
            )
            return redirect(booking or "partners:coming_up")
    return _render(
        request,
        member,
        "partners/rate.html",
        {
            "form": form,
            "interview": interview,
            "interviewer": interviewer.user if interviewer else None,
            "existing": existing,
            "ready": interview.status == Interview.Status.COMPLETED,
        },
    )


# --- What is coming up ---------------------------------------------------------------------------


@require_GET
def coming_up(request: AuthenticatedRequest) -> HttpResponse:
    member = selectors.member_for(user=request.user)
    now = timezone.now()
    upcoming = selectors.bookings_for(user=request.user, statuses=Booking.UPCOMING, since=now)
    notifications = selectors.notifications_for(user=request.user)
    notices = [(n, notify.describe(n, member.time_zone)) for n in notifications]
    unread = sum(1 for n in notifications if n.read_at is None)
    context = {
        "upcoming": upcoming,
        "to_confirm": [
            a
            for a in upcoming
            if a.booking.status == Booking.Status.PROPOSED and a.seat.confirmed_at is None
        ],
        "ratings_due": selectors.ratings_due(user=request.user),
        "notices": notices,
        "unread": unread,
        "now": now,
    }
    template = "partners/coming_up.html"
    if request.htmx and request.htmx.target == "notices":
        template += "#notices"
    return _render(request, member, template, context)


@require_POST
def notifications_read(request: AuthenticatedRequest) -> HttpResponse:
    services.notifications_read(user=request.user)
    if request.htmx:
        return _notices_partial(request)
    return redirect("partners:coming_up")


def _notices_partial(request: AuthenticatedRequest) -> HttpResponse:
    member = selectors.member_for(user=request.user)
    notifications = selectors.notifications_for(user=request.user)
    return _render(
        request,
        member,
        "partners/coming_up.html#notices",
        {
            "notices": [(n, notify.describe(n, member.time_zone)) for n in notifications],
            "unread": 0,
        },
    )


# --- Your interviewing, your settings ----------------------------------------------------------


@require_GET
def me(request: AuthenticatedRequest) -> HttpResponse:
    """The member's own page: how their interviewing is rated, how their scores compare with
    other interviewers' of the same candidates, and their reliability. Only ever their own."""
    member = selectors.member_for(user=request.user)
    return _render(
        request,
        member,
        "partners/me.html",
        {
            "stats": selectors.interviewing_of(user=request.user),
            "minimum": selectors.CALIBRATION_MIN_CANDIDATES,
            "reliability": selectors.reliability_of(user_ids=[request.user.pk])[request.user.pk],
            "past": selectors.past_bookings_for(user=request.user, limit=10),
            "pause_rule": selectors.pause_rule(),
            "paused": _paused(member),
        },
    )


@require_http_methods(["GET", "POST"])
def member_settings(request: AuthenticatedRequest) -> HttpResponse:
    member = selectors.member_for(user=request.user)
    form = SettingsForm(
        request.POST or None,
        initial={
            "time_zone": member.time_zone,
            "match_across_cohorts": member.match_across_cohorts,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.member_settings_update(user=request.user, **form.cleaned_data)
        except services.PartnerError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Settings saved.")
            return redirect("partners:settings")
    return _render(
        request,
        member,
        "partners/settings.html",
        {
            "form": form,
            "code_form": CodeForm(),
            "blocks": selectors.blocked_by(user=request.user),
            "zone_unset": member.pk is None,
        },
    )


@require_POST
def cohort_join(request: AuthenticatedRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            cohort = services.invite_code_redeem(user=request.user, code=form.cleaned_data["code"])
        except services.PartnerError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"You are in the cohort {cohort.name}.")
    return redirect("partners:settings")


# --- Moderation (staff) -----------------------------------------------------------------------


def _moderator(request: AuthenticatedRequest) -> None:
    if not request.user.has_perm("partners.moderate_members"):
        raise PermissionDenied


@require_GET
def moderation(request: AuthenticatedRequest) -> HttpResponse:
    _moderator(request)
    member = selectors.member_for(user=request.user)
    cohorts = list(
        Cohort.objects.prefetch_related(
            Prefetch("codes", queryset=InviteCode.objects.order_by("-created_at"))
        ).order_by("name")
    )
    suspended = list(
        Member.objects.filter(suspended_at__isnull=False)
        .select_related("user__profile", "suspended_by__profile")
        .order_by("-suspended_at")
    )
    return _render(
        request,
        member,
        "partners/moderation.html",
        {
            "cohorts": cohorts,
            "cohort_form": CohortForm(),
            "code_form": InviteCodeForm(),
            "reports": selectors.misconduct_reports(),
            "suspended": suspended,
            "suspend_form": SuspendForm(),
            "open_reports": MisconductReport.Status.OPEN,
        },
    )


@require_POST
def cohort_create(request: AuthenticatedRequest) -> HttpResponse:
    _moderator(request)
    form = CohortForm(request.POST)
    if form.is_valid():
        try:
            services.cohort_create(staff=request.user, **form.cleaned_data)
            messages.success(request, "Cohort created. Make an invite code for it below.")
        except services.PartnerError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "A cohort needs a name.")
    return redirect("partners:moderation")


@require_POST
def code_create(request: AuthenticatedRequest) -> HttpResponse:
    _moderator(request)
    form = InviteCodeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        expires = None
        if data["expires_on"]:
            expires = datetime.combine(data["expires_on"], time(23, 59), tzinfo=UTC)
        try:
            code = services.invite_code_create(
                staff=request.user,
                cohort=data["cohort"],
                max_uses=data["max_uses"],
                expires_at=expires,
                code=data["code"],
            )
            messages.success(request, f"Invite code {code.code} created.")
        except services.PartnerError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Check the invite code's fields.")
    return redirect("partners:moderation")


@require_POST
def code_deactivate(request: AuthenticatedRequest, code_id: int) -> HttpResponse:
    _moderator(request)
    services.invite_code_deactivate(staff=request.user, code_id=code_id)
    messages.info(request, "That code no longer works.")
    return redirect("partners:moderation")


@require_POST
def report_review(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    _moderator(request)
    conduct.report_review(
        staff=request.user, report_id=report_id, note=request.POST.get("note", "")[:2000]
    )
    messages.info(request, "Marked as reviewed.")
    return redirect("partners:moderation")


@require_POST
def suspend(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    _moderator(request)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for the suspension.")
        return redirect("partners:moderation")
    try:
        conduct.member_suspend(
            staff=request.user, user_id=user_id, reason=form.cleaned_data["reason"]
        )
    except (services.PartnerError, services.User.DoesNotExist) as exc:
        messages.error(request, getattr(exc, "message", "No such member."))
    else:
        messages.success(request, "Suspended: they can no longer log in.")
    return redirect("partners:moderation")


@require_POST
def unsuspend(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    _moderator(request)
    try:
        conduct.member_unsuspend(staff=request.user, user_id=user_id)
    except services.User.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Suspension lifted.")
    return redirect("partners:moderation")

"""Curation of the question bank in the Django admin.

Every status change goes through ``services.case_study_set_status`` (the list actions and the
status field of the change form alike), so a case in review or published is always complete;
any other edit of a case bumps its version through ``services.case_study_mark_edited``.
"""

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

from . import services
from .forms import (
    CaseStepAdminForm,
    CaseStepInlineFormSet,
    CaseStudyAdminForm,
    FrameworkStepAdminForm,
    GlossaryTermForm,
    GlossaryTermFormSet,
)
from .models import (
    CaseStep,
    CaseStudy,
    Framework,
    FrameworkStep,
    Glossary,
    GlossaryTerm,
    GuideView,
)

# --- Frameworks ------------------------------------------------------------------------------


class _FrameworkTotals(TypedDict):  # FrameworkAdmin.get_queryset's annotations
    step_total: int
    minutes_total: int | None


class _StepCounts(TypedDict):  # CaseStudyAdmin.get_queryset's annotations
    step_count: int
    framework_step_count: int


class _TermTotal(TypedDict):  # GlossaryAdmin.get_queryset's annotation
    term_total: int


class FrameworkStepInline(admin.StackedInline):
    model = FrameworkStep
    form = FrameworkStepAdminForm
    extra = 0
    ordering = ("position",)
    fields = (("position", "key", "minutes"), "title", "purpose", "covers", "draws_from")
    # What a step of a framework based on another draws is checked as a whole by the loader
    # (every step and criterion of the base placed once): it is edited in the file.
    readonly_fields = ("draws_from",)


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "based_on", "step_total", "minutes_total", "version")
    search_fields = ("title", "slug")
    fields = ("title", "slug", "based_on", "description", "version")
    readonly_fields = ("version", "based_on")
    inlines = (FrameworkStepInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(step_total=Count("steps"), minutes_total=Sum("steps__minutes"))
        )

    @admin.display(description="steps", ordering="step_total")
    def step_total(self, obj: "WithAnnotations[Framework, _FrameworkTotals]") -> int:
        return obj.step_total

    @admin.display(description="minutes", ordering="minutes_total")
    def minutes_total(self, obj: "WithAnnotations[Framework, _FrameworkTotals]") -> int:
        return obj.minutes_total or 0

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            services.framework_mark_edited(framework=form.instance)


# --- Case studies ------------------------------------------------------------------------------


def _framework_for_form(request: HttpRequest, obj: CaseStudy | None) -> Framework | None:
    """The framework whose steps a case's guides may use: the case's own, or on the add page
    the one chosen in the submitted form, else the default."""
    if obj is not None and obj.framework_id:
        return obj.framework
    chosen = request.POST.get("framework") if request.method == "POST" else None
    frameworks = Framework.objects.all()
    if chosen and chosen.isdigit():
        framework = frameworks.filter(pk=chosen).first()
        if framework:
            return framework
    return frameworks.filter(slug="default").first() or frameworks.first()


class CaseStepInline(admin.StackedInline):
    """One stacked form per step of the framework, in the framework's order; missing steps
    come as blank forms already set to their step."""

    model = CaseStep
    form = CaseStepAdminForm
    formset = CaseStepInlineFormSet
    verbose_name = "step guide"
    verbose_name_plural = "Interviewer guide, one per step (private to the interviewer)"
    fieldsets = (
        (None, {"fields": ("framework_step", "probe", "follow_ups", "hints", "curveballs")}),
        (
            "Signals, tagged with the criterion they evidence",
            {"fields": ("strong_signals", "red_flags")},
        ),
        (
            "What each target level is expected to show in this step",
            {"fields": ("expect_mid", "expect_senior", "expect_staff")},
        ),
        ("After the session", {"fields": ("reference_notes", "further_reading")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("framework_step")
            .order_by("framework_step__position")
        )

    def _steps(self, request: HttpRequest, obj: CaseStudy | None) -> tuple[list, list]:
        """(every step of the framework, the steps this case has no guide for yet)."""
        cache = getattr(request, "_casestudy_steps", None)
        if cache is None:
            framework = _framework_for_form(request, obj)
            steps = list(framework.steps.order_by("position")) if framework else []
            used = (
                set(obj.steps.values_list("framework_step_id", flat=True))
                if obj is not None and obj.pk
                else set()
            )
            cache = (steps, [step for step in steps if step.pk not in used])
            vars(request)["_casestudy_steps"] = cache  # one query per request
        return cache

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        self._steps(request, obj)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "framework_step":
            steps, _ = getattr(request, "_casestudy_steps", ([], []))
            kwargs["queryset"] = FrameworkStep.objects.filter(pk__in=[s.pk for s in steps])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_extra(self, request: HttpRequest, obj=None, **kwargs) -> int:
        return len(self._steps(request, obj)[1])

    def get_max_num(self, request: HttpRequest, obj=None, **kwargs) -> int:
        return len(self._steps(request, obj)[0])


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
    form = CaseStudyAdminForm
    inlines = (CaseStepInline,)
    change_form_template = "casestudies/admin/casestudy_change_form.html"
    list_display = (
        "title",
        "status",
        "domain",
        "difficulty",
        "version",
        "steps_filled",
        "updated",
        "preview_links",
    )
    list_filter = ("status", "domain", "difficulty", "framework")
    search_fields = ("title", "slug", "summary", "prompt", "tags")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = (
        "diagram_preview",
        "version",
        "published_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "framework",
                    "status",
                    ("domain", "difficulty"),
                    "tags",
                    "summary",
                    ("author", "reviewer"),
                )
            },
        ),
        ("Candidate prompt", {"fields": ("prompt",)}),
        ("Reference architecture", {"fields": ("diagram", "diagram_preview")}),
        (
            "Concept checklist and weights (interviewer only)",
            {"fields": ("checklist", "weights")},
        ),
        (
            "History",
            {
                "fields": ("version", "published_at", "created_at", "updated_at"),
                "classes": ("collapse",),
            },
        ),
    )
    actions = ("send_for_review", "publish", "retire", "move_to_draft")

    # Mermaid and static/js/diagram.js come with the change form's template (with the page's
    # CSP nonce, which the diagrams need for their styles), not as form media.

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        framework = _framework_for_form(request, None)
        if framework is not None:
            initial.setdefault("framework", framework.pk)
        return initial

    def get_formset_kwargs(self, request: HttpRequest, obj, inline, prefix: str) -> dict:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, CaseStepInline):
            _, missing = inline._steps(request, obj)
            kwargs["initial"] = [{"framework_step": step.pk} for step in missing]
        return kwargs

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                step_count=Count("steps", distinct=True),
                framework_step_count=Count("framework__steps", distinct=True),
            )
        )

    @admin.display(description="steps")
    def steps_filled(self, obj: "WithAnnotations[CaseStudy, _StepCounts]") -> str:
        return f"{obj.step_count}/{obj.framework_step_count}"

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, obj: CaseStudy) -> str:
        return date_format(timezone.localtime(obj.updated_at), "j M Y")

    @admin.display(description="preview")
    def preview_links(self, obj: CaseStudy) -> str:
        return format_html(
            '<a href="{}">candidate</a> · <a href="{}">interviewer</a>',
            reverse("casestudies:preview_candidate", args=[obj.slug]),
            reverse("case_preview_interviewer", args=[obj.slug]),
        )

    @admin.display(description="diagram preview")
    def diagram_preview(self, obj: CaseStudy) -> str:
        return render_to_string(
            "casestudies/_diagram.html",
            {
                "source": obj.diagram if obj else "",
                "label": "Reference architecture",
                "empty": "No diagram yet: write Mermaid text above and it is drawn here.",
                "input": "id_diagram",
            },
        )

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and response.status_code == 200 and original is not None:
            # The change form shows the whole guide: curators keep it, and it is recorded like
            # any other page that shows a guide (a curator may also practise as a candidate).
            services.guide_view_record(
                user=cast(User, request.user),  # the admin site lets staff in only
                case=original,
                where=GuideView.Where.ADMIN,
            )
        return response

    # --- Saving: status changes through the service, other edits bump the version ---------

    def save_model(self, request: HttpRequest, obj: CaseStudy, form, change: bool) -> None:
        previous = form.initial.get("status") if change else CaseStudy.Status.DRAFT
        if obj.status != previous:
            # Saved with the old status first; the service moves it once the guides are in.
            form.requested_status = obj.status
            obj.status = previous
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        case = form.instance
        requested = getattr(form, "requested_status", None)
        if requested:
            # The formset checked completeness already; a refusal here would roll back the
            # whole save (the admin runs it in one transaction), never half-publish.
            services.case_study_set_status(case=case, status=requested)
        elif change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            services.case_study_mark_edited(case=case)

    # --- Actions: one service call per case, one message per case ---------------------------

    def _move(self, request: HttpRequest, queryset: QuerySet, status: str, done: str) -> None:
        label = CaseStudy.Status(status).label.lower()
        for case in queryset.order_by("title"):
            if case.status == status:
                messages.info(request, f"“{case}” is already {label}.")
                continue
            try:
                case = services.case_study_set_status(case=case, status=status)
            except services.PublishRefused as refused:
                messages.error(
                    request,
                    f"“{case}” was not {done}: it is incomplete. Missing: "
                    + "; ".join(refused.missing)
                    + ".",
                )
            else:
                messages.success(request, f"“{case}” {done} (version {case.version}).")

    @admin.action(description="Send for review", permissions=["change"])
    def send_for_review(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, CaseStudy.Status.REVIEW, "sent for review")

    @admin.action(description="Publish", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, CaseStudy.Status.PUBLISHED, "published")

    @admin.action(description="Retire", permissions=["change"])
    def retire(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, CaseStudy.Status.RETIRED, "retired")

    @admin.action(description="Move back to draft", permissions=["change"])
    def move_to_draft(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, CaseStudy.Status.DRAFT, "moved back to draft")


# --- The glossary -------------------------------------------------------------------------------


class GlossaryTermInline(admin.TabularInline):
    model = GlossaryTerm
    form = GlossaryTermForm
    formset = GlossaryTermFormSet
    fields = ("key", "term", "aliases", "definition")
    extra = 1


@admin.register(Glossary)
class GlossaryAdmin(admin.ModelAdmin):
    """The terms the guides link to their definitions; checked as a whole with the rules of
    the glossary file (unique keys, no name used twice, one or two sentences)."""

    list_display = ("slug", "term_count", "version")
    fields = ("slug", "version")
    readonly_fields = ("version",)
    inlines = (GlossaryTermInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(term_total=Count("terms"))

    @admin.display(description="terms", ordering="term_total")
    def term_count(self, obj: "WithAnnotations[Glossary, _TermTotal]") -> int:
        return obj.term_total

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            services.glossary_mark_edited(glossary=form.instance)


@admin.register(GuideView)
class GuideViewAdmin(admin.ModelAdmin):
    """Who was shown which case's guide, where and when: for superusers, read only."""

    list_display = ("at", "user", "case_study", "case_version", "where")
    list_filter = ("where", "case_study")
    search_fields = ("user__email", "case_study__slug")
    date_hierarchy = "at"
    list_select_related = ("user", "case_study")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

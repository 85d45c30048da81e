"""Curation of rubrics in the Django admin: a rubric with its criteria, a criterion with its
four behavioural anchors."""

import itertools

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from casestudies.forms import MarkdownField, OneLineField
from casestudies.models import FrameworkStep

from . import services
from .models import Criterion, CriterionLevel, Rubric

THRESHOLD_FIELDS = ("no_hire_min", "lean_hire_min", "hire_min", "strong_hire_min")
BAR_FIELDS = ("mid_bar", "senior_bar", "staff_bar")


class RubricAdminForm(forms.ModelForm):
    class Meta:
        model = Rubric
        fields = (
            "title",
            "slug",
            "framework",
            "description",
            *THRESHOLD_FIELDS,
            *BAR_FIELDS,
        )
        field_classes = {"description": MarkdownField}
        widgets = {"description": forms.Textarea(attrs={"rows": 10, "cols": 100})}

    def clean(self):
        cleaned = super().clean()
        # Scoring refuses thresholds or bars out of order (rubrics.scoring.Policy); say so here
        # rather than when the first report is compiled.
        for names, what in ((THRESHOLD_FIELDS, "hire thresholds"), (BAR_FIELDS, "level bars")):
            values = [cleaned.get(name) for name in names]
            if None in values:
                continue
            pairs = itertools.pairwise(zip(names, values, strict=True))
            for (low_name, low), (high_name, high) in pairs:
                if low >= high:
                    self.add_error(
                        high_name,
                        f"The {what} must increase: this must be above "
                        f"{self.fields[low_name].label.lower()} ({low}).",
                    )
        return cleaned


def _steps_of(request: HttpRequest) -> QuerySet:
    framework_id = getattr(request, "_rubric_framework_id", None)
    steps = FrameworkStep.objects.select_related("framework")
    return steps.filter(framework_id=framework_id) if framework_id else steps


class CriterionInlineForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ("position", "key", "framework_step", "title", "weight")
        widgets = {
            "position": forms.NumberInput(attrs={"style": "width: 4em"}),
            "key": forms.TextInput(attrs={"size": 18}),
            "framework_step": forms.Select(attrs={"style": "max-width: 13em"}),
            "title": forms.TextInput(attrs={"size": 28}),
            "weight": forms.NumberInput(attrs={"style": "width: 4em"}),
        }


class CriterionInline(admin.TabularInline):
    model = Criterion
    form = CriterionInlineForm
    fields = ("position", "key", "framework_step", "title", "weight")
    ordering = ("position",)
    extra = 0
    show_change_link = True  # the four anchors are edited on the criterion's own page

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        request._rubric_framework_id = obj.framework_id if obj is not None else None
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "framework_step":
            kwargs["queryset"] = _steps_of(request)
            kwargs["empty_label"] = "(across all steps)"
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    form = RubricAdminForm
    inlines = (CriterionInline,)
    list_display = ("title", "slug", "framework", "criteria_count", "thresholds", "bars", "version")
    list_filter = ("framework",)
    search_fields = ("title", "slug", "description")
    readonly_fields = ("version",)
    fieldsets = (
        (None, {"fields": ("title", "slug", "framework", "description", "version")}),
        (
            "Hire thresholds",
            {
                "description": "The lowest overall score (1.00–4.00) for each signal; below "
                "“no hire” is “strong no hire”. A score exactly on a threshold gets the higher "
                "signal.",
                "fields": (THRESHOLD_FIELDS,),
            },
        ),
        (
            "Level expectations",
            {
                "description": "The overall score expected at each target level.",
                "fields": (BAR_FIELDS,),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("framework")
            .annotate(criteria_total=Count("criteria"))
        )

    @admin.display(description="criteria", ordering="criteria_total")
    def criteria_count(self, obj: Rubric) -> int:
        return obj.criteria_total

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            services.rubric_mark_edited(rubric=form.instance)

    @admin.display(description="thresholds (no hire / lean / hire / strong)")
    def thresholds(self, obj: Rubric) -> str:
        return " / ".join(str(getattr(obj, name)) for name in THRESHOLD_FIELDS)

    @admin.display(description="bars (mid / senior / staff)")
    def bars(self, obj: Rubric) -> str:
        return " / ".join(str(getattr(obj, name)) for name in BAR_FIELDS)


class CriterionLevelFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        levels = sorted(
            form.cleaned_data["level"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        )
        if levels != [1, 2, 3, 4]:
            raise ValidationError(
                "A criterion has exactly four anchors, one for each level 1, 2, 3 and 4."
            )


class CriterionLevelForm(forms.ModelForm):
    class Meta:
        model = CriterionLevel
        fields = ("level", "anchor")
        # Anchors are one line in the content files; a line break would not survive export.
        field_classes = {"anchor": OneLineField}
        widgets = {
            "level": forms.NumberInput(attrs={"style": "width: 4em"}),
            "anchor": forms.Textarea(attrs={"rows": 3, "cols": 110}),
        }


class CriterionLevelInline(admin.TabularInline):
    model = CriterionLevel
    form = CriterionLevelForm
    formset = CriterionLevelFormSet
    fields = ("level", "anchor")
    ordering = ("level",)
    min_num = 4
    max_num = 4
    extra = 0
    can_delete = False
    verbose_name = "anchor"
    verbose_name_plural = "Anchors: what a candidate at each level did or said"


class CriterionAdminForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ("rubric", "position", "key", "framework_step", "title", "description", "weight")

        field_classes = {"description": MarkdownField}
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "cols": 100})}


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    form = CriterionAdminForm
    inlines = (CriterionLevelInline,)
    list_display = ("title", "key", "rubric", "step", "weight", "position")
    list_filter = ("rubric", ("framework_step", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("rubric", "framework_step")
    search_fields = ("title", "key", "description")
    ordering = ("rubric", "position")
    fields = ("rubric", "position", "key", "framework_step", "title", "description", "weight")

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if form.has_changed() or any(fs.has_changed() for fs in formsets):
            services.rubric_mark_edited(rubric=form.instance.rubric)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        request._rubric_framework_id = obj.rubric.framework_id if obj is not None else None
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "framework_step":
            kwargs["queryset"] = _steps_of(request)
            kwargs["empty_label"] = "(across all steps)"
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset_kwargs(self, request: HttpRequest, obj, inline, prefix: str) -> dict:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj is None or obj.pk is None:
            kwargs["initial"] = [{"level": level} for level in (1, 2, 3, 4)]
        return kwargs

    @admin.display(description="step", ordering="framework_step__position")
    def step(self, obj: Criterion) -> str:
        return obj.framework_step.title if obj.framework_step_id else "(across all steps)"

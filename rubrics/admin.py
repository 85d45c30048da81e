"""Curation of rubrics in the Django admin: a rubric with its criteria, a criterion with its
four behavioural anchors."""

import itertools
from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

from casestudies.content import TARGET_LEVELS
from casestudies.forms import MarkdownField, OneLineField, TagsField
from casestudies.models import FrameworkStep

from . import services
from .models import Criterion, CriterionLevel, Rubric

BAR_FIELDS = ("mid_bar", "senior_bar", "staff_bar")
BAND_FIELDS = (
    "strong_hire_band",
    "hire_band",
    "lean_hire_band",
    "lean_no_hire_band",
    "no_hire_band",
)
HINT_CAP_FIELDS = ("first_hint_cap", "second_hint_cap", "answer_hint_cap")


class _CriteriaTotal(TypedDict):  # RubricAdmin.get_queryset's annotation
    criteria_total: int


class RubricAdminForm(forms.ModelForm):
    """A rubric's numbers, checked with the rules of the content files (rubrics/content.py) so
    that what the admin saves exports to a file the loader accepts."""

    required_steps = TagsField(
        help_text="Comma-separated step keys; each needs at least one counted criterion before a "
        "hire signal is given."
    )

    class Meta:
        model = Rubric
        fields = (
            "title",
            "slug",
            "framework",
            "description",
            *BAR_FIELDS,
            *BAND_FIELDS,
            "min_coverage",
            "required_steps",
            *HINT_CAP_FIELDS,
        )
        field_classes = {"description": MarkdownField}
        widgets = {"description": forms.Textarea(attrs={"rows": 10, "cols": 100})}
        labels = {
            "mid_bar": "Mid-level",
            "senior_bar": "Senior",
            "staff_bar": "Staff",
            "strong_hire_band": "Strong hire from",
            "hire_band": "Hire from",
            "lean_hire_band": "Lean hire from",
            "lean_no_hire_band": "Lean no hire from",
            "no_hire_band": "No hire from",
            "min_coverage": "Minimum coverage",
            "first_hint_cap": "After the first hint",
            "second_hint_cap": "After the second hint",
            "answer_hint_cap": "After the answer-level hint",
        }

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # a model form's clean returns its cleaned_data
        # Scoring refuses numbers out of order (rubrics.scoring.Policy); say so here, on the
        # field, rather than when the first report is compiled.
        self._check_order(cleaned, BAR_FIELDS, rising=True, what="The bars must rise")
        self._check_order(cleaned, BAND_FIELDS, rising=False, what="The bands must fall")
        lean = cleaned.get("lean_hire_band")
        if lean is not None and lean != 0:
            self.add_error("lean_hire_band", "Must be 0: a lean hire starts at the bar.")
        first, second = cleaned.get("first_hint_cap"), cleaned.get("second_hint_cap")
        if first is not None and second is not None and second > first:
            self.add_error("second_hint_cap", "A second hint cannot allow more than the first.")
        framework = cleaned.get("framework")
        steps = cleaned.get("required_steps") or []
        if framework is not None:
            keys = set(framework.steps.values_list("key", flat=True))
            unknown = [key for key in steps if key not in keys]
            if unknown:
                self.add_error(
                    "required_steps",
                    f"Not a step of {framework}: {', '.join(unknown)}.",
                )
        return cleaned

    def _check_order(self, cleaned, names, *, rising: bool, what: str) -> None:
        values = [cleaned.get(name) for name in names]
        if None in values:
            return
        pairs = itertools.pairwise(zip(names, values, strict=True))
        for (low_name, low), (high_name, high) in pairs:
            if (low >= high) if rising else (low <= high):
                self.add_error(
                    high_name,
                    f"{what}: this must be {'above' if rising else 'below'} "
                    f"{str(self.fields[low_name].label or low_name).lower()} ({low}).",
                )


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
        vars(request)["_rubric_framework_id"] = (
            obj.framework_id if obj is not None else None
        )  # read by _steps_of
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
    list_display = ("title", "slug", "framework", "criteria_count", "bars", "bands", "version")
    list_filter = ("framework",)
    search_fields = ("title", "slug", "description")
    readonly_fields = ("version",)
    fieldsets = (
        (None, {"fields": ("title", "slug", "framework", "description", "version")}),
        (
            "Level bars",
            {
                "description": "The overall score (1.00–4.00) expected at each target level.",
                "fields": (BAR_FIELDS,),
            },
        ),
        (
            "Signal bands",
            {
                "description": "Where each hire signal starts, as the distance of the overall "
                "score from the target level's bar (overall − bar). A distance exactly on a "
                "threshold gets the higher signal; below “no hire” is “strong no hire”. Lean hire "
                "starts at the bar, so meeting the bar and a hire-side signal always agree.",
                "fields": (BAND_FIELDS,),
            },
        ),
        (
            "Evidence",
            {
                "description": "Below this coverage (the share of the rubric's weight counted), "
                "or with nothing counted in a required step, there is no hire signal.",
                "fields": ("min_coverage", "required_steps"),
            },
        ),
        (
            "Hint caps",
            {
                "description": "The highest level a step's criteria count at once hints were "
                "sent on that step.",
                "fields": (HINT_CAP_FIELDS,),
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
    def criteria_count(self, obj: "WithAnnotations[Rubric, _CriteriaTotal]") -> int:
        return obj.criteria_total

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            services.rubric_mark_edited(rubric=form.instance)

    @admin.display(description="bars (mid / senior / staff)")
    def bars(self, obj: Rubric) -> str:
        return " / ".join(str(getattr(obj, name)) for name in BAR_FIELDS)

    @admin.display(description="bands (strong hire … no hire)")
    def bands(self, obj: Rubric) -> str:
        return " / ".join(str(getattr(obj, name)) for name in BAND_FIELDS)


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
    """A criterion with what each target level is expected to show (``expectations``), edited
    as three one-line fields."""

    expect_mid = OneLineField(
        label="Mid-level is expected to",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
        required=False,
    )
    expect_senior = OneLineField(
        label="Senior is expected to",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
        required=False,
    )
    expect_staff = OneLineField(
        label="Staff is expected to",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
        required=False,
    )

    class Meta:
        model = Criterion
        fields = ("rubric", "position", "key", "framework_step", "title", "description", "weight")

        field_classes = {"description": MarkdownField}
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "cols": 100})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        expectations = self.instance.expectations or {}
        for level in TARGET_LEVELS:
            self.fields[f"expect_{level}"].initial = expectations.get(level, "")

    def save(self, commit: bool = True):
        self.instance.expectations = {
            level: self.cleaned_data.get(f"expect_{level}", "") for level in TARGET_LEVELS
        }
        return super().save(commit=commit)


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    form = CriterionAdminForm
    inlines = (CriterionLevelInline,)
    list_display = ("title", "key", "rubric", "step", "weight", "position")
    list_filter = ("rubric", ("framework_step", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("rubric", "framework_step")
    search_fields = ("title", "key", "description")
    ordering = ("rubric", "position")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "rubric",
                    "position",
                    "key",
                    "framework_step",
                    "title",
                    "description",
                    "weight",
                )
            },
        ),
        (
            "Expectations per target level",
            {
                "description": "What a candidate at each target level is expected to show on "
                "this criterion (depth, breadth, how much comes unprompted).",
                "fields": ("expect_mid", "expect_senior", "expect_staff"),
            },
        ),
    )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if form.has_changed() or any(fs.has_changed() for fs in formsets):
            services.rubric_mark_edited(rubric=form.instance.rubric)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        vars(request)["_rubric_framework_id"] = (
            obj.rubric.framework_id if obj is not None else None
        )  # read by _steps_of
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
        return obj.framework_step.title if obj.framework_step else "(across all steps)"

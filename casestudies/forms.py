"""Forms of the question bank: the curation forms used by the admin.

Lists (hints, follow-ups, covers…) are stored as JSON lists and edited as one item per line.
Text is normalised the way the content loader does it, so that an admin edit exports to the
same canonical YAML a file load would give.
"""

from django import forms
from django.core.exceptions import ValidationError

from . import content
from .models import CaseStep, CaseStudy, FrameworkStep


class LinesField(forms.Field):
    """A list of one-line strings, edited as a textarea with one item per line.

    Blank lines are dropped and runs of whitespace inside an item collapse to one space (the
    content loader does the same), so the list round-trips through YAML unchanged.
    """

    widget = forms.Textarea

    def __init__(self, *, minimum: int = 0, rows: int = 4, **kwargs) -> None:
        self.minimum = minimum
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs["rows"] = rows
        self.widget.attrs.setdefault("class", "lines-field")

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):
            lines = [str(item) for item in value]
        else:
            lines = str(value).splitlines()
        return [" ".join(line.split()) for line in lines if line.strip()]

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(value) < self.minimum:
            raise ValidationError(
                "Needs at least %(minimum)d items (one per line), found %(found)d.",
                code="too_few",
                params={"minimum": self.minimum, "found": len(value)},
            )

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial) != self.to_python(data)


class TagsField(LinesField):
    """Tags, separated by commas; lowercase letters, digits and '-'."""

    widget = forms.TextInput

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.pop("rows", None)
        self.widget.attrs["class"] = "tags-field"

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        return [tag.strip() for tag in str(value).replace("\n", ",").split(",") if tag.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        bad = [tag for tag in value if not content.KEY_RE.match(tag)]
        if bad:
            raise ValidationError(
                "Tags are lowercase letters, digits and '-': %(bad)s.",
                code="bad_tag",
                params={"bad": ", ".join(bad)},
            )
        if len(set(value)) != len(value):
            raise ValidationError("A tag is listed twice.", code="duplicate_tag")


def _fit_rows(form: forms.ModelForm, names: tuple[str, ...], *, minimum: int = 3) -> None:
    """Size each list's textarea to its items, so every item shows without scrolling."""
    for name in names:
        items = form.initial.get(name) or []
        form.fields[name].widget.attrs["rows"] = max(minimum, len(items) + 1)


class MarkdownField(forms.CharField):
    """Multi-line text stored as the content loader stores it: no trailing spaces, no CRLF,
    one final newline when there are several lines. Comparing normalised text also keeps an
    untouched textarea from counting as an edit."""

    def to_python(self, value) -> str:
        return content.normalise_text(super().to_python(value) or "")

    def has_changed(self, initial, data) -> bool:
        return content.normalise_text(initial or "") != self.to_python(data)


class OneLineField(forms.CharField):
    """Text the content files keep on one line (a rubric anchor): line breaks become spaces."""

    def to_python(self, value) -> str:
        return " ".join((super().to_python(value) or "").split())


class FrameworkStepAdminForm(forms.ModelForm):
    covers = LinesField(help_text="What a candidate should cover in this step; one per line.")

    class Meta:
        model = FrameworkStep
        fields = ("position", "key", "title", "minutes", "purpose", "covers")
        field_classes = {"purpose": MarkdownField}
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _fit_rows(self, ("covers",))


class CaseStudyAdminForm(forms.ModelForm):
    tags = TagsField(help_text="Comma-separated: lowercase letters, digits and '-'.")

    class Meta:
        model = CaseStudy
        fields = (
            "title",
            "slug",
            "framework",
            "status",
            "domain",
            "difficulty",
            "tags",
            "summary",
            "author",
            "reviewer",
            "prompt",
            "diagram",
        )
        field_classes = {"prompt": MarkdownField, "diagram": MarkdownField}
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 10}),
            "diagram": forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        }


class CaseStepAdminForm(forms.ModelForm):
    follow_ups = LinesField(help_text="Questions to ask; one per line.")
    hints = LinesField(help_text="One per line, gentlest first.")
    curveballs = LinesField(
        rows=3, help_text="Mid-interview changes of requirements; one per line."
    )
    strong_signals = LinesField(help_text="What a strong candidate says or does; one per line.")
    red_flags = LinesField(rows=3, help_text="One per line.")
    further_reading = LinesField(
        rows=2, help_text="Titles of well-known papers, talks or topics; one per line."
    )

    class Meta:
        model = CaseStep
        fields = (
            "framework_step",
            "probe",
            "follow_ups",
            "hints",
            "curveballs",
            "strong_signals",
            "red_flags",
            "reference_notes",
            "further_reading",
        )
        field_classes = {"probe": MarkdownField, "reference_notes": MarkdownField}
        widgets = {
            "probe": forms.Textarea(attrs={"rows": 8}),
            "reference_notes": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _fit_rows(self, CaseStep.LIST_FIELDS)


class CaseStepInlineFormSet(forms.BaseInlineFormSet):
    """The step guides of one case study. A case in review or published must stay complete:
    the check runs on what was submitted (the case form and every step form) before anything
    is saved, with the same rules as the content files."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        case = self.instance
        if case.status not in content.COMPLETE_STATUSES or case.framework_id is None:
            return
        steps = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("framework_step"):
                continue
            if not form.has_changed() and form.instance.pk is None:
                continue  # an untouched empty extra form
            steps[data["framework_step"].key] = {
                name: data.get(name, "")
                for name in ("probe", "reference_notes", *content.STEP_LISTS)
            }
        doc = {"prompt": case.prompt or "", "diagram": case.diagram or "", "steps": steps}
        keys = list(case.framework.steps.values_list("key", flat=True))
        missing = content.missing_for_completeness(doc, keys)
        if missing:
            raise ValidationError(
                "A case that is %(status)s must be complete. Missing: %(missing)s. Fill these "
                "in, or set the status to draft.",
                code="incomplete",
                params={"status": case.get_status_display().lower(), "missing": "; ".join(missing)},
            )

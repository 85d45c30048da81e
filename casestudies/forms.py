"""Forms of the question bank: the curation forms used by the admin.

Plain lists (hints, follow-ups, covers…) are stored as JSON lists and edited as one item per
line; structured items (curveballs, signals, red flags, readings, the checklist, weights) are
edited as YAML and checked by the content format's own functions.
Text is normalised the way the content loader does it, so that an admin edit exports to the
same canonical YAML a file load would give.
"""

from collections.abc import Callable

import yaml
from django import forms
from django.core.exceptions import ValidationError

from . import content, glossary_content
from .models import CaseStep, CaseStudy, Framework, FrameworkStep, GlossaryTerm


class LinesField(forms.Field):
    """A list of one-line strings, edited as a textarea with one item per line.

    Blank lines are dropped and runs of whitespace inside an item collapse to one space (the
    content loader does the same), so the list round-trips through YAML unchanged.
    """

    widget: type[forms.Widget] = forms.Textarea

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


# --- Structured fields: YAML checked by the content format's own functions -----------------------

Criteria = dict[str, str]  # criterion key -> step key ("" for cross-cutting)
StepParser = Callable[[content.Reader, Criteria, str], list[dict]]
_criteria_lookup: Callable[[Framework], Criteria] | None = None


def register_criteria_lookup(lookup: Callable[[Framework], Criteria]) -> None:
    """How to find the criteria of the rubric that scores a framework. The rubrics app registers
    it (rubrics/apps.py): the bank never imports the rubrics, dependencies point one way."""
    global _criteria_lookup
    _criteria_lookup = lookup


def criteria_for(case: CaseStudy | None) -> Criteria:
    """The criteria a case's signals, red flags and weights are checked against; looked up once
    per case object (every step form of one save shares it)."""
    if case is None or not case.framework_id or _criteria_lookup is None:
        return {}
    cached = getattr(case, "_criteria_for_forms", None)
    if cached is None or cached[0] != case.framework_id:
        cached = (case.framework_id, _criteria_lookup(case.framework))
        vars(case)["_criteria_for_forms"] = cached  # a cache on the object, not a field
    return cached[1]


class YamlField(forms.Field):
    """A list of mappings (or a mapping) edited as YAML in a textarea.

    This field only reads the YAML; the form checks the data with the content format's function
    for that field (``content.step_curveballs``…), so the admin refuses what the loader would
    refuse, with the same words, on the field.
    """

    widget = forms.Textarea

    def __init__(
        self, *, empty=list, fields: tuple[str, ...] = (), rows: int = 6, **kwargs
    ) -> None:
        self.empty, self.item_fields = empty, fields
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update(rows=rows, spellcheck="false")
        self.widget.attrs.setdefault("class", "yaml-field")

    def prepare_value(self, value):
        if isinstance(value, str):
            return value  # what was submitted, shown again with its error
        if not value:
            return ""
        if isinstance(value, dict):
            value = dict(sorted(value.items()))
        elif self.item_fields:  # each item's keys in the format's order, as in the files
            value = [content.ordered(item, self.item_fields) for item in value]
        return content.dump_yaml(value).rstrip("\n")

    def to_python(self, value):
        if isinstance(value, list | dict):
            return value
        if value in self.empty_values or not str(value).strip():
            return self.empty()
        try:
            data = yaml.safe_load(str(value))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "unreadable"
            raise ValidationError(f"This is not valid YAML{where}: {problem}.") from None
        return self.empty() if data is None else data

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True


def check_with(name: str, data, parse: Callable[[content.Reader], object]):
    """Run a content-format function over one field's data; its ContentError becomes this
    field's error ("curveballs[2].expected: is required and must not be empty")."""
    try:
        return parse(content.Reader({name: data}, source="admin"))
    except content.ContentError as exc:
        raise ValidationError(f"{exc.field}: {exc.message}") from None


def _yaml_rows(form: forms.ModelForm, names: tuple[str, ...], *, minimum: int = 4) -> None:
    for name in names:
        value = form.initial.get(name)
        lines = content.dump_yaml(value).count("\n") if value else 0
        form.fields[name].widget.attrs["rows"] = max(minimum, min(lines + 1, 40))


LEVEL_FIELDS = {level: f"expect_{level}" for level in content.TARGET_LEVELS}


class CaseStudyAdminForm(forms.ModelForm):
    tags = TagsField(help_text="Comma-separated: lowercase letters, digits and '-'.")
    weights = YamlField(
        empty=dict,
        rows=3,
        help_text="Optional, YAML: a criterion key and this case's weight for it (1-10), one per "
        "line (<code>data-labels: 3</code>), where the case's crux lies.",
    )
    checklist = YamlField(
        fields=content.CHECKLIST_FIELDS,
        help_text="YAML, 6-12 items: <code>- key: time-split</code>, <code>concept: …</code>, "
        "<code>step: model</code>, <code>level: senior</code> (the lowest target level expected "
        "to raise it unprompted: mid, senior or staff).",
    )

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
            "weights",
            "checklist",
        )
        field_classes = {"prompt": MarkdownField, "diagram": MarkdownField}
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 10}),
            "diagram": forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _yaml_rows(self, ("checklist",), minimum=6)

    def _case(self) -> CaseStudy:
        case = self.instance
        framework = self.cleaned_data.get("framework")
        if framework is not None and case.framework_id != framework.pk:
            case = CaseStudy(framework=framework)  # checked against the chosen framework
        return case

    def clean_weights(self) -> dict:
        rubric = criteria_for(self._case())
        data = self.cleaned_data["weights"]
        if isinstance(data, dict):  # any order here; the files keep the rubric's
            data = {k: data[k] for k in rubric if k in data} | {
                k: v for k, v in data.items() if k not in rubric
            }
        return check_with("weights", data, lambda top: content.case_weights(top, rubric))

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # a model form's clean returns its cleaned_data
        framework = cleaned.get("framework")
        if framework is not None and "checklist" in cleaned:
            keys = list(framework.steps.values_list("key", flat=True))
            try:
                cleaned["checklist"] = check_with(
                    "checklist",
                    cleaned["checklist"],
                    lambda top: content.case_checklist(top, keys, complete=False),
                )
            except ValidationError as error:
                self.add_error("checklist", error)
        return cleaned


class CaseStepAdminForm(forms.ModelForm):
    follow_ups = LinesField(help_text="Questions to ask; one per line.")
    hints = LinesField(
        help_text="One per line, gentlest first; the last is the answer-level hint (sending it "
        "caps the step's scores)."
    )
    curveballs = YamlField(
        fields=content.CURVEBALL_FIELDS,
        rows=4,
        help_text="YAML: <code>- text: …</code> (the change of requirements) and "
        "<code>expected: …</code> (what a good response changes in the design).",
    )
    strong_signals = YamlField(
        fields=content.SIGNAL_FIELDS,
        help_text="YAML: <code>- text: …</code>, <code>criterion: &lt;key&gt;</code> (this step's "
        "or a cross-cutting one), <code>level: 3</code> or 4.",
    )
    red_flags = YamlField(
        fields=content.RED_FLAG_FIELDS,
        rows=4,
        help_text="YAML: <code>- text: …</code>, <code>criterion: &lt;key&gt;</code>, "
        "<code>level: 1</code> or 2, and <code>critical: true</code> on the case's one or two "
        "critical flags (they cap the hire signal).",
    )
    expect_mid = OneLineField(
        label="Mid-level shows", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    expect_senior = OneLineField(
        label="Senior shows", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    expect_staff = OneLineField(
        label="Staff shows", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    further_reading = YamlField(
        fields=content.READING_FIELDS,
        rows=3,
        help_text="YAML: <code>- title: …</code> with <code>authors: …</code> and "
        "<code>year: 2019</code>, and/or <code>url: https://…</code>. Real references only.",
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
        _fit_rows(self, ("follow_ups", "hints"))
        _yaml_rows(self, ("curveballs", "strong_signals", "red_flags", "further_reading"))
        expectations = self.instance.expectations or {}
        for level, name in LEVEL_FIELDS.items():
            self.fields[name].initial = expectations.get(level, "")

    def _step_parser(self, parse: StepParser) -> Callable[[content.Reader], list[dict]]:
        """``parse`` (signals or red flags) bound to this step's rubric and key."""
        return lambda step: parse(step, self._rubric(), self._step_key())

    def _rubric(self) -> Criteria:
        # The formset hands every step form its case (``case``), so that the rubric's criteria
        # are looked up once per save, not once per step.
        case = getattr(self, "case", None)
        if case is None and self.instance.case_study_id:
            case = self.instance.case_study
        return criteria_for(case)

    def _step_key(self) -> str:
        step = self.cleaned_data.get("framework_step")
        return step.key if step is not None else ""

    def clean_curveballs(self) -> list[dict]:
        return check_with("curveballs", self.cleaned_data["curveballs"], content.step_curveballs)

    def clean_further_reading(self) -> list[dict]:
        data = self.cleaned_data["further_reading"]
        return check_with("further_reading", data, content.step_readings)

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # a model form's clean returns its cleaned_data
        # Signals and red flags name a criterion of this step: checked once the step is known.
        parsers: tuple[tuple[str, StepParser], ...] = (
            ("strong_signals", content.step_signals),
            ("red_flags", content.step_red_flags),
        )
        for name, parse in parsers:
            if name not in cleaned:
                continue
            try:
                cleaned[name] = check_with(name, cleaned[name], self._step_parser(parse))
            except ValidationError as error:
                self.add_error(name, error)
        cleaned["expectations"] = {
            level: cleaned.get(name, "") for level, name in LEVEL_FIELDS.items()
        }
        if not any(cleaned["expectations"].values()):
            cleaned["expectations"] = {}
        return cleaned

    def save(self, commit: bool = True):
        self.instance.expectations = self.cleaned_data["expectations"]
        return super().save(commit=commit)


class CaseStepInlineFormSet(forms.BaseInlineFormSet):
    """The step guides of one case study. A case in review or published must stay complete:
    the check runs on what was submitted (the case form and every step form) before anything
    is saved, with the same rules as the content files."""

    def _construct_form(self, i, **kwargs):
        # A private hook of BaseFormSet that django-stubs does not declare.
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        form.case = self.instance
        return form

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        case = self.instance
        if case.status not in content.COMPLETE_STATUSES or case.framework_id is None:
            return
        steps, forms_by_key = {}, {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("framework_step"):
                continue
            if not form.has_changed() and form.instance.pk is None:
                continue  # an untouched empty extra form
            forms_by_key[data["framework_step"].key] = form
            steps[data["framework_step"].key] = {
                name: data.get(name, "")
                for name in ("probe", "reference_notes", "expectations", *content.STEP_LISTS)
            }
        doc = {
            "prompt": case.prompt or "",
            "diagram": case.diagram or "",
            "checklist": case.checklist or [],
            "steps": steps,
        }
        keys = list(case.framework.steps.values_list("key", flat=True))
        missing = content.missing_for_completeness(doc, keys)
        if missing:
            # Each step's own gaps on its form too, so the editor can point at the step.
            for item in missing:
                key, _, what = item.partition(": ")
                if what and key in forms_by_key:
                    forms_by_key[key].add_error(None, f"Missing for a complete case: {what}.")
            raise ValidationError(
                "A case that is %(status)s must be complete. Missing: %(missing)s. Fill these "
                "in, or set the status to draft.",
                code="incomplete",
                params={"status": case.get_status_display().lower(), "missing": "; ".join(missing)},
            )


# --- The glossary ---------------------------------------------------------------------------------


class GlossaryTermForm(forms.ModelForm):
    aliases = LinesField(rows=2, help_text="Other forms that link to this term; one per line.")

    class Meta:
        model = GlossaryTerm
        fields = ("key", "term", "aliases", "definition")
        field_classes = {"definition": OneLineField}
        widgets = {
            "key": forms.TextInput(attrs={"size": 16}),
            "definition": forms.Textarea(attrs={"rows": 2, "cols": 70}),
        }


class GlossaryTermFormSet(forms.BaseInlineFormSet):
    """All the terms checked together by ``glossary_content.parse_glossary``: a name used by two
    terms, a definition of three sentences… are refused with the file's own message."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        terms = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("key"):
                continue
            terms.append({name: data.get(name) for name in glossary_content.GLOSSARY_TERM_FIELDS})
        if not terms:
            return
        terms.sort(key=lambda term: str(term["term"]).casefold())
        try:
            glossary_content.parse_glossary(
                {"format": content.FORMAT, "terms": terms}, source="glossary"
            )
        except content.ContentError as exc:
            raise ValidationError(f"{exc.field}: {exc.message}") from None

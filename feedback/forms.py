"""The wrap-up's forms: the candidate's self-assessment and the interviewer's scorecard."""

from django import forms

NOT_OBSERVED_CHOICE = "not_observed"


class WrapupForm(forms.Form):
    """Per rubric criterion a ``level-<key>`` (1-4 or not observed) and a ``note-<key>``.
    Fields are optional here: the service decides what is missing and says so per criterion."""

    note_max = 2000
    CONCEPT_CHOICES = [
        ("unprompted", "Unprompted"),
        ("hinted", "After a hint"),
        ("missed", "Missed"),
        ("", "Not marked"),
    ]

    def __init__(self, *args, criteria, concepts=(), flags=(), **kwargs) -> None:
        """``concepts``: the checklist's concept keys, each a ``concept-<key>`` choice;
        ``flags``: red flag keys ("<step>:<index>"), each a ``flag-<key>`` tick."""
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.concept_keys, self.flag_keys = list(concepts), list(flags)
        for key in self.concept_keys:
            self.fields[f"concept-{key}"] = forms.ChoiceField(
                choices=self.CONCEPT_CHOICES, required=False, widget=forms.RadioSelect
            )
        for key in self.flag_keys:
            self.fields[f"flag-{key}"] = forms.BooleanField(required=False)
        for criterion in self.criteria:
            self.fields[f"level-{criterion.key}"] = forms.ChoiceField(
                choices=[(str(n), str(n)) for n in (1, 2, 3, 4)]
                + [(NOT_OBSERVED_CHOICE, "Not observed")],
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"note-{criterion.key}"] = forms.CharField(
                required=False, max_length=self.note_max, widget=forms.Textarea(attrs={"rows": 2})
            )

    def levels(self) -> dict[str, int | str | None]:
        out: dict[str, int | str | None] = {}
        for criterion in self.criteria:
            value = self.cleaned_data.get(f"level-{criterion.key}") or None
            out[criterion.key] = int(value) if value and value.isdigit() else value
        return out

    def notes(self) -> dict[str, str]:
        return {c.key: self.cleaned_data.get(f"note-{c.key}", "") for c in self.criteria}

    def concepts(self) -> dict[str, str]:
        """Concept key -> unprompted, hinted, missed, or "" (not marked)."""
        return {key: self.cleaned_data.get(f"concept-{key}") or "" for key in self.concept_keys}

    def flags(self) -> dict[str, bool]:
        """Red flag key -> observed."""
        return {key: bool(self.cleaned_data.get(f"flag-{key}")) for key in self.flag_keys}

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            field = key if key in self.fields else f"level-{key}"
            self.add_error(field if field in self.fields else None, message)


class SelfAssessmentForm(WrapupForm):
    reflection = forms.CharField(
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What went well, what you would do differently, what surprised you.",
    )


class ScorecardForm(WrapupForm):
    strengths = forms.CharField(
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Specific moments: what the candidate did well, with an example each.",
    )
    improvements = forms.CharField(
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The two or three changes that would most raise the next score.",
    )

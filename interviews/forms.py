from django import forms

from rubrics.models import TargetLevel

from . import services
from .models import Role


class ProfileFields(forms.Form):
    display_name = forms.CharField(
        max_length=60,
        help_text="How your peer sees you in the interview room.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    target_level = forms.ChoiceField(
        choices=TargetLevel.choices,
        initial=TargetLevel.SENIOR,
        help_text="The level you are preparing for. Reports compare your scores with its bar.",
    )

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Choose a name your peer will see.")
        return name


class SignupProfileForm(ProfileFields):
    """Extra sign-up fields for django-allauth (``ACCOUNT_SIGNUP_FORM_CLASS``)."""

    def signup(self, request, user) -> None:
        services.profile_update(
            user=user,
            display_name=self.cleaned_data["display_name"],
            target_level=self.cleaned_data["target_level"],
        )


class ProfileForm(ProfileFields):
    pass


SURPRISE = "surprise"


class InterviewForm(forms.Form):
    """Create a peer interview or a solo drill."""

    case_study = forms.ChoiceField(
        label="Case study",
        help_text="“Surprise me” picks a published case you have not practised yet.",
    )
    role = forms.ChoiceField(
        label="Your role",
        choices=Role.choices,
        initial=Role.CANDIDATE,
        widget=forms.RadioSelect,
        help_text="Your peer joins in the other role through the invite link.",
    )
    target_level = forms.ChoiceField(
        label="Candidate's target level",
        choices=TargetLevel.choices,
        help_text="Scores are compared with this level's bar in the report.",
    )

    def __init__(self, *args, cases, solo: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {str(case.pk): case for case in cases}
        self.fields["case_study"].choices = [(SURPRISE, "Surprise me")] + [
            (str(case.pk), f"{case.title} · {case.get_difficulty_display()}") for case in cases
        ]
        if solo:
            del self.fields["role"]
            self.fields["target_level"].label = "Your target level"

    def clean_case_study(self):
        value = self.cleaned_data["case_study"]
        return None if value == SURPRISE else self.cases[value]


# --- Wrap-up: the candidate's self-assessment and the interviewer's scorecard --------------------

NOT_OBSERVED_CHOICE = "not_observed"


class WrapupForm(forms.Form):
    """Per rubric criterion a ``level-<key>`` (1-4 or not observed) and a ``note-<key>``.
    Fields are optional here: the service decides what is missing and says so per criterion."""

    note_max = 2000

    def __init__(self, *args, criteria, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
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

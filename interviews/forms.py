from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from rubrics.models import TargetLevel

from . import calls
from .models import Role

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

    framework = forms.ChoiceField(
        label="Framework",
        required=False,
        help_text="The steps and time budgets the session walks through. Every case runs under "
        "its own framework or one based on it; the rubric follows the steps you pick.",
    )

    call_link = forms.CharField(
        label="Meeting link (optional)",
        required=False,
        max_length=500,
        help_text="Talking in your team's own meeting tool instead of the room's call? Paste its "
        "https link; both of you see it in the room.",
        widget=forms.URLInput(attrs={"placeholder": "https://…", "inputmode": "url"}),
    )

    # Asked only of someone about to be the candidate on a case whose guide they have seen.
    guide_seen_ok = forms.BooleanField(
        required=False,
        label="I have read this case's interviewer guide and want to practise it as the "
        "candidate anyway; my report will say so.",
    )

    def __init__(self, *args, cases, frameworks=(), solo: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {str(case.pk): case for case in cases}
        self.frameworks = {framework.slug: framework for framework in frameworks}
        if len(self.frameworks) < 2:
            del self.fields["framework"]  # nothing to pick: the case's own
        else:
            cast(forms.ChoiceField, self.fields["framework"]).choices = [
                ("", "The case's own framework")
            ] + [(f.slug, f"{f.title} ({sum(1 for _ in f.steps.all())} steps)") for f in frameworks]
        cast(forms.ChoiceField, self.fields["case_study"]).choices = [(SURPRISE, "Surprise me")] + [
            (str(case.pk), f"{case.title} · {case.get_difficulty_display()}") for case in cases
        ]
        if solo:
            del self.fields["role"]
            del self.fields["call_link"]
            self.fields["target_level"].label = "Your target level"

    def clean_case_study(self):
        value = self.cleaned_data["case_study"]
        return None if value == SURPRISE else self.cases[value]

    def clean_framework(self):
        """A Framework, or None for the case's own (the service checks that it fits)."""
        return self.frameworks.get(self.cleaned_data.get("framework") or "")

    def clean_call_link(self) -> str:
        return clean_call_link(self.cleaned_data["call_link"])


def clean_call_link(value: str) -> str:
    try:
        return calls.call_link_clean(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class CallLinkForm(forms.Form):
    """The interviewer changes the meeting link before the start (blank removes it)."""

    call_link = InterviewForm.base_fields["call_link"]

    def clean_call_link(self) -> str:
        return clean_call_link(self.cleaned_data["call_link"])

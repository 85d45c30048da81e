from typing import cast

from django import forms

from rubrics.models import TargetLevel

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

    # Asked only of someone about to be the candidate on a case whose guide they have seen.
    guide_seen_ok = forms.BooleanField(
        required=False,
        label="I have read this case's interviewer guide and want to practise it as the "
        "candidate anyway; my report will say so.",
    )

    def __init__(self, *args, cases, solo: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {str(case.pk): case for case in cases}
        cast(forms.ChoiceField, self.fields["case_study"]).choices = [(SURPRISE, "Surprise me")] + [
            (str(case.pk), f"{case.title} · {case.get_difficulty_display()}") for case in cases
        ]
        if solo:
            del self.fields["role"]
            self.fields["target_level"].label = "Your target level"

    def clean_case_study(self):
        value = self.cleaned_data["case_study"]
        return None if value == SURPRISE else self.cases[value]

from django import forms

from rubrics.models import TargetLevel

from . import services


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

"""Forms for finding a partner, and the sign-up form allauth uses
(``ACCOUNT_SIGNUP_FORM_CLASS = "partners.forms.SignupForm"``).

Times are entered as wall-clock times in the member's time zone and turned into UTC here, at
the boundary (``zones.local_to_utc``): a time skipped by a daylight-saving change is refused
on its row, an ambiguous one is taken as its first occurrence with a note.
"""

from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone

from accounts.forms import ProfileFields
from casestudies.models import CaseStudy
from rubrics.models import TargetLevel

from . import matching, services, zones
from .models import Cohort, Roles

MAX_SLOTS = services.MAX_SLOTS


def zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in zones.zone_names()]


class SignupForm(ProfileFields):
    """Sign-up: the profile (display name, level), the invite code (required when the instance
    says so) and the browser's time zone (filled in by the page's script)."""

    invite_code = forms.CharField(
        max_length=40,
        required=False,
        help_text="From your cohort's organiser. It puts you in their cohort.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    time_zone = forms.CharField(
        max_length=64, required=False, widget=forms.HiddenInput(attrs={"data-detect-zone": ""})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if settings.INVITE_CODE_REQUIRED:
            self.fields["invite_code"].required = True
            self.fields[
                "invite_code"
            ].help_text = "This instance is for a cohort: ask its organiser for a code."
        else:
            self.fields["invite_code"].label = "Invite code (optional)"

    def clean_invite_code(self) -> str:
        code = self.cleaned_data["invite_code"].strip()
        if code:
            try:
                services.invite_code_check(code=code)
            except services.PartnerError as exc:
                raise forms.ValidationError(exc.message) from None
        return code

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        return name if zones.is_zone(name) else "UTC"

    def signup(self, request, user) -> None:
        services.member_sign_up(
            user=user,
            display_name=self.cleaned_data["display_name"],
            target_level=self.cleaned_data["target_level"],
            time_zone=self.cleaned_data["time_zone"],
            invite_code=self.cleaned_data["invite_code"],
        )


class RequestForm(forms.Form):
    """A practice request: when (up to eight times, in the member's zone), which roles, the
    target level, the length, and what to leave out."""

    roles = forms.ChoiceField(
        label="Roles",
        choices=Roles.choices,
        initial=Roles.SWAP,
        widget=forms.RadioSelect,
        help_text="A swap is two interviews back to back: each of you is the candidate once.",
    )
    target_level = forms.ChoiceField(
        label="Your target level",
        choices=TargetLevel.choices,
        help_text="You are matched with members at most one level away.",
    )
    minutes = forms.TypedChoiceField(
        label="Length",
        choices=[(60, "60 minutes"), (90, "90 minutes")],
        coerce=int,
        initial=60,
        widget=forms.RadioSelect,
        help_text="In a swap, about half each. If your partner offered the shorter length, "
        "the session is that long.",
    )
    time_zone = forms.ChoiceField(label="Your time zone", choices=())
    free_now = forms.BooleanField(
        label="I am free now",
        required=False,
        help_text="Adds a slot starting now, so someone free at the same time can be matched.",
    )
    avoid_domains = forms.MultipleChoiceField(
        label="Domains to leave out",
        choices=CaseStudy.Domain.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    avoid_cases = forms.MultipleChoiceField(
        label="Cases to leave out",
        required=False,
        help_text="Cases you have practised here are left out anyway; add ones you know from "
        "elsewhere.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, cases, now: datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.notes: list[str] = []
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = zone_choices()
        cast(forms.ChoiceField, self.fields["avoid_cases"]).choices = [
            (str(c.pk), c.title) for c in cases
        ]
        for n in range(MAX_SLOTS):
            self.fields[f"day_{n}"] = forms.DateField(
                required=False, label="Day", widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"time_{n}"] = forms.TimeField(
                required=False,
                label="Start",
                widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
            )

    def slot_rows(self) -> list[dict]:
        """The slot rows for the template: the filled ones and at least three."""
        rows: list[dict[str, Any]] = []
        for n in range(MAX_SLOTS):
            day, clock = self[f"day_{n}"], self[f"time_{n}"]
            rows.append(
                {
                    "n": n,
                    "day": day,
                    "time": clock,
                    "filled": bool(day.value() or clock.value()),
                    "errors": [*day.errors, *clock.errors],
                }
            )
        shown = max(3, max((r["n"] + 1 for r in rows if r["filled"] or r["errors"]), default=0))
        for row in rows:
            row["hidden"] = row["n"] >= shown
        return rows

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        zone_name = data.get("time_zone")
        minutes = data.get("minutes") or 60
        if not zone_name:
            return data
        starts: list[datetime] = []
        for n in range(MAX_SLOTS):
            day, clock = data.get(f"day_{n}"), data.get(f"time_{n}")
            if not day and not clock:
                continue
            if not day or not clock:
                self.add_error(f"day_{n}", "Give both a day and a start time.")
                continue
            try:
                start, note = zones.local_to_utc(day, clock, zone_name)
            except zones.TimeError as exc:
                self.add_error(f"time_{n}", str(exc))
                continue
            if note:
                self.notes.append(note)
            if start < self.now:
                self.add_error(f"day_{n}", "That time has passed.")
                continue
            starts.append(start)
        if data.get("free_now"):
            starts.append(matching.ceil_to_grid(self.now - timedelta(minutes=4)))
        if not starts and not self.errors:
            raise forms.ValidationError("Offer at least one time, or tick “I am free now”.")
        data["starts"] = starts
        data["minutes"] = minutes
        return data


class SettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=(),
        help_text="Times on these pages and in e-mails are shown in it.",
    )
    match_across_cohorts = forms.BooleanField(
        label="Match me with members of other cohorts too",
        required=False,
        help_text="Both of you must have this on; otherwise matching stays within your cohort.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = zone_choices()


class CodeForm(forms.Form):
    code = forms.CharField(label="Invite code", max_length=40)


LEVEL_CHOICES = [
    (1, "1 · poor"),
    (2, "2 · mixed"),
    (3, "3 · good"),
    (4, "4 · excellent"),
]


class RatingForm(forms.Form):
    preparation = forms.TypedChoiceField(
        label="Preparation",
        choices=LEVEL_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Had they read the case and its guide? Did the interview run to time?",
    )
    hints = forms.TypedChoiceField(
        label="Clarity of hints",
        choices=LEVEL_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="When you were stuck, did their hints help without giving the answer away?",
    )
    fairness = forms.TypedChoiceField(
        label="Fairness of scores",
        choices=LEVEL_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Do the scores in your report match what you did, with evidence?",
    )
    note = forms.CharField(
        label="A note for them (optional)",
        required=False,
        max_length=services.MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MisconductForm(forms.Form):
    text = forms.CharField(
        label="What happened",
        max_length=services.MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Only moderators read this. Your partner is not told who reported them.",
    )


class CohortForm(forms.Form):
    name = forms.CharField(max_length=80)
    description = forms.CharField(max_length=200, required=False)


class InviteCodeForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.all())
    code = forms.CharField(
        max_length=40, required=False, help_text="Leave empty for a generated code."
    )
    max_uses = forms.IntegerField(
        required=False, min_value=1, help_text="Empty: any number of people."
    )
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SuspendForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

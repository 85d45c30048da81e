"""Writes about people: profiles, the curators' group, the demo accounts."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from rubrics.models import TargetLevel

from .models import Profile
from .types import User


def profile_update(*, user: User, display_name: str, target_level: str) -> Profile:
    profile, _ = Profile.objects.update_or_create(
        user=user,
        defaults={"display_name": display_name.strip(), "target_level": target_level},
    )
    return profile


def account_active_set(*, user: User, active: bool) -> None:
    """Let the account log in, or not (a suspension). Django refuses inactive users at login
    and drops their sessions on the next request."""
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active


DEMO_ACCOUNTS = (
    # (email, display name, target level, is staff)
    ("interviewer@example.com", "Ines (interviewer)", TargetLevel.SENIOR, False),
    ("candidate@example.com", "Carl (candidate)", TargetLevel.SENIOR, False),
    ("curator@example.com", "Cora (curator)", TargetLevel.STAFF, True),
)
CURATOR_APPS = ("casestudies", "rubrics")


def curators_group_ensure() -> Group:
    """The staff group that may edit the question bank and the rubrics, and nothing else: not
    the record of who read which guide, and no interview (see reviewers_group_ensure)."""
    group, _ = Group.objects.get_or_create(name="Curators")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=CURATOR_APPS).exclude(
            content_type__model="guideview"
        )
    )
    return group


REVIEWERS = "Session reviewers"


def reviewers_group_ensure() -> Group:
    """The group that may read any interview's private notes and scores (the wrap-up, the
    report, the timeline), each read logged; a role apart from curating. Nobody is in it
    unless a superuser puts them there."""
    group, _ = Group.objects.get_or_create(name=REVIEWERS)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="interviews", codename="view_private")
    )
    return group


def roles_ensure() -> None:
    """Both groups, with their permissions as the code defines them today (run after every
    migrate: see apps.py)."""
    curators_group_ensure()
    reviewers_group_ensure()


@transaction.atomic
def demo_accounts_ensure(*, password: str) -> list[str]:
    """Create (or reset the password of) the demo accounts; returns their emails."""
    curators = curators_group_ensure()
    emails = []
    for email, name, level, is_staff in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(
            email=email, defaults={"username": email.split("@")[0]}
        )
        user.set_password(password)
        user.is_staff = is_staff
        user.save()
        if is_staff:
            user.groups.add(curators)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        profile_update(user=user, display_name=name, target_level=level)
        emails.append(email)
    return emails

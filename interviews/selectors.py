"""Reads for the interviews app, each starting from the user who asks."""

from django.contrib.auth.models import AbstractBaseUser

from rubrics.models import TargetLevel

from .models import Profile


def profile_for(*, user: AbstractBaseUser) -> Profile:
    """The user's profile, or an unsaved default for accounts made outside sign-up."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        fallback = (user.get_username() or "").split("@")[0] or "Someone"
        return Profile(user=user, display_name=fallback, target_level=TargetLevel.SENIOR)


def display_name(user: AbstractBaseUser) -> str:
    return profile_for(user=user).display_name

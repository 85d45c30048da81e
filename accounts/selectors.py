"""Reads about people."""

from rubrics.models import TargetLevel

from .models import Profile
from .types import User


def profile_for(*, user: User) -> Profile:
    """The user's profile, or an unsaved default for accounts made outside sign-up."""
    try:
        return user.profile
    except (Profile.DoesNotExist, AttributeError):  # AttributeError: an anonymous user
        # Never the username: allauth generates it from the e-mail with digits appended.
        fallback = (getattr(user, "email", "") or "").split("@")[0] or "Someone"
        return Profile(display_name=fallback, target_level=TargetLevel.SENIOR)


def display_name(user: User) -> str:
    return profile_for(user=user).display_name

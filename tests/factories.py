"""The one place tests build objects. Plain functions with sensible defaults."""

import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from interviews import services as interview_services

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def user(
    *,
    email: str | None = None,
    name: str | None = None,
    level: str = "senior",
    staff: bool = False,
    password: str = PASSWORD,
):
    n = next(_counter)
    email = email or f"user{n}@example.org"
    account = get_user_model().objects.create_user(
        username=email.split("@")[0] + str(n), email=email, password=password, is_staff=staff
    )
    if staff:
        account.groups.add(interview_services.curators_group_ensure())
    EmailAddress.objects.create(user=account, email=email, verified=True, primary=True)
    interview_services.profile_update(
        user=account, display_name=name or f"User {n}", target_level=level
    )
    return account

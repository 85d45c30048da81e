"""A demo cohort with members and open requests (``manage.py seed_partners``), so that ``make run``
shows finding a partner at work."""

from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction

from accounts.types import User

from . import zones
from .matchmaking import request_submit
from .models import (
    Booking,
    Cohort,
    InviteCode,
    Member,
    PracticeRequest,
    Roles,
)
from .services import _now, member_ensure

# --- Demo ----------------------------------------------------------------------------------------


DEMO_COHORT = "Demo cohort"
DEMO_CODE = "DEMO-COHORT"
DEMO_MEMBERS = (
    # (email, time zone)
    ("interviewer@example.com", "Europe/Berlin"),
    ("candidate@example.com", "Europe/London"),
)


@transaction.atomic
def demo_ensure(*, now: datetime | None = None) -> dict[str, Any]:
    """The demo members (``accounts.services.demo_accounts_ensure`` makes the accounts) in one
    cohort, each with an open swap request for tomorrow evening unless they already have a
    request or an upcoming booking; the curator moderates. The matcher then proposes a match
    (at once when Celery runs in process, as with ``make run``)."""
    now = _now(now)
    from django.contrib.auth.models import Group, Permission

    cohort, _ = Cohort.objects.get_or_create(
        name=DEMO_COHORT, defaults={"description": "The demo accounts practise here."}
    )
    InviteCode.objects.get_or_create(code=DEMO_CODE, defaults={"cohort": cohort})
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.set(Permission.objects.filter(content_type__app_label="partners"))
    curator = User.objects.filter(email="curator@example.com").first()
    if curator is not None:
        curator.groups.add(moderators)
    made = []
    for email, zone_name in DEMO_MEMBERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        member = member_ensure(user=user)
        Member.objects.filter(pk=member.pk).update(cohort=cohort, time_zone=zone_name)
        busy = Booking.objects.filter(
            status__in=Booking.UPCOMING, seats__user=user, starts_at__gt=now
        ).exists()
        active = PracticeRequest.objects.filter(
            user=user, status__in=PracticeRequest.ACTIVE
        ).exists()
        if busy or active:
            continue
        local = zones.utc_to_local(now, zone_name) + timedelta(days=1)
        starts = []
        for hour in (18, 19):
            utc, _note = zones.local_to_utc(local.date(), time(hour, 0), zone_name)
            starts.append(utc)
        profile_level = getattr(getattr(user, "profile", None), "target_level", "senior")
        request_submit(
            user=user,
            roles=Roles.SWAP,
            target_level=profile_level,
            minutes=60,
            starts=starts,
            now=now,
        )
        made.append(email)
    return {"cohort": cohort.name, "code": DEMO_CODE, "requests": made}

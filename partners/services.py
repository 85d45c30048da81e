"""Finding a partner's writes that the others build on: members' settings, cohorts and invite
codes, the notifications and their reminders and e-mails, and the helpers every partners write
uses (the refusal, events, handing work to the workers). The rest lives by idea:
``matchmaking`` (requests and the matcher's run), ``bookings`` (confirming, declining,
cancelling, no-shows and rematches), ``conduct`` (ratings, blocks, misconduct, suspensions) and
``demo`` (the demo cohort).

Views, tasks and management commands call these; none of them saves an important object
itself. State changes are compare-and-set (an update count of 0 means someone got there first)
and each is recorded as a ``BookingEvent``. Interviews are made through the room's own service
(``interviews.services.interview_create``). Work for the workers (matching, e-mails) is handed
over only after the transaction commits.
"""

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import services as account_services
from accounts.types import User

from . import zones
from .models import (
    Booking,
    BookingEvent,
    Cohort,
    InviteCode,
    Member,
    Notification,
    Seat,
)

log = logging.getLogger(__name__)

MAX_SLOTS = 8
MAX_DAYS_AHEAD = 60
MAX_NOTE_CHARS = 4000
EMAIL_ATTEMPTS = 5
# Within this long of the start a confirmed booking gets its "starting soon" reminder.
SOON = timedelta(minutes=15)
DAY = timedelta(hours=24)


class PartnerError(Exception):
    """A refused request, with a message for the member."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _after_commit(task_name: str, *args: Any) -> None:
    """Hand a task to the workers once the transaction commits (``delay_on_commit``), without
    turning a broker that does not answer into an error for a change already committed: the
    beat's next run picks the work up. (Celery is imported here only: the web processes that
    never enqueue never load it.)"""

    def send() -> None:
        from kombu.exceptions import OperationalError

        from . import tasks

        try:
            getattr(tasks, task_name).delay(*args)
        except (OperationalError, OSError):
            log.exception("partners: could not hand %s%s to a worker now", task_name, args)

    transaction.on_commit(send)


def _event(
    booking: Booking | UUID, kind: str, *, actor: User | None = None, old="", new="", **data
) -> None:
    BookingEvent.objects.create(
        booking_id=getattr(booking, "pk", booking),
        kind=kind,
        actor=actor,
        old=old,
        new=new,
        data=data,
    )


# --- Members, cohorts, invite codes --------------------------------------------------------------


def member_ensure(*, user: User) -> Member:
    member, _ = Member.objects.get_or_create(user=user)
    return member


def member_settings_update(
    *, user: User, time_zone: str, match_across_cohorts: bool | None = None
) -> Member:
    if not zones.is_zone(time_zone):
        raise PartnerError(f"{time_zone!r} is not a time zone we know.")
    member = member_ensure(user=user)
    fields: dict[str, object] = {"time_zone": time_zone}
    if match_across_cohorts is not None:
        fields["match_across_cohorts"] = match_across_cohorts
    Member.objects.filter(pk=member.pk).update(**fields)
    member.refresh_from_db()
    return member


def _code_usable(code: InviteCode, now: datetime) -> bool:
    return (
        code.active
        and (code.expires_at is None or code.expires_at > now)
        and (code.max_uses is None or code.uses < code.max_uses)
    )


def invite_code_check(*, code: str, now: datetime | None = None) -> InviteCode:
    """The usable invite code spelled ``code`` (any case, spaces ignored), or PartnerError."""
    cleaned = "".join(code.split()).upper()
    found = InviteCode.objects.select_related("cohort").filter(code=cleaned).first()
    if found is None or not _code_usable(found, _now(now)):
        raise PartnerError("That invite code is not valid, or has been used up or has expired.")
    return found


@transaction.atomic
def invite_code_redeem(*, user: User, code: str, now: datetime | None = None) -> Cohort:
    """Put the user in the code's cohort, counting one use by compare-and-set: a code for ten
    people admits ten, however many sign up at once."""
    now = _now(now)
    found = invite_code_check(code=code, now=now)
    unlimited = Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses"))
    claimed = (
        InviteCode.objects.filter(pk=found.pk, active=True)
        .filter(unlimited)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(uses=F("uses") + 1)
    )
    if not claimed:
        raise PartnerError("That invite code has just been used up. Ask for another one.")
    member = member_ensure(user=user)
    Member.objects.filter(pk=member.pk).update(cohort=found.cohort)
    return found.cohort


def member_sign_up(
    *,
    user: User,
    display_name: str,
    target_level: str,
    time_zone: str,
    invite_code: str,
) -> Member:
    """What sign-up adds to the account allauth made: the profile (accounts' service), the
    time zone, and the cohort of the invite code. A code that ran out between the form's check
    and now leaves the member without a cohort; the partner pages then ask for another."""
    account_services.profile_update(user=user, display_name=display_name, target_level=target_level)
    member = member_ensure(user=user)
    if zones.is_zone(time_zone):
        Member.objects.filter(pk=member.pk).update(time_zone=time_zone)
    if invite_code:
        try:
            invite_code_redeem(user=user, code=invite_code)
        except PartnerError:
            log.warning("sign-up of user %s: invite code ran out before it was redeemed", user.pk)
    member.refresh_from_db()
    return member


def _staff(user: User) -> None:
    if not (user.is_active and user.has_perm("partners.moderate_members")):
        raise PartnerError("Only moderators may do that.")


def cohort_create(*, staff: User, name: str, description: str = "") -> Cohort:
    _staff(staff)
    name = name.strip()
    if not name:
        raise PartnerError("A cohort needs a name.")
    if Cohort.objects.filter(name__iexact=name).exists():
        raise PartnerError(f"There is already a cohort called {name}.")
    return Cohort.objects.create(name=name, description=description.strip(), created_by=staff)


def _new_code(cohort: Cohort) -> str:
    stem = "".join(ch for ch in cohort.name.upper() if ch.isalnum())[:10] or "COHORT"
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    return f"{stem}-{''.join(secrets.choice(alphabet) for _ in range(6))}"


def invite_code_create(
    *,
    staff: User,
    cohort: Cohort,
    max_uses: int | None = None,
    expires_at: datetime | None = None,
    code: str = "",
) -> InviteCode:
    _staff(staff)
    if max_uses is not None and max_uses < 1:
        raise PartnerError("A code admits at least one person.")
    cleaned = "".join(code.split()).upper() or _new_code(cohort)
    try:
        with transaction.atomic():
            return InviteCode.objects.create(
                cohort=cohort,
                code=cleaned,
                max_uses=max_uses,
                expires_at=expires_at,
                created_by=staff,
            )
    except IntegrityError:
        raise PartnerError(f"The code {cleaned} exists already.") from None


def invite_code_deactivate(*, staff: User, code_id: int) -> None:
    _staff(staff)
    InviteCode.objects.filter(pk=code_id).update(active=False)


# --- Notifications and reminders -----------------------------------------------------------------


def _notify(user_id: int, booking_id: UUID, kind: str) -> Notification | None:
    """Record a notification for the member (once per booking and kind) and e-mail it after
    commit. None if it exists already: reminders are sent once however often the beat runs."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user_id=user_id, booking_id=booking_id, kind=kind
            )
    except IntegrityError:
        return None
    _after_commit("send_notification", notification.pk)
    return notification


def reminders_send(*, now: datetime | None = None) -> int:
    """Reminders for confirmed bookings: a day before (when booked earlier than that) and
    fifteen minutes before (when confirmed earlier than that). Idempotent: one per member,
    booking and kind. Also hands unsent e-mails to the workers again. Returns how many
    reminders were made."""
    now = _now(now)
    made = 0
    confirmed = Booking.objects.filter(status=Booking.Status.CONFIRMED)
    day = confirmed.filter(
        starts_at__gt=now + timedelta(hours=1),
        starts_at__lte=now + DAY,
        confirmed_at__lte=F("starts_at") - DAY,
    )
    soon = confirmed.filter(
        starts_at__gt=now, starts_at__lte=now + SOON, confirmed_at__lte=F("starts_at") - SOON
    )
    for queryset, kind in (
        (day, Notification.Kind.REMINDER_DAY),
        (soon, Notification.Kind.REMINDER_SOON),
    ):
        pairs = Seat.objects.filter(booking__in=queryset).values_list("user_id", "booking_id")
        for user_id, booking_id in pairs:
            with transaction.atomic():
                made += _notify(user_id, booking_id, kind) is not None
    stuck = Notification.objects.filter(
        emailed_at__isnull=True,
        email_attempts__lt=EMAIL_ATTEMPTS,
        created_at__lte=now - timedelta(minutes=2),
    ).values_list("pk", flat=True)[:200]
    for pk in stuck:
        with transaction.atomic():
            _after_commit("send_notification", pk)
    return made


def notification_email(*, notification_id: int) -> bool:
    """E-mail one notification, once: the attempt is claimed by compare-and-set, so a message
    delivered twice sends once. False if there was nothing to send (already sent, the member
    has no address, or the attempt was claimed elsewhere)."""
    from . import notify  # templates and the calendar library: only where mail is sent

    notification = (
        Notification.objects.select_related("user", "booking").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    attempts = notification.email_attempts
    if attempts >= EMAIL_ATTEMPTS:
        return False
    claimed = Notification.objects.filter(
        pk=notification.pk, emailed_at__isnull=True, email_attempts=attempts
    ).update(email_attempts=attempts + 1)
    if not claimed:
        return False
    if (
        not notification.user.email
        or not notification.user.is_active
        or not notify.still_true(notification)
    ):
        # Nothing to send: no address, a suspended account, or news that is no longer true (a
        # reminder for a session cancelled since, sent late by a retry).
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        return False
    message = notify.email_for(notification)
    message.send()
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def notifications_read(*, user: User, now: datetime | None = None) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=_now(now))

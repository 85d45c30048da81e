"""What a notification says, in the app and by e-mail, with its calendar file.

The wording is written once here and used by both the notification list and the e-mails;
times are given in the reader's own time zone. E-mails have a plain-text body (each link on a
line of its own, never wrapped) and an HTML version, and every booking e-mail but the after-
the-fact ones carries an ``.ics`` made with the ``icalendar`` library: the same UID throughout,
so a calendar updates the event (tentative, confirmed, cancelled) instead of adding another.
Nothing here includes another member's e-mail address: partners are named by display name.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlparse

import icalendar
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.mail import Mail
from accounts.selectors import display_name

from . import selectors, zones
from .models import Booking, Notification, Seat

Kind = Notification.Kind
CANCELLING = (Kind.DECLINED, Kind.EXPIRED, Kind.CANCELLED)
NO_CALENDAR = (Kind.NO_SHOW, Kind.MISSED)
SEQUENCE: dict[str, int] = {
    Kind.PROPOSED: 0,
    Kind.CONFIRMED: 1,
    Kind.REMINDER_DAY: 1,
    Kind.REMINDER_SOON: 1,
}


# What a booking's status must still be for the news to be sent.
STILL_TRUE: dict[str, str] = {
    Kind.PROPOSED: Booking.Status.PROPOSED,
    Kind.CONFIRMED: Booking.Status.CONFIRMED,
    Kind.REMINDER_DAY: Booking.Status.CONFIRMED,
    Kind.REMINDER_SOON: Booking.Status.CONFIRMED,
}


def still_true(notification: Notification) -> bool:
    wanted = STILL_TRUE.get(notification.kind)
    return wanted is None or notification.booking.status == wanted


def when_text(start: datetime, minutes: int, zone_name: str) -> str:
    """ "Tue 4 Nov, 18:00–19:00 (Europe/London)" in the reader's zone."""
    local = zones.utc_to_local(start, zone_name)
    end = local + timedelta(minutes=minutes)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}–{end:%H:%M} ({zone_name})"


def time_text(start: datetime, zone_name: str) -> str:
    return f"{zones.utc_to_local(start, zone_name):%H:%M}"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


@dataclass(frozen=True)
class Notice:
    title: str
    text: str
    action: str  # what the link does, in words
    url: str  # the page's path


def _partner(booking: Booking, user_id: int) -> Seat:
    return next(s for s in booking.seats.all() if s.user_id != user_id)


def plan_text(booking: Booking, user_id: int) -> str:
    me = next(s for s in booking.seats.all() if s.user_id == user_id)
    if booking.is_swap:
        half = booking.minutes // 2
        first = "the candidate" if me.first_role == "candidate" else "the interviewer"
        second = "the interviewer" if me.first_role == "candidate" else "the candidate"
        return (
            f"Two interviews back to back, about {half} minutes each: you are {first} first, "
            f"then you swap and are {second}."
        )
    role = "the candidate" if me.first_role == "candidate" else "the interviewer"
    return f"One interview of up to {booking.minutes} minutes: you are {role}."


def describe(notification: Notification, zone_name: str) -> Notice:
    """The notification in words for its member, times in ``zone_name``."""
    booking = notification.booking
    partner = display_name(_partner(booking, notification.user_id).user)
    when = when_text(booking.starts_at, booking.minutes, zone_name)
    url = booking.get_absolute_url()
    kind = notification.kind
    if kind == Kind.PROPOSED:
        confirm_by = when_text(booking.expires_at, 0, zone_name).split("–")[0]
        return Notice(
            f"Match proposed: {partner}, {when}",
            f"We found you a practice partner, {partner}, for {when}. "
            f"{plan_text(booking, notification.user_id)} Confirm by {confirm_by} (your time); "
            "if either of you does not, the match lapses and you both return to the pool.",
            "Confirm or decline",
            url,
        )
    if kind == Kind.CONFIRMED:
        return Notice(
            f"Booked: practice with {partner}, {when}",
            f"You have both confirmed. {plan_text(booking, notification.user_id)}",
            "Open the booking",
            url,
        )
    if kind == Kind.REMINDER_DAY:
        return Notice(
            f"Tomorrow: practice with {partner} at {time_text(booking.starts_at, zone_name)}",
            f"Your session with {partner} is {when}. {plan_text(booking, notification.user_id)} "
            "If you are the interviewer first, read the case's guide beforehand.",
            "Open the booking",
            url,
        )
    if kind == Kind.REMINDER_SOON:
        return Notice(
            f"Starting soon: practice with {partner} at {time_text(booking.starts_at, zone_name)}",
            f"Your session with {partner} starts at {time_text(booking.starts_at, zone_name)}. "
            f"Join within {settings.NO_SHOW_MINUTES} minutes of the start, or it counts as a "
            "no-show.",
            "Open the booking",
            url,
        )
    if kind == Kind.DECLINED:
        return Notice(
            f"{partner} declined the match for {when}",
            "Nothing counts against anyone. Your request is back in the pool if it has times "
            "left to offer.",
            "Your requests",
            reverse("partners:home"),
        )
    if kind == Kind.EXPIRED:
        return Notice(
            f"The match with {partner} for {when} expired",
            "It was not confirmed in time. You are both back in the pool if your requests have "
            "times left to offer.",
            "Your requests",
            reverse("partners:home"),
        )
    if kind == Kind.CANCELLED:
        return Notice(
            f"Cancelled: your session with {partner}, {when}",
            "It does not count against you. Your request is back in the pool if it has times "
            "left to offer.",
            "Your requests",
            reverse("partners:home"),
        )
    if kind == Kind.NO_SHOW:
        return Notice(
            f"{partner} did not come to your session",
            "It does not count against you. Find someone who is free now for the rest of the "
            "slot, or release it and go back to the pool.",
            "Find someone now",
            url,
        )
    return Notice(
        f"You missed your session of {when}",
        f"You did not join within {settings.NO_SHOW_MINUTES} minutes of the start, so it "
        f"counts against your reliability. {selectors.pause_rule()}",
        "Your reliability",
        reverse("partners:home"),
    )


def calendar_for(notification: Notification, notice: Notice, partner: str) -> bytes:
    """The ``.ics`` of the booking as this notification leaves it."""
    booking = notification.booking
    cancelled = notification.kind in CANCELLING
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"noreply@{host}"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Sevensteps//Finding a partner//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"booking-{booking.pk}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.starts_at + timedelta(minutes=booking.minutes))
    event.add("summary", f"Mock interview practice with {partner} (Sevensteps)")
    event.add("description", f"{notice.text}\n\n{absolute(booking.get_absolute_url())}")
    event.add("url", absolute(booking.get_absolute_url()))
    organizer = icalendar.vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = icalendar.vText("Sevensteps")
    event.add("organizer", organizer)
    if cancelled:
        event.add("status", "CANCELLED")
        event.add("sequence", 2)
    else:
        tentative = notification.kind == Kind.PROPOSED
        event.add("status", "TENTATIVE" if tentative else "CONFIRMED")
        event.add("sequence", SEQUENCE.get(notification.kind, 1))
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Mock interview practice starts in 15 minutes")
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()


def email_for(notification: Notification) -> Mail:
    """The e-mail of one notification to its member, in their time zone."""
    user = notification.user
    zone_name = selectors.member_for(user=user).time_zone
    booking = (
        Booking.objects.prefetch_related("seats__user__profile")
        .select_related("first_case", "second_case")
        .get(pk=notification.booking_id)
    )
    notification.booking = booking
    notice = describe(notification, zone_name)
    partner = display_name(_partner(booking, user.pk).user)
    context = {
        "name": display_name(user),
        "notice": notice,
        "link": absolute(notice.url),
        "settings_link": absolute(reverse("partners:settings")),
        "coming_up_link": absolute(reverse("partners:coming_up")),
    }
    message = Mail(
        subject=f"[Sevensteps] {notice.title}",
        body=render_to_string("partners/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("partners/email/notification.html", context), "text/html"
    )
    if notification.kind not in NO_CALENDAR:
        method = "CANCEL" if notification.kind in CANCELLING else "PUBLISH"
        message.attach(
            "sevensteps-practice.ics",
            calendar_for(notification, notice, partner),
            f"text/calendar; method={method}; charset=utf-8",
        )
    return message

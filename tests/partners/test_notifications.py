"""Notifications and their e-mails: on a match, on confirmation, a day and fifteen minutes
before, on cancellation; each in Django's outbox with a plain-text body whose links are whole,
an HTML version, and an ``.ics`` parsed with ``icalendar``. Times are in each reader's zone,
across daylight-saving changes, with a controlled clock."""

import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from partners import bookings, matchmaking, services
from partners.forms import RequestForm
from partners.models import Booking, Member, Notification
from tests import factories

pytestmark = pytest.mark.django_db


def calendar_of(message) -> icalendar.Event:
    [(name, content, mimetype)] = [a for a in message.attachments if a[0].endswith(".ics")]
    assert mimetype.startswith("text/calendar")
    assert name == "sevensteps-practice.ics"
    calendar = icalendar.Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    event.method = str(calendar["METHOD"])
    return event


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def mail_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


@pytest.fixture
def start():
    return (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


def test_a_match_e_mails_both_with_a_tentative_event_and_a_whole_link(
    start, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        a, b, booking = factories.proposed_booking(start=start, now=now)
    assert len(mail.outbox) == 2
    message = mail_to(a)[0]
    assert message.subject.startswith("[Sevensteps] Match proposed: Bo Partner")
    url = f"http://127.0.0.1:8000/partners/bookings/{booking.pk}/"
    assert url in message.body.splitlines()  # on a line of its own, unbroken
    assert f'href="{url}"' in html_of(message)
    event = calendar_of(message)
    assert event.method == "PUBLISH"
    assert str(event["STATUS"]) == "TENTATIVE"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=60)
    assert str(event["UID"]) == f"booking-{booking.pk}@127.0.0.1"
    assert "Bo Partner" in str(event["SUMMARY"])
    # The partner's address appears nowhere: not in the text, the HTML nor the calendar.
    raw = message.message().as_string()
    assert b.email not in raw and b.email not in message.body and b.email not in html_of(message)
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_confirmation_updates_the_same_event_and_cancellation_cancels_it(
    start, django_capture_on_commit_callbacks
):
    now = timezone.now()
    a, b, booking = factories.proposed_booking(start=start, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_confirm(user=a, booking_id=booking.pk, now=now)
        bookings.booking_confirm(user=b, booking_id=booking.pk, now=now)
    [confirmed] = mail_to(a)
    event = calendar_of(confirmed)
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == f"booking-{booking.pk}@127.0.0.1"
    assert "you are the candidate first, then you swap" in " ".join(confirmed.body.split())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_cancel(user=a, booking_id=booking.pk, now=now)
    [cancelled] = mail.outbox
    assert cancelled.to == [b.email]
    event = calendar_of(cancelled)
    assert event.method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"


def test_reminders_come_a_day_and_fifteen_minutes_before_once_each(
    start, django_capture_on_commit_callbacks
):
    matched = start - timedelta(days=3)
    a, b, booking = factories.confirmed_booking(start=start, now=matched)
    Booking.objects.filter(pk=booking.pk).update(confirmed_at=matched)
    assert services.reminders_send(now=start - timedelta(hours=25)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=start - timedelta(hours=24)) == 2
        assert services.reminders_send(now=start - timedelta(hours=20)) == 0  # once
    [day] = [m for m in mail_to(a) if "Tomorrow" in m.subject]
    assert str(calendar_of(day)["STATUS"]) == "CONFIRMED"
    assert services.reminders_send(now=start - timedelta(minutes=16)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=start - timedelta(minutes=15)) == 2
        assert services.reminders_send(now=start - timedelta(minutes=5)) == 0
    [soon] = [m for m in mail_to(b) if "Starting soon" in m.subject]
    assert "within 10 minutes of the start" in " ".join(soon.body.split())  # wrapped at 72
    assert calendar_of(soon).decoded("DTSTART") == start
    assert sorted(Notification.objects.filter(user=a).values_list("kind", flat=True)) == [
        "confirmed",
        "proposed",
        "reminder_day",
        "reminder_soon",
    ]


def test_a_booking_confirmed_within_a_day_gets_no_day_reminder(start):
    now = start - timedelta(hours=6)
    factories.confirmed_booking(start=start, now=now)
    assert services.reminders_send(now=start - timedelta(hours=5)) == 0
    assert services.reminders_send(now=start - timedelta(minutes=10)) == 2


def test_an_e_mail_is_sent_once_even_if_its_task_runs_twice(start):
    a, _b, _booking = factories.proposed_booking(start=start, now=timezone.now())
    notification = Notification.objects.get(user=a)
    assert services.notification_email(notification_id=notification.pk) is True
    assert services.notification_email(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_news_that_is_no_longer_true_is_not_sent(start):
    a, b, booking = factories.proposed_booking(start=start, now=timezone.now())
    bookings.booking_decline(user=b, booking_id=booking.pk, now=timezone.now())
    stale = Notification.objects.get(user=a, kind="proposed")
    assert services.notification_email(notification_id=stale.pk) is False
    declined = Notification.objects.get(user=a, kind="declined")
    assert services.notification_email(notification_id=declined.pk) is True
    [message] = mail.outbox
    assert message.subject.startswith("[Sevensteps] Bo Partner declined the match")


def test_a_failed_send_is_retried_by_the_next_reminder_run(
    start, monkeypatch, django_capture_on_commit_callbacks
):
    a, _b, _booking = factories.proposed_booking(start=start, now=timezone.now())
    notification = Notification.objects.get(user=a)
    from django.core.mail import EmailMultiAlternatives

    real = EmailMultiAlternatives.send
    monkeypatch.setattr(
        EmailMultiAlternatives, "send", lambda self, **kw: (_ for _ in ()).throw(OSError("down"))
    )
    with pytest.raises(OSError):
        services.notification_email(notification_id=notification.pk)
    monkeypatch.setattr(EmailMultiAlternatives, "send", real)
    notification.refresh_from_db()
    assert notification.emailed_at is None and notification.email_attempts == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.reminders_send(now=timezone.now() + timedelta(minutes=5))
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert len(mail_to(a)) == 1


# --- Time zones across daylight-saving changes ---------------------------------------------------


def offer(user, *, day, clock, zone, now, **kwargs):
    """Offer a time through the request form, as a member in ``zone`` would, at ``now``."""
    form = RequestForm(
        {
            "roles": "swap",
            "target_level": "senior",
            "minutes": "60",
            "time_zone": zone,
            "day_0": day.isoformat(),
            "time_0": clock.strftime("%H:%M"),
        },
        cases=[],
        now=now,
    )
    assert form.is_valid(), form.errors
    services.member_settings_update(user=user, time_zone=zone)
    return matchmaking.request_submit(
        user=user,
        roles="swap",
        target_level="senior",
        minutes=60,
        starts=form.cleaned_data["starts"],
        now=now,
        **kwargs,
    ), form


def test_times_cross_the_march_change_in_each_readers_zone(django_capture_on_commit_callbacks):
    # Friday 26 March 2027: London is on GMT, New York already on EDT (since 14 March).
    # Monday 29 March: London on BST. 18:00 in London is 17:00 UTC, 13:00 in New York.
    now = datetime(2027, 3, 26, 9, 0, tzinfo=UTC)
    factories.partner_bank()
    group = factories.cohort()
    london = factories.member(cohort=group, name="Lena London")
    new_york = factories.member(cohort=group, name="Nate New York")
    offer(london, day=date(2027, 3, 29), clock=time(18, 0), zone="Europe/London", now=now)
    offer(new_york, day=date(2027, 3, 29), clock=time(13, 0), zone="America/New_York", now=now)
    with django_capture_on_commit_callbacks(execute=True):
        [booking] = matchmaking.requests_match(now=now)
        for user in (london, new_york):
            bookings.booking_confirm(user=user, booking_id=booking.pk, now=now)
    assert booking.starts_at == datetime(2027, 3, 29, 17, 0, tzinfo=UTC)
    confirmed = {m.to[0]: m for m in mail.outbox if "Booked" in m.subject}
    assert "Mon 29 Mar, 18:00–19:00 (Europe/London)" in confirmed[london.email].subject
    assert "Mon 29 Mar, 13:00–14:00 (America/New_York)" in confirmed[new_york.email].subject
    # The day reminder is 24 real hours before: Sunday 17:00 UTC, which is 18:00 BST.
    assert services.reminders_send(now=datetime(2027, 3, 28, 16, 59, tzinfo=UTC)) == 0
    assert services.reminders_send(now=datetime(2027, 3, 28, 17, 0, tzinfo=UTC)) == 2
    # The calendar file carries the instant in UTC, so every calendar shows its own time.
    event = calendar_of(confirmed[london.email])
    assert event.decoded("DTSTART") == datetime(2027, 3, 29, 17, 0, tzinfo=UTC)


def test_times_cross_the_october_change_and_an_ambiguous_time_is_explained():
    # Friday 29 October 2027 London is on BST; Monday 1 November on GMT (the change is on
    # Sunday 31 October, when 01:00-02:00 happens twice).
    now = datetime(2027, 10, 29, 9, 0, tzinfo=UTC)
    ada = factories.member()
    request, form = offer(
        ada, day=date(2027, 11, 1), clock=time(18, 0), zone="Europe/London", now=now
    )
    assert request.slots.get().starts_at == datetime(2027, 11, 1, 18, 0, tzinfo=UTC)
    assert form.notes == []
    _request, form = offer(
        ada, day=date(2027, 10, 31), clock=time(1, 30), zone="Europe/London", now=now
    )
    assert "happens twice" in form.notes[0]
    assert _request.slots.get().starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_a_time_skipped_by_the_march_change_is_refused_on_its_row():
    form = RequestForm(
        {
            "roles": "swap",
            "target_level": "senior",
            "minutes": "60",
            "time_zone": "Europe/London",
            "day_0": "2027-03-28",
            "time_0": "01:30",
        },
        cases=[],
        now=datetime(2027, 3, 20, tzinfo=UTC),
    )
    assert not form.is_valid()
    assert "does not exist in Europe/London" in str(form.errors["time_0"])


def test_the_member_zone_is_kept_for_e_mails(django_capture_on_commit_callbacks):
    now = timezone.now()
    start = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    group = factories.cohort()
    tokyo = factories.member(cohort=group, zone="Asia/Tokyo", name="Taro")
    with django_capture_on_commit_callbacks(execute=True):
        factories.proposed_booking(start=start, now=now, a=tokyo, cohort=group)
    [message] = mail_to(tokyo)
    local = start.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert f"{local:%H:%M}" in message.subject and "(Asia/Tokyo)" in message.subject
    assert re.search(r"Confirm by .* \(your time\)", " ".join(message.body.split()))
    assert all(len(line) <= 72 or "://" in line for line in message.body.splitlines())
    assert Member.objects.get(user=tokyo).time_zone == "Asia/Tokyo"

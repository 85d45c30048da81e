"""Two members who have never met find each other: each offers times in their own zone, the
matcher pairs them, both confirm, reminders come (e-mail with a calendar file, and the list in
the app), they run the first interview and swap roles for the second."""

import email
from datetime import timedelta
from email.message import Message

import icalendar
import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from interviews.models import Interview, Participant
from partners import services, zones
from partners.models import Booking
from tests import factories
from tests.browser.conftest import log_in, shot
from tests.browser.room_steps import run_short_interview
from tests.conftest import LIVE_SERVER_MAIL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def offer_time(page, base: str, *, day: str, clock: str) -> None:
    page.goto(base + "/partners/request/")
    page.fill("input[name=day_0]", day)
    page.fill("input[name=time_0]", clock)
    page.check("input[name=roles][value=swap]")
    page.check("input[name=minutes][value='60']")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/partners/")


def server_mail_to(address: str) -> list[Message]:
    found = []
    for path in LIVE_SERVER_MAIL.glob("*.log") if LIVE_SERVER_MAIL.exists() else []:
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk.strip() + "\n")
                if message["To"] == address:
                    found.append(message)
    return found


def calendar_event(content: bytes | str) -> icalendar.Event:
    [event] = icalendar.Calendar.from_ical(content).walk("VEVENT")
    return event


def test_two_members_find_each_other_and_practise_both_roles(live_server_url, context_factory):
    factories.partner_bank()
    group = factories.cohort(name="Browser guild")
    ines = factories.member(
        cohort=group,
        zone="Europe/Berlin",
        email="ines-partners@example.org",
        name="Ines",
        password="partners-test-pass-1",
    )
    carl = factories.member(
        cohort=group,
        zone="Europe/London",
        email="carl-partners@example.org",
        name="Carl",
        password="partners-test-pass-2",
    )
    # Two days ahead, 18:00 in Berlin is 17:00 in London (one hour apart all year).
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    berlin = zones.utc_to_local(start, "Europe/Berlin")
    london = zones.utc_to_local(start, "Europe/London")
    base = live_server_url
    first = log_in(context_factory(), base, ines.email, "partners-test-pass-1")
    second = log_in(context_factory(), base, carl.email, "partners-test-pass-2")

    # Each offers the same moment in their own zone; the second offer triggers the match.
    offer_time(first, base, day=berlin.date().isoformat(), clock=berlin.strftime("%H:%M"))
    expect(first.locator("main")).to_contain_text("Looking for a partner")
    offer_time(second, base, day=london.date().isoformat(), clock=london.strftime("%H:%M"))
    booking = Booking.objects.get()
    assert booking.starts_at == start

    # Both are told by e-mail, with a tentative event in the calendar file.
    [proposal] = [m for m in server_mail_to(carl.email) if str(booking.pk) in m.as_string()]
    assert "Match proposed: Ines" in str(
        email.header.make_header(email.header.decode_header(proposal["Subject"]))
    )
    ics = next(p for p in proposal.walk() if p.get_content_type() == "text/calendar")
    assert str(calendar_event(ics.get_payload(decode=True))["STATUS"]) == "TENTATIVE"

    # Both confirm from the booking page; each sees the time in their own zone.
    for page, local, then in (
        (first, berlin, "Waiting for Carl"),
        (second, london, "Booked"),
    ):
        page.goto(base + "/partners/")
        page.click(".booking-card")
        expect(page.locator("main h1")).to_contain_text("Practice with")
        expect(page.locator(".page-head .lede")).to_contain_text(local.strftime("%H:%M"))
        page.click("[data-confirm]")
        expect(page.locator("#booking-status h2")).to_contain_text(then)
    expect(second.locator("[data-booking-status]")).to_have_text("Confirmed")
    shot(second, "partners-booking-confirmed")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED

    # Reminders, a day and a quarter of an hour before (the beat's task, on a test clock).
    with_callbacks = mail.outbox
    services.reminders_send(now=start - timedelta(hours=24))
    services.reminders_send(now=start - timedelta(minutes=15))
    reminders = [m for m in with_callbacks if m.to == [carl.email]]
    assert {m.subject.split(":")[0] for m in reminders} == {
        "[Sevensteps] Tomorrow",
        "[Sevensteps] Starting soon",
    }
    for message in reminders:
        [(_name, content, _type)] = message.attachments
        assert calendar_event(content).decoded("DTSTART") == start
    second.goto(base + "/partners/coming-up/")
    expect(second.locator(".notice-list")).to_contain_text("Starting soon: practice with Ines")
    expect(second.locator(".notice-list")).to_contain_text("Tomorrow: practice with Ines")
    shot(second, "partners-coming-up")

    # The first interview: whoever waited longer (Ines) is the candidate first.
    roles = dict(
        Participant.objects.filter(interview=booking.first_interview).values_list("user", "role")
    )
    assert roles == {ines.pk: "candidate", carl.pk: "interviewer"}
    for page in (first, second):
        page.goto(base + booking.get_absolute_url())
        page.click("[data-open-room='1']")
    run_short_interview(second, first, note="Clarify: who searches, and how fresh must it be?")

    # Back on the booking, the second interview is next; the roles swap.
    for page in (first, second):
        page.goto(base + booking.get_absolute_url())
        expect(page.locator(".booking-step.is-next")).to_contain_text("Swap roles")
    shot(first, "partners-booking-swap")
    for page in (first, second):
        page.click("[data-open-room='2']")
    run_short_interview(first, second, note="Frame: a ranking task over candidate items.")

    booking.refresh_from_db()
    statuses = Interview.objects.filter(
        pk__in=[booking.first_interview_id, booking.second_interview_id]
    ).values_list("status", flat=True)
    assert set(statuses) == {Interview.Status.WRAPUP}
    second_roles = dict(
        Participant.objects.filter(interview=booking.second_interview).values_list("user", "role")
    )
    assert second_roles == {ines.pk: "interviewer", carl.pk: "candidate"}
    assert not first.js_errors and not second.js_errors

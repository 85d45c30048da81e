"""The partner pages, per role: who may open what, what each sees, the actions behind the
buttons, that no page ever shows another member's e-mail address, and query budgets that stay
the same with 3 or 30 requests, bookings and members."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interviews import services as interview_services
from interviews.models import Interview, Score
from partners import conduct, services
from partners.models import (
    Block,
    Booking,
    InterviewerRating,
    Member,
    MisconductReport,
    Notification,
    PracticeRequest,
    Seat,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def start():
    return (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def booked(start):
    """A confirmed swap between Ada (candidate first) and Bo."""
    return factories.confirmed_booking(start=start, now=timezone.now())


def logged_in(client, user):
    client.force_login(user)
    return client


PAGES = [
    ("partners:home", {}),
    ("partners:request", {}),
    ("partners:coming_up", {}),
    ("partners:me", {}),
    ("partners:settings", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_pages_need_a_login(client, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_home_page_shows_the_request_in_the_members_time_zone(client, start):
    ada = factories.member(zone="America/New_York", cohort=factories.cohort(name="ML guild"))
    factories.partner_request(ada, starts=[start], now=timezone.now())
    html = logged_in(client, ada).get(reverse("partners:home")).content.decode()
    local = start.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}–" in html
    assert "America/New_York" in html and "ML guild" in html
    assert "Looking for a partner" in html


def test_offering_times_through_the_form_matches_two_members(
    client, start, django_capture_on_commit_callbacks
):
    factories.partner_bank()
    group = factories.cohort()
    ada, bo = factories.member(cohort=group), factories.member(cohort=group)
    factories.partner_request(bo, starts=[start], now=timezone.now())
    page = logged_in(client, ada).get(reverse("partners:request"))
    assert page.status_code == 200 and b"Find me a partner" in page.content
    local = start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partners:request"),
            {
                "roles": "swap",
                "target_level": "senior",
                "minutes": "60",
                "time_zone": "Europe/Paris",
                "day_0": local.date().isoformat(),
                "time_0": local.strftime("%H:%M"),
                "avoid_domains": ["logistics"],
            },
        )
    assert response.status_code == 302
    assert Member.objects.get(user=ada).time_zone == "Europe/Paris"
    booking = Booking.objects.get()
    assert booking.starts_at == start and booking.status == Booking.Status.PROPOSED
    assert PracticeRequest.objects.get(user=ada).avoid_domains == ["logistics"]


def test_a_bad_time_is_shown_on_its_row_and_nothing_is_saved(client):
    ada = factories.member()
    response = logged_in(client, ada).post(
        reverse("partners:request"),
        {
            "roles": "swap",
            "target_level": "senior",
            "minutes": "60",
            "time_zone": "Europe/London",
            "day_0": "2020-01-01",
            "time_0": "10:00",
        },
    )
    assert response.status_code == 200
    assert "That time has passed." in response.content.decode()
    assert not PracticeRequest.objects.exists()


def test_the_booking_page_shows_each_member_their_side(client, booked):
    ada, bo, booking = booked
    html = logged_in(client, ada).get(booking.get_absolute_url()).content.decode()
    assert "Practice with Bo Partner" in html
    assert "You are the candidate" in html and "You interview Bo Partner" in html
    # Ada sees the case she interviews on (to prepare), never the one she is asked.
    assert booking.second_case.title in html
    assert booking.first_case.title not in html
    assert "Your case is revealed when the interview starts" in html
    assert f'href="{booking.first_interview.get_absolute_url()}"' in html
    html = logged_in(client, bo).get(booking.get_absolute_url()).content.decode()
    assert booking.first_case.title in html and booking.second_case.title not in html
    assert "New: no sessions yet" in html


@pytest.mark.parametrize("who", ["stranger", "staff", "anonymous"])
def test_nobody_else_may_open_a_booking(client, booked, who):
    _ada, _bo, booking = booked
    if who != "anonymous":
        client.force_login(factories.user(staff=who == "staff"))
    response = client.get(booking.get_absolute_url())
    assert response.status_code == (302 if who == "anonymous" else 404)
    for action in ("confirm", "decline", "cancel", "block", "rematch", "release"):
        response = client.post(reverse(f"partners:{action}", args=[booking.pk]))
        assert response.status_code == (302 if who == "anonymous" else 404)
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    assert not Block.objects.exists()


def test_confirming_and_declining_through_the_page(client, start):
    ada, bo, booking = factories.proposed_booking(start=start, now=timezone.now())
    html = logged_in(client, ada).get(booking.get_absolute_url()).content.decode()
    assert "Can you make it?" in html
    assert client.get(reverse("partners:confirm", args=[booking.pk])).status_code == 405
    client.post(reverse("partners:confirm", args=[booking.pk]))
    html = client.get(booking.get_absolute_url()).content.decode()
    assert "Waiting for Bo Partner" in html and 'hx-trigger="every 20s"' in html
    # The poll gets the status partial while waiting, and a full refresh once Bo answers.
    partial = client.get(
        booking.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "booking-status"}
    )
    assert partial.content.decode().lstrip().startswith('<section id="booking-status"')
    logged_in(client, bo).post(reverse("partners:decline", args=[booking.pk]))
    assert Booking.objects.get().status == Booking.Status.DECLINED
    client.force_login(ada)
    refresh = client.get(
        booking.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "booking-status"}
    )
    assert refresh.headers["HX-Refresh"] == "true"


def test_cancelling_late_warns_first(client, start):
    ada, _bo, booking = factories.confirmed_booking(
        start=timezone.now() + timedelta(hours=5), now=timezone.now()
    )
    html = logged_in(client, ada).get(booking.get_absolute_url()).content.decode()
    assert "cancelling now counts against your reliability" in html
    client.post(reverse("partners:cancel", args=[booking.pk]))
    assert Seat.objects.get(booking=booking, user=ada).outcome == "late_cancel"


def test_blocking_and_reporting_from_the_booking_page(client, booked):
    ada, bo, booking = booked
    logged_in(client, ada)
    page = client.get(reverse("partners:report", args=[booking.pk]))
    assert page.status_code == 200 and b"Report Bo Partner" in page.content
    client.post(reverse("partners:report", args=[booking.pk]), {"text": "Shouted at me."})
    assert MisconductReport.objects.get().reported == bo
    client.post(reverse("partners:block", args=[booking.pk]))
    assert Block.objects.filter(blocker=ada, blocked=bo).exists()
    settings_page = client.get(reverse("partners:settings")).content.decode()
    assert "Bo Partner" in settings_page
    client.post(reverse("partners:unblock", args=[bo.pk]))
    assert not Block.objects.exists()


def test_the_candidate_rates_the_interviewer_from_the_page(client):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)
    url = reverse("partners:rate", args=[session.interview.pk])
    assert logged_in(client, session.interviewer).get(url).status_code == 404
    assert logged_in(client, factories.user()).get(url).status_code == 404
    page = logged_in(client, session.candidate).get(url)
    assert page.status_code == 200 and b"Rate Ines Interviewer" in page.content
    client.post(url, {"preparation": "4", "hints": "3", "fairness": "2", "note": "Well run."})
    rating = InterviewerRating.objects.get()
    assert (rating.preparation, rating.hints, rating.fairness) == (4, 3, 2)
    assert b"You rated this interview" in client.get(url).content


def test_coming_up_lists_sessions_answers_needed_and_notifications(client, start):
    ada, _bo, _booking = factories.proposed_booking(start=start, now=timezone.now())
    html = logged_in(client, ada).get(reverse("partners:coming_up")).content.decode()
    assert "Needs your answer" in html
    assert "Match proposed: Bo Partner" in html and "1 new" in html
    response = client.post(reverse("partners:notifications_read"), headers={"HX-Request": "true"})
    assert "1 new" not in response.content.decode()
    assert not Notification.objects.filter(user=ada, read_at__isnull=True).exists()


def test_the_moderation_page_is_for_moderators_only(client, booked):
    ada, bo, booking = booked
    conduct.misconduct_report(user=ada, booking_id=booking.pk, text="Abusive in chat.")
    for user in (ada, factories.user(staff=True)):
        assert logged_in(client, user).get(reverse("partners:moderation")).status_code == 403
        client.post(reverse("partners:suspend", args=[bo.pk]), {"reason": "x"})
    bo.refresh_from_db()
    assert bo.is_active
    moderator = factories.moderator()
    html = logged_in(client, moderator).get(reverse("partners:moderation")).content.decode()
    assert "Abusive in chat." in html and "Bo Partner" in html
    client.post(reverse("partners:cohort_create"), {"name": "Study group"})
    client.post(
        reverse("partners:code_create"),
        {"cohort": Member.objects.get(user=ada).cohort_id, "code": "hello-there", "max_uses": "3"},
    )
    assert b"HELLO-THERE" in client.get(reverse("partners:moderation")).content
    client.post(reverse("partners:suspend", args=[bo.pk]), {"reason": "Abuse"})
    bo.refresh_from_db()
    assert not bo.is_active


def test_settings_change_the_zone_and_a_code_joins_a_cohort(client):
    ada = factories.member()
    moderator = factories.moderator()
    group = services.cohort_create(staff=moderator, name="Bootcamp 7")
    code = services.invite_code_create(staff=moderator, cohort=group)
    logged_in(client, ada).post(
        reverse("partners:settings"), {"time_zone": "Asia/Kolkata", "match_across_cohorts": "on"}
    )
    member = Member.objects.get(user=ada)
    assert member.time_zone == "Asia/Kolkata" and member.match_across_cohorts
    client.post(reverse("partners:cohort_join"), {"code": code.code})
    assert Member.objects.get(user=ada).cohort == group
    response = client.post(reverse("partners:settings"), {"time_zone": "Nowhere/Land"})
    assert response.status_code == 200
    assert Member.objects.get(user=ada).time_zone == "Asia/Kolkata"


def test_the_interviewing_page_compares_scores_only_with_enough_candidates(client):
    interviewer = factories.member(name="Iris")
    peers = [factories.user(name=f"Candidate {n}") for n in range(3)]

    def scored(by, candidate, level):
        session = factories.finished_interview(
            interviewer=by, candidate=candidate, live_scores={}, hints=False
        )
        factories.self_assess(session)
        factories.finalise(session, level=level)
        return session

    others = factories.user(name="Other interviewer")
    for n, peer in enumerate(peers):
        scored(interviewer, peer, 3)
        scored(others, peer, 2)
        if n < 2:
            html = logged_in(client, interviewer).get(reverse("partners:me")).content.decode()
            assert "at least 3 candidates" in html
    rated = Interview.objects.filter(participants__user=peers[0]).filter(
        participants__user=interviewer
    )
    conduct.rating_submit(
        user=peers[0],
        interview_id=rated.get().pk,
        preparation=4,
        hints=3,
        fairness=2,
        note="Good prompts.",
    )
    html = logged_in(client, interviewer).get(reverse("partners:me")).content.decode()
    assert "+1.00" in html  # 3 against 2 for every candidate
    assert "Good prompts." in html and "4.0" in html
    assert Score.objects.filter(level=3).exists()
    # Nobody else sees Iris's page: /partners/me/ is always one's own.
    other_view = logged_in(client, peers[0]).get(reverse("partners:me")).content.decode()
    assert "Good prompts." not in other_view


# --- No e-mail addresses, anywhere ---------------------------------------------------------------


def test_no_page_shows_another_members_e_mail_address(client, booked, start):
    ada, bo, booking = booked
    conduct.misconduct_report(user=bo, booking_id=booking.pk, text="Late and rude.")
    conduct.block_add(user=bo, blocked_id=ada.pk)
    group = Member.objects.get(user=ada).cohort
    carla = factories.member(cohort=group, name="Carla")
    dora = factories.member(cohort=group, name="Dora")
    factories.proposed_booking(
        start=start + timedelta(days=1), now=timezone.now(), a=carla, b=dora, cohort=group
    )
    pages = [
        reverse("partners:home"),
        reverse("partners:request"),
        reverse("partners:coming_up"),
        reverse("partners:me"),
        reverse("partners:settings"),
        booking.get_absolute_url(),
        reverse("partners:report", args=[booking.pk]),
    ]
    for viewer, other in ((ada, bo), (bo, ada)):
        client.force_login(viewer)
        for url in pages:
            html = client.get(url).content.decode()
            assert other.email not in html, url
            assert viewer.email not in html, url
    moderator = factories.moderator()
    client.force_login(moderator)
    html = client.get(reverse("partners:moderation")).content.decode()
    for user in (ada, bo, carla, dora):
        assert user.email not in html


# --- Query budgets -------------------------------------------------------------------------------


def populate(viewer, n: int, start):
    """``n`` partners, each with a confirmed booking with the viewer (and its notification),
    an interview the viewer ran and was rated on, a misconduct report, and ``n`` other members
    with open requests."""
    group = Member.objects.get(user=viewer).cohort
    case = factories.partner_bank()[0]
    for k in range(n):
        partner = factories.member(cohort=group, name=f"Partner {k}")
        booking = Booking.objects.create(
            status=Booking.Status.CONFIRMED,
            kind=Booking.Kind.SWAP,
            starts_at=start + timedelta(hours=2 * k),
            minutes=60,
            expires_at=start,
            first_case=case,
            second_case=case,
        )
        Seat.objects.create(booking=booking, user=viewer, first_role="candidate", level="senior")
        Seat.objects.create(booking=booking, user=partner, first_role="interviewer", level="mid")
        Notification.objects.create(user=viewer, booking=booking, kind="confirmed")
        interview = interview_services.interview_create(
            user=viewer, case_study=case, role="interviewer", target_level="senior", peer=partner
        )
        Interview.objects.filter(pk=interview.pk).update(status="completed")
        InterviewerRating.objects.create(
            interview=interview,
            rater=partner,
            interviewer=viewer,
            preparation=3,
            hints=3,
            fairness=3,
            note=f"Note {k}",
        )
        MisconductReport.objects.create(reporter=partner, reported=viewer, text=f"Report {k}")
        other = factories.member(cohort=group, name=f"Looking {k}")
        factories.partner_request(other, starts=[start + timedelta(days=5)], now=timezone.now())
    rated = interview_services.interview_create(
        user=partner, case_study=case, role="interviewer", target_level="senior", peer=viewer
    )
    Interview.objects.filter(pk=rated.pk).update(status="completed")
    first = Booking.objects.filter(seats__user=viewer).order_by("starts_at").first()
    return first, rated


# Measured with a moderator viewing (two of these are the permission checks for the
# moderation tab, one the header's display name, two the session and the user).
# The viewer is staff (a moderator), so the menu asks for their permissions before it shows the
# curation links: two queries on every page.
BUDGETS = {
    "partners:home": 16,
    "partners:request": 12,
    "partners:coming_up": 14,
    "partners:me": 13,
    "partners:settings": 9,
    "partners:moderation": 13,
    "booking": 12,
    "report": 8,
    "rate": 9,
}


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_page_costs_do_not_grow_with_requests_bookings_and_members(
    client, start, django_assert_max_num_queries
):
    group = factories.cohort()
    counts = {}
    for n in (3, 30):
        viewer = factories.moderator(name=f"Viewer {n}")
        factories.member(viewer, cohort=group)
        factories.partner_request(viewer, starts=[start + timedelta(days=9)], now=timezone.now())
        first, rated = populate(viewer, n, start)
        client.force_login(viewer)
        for name, budget in BUDGETS.items():
            url = {
                "booking": first.get_absolute_url(),
                "report": reverse("partners:report", args=[first.pk]),
                "rate": reverse("partners:rate", args=[rated.pk]),
            }.get(name) or reverse(name)
            with django_assert_max_num_queries(budget):
                counts[(name, n)] = count_queries(client, url)
    for name in BUDGETS:
        assert counts[(name, 3)] == counts[(name, 30)], (
            name,
            counts[(name, 3)],
            counts[(name, 30)],
        )

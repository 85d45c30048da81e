"""The partner services: requests, the matcher's run, confirming, declining, expiry,
cancellation rules, no-show marking with a controlled clock, rematch, reliability and pauses,
blocks, reports and suspension, invite codes, and ratings of interviewers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interviews.models import Interview, Participant
from partners import bookings, conduct, matching, matchmaking, selectors, services
from partners.models import (
    Booking,
    InterviewerRating,
    InviteCode,
    Member,
    MisconductReport,
    Notification,
    PracticeRequest,
    Seat,
)
from tests import factories

pytestmark = pytest.mark.django_db

PartnerError = services.PartnerError


@pytest.fixture
def clock():
    """Now (on the five minutes), and a start two days later at a round hour."""
    now = matching.ceil_to_grid(timezone.now())
    start = (now + timedelta(days=2)).replace(minute=0)
    return now, start


def kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --- Requests ------------------------------------------------------------------------------------


def test_a_request_keeps_its_place_in_the_queue_when_changed(clock):
    now, start = clock
    factories.partner_bank()
    ada = factories.member()
    first = factories.partner_request(ada, starts=[start], now=now)
    changed = factories.partner_request(
        ada, starts=[start + timedelta(hours=3), start], minutes=90, now=now
    )
    assert changed.pk == first.pk
    assert changed.created_at == first.created_at
    assert changed.revision == first.revision + 1
    assert [s.starts_at for s in changed.slots.all()] == [start, start + timedelta(hours=3)]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=90) for s in changed.slots.all())
    assert PracticeRequest.objects.filter(user=ada).count() == 1


@pytest.mark.parametrize(
    ("offsets", "minutes", "message"),
    [
        ([-1], 60, "has passed"),
        ([0, 0.5], 60, "overlap"),
        ([0, 1], 90, "overlap"),
        ([24 * 61], 60, "within the next 60 days"),
        ([], 60, "at least one"),
        (list(range(9)), 60, "at most 8"),
    ],
)
def test_bad_times_are_refused_and_nothing_is_saved(clock, offsets, minutes, message):
    now, start = clock
    ada = factories.member()
    starts = [start + timedelta(hours=h) if h >= 0 else now - timedelta(hours=1) for h in offsets]
    with pytest.raises(PartnerError, match=message):
        factories.partner_request(ada, starts=starts, minutes=minutes, now=now)
    assert not PracticeRequest.objects.filter(user=ada).exists()


def test_a_session_length_other_than_60_or_90_is_refused(clock):
    now, start = clock
    with pytest.raises(PartnerError, match="60 or 90"):
        factories.partner_request(factories.member(), starts=[start], minutes=45, now=now)


def test_an_instance_that_requires_codes_refuses_requests_from_members_without_a_cohort(
    clock, settings
):
    now, start = clock
    settings.INVITE_CODE_REQUIRED = True
    with pytest.raises(PartnerError, match="invite code"):
        factories.partner_request(factories.member(), starts=[start], now=now)
    factories.partner_request(factories.member(cohort=factories.cohort()), starts=[start], now=now)


def test_a_request_cannot_change_while_a_match_is_proposed(clock):
    now, start = clock
    a, _b, _booking = factories.proposed_booking(start=start, now=now)
    with pytest.raises(PartnerError, match="proposed match"):
        factories.partner_request(a, starts=[start + timedelta(hours=5)], now=now)


# --- Matching ------------------------------------------------------------------------------------


def test_the_matcher_proposes_a_booking_and_tells_both(clock):
    now, start = clock
    a, b, booking = factories.proposed_booking(start=start, now=now)
    assert booking.status == Booking.Status.PROPOSED
    assert booking.kind == Booking.Kind.SWAP
    assert booking.starts_at == start and booking.minutes == 60
    assert booking.expires_at == now + timedelta(hours=12)
    assert booking.first_case_id != booking.second_case_id
    seats = {s.user_id: s for s in booking.seats.all()}
    assert seats[a.pk].first_role == "candidate"  # Ada waited longer
    assert seats[b.pk].first_role == "interviewer"
    assert set(PracticeRequest.objects.values_list("status", flat=True)) == {"matched"}
    assert kinds(a) == kinds(b) == ["proposed"]
    assert booking.events.filter(kind="proposed").exists()


def test_running_the_matcher_again_proposes_nothing_more(clock):
    now, start = clock
    factories.proposed_booking(start=start, now=now)
    assert matchmaking.requests_match(now=now) == []
    assert Booking.objects.count() == 1


def test_a_request_changed_after_the_matcher_read_it_is_not_claimed(clock, monkeypatch):
    now, start = clock
    factories.partner_bank()
    group = factories.cohort()
    a, b = factories.member(cohort=group), factories.member(cohort=group)
    factories.partner_request(a, starts=[start], now=now)
    factories.partner_request(b, starts=[start], now=now)
    read = selectors.matching_pool

    def pool_then_edit(**kwargs):
        pool = read(**kwargs)
        factories.partner_request(b, starts=[start + timedelta(hours=4)], now=now)
        return pool

    monkeypatch.setattr(selectors, "matching_pool", pool_then_edit)
    assert matchmaking.requests_match(now=now) == []
    assert set(PracticeRequest.objects.values_list("status", flat=True)) == {"open"}


def test_members_of_different_cohorts_meet_only_if_both_opt_in(clock):
    now, start = clock
    factories.partner_bank()
    a = factories.member(cohort=factories.cohort(), across=True)
    b = factories.member(cohort=factories.cohort())
    factories.partner_request(a, starts=[start], now=now)
    factories.partner_request(b, starts=[start], now=now)
    assert matchmaking.requests_match(now=now) == []
    Member.objects.filter(user=b).update(match_across_cohorts=True)
    assert len(matchmaking.requests_match(now=now)) == 1


def test_paused_suspended_and_inactive_members_are_not_matched(clock):
    now, start = clock
    factories.partner_bank()
    group = factories.cohort()
    a, b = factories.member(cohort=group), factories.member(cohort=group)
    factories.partner_request(a, starts=[start], now=now)
    factories.partner_request(b, starts=[start], now=now)
    Member.objects.filter(user=b).update(paused_until=now + timedelta(days=1))
    assert matchmaking.requests_match(now=now) == []
    Member.objects.filter(user=b).update(paused_until=None, suspended_at=now)
    assert matchmaking.requests_match(now=now) == []
    Member.objects.filter(user=b).update(suspended_at=None)
    assert len(matchmaking.requests_match(now=now)) == 1


def test_requests_whose_times_have_all_passed_lapse(clock):
    now, _start = clock
    ada = factories.member()
    factories.partner_request(ada, starts=[now + timedelta(hours=2)], now=now)
    matchmaking.requests_match(now=now + timedelta(hours=3))
    assert PracticeRequest.objects.get(user=ada).status == PracticeRequest.Status.LAPSED


# --- Confirming ----------------------------------------------------------------------------------


def test_when_both_confirm_two_interviews_are_made_back_to_back_one_per_direction(clock):
    now, start = clock
    a, b, booking = factories.proposed_booking(start=start, now=now)
    bookings.booking_confirm(user=a, booking_id=booking.pk, now=now)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PROPOSED and booking.first_interview is None
    bookings.booking_confirm(user=b, booking_id=booking.pk, now=now)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    first, second = booking.first_interview, booking.second_interview
    roles = lambda interview: dict(  # noqa: E731
        Participant.objects.filter(interview=interview).values_list("user_id", "role")
    )
    assert roles(first) == {a.pk: "candidate", b.pk: "interviewer"}
    assert roles(second) == {a.pk: "interviewer", b.pk: "candidate"}
    assert first.case_study_id == booking.first_case_id != second.case_study_id
    assert first.status == second.status == Interview.Status.SCHEDULED
    assert not hasattr(first, "invite") or first.invite is None
    assert set(PracticeRequest.objects.values_list("status", flat=True)) == {"booked"}
    assert kinds(a) == kinds(b) == ["confirmed", "proposed"]
    # Confirming again changes nothing.
    bookings.booking_confirm(user=a, booking_id=booking.pk, now=now)
    assert Interview.objects.count() == 2


def test_a_candidate_and_an_interviewer_get_one_interview_at_the_candidates_level(clock):
    now, start = clock
    _a, b, booking = factories.confirmed_booking(
        start=start, now=now, roles=("interviewer", "candidate"), levels=("senior", "staff")
    )
    assert booking.kind == Booking.Kind.SINGLE and booking.second_interview is None
    interview = booking.first_interview
    assert interview.target_level == "staff"
    assert Participant.objects.get(interview=interview, role="candidate").user == b


def test_only_the_two_members_may_confirm_and_not_after_the_deadline(clock):
    now, start = clock
    a, _b, booking = factories.proposed_booking(start=start, now=now)
    with pytest.raises(PartnerError, match="no such booking"):
        bookings.booking_confirm(user=factories.user(), booking_id=booking.pk, now=now)
    with pytest.raises(PartnerError, match="expired"):
        bookings.booking_confirm(user=a, booking_id=booking.pk, now=booking.expires_at)


def test_declining_returns_both_to_the_pool_and_they_are_not_proposed_again_at_once(clock):
    now, start = clock
    a, b, booking = factories.proposed_booking(start=start, now=now)
    waiting = dict(PracticeRequest.objects.values_list("user_id", "created_at"))
    bookings.booking_decline(user=b, booking_id=booking.pk, now=now)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    assert set(PracticeRequest.objects.values_list("status", flat=True)) == {"open"}
    assert dict(PracticeRequest.objects.values_list("user_id", "created_at")) == waiting
    assert kinds(a) == ["declined", "proposed"] and kinds(b) == ["proposed"]
    assert set(Seat.objects.values_list("outcome", flat=True)) == {"excused"}
    assert matchmaking.requests_match(now=now) == []  # not the same pair twice in a row
    carla = factories.member(cohort=Member.objects.get(user=a).cohort)
    factories.partner_request(carla, starts=[start], now=now)
    [again] = matchmaking.requests_match(now=now)
    assert carla.pk in {s.user_id for s in again.seats.all()}


def test_an_unconfirmed_match_expires_and_both_return_to_the_pool(clock):
    now, start = clock
    a, b, booking = factories.proposed_booking(start=start, now=now)
    bookings.booking_confirm(user=a, booking_id=booking.pk, now=now)
    assert bookings.proposals_expire(now=booking.expires_at - timedelta(seconds=1)) == []
    assert bookings.proposals_expire(now=booking.expires_at) == [booking.pk]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert set(PracticeRequest.objects.values_list("status", flat=True)) == {"open"}
    assert "expired" in kinds(a) and "expired" in kinds(b)
    assert bookings.proposals_expire(now=booking.expires_at) == []


# --- Cancelling ----------------------------------------------------------------------------------


def test_cancelling_early_counts_against_nobody_and_returns_the_partner_to_the_pool(clock):
    now, start = clock
    a, b, booking = factories.confirmed_booking(start=start, now=now)
    bookings.booking_cancel(user=a, booking_id=booking.pk, now=start - timedelta(hours=13))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert set(Seat.objects.values_list("outcome", flat=True)) == {"excused"}
    assert PracticeRequest.objects.get(user=b).status == PracticeRequest.Status.OPEN
    assert PracticeRequest.objects.get(user=a).status == PracticeRequest.Status.BOOKED
    assert {i.status for i in Interview.objects.all()} == {Interview.Status.ABANDONED}
    assert "cancelled" in kinds(b) and "cancelled" not in kinds(a)
    assert selectors.reliability_of(user_ids=[a.pk])[a.pk].counted == 0


def test_cancelling_late_counts_against_the_canceller(clock):
    now, start = clock
    a, b, booking = factories.confirmed_booking(start=start, now=now)
    bookings.booking_cancel(user=a, booking_id=booking.pk, now=start - timedelta(hours=11))
    outcomes = dict(Seat.objects.values_list("user_id", "outcome"))
    assert outcomes == {a.pk: "late_cancel", b.pk: "excused"}
    reliability = selectors.reliability_of(user_ids=[a.pk, b.pk])
    assert (reliability[a.pk].attended, reliability[a.pk].counted) == (0, 1)
    assert reliability[b.pk].counted == 0


def test_a_session_that_has_started_cannot_be_cancelled(clock):
    now, start = clock
    a, _b, booking = factories.confirmed_booking(start=start, now=now)
    with pytest.raises(PartnerError, match="has started"):
        bookings.booking_cancel(user=a, booking_id=booking.pk, now=start)


# --- No-shows, rematch, reliability, pauses ------------------------------------------------------


@pytest.fixture
def soon():
    """A booking time five to ten minutes from now (the room's presence uses the real clock),
    and when the match was made: two days before."""
    start = matching.ceil_to_grid(timezone.now()) + timedelta(minutes=5)
    return start - timedelta(days=2), start


def join(user, booking):
    factories.room_presence(user, booking.first_interview_id)


def test_no_shows_are_marked_ten_minutes_after_the_start_and_not_before(soon):
    matched_at, start = soon
    a, b, booking = factories.confirmed_booking(start=start, now=matched_at)
    join(a, booking)
    assert bookings.no_shows_mark(now=start + timedelta(minutes=9)) == {
        "held": [],
        "no_show": [],
        "missed": [],
    }
    outcome = bookings.no_shows_mark(now=start + timedelta(minutes=10))
    assert outcome["no_show"] == [booking.pk]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW
    assert dict(Seat.objects.values_list("user_id", "outcome")) == {
        a.pk: "attended",
        b.pk: "no_show",
    }
    assert "no_show" in kinds(a) and "missed" in kinds(b)
    assert {i.status for i in Interview.objects.all()} == {Interview.Status.ABANDONED}
    # Marking again finds nothing to do.
    assert bookings.no_shows_mark(now=start + timedelta(minutes=20))["no_show"] == []


def test_a_session_both_joined_is_held_and_one_nobody_joined_is_missed(soon):
    matched_at, start = soon
    a, b, held = factories.confirmed_booking(start=start, now=matched_at)
    join(a, held)
    join(b, held)
    later = start + timedelta(hours=3)
    c, _d, missed = factories.confirmed_booking(start=later, now=matched_at)
    assert bookings.no_shows_mark(now=start + timedelta(minutes=10))["held"] == [held.pk]
    assert bookings.no_shows_mark(now=later + timedelta(minutes=10))["missed"] == [missed.pk]
    reliability = selectors.reliability_of(user_ids=[a.pk, c.pk])
    assert reliability[a.pk].label == "100%: came to 1 of 1 session"
    assert reliability[c.pk].percent == 0


def test_presence_long_before_the_start_does_not_count(soon):
    matched_at, start = soon
    a, b, booking = factories.confirmed_booking(start=start, now=matched_at)
    join(a, booking)
    # Bea looked in two hours early and left.
    factories.room_presence(b, booking.first_interview_id, at=start - timedelta(hours=2))
    factories.room_presence(
        b,
        booking.first_interview_id,
        kind="offline",
        at=start - timedelta(hours=2) + timedelta(minutes=3),
    )
    assert bookings.no_shows_mark(now=start + timedelta(minutes=10))["no_show"] == [booking.pk]


def test_someone_who_came_early_and_stayed_is_present(soon):
    matched_at, start = soon
    a, b, booking = factories.confirmed_booking(start=start, now=matched_at)
    for user in (a, b):
        # Both opened the room an hour early and have not left.
        factories.room_presence(user, booking.first_interview_id, at=start - timedelta(hours=1))
    assert bookings.no_shows_mark(now=start + timedelta(minutes=10))["held"] == [booking.pk]


def test_reliability_counts_the_last_sessions_only(settings, clock):
    now, _start = clock
    settings.RELIABILITY_WINDOW = 3
    group = factories.cohort()
    ada = factories.member(cohort=group)
    outcomes = ["no_show", "no_show", "attended", "late_cancel", "attended", "excused"]
    for n, outcome in enumerate(outcomes):
        _a, _b, booking = factories.proposed_booking(
            start=now + timedelta(days=3 + n), now=now, a=ada, cohort=group
        )
        Seat.objects.filter(booking=booking, user=ada).update(outcome=outcome)
        Booking.objects.filter(pk=booking.pk).update(status="held")
        PracticeRequest.objects.filter(user=ada).update(status="booked")
    reliability = selectors.reliability_of(user_ids=[ada.pk])[ada.pk]
    # The last three that count: attended, late cancel, attended (excused is not counted).
    assert (reliability.attended, reliability.counted) == (2, 3)
    assert reliability.percent == 67 and reliability.tone == "bad"


def test_repeated_no_shows_pause_matching_for_a_while(soon, settings):
    matched_at, start = soon
    settings.NO_SHOW_PAUSE_AFTER = 2
    group = factories.cohort()
    absent = factories.member(cohort=group, name="Absent")
    for n in range(2):
        begins = start + timedelta(hours=3 * n)
        _a, _b, booking = factories.confirmed_booking(
            start=begins, now=matched_at, b=absent, cohort=group
        )
        join(booking.seats.exclude(user=absent).get().user, booking)
        bookings.no_shows_mark(now=begins + timedelta(minutes=10))
        member = Member.objects.get(user=absent)
        assert (member.paused_until is not None) == (n == 1)
    when = start + timedelta(hours=3, minutes=10)
    assert member.paused_until == when + timedelta(days=7)
    factories.partner_request(absent, starts=[when + timedelta(days=9)], now=when)
    other = factories.member(cohort=group)
    factories.partner_request(other, starts=[when + timedelta(days=9)], now=when)
    assert matchmaking.requests_match(now=when) == []  # paused
    assert len(matchmaking.requests_match(now=when + timedelta(days=7, minutes=1))) == 1
    assert "pauses matching for 7 days" in selectors.pause_rule()


def test_the_present_member_is_offered_a_rematch_with_someone_free_now(soon):
    matched_at, start = soon
    a, b, booking = factories.confirmed_booking(start=start, now=matched_at)
    join(a, booking)
    marked = start + timedelta(minutes=10)
    bookings.no_shows_mark(now=marked)
    group = Member.objects.get(user=a).cohort
    # Carla is free from a quarter of an hour before until after the slot's end.
    carla = factories.member(cohort=group, name="Carla")
    factories.partner_request(
        carla, starts=[start - timedelta(minutes=15)], minutes=90, now=matched_at
    )
    # Dan is free later only.
    dan = factories.member(cohort=group, name="Dan")
    factories.partner_request(dan, starts=[start + timedelta(hours=2)], now=matched_at)
    with pytest.raises(PartnerError, match="partner did not come"):
        bookings.rematch_find(user=b, booking_id=booking.pk, now=marked)
    rematch = bookings.rematch_find(user=a, booking_id=booking.pk, now=marked)
    assert rematch is not None and rematch.rematch_of_id == booking.pk
    assert {s.user_id for s in rematch.seats.all()} == {a.pk, carla.pk}
    assert rematch.starts_at == matching.ceil_to_grid(marked)
    assert rematch.starts_at + timedelta(minutes=rematch.minutes) == start + timedelta(hours=1)
    assert rematch.expires_at == marked + timedelta(minutes=10)
    assert kinds(carla) == ["proposed"]
    # Asking again gives the same proposal; Carla confirms and the room is ready.
    assert bookings.rematch_find(user=a, booking_id=booking.pk, now=marked) == rematch
    bookings.booking_confirm(user=carla, booking_id=rematch.pk, now=marked)
    rematch.refresh_from_db()
    assert rematch.status == Booking.Status.CONFIRMED and rematch.first_interview is not None


def test_without_anyone_free_there_is_no_rematch_and_the_slot_can_be_released(soon):
    matched_at, start = soon
    a, _b, booking = factories.confirmed_booking(start=start, now=matched_at)
    join(a, booking)
    marked = start + timedelta(minutes=10)
    bookings.no_shows_mark(now=marked)
    assert bookings.rematch_find(user=a, booking_id=booking.pk, now=marked) is None
    assert booking.events.filter(kind="rematch.none").exists()
    assert bookings.booking_release(user=a, booking_id=booking.pk, now=marked) is False
    assert PracticeRequest.objects.get(user=a).status == PracticeRequest.Status.LAPSED


# --- Blocks, reports, suspension -----------------------------------------------------------------


def test_blocking_cancels_upcoming_sessions_and_the_two_never_meet_again(clock):
    now, start = clock
    a, b, booking = factories.confirmed_booking(start=start, now=now)
    conduct.block_add(user=a, blocked_id=b.pk, now=now)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert set(Seat.objects.values_list("outcome", flat=True)) == {"excused"}
    assert PracticeRequest.objects.get(user=b).status == PracticeRequest.Status.OPEN
    factories.partner_request(a, starts=[start + timedelta(days=1)], now=now)
    factories.partner_request(b, starts=[start + timedelta(days=1)], now=now)
    # Not even after someone else came between them.
    Seat.objects.all().delete()
    assert matchmaking.requests_match(now=now) == []


def test_only_a_past_or_present_partner_can_be_blocked(clock):
    ada = factories.member()
    with pytest.raises(PartnerError, match="matched or practised"):
        conduct.block_add(user=ada, blocked_id=factories.user().pk)
    with pytest.raises(PartnerError, match="yourself"):
        conduct.block_add(user=ada, blocked_id=ada.pk)


def test_a_report_reaches_the_moderators_who_may_suspend_the_account(clock, client):
    now, start = clock
    a, b, booking = factories.confirmed_booking(start=start, now=now)
    report = conduct.misconduct_report(user=a, booking_id=booking.pk, text="Rude and abusive.")
    assert report.reported == b and report.status == MisconductReport.Status.OPEN
    with pytest.raises(PartnerError, match="moderators"):
        conduct.member_suspend(staff=a, user_id=b.pk, reason="no")
    moderator = factories.moderator()
    conduct.report_review(staff=moderator, report_id=report.pk, note="Seen.")
    conduct.member_suspend(staff=moderator, user_id=b.pk, reason="Abuse", now=now)
    b.refresh_from_db()
    assert not b.is_active
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert PracticeRequest.objects.get(user=a).status == PracticeRequest.Status.OPEN
    assert PracticeRequest.objects.get(user=b).status == PracticeRequest.Status.BOOKED
    assert "cancelled" in kinds(a)
    assert not client.login(email=b.email, password=factories.PASSWORD)
    assert not client.login(username=b.username, password=factories.PASSWORD)
    conduct.member_unsuspend(staff=moderator, user_id=b.pk)
    b.refresh_from_db()
    assert b.is_active and Member.objects.get(user=b).suspended_at is None


def test_a_report_needs_a_booking_with_the_member():
    stranger = factories.member()
    _a, _b, booking = factories.proposed_booking(
        start=timezone.now() + timedelta(days=2), now=timezone.now()
    )
    with pytest.raises(PartnerError, match="no such booking"):
        conduct.misconduct_report(user=stranger, booking_id=booking.pk, text="Hm.")


# --- Invite codes --------------------------------------------------------------------------------


def test_an_invite_code_admits_as_many_as_it_says(clock):
    _now, _start = clock
    moderator = factories.moderator()
    group = services.cohort_create(staff=moderator, name="ML guild")
    code = services.invite_code_create(staff=moderator, cohort=group, max_uses=2)
    assert code.code.startswith("MLGUILD-")
    first, second, third = factories.user(), factories.user(), factories.user()
    assert services.invite_code_redeem(user=first, code=code.code.lower()) == group
    services.invite_code_redeem(user=second, code=f" {code.code} ")
    with pytest.raises(PartnerError):
        services.invite_code_redeem(user=third, code=code.code)
    assert InviteCode.objects.get(pk=code.pk).uses == 2
    assert Member.objects.get(user=second).cohort == group
    assert not Member.objects.filter(user=third, cohort=group).exists()


def test_expired_and_turned_off_codes_do_not_work(clock):
    _now, _start = clock
    moderator = factories.moderator()
    group = services.cohort_create(staff=moderator, name="Bootcamp")
    old = services.invite_code_create(
        staff=moderator, cohort=group, expires_at=timezone.now() - timedelta(minutes=1)
    )
    off = services.invite_code_create(staff=moderator, cohort=group, code="turned off")
    services.invite_code_deactivate(staff=moderator, code_id=off.pk)
    for code in (old.code, "TURNEDOFF", "NO-SUCH-CODE"):
        with pytest.raises(PartnerError, match="not valid"):
            services.invite_code_redeem(user=factories.user(), code=code)
    with pytest.raises(PartnerError, match="exists already"):
        services.invite_code_create(staff=moderator, cohort=group, code="turnedoff")


# --- Rating the interviewer ----------------------------------------------------------------------


def test_the_candidate_rates_the_interviewer_once_the_interview_is_complete():
    session = factories.finished_interview()
    with pytest.raises(PartnerError, match="once the interview is complete"):
        conduct.rating_submit(
            user=session.candidate,
            interview_id=session.interview.pk,
            preparation=3,
            hints=3,
            fairness=3,
        )
    factories.self_assess(session)
    factories.finalise(session)
    with pytest.raises(PartnerError, match="Only the candidate"):
        conduct.rating_submit(
            user=session.interviewer,
            interview_id=session.interview.pk,
            preparation=3,
            hints=3,
            fairness=3,
        )
    with pytest.raises(PartnerError, match="1, 2, 3 or 4"):
        conduct.rating_submit(
            user=session.candidate,
            interview_id=session.interview.pk,
            preparation=5,
            hints=3,
            fairness=3,
        )
    rating = conduct.rating_submit(
        user=session.candidate,
        interview_id=session.interview.pk,
        preparation=4,
        hints=2,
        fairness=3,
        note="  Clear hints on data, but the clock ran over.  ",
    )
    assert rating.interviewer == session.interviewer and rating.note.startswith("Clear")
    with pytest.raises(PartnerError, match="already"):
        conduct.rating_submit(
            user=session.candidate,
            interview_id=session.interview.pk,
            preparation=1,
            hints=1,
            fairness=1,
        )
    with pytest.raises(PartnerError, match="no such interview"):
        conduct.rating_submit(
            user=factories.user(),
            interview_id=session.interview.pk,
            preparation=1,
            hints=1,
            fairness=1,
        )
    assert InterviewerRating.objects.count() == 1

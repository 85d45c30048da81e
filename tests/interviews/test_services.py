"""Services of the live room: creating, joining, the flow, documents, chat, hints, scores, and
the one access-checked getter. Saved state and timeline rows are what is asserted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interviews import bus, selectors, services
from interviews.models import Event, Interview
from tests import factories

pytestmark = pytest.mark.django_db


def codes(exc_info) -> str:
    return exc_info.value.code


# --- Creating and joining -------------------------------------------------------------------------


def test_creating_an_interview_makes_the_creator_a_participant_and_an_invite_for_the_peer(case):
    user = factories.user()
    interview = services.interview_create(
        user=user, case_study=case, role="candidate", target_level="staff"
    )
    assert interview.status == "scheduled"
    assert interview.case_version == case.version
    assert interview.rubric.slug == "default"
    assert list(interview.participants.values_list("user_id", "role")) == [(user.pk, "candidate")]
    assert interview.invite.role == "interviewer"
    assert len(interview.invite.token) >= 40
    assert interview.invite.expires_at > timezone.now() + timedelta(hours=1)
    assert Event.objects.get(interview=interview).kind == "created"


def test_a_solo_drill_has_no_invite_and_the_user_is_the_candidate(case):
    user = factories.user()
    drill = services.interview_create(
        user=user, case_study=case, role="interviewer", target_level="mid", kind="solo"
    )
    assert drill.participants.get().role == "candidate"
    assert (
        not hasattr(drill, "invite")
        or not Interview.objects.filter(invite__isnull=False, pk=drill.pk).exists()
    )


def test_a_draft_case_study_cannot_be_interviewed_on(case):
    draft = factories.case_study(status="draft", complete=False)
    with pytest.raises(services.ServiceError):
        services.interview_create(
            user=factories.user(), case_study=draft, role="candidate", target_level="mid"
        )


def test_surprise_me_picks_a_published_case_the_user_has_not_practised(case):
    other = factories.case_study(slug="fraud")
    user = factories.user()
    practised = services.interview_create(
        user=user, case_study=case, role="candidate", target_level="mid", kind="solo"
    )
    services.interview_start(actor=services.Actor(user, practised.pk, "candidate", True))
    for _ in range(5):
        chosen = services.interview_create(
            user=user, case_study=None, role="candidate", target_level="mid", kind="solo"
        )
        assert chosen.case_study == other
        # One unfinished session per case and candidate (the guide rule): give it up.
        services.interview_abandon(user=user, interview=chosen, role="candidate")


def test_the_invite_joins_the_peer_in_the_other_role(peer):
    roles = dict(peer.interview.participants.values_list("user_id", "role"))
    assert roles == {peer.interviewer.pk: "interviewer", peer.candidate.pk: "candidate"}
    peer.interview.invite.refresh_from_db()
    assert peer.interview.invite.accepted_by == peer.candidate
    assert Event.objects.filter(interview=peer.interview, kind="joined").count() == 1


def test_an_invite_works_once(peer):
    with pytest.raises(services.InviteError, match="already been used"):
        services.invite_accept(user=peer.outsider, token=peer.interview.invite.token)
    assert peer.interview.participants.count() == 2


def test_opening_the_link_again_after_joining_goes_back_in(peer):
    again = services.invite_accept(user=peer.candidate, token=peer.interview.invite.token)
    assert again == peer.interview


def test_a_user_cannot_interview_themselves(case):
    user = factories.user()
    interview = services.interview_create(
        user=user, case_study=case, role="candidate", target_level="mid"
    )
    with pytest.raises(services.InviteError, match="yourself"):
        services.invite_accept(user=user, token=interview.invite.token)


def test_an_expired_invite_is_refused(case):
    interview = services.interview_create(
        user=factories.user(), case_study=case, role="candidate", target_level="mid"
    )
    interview.invite.expires_at = timezone.now() - timedelta(seconds=1)
    interview.invite.save()
    with pytest.raises(services.InviteError, match="expired"):
        services.invite_accept(user=factories.user(), token=interview.invite.token)


def test_an_unknown_token_is_refused():
    with pytest.raises(services.InviteError, match="not valid"):
        services.invite_accept(user=factories.user(), token="made-up")


def test_renewing_the_link_kills_the_old_one(case):
    creator = factories.user()
    interview = services.interview_create(
        user=creator, case_study=case, role="candidate", target_level="mid"
    )
    old = interview.invite.token
    new = services.invite_renew(user=creator, interview=interview, role="interviewer").token
    assert new != old
    with pytest.raises(services.InviteError):
        services.invite_accept(user=factories.user(), token=old)
    services.invite_accept(user=factories.user(), token=new)


# --- The access getter ----------------------------------------------------------------------------


def test_participants_get_their_role(peer):
    for who in ("interviewer", "candidate"):
        access = selectors.interview_get_for_user(
            user=getattr(peer, who), interview_id=peer.interview.pk
        )
        assert access.role == who
        assert access.interview == peer.interview


def test_another_user_gets_nothing(peer):
    with pytest.raises(Interview.DoesNotExist):
        selectors.interview_get_for_user(user=peer.outsider, interview_id=peer.interview.pk)


def test_staff_get_nothing_and_reviewers_read_access_only_where_allowed(peer):
    curator = factories.user(staff=True)
    reviewer = factories.reviewer()
    for user in (curator, reviewer):
        with pytest.raises(Interview.DoesNotExist):
            selectors.interview_get_for_user(user=user, interview_id=peer.interview.pk)
    with pytest.raises(Interview.DoesNotExist):
        selectors.interview_get_for_user(
            user=curator, interview_id=peer.interview.pk, allow_reviewer=True
        )
    access = selectors.interview_get_for_user(
        user=reviewer, interview_id=peer.interview.pk, allow_reviewer=True
    )
    assert access.role == "reviewer" and not access.is_participant


def test_anonymous_and_malformed_ids_get_nothing(peer):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Interview.DoesNotExist):
        selectors.interview_get_for_user(user=AnonymousUser(), interview_id=peer.interview.pk)
    with pytest.raises(Interview.DoesNotExist):
        selectors.interview_get_for_user(user=peer.interviewer, interview_id="not-a-uuid")


def test_the_access_getter_is_one_query(peer, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.interview_get_for_user(user=peer.interviewer, interview_id=peer.interview.pk)


# --- The flow -------------------------------------------------------------------------------------


def test_starting_needs_both_people(case):
    creator = factories.user()
    interview = services.interview_create(
        user=creator, case_study=case, role="interviewer", target_level="mid"
    )
    with pytest.raises(services.ServiceError, match="Wait for your peer") as refused:
        services.interview_start(actor=services.Actor(creator, interview.pk, "interviewer", False))
    assert codes(refused) == "invalid_state"


def test_the_candidate_cannot_start(peer):
    with pytest.raises(services.ServiceError) as refused:
        services.interview_start(actor=peer.actor("candidate"))
    assert codes(refused) == "forbidden"
    assert peer.refresh().status == "scheduled"


def test_start_goes_live_and_runs_the_clock(live):
    interview = live.interview
    assert interview.status == "live"
    assert interview.started_at and interview.clock_started_at
    event = Event.objects.filter(interview=interview, kind="status").get()
    assert (event.data["old"], event.data["new"], event.actor) == (
        "scheduled",
        "live",
        live.interviewer,
    )


def test_starting_twice_is_refused(live):
    with pytest.raises(services.ServiceError) as refused:
        services.interview_start(actor=live.actor("interviewer"))
    assert codes(refused) == "invalid_state"


def test_next_step_banks_the_time_and_records_the_move(live):
    Interview.objects.filter(pk=live.interview.pk).update(
        clock_started_at=timezone.now() - timedelta(seconds=90)
    )
    services.step_move(actor=live.actor("interviewer"), from_key="clarify", to_key="frame")
    interview = live.refresh()
    assert interview.step_index == 1
    assert 89 <= interview.elapsed["clarify"] <= 95
    event = Event.objects.filter(interview=interview, kind="step").get()
    assert (event.data["old"], event.data["new"], event.step_key) == ("clarify", "frame", "frame")


def test_a_double_click_moves_once(live):
    actor = live.actor("interviewer")
    services.step_move(actor=actor, from_key="clarify", to_key="frame")
    with pytest.raises(services.ServiceError) as refused:
        services.step_move(actor=actor, from_key="clarify", to_key="frame")
    assert codes(refused) == "stale"
    assert live.refresh().step_index == 1
    assert Event.objects.filter(interview=live.interview, kind="step").count() == 1


def test_skipping_steps_is_refused(live):
    with pytest.raises(services.ServiceError) as refused:
        services.step_move(actor=live.actor("interviewer"), from_key="clarify", to_key="model")
    assert codes(refused) == "invalid_step"


def test_the_candidate_cannot_move_steps(live):
    with pytest.raises(services.ServiceError) as refused:
        services.step_move(actor=live.actor("candidate"), from_key="clarify", to_key="frame")
    assert codes(refused) == "forbidden"


def test_pause_stops_the_clock_and_resume_restarts_it(live):
    actor = live.actor("interviewer")
    services.clock_pause(actor=actor)
    interview = live.refresh()
    assert interview.paused and interview.clock_started_at is None
    assert "clarify" in interview.elapsed
    with pytest.raises(services.ServiceError) as refused:
        services.step_move(actor=actor, from_key="clarify", to_key="frame")
    assert codes(refused) == "invalid_state"
    with pytest.raises(services.ServiceError):
        services.clock_pause(actor=actor)
    services.clock_resume(actor=actor)
    interview = live.refresh()
    assert not interview.paused and interview.clock_started_at is not None
    kinds = list(Event.objects.filter(interview=interview).values_list("kind", flat=True))
    assert kinds[-2:] == ["paused", "resumed"]


def test_ending_moves_to_wrapup_and_stops_the_clock(live):
    services.interview_end(actor=live.actor("interviewer"))
    interview = live.refresh()
    assert interview.status == "wrapup"
    assert interview.ended_at is not None and interview.clock_started_at is None
    with pytest.raises(services.ServiceError):
        services.step_move(actor=live.actor("interviewer"), from_key="clarify", to_key="frame")


def test_abandoning_is_final(peer):
    services.interview_abandon(user=peer.candidate, interview=peer.interview, role="candidate")
    assert peer.refresh().status == "abandoned"
    with pytest.raises(services.ServiceError):
        services.interview_start(actor=peer.actor("interviewer"))


# --- Announcing, after commit ---------------------------------------------------------------------
# Documents, chat, hints and scores are the room's own (tests/interviews/test_consumers.py); what
# pages and tasks change is announced on the bus once committed.


def test_services_announce_only_after_commit(live, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.step_move(actor=live.actor("interviewer"), from_key="clarify", to_key="frame")
    assert len(callbacks) == 1


def test_a_refused_change_announces_nothing(live, django_capture_on_commit_callbacks):
    with (
        pytest.raises(services.ServiceError),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        services.step_move(actor=live.actor("interviewer"), from_key="clarify", to_key="model")
    assert callbacks == []


def test_the_room_is_told_exactly_what_changed(live, django_capture_on_commit_callbacks):
    """Through the real bus (Redis pub/sub): what a room hosting this interview would hear."""
    import orjson
    import redis
    from django.conf import settings

    listener = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    listener.subscribe(bus.channel(live.interview.pk))
    assert listener.get_message(timeout=3)["type"] == "subscribe"  # listening before it changes
    with django_capture_on_commit_callbacks(execute=True):
        services.clock_pause(actor=live.actor("interviewer"))
    message = listener.get_message(timeout=3)
    listener.close()
    assert message is not None
    announced = orjson.loads(message["data"])
    assert announced["kind"] == "state"
    assert announced["paused"] is True and announced["clock_started_at"] is None

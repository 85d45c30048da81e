"""After the interview: the candidate's blind self-assessment, the interviewer's scorecard,
completion, and the wrap-up page for each role."""

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import services as feedback_services
from interviews import services, writebehind
from interviews.models import Assessment, Event, Interview, Mark, Report, Score
from tests import factories

pytestmark = pytest.mark.django_db

SECRET_EVIDENCE = "Interviewer-only evidence: hesitated on the metric"
SECRET_STRENGTH = "Interviewer-only strength: crisp problem framing"


def wrapup_url(session) -> str:
    return reverse("wrapup", kwargs={"interview_id": session.interview.pk})


def form_data(session, *, level="3", note="", **extra) -> dict:
    data = {}
    for key in factories.criterion_keys(session.interview):
        data[f"level-{key}"] = level
        data[f"note-{key}"] = note or f"Note on {key}"
    data.update(extra)
    return data


# --- Services ------------------------------------------------------------------------------------


def test_self_assessment_saves_a_self_score_per_criterion_and_an_event():
    session = factories.finished_interview()
    assessment = factories.self_assess(session, level=3, **{"clarify-main": 4})
    keys = factories.criterion_keys(session.interview)
    scores = Score.objects.filter(interview=session.interview, source=Score.Source.SELF)
    assert scores.count() == len(keys)
    assert scores.get(criterion__key="clarify-main").level == 4
    assert assessment.submitted_at is not None
    assert assessment.reflection.startswith("I rushed")
    event = Event.objects.get(interview=session.interview, kind="assessment.submitted")
    assert event.data["source"] == "self"
    assert event.visibility == Event.Visibility.ALL
    assert session.refresh().status == Interview.Status.WRAPUP  # the interviewer is not in yet


def test_self_assessment_refuses_a_missing_criterion_naming_it():
    session = factories.finished_interview()
    levels = factories.levels_for(session.interview)
    levels["data-main"] = None
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.assessment_submit(actor=session.actor("candidate"), levels=levels)
    assert set(caught.value.extra["errors"]) == {"data-main"}
    assert "Criterion data-main" in caught.value.extra["errors"]["data-main"]
    assert not Score.objects.filter(source=Score.Source.SELF).exists()


def test_self_assessment_accepts_not_observed_and_refuses_a_level_out_of_range():
    session = factories.finished_interview()
    levels = factories.levels_for(session.interview, **{"monitor-main": "not_observed"})
    levels["serve-main"] = 5
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.assessment_submit(actor=session.actor("candidate"), levels=levels)
    assert set(caught.value.extra["errors"]) == {"serve-main"}
    levels["serve-main"] = 2
    feedback_services.assessment_submit(actor=session.actor("candidate"), levels=levels)
    score = Score.objects.get(source="self", criterion__key="monitor-main")
    assert score.not_observed and score.level is None


def test_only_the_candidate_assesses_themselves_and_only_once():
    session = factories.finished_interview()
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.assessment_submit(
            actor=session.actor("interviewer"), levels=factories.levels_for(session.interview)
        )
    assert caught.value.code == "forbidden"
    factories.self_assess(session)
    with pytest.raises(services.ServiceError) as caught:
        factories.self_assess(session)
    assert caught.value.code == "invalid_state"


def test_the_candidate_may_skip_the_self_assessment():
    session = factories.finished_interview()
    assessment = feedback_services.assessment_submit(actor=session.actor("candidate"), skipped=True)
    assert assessment.skipped and assessment.submitted_at
    assert not Score.objects.filter(source=Score.Source.SELF).exists()


def test_scorecard_needs_every_criterion_with_evidence_and_the_feedback():
    session = factories.finished_interview()
    levels = factories.levels_for(session.interview, **{"frame-main": "not_observed"})
    evidence = {key: "seen" for key in levels}
    evidence["frame-main"] = ""  # not observed still needs a word on why
    levels["model-main"] = None
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.scorecard_finalise(
            actor=session.actor("interviewer"),
            levels=levels,
            evidence=evidence,
            strengths="",
            improvements="Reach monitoring.",
        )
    errors = caught.value.extra["errors"]
    assert set(errors) == {"frame-main", "model-main", "strengths"}
    assert "evidence" in errors["frame-main"]
    assert "choose a level" in errors["model-main"]
    assert not Assessment.objects.exists()


def test_scorecard_overwrites_the_live_scores_and_is_final():
    session = factories.finished_interview(live_scores={"clarify-main": 2})
    factories.finalise(session, level=3)
    score = Score.objects.get(source="interviewer", criterion__key="clarify-main")
    assert score.level == 3 and score.evidence.startswith("Evidence for clarify-main")
    event = Event.objects.get(kind="assessment.submitted", data__source="interviewer")
    assert event.visibility == Event.Visibility.INTERVIEWER
    with pytest.raises(services.ServiceError):
        factories.finalise(session)
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.scorecard_finalise(
            actor=session.actor("candidate"),
            levels={},
            evidence={},
            strengths="x",
            improvements="y",
        )
    assert caught.value.code == "forbidden"


def test_both_in_completes_the_interview_once_and_requests_the_report(
    django_capture_on_commit_callbacks,
):
    session = factories.finished_interview()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        factories.finalise(session)
        assert session.refresh().status == Interview.Status.WRAPUP
        assert not Report.objects.exists()
        factories.self_assess(session)
    interview = session.refresh()
    assert interview.status == Interview.Status.COMPLETED
    assert interview.completed_at is not None
    report = Report.objects.get(interview=interview)
    assert report.status == Report.Status.PENDING
    assert len(callbacks) == 1  # the report is enqueued after commit, once
    status = Event.objects.get(kind="status", data__new="completed")
    assert status.data == {"old": "wrapup", "new": "completed", "reason": "assessments"}
    assert status.actor == session.candidate
    assert not feedback_services.interview_complete(interview_id=interview.pk, reason="deadline")


def test_nothing_can_be_submitted_once_completed():
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.assessment_submit(actor=session.actor("candidate"), skipped=True)
    assert caught.value.code == "invalid_state"


def test_a_solo_self_assessment_completes_the_drill():
    session = factories.solo_drill()
    factories.self_assess(session)
    assert session.refresh().status == Interview.Status.COMPLETED
    assert Report.objects.filter(interview=session.interview).exists()
    with pytest.raises(services.ServiceError):
        feedback_services.assessment_submit(actor=session.actor("candidate"), skipped=True)


def test_a_solo_drill_cannot_be_skipped():
    session = factories.solo_drill()
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.assessment_submit(actor=session.actor("candidate"), skipped=True)
    assert "self-assessment" in caught.value.message


def test_no_self_assessment_before_the_interview_ends():
    session = factories.interview()
    services.interview_start(actor=session.actor("interviewer"))
    with pytest.raises(services.ServiceError) as caught:
        factories.self_assess(session)
    assert caught.value.code == "invalid_state"


# --- Blind self-assessment -------------------------------------------------------------------


def blind_session():
    """Ended, the interviewer scored live and finalised with tell-tale texts; the candidate
    has not assessed themselves yet."""
    session = factories.finished_interview(live_scores={"clarify-main": 4, "frame-main": 1})
    keys = factories.criterion_keys(session.interview)
    feedback_services.scorecard_finalise(
        actor=session.actor("interviewer"),
        levels=factories.levels_for(session.interview, level=4, **{"data-main": 1}),
        evidence={key: f"{SECRET_EVIDENCE} ({key})" for key in keys},
        strengths=SECRET_STRENGTH,
        improvements="Interviewer-only improvement",
    )
    return session


def test_the_candidate_never_receives_the_interviewers_scores_before_self_assessing(client):
    session = blind_session()
    client.force_login(session.candidate)
    pk = session.interview.pk
    responses = [
        client.get(wrapup_url(session)),
        client.get(wrapup_url(session), headers={"HX-Request": "true"}),
        client.post(wrapup_url(session), {"reflection": "half done"}),  # refused, re-rendered
        client.get(reverse("room", kwargs={"interview_id": pk}), follow=True),
        client.get(reverse("report", kwargs={"interview_id": pk})),
        client.get(reverse("report", kwargs={"interview_id": pk}), headers={"HX-Request": "true"}),
        client.get(reverse("report_pdf", kwargs={"interview_id": pk})),
        client.get(reverse("report_md", kwargs={"interview_id": pk})),
        client.get(reverse("dashboard")),
        client.get(reverse("progress")),
    ]
    assert [r.status_code for r in responses][:3] == [200, 200, 400]
    for response in responses:
        body = response.content.decode()
        assert "Interviewer-only" not in body, response.request["PATH_INFO"]
        assert "Live evidence" not in body
    form_page = responses[0].content.decode()
    assert " checked" not in form_page  # no level is pre-selected: nothing of theirs leaks
    # (The room's socket never carries a score to the candidate: test_consumers.py.)


def test_after_self_assessing_the_candidate_sees_the_interviewers_scores_in_the_report(
    client, django_capture_on_commit_callbacks
):
    session = blind_session()
    client.force_login(session.candidate)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(wrapup_url(session), form_data(session, level="2"))
    assert response.status_code == 302
    assert response["Location"] == wrapup_url(session)
    page = client.get(wrapup_url(session), follow=True)
    assert page.redirect_chain[-1][0] == reverse(
        "report", kwargs={"interview_id": session.interview.pk}
    )
    assert SECRET_STRENGTH in page.content.decode()
    assert SECRET_EVIDENCE in page.content.decode()


# --- The wrap-up page --------------------------------------------------------------------------


def test_candidate_form_shows_the_four_anchors_not_observed_and_their_notes(client):
    session = factories.finished_interview()
    client.force_login(session.candidate)
    body = client.get(wrapup_url(session)).content.decode()
    assert "Anchor 1 of clarify-main." in body and "Anchor 4 of clarify-main." in body
    assert 'value="not_observed"' in body
    assert "My notes on clarify: the first idea." in body
    assert "Skip the self-assessment" in body
    assert "Score yourself first" in body


def test_candidate_post_with_gaps_is_refused_per_criterion_and_keeps_what_was_chosen(client):
    session = factories.finished_interview()
    client.force_login(session.candidate)
    data = form_data(session, level="3")
    data["level-model-main"] = ""
    data["level-frame-main"] = "2"
    response = client.post(wrapup_url(session), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Criterion model-main: choose a level" in body
    assert 'name="level-frame-main" value="2" checked' in body
    assert not Assessment.objects.exists()


def test_candidate_skips_from_the_page(client):
    session = factories.finished_interview()
    client.force_login(session.candidate)
    response = client.post(wrapup_url(session), {"skip": "1"})
    assert response.status_code == 302
    assert Assessment.objects.get(source="self").skipped
    waiting = client.get(wrapup_url(session)).content.decode()
    assert "You skipped the self-assessment" in waiting
    assert 'hx-trigger="every 3s"' in waiting


def test_interviewer_scorecard_is_prefilled_with_the_live_scores(client):
    session = factories.finished_interview(
        live_scores={"clarify-main": 2, "frame-main": "not_observed"}
    )
    client.force_login(session.interviewer)
    body = client.get(wrapup_url(session)).content.decode()
    assert 'name="level-clarify-main" value="2" checked' in body
    assert 'name="level-frame-main" value="not_observed" checked' in body
    assert "Live evidence for clarify-main." in body
    assert "The candidate's notes for this step" in body
    assert "Finalise the scorecard" in body


def test_interviewer_finalising_without_evidence_gets_a_message_per_criterion(client):
    session = factories.finished_interview()
    client.force_login(session.interviewer)
    data = form_data(session, strengths="Good", improvements="More")
    data["note-serve-main"] = ""
    response = client.post(wrapup_url(session), data)
    assert response.status_code == 400
    assert (
        "Criterion serve-main: write the evidence behind this score." in response.content.decode()
    )


def test_interviewer_finalises_then_waits_and_the_wait_moves_on_by_itself(client):
    session = factories.finished_interview()
    client.force_login(session.interviewer)
    data = form_data(session, strengths="Good framing", improvements="Monitoring")
    response = client.post(wrapup_url(session), data)
    assert response.status_code == 302
    partial = client.get(wrapup_url(session), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "Waiting for the candidate" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    factories.self_assess(session)
    done = client.get(wrapup_url(session), headers={"HX-Request": "true"})
    assert done["HX-Redirect"] == reverse("report", kwargs={"interview_id": session.interview.pk})


def test_solo_wrapup_reveals_a_reference_only_for_a_step_with_notes(client):
    session = factories.solo_drill()
    client.force_login(session.candidate)
    body = client.get(wrapup_url(session)).content.decode()
    assert "Reveal the reference notes" in body
    assert "Reference notes for factory-case clarify." not in body
    url = reverse(
        "wrapup_reveal", kwargs={"interview_id": session.interview.pk, "step_key": "clarify"}
    )
    revealed = client.post(url, headers={"HX-Request": "true"})
    assert "Reference notes for factory-case clarify." in revealed.content.decode()
    assert "clarify" in session.refresh().revealed_steps
    no_notes = reverse(
        "wrapup_reveal", kwargs={"interview_id": session.interview.pk, "step_key": "monitor"}
    )
    refused = client.post(no_notes, headers={"HX-Request": "true"})
    assert "Write your own notes" in refused.content.decode()
    assert "monitor" not in session.refresh().revealed_steps


def test_solo_drill_submission_goes_to_the_report(client, django_capture_on_commit_callbacks):
    session = factories.solo_drill()
    client.force_login(session.candidate)
    body = client.get(wrapup_url(session)).content.decode()
    assert "Skip the self-assessment" not in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(wrapup_url(session), form_data(session, level="2"))
    assert response["Location"] == reverse("report", kwargs={"interview_id": session.interview.pk})
    assert Report.objects.get(interview=session.interview).status == Report.Status.READY


# --- Access --------------------------------------------------------------------------------------


def test_wrapup_access_for_each_kind_of_visitor(client):
    session = factories.finished_interview()
    url = wrapup_url(session)
    reveal = reverse(
        "wrapup_reveal", kwargs={"interview_id": session.interview.pk, "step_key": "clarify"}
    )
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert "/accounts/login/" in client.get(url)["Location"]
    client.force_login(factories.user())
    assert client.get(url).status_code == 404
    assert client.post(url, {"skip": "1"}).status_code == 404
    assert client.post(reveal).status_code == 404
    client.force_login(factories.user(staff=True))
    assert client.get(url).status_code == 404
    client.force_login(factories.reviewer())
    assert client.get(url).status_code == 200
    assert client.post(url, {"skip": "1"}).status_code == 404
    assert client.post(reveal).status_code == 404
    assert not Assessment.objects.exists()
    client.force_login(session.interviewer)
    assert client.get(url).status_code == 200
    # The interviewer cannot reveal references (solo only) nor act as the candidate.
    client.post(reveal)
    assert session.refresh().revealed_steps == []


def test_wrapup_of_a_live_interview_goes_back_to_the_room(client):
    session = factories.interview()
    services.interview_start(actor=session.actor("interviewer"))
    client.force_login(session.candidate)
    response = client.get(wrapup_url(session))
    assert response["Location"] == reverse("room", kwargs={"interview_id": session.interview.pk})


# --- The scoring aids at the wrap-up: signals, caps, the checklist and the red flags ------------


def live_marks(session, *marks) -> None:
    """Marks the interviewer made in the room, as the room stores them."""
    batch, now = writebehind.Batch(), timezone.now()
    for kind, key, value in marks:
        flag = kind == "flag"
        batch.mark(
            session.interview.pk,
            (kind, key, value),
            session.interviewer.pk,
            now,
            step_key=key.split(":")[0] if flag else "",
            label=f"Red flag 1 for factory-case {key.split(':')[0]}." if flag else "C",
            critical=flag,
        )
    writebehind.persist(batch)


def test_the_scorecard_shows_signals_caps_the_checklist_and_the_live_marks(client):
    session = factories.finished_interview(seconds={"clarify": 300, "frame": 200})
    live_marks(session, ("concept", "concept-2", "hinted"), ("flag", "data:0", "observed"))
    client.force_login(session.interviewer)
    body = client.get(wrapup_url(session)).content.decode()
    # Beside data-main: the case's tagged signals and red flags, the critical one ticked.
    assert "Strong signal 1 for factory-case data." in body
    assert 'name="flag-data:0" value="on" checked' in body
    assert 'name="flag-data:1" value="on" data-flag' in body
    assert "Expected of a senior candidate" in body
    assert "What a senior candidate shows on data-main." in body
    # One hint on clarify: its criteria are capped; the steps after frame were never reached.
    assert "Hints were sent here (one hint on this step): its criteria count at most 3." in body
    assert body.count("data-not-reached") == 5
    assert 'name="concept-concept-2" value="hinted" checked' in body
    assert "Concept 6 of factory-case." in body


def test_finalising_replaces_the_live_marks_with_the_scorecards(client):
    session = factories.finished_interview()
    live_marks(session, ("concept", "concept-2", "hinted"), ("flag", "data:0", "observed"))
    client.force_login(session.interviewer)
    data = form_data(
        session,
        strengths="Clear goals.",
        improvements="Reach monitoring.",
        **{"concept-concept-2": "unprompted", "concept-concept-3": "missed", "flag-model:1": "on"},
    )
    response = client.post(wrapup_url(session), data)
    assert response.status_code == 302
    marks = {
        (m.kind, m.key): m
        for m in Mark.objects.filter(interview=session.interview, source="interviewer")
    }
    assert marks["concept", "concept-2"].value == "unprompted"
    assert marks["concept", "concept-3"].value == "missed"
    assert marks["flag", "data:0"].value == ""  # unticked on the scorecard
    assert marks["flag", "model:1"].value == "observed" and not marks["flag", "model:1"].critical
    assert marks["flag", "model:1"].text == "Red flag 2 for factory-case model."
    events = Event.objects.filter(interview=session.interview, kind="mark").order_by("id")
    assert [e.data["key"] for e in events][2:] == ["concept-2", "concept-3", "data:0", "model:1"]
    assert {e.visibility for e in events} == {"interviewer"}


def test_marks_naming_nothing_in_the_case_are_refused_with_the_scorecard():
    session = factories.finished_interview()
    with pytest.raises(services.ServiceError) as caught:
        factories.finalise(
            session, concepts={"concept-99": "missed", "concept-1": "observed"}, flags={"x:0": True}
        )
    assert set(caught.value.extra["errors"]) == {
        "concept-concept-99",
        "concept-concept-1",
        "flag-x:0",
    }
    assert not Mark.objects.exists()
    assert not Assessment.objects.filter(source="interviewer").exists()


def test_the_candidate_ticks_the_checklist_without_seeing_the_interviewers_marks(client):
    session = factories.finished_interview()
    live_marks(session, ("concept", "concept-2", "hinted"), ("flag", "data:0", "observed"))
    client.force_login(session.candidate)
    body = client.get(wrapup_url(session)).content.decode()
    assert "Concept 2 of factory-case." in body and 'name="concept-concept-2"' in body
    assert " checked" not in body  # the interviewer's ticks are theirs
    assert "Red flag" not in body and "Strong signal" not in body and "flag-" not in body
    assert "(one hint on this step): its criteria count at most 3" in body  # sent to them
    data = form_data(session, **{"concept-concept-1": "unprompted", "concept-concept-2": "missed"})
    assert client.post(wrapup_url(session), data).status_code == 302
    mine = Mark.objects.filter(interview=session.interview, source="self").order_by("key")
    assert [(m.key, m.value) for m in mine] == [
        ("concept-1", "unprompted"),
        ("concept-2", "missed"),
    ]
    event = Event.objects.filter(interview=session.interview, kind="mark", data__source="self")
    assert {e.visibility for e in event} == {"all"}
    theirs = Mark.objects.get(interview=session.interview, source="interviewer", key="concept-2")
    assert theirs.value == "hinted"

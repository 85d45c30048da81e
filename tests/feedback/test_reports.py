"""The feedback report with Celery eager: compiling, idempotency, failure and retry, the
sweep, what the report says, its page, its downloads and who may open them."""

import html
import io
import json
import re
import threading
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from feedback import report_render, reports, tasks
from feedback import services as feedback_services
from interviews import services, writebehind
from interviews.models import Event, Interview, Report
from tests import factories
from tests.conftest import table_locked, wait_until

pytestmark = pytest.mark.django_db


def completed(session, *, on_commit, self_level=3, interviewer_level=3, **overrides):
    """Both sides in; the report compiled by the eager task after commit."""
    with on_commit(execute=True):
        factories.self_assess(session, level=self_level)
        factories.finalise(session, level=interviewer_level, **overrides)
    return Report.objects.get(interview=session.interview)


def url(name: str, session) -> str:
    return reverse(name, kwargs={"interview_id": session.interview.pk})


# --- Compiling -----------------------------------------------------------------------------------


def test_completing_compiles_a_ready_report(django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    report = completed(session, on_commit=django_capture_on_commit_callbacks)
    assert report.status == Report.Status.READY
    assert report.attempts == 1
    assert report.compiled_at is not None and report.failure_reason == ""
    assert report.data["version"] == reports.REPORT_VERSION
    assert report.markdown.startswith("# Case study factory-case: feedback report")
    assert Event.objects.filter(interview=session.interview, kind="report.ready").count() == 1


def test_compiling_twice_gives_one_report(django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    report = completed(session, on_commit=django_capture_on_commit_callbacks)
    first = (report.data, report.markdown, report.compiled_at)
    assert tasks.compile_report.delay(report.pk).get() == "ready"
    with django_capture_on_commit_callbacks(execute=True):
        again = feedback_services.report_request(interview_id=session.interview.pk)
    assert again.pk == report.pk
    report.refresh_from_db()
    assert Report.objects.count() == 1
    assert report.attempts == 1
    assert (report.data, report.markdown, report.compiled_at) == first
    assert Event.objects.filter(kind="report.ready").count() == 1


def test_a_failure_marks_the_report_failed_with_the_reason_and_it_can_be_retried(
    django_capture_on_commit_callbacks, monkeypatch
):
    session = factories.finished_interview()

    def broken(interview_id):
        raise RuntimeError("the bank is on fire")

    monkeypatch.setattr(reports, "report_data", broken)
    # Eager Celery does not wait out a back-off, so the compile fails in process; the
    # submission that requested it has committed and must not fail with it.
    with django_capture_on_commit_callbacks(execute=True):
        factories.self_assess(session)
        factories.finalise(session)
    report = Report.objects.get()
    assert report.status == Report.Status.FAILED
    assert report.failure_reason == "RuntimeError: the bank is on fire"
    assert report.attempts == 1
    assert session.refresh().status == Interview.Status.COMPLETED
    # The retry the worker would run after its back-off claims the failed report again.
    with pytest.raises(Retry):
        tasks.compile_report.delay(report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED and report.attempts == 2

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        feedback_services.report_retry(report_id=report.pk, user=session.candidate)
    report.refresh_from_db()
    assert report.status == Report.Status.READY
    assert report.failure_reason == ""
    assert Event.objects.filter(kind="report.retried", actor=session.candidate).exists()


def test_only_a_failed_report_can_be_retried(django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    report = completed(session, on_commit=django_capture_on_commit_callbacks)
    with pytest.raises(services.ServiceError) as caught:
        feedback_services.report_retry(report_id=report.pk)
    assert caught.value.code == "invalid_state"


def test_a_running_claim_is_left_alone_until_it_is_stale(settings):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)  # not executed: the report stays pending
    report = Report.objects.get()
    fresh = timezone.now()
    Report.objects.filter(pk=report.pk).update(status="running", claimed_at=fresh, attempts=1)
    outcome = feedback_services.report_compile(report_id=report.pk)
    assert outcome.status == "busy"
    assert 0 < outcome.retry_in <= settings.REPORT_CLAIM_STALE_SECONDS
    report.refresh_from_db()
    assert report.status == "running" and report.attempts == 1

    # The worker holding it died: once its claim is stale, the next delivery takes over.
    stale = fresh - timedelta(seconds=settings.REPORT_CLAIM_STALE_SECONDS + 1)
    Report.objects.filter(pk=report.pk).update(claimed_at=stale)
    assert feedback_services.report_compile(report_id=report.pk).status == "compiled"
    report.refresh_from_db()
    assert report.status == "ready" and report.attempts == 2


def test_a_report_that_lost_its_claim_is_not_saved_by_the_old_worker(monkeypatch):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)
    report = Report.objects.get()
    real = reports.report_data

    def slow_and_overtaken(interview_id):
        # While this worker assembles, another one takes the report over.
        Report.objects.filter(pk=report.pk).update(claimed_at=timezone.now() + timedelta(1))
        return real(interview_id)

    monkeypatch.setattr(reports, "report_data", slow_and_overtaken)
    assert feedback_services.report_compile(report_id=report.pk).status == "busy"
    report.refresh_from_db()
    assert report.status == "running" and report.data == {}


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_compile_the_report_once():
    session = factories.finished_interview()
    factories.self_assess(session)
    Interview.objects.filter(pk=session.interview.pk).update(status="completed")
    report = Report.objects.create(interview=session.interview)  # pending, not enqueued
    outcomes, start = [], threading.Barrier(2)

    def worker():
        from django.db import connections

        try:
            start.wait()
            outcomes.append(feedback_services.report_compile(report_id=report.pk).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    # The winner of the claim stops at its first read of the documents; the loser, finding
    # the claim fresh, answers "busy" meanwhile.
    with table_locked("interviews_document"):
        for thread in threads:
            thread.start()
        wait_until(lambda: len(outcomes) == 1, timeout=10, what="the losing claim")
        assert outcomes == ["busy"]
        report.refresh_from_db()
        assert report.status == "running"
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["busy", "compiled"]
    report.refresh_from_db()
    assert report.status == "ready" and report.attempts == 1
    assert Event.objects.filter(kind="report.ready").count() == 1


# --- The sweep ---------------------------------------------------------------------------------


def test_the_sweep_completes_wrapups_past_the_deadline_with_what_is_in(
    settings, django_capture_on_commit_callbacks
):
    settings.REPORT_DEADLINE_HOURS = 24
    overdue = factories.finished_interview(live_scores={"clarify-main": 2})
    recent = factories.finished_interview()
    Interview.objects.filter(pk=overdue.interview.pk).update(
        ended_at=timezone.now() - timedelta(hours=25)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.sweep_reports.delay().get()
    assert result["completed"] == [str(overdue.interview.pk)]
    assert overdue.refresh().status == Interview.Status.COMPLETED
    assert recent.refresh().status == Interview.Status.WRAPUP
    status = Event.objects.get(interview=overdue.interview, kind="status", data__new="completed")
    assert status.data["reason"] == "deadline" and status.actor is None
    report = Report.objects.get(interview=overdue.interview)
    assert report.status == Report.Status.READY
    data = report.data
    assert data["feedback"]["scorecard"] == "live" and data["feedback"]["self"] == "none"
    assert data["interview"]["completed_by"] == "deadline"
    assert data["overall"]["score"] == "2.00" and data["overall"]["hire_signal"] == "insufficient"


def test_the_sweep_sends_stuck_reports_back_to_the_workers(django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)  # pending, its message never ran
    report = Report.objects.get()
    assert feedback_services.reports_sweep().requeued == []  # just requested: not stuck yet
    Report.objects.filter(pk=report.pk).update(requested_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = feedback_services.reports_sweep()
    assert result.requeued == [report.pk]
    report.refresh_from_db()
    assert report.status == Report.Status.READY


# --- What the report says ------------------------------------------------------------------------


def test_the_report_scores_steps_calibrates_and_collects_the_session(
    django_capture_on_commit_callbacks,
):
    session = factories.finished_interview(bank=True, live_scores={"clarify-goals": 3})
    with django_capture_on_commit_callbacks(execute=True):
        factories.self_assess(session, level=3, **{"clarify-goals": 4, "model-choice": 2})
        factories.finalise(
            session,
            level=3,
            **{"clarify-goals": 2, "data-labels": 2, "monitor-detection": "not_observed"},
        )
    data = Report.objects.get().data
    assert data["primary"] == "interviewer" and data["compare"] is True
    # 19 criteria with weights; clarify-goals (w2) and data-labels (w3 in this case) at 2, one
    # not observed.
    # One hint was sent on clarify: its criteria count at most 3 on both sides (the self-score
    # of 4 for clarify-goals counts as 3).
    clarify = next(s for s in data["steps"] if s["key"] == "clarify")
    assert clarify["score"] == "2.50" and clarify["self_score"] == "3.00"
    assert clarify["cap"] == 3 and clarify["cap_note"] == "capped at 3: one hint on this step"
    assert data["overall"]["not_observed"] == 1
    assert data["overall"]["total"] == 19
    assert data["interview"]["candidate"] == "Carl Candidate"
    assert data["interview"]["interviewer"] == "Ines Interviewer"
    assert data["calibration"]["over"] == ["Pins down the goal", "Sources and labels data"]
    assert data["calibration"]["under"] == ["Chooses models deliberately"]
    goals = next(c for c in clarify["criteria"] if c["key"] == "clarify-goals")
    assert goals["verdict"] == "over" and goals["delta"] == 1
    assert goals["self"]["given"] == 4 and goals["self"]["level"] == 3 and goals["self"]["capped"]
    assert goals["primary"]["text"].startswith("Evidence for clarify-goals")
    assert goals["self"]["text"] == "My reason for clarify-goals."
    assert goals["next_level"] == 3 and goals["next_anchor"]
    # data: labels (weighted 3 in this case) at 2 and quality at 3: 12/5 = 2.40, below clarify.
    assert [w["key"] for w in data["weakest"]] == ["data", "clarify"]
    suggestions = data["practise_next"]
    assert 2 <= len(suggestions) <= 3
    assert "visual-search" not in [s["slug"] for s in suggestions]
    assert {s["step"] for s in suggestions} == {"clarify", "data"}
    assert data["deliveries"] == {"hints": 1, "curveballs": 1}
    assert clarify["deliveries"][0]["kind"] == "hint"
    assert clarify["time_status"] == "over" and clarify["seconds"] == 360
    assert clarify["notes"].startswith("My notes on clarify")
    assert clarify["reference_notes"]
    assert data["diagram"]["reference"].startswith("flowchart")
    assert data["diagram"]["candidate"].startswith("flowchart LR")
    assert data["feedback"]["strengths"].startswith("Clear requirements")
    assert data["feedback"]["reflection"].startswith("I rushed")
    assert data["summary"]["overall"] == data["overall"]["value"]


def test_a_drill_report_has_self_scores_only(django_capture_on_commit_callbacks, client):
    session = factories.solo_drill()
    with django_capture_on_commit_callbacks(execute=True):
        factories.self_assess(session, level=2)
    data = Report.objects.get().data
    assert data["primary"] == "self" and data["compare"] is False
    assert data["self_overall"] is None
    assert data["overall"]["score"] == "2.00"
    assert data["interview"]["solo"] and data["interview"]["interviewer"] == ""
    client.force_login(session.candidate)
    body = client.get(url("report", session)).content.decode()
    assert "Self versus interviewer" not in body
    assert "Feedback from your interviewer" not in body
    assert "Self-assessment" in body


def test_a_skipped_self_assessment_gives_a_report_without_calibration(
    django_capture_on_commit_callbacks,
):
    session = factories.finished_interview()
    with django_capture_on_commit_callbacks(execute=True):
        feedback_services.assessment_submit(actor=session.actor("candidate"), skipped=True)
        factories.finalise(session)
    data = Report.objects.get().data
    assert data["compare"] is False and data["feedback"]["self"] == "skipped"
    assert all(c["self"] is None for s in data["steps"] for c in s["criteria"])


def test_without_any_interviewer_score_the_report_uses_the_self_assessment(
    django_capture_on_commit_callbacks, client
):
    session = factories.finished_interview(live_scores={})
    factories.self_assess(session, level=4)
    Interview.objects.filter(pk=session.interview.pk).update(
        ended_at=timezone.now() - timedelta(days=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        feedback_services.reports_sweep()
    data = Report.objects.get().data
    # All 4s, but the hint sent on clarify counts its criterion (weight 2 of 15) at 3: 58/15.
    assert data["primary"] == "self" and data["overall"]["score"] == "3.87"
    client.force_login(session.candidate)
    body = client.get(url("report", session)).content.decode()
    assert "Your interviewer did not score this session" in body


# --- The page, the downloads ---------------------------------------------------------------------


def test_the_page_polls_while_compiling_and_swaps_in_the_report(client):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)  # pending: nothing has run yet
    client.force_login(session.candidate)
    page = client.get(url("report", session)).content.decode()
    assert "Compiling your report" in page
    assert 'hx-trigger="every 2s"' in page
    feedback_services.report_compile(report_id=Report.objects.get().pk)
    partial = client.get(url("report", session), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "<html" not in body and 'id="report-body"' in body
    assert "hx-trigger" not in body  # ready: the polling stops
    assert "Download PDF" in body and "Overall score" in body


def test_a_failed_report_offers_a_retry_that_compiles_it(
    client, django_capture_on_commit_callbacks
):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(status="failed", failure_reason="OSError: disk")
    client.force_login(session.interviewer)
    page = client.get(url("report", session)).content.decode()
    assert "OSError: disk" in page and "Try again" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("report_retry", session))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "ready"


def test_before_the_wrapup_is_done_the_report_page_says_so(client):
    session = factories.finished_interview()
    client.force_login(session.candidate)
    body = client.get(url("report", session)).content.decode()
    assert "No report yet" in body
    assert client.get(url("report_pdf", session)).status_code == 404
    assert client.get(url("report_md", session)).status_code == 404


def test_the_pdf_is_a_real_pdf_with_the_overall_score(django_capture_on_commit_callbacks, client):
    session = factories.finished_interview(bank=True)
    report = completed(
        session, on_commit=django_capture_on_commit_callbacks, **{"clarify-goals": 2}
    )
    client.force_login(session.candidate)
    response = client.get(url("report_pdf", session))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="sevensteps-visual-search-' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) > 3
    text = " ".join(page.extract_text() for page in pdf.pages)
    overall = report.data["overall"]["score"]
    assert overall == "2.96"  # every criterion at 3 but clarify-goals (w2) at 2: 139/47
    assert f"{overall} / 4" in text or f"{overall}/ 4" in text or overall in text
    assert "Visual search for a home-goods marketplace" in text
    assert report.data["overall"]["hire_label"] in text
    assert "Reference architecture" in text
    # The reference diagram is drawn in the PDF (no Mermaid there): its boxes are text.
    assert "Object detector" in text


def test_the_markdown_matches_the_page(django_capture_on_commit_callbacks, client):
    session = factories.finished_interview(bank=True)
    report = completed(session, on_commit=django_capture_on_commit_callbacks, **{"data-labels": 2})
    client.force_login(session.candidate)
    page = client.get(url("report", session)).content.decode()
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    text = re.sub(r"\s+", " ", text)
    download = client.get(url("report_md", session))
    assert download["Content-Type"] == "text/markdown; charset=utf-8"
    markdown = download.content.decode()
    assert markdown == report.markdown
    flat_markdown = re.sub(r"\s+", " ", markdown)
    data = report.data
    facts = [
        data["case"]["title"],
        data["overall"]["score"],
        data["overall"]["hire_label"],
        data["overall"]["level_label"],
        data["self_overall"]["score"],
        data["calibration"]["mean_label"],
        data["feedback"]["improvements"],
        data["feedback"]["reflection"],
    ]
    for step in data["steps"]:
        facts += [
            step["title"],
            step["score"],
            step["notes"].splitlines()[0] if step["notes"] else "",
        ]
        for criterion in step["criteria"]:
            facts += [criterion["title"], criterion["primary"]["text"], criterion["next_anchor"]]
    facts += [s["title"] for s in data["practise_next"]]
    for fact in filter(None, facts):
        assert fact in text, f"page lacks {fact!r}"
        assert fact in flat_markdown, f"markdown lacks {fact!r}"


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report", "report_pdf", "report_md"])
def test_only_participants_and_reviewers_open_a_report(
    name, client, django_capture_on_commit_callbacks
):
    session = factories.finished_interview()
    completed(session, on_commit=django_capture_on_commit_callbacks)
    target = url(name, session)
    anonymous = client.get(target)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for person, expected in (
        (factories.user(), 404),
        (factories.user(staff=True), 404),  # a curator: the bank, not the interviews
        (factories.reviewer(), 200),
        (session.candidate, 200),
        (session.interviewer, 200),
    ):
        client.force_login(person)
        assert client.get(target).status_code == expected, person
    client.logout()
    missing = reverse(name, kwargs={"interview_id": "00000000-0000-0000-0000-000000000000"})
    client.force_login(session.candidate)
    assert client.get(missing).status_code == 404


def test_only_participants_and_reviewers_retry_a_report(client):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(status="failed", failure_reason="x")
    target = url("report_retry", session)
    assert client.post(target).status_code == 302  # anonymous: to the login page
    client.force_login(factories.user())
    assert client.post(target).status_code == 404
    report.refresh_from_db()
    assert report.status == "failed"
    assert client.get(target).status_code in (404, 405)
    client.force_login(factories.user(staff=True))
    assert client.post(target).status_code == 404
    for person in (factories.reviewer(), session.candidate):
        Report.objects.filter(pk=report.pk).update(status="failed")
        client.force_login(person)
        assert client.post(target).status_code == 302
        report.refresh_from_db()
        assert report.status in ("pending", "ready")


# --- The arithmetic explained (report version 2) ------------------------------------------------
# The factory rubric: one criterion per step (weight 2) and communication (weight 1), 15 in all;
# senior bar 3.00. finished_interview sends one of clarify's two hints and a curveball on data.

WITHOUT_MONITOR = {key: 300 for key in factories.STEP_KEYS[:-1]}  # the clock never reached it


def scored(session, *, level=4, **kwargs) -> dict:
    """The interviewer's scorecard in; the report's data as the worker would build it."""
    factories.finalise(session, level=level, **kwargs)
    return reports.report_data(session.interview.pk)


def page_text(data) -> str:
    html_page = render_to_string("feedback/_report.html", report_render.report_context(data))
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", html_page)))


def criterion(data, key) -> dict:
    return next(c for s in data["steps"] for c in s["criteria"] if c["key"] == key)


def test_a_hint_caps_its_steps_criteria_and_the_report_says_so():
    session = factories.finished_interview()
    data = scored(session, level=4)
    clarify = criterion(data, "clarify-main")
    assert clarify["primary"]["level"] == 3 and clarify["primary"]["given"] == 4
    assert clarify["primary"]["note"] == "capped at 3: one hint on this step"
    assert criterion(data, "data-main")["primary"]["note"] == ""  # a curveball caps nothing
    assert data["overall"]["score"] == "3.87" and data["overall"]["capped"] == 1  # 58/15
    assert (
        "Hint caps lowered 1 level (Criterion clarify-main 4 → 3)."
        in (data["overall"]["explanation"])
    )
    text = page_text(data)
    assert "Capped at 3: one hint on this step" in text
    assert "Hints were used here (one hint on this step): its criteria count at most 3." in text
    assert "3/4 (4 given)" in text
    markdown = report_render.report_markdown(data)
    assert "Capped at 3: one hint on this step" in markdown and "3/4 (4 given)" in markdown


def test_the_answer_level_hint_caps_at_two():
    session = factories.finished_interview(hints=False)
    batch, now = writebehind.Batch(), timezone.now()
    batch.delivery(
        session.interview.pk, "data", "hint", 1, "The answer.", session.interviewer.pk, now
    )
    writebehind.persist(batch)
    data = scored(session, level=4)
    assert criterion(data, "data-main")["primary"]["note"] == (
        "capped at 2: the answer-level hint on this step"
    )
    assert next(s for s in data["steps"] if s["key"] == "data")["cap"] == 2


def test_a_step_never_reached_counts_at_level_one_with_the_reason():
    session = factories.finished_interview(hints=False, seconds=WITHOUT_MONITOR)
    data = scored(session, level=4, **{"monitor-main": "not_observed"})
    monitor = next(s for s in data["steps"] if s["key"] == "monitor")
    assert monitor["reached"] is False and monitor["score"] == "1.00"
    row = criterion(data, "monitor-main")
    assert row["primary"]["status"] == "not_reached" and row["primary"]["level"] == 1
    assert row["primary"]["note"] == "not reached: counted at level 1"
    # (6 × 2 × 4 + 2 × 1 + 1 × 4) / 15 = 54/15: enough evidence, monitor counted at 1.
    assert data["overall"]["score"] == "3.60" and data["overall"]["enough_evidence"]
    assert data["overall"]["unreached"] == ["Step monitor"]
    assert (
        "The interview did not reach Step monitor: its criteria count at level 1"
        in (data["overall"]["explanation"])
    )
    assert data["weakest"][0]["key"] == "monitor"
    text = page_text(data)
    assert "Not reached: counted at level 1" in text
    assert "Not reached: the interview ended before this step." in text
    assert "1/4 (not reached)" in report_render.report_markdown(data)


def test_a_critical_red_flag_caps_the_signal_at_lean_hire_and_names_the_flag():
    session = factories.finished_interview(hints=False)
    data = scored(session, level=4, flags={"data:0": True, "data:1": True})
    overall = data["overall"]
    assert overall["score"] == "4.00" and overall["band"] == "strong_hire"
    assert overall["hire_signal"] == "lean_hire" and overall["knocked_out"]
    # Only the critical one is a knock-out; the other is a red flag like any other.
    assert overall["knockouts"] == [
        {"step": "data", "step_title": "Step data", "text": "Red flag 1 for factory-case data."}
    ]
    assert (
        "A critical red flag was observed (Step data: “Red flag 1 for factory-case data.”), so "
        "the signal is capped at lean hire instead of strong hire." in overall["explanation"]
    )
    assert overall["level_signal"] == "exceeds"  # the score itself does not change
    text = page_text(data)
    assert "Critical red flag observed (Step data): “Red flag 1 for factory-case data.”" in text
    assert "Capped by a critical red flag; the score alone gives strong hire" in text


def test_not_enough_evidence_gives_no_signal_and_says_what_is_missing():
    session = factories.finished_interview(hints=False)
    data = scored(
        session,
        level=3,
        **{key: "not_observed" for key in ("data-main", "serve-main", "features-main")},
    )
    overall = data["overall"]
    assert overall["hire_signal"] == "insufficient" and overall["level_signal"] == ""
    assert overall["hire_label"] == "Not enough evidence"
    assert overall["level_label"] == "No level signal"
    assert overall["evidence_gaps"] == [
        "coverage is 60%, below 80%",
        "nothing was scored in Step data",
        "nothing was scored in Step serve",
    ]
    text = page_text(data)
    assert "Not enough evidence for a hire or level signal." in text
    assert "Coverage is 60%, below 80%" in text and "Nothing was scored in Step serve" in text
    assert "What is missing:" in report_render.report_markdown(data)


@pytest.mark.parametrize(
    ("target", "sentence", "hire", "level"),
    [
        (
            "mid",
            "Overall 3.00 is 0.50 above the Mid-level bar of 2.50, in the strong-hire band "
            "(0.5 and above); it also reaches the Senior bar of 3.00.",
            "Strong hire",
            "Exceeds",
        ),
        (
            "senior",
            "Overall 3.00 is exactly on the Senior bar of 3.00, in the lean-hire band (0 to 0.2).",
            "Lean hire",
            "Meets the bar",
        ),
        (
            "staff",
            "Overall 3.00 is 0.50 below the Staff bar of 3.50, in the no-hire band "
            "(−0.75 to −0.25); it meets the Senior bar of 3.00.",
            "No hire",
            "Below the bar",
        ),
    ],
)
def test_the_same_scores_read_against_each_target_level(target, sentence, hire, level):
    session = factories.finished_interview(hints=False, level=target)
    data = scored(session, level=3)
    overall = data["overall"]
    assert overall["explanation"] == sentence
    assert (overall["hire_label"], overall["level_label"]) == (hire, level)
    text = page_text(data)
    assert f"Why this signal. {sentence}" in text
    assert f"**Why this signal.** {sentence}" in report_render.report_markdown(data)


def test_the_checklist_is_counted_against_the_target_level():
    # The factory's checklist: concepts 1-2 mid, 3-5 senior, 6 staff.
    session = factories.finished_interview(hints=False, level="senior")
    data = scored(
        session,
        level=3,
        concepts={
            "concept-1": "unprompted",
            "concept-2": "hinted",
            "concept-3": "missed",
            "concept-4": "unprompted",
            "concept-6": "unprompted",
        },
    )
    checklist = data["checklist"]
    assert checklist["source"] == "interviewer" and checklist["expected"] == 5
    assert checklist["counts"] == {"unprompted": 2, "hinted": 1, "missed": 1, "unmarked": 1}
    assert checklist["unprompted_pct"] == 40
    assert checklist["beyond"] == ["Concept 6 of factory-case."]
    assert checklist["summary"] == (
        "2 of the 5 concepts expected of a Senior candidate raised unprompted, 1 after a hint, "
        "1 missed, 1 not marked."
    )
    rows = {row["key"]: row for row in checklist["items"]}
    assert rows["concept-6"]["expected"] is False and rows["concept-5"]["mark"] == "unmarked"
    text = page_text(data)
    assert checklist["summary"] in text and "Beyond your level, raised unprompted" in text
    assert "| Concept 2 of factory-case. | Step data | Mid-level | Raised after a hint |" in (
        report_render.report_markdown(data)
    )


def test_a_drills_checklist_is_the_candidates_own_ticks(django_capture_on_commit_callbacks):
    session = factories.solo_drill()
    with django_capture_on_commit_callbacks(execute=True):
        factories.self_assess(session, level=3, concepts={"concept-1": "unprompted"})
    checklist = Report.objects.get().data["checklist"]
    assert checklist["source"] == "self" and checklist["counts"]["unprompted"] == 1
    assert checklist["summary"].startswith("1 of the 5 concepts")


def test_a_cases_weights_count_and_the_target_levels_expectations_are_shown():
    factories.rubric()
    factories.case_study(slug="weighted", weights={"data-main": 4})
    session = factories.finished_interview(case_slug="weighted", hints=False)
    data = scored(session, level=3, **{"data-main": 1})
    row = criterion(data, "data-main")
    assert row["weight"] == 4 and row["weight_note"] == "2 in the rubric, 4 for this case"
    assert data["overall"]["score"] == "2.53"  # (13 × 3 + 4 × 1) / 17
    assert row["expectation"] == "What a senior candidate shows on data-main."
    weakest = data["weakest"][0]
    assert weakest["key"] == "data"
    assert weakest["expectation"] == "What a senior candidate shows in weighted data."
    assert weakest["criteria"] == [
        {
            "title": "Criterion data-main",
            "expectation": "What a senior candidate shows on data-main.",
        }
    ]
    text = page_text(data)
    assert "What a senior candidate shows in step data" in text
    assert "weight 4 (raised for this case)" in text


def test_a_version_one_report_still_renders(client, django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    report = completed(session, on_commit=django_capture_on_commit_callbacks)
    old = json.loads(json.dumps(report.data))
    old["version"] = 1
    for key in ("checklist",):
        old.pop(key)
    for side in (old["overall"], old["self_overall"]):
        for key in ("explanation", "knockouts", "knocked_out", "enough_evidence", "unreached"):
            side.pop(key)
    for step in old["steps"]:
        for key in ("reached", "cap", "cap_note", "expectation"):
            step.pop(key)
    for row in [c for s in old["steps"] for c in s["criteria"]] + old["cross_cutting"]["criteria"]:
        for side in (row["primary"], row["self"]):
            for key in ("given", "capped", "note"):
                side.pop(key)
    for key in ("min_coverage_pct", "required_steps", "hint_caps", "bands"):
        old["rubric"].pop(key)
    Report.objects.filter(pk=report.pk).update(data=old)
    client.force_login(session.candidate)
    body = client.get(url("report", session)).content.decode()
    assert "Overall score" in body and "Not reached" not in body and "Why this signal" not in body
    assert "under half" not in body  # the stale rule is gone from every version
    assert client.get(url("report_pdf", session)).status_code == 200


def test_ties_are_never_named_the_weakest():
    from feedback.suggestions import lowest_without_ties

    def steps(*values):
        return [{"key": f"s{n}", "value": v} for n, v in enumerate(values)]

    keys = lambda picked: [item["key"] for item in picked]  # noqa: E731
    assert keys(lowest_without_ties(steps(3, 3, 3, 3), "value", 2)) == []  # all equal
    assert keys(lowest_without_ties(steps(3, 2, 3, 1), "value", 2)) == ["s3", "s1"]
    # 2.5 twice does not fit beside 2.0: only 2.0 is named, not one of the pair at random.
    assert keys(lowest_without_ties(steps(2.5, 2.0, 2.5, 3.0), "value", 2)) == ["s1"]
    assert keys(lowest_without_ties(steps(2.0, 2.0, 3.0), "value", 2)) == ["s0", "s1"]
    assert keys(lowest_without_ties(steps(2.004, 2.0, 3.0), "value", 1)) == []  # same as shown
    assert keys(lowest_without_ties(steps(None, 2.0, 3.0), "value", 2)) == ["s1"]


def test_a_session_scored_the_same_everywhere_names_no_weakest_step():
    session = factories.finished_interview(hints=False)
    data = scored(session, level=3)
    assert data["weakest"] == []
    assert "No step stood out as weaker than the others this time." in page_text(data)


def test_the_interviewers_copy_speaks_about_the_candidate(
    client, django_capture_on_commit_callbacks
):
    session = factories.finished_interview(hints=False)
    with django_capture_on_commit_callbacks(execute=True):
        factories.self_assess(session)
        factories.finalise(session)
    url = reverse("report", args=[session.interview.pk])
    client.force_login(session.interviewer)
    theirs = client.get(url).content.decode()
    assert "The candidate's reflection" in theirs
    assert "Your reflection" not in theirs and "Your notes" not in theirs
    assert "Feedback from your interviewer" not in theirs
    client.force_login(session.candidate)
    mine = client.get(url).content.decode()
    assert "Your reflection" in mine and "Feedback from your interviewer" in mine

"""A report that takes longer than usual: the page says so after REPORT_SLOW_SECONDS and offers
its participants a retry that hands it to the workers again, once however often it is pressed.
With a real worker that is stopped (no worker on the queue), then started."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from feedback import services as feedback_services
from interviews.models import Event, Interview, Report
from tests import factories
from tests.conftest import wait_until
from tests.feedback.test_worker import start_worker  # noqa: F401

SLOW = "Taking longer than usual"


def url(name: str, session) -> str:
    return reverse(name, kwargs={"interview_id": session.interview.pk})


def pending_report(session) -> Report:
    """Both sides in, the report requested and never compiled (no worker took it)."""
    Interview.objects.filter(pk=session.interview.pk).update(status="completed")
    return Report.objects.create(interview=session.interview)


def make_slow(report: Report) -> None:
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_SLOW_SECONDS + 5)
    Report.objects.filter(pk=report.pk).update(requested_at=long_ago)


@pytest.mark.django_db
def test_compiling_turns_into_taking_longer_with_a_retry_for_participants_only(
    client, django_assert_max_num_queries
):
    session = factories.finished_interview()
    report = pending_report(session)
    client.force_login(session.candidate)
    body = client.get(url("report", session)).content.decode()
    assert "Compiling your report…" in body and SLOW not in body
    assert 'hx-trigger="every 2s"' in body
    make_slow(report)
    with django_assert_max_num_queries(15):
        body = client.get(url("report", session)).content.decode()
    assert SLOW in body and "data-report-nudge" in body
    assert 'hx-trigger="every 10s"' in body  # a slower poll: the button keeps its focus longer
    # A session reviewer sees the state but may not ask again; nor may anyone else.
    client.force_login(factories.reviewer())
    body = client.get(url("report", session)).content.decode()
    assert SLOW in body and "data-report-nudge" not in body
    assert client.post(url("report_nudge", session)).status_code == 404
    client.force_login(factories.user())
    assert client.post(url("report_nudge", session)).status_code == 404
    client.logout()
    assert client.post(url("report_nudge", session)).status_code == 302  # to log in
    assert not Event.objects.filter(kind="report.retried").exists()


@pytest.mark.django_db
def test_a_retry_asks_once_and_only_for_a_slow_report(django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    report = pending_report(session)
    assert not feedback_services.report_nudge(report_id=report.pk, user=session.candidate)
    make_slow(report)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert feedback_services.report_nudge(report_id=report.pk, user=session.candidate)
        assert not feedback_services.report_nudge(report_id=report.pk, user=session.candidate)
    assert len(callbacks) == 1  # one hand-over to the workers
    event = Event.objects.get(kind="report.retried")
    assert event.data["reason"] == "slow" and event.actor == session.candidate
    Report.objects.filter(pk=report.pk).update(status="failed")
    make_slow(report)
    assert not feedback_services.report_nudge(report_id=report.pk)  # failed: "Try again" there


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_the_worker_stopped_the_retry_hands_it_over_again_and_a_worker_compiles_it(
    start_worker,  # noqa: F811
    client,
):
    from config.celery import app

    queue = app.conf.task_default_queue  # this test's own (start_worker); no worker on it yet
    broker = redis.Redis.from_url(app.conf.broker_url)
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)  # completes; the report is handed to the (stopped) workers
    wait_until(lambda: broker.llen(queue) == 1, timeout=15, what="the first hand-over")
    report = Report.objects.get(interview=session.interview)
    assert report.status == "pending"
    make_slow(report)
    client.force_login(session.interviewer)
    assert SLOW in client.get(url("report", session)).content.decode()
    assert client.post(url("report_nudge", session)).status_code == 302
    assert client.post(url("report_nudge", session)).status_code == 302  # a double click
    wait_until(lambda: broker.llen(queue) == 2, timeout=15, what="the second hand-over")
    page = client.get(url("report", session)).content.decode()
    assert "Compiling your report…" in page and SLOW not in page  # its clock restarted
    start_worker()
    wait_until(
        lambda: Report.objects.get(pk=report.pk).status == "ready", timeout=60, what="the report"
    )
    assert Report.objects.get(pk=report.pk).attempts == 1  # two messages, compiled once
    assert broker.llen(queue) == 0

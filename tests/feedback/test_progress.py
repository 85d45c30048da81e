"""The progress page: history, trends, calibration, weakest steps, within a fixed number of
queries however many sessions there are."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback import services as feedback_services
from interviews.models import Interview, Report
from tests import factories

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 10


def scored(candidate, *, days_ago: int, self_level=3, level=3, solo=False, **overrides):
    """A completed session of ``candidate`` with its report compiled."""
    if solo:
        session = factories.solo_drill(candidate=candidate, notes=False)
    else:
        session = factories.finished_interview(
            candidate=candidate, live_scores={}, hints=False, notes=False
        )
    factories.self_assess(session, level=self_level)
    if not solo:
        factories.finalise(session, level=level, **overrides)
    feedback_services.report_compile(report_id=Report.objects.get(interview=session.interview).pk)
    Interview.objects.filter(pk=session.interview.pk).update(
        completed_at=timezone.now() - timedelta(days=days_ago)
    )
    return session


def progress_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("progress"))
    assert response.status_code == 200
    return len(queries)


def test_the_progress_page_costs_the_same_for_3_and_30_sessions(
    client, django_assert_max_num_queries
):
    few, many = factories.user(name="Fay"), factories.user(name="Manny")
    for n in range(3):
        scored(few, days_ago=n, **{"data-main": 2})  # a weakest step, as for many
    for n in range(30):
        scored(many, days_ago=n, solo=n % 5 == 0, **{"data-main": 1 + n % 4})
    client.force_login(many)
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert client.get(reverse("progress")).status_code == 200
    assert progress_queries(client, few) == progress_queries(client, many)


def test_progress_shows_history_trends_calibration_and_weakest_steps(client):
    me = factories.user(name="Carla")
    scored(me, days_ago=9, self_level=4, level=2)  # over-estimated by 2
    scored(me, days_ago=5, self_level=3, level=3, **{"monitor-main": 1, "serve-main": 2})
    scored(me, days_ago=1, solo=True, self_level=3)
    interviewed = factories.finished_interview(interviewer=me)  # me as the interviewer
    client.force_login(me)
    body = client.get(reverse("progress")).content.decode()
    assert "3 mock interviews · 1 solo drill · 1 as the interviewer" in body
    assert "Overall score over time" in body and 'class="chart chart-line"' in body
    assert 'class="chart chart-delta"' in body
    assert "+1.19" in body  # calibration: mean of +2 and +3/8
    assert body.count('class="chart chart-spark"') == 7
    weakest = body.split("Your weakest steps over your last sessions:")[1].split("</p>")[0]
    assert "Step monitor" in weakest and "Step serve" in weakest
    assert reverse("report", kwargs={"interview_id": interviewed.interview.pk}) not in body
    assert reverse("wrapup", kwargs={"interview_id": interviewed.interview.pk}) in body
    assert body.count(">Report</a>") == 3


def test_progress_of_a_new_user_invites_them_to_practise(client):
    client.force_login(factories.user())
    body = client.get(reverse("progress")).content.decode()
    assert "No scored sessions yet" in body


def test_progress_needs_a_login(client):
    response = client.get(reverse("progress"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_dashboard_links_finished_sessions_to_their_reports(client):
    me = factories.user()
    session = scored(me, days_ago=0)
    client.force_login(me)
    body = client.get(reverse("dashboard")).content.decode()
    assert reverse("report", kwargs={"interview_id": session.interview.pk}) in body
    assert 'href="/progress/"' in body  # the nav

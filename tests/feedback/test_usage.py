"""Curators see how each case is used: sessions, hints and curveballs per interview, the mean
interviewer level per step, and a nudge for cases that look too hard or too easy."""

import pytest
from django.urls import reverse

from feedback import usage as feedback_usage
from tests import factories

pytestmark = pytest.mark.django_db


def completed(level: int):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session, level=level)
    return session


def test_figures_per_case(django_capture_on_commit_callbacks):
    for _ in range(3):
        completed(level=2)
    abandoned = factories.interview()
    abandoned.interview.status = "abandoned"
    abandoned.interview.save()
    _, usage = feedback_usage.case_usage()
    row = next(r for r in usage if r.case.slug == "factory-case")
    assert (row.sessions, row.peer, row.solo, row.completed) == (3, 3, 0, 3)
    assert (row.hints_per_peer, row.curveballs_per_peer) == (1.0, 1.0)
    assert row.step_levels["clarify"] == 2.0 and row.overall == 2.0
    assert row.verdict == "too hard?"


def test_no_verdict_before_three_completed_sessions(django_capture_on_commit_callbacks):
    completed(level=4)
    _, usage = feedback_usage.case_usage()
    row = next(r for r in usage if r.case.slug == "factory-case")
    assert row.overall == 4.0 and row.verdict == ""


def test_staff_curators_see_the_page_and_nobody_else(client):
    factories.interview()
    url = reverse("case_usage")
    assert client.get(url).status_code == 302  # anonymous: log in first
    client.force_login(factories.user())
    assert client.get(url).status_code == 404
    client.force_login(factories.user(staff=True))
    page = client.get(url)
    assert page.status_code == 200 and "Case study factory-case" in page.content.decode()


@pytest.mark.parametrize("n", [1, 6])
def test_the_page_costs_the_same_however_many_sessions(client, n, django_assert_max_num_queries):
    for _ in range(n):
        factories.finished_interview()
    client.force_login(factories.user(staff=True))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("case_usage")).status_code == 200

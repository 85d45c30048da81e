"""Least privilege: an interview's private notes and scores (the wrap-up's and the report's
views of it, the timeline with the interviewer's rows, the downloads) are for its participants
and for session reviewers (``interviews.view_private``), whose every read is logged. Curating
the bank gives no sight of interviews; the demo curator is a curator only."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import services as account_services
from feedback.models import PrivateRead
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "participant", "other", "curator", "reviewer", "superuser")


@pytest.fixture
def completed(django_capture_on_commit_callbacks):
    session = factories.finished_interview()
    factories.self_assess(session)
    with django_capture_on_commit_callbacks(execute=True):
        factories.finalise(session)
    session.refresh()
    assert session.interview.report.status == "ready"
    return session


@pytest.fixture
def wrapping_up():
    return factories.finished_interview()


def person(role: str, session):
    return {
        "anonymous": lambda: None,
        "participant": lambda: session.interviewer,
        "other": lambda: factories.user(),
        "curator": lambda: factories.user(staff=True),
        "reviewer": lambda: factories.reviewer(),
        "superuser": lambda: factories.superuser(),
    }[role]()


EXPECTED = {
    "anonymous": 302,  # to the login page
    "participant": 200,
    "other": 404,
    "curator": 404,
    "reviewer": 200,
    "superuser": 200,
}


def pages(interview) -> dict[str, str]:
    return {
        "report": reverse("report", args=[interview.pk]),
        "report PDF": reverse("report_pdf", args=[interview.pk]),
        "report Markdown": reverse("report_md", args=[interview.pk]),
        "timeline": reverse("timeline", args=[interview.pk]),
    }


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_a_completed_interviews_report_and_timeline(client, completed, role):
    user = person(role, completed)
    if user is not None:
        client.force_login(user)
    for what, url in pages(completed.interview).items():
        response = client.get(url)
        assert response.status_code == EXPECTED[role], (what, response.status_code)
    logged = PrivateRead.objects.filter(interview=completed.interview)
    if role in ("reviewer", "superuser"):
        assert sorted(logged.values_list("what", flat=True)) == sorted(pages(completed.interview))
        assert set(logged.values_list("reader", flat=True)) == {user.pk}
    else:
        assert not logged.exists()  # participants' own reads are not logged


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_a_wrapup_in_progress(client, wrapping_up, role):
    user = person(role, wrapping_up)
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("wrapup", args=[wrapping_up.interview.pk]))
    assert response.status_code == EXPECTED[role]
    logged = PrivateRead.objects.filter(interview=wrapping_up.interview, what="wrap-up")
    assert logged.exists() == (role in ("reviewer", "superuser"))


def test_a_reviewer_reads_the_interviewers_rows_of_the_timeline_but_cannot_assess(
    client, wrapping_up
):
    client.force_login(factories.reviewer())
    html = client.get(reverse("timeline", args=[wrapping_up.interview.pk])).content.decode()
    assert "Scored" in html  # the interviewer's live scores: interviewer-only rows
    response = client.post(reverse("wrapup", args=[wrapping_up.interview.pk]), {})
    assert response.status_code == 404


def test_curators_keep_the_bank_and_the_usage_figures(client):
    curator = factories.user(staff=True)
    client.force_login(curator)
    assert client.get(reverse("case_usage")).status_code == 200
    assert client.get(reverse("admin:casestudies_casestudy_changelist")).status_code == 200
    assert client.get(reverse("admin:rubrics_rubric_changelist")).status_code == 200
    assert not curator.has_perm("interviews.view_private")


def test_reviewers_get_no_curation(client):
    reviewer = factories.reviewer()
    client.force_login(reviewer)
    assert client.get(reverse("case_usage")).status_code == 404
    assert not reviewer.has_perm("casestudies.change_casestudy")


def test_the_demo_curator_is_a_curator_only():
    account_services.demo_accounts_ensure(password="demo-password-for-tests")
    curator = get_user_model().objects.get(email="curator@example.com")
    assert curator.is_staff and not curator.is_superuser
    assert curator.has_perm("casestudies.change_casestudy")
    assert not curator.has_perm("interviews.view_private")
    assert not curator.has_perm("feedback.view_privateread")


def test_the_groups_exist_after_migrate():
    from django.contrib.auth.models import Group

    reviewers = Group.objects.get(name="Session reviewers")
    assert list(reviewers.permissions.values_list("codename", flat=True)) == ["view_private"]
    assert Group.objects.filter(name="Curators").exists()


def test_the_read_log_is_listed_for_superusers_only(client, completed):
    reviewer = factories.reviewer()
    client.force_login(reviewer)
    client.get(reverse("report", args=[completed.interview.pk]))
    url = reverse("admin:feedback_privateread_changelist")
    client.force_login(factories.user(staff=True))
    assert client.get(url).status_code == 403
    client.force_login(factories.superuser())
    page = client.get(url)
    assert page.status_code == 200
    assert "report" in page.content.decode() and reviewer.username in page.content.decode()

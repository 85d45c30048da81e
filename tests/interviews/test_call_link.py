"""The optional meeting link of a peer interview, for teams that talk in their own tool: set on
the new-interview page, changed by the interviewer until the start, https only, shown to both
people in the room as a link that does not hand the room's page to the meeting site."""

import re

import pytest
from django.urls import reverse

from interviews import calls, services
from interviews.forms import InterviewForm
from interviews.models import Interview
from tests import factories

pytestmark = pytest.mark.django_db

GOOD = "https://meet.example.org/abc-defg-hij?pwd=1"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("http://meet.example.org/x", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("data:text/html,<script>alert(1)</script>", "must start with https://"),
        ("//meet.example.org/x", "must start with https://"),
        ("meet.example.org/x", "must start with https://"),
        ("https://", "not a web address"),
        ("https://exa mple.org/x", "not a web address"),
        ("https://user:secret@meet.example.org/x", "user name and password"),
        ("https://meet.example.org/" + "x" * 600, "at most 500"),
    ],
)
def test_a_meeting_link_must_be_an_https_address(value, why):
    with pytest.raises(ValueError, match=why):
        calls.call_link_clean(value)


def test_a_good_link_is_kept_and_blank_means_none():
    assert calls.call_link_clean(f"  {GOOD} ") == GOOD
    assert calls.call_link_clean("") == calls.call_link_clean("   ") == ""


def test_the_new_interview_page_takes_a_link(client, case):
    user = factories.user()
    client.force_login(user)
    page = client.get(reverse("interview_new")).content.decode()
    assert 'name="call_link"' in page
    assert 'name="call_link"' not in client.get(reverse("drill_new")).content.decode()
    data = {"case_study": str(case.pk), "role": "interviewer", "target_level": "senior"}
    refused = client.post(reverse("interview_new"), {**data, "call_link": "http://x.org/a"})
    assert refused.status_code == 200
    assert "must start with https://" in refused.content.decode()
    assert not Interview.objects.exists()
    response = client.post(reverse("interview_new"), {**data, "call_link": GOOD})
    interview = Interview.objects.get()
    assert response.status_code == 302 and interview.call_link == GOOD


def test_the_form_has_no_link_for_a_drill(case):
    form = InterviewForm(cases=[case], solo=True)
    assert "call_link" not in form.fields


def test_both_see_the_link_in_the_room_opening_apart(client, peer):
    services.call_link_set(interview=peer.interview, role="interviewer", link=GOOD)
    for who in (peer.interviewer, peer.candidate):
        client.force_login(who)
        html = client.get(peer.interview.get_absolute_url()).content.decode()
        link = re.search(r'<a href="([^"]+)" target="_blank" rel="([^"]+)">Open the meeting', html)
        assert link, who
        assert link.group(1) == GOOD.replace("&", "&amp;")
        assert set(link.group(2).split()) == {"noopener", "noreferrer"}
    # Only the interviewer has the form to change it.
    client.force_login(peer.candidate)
    assert "data-call-link-edit" not in client.get(peer.interview.get_absolute_url()).text
    client.force_login(peer.interviewer)
    assert "data-call-link-edit" in client.get(peer.interview.get_absolute_url()).text


def test_the_interviewer_changes_the_link_before_the_start(
    client, peer, django_assert_max_num_queries
):
    url = reverse("call_link", args=[peer.interview.pk])
    client.force_login(peer.interviewer)
    with django_assert_max_num_queries(10):  # session, user, access, update, messages
        response = client.post(url, {"call_link": GOOD})
    assert response.status_code == 302
    assert peer.refresh().call_link == GOOD
    bad = client.post(url, {"call_link": "ftp://files.example.org/"}, follow=True)
    assert "must start with https://" in bad.content.decode()
    assert peer.refresh().call_link == GOOD  # nothing lost
    client.post(url, {"call_link": ""})
    assert peer.refresh().call_link == ""


def test_the_candidate_and_strangers_cannot_change_it(client, peer):
    services.call_link_set(interview=peer.interview, role="interviewer", link=GOOD)
    url = reverse("call_link", args=[peer.interview.pk])
    client.force_login(peer.candidate)
    page = client.post(url, {"call_link": "https://evil.example.net/"}, follow=True)
    assert "Only the interviewer changes the meeting link." in page.content.decode()
    client.force_login(peer.outsider)
    assert client.post(url, {"call_link": "https://evil.example.net/"}).status_code == 404
    client.logout()
    assert client.post(url, {"call_link": "https://evil.example.net/"}).status_code == 302
    assert client.get(url).status_code in (302, 405)
    assert peer.refresh().call_link == GOOD


def test_after_the_start_the_link_stays(client, live):
    client.force_login(live.interviewer)
    page = client.post(
        reverse("call_link", args=[live.interview.pk]), {"call_link": GOOD}, follow=True
    )
    assert "only before the start" in page.content.decode()
    assert live.refresh().call_link == ""
    with pytest.raises(services.ServiceError) as refused:
        services.call_link_set(interview=live.interview, role="interviewer", link=GOOD)
    assert refused.value.code == "invalid_state"

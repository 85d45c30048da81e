"""Pages around the room: the library, a case study's page, creating and joining an interview,
the room page itself. Access is checked in the view for every object; the main pages keep a
fixed query budget however many case studies and interviews exist."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from casestudies.models import CaseStudy
from interviews import services
from interviews.models import Interview
from tests import factories
from tests.interviews.conftest import make_peer

pytestmark = pytest.mark.django_db


def test_the_library_lists_published_cases_only(client, case):
    factories.case_study(slug="a-draft", status="draft", complete=False, title="Hidden draft")
    client.force_login(factories.user())
    page = client.get(reverse("library")).content.decode()
    assert "Case study visual-search" in page
    assert "Hidden draft" not in page


def test_the_library_filters_by_domain_difficulty_and_text(client, case):
    factories.case_study(
        slug="fraud", domain="risk", difficulty="hard", summary="Card payments under attack."
    )
    client.force_login(factories.user())
    by_domain = client.get(reverse("library"), {"domain": "risk"}).content.decode()
    assert "Case study fraud" in by_domain and "Case study visual-search" not in by_domain
    by_level = client.get(reverse("library"), {"difficulty": "medium"}).content.decode()
    assert "Case study visual-search" in by_level and "Case study fraud" not in by_level
    by_text = client.get(reverse("library"), {"q": "payments"}).content.decode()
    assert "Case study fraud" in by_text and "Case study visual-search" not in by_text
    nothing = client.get(reverse("library"), {"q": "zzz-nothing"}).content.decode()
    assert "No case study matches" in nothing


def test_unknown_filter_values_are_ignored_not_errors(client, case):
    client.force_login(factories.user())
    response = client.get(reverse("library"), {"domain": "<script>", "difficulty": "9"})
    assert response.status_code == 200
    assert "Case study visual-search" in response.content.decode()


def test_an_htmx_request_gets_only_the_results_partial(client, case):
    client.force_login(factories.user())
    response = client.get(
        reverse("library"),
        {"q": "visual"},
        headers={"HX-Request": "true", "HX-Target": "library-results"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="library-results"')
    assert "<html" not in html


def test_the_library_marks_cases_already_practised(client, live):
    client.force_login(live.candidate)
    page = client.get(reverse("library")).content.decode()
    assert "Practised" in page
    client.force_login(live.outsider)
    assert "✓ Practised" not in client.get(reverse("library")).content.decode()


def test_the_library_and_case_pages_need_login(client, case):
    for url in (reverse("library"), reverse("case_detail", args=[case.slug])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


# --- Who may read a case's interviewer guide: tests/interviews/test_guide_access.py ---------------

GUIDE_TEXT = "Probe text for visual-search clarify."


def test_an_unpublished_case_page_is_not_found(client, case):
    draft = factories.case_study(slug="wip", status="draft", complete=False)
    client.force_login(factories.user(staff=True))
    assert client.get(reverse("case_detail", args=[draft.slug])).status_code == 404


# --- Creating and joining -------------------------------------------------------------------------


def test_creating_an_interview_from_the_form_opens_its_room(client, case):
    user = factories.user()
    client.force_login(user)
    response = client.post(
        reverse("interview_new"),
        {"case_study": str(case.pk), "role": "interviewer", "target_level": "staff"},
    )
    interview = Interview.objects.get()
    assert response.status_code == 302 and response.url == interview.get_absolute_url()
    assert (interview.target_level, interview.participants.get().role) == ("staff", "interviewer")
    room = client.get(response.url).content.decode()
    assert reverse("join", args=[interview.invite.token]) in room


def test_the_form_proposes_the_interviewer_role_as_the_readme_describes(client, case):
    client.force_login(factories.user())
    page = client.get(reverse("interview_new")).content.decode()
    assert re.search(r'<input[^>]*value="interviewer"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="candidate"[^>]*checked', page)


def test_surprise_me_from_the_form(client, case):
    client.force_login(factories.user())
    client.post(reverse("drill_new"), {"case_study": "surprise", "target_level": "mid"})
    assert Interview.objects.get().case_study == case


def test_a_bad_form_is_shown_again_with_errors(client, case):
    client.force_login(factories.user())
    response = client.post(
        reverse("interview_new"), {"case_study": "999999", "role": "boss", "target_level": "mid"}
    )
    assert response.status_code == 200
    assert not Interview.objects.exists()
    assert "errorlist" in response.content.decode()


def test_the_join_page_explains_then_joins_on_post(client, case):
    creator = factories.user(name="Ines")
    interview = services.interview_create(
        user=creator, case_study=case, role="interviewer", target_level="senior"
    )
    guest = factories.user(name="Carl")
    client.force_login(guest)
    url = reverse("join", args=[interview.invite.token])
    page = client.get(url).content.decode()
    assert "Ines" in page and "Join as candidate" in page
    assert not interview.participants.filter(user=guest).exists()  # a GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert interview.participants.get(user=guest).role == "candidate"


def test_a_used_or_unknown_link_says_so(client, peer):
    client.force_login(peer.outsider)
    response = client.post(reverse("join", args=[peer.interview.invite.token]))
    assert response.status_code == 400 and "already been used" in response.content.decode()
    response = client.get(reverse("join", args=["no-such-token"]))
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_a_used_link_says_so_before_join_is_pressed(client, peer):
    client.force_login(peer.outsider)
    page = client.get(reverse("join", args=[peer.interview.invite.token])).content.decode()
    assert "already been used" in page and "Ask your peer for a new one" in page
    assert "Join as" not in page  # no button that could only fail


def test_an_expired_link_says_so_before_join_is_pressed(client, case):
    interview = services.interview_create(
        user=factories.user(), case_study=case, role="interviewer", target_level="senior"
    )
    interview.invite.expires_at = timezone.now() - timedelta(minutes=1)
    interview.invite.save(update_fields=["expires_at"])
    client.force_login(factories.user())
    page = client.get(reverse("join", args=[interview.invite.token])).content.decode()
    assert "has expired" in page and "Join as" not in page


def test_the_creator_opening_their_own_link_is_told_to_send_it(client, case):
    creator = factories.user()
    interview = services.interview_create(
        user=creator, case_study=case, role="interviewer", target_level="senior"
    )
    client.force_login(creator)
    page = client.get(reverse("join", args=[interview.invite.token])).content.decode()
    assert "your own invite link" in page and "Join as" not in page


def test_joining_needs_login(client, peer):
    response = client.get(reverse("join", args=[peer.interview.invite.token]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- The room page --------------------------------------------------------------------------------


def test_the_candidates_room_page_holds_no_guide(client, live):
    client.force_login(live.candidate)
    html = client.get(live.interview.get_absolute_url()).content.decode()
    assert "Prompt of visual-search" in html
    for secret in ("Probe text for", "Hint 1 for", "Score this step", "Private notes"):
        assert secret not in html, secret


def test_the_interviewers_room_page_holds_the_guide_for_the_current_step(client, live):
    client.force_login(live.interviewer)
    html = client.get(live.interview.get_absolute_url()).content.decode()
    assert GUIDE_TEXT in html and "Score this step" in html
    assert "Probe text for visual-search frame." not in html  # only the current step


@pytest.mark.parametrize("who", ["outsider", "staff"])
def test_the_room_is_not_found_for_anyone_else(client, live, who):
    user = live.outsider if who == "outsider" else factories.user(staff=True)
    client.force_login(user)
    assert client.get(live.interview.get_absolute_url()).status_code == 404


def test_an_ended_interview_sends_the_room_to_the_wrapup(client, live):
    services.interview_end(actor=live.actor("interviewer"))
    client.force_login(live.candidate)
    response = client.get(live.interview.get_absolute_url())
    assert response.status_code == 302 and response.url.endswith("/wrap-up/")


def test_abandoning_from_the_room_is_a_post(client, peer):
    client.force_login(peer.candidate)
    url = reverse("abandon", args=[peer.interview.pk])
    assert client.get(url).status_code == 405
    client.post(url)
    assert peer.refresh().status == "abandoned"
    client.force_login(peer.outsider)
    assert client.post(url).status_code == 404


# --- Query budgets --------------------------------------------------------------------------------


def grow(case, n: int) -> None:
    """More case studies, and interviews for the people in them."""
    for i in range(n):
        factories.case_study(slug=f"extra-{n}-{i}")
    for _ in range(n // 3):
        make_peer(case)


@pytest.mark.parametrize("n", [3, 30])
def test_main_pages_cost_the_same_with_3_or_30_cases_and_interviews(
    client, live, n, django_assert_max_num_queries
):
    grow(live.interview.case_study, n)
    for i in range(n // 3):
        # Drills on other cases: one on the case of a live interview would be refused.
        services.interview_create(
            user=live.candidate,
            case_study=CaseStudy.objects.get(slug=f"extra-{n}-{i}"),
            role="candidate",
            target_level="mid",
            kind="solo",
        )
    client.force_login(live.candidate)
    budgets = {
        reverse("library"): 8,
        reverse("case_detail", args=["visual-search"]): 10,
        reverse("dashboard"): 10,
        live.interview.get_absolute_url(): 10,
    }
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200, url
    client.force_login(live.interviewer)
    with django_assert_max_num_queries(18):  # the interviewer's room renders the step's guide
        assert client.get(live.interview.get_absolute_url()).status_code == 200

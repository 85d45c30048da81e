"""The guide rule (interviews.guides.guide_access): a case's interviewer guide is never shown
to someone who is, or is about to be, the candidate on that case in a session that is not
finished, whatever other session they start or page they open. Each unlock path found in the
hardening review is a test here; seeing a guide is recorded, and practising a case whose guide
one has seen is allowed only knowingly, and said in the report."""

import pytest
from django.urls import reverse

from casestudies.models import GuideView
from feedback import services as feedback_services
from interviews import guides, services
from interviews.errors import ServiceError
from interviews.models import Interview
from tests import factories

pytestmark = pytest.mark.django_db

# Texts of the factory case "visual-search" (tests/factories.step_doc): one of each kind, none
# of them sent to the candidate during a session (factories.finished_interview sends the first
# hint of "clarify" and the curveball of "data").
SECRETS = (
    "Probe text for visual-search",
    "Follow-up 1 for visual-search",
    "Hint 2 for visual-search",
    "Curveball for visual-search clarify",
    "Strong signal 1 for visual-search",
    "Red flag 1 for visual-search",
    "Reference notes for visual-search",
    "A[Query] --&gt; B[Model]",  # the reference architecture, as the page escapes it
)


def leaked(html: str) -> list[str]:
    return [secret for secret in SECRETS if secret in html]


def case_page(client, user, case) -> str:
    client.force_login(user)
    response = client.get(reverse("case_detail", args=[case.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Prompt of visual-search" in html  # everybody gets the prompt
    return html


def guide_shown(client, user, case) -> bool:
    return "Probe text for visual-search clarify." in case_page(client, user, case)


def create(user, case, role, kind="peer") -> Interview:
    return services.interview_create(
        user=user, case_study=case, role=role, target_level="senior", kind=kind
    )


# --- Who may read the guide on the case page ----------------------------------------------------


def test_nobody_sees_the_guide_without_having_practised(client, case):
    assert not guide_shown(client, factories.user(), case)


def test_an_interview_nobody_joined_grants_nothing(client, case):
    creator = factories.user()
    create(creator, case, "interviewer")
    assert not guide_shown(client, creator, case)


def test_interviewing_in_a_session_that_started_grants_the_guide(client, live):
    assert guide_shown(client, live.interviewer, live.interview.case_study)


def test_a_drill_grants_nothing_ended_or_completed(client, case):
    drill = factories.solo_drill(case_slug="visual-search")  # ended: in its wrap-up
    assert not guide_shown(client, drill.candidate, case)
    factories.self_assess(drill)
    assert drill.refresh().status == Interview.Status.COMPLETED
    assert not guide_shown(client, drill.candidate, case)


def test_the_candidate_sees_the_guide_only_once_their_self_assessment_is_in(client, peer):
    case = peer.interview.case_study
    assert not guide_shown(client, peer.candidate, case)  # scheduled
    services.interview_start(actor=peer.actor("interviewer"))
    assert not guide_shown(client, peer.candidate, case)  # live
    services.interview_end(actor=peer.actor("interviewer"))
    assert not guide_shown(client, peer.candidate, case)  # wrap-up, before the self-assessment
    factories.self_assess(factories.Session(peer.interview, peer.interviewer, peer.candidate))
    assert guide_shown(client, peer.candidate, case)


def test_staff_see_the_guide_unless_they_are_the_candidate(client, case):
    curator = factories.user(staff=True)
    assert guide_shown(client, curator, case)
    create(curator, case, "candidate")
    assert not guide_shown(client, curator, case)


def test_a_locked_page_says_why(client, live):
    html = case_page(client, live.candidate, live.interview.case_study)
    assert "until your self-assessment for it is in" in html


# --- The unlock paths of the review: each is closed ----------------------------------------------


def test_the_candidate_cannot_interview_on_their_own_case_to_read_the_guide(client, live):
    case = live.interview.case_study
    with pytest.raises(ServiceError) as refused:
        create(live.candidate, case, "interviewer")
    assert "not finished" in refused.value.message
    assert not guide_shown(client, live.candidate, case)


def test_the_form_refuses_it_with_a_clear_message(client, live):
    client.force_login(live.candidate)
    before = Interview.objects.count()
    response = client.post(
        reverse("interview_new"),
        {
            "case_study": str(live.interview.case_study.pk),
            "role": "interviewer",
            "target_level": "senior",
        },
    )
    assert response.status_code == 200
    assert "You are the candidate in an interview or drill on this case" in (
        response.content.decode()
    )
    assert Interview.objects.count() == before


def test_the_candidate_cannot_drill_their_own_case_and_end_it(client, live):
    case = live.interview.case_study
    with pytest.raises(ServiceError):
        create(live.candidate, case, "candidate", kind="solo")
    assert not guide_shown(client, live.candidate, case)


def test_the_candidate_cannot_join_someone_elses_interview_as_its_interviewer(client, live):
    other = create(factories.user(), live.interview.case_study, "candidate")
    client.force_login(live.candidate)
    url = reverse("join", args=[other.invite.token])
    page = client.get(url).content.decode()
    assert "You are the candidate in an interview or drill on this case" in page
    assert "Join as interviewer" not in page
    response = client.post(url)
    assert response.status_code == 400
    assert not other.participants.filter(user=live.candidate).exists()


def test_a_candidate_about_to_be_starts_nothing_else_on_the_case(client, case):
    person = factories.user()
    create(person, case, "candidate")  # scheduled: nobody joined yet
    for role, kind in (("interviewer", "peer"), ("candidate", "peer"), ("candidate", "solo")):
        with pytest.raises(ServiceError):
            create(person, case, role, kind=kind)
    assert not guide_shown(client, person, case)


def test_an_interviewer_does_not_become_the_candidate_on_the_same_case_meanwhile(live):
    with pytest.raises(ServiceError) as refused:
        create(live.interviewer, live.interview.case_study, "candidate")
    assert "interviewer in an interview on this case" in refused.value.message
    with pytest.raises(ServiceError):
        create(live.interviewer, live.interview.case_study, "candidate", kind="solo")


def test_abandoning_the_unfinished_session_lifts_the_refusal(case):
    person = factories.user()
    first = create(person, case, "candidate")
    services.interview_abandon(user=person, interview=first, role="candidate")
    create(person, case, "interviewer")


def test_other_cases_are_not_affected(live):
    create(live.candidate, factories.case_study(slug="another-case"), "interviewer")
    create(live.candidate, factories.case_study(slug="a-third-case"), "candidate", kind="solo")


# --- No page leaks the guide before the self-assessment -----------------------------------------


def pages_of(interview: Interview) -> dict[str, str]:
    case = interview.case_study
    return {
        "case page": reverse("case_detail", args=[case.slug]),
        "candidate preview": reverse("casestudies:preview_candidate", args=[case.slug]),
        "interviewer preview": reverse("case_preview_interviewer", args=[case.slug]),
        "wrap-up": reverse("wrapup", args=[interview.pk]),
        "timeline": reverse("timeline", args=[interview.pk]),
        "report": reverse("report", args=[interview.pk]),
    }


@pytest.mark.parametrize("staff", [False, True], ids=["candidate", "staff-candidate"])
def test_no_page_shows_the_guide_before_the_self_assessment(client, case, staff):
    candidate = factories.user(staff=staff)
    session = factories.finished_interview(case_slug="visual-search", candidate=candidate)
    client.force_login(candidate)
    for name, url in pages_of(session.interview).items():
        response = client.get(url, follow=True)
        assert response.status_code in (200, 403, 404), name
        html = response.content.decode()
        assert leaked(html) == [], name


def test_after_the_self_assessment_the_guide_opens(client, case):
    session = factories.finished_interview(case_slug="visual-search")
    factories.self_assess(session)
    assert guide_shown(client, session.candidate, case)


def test_an_earlier_sessions_pages_close_while_a_new_one_on_the_case_is_unfinished(client, case):
    """Someone who interviewed on a case (and so has its guide in that session's wrap-up,
    timeline and report) and is now its candidate reads none of them until they are done."""
    earlier = factories.finished_interview(case_slug="visual-search")
    factories.self_assess(earlier)
    factories.finalise(earlier)
    assert earlier.refresh().status == Interview.Status.COMPLETED
    person = earlier.interviewer
    now = create(person, case, "candidate")
    client.force_login(person)
    for name, url in pages_of(earlier.interview).items():
        response = client.get(url)
        assert response.status_code in ((200,) if name == "case page" else (403, 404)), name
        assert leaked(response.content.decode()) == [], name
    for url in (
        reverse("report_pdf", args=[earlier.interview.pk]),
        reverse("report_md", args=[earlier.interview.pk]),
    ):
        assert client.get(url).status_code == 403
    services.interview_abandon(user=person, interview=now, role="candidate")
    assert client.get(pages_of(earlier.interview)["report"]).status_code == 200


def test_the_access_function_reports_the_locking_session(live):
    access = guides.guide_access(user=live.candidate, case=live.interview.case_study)
    assert (access.visible, access.why, access.locked_by) == (False, "locked", live.interview.pk)
    own = guides.guide_access(
        user=live.candidate, case=live.interview.case_study, session=live.interview
    )
    assert own.visible  # a session's own pages are never locked by itself


# --- Seeing a guide is recorded ------------------------------------------------------------------


def test_the_case_page_records_a_view_only_when_it_shows_the_guide(client, live):
    case = live.interview.case_study
    case_page(client, live.candidate, case)
    assert not GuideView.objects.filter(user=live.candidate).exists()
    case_page(client, live.interviewer, case)
    view = GuideView.objects.get(user=live.interviewer)
    assert (view.case_study, view.where, view.case_version) == (case, "case_page", case.version)


def test_curators_previews_and_admin_record_their_views(client, case):
    curator = factories.user(staff=True)
    client.force_login(curator)
    for url in (
        reverse("casestudies:preview_candidate", args=[case.slug]),
        reverse("case_preview_interviewer", args=[case.slug]),
        reverse("admin:casestudies_casestudy_change", args=[case.pk]),
    ):
        assert client.get(url).status_code == 200, url
    assert sorted(GuideView.objects.filter(user=curator).values_list("where", flat=True)) == [
        "admin",
        "preview_candidate",
        "preview_interviewer",
    ]


def test_a_curator_who_is_the_candidate_gets_no_preview(client, case):
    curator = factories.user(staff=True)
    create(curator, case, "candidate")
    client.force_login(curator)
    for url in (
        reverse("casestudies:preview_candidate", args=[case.slug]),
        reverse("case_preview_interviewer", args=[case.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert leaked(response.content.decode()) == []
    assert not GuideView.objects.filter(user=curator).exists()


def test_the_interviewers_room_records_a_view(client, live):
    client.force_login(live.interviewer)
    client.get(live.interview.get_absolute_url())
    assert GuideView.objects.filter(user=live.interviewer, where="room").count() == 1
    client.force_login(live.candidate)
    client.get(live.interview.get_absolute_url())
    assert not GuideView.objects.filter(user=live.candidate).exists()


def test_the_guide_view_log_is_for_superusers_only(client, case):
    curator = factories.user(staff=True)
    client.force_login(curator)
    assert client.get(reverse("admin:casestudies_guideview_changelist")).status_code == 403
    assert not curator.has_perm("casestudies.view_guideview")


# --- Practising a case whose guide one has seen: knowingly, and the report says so ---------------


def seen(user, case) -> None:
    GuideView.objects.create(user=user, case_study=case, case_version=case.version, where="admin")


@pytest.mark.parametrize("solo", [False, True], ids=["interview", "drill"])
def test_creating_as_candidate_after_seeing_the_guide_asks_first(client, case, solo):
    person = factories.user()
    seen(person, case)
    client.force_login(person)
    url = reverse("drill_new" if solo else "interview_new")
    data = {"case_study": str(case.pk), "role": "candidate", "target_level": "senior"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "You have read this case's interviewer guide" in response.content.decode()
    assert not Interview.objects.exists()
    response = client.post(url, {**data, "guide_seen_ok": "1"})
    assert response.status_code == 302
    assert Interview.objects.get().participants.get().user == person


def test_creating_as_interviewer_after_seeing_the_guide_asks_nothing(client, case):
    person = factories.user()
    seen(person, case)
    client.force_login(person)
    data = {"case_study": str(case.pk), "role": "interviewer", "target_level": "senior"}
    assert client.post(reverse("interview_new"), data).status_code == 302


def test_joining_as_candidate_after_seeing_the_guide_asks_first(client, case):
    person = factories.user()
    seen(person, case)
    invite = create(factories.user(), case, "interviewer").invite
    client.force_login(person)
    url = reverse("join", args=[invite.token])
    assert "You have read this case's interviewer guide" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 200 and "Tick the box" in response.content.decode()
    assert not invite.interview.participants.filter(user=person).exists()
    assert client.post(url, {"guide_seen_ok": "1"}).status_code == 302
    assert invite.interview.participants.get(user=person).role == "candidate"


def test_the_report_says_the_candidate_had_seen_the_guide(
    client, case, django_capture_on_commit_callbacks
):
    candidate = factories.user()
    seen(candidate, case)
    session = factories.finished_interview(case_slug="visual-search", candidate=candidate)
    factories.self_assess(session)
    with django_capture_on_commit_callbacks(execute=True):
        factories.finalise(session)
    report = session.interview.report
    report.refresh_from_db()
    assert report.status == "ready"
    assert report.data["interview"]["guide_seen_at"]
    sentence = "The candidate had read this case's interviewer guide before the session"
    assert sentence in report.markdown
    client.force_login(candidate)
    assert sentence in client.get(reverse("report", args=[session.interview.pk])).content.decode()


def test_a_report_without_a_prior_view_says_nothing(case, django_capture_on_commit_callbacks):
    session = factories.finished_interview(case_slug="visual-search")
    feedback_services.assessment_submit(actor=session.actor("candidate"), skipped=True)
    with django_capture_on_commit_callbacks(execute=True):
        factories.finalise(session)
    session.interview.report.refresh_from_db()
    data = session.interview.report.data
    assert data["interview"]["guide_seen_at"] is None
    assert "interviewer guide before the session" not in session.interview.report.markdown

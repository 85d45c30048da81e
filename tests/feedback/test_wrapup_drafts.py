"""The wrap-up saved as you go: drafts kept on the server per side, restored on a reload, never
crossing between the sides; the error summary of a refused submission; the interviewer's notes,
hints and live scores beside the scorecard."""

import re

import pytest
from django.urls import reverse

from interviews.models import Document, WrapupDraft
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "Interviewer-only draft evidence"


def urls(session) -> tuple[str, str]:
    pk = session.interview.pk
    return (
        reverse("wrapup", kwargs={"interview_id": pk}),
        reverse("wrapup_draft", kwargs={"interview_id": pk}),
    )


def test_the_candidates_choices_and_notes_are_kept_and_fill_the_form_again(client):
    session = factories.finished_interview()
    page, draft = urls(session)
    client.force_login(session.candidate)
    first = client.post(draft, {"level-clarify-main": "2", "note-clarify-main": "Asked why."})
    assert first.status_code == 200
    assert first.json() == {"saved": True, "revision": 1}
    # A later save merges: what it does not name is kept.
    second = client.post(draft, {"level-frame-main": "not_observed", "reflection": "Rushed."})
    assert second.json()["revision"] == 2
    saved = WrapupDraft.objects.get(interview=session.interview, source="self")
    assert saved.fields["level-clarify-main"] == "2"
    assert saved.author == session.candidate
    body = client.get(page).content.decode()
    assert 'name="level-clarify-main" value="2" checked' in body
    assert 'name="level-frame-main" value="not_observed" checked' in body
    assert ">Asked why.</textarea>" in body
    assert ">Rushed.</textarea>" in body
    # Two of the criteria are scored: the progress says so, for its step and overall.
    assert re.search(r"data-progress-done>2</strong> of <span data-progress-total>\d+<", body)
    assert re.search(r'data-progress-step="clarify".*?data-step-done>1<', body, re.S)


def test_the_interviewers_draft_wins_over_the_live_scores_and_unticks_a_flag(client):
    session = factories.finished_interview(live_scores={"clarify-main": 2})
    page, draft = urls(session)
    client.force_login(session.interviewer)
    response = client.post(
        draft,
        {"level-clarify-main": "4", "note-clarify-main": SECRET, "strengths": "Clear goals"},
    )
    assert response.status_code == 200
    assert WrapupDraft.objects.get(source="interviewer").fields["flag-data:0"] == ""
    body = client.get(page).content.decode()
    assert 'name="level-clarify-main" value="4" checked' in body
    assert f">{SECRET}</textarea>" in body
    assert ">Clear goals</textarea>" in body


def test_a_draft_never_crosses_to_the_other_side(client):
    """The self-assessment stays blind: the interviewer's draft (and live scores) never reach
    the candidate's page, and the candidate's draft is theirs alone."""
    session = factories.finished_interview()
    page, draft = urls(session)
    client.force_login(session.interviewer)
    client.post(draft, {"level-data-main": "1", "note-data-main": SECRET})
    client.force_login(session.candidate)
    client.post(draft, {"level-model-main": "3", "note-model-main": "Candidate's own note"})
    candidate_page = client.get(page).content.decode()
    assert SECRET not in candidate_page
    assert "Live evidence" not in candidate_page and "Scored live" not in candidate_page
    assert 'name="level-data-main" value="1" checked' not in candidate_page
    assert candidate_page.count(" checked") == 1  # their own choice, nothing else
    client.force_login(session.interviewer)
    interviewer_page = client.get(page).content.decode()
    assert "Candidate's own note" not in interviewer_page
    assert 'name="level-model-main" value="3" checked' not in interviewer_page


def test_a_value_the_form_refuses_is_not_kept_and_says_why(client):
    session = factories.finished_interview()
    _, draft = urls(session)
    client.force_login(session.candidate)
    response = client.post(draft, {"level-clarify-main": "7", "note-clarify-main": "x" * 2001})
    assert response.status_code == 400
    body = response.json()
    assert body["saved"] is False
    assert set(body["errors"]) == {"level-clarify-main", "note-clarify-main"}
    assert not WrapupDraft.objects.exists()


def test_no_draft_after_submitting_and_the_submission_discards_it(client):
    session = factories.finished_interview()
    _, draft = urls(session)
    client.force_login(session.candidate)
    client.post(draft, {"level-clarify-main": "2"})
    factories.self_assess(session)
    assert not WrapupDraft.objects.filter(source="self").exists()
    late = client.post(draft, {"level-clarify-main": "3"})
    assert late.status_code == 409
    assert late.json()["message"] == "Your self-assessment is already in."
    assert not WrapupDraft.objects.exists()


def test_only_participants_save_drafts(client):
    session = factories.finished_interview()
    _, draft = urls(session)
    assert client.post(draft, {"level-clarify-main": "2"}).status_code == 302  # to log in
    client.force_login(factories.user())
    assert client.post(draft, {"level-clarify-main": "2"}).status_code == 404
    client.force_login(factories.reviewer())
    assert client.post(draft, {"level-clarify-main": "2"}).status_code == 404
    client.force_login(session.candidate)
    assert client.get(draft).status_code == 405
    assert not WrapupDraft.objects.exists()


def test_a_draft_save_and_the_page_take_a_bounded_number_of_queries(
    client, django_assert_max_num_queries
):
    session = factories.finished_interview()
    page, draft = urls(session)
    client.force_login(session.interviewer)
    client.get(page)
    with django_assert_max_num_queries(25):
        assert client.post(draft, {"level-clarify-main": "2"}).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(page).status_code == 200


def test_a_refused_submission_lists_each_problem_linked_to_its_field(client):
    session = factories.finished_interview()
    page, _ = urls(session)
    client.force_login(session.candidate)
    data = {f"level-{key}": "3" for key in factories.criterion_keys(session.interview)}
    data["level-model-main"] = ""
    data["level-serve-main"] = ""
    response = client.post(page, data)
    assert response.status_code == 400
    body = response.content.decode()
    summary = body[
        body.index("data-error-summary") : body.index("</div>", body.index("data-error-summary"))
    ]
    assert "2 items need attention" in summary
    targets = re.findall(r'href="#([^"]+)" data-error-link', summary)
    assert targets == ["level-model-main-1", "level-serve-main-1"]
    for target in targets:
        assert f'id="{target}"' in body


def test_beside_the_scorecard_the_private_notes_hints_and_live_scores(client):
    session = factories.finished_interview(live_scores={"clarify-main": 2})
    Document.objects.create(
        interview=session.interview, slot="private", private=True, text="Strong on metrics."
    )
    page, _ = urls(session)
    client.force_login(session.interviewer)
    body = client.get(page).content.decode()
    aside = body[body.index("<aside") : body.index("</aside>")]
    assert "Strong on metrics." in aside
    assert "Hint 1 for factory-case clarify." in aside
    assert "Curveball" in aside
    assert "Live evidence for clarify-main." in aside and "level 2" in aside
    client.force_login(session.candidate)
    candidate_page = client.get(page).content.decode()
    assert "<aside" not in candidate_page
    assert "Strong on metrics." not in candidate_page

"""The timeline replays a session from its append-only events, as each role may see it."""

import pytest
from django.urls import reverse

from feedback import timeline as feedback_timeline
from interviews import services
from interviews.models import Event
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended():
    session = factories.interview()
    interviewer, candidate = session.actor("interviewer"), session.actor("candidate")
    services.interview_start(actor=interviewer)
    for revision, text in enumerate(["Users", "Users and", "Users and goals"]):
        services.document_edit(
            actor=candidate, slot="notes:clarify", base_revision=revision, text=text
        )
    services.chat_post(actor=candidate, text="Is 90 QPS right?")
    services.score_record(
        actor=interviewer, criterion_key="clarify-main", level=3, evidence="SECRET-EVIDENCE"
    )
    services.document_edit(
        actor=interviewer, slot="private", base_revision=0, text="SECRET-PRIVATE"
    )
    services.delivery_send(actor=interviewer, step_key="clarify", kind="hint", index=0)
    services.step_move(actor=interviewer, from_key="clarify", to_key="frame")
    services.interview_end(actor=interviewer)
    return session


def test_the_timeline_is_in_order_and_folds_runs_of_typing(ended):
    rows = feedback_timeline.timeline(interview=ended.refresh(), role="interviewer")
    headlines = [row["headline"] for row in rows]
    assert headlines.index("Interview started") < headlines.index("Notes for Step clarify")
    assert headlines.index("Moved to Step frame") < headlines.index("Interview ended")
    notes = next(row for row in rows if row["headline"] == "Notes for Step clarify")
    assert (notes["revisions"], notes["detail"]) == ([1, 3], "Users and goals")
    assert sum(1 for row in rows if row["slot"] == "notes:clarify") == 1
    assert Event.objects.filter(kind="notes.revised").count() == 3  # nothing folded in the rows


def test_the_candidates_timeline_has_no_score_or_private_note(client, ended):
    client.force_login(ended.candidate)
    html = client.get(reverse("timeline", args=[ended.interview.pk])).content.decode()
    assert "Is 90 QPS right?" in html and "Hint sent" in html
    assert "SECRET-EVIDENCE" not in html and "SECRET-PRIVATE" not in html
    client.force_login(ended.interviewer)
    html = client.get(reverse("timeline", args=[ended.interview.pk])).content.decode()
    assert "SECRET-EVIDENCE" in html and "SECRET-PRIVATE" in html


def test_only_participants_and_reviewers_open_the_timeline(client, ended):
    url = reverse("timeline", args=[ended.interview.pk])
    assert client.get(url).status_code == 302
    client.force_login(factories.user())
    assert client.get(url).status_code == 404
    client.force_login(factories.user(staff=True))
    assert client.get(url).status_code == 404
    client.force_login(factories.reviewer())
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("extra", [0, 40])
def test_the_timeline_costs_the_same_however_long_the_session(
    client, extra, django_assert_max_num_queries
):
    session = factories.interview()
    services.interview_start(actor=session.actor("interviewer"))
    for n in range(extra):
        services.chat_post(actor=session.actor("candidate"), text=f"m{n}")
    services.interview_end(actor=session.actor("interviewer"))
    client.force_login(session.candidate)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("timeline", args=[session.interview.pk])).status_code == 200

"""What each step is for and what it should cover, shown to the candidate (the framework's
steps): in the room beside the notes, in a solo drill, and on the case page."""

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def briefs(html: str) -> dict[str, str]:
    """step key -> the text of its brief on the page."""
    found = {}
    for key, body in re.findall(
        r'<details class="step-brief"[^>]*data-step-brief="([\w-]+)"[^>]*>(.*?)</details>',
        html,
        re.S,
    ):
        found[key] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
    return found


def test_the_candidate_sees_each_steps_purpose_and_cover_list_in_the_room(client):
    session = factories.interview()
    client.force_login(session.candidate)
    html = client.get(session.interview.get_absolute_url()).content.decode()
    shown = briefs(html)
    assert list(shown) == list(factories.STEP_KEYS)
    assert "What the clarify step is for." in shown["clarify"]
    assert "Cover:" in shown["clarify"] and "another clarify topic" in shown["clarify"]
    # The current step's brief shows; the others wait for their step.
    assert re.search(r'data-step-brief="clarify"(?![^>]*hidden)', html)
    assert re.search(r'data-step-brief="frame"[^>]*hidden', html)
    # The interviewer sees the same brief (the guide is theirs alone).
    client.force_login(session.interviewer)
    assert briefs(client.get(session.interview.get_absolute_url()).content.decode()) == shown


def test_a_solo_drill_shows_the_briefs_and_the_board(client):
    session = factories.solo_drill(finished=False)
    client.force_login(session.candidate)
    html = client.get(session.interview.get_absolute_url()).content.decode()
    assert "What the monitor step is for." in briefs(html)["monitor"]
    assert "data-board " in html and "Solo drill" in html


def test_the_case_page_lists_what_each_step_is_for(client):
    session = factories.interview()
    client.force_login(factories.user(name="Reader"))
    case = session.interview.case_study
    html = client.get(reverse("case_detail", args=[case.slug])).content.decode()
    for key in factories.STEP_KEYS:
        assert f"What the {key} step is for." in html
        assert f"another {key} topic" in html

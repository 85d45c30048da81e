"""The timeline replays a session from its append-only events, as each role may see it."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pycrdt import Doc, Text

from feedback import timeline as feedback_timeline
from interviews import services, writebehind
from rubrics.models import Criterion
from tests import factories

pytestmark = pytest.mark.django_db


def _typed(root: str, pieces: list[str]) -> list[bytes]:
    """The Yjs updates of typing ``pieces`` one after another into a text."""
    doc, updates = Doc(), []
    doc[root] = text = Text()
    doc.observe(lambda event: updates.append(event.update))
    for piece in pieces:
        text += piece
    return updates


@pytest.fixture
def ended():
    session = factories.interview()
    interviewer = session.actor("interviewer")
    services.interview_start(actor=interviewer)
    interview = session.refresh()
    start, ids = interview.started_at, (session.interviewer.pk, session.candidate.pk)
    batch = writebehind.Batch()
    typed = _typed("notes:clarify", ["Users", " and", " goals"])
    for seconds, update in zip((1, 2, 30), typed, strict=True):
        batch.updates.append(
            (interview.pk, "notes", update, start + timedelta(seconds=seconds), ids[1])
        )
    for seconds, update in zip((3,), _typed("private", ["SECRET-PRIVATE"]), strict=True):
        batch.updates.append(
            (interview.pk, "private", update, start + timedelta(seconds=seconds), ids[0])
        )
    at = start + timedelta(seconds=40)
    batch.chat(interview.pk, "m1", ids[1], "Is 90 QPS right?", at)
    criterion = Criterion.objects.get(rubric=interview.rubric, key="clarify-main")
    batch.score(
        interview.pk,
        (criterion.pk, criterion.key, "clarify"),
        3,
        False,
        "SECRET-EVIDENCE",
        ids[0],
        at,
    )
    batch.delivery(
        interview.pk, "clarify", "hint", 0, "Hint 1 for visual-search clarify.", ids[0], at
    )
    writebehind.persist(batch)
    services.step_move(actor=interviewer, from_key="clarify", to_key="frame")
    services.interview_end(actor=interviewer)
    return session


def test_the_timeline_is_in_order(ended):
    rows = feedback_timeline.timeline(interview=ended.refresh(), role="interviewer")
    headlines = [row["headline"] for row in rows]
    assert headlines.index("Interview started") < headlines.index("Chat")
    assert headlines.index("Moved to Step frame") < headlines.index("Interview ended")
    title = Criterion.objects.get(rubric=ended.interview.rubric, key="clarify-main").title
    assert f"Scored “{title}”: 3 of 4" in headlines


def test_the_replay_plays_the_writing_back_in_frames(ended):
    replay = feedback_timeline.replay(interview=ended.refresh(), role="interviewer")
    notes = [f for f in replay["frames"] if f["doc"] == "notes"]
    # The first two updates fall within one frame, the third in another.
    assert len(notes) == 2 and notes[0]["t"] < notes[1]["t"]
    doc = Doc()
    texts = []
    for frame in notes:
        doc.apply_update(base64.b64decode(frame["update"]))
        texts.append(str(doc.get("notes:clarify", type=Text)))
    assert texts == ["Users and", "Users and goals"]
    assert "private" in replay["docs"]


def test_the_candidates_replay_has_no_private_notes(client, ended):
    client.force_login(ended.candidate)
    data = client.get(reverse("timeline_replay", args=[ended.interview.pk])).json()
    assert "private" not in data["docs"]
    assert {f["doc"] for f in data["frames"]} == {"notes"}
    client.force_login(factories.user())
    assert client.get(reverse("timeline_replay", args=[ended.interview.pk])).status_code == 404


def test_the_candidates_timeline_has_no_score_or_private_note(client, ended):
    client.force_login(ended.candidate)
    html = client.get(reverse("timeline", args=[ended.interview.pk])).content.decode()
    assert "Is 90 QPS right?" in html and "Hint sent" in html
    assert "SECRET-EVIDENCE" not in html and "SECRET-PRIVATE" not in html
    client.force_login(ended.interviewer)
    html = client.get(reverse("timeline", args=[ended.interview.pk])).content.decode()
    assert "SECRET-EVIDENCE" in html  # the private notes are in the replay (tested above)


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
    batch = writebehind.Batch()
    for n in range(extra):
        batch.chat(session.interview.pk, f"m{n}", session.candidate.pk, f"m{n}", timezone.now())
        typed = _typed("notes:clarify", [f"word {n} "])
        batch.updates.append((session.interview.pk, "notes", typed[0], timezone.now(), None))
    writebehind.persist(batch)
    services.interview_end(actor=session.actor("interviewer"))
    client.force_login(session.candidate)
    # The session, the access check, the interview's steps (its framework's steps and where the
    # criteria sit), the criteria's titles for the score rows, the events, the names: fixed.
    with django_assert_max_num_queries(9):
        assert client.get(reverse("timeline", args=[session.interview.pk])).status_code == 200


def test_reconnects_fold_into_one_row_per_return(ended):
    interview = ended.refresh()
    start = interview.started_at
    carl = ended.candidate
    moments = [("online", 5), ("offline", 50), ("online", 62), ("offline", 70), ("online", 71)]
    moments += [("offline", 72), ("online", 75)]
    for kind, seconds in moments:
        factories.room_presence(
            carl, interview.pk, kind=kind, at=start + timedelta(seconds=seconds)
        )
    # Sorted by id, as the room writes them; the fixture's other events came first.
    rows = [
        row
        for row in feedback_timeline.timeline(interview=interview, role="interviewer")
        if row.get("presence") == carl.pk
    ]
    assert [row["headline"] for row in rows] == ["Connected", "Reconnected 3 times"]
    assert all(row["who"] == "Carl Candidate" for row in rows)


def test_a_reconnect_shows_the_time_away_and_a_last_drop_stays(ended):
    interview = ended.refresh()
    start = interview.started_at
    ines = ended.interviewer
    for kind, seconds in [("online", 1), ("offline", 10), ("online", 55), ("offline", 80)]:
        factories.room_presence(
            ines, interview.pk, kind=kind, at=start + timedelta(seconds=seconds)
        )
    rows = [
        row
        for row in feedback_timeline.timeline(interview=interview, role="interviewer")
        if row.get("presence") == ines.pk
    ]
    assert [(row["headline"], row["detail"]) for row in rows] == [
        ("Connected", ""),
        ("Reconnected, then disconnected", "after 0:45 away"),
    ]


def test_a_drill_timeline_speaks_of_a_drill():
    drill = factories.solo_drill()
    rows = feedback_timeline.timeline(interview=drill.refresh(), role="candidate")
    headlines = [row["headline"] for row in rows]
    assert "Drill started" in headlines and "Drill ended" in headlines
    assert not any(headline.startswith("Interview ") for headline in headlines)

"""Taking a hint back: a hint or curveball waits for its undo window before it reaches the
candidate; ``hint.undo`` within it withdraws it (never delivered, never stored); after it,
``too_late``. The candidate's socket never hears of a held or withdrawn hint. And a score's
revision is echoed, so the browser can tell a late echo from the latest."""

import asyncio
import json

import pytest

from interviews.models import Delivery
from tests.interviews.conftest import both, make_peer, start
from tests.interviews.test_consumers import rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

HINT = {"step": "clarify", "kind": "hint", "index": 0}


@pytest.fixture
def room(transactional_db, registry, settings):
    from tests import factories

    settings.HINT_UNDO_MS = 600
    factories.rubric()
    return make_peer(factories.case_study(slug="visual-search"))


async def test_a_hint_waits_for_its_undo_window_then_reaches_the_candidate(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("hint.send", HINT, id="h1")
        held = (await interviewer.expect("hint.held"))["payload"]
        assert held == {**HINT, "undo_ms": 600}
        assert not [m for m in await candidate.drain(0.3) if m["type"] == "delivery"]
        delivered = (await candidate.expect("delivery", timeout=3))["payload"]
        assert delivered["text"] == "Hint 1 for visual-search clarify."
        await interviewer.acked("h1")
        assert len(await rows(Delivery, interview=room.interview.pk)) == 1
        # Too late now: the candidate has it.
        await interviewer.send("hint.undo", HINT, id="u1")
        error = await interviewer.error()
        assert (error["code"], error["in_response"]) == ("too_late", "u1")


async def test_an_undo_within_the_window_withdraws_it_before_the_candidate_sees_it(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("hint.send", HINT, id="h1")
        await interviewer.expect("hint.held")
        await interviewer.send("hint.undo", HINT, id="u1")
        withdrawn = (await interviewer.expect("hint.withdrawn"))["payload"]
        assert withdrawn == HINT
        await interviewer.acked("u1")
        await interviewer.acked("h1")  # the send is settled too: nothing left to resend
        await asyncio.sleep(0.9)  # past the window
        await candidate.drain(0.3)
        assert not [m for m in candidate.seen if m["type"] in ("delivery", "hint.held")]
        assert "Hint 1 for" not in json.dumps(candidate.seen)
        assert "hint.withdrawn" not in json.dumps(candidate.seen)
        assert await rows(Delivery, interview=room.interview.pk) == []
        # It can be sent again later, and then it is delivered.
        await interviewer.send("hint.send", HINT, id="h2")
        await candidate.expect("delivery", timeout=3)


async def test_a_resend_within_the_window_is_delivered_once(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("hint.send", HINT, id="h1")
        await interviewer.send("hint.send", HINT, id="h1-again")
        await interviewer.acked("h1")
        await interviewer.acked("h1-again")
        await candidate.drain(0.3)
        assert sum(1 for m in candidate.seen if m["type"] == "delivery") == 1
        assert len(await rows(Delivery, interview=room.interview.pk)) == 1


async def test_undo_is_checked_like_a_send(room):
    async with both(room) as (interviewer, candidate):
        await candidate.send("hint.undo", HINT, id="c1")
        assert (await candidate.error())["code"] == "forbidden"
        await start(interviewer, candidate)
        await interviewer.send("hint.undo", {**HINT, "index": 9}, id="u9")
        assert (await interviewer.error())["code"] == "not_found"
        await interviewer.send("hint.undo", {**HINT, "extra": 1}, id="u10")
        assert (await interviewer.error())["code"] == "bad_message"
        await interviewer.send_raw(json.dumps({"type": "hint.undo", "payload": HINT}))
        assert (await interviewer.error())["code"] == "bad_message"  # it needs an id


async def test_a_scores_revision_comes_back_with_its_echo(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        score = {"criterion": "clarify-main", "level": 3, "evidence": "Goal first", "rev": 17}
        await interviewer.send("score.record", score, id="s1")
        echo = (await interviewer.expect("score.recorded"))["payload"]
        assert echo["rev"] == 17
        await interviewer.send("score.record", {**score, "rev": -1}, id="s2")
        assert (await interviewer.error())["code"] == "bad_message"
        del score["rev"]
        await interviewer.send("score.record", score, id="s3")
        echo = (await interviewer.expect("score.recorded"))["payload"]
        assert "rev" not in echo

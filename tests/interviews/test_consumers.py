"""The room socket through the real ASGI application (origin check, session auth, routing), the
room in memory and its write-behind against the test database: every message type for each
role, the refusals, reconnect snapshots, durability acknowledgements, and the property that
the candidate's socket never carries the guide, a score or a private note."""

import asyncio
import base64
import json

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from interviews import selectors
from interviews.models import ChatMessage, Delivery, Document, Event, Interview, Mark, Score
from tests import factories
from tests.interviews.conftest import Typist, both, join, make_peer, open_socket, start, until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SECRETS = (
    "Probe text for",
    "Hint 2 for",
    "Curveball for",
    "Strong signal",
    "Red flag",
    "Reference notes for",
    "SECRET-EVIDENCE",
    "SECRET-PRIVATE",
    "score.recorded",
    '"panel"',
    '"scores"',
    "mark.recorded",
    '"marks"',
    '"caps"',
    "Concept 1 of",
)


@pytest.fixture
def room(transactional_db, registry):
    factories.rubric()
    case = factories.case_study(slug="visual-search")
    return make_peer(case)


async def rows(model, **filters) -> list:
    return await sync_to_async(lambda: list(model.objects.filter(**filters)))()


# --- Who may connect ------------------------------------------------------------------------------


async def test_each_participant_gets_a_snapshot_for_their_role(room):
    interviewer, snap_i = await join(room.interviewer, room.interview.pk)
    candidate, snap_c = await join(room.candidate, room.interview.pk)
    assert snap_i["me"]["role"] == "interviewer" and snap_c["me"]["role"] == "candidate"
    assert [s["key"] for s in snap_c["steps"]] == list(factories.STEP_KEYS)
    assert "Probe text for visual-search clarify" in snap_i["panel"]["html"]
    assert "panel" not in snap_c and "scores" not in snap_c
    assert {d["name"] for d in snap_i["docs"]} == {"notes", "diagram", "board", "private"}
    assert {d["name"] for d in snap_c["docs"]} == {"notes", "diagram", "board"}
    assert "start" in snap_i["actions"] and "start" not in snap_c["actions"]
    await interviewer.close()
    await candidate.close()


@pytest.mark.parametrize(("who", "code"), [(None, 4401), ("outsider", 4404), ("staff", 4404)])
async def test_who_may_not_open_the_room_is_told_why(room, who, code):
    user = None
    if who == "outsider":
        user = room.outsider
    elif who == "staff":
        user = await sync_to_async(factories.user)(staff=True)
    socket, closed = await open_socket(user, room.interview.pk)
    assert socket is None and closed == code


async def test_a_foreign_origin_is_closed_with_4403(room):
    for origin in (b"https://evil.example.net", b"https://testserver", b"http://testserver:8443"):
        socket, closed = await open_socket(room.candidate, room.interview.pk, origin=origin)
        assert socket is None and closed == 4403, origin


async def test_an_unknown_interview_and_an_unknown_path_are_refused(room):
    socket, closed = await open_socket(room.candidate, "not-a-uuid")
    assert socket is None and closed == 4404
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    stray = WebsocketCommunicator(application, "/ws/elsewhere/")
    connected, _ = await stray.connect()
    assert connected
    assert (await stray.receive_output(timeout=3))["code"] == 4404


# --- The flow -------------------------------------------------------------------------------------


async def test_ping_answers_pong(room):
    async with both(room) as (interviewer, candidate):
        for socket in (interviewer, candidate):
            await socket.send("ping", id="p1")
            assert (await socket.expect("pong"))["id"] == "p1"


async def test_presence_shows_the_peer_come_and_go(room):
    before = timezone.now()
    interviewer, snapshot = await join(room.interviewer, room.interview.pk)
    assert {p["role"]: p["online"] for p in snapshot["presence"]} == {
        "interviewer": True,
        "candidate": False,
    }
    candidate, _ = await join(room.candidate, room.interview.pk)

    async def next_presence() -> dict:
        presence = await interviewer.expect("presence")
        return {p["role"]: p["online"] for p in presence["payload"]["participants"]}

    assert await next_presence() == {"interviewer": True, "candidate": True}
    await candidate.close()
    assert (await next_presence())["candidate"] is False
    await interviewer.close()

    async def comings_and_goings() -> bool:
        kinds = [e.kind for e in await rows(Event, interview=room.interview.pk)]
        return kinds.count("online") == 2 and kinds.count("offline") == 2

    await until(comings_and_goings, what="the write-behind to record the comings and goings")
    # What partner bookings ask of it (no-shows): were they in the room from a moment on?
    present = sync_to_async(selectors.was_present)
    ids = [room.interview.pk]
    assert await present(interview_ids=ids, user_id=room.candidate.pk, since=before)
    assert not await present(interview_ids=ids, user_id=room.candidate.pk, since=timezone.now())


async def test_the_interviewer_starts_and_each_role_gets_its_own_actions(room):
    async with both(room) as (interviewer, candidate):
        await interviewer.send("interview.start")
        state_i = (await interviewer.expect("state"))["payload"]
        state_c = (await candidate.expect("state"))["payload"]
        assert state_i["status"] == state_c["status"] == "live"
        assert "move" in state_i["actions"] and "notes" not in state_i["actions"]
        assert "notes" in state_c["actions"] and "move" not in state_c["actions"]
        assert state_c["clock"]["running_since"] is not None
        await interviewer.expect("panel")
        assert not [m for m in await candidate.drain() if m["type"] == "panel"]


async def test_the_candidate_may_not_drive(room):
    async with both(room) as (_, candidate):
        for kind, payload in [
            ("interview.start", {}),
            ("interview.end", {}),
            ("clock.pause", {}),
            ("clock.resume", {}),
            ("step.move", {"from": "clarify", "to": "frame"}),
            ("hint.send", {"step": "clarify", "kind": "hint", "index": 0}),
            ("score.record", {"criterion": "clarify-main", "level": 4}),
        ]:
            await candidate.send(kind, payload, id=kind)
            error = await candidate.error()
            assert (error["code"], error["in_response"]) == ("forbidden", kind), kind
        interview = await sync_to_async(Interview.objects.get)(pk=room.interview.pk)
        assert interview.status == "scheduled"
        assert not await rows(Score)
        await candidate.still_usable()


async def test_step_moves_reach_both_and_refresh_the_interviewers_guide(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("step.move", {"from": "clarify", "to": "frame"})
        assert (await candidate.expect("state"))["payload"]["step_index"] == 1
        panel = await interviewer.expect("panel")
        assert panel["payload"]["step"] == "frame"
        assert "Probe text for visual-search frame" in panel["payload"]["html"]
        await interviewer.send("step.move", {"from": "clarify", "to": "frame"}, id="again")
        assert (await interviewer.error())["code"] == "stale"
        await interviewer.send("step.move", {"from": "frame", "to": "model"}, id="skip")
        assert (await interviewer.error())["code"] == "invalid_step"
        interview = await sync_to_async(Interview.objects.get)(pk=room.interview.pk)
        assert interview.step_index == 1


async def test_pause_and_resume_reach_both(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("clock.pause")
        paused = (await candidate.expect("state"))["payload"]
        assert paused["phase"] == "paused" and paused["clock"]["running_since"] is None
        await interviewer.send("clock.pause", id="twice")
        assert (await interviewer.error())["code"] == "invalid_state"
        await interviewer.send("clock.resume")
        assert (await candidate.expect("state"))["payload"]["phase"] == "live"


async def test_ending_sends_both_to_the_wrapup(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("interview.end")
        for socket in (interviewer, candidate):
            ended = (await socket.expect("ended"))["payload"]
            assert ended["redirect"].endswith("/wrap-up/")
        interview = await sync_to_async(Interview.objects.get)(pk=room.interview.pk)
        assert interview.status == "wrapup"


# --- Shared documents -----------------------------------------------------------------------------


async def test_typing_reaches_the_peer_at_once_and_is_durable_after_the_ack(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        typist, mirror = Typist(), Typist()
        sent = []
        for piece in ("Users", ": 55M", " listings"):
            update = typist.type("notes:clarify", piece)
            sent.append(await candidate.send("doc.update", {"doc": "notes", "update": update}))
            relayed = await interviewer.expect("doc.update")
            assert relayed["payload"]["doc"] == "notes"
            mirror.apply(relayed["payload"]["update"])
        assert mirror.text("notes:clarify") == "Users: 55M listings"
        for message_id in sent:
            await candidate.acked(message_id)
        stored = await rows(Document, interview=room.interview.pk, slot="notes:clarify")
        assert [d.text for d in stored] == ["Users: 55M listings"]
        # The candidate's own socket gets no echo of its update.
        assert not [m for m in candidate.seen if m["type"] == "doc.update"]


async def test_a_resent_update_changes_nothing(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        typist = Typist()
        update = typist.type("notes:clarify", "once")
        for message_id in ("u1", "u1-again"):
            await candidate.send("doc.update", {"doc": "notes", "update": update}, id=message_id)
            await candidate.acked(message_id)
        stored = await rows(Document, interview=room.interview.pk, slot="notes:clarify")
        assert [d.text for d in stored] == ["once"]


async def test_concurrent_edits_converge(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        second_tab, _ = await join(room.candidate, room.interview.pk)
        one, two = Typist(), Typist()
        a = one.type("notes:data", "labels from purchases")
        b = two.type("notes:data", "sampling by day")
        await candidate.send("doc.update", {"doc": "notes", "update": a}, id="a")
        await second_tab.send("doc.update", {"doc": "notes", "update": b}, id="b")
        await candidate.acked("a")
        await second_tab.acked("b")
        snapshot_socket, snapshot = await join(room.interviewer, room.interview.pk)
        final = Typist()
        for doc in snapshot["docs"]:
            if doc["name"] == "notes":
                final.apply(doc["update"])
        text = final.text("notes:data")
        assert "labels from purchases" in text and "sampling by day" in text
        for socket in (second_tab, snapshot_socket):
            await socket.close()


async def test_the_interviewer_cannot_write_the_candidates_notes(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        update = Typist().type("notes:clarify", "not mine to write")
        await interviewer.send("doc.update", {"doc": "notes", "update": update}, id="x")
        assert (await interviewer.error())["code"] == "forbidden"
        assert not [m for m in await candidate.drain() if m["type"] == "doc.update"]


async def test_private_notes_stay_with_the_interviewer(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        update = Typist().type("private", "SECRET-PRIVATE")
        await interviewer.send("doc.update", {"doc": "private", "update": update}, id="p")
        await interviewer.acked("p")
        await candidate.drain()
        assert "SECRET-PRIVATE" not in json.dumps(candidate.seen)
        await candidate.send("doc.update", {"doc": "private", "update": update}, id="c")
        assert (await candidate.error())["code"] == "forbidden"
        await candidate.send("doc.sync", {"doc": "private", "sv": ""}, id="s")
        assert (await candidate.error())["code"] == "forbidden"


async def test_notes_cannot_be_written_before_the_start(room):
    async with both(room) as (_, candidate):
        update = Typist().type("notes:clarify", "too early")
        await candidate.send("doc.update", {"doc": "notes", "update": update}, id="e")
        error = await candidate.error()
        assert error["code"] == "invalid_state" and "runs" in error["message"]


@pytest.mark.parametrize(
    ("doc", "root", "code"),
    [
        ("notes", "notes:nonsense", "bad_message"),  # no such step
        ("notes", "diagram", "bad_message"),  # a root of another document
        ("diagram", "diagram", None),
    ],
)
async def test_a_document_holds_only_its_own_parts(room, doc, root, code):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        update = Typist().type(root, "text")
        await candidate.send("doc.update", {"doc": doc, "update": update}, id="u")
        if code is None:
            await candidate.acked("u")
        else:
            assert (await candidate.error())["code"] == code
            await candidate.send(
                "doc.update",
                {"doc": "notes", "update": Typist().type("notes:clarify", "ok")},
                id="v",
            )
            await candidate.acked("v")


async def test_hostile_updates_get_a_coded_error_and_change_nothing(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        good = Typist().type("notes:clarify", "kept")
        await candidate.send("doc.update", {"doc": "notes", "update": good}, id="good")
        await candidate.acked("good")
        too_long = Typist().type("notes:clarify", "x" * 20_001)
        for update, code in [
            ("not base64!", "bad_message"),
            (base64.b64encode(b"\x00\x01\x02garbage").decode(), "bad_message"),
            (too_long, "too_large"),
        ]:
            await candidate.send("doc.update", {"doc": "notes", "update": update}, id="bad")
            assert (await candidate.error())["code"] == code
        await candidate.send("doc.sync", {"doc": "notes", "sv": ""}, id="sync")
        synced = (await candidate.expect("doc.sync"))["payload"]
        check = Typist()
        check.apply(synced["update"])
        assert check.text("notes:clarify") == "kept"
        await interviewer.drain()
        relayed = [m for m in interviewer.seen if m["type"] == "doc.update"]
        assert [m["payload"]["update"] for m in relayed] == [good]  # none of the bad ones


async def test_a_reconnecting_browser_gets_what_it_lacks(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        typist = Typist()
        first = typist.type("notes:clarify", "before the drop")
        await candidate.send("doc.update", {"doc": "notes", "update": first}, id="1")
        await candidate.acked("1")
        behind = Typist()
        behind.apply(first)
        second = typist.type("notes:clarify", ", and after")
        await candidate.send("doc.update", {"doc": "notes", "update": second}, id="2")
        await candidate.acked("2")
        vector = base64.b64encode(behind.doc.get_state()).decode()
        await interviewer.send("doc.sync", {"doc": "notes", "sv": vector}, id="s")
        missing = (await interviewer.expect("doc.sync"))["payload"]["update"]
        behind.apply(missing)
        assert behind.text("notes:clarify") == "before the drop, and after"


# --- Chat, hints, scores, references --------------------------------------------------------------


async def test_chat_reaches_both_once_and_is_durable(room):
    async with both(room) as (interviewer, candidate):
        await candidate.send("chat.send", {"text": "Can I assume 90 QPS?"}, id="m1")
        message = (await interviewer.expect("chat.message"))["payload"]
        assert (message["id"], message["role"], message["text"]) == (
            "m1",
            "candidate",
            "Can I assume 90 QPS?",
        )
        await candidate.acked("m1")
        await candidate.send("chat.send", {"text": "Can I assume 90 QPS?"}, id="m1")  # resend
        await asyncio.sleep(0.4)
        assert [m.text for m in await rows(ChatMessage, interview=room.interview.pk)] == [
            "Can I assume 90 QPS?"
        ]
        await interviewer.drain()
        assert sum(1 for m in interviewer.seen if m["type"] == "chat.message") == 1


async def test_a_hint_is_delivered_once(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        payload = {"step": "clarify", "kind": "hint", "index": 0}
        await interviewer.send("hint.send", payload, id="h1")
        delivered = (await candidate.expect("delivery"))["payload"]
        assert delivered["text"] == "Hint 1 for visual-search clarify."
        await interviewer.acked("h1")
        await interviewer.send("hint.send", payload, id="h2")
        await interviewer.acked("h2")
        assert len(await rows(Delivery, interview=room.interview.pk)) == 1
        await interviewer.send(
            "hint.send", {"step": "clarify", "kind": "hint", "index": 9}, id="h3"
        )
        assert (await interviewer.error())["code"] == "not_found"


async def test_scores_go_to_the_interviewer_only(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        payload = {"criterion": "clarify-main", "level": 3, "evidence": "SECRET-EVIDENCE"}
        await interviewer.send("score.record", payload, id="s1")
        recorded = (await interviewer.expect("score.recorded"))["payload"]
        assert recorded["level"] == 3
        await interviewer.acked("s1")
        await interviewer.send("score.record", {**payload, "level": 4}, id="s2")
        await interviewer.acked("s2")
        scores = await rows(Score, interview=room.interview.pk)
        assert [(s.level, s.evidence) for s in scores] == [(4, "SECRET-EVIDENCE")]
        await candidate.drain()
        assert "SECRET-EVIDENCE" not in json.dumps(candidate.seen)
        await interviewer.send("score.record", {"criterion": "nope", "level": 2}, id="s3")
        assert (await interviewer.error())["code"] == "not_found"
        await interviewer.send(
            "score.record", {"criterion": "clarify-main", "level": 2, "not_observed": True}, id="s4"
        )
        assert (await interviewer.error())["code"] == "bad_message"


# --- Marks: the concept checklist and red flags, and the hint caps ------------------------------


async def test_marks_reach_the_interviewers_other_sockets_and_are_durable(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        second_tab, snapshot = await join(room.interviewer, room.interview.pk)
        assert snapshot["marks"] == [] and snapshot["caps"] == {}
        concept = {"kind": "concept", "key": "concept-2", "value": "hinted"}
        flag = {"kind": "flag", "key": "data:0", "value": "observed"}
        await interviewer.send("mark.record", concept, id="m1")
        assert (await second_tab.expect("mark.recorded"))["payload"] == concept
        await interviewer.send("mark.record", flag, id="m2")
        assert (await second_tab.expect("mark.recorded"))["payload"] == flag
        await interviewer.acked("m1")
        await interviewer.acked("m2")
        stored = {m.key: m for m in await rows(Mark, interview=room.interview.pk)}
        assert stored["concept-2"].value == "hinted" and stored["concept-2"].source == "interviewer"
        assert stored["data:0"].critical and stored["data:0"].step_key == "data"
        assert stored["data:0"].text == "Red flag 1 for visual-search data."
        events = await rows(Event, interview=room.interview.pk, kind="mark")
        assert [e.visibility for e in events] == ["interviewer", "interviewer"]
        assert events[0].data["label"] == "Concept 2 of visual-search."
        # The sender's own socket is not echoed; a mark cleared is cleared everywhere.
        assert not [m for m in await interviewer.drain(0.2) if m["type"] == "mark.recorded"]
        await interviewer.send("mark.record", {**concept, "value": ""}, id="m3")
        assert (await second_tab.expect("mark.recorded"))["payload"]["value"] == ""
        await interviewer.acked("m3")
        cleared = await rows(Mark, interview=room.interview.pk, key="concept-2")
        assert [m.value for m in cleared] == [""]
        # A resend changes nothing and is acknowledged again.
        await interviewer.send("mark.record", flag, id="m2")
        await interviewer.acked("m2")
        assert len(await rows(Event, interview=room.interview.pk, kind="mark")) == 3
        await second_tab.close()
    again, snapshot = await join(room.interviewer, room.interview.pk)
    assert snapshot["marks"] == [flag]
    await again.close()


async def test_only_the_interviewer_marks_and_only_while_the_interview_runs_or_wraps_up(room):
    async with both(room) as (interviewer, candidate):
        mark = {"kind": "flag", "key": "data:0", "value": "observed"}
        await interviewer.send("mark.record", mark, id="early")
        assert (await interviewer.error())["code"] == "invalid_state"
        await start(interviewer, candidate)
        await candidate.send("mark.record", mark, id="c")
        assert (await candidate.error())["code"] == "forbidden"
        await interviewer.send("interview.end")
        await interviewer.expect("ended")
        await interviewer.send("mark.record", mark, id="wrapup")
        await interviewer.acked("wrapup")
        stored = await rows(Mark, interview=room.interview.pk)
        assert [(m.key, m.value) for m in stored] == [("data:0", "observed")]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"kind": "concept", "key": "no-such-concept", "value": "missed"}, "not_found"),
        ({"kind": "flag", "key": "data:9", "value": "observed"}, "not_found"),
        ({"kind": "flag", "key": "concept-1", "value": "observed"}, "not_found"),
        ({"kind": "concept", "key": "concept-1", "value": "observed"}, "bad_message"),
        ({"kind": "flag", "key": "data:0", "value": "missed"}, "bad_message"),
        ({"kind": "flag", "key": "data:0", "value": "maybe"}, "bad_message"),
        ({"kind": "score", "key": "data:0", "value": "observed"}, "bad_message"),
        ({"kind": "flag", "key": "", "value": "observed"}, "bad_message"),
        ({"kind": "flag", "key": "data:0"}, "bad_message"),
        ({"kind": "flag", "key": "data:0", "value": "observed", "html": "<b>"}, "bad_message"),
    ],
)
async def test_a_bad_mark_gets_a_coded_error_and_stores_nothing(room, payload, code):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("mark.record", payload, id="bad")
        assert (await interviewer.error())["code"] == code
        await interviewer.still_usable()
        assert not await rows(Mark)


async def test_a_mark_needs_an_id(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send_raw(
            json.dumps(
                {
                    "type": "mark.record",
                    "payload": {"kind": "flag", "key": "data:0", "value": "observed"},
                }
            )
        )
        assert (await interviewer.error())["code"] == "bad_message"


async def test_hints_send_the_interviewer_the_caps_they_impose(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send("hint.send", {"step": "data", "kind": "curveball", "index": 0})
        await candidate.expect("delivery")
        assert not [m for m in await interviewer.drain(0.2) if m["type"] == "caps"]
        await interviewer.send("hint.send", {"step": "data", "kind": "hint", "index": 0})
        caps = (await interviewer.expect("caps"))["payload"]["caps"]
        assert caps == {"data": {"cap": 3, "why": "one hint on this step"}}
        # The factory's steps have two hints: the second is the answer-level one.
        await interviewer.send("hint.send", {"step": "data", "kind": "hint", "index": 1})
        caps = (await interviewer.expect("caps"))["payload"]["caps"]
        assert caps == {"data": {"cap": 2, "why": "the answer-level hint on this step"}}
        await candidate.drain(0.3)
        assert not [m for m in candidate.seen if m["type"] == "caps"]
    again, snapshot = await join(room.interviewer, room.interview.pk)
    assert snapshot["caps"]["data"]["cap"] == 2
    await again.close()


async def test_a_solo_drill_has_no_marks_and_no_caps(transactional_db, registry):
    drill = await sync_to_async(factories.solo_drill)(finished=False)
    socket, snapshot = await join(drill.candidate, drill.interview.pk)
    assert "marks" not in snapshot and "caps" not in snapshot
    await socket.send("interview.start")
    await socket.expect("state")
    await socket.send("mark.record", {"kind": "concept", "key": "concept-1", "value": "missed"})
    assert (await socket.error())["code"] == "forbidden"
    await socket.close()


async def test_revealing_references_is_for_solo_drills_only(room):
    async with both(room) as (_, candidate):
        await candidate.send("reference.reveal", {"step": "clarify"}, id="r")
        assert (await candidate.error())["code"] == "forbidden"


async def test_a_solo_drill_is_driven_by_the_candidate_who_reveals_after_writing(
    transactional_db, registry
):
    drill = await sync_to_async(factories.solo_drill)(finished=False)
    socket, snapshot = await join(drill.candidate, drill.interview.pk)
    assert "start" in snapshot["actions"]
    await socket.send("interview.start")
    await socket.expect("state")
    await socket.send("reference.reveal", {"step": "clarify"}, id="early")
    assert "own notes" in (await socket.error())["message"]
    update = Typist().type("notes:clarify", "My take on the goal.")
    await socket.send("doc.update", {"doc": "notes", "update": update}, id="n")
    await socket.send("reference.reveal", {"step": "clarify"}, id="r")
    reference = (await socket.expect("reference"))["payload"]
    assert "Reference notes for" in reference["html"]
    await socket.acked("r")
    interview = await sync_to_async(Interview.objects.get)(pk=drill.interview.pk)
    assert interview.revealed_steps == ["clarify"]
    await socket.send("step.move", {"from": "clarify", "to": "frame"})
    assert (await socket.expect("state"))["payload"]["step_index"] == 1
    await socket.close()


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('{"type": "launch.missiles", "payload": {}}', "unknown_type"),
        ('{"type": "chat.send", "id": "x", "payload": {}}', "bad_message"),
        ('{"type": "chat.send", "payload": {"text": "no id"}}', "bad_message"),
        (
            '{"type": "chat.send", "id": "x", "payload": {"text": "hi", "html": "<b>"}}',
            "bad_message",
        ),
        ('{"type": "chat.send", "id": "x", "payload": {"text": 42}}', "bad_message"),
        (
            '{"type": "doc.update", "id": "x", "payload": {"doc": "secrets", "update": "AA=="}}',
            "bad_message",
        ),
        (
            '{"type": "score.record", "id": "x", "payload": {"criterion": "c", "level": 7}}',
            "bad_message",
        ),
        ('{"type": "ping", "payload": {}, "extra": 1}', "bad_message"),
        ('{"type": "ping", "payload": "x"}', "bad_message"),
    ],
)
async def test_bad_input_gets_a_coded_error_and_the_socket_stays_open(room, raw, code):
    async with both(room) as (interviewer, _):
        await interviewer.send_raw(raw)
        assert (await interviewer.error())["code"] == code
        await interviewer.still_usable()


async def test_a_message_too_large_is_refused(room):
    async with both(room) as (interviewer, _):
        await interviewer.send_raw(json.dumps({"type": "ping", "payload": {"x": "y" * 300_000}}))
        assert (await interviewer.error())["code"] == "too_large"
        await interviewer.still_usable()


async def test_a_flood_is_rate_limited_and_the_socket_recovers(room):
    async with both(room) as (interviewer, _):
        for n in range(60):
            await interviewer.send("ping", id=f"f{n}")
        replies = await interviewer.drain(0.3)
        assert any(m["type"] == "error" and m["payload"]["code"] == "rate_limited" for m in replies)
        await interviewer.usable_again()  # once its bucket refills: a pong again


# --- Reconnecting, and what the candidate never gets ----------------------------------------------


async def test_reconnecting_gives_each_side_the_state_its_role_may_see(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await candidate.send(
            "doc.update", {"doc": "notes", "update": Typist().type("notes:clarify", "kept")}, id="n"
        )
        await interviewer.send("score.record", {"criterion": "clarify-main", "level": 2}, id="s")
        await interviewer.send("step.move", {"from": "clarify", "to": "frame"})
        await candidate.expect("state")
        await interviewer.acked("s")
    interviewer, snap_i = await join(room.interviewer, room.interview.pk)
    candidate, snap_c = await join(room.candidate, room.interview.pk)
    for snapshot in (snap_i, snap_c):
        assert snapshot["interview"]["step_index"] == 1
        notes = Typist()
        notes.apply(next(d["update"] for d in snapshot["docs"] if d["name"] == "notes"))
        assert notes.text("notes:clarify") == "kept"
    assert snap_i["scores"][0]["level"] == 2 and "scores" not in snap_c
    await interviewer.close()
    await candidate.close()


async def test_the_candidate_never_receives_the_guide_a_score_or_a_private_note(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        await interviewer.send(
            "score.record", {"criterion": "clarify-main", "level": 3, "evidence": "SECRET-EVIDENCE"}
        )
        await interviewer.send(
            "doc.update",
            {"doc": "private", "update": Typist().type("private", "SECRET-PRIVATE")},
            id="p",
        )
        await interviewer.send("hint.send", {"step": "clarify", "kind": "hint", "index": 0})
        await interviewer.send(
            "mark.record", {"kind": "concept", "key": "concept-1", "value": "unprompted"}
        )
        await interviewer.send(
            "mark.record", {"kind": "flag", "key": "data:0", "value": "observed"}
        )
        await interviewer.send("step.move", {"from": "clarify", "to": "frame"})
        await interviewer.send("chat.send", {"text": "How is it going?"}, id="c")
        await candidate.drain(0.5)
        await candidate.close()
        again, _ = await join(room.candidate, room.interview.pk)
        await again.drain(0.3)
        text = json.dumps(candidate.seen + again.seen)
        for secret in SECRETS:
            assert secret not in text, secret
        assert "Hint 1 for visual-search clarify." in text  # what was sent is theirs
        await again.close()


# --- The call: tests/interviews/test_call.py -------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "chat.send", "id": "n", "payload": {"text": "nul\\u0000byte"}}',
        '{"type": "chat.send", "id": "s", "payload": {"text": "lone \\ud800 surrogate"}}',
        '{"type": "call.signal", "payload": {"kind": "offer", "data": '
        + '{"a": ' * 30
        + "1"
        + "}" * 30
        + "}}",
        '{"type": "ping", "payload": {}}' + " " * 10 + "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
    ],
)
async def test_input_that_cannot_be_stored_is_refused_with_a_code(room, raw):
    async with both(room) as (interviewer, _):
        await interviewer.send_raw(raw)
        assert (await interviewer.error())["code"] in ("bad_message", "bad_json")
        await interviewer.still_usable()


async def test_room_messages_take_no_hop_to_the_shared_database_thread(room, monkeypatch):
    """Channels closes stale connections before every handler through asgiref's one shared
    thread; the room uses no connection on that path, so it skips the hop (a thread hop per
    keystroke was the largest single cost in a loaded server's profile)."""
    import channels.db

    hops = []
    original = channels.db.close_old_connections
    monkeypatch.setattr(channels.db, "close_old_connections", lambda: hops.append(1) or original())
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        typist = Typist()
        before = len(hops)
        for n in range(20):
            update = typist.type("notes:clarify", f"{n} ")
            await candidate.send("doc.update", {"doc": "notes", "update": update})
        await candidate.send("chat.send", {"text": "done"})
        await interviewer.expect("chat.message")
        assert len(hops) == before == 0
        relayed = Typist()
        for message in interviewer.seen:
            if message["type"] == "doc.update":
                relayed.apply(message["payload"]["update"])
        assert relayed.text("notes:clarify") == typist.text("notes:clarify")

"""The room socket through the real ASGI application (origin check, session auth, routing) and
the Redis channel layer: every message type for each role, the refusals, reconnect snapshots,
and the property that the candidate's socket never carries the guide, a score or a private note.
"""

import asyncio
import contextlib
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from interviews import handlers, protocol, services
from interviews.models import Document, Interview, Score
from tests import factories
from tests.interviews.conftest import make_peer

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
)


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


class Socket:
    """A test client for the room: keeps every message it received, checked against the
    protocol's server schemas."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.seen: list[dict] = []

    async def send(self, kind: str, payload: dict | None = None, id: str = "t1") -> None:
        await self.communicator.send_json_to({"type": kind, "id": id, "payload": payload or {}})

    async def send_raw(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 3) -> dict:
        message = await self.communicator.receive_json_from(timeout=timeout)
        assert message["type"] in protocol.SERVER_MESSAGES, message
        # Rebuilding it through its constructor refuses a missing, unknown or mistyped field.
        protocol.SERVER_MESSAGES[message["type"]](**message["payload"])
        self.seen.append(message)
        return message

    async def expect(self, kind: str, timeout: float = 3) -> dict:
        """The next message of ``kind``, skipping (but keeping) others."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            while await self.communicator.receive_nothing(timeout=0.05):
                assert loop.time() < deadline, (
                    f"no {kind} within {timeout}s; saw {[m['type'] for m in self.seen]}"
                )
            message = await self.receive()
            if message["type"] == kind:
                return message

    async def drain(self, wait: float = 0.4) -> list[dict]:
        """Everything that arrives until ``wait`` seconds pass quietly. (A receive that times
        out would cancel the application, so wait with receive_nothing.)"""
        got = []
        while not await self.communicator.receive_nothing(timeout=wait):
            got.append(await self.receive())
        return got

    async def error(self) -> dict:
        return (await self.expect("error"))["payload"]

    async def still_usable(self) -> None:
        await self.send("ping", id="alive")
        assert (await self.expect("pong"))["id"] == "alive"

    async def close(self) -> None:
        await self.communicator.disconnect()


async def open_socket(user, interview_id, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(cookie_for)(user)))
    communicator = WebsocketCommunicator(
        application, f"/ws/interviews/{interview_id}/", headers=headers
    )
    connected, code = await communicator.connect()
    return Socket(communicator), connected, code


async def join(user, interview_id) -> tuple[Socket, dict]:
    socket, connected, code = await open_socket(user, interview_id)
    assert connected, code
    snapshot = await socket.expect("snapshot")
    return socket, snapshot["payload"]


@pytest.fixture
def room(transactional_db):
    factories.rubric()
    case = factories.case_study(slug="visual-search")
    return make_peer(case)


@contextlib.asynccontextmanager
async def both(room):
    interviewer, _ = await join(room.interviewer, room.interview.pk)
    candidate, _ = await join(room.candidate, room.interview.pk)
    await interviewer.drain(0.3)
    await candidate.drain(0.1)  # its own arrival may come back through the shared `all` group
    try:
        yield room, interviewer, candidate
    finally:
        await interviewer.close()
        await candidate.close()


async def start(interviewer: Socket, candidate: Socket) -> None:
    await interviewer.send("interview.start")
    await interviewer.expect("panel")
    assert (await candidate.expect("state"))["payload"]["status"] == "live"


# --- Who may connect ------------------------------------------------------------------------------


async def test_each_participant_gets_a_snapshot_for_their_role(room):
    interviewer, snap_i = await join(room.interviewer, room.interview.pk)
    candidate, snap_c = await join(room.candidate, room.interview.pk)
    assert snap_i["me"]["role"] == "interviewer" and snap_c["me"]["role"] == "candidate"
    assert [s["key"] for s in snap_c["steps"]] == list(factories.STEP_KEYS)
    assert "panel" in snap_i and "Probe text for visual-search clarify" in snap_i["panel"]["html"]
    assert "panel" not in snap_c and "scores" not in snap_c
    await interviewer.close()
    await candidate.close()


async def test_anonymous_sockets_are_refused(room):
    _, connected, code = await open_socket(None, room.interview.pk)
    assert not connected and code == 4401


async def test_a_user_who_is_not_a_participant_is_refused(room):
    _, connected, code = await open_socket(room.outsider, room.interview.pk)
    assert not connected and code == 4404


async def test_staff_are_not_let_into_the_live_room(room):
    staff = await sync_to_async(factories.user)(staff=True)
    _, connected, code = await open_socket(staff, room.interview.pk)
    assert not connected and code == 4404


async def test_a_foreign_origin_is_refused(room):
    _, connected, _ = await open_socket(
        room.candidate, room.interview.pk, origin=b"https://evil.example.net"
    )
    assert not connected


async def test_an_unknown_interview_is_refused(room):
    _, connected, code = await open_socket(room.candidate, "not-a-uuid")
    assert not connected and code == 4404


# --- Every message type, for each role ------------------------------------------------------------


async def test_ping_answers_pong(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        for socket in (interviewer, candidate):
            await socket.send("ping", id="p1")
            assert (await socket.expect("pong"))["id"] == "p1"


async def test_presence_shows_the_peer_come_and_go(room):
    interviewer, snapshot = await join(room.interviewer, room.interview.pk)
    assert {p["role"]: p["online"] for p in snapshot["presence"]} == {
        "interviewer": True,
        "candidate": False,
    }
    candidate, _ = await join(room.candidate, room.interview.pk)

    async def next_presence() -> dict:
        presence = await interviewer.expect("presence")
        return {p["role"]: p["online"] for p in presence["payload"]["participants"]}

    seen = await next_presence()
    if not seen["candidate"]:  # its own arrival, announced once it listened
        seen = await next_presence()
    assert seen == {"interviewer": True, "candidate": True}
    await candidate.close()
    assert (await next_presence())["candidate"] is False
    await interviewer.close()


async def test_the_interviewer_starts_and_both_see_it(room):
    async with both(room) as sockets:
        room, interviewer, candidate = sockets
        await interviewer.send("interview.start")
        state_i = await interviewer.expect("state")
        state_c = await candidate.expect("state")
        assert state_i["payload"]["status"] == state_c["payload"]["status"] == "live"
        assert state_c["payload"]["clock"]["running_since"] is not None
        await interviewer.expect("panel")
        assert not [m for m in await candidate.drain() if m["type"] == "panel"]


async def test_the_candidate_may_not_drive(room):
    async with both(room) as sockets:
        room, _, candidate = sockets
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
        assert not await sync_to_async(Score.objects.exists)()
        await candidate.still_usable()


async def test_step_moves_reach_both_and_refresh_the_interviewers_guide(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
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


async def test_pause_and_resume_reach_both(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await interviewer.send("clock.pause")
        paused = await candidate.expect("state")
        assert paused["payload"]["paused"] and paused["payload"]["clock"]["running_since"] is None
        await interviewer.send("clock.resume")
        assert not (await candidate.expect("state"))["payload"]["paused"]


async def test_notes_typed_by_the_candidate_reach_the_interviewer(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await candidate.send(
            "doc.edit",
            {"slot": "notes:clarify", "base_revision": 0, "text": "Users: 55M listings"},
            id="e1",
        )
        saved = await candidate.expect("doc.saved")
        assert (saved["id"], saved["payload"]) == ("e1", {"slot": "notes:clarify", "revision": 1})
        update = (await interviewer.expect("doc.updated"))["payload"]
        assert update == {
            "slot": "notes:clarify",
            "text": "Users: 55M listings",
            "revision": 1,
            "by": "candidate",
        }


async def test_the_diagram_is_shared_like_the_notes(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await candidate.send(
            "doc.edit", {"slot": "diagram", "base_revision": 0, "text": "flowchart LR\n A-->B"}
        )
        assert (await interviewer.expect("doc.updated"))["payload"]["slot"] == "diagram"


async def test_a_stale_revision_is_refused_with_the_current_text(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await candidate.send("doc.edit", {"slot": "notes:data", "base_revision": 0, "text": "one"})
        await candidate.expect("doc.saved")
        await candidate.send(
            "doc.edit",
            {"slot": "notes:data", "base_revision": 0, "text": "from another tab"},
            id="late",
        )
        error = await candidate.error()
        assert (error["code"], error["in_response"]) == ("stale_revision", "late")
        assert (error["text"], error["revision"]) == ("one", 1)
        document = await sync_to_async(Document.objects.get)(slot="notes:data")
        assert document.text == "one"


async def test_the_interviewer_cannot_write_the_candidates_notes(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await interviewer.send(
            "doc.edit", {"slot": "notes:clarify", "base_revision": 0, "text": "x"}
        )
        assert (await interviewer.error())["code"] == "forbidden"


async def test_private_notes_stay_with_the_interviewer(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await interviewer.send(
            "doc.edit", {"slot": "private", "base_revision": 0, "text": "SECRET-PRIVATE"}
        )
        await interviewer.expect("doc.saved")
        assert not await candidate.drain()
        await candidate.send("doc.edit", {"slot": "private", "base_revision": 0, "text": "peek"})
        assert (await candidate.error())["code"] == "forbidden"


async def test_chat_reaches_both(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await candidate.send("chat.send", {"text": "Can I assume 90 QPS?"})
        message = (await interviewer.expect("chat.message"))["payload"]
        assert (message["text"], message["role"], message["author"]) == (
            "Can I assume 90 QPS?",
            "candidate",
            "Carl",
        )
        await interviewer.send("chat.send", {"text": "Yes"})
        texts = [(await candidate.expect("chat.message"))["payload"]["text"] for _ in "ab"]
        assert texts == ["Can I assume 90 QPS?", "Yes"]  # its own echo, then the answer


async def test_a_hint_sent_by_the_interviewer_appears_for_the_candidate(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await interviewer.send("hint.send", {"step": "clarify", "kind": "hint", "index": 0})
        delivery = (await candidate.expect("delivery"))["payload"]
        assert (delivery["kind"], delivery["text"]) == ("hint", "Hint 1 for visual-search clarify.")
        await interviewer.send("hint.send", {"step": "clarify", "kind": "curveball", "index": 5})
        assert (await interviewer.error())["code"] == "not_found"


async def test_scores_go_to_the_interviewer_only(room):
    async with both(room) as sockets:
        _, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await candidate.drain()
        await interviewer.send(
            "score.record", {"criterion": "clarify-main", "level": 3, "evidence": "SECRET-EVIDENCE"}
        )
        recorded = (await interviewer.expect("score.recorded"))["payload"]
        assert recorded == {
            "criterion": "clarify-main",
            "level": 3,
            "not_observed": False,
            "evidence": "SECRET-EVIDENCE",
        }
        assert await candidate.drain() == []


async def test_ending_sends_both_to_the_wrapup(room):
    async with both(room) as sockets:
        room, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await interviewer.send("interview.end")
        ended = (await candidate.expect("ended"))["payload"]
        assert ended["status"] == "wrapup"
        assert ended["redirect"] == f"/interviews/{room.interview.pk}/wrap-up/"
        await interviewer.expect("ended")


async def test_revealing_references_is_for_solo_drills_only(room):
    async with both(room) as sockets:
        _, _, candidate = sockets
        await candidate.send("reference.reveal", {"step": "clarify"})
        assert (await candidate.error())["code"] == "forbidden"


async def test_a_solo_drill_is_driven_by_the_candidate_who_reveals_after_writing(transactional_db):
    await sync_to_async(factories.rubric)()
    case = await sync_to_async(factories.case_study)(slug="drill-case")
    user = await sync_to_async(factories.user)()
    drill = await sync_to_async(services.interview_create)(
        user=user, case_study=case, role="candidate", target_level="mid", kind="solo"
    )
    socket, snapshot = await join(user, drill.pk)
    assert snapshot["interview"]["kind"] == "solo"
    await socket.send("interview.start")
    await socket.expect("state")
    await socket.send("reference.reveal", {"step": "clarify"}, id="early")
    assert "Write your own notes" in (await socket.error())["message"]
    await socket.send("doc.edit", {"slot": "notes:clarify", "base_revision": 0, "text": "mine"})
    await socket.expect("doc.saved")
    await socket.send("reference.reveal", {"step": "clarify"})
    reference = (await socket.expect("reference"))["payload"]
    assert "Reference notes for drill-case clarify." in reference["html"]
    await socket.send("step.move", {"from": "clarify", "to": "frame"})
    assert (await socket.expect("state"))["payload"]["step_index"] == 1
    await socket.close()
    again, snapshot = await join(user, drill.pk)
    assert snapshot["interview"]["revealed_steps"] == ["clarify"]
    assert [r["step"] for r in snapshot["references"]] == ["clarify"]
    await again.close()


# --- Bad input gets an error and the socket stays usable ------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('{"type": "launch.missiles", "payload": {}}', "unknown_type"),
        ('{"type": "chat.send", "payload": {}}', "bad_message"),
        ('{"type": "chat.send", "payload": {"text": "hi", "html": "<b>"}}', "bad_message"),
        ('{"type": "chat.send", "payload": {"text": 42}}', "bad_message"),
        ('{"type": "chat.send", "payload": {"text": "   "}}', "bad_message"),
        (
            '{"type": "doc.edit", "payload": {"slot": "diagram", "base_revision": true, '
            '"text": "x"}}',
            "bad_message",
        ),
        ('{"type": "score.record", "payload": {"criterion": "c", "level": 7}}', "bad_message"),
        ('{"type": "ping", "payload": {}, "extra": 1}', "bad_message"),
        ('{"type": "ping", "payload": "x"}', "bad_message"),
    ],
)
async def test_bad_input_gets_a_coded_error_and_the_socket_stays_open(room, raw, code):
    async with both(room) as sockets:
        _, _, candidate = sockets
        await candidate.send_raw(raw)
        assert (await candidate.error())["code"] == code
        await candidate.still_usable()


async def test_a_message_too_large_is_refused(room):
    async with both(room) as sockets:
        _, _, candidate = sockets
        await candidate.send("chat.send", {"text": "x" * (protocol.MAX_MESSAGE_BYTES + 10)})
        assert (await candidate.error())["code"] == "too_large"
        await candidate.still_usable()


async def test_a_flood_is_rate_limited_and_the_socket_recovers(room):
    async with both(room) as sockets:
        _, _, candidate = sockets
        for n in range(80):
            await candidate.send("ping", id=f"f{n}")
        replies = [await candidate.receive() for _ in range(80)]
        limited = [m for m in replies if m["type"] == "error"]
        assert limited and {m["payload"]["code"] for m in limited} == {"rate_limited"}
        assert sum(m["type"] == "pong" for m in replies) >= 40
        await asyncio.sleep(0.5)
        await candidate.still_usable()


# --- Reconnecting, and what the candidate never receives ------------------------------------------


async def test_reconnecting_gives_each_side_the_state_its_role_may_see(room):
    async with both(room) as sockets:
        room, interviewer, candidate = sockets
        await start(interviewer, candidate)
        await candidate.send(
            "doc.edit",
            {"slot": "notes:clarify", "base_revision": 0, "text": "typed before the drop"},
        )
        await candidate.expect("doc.saved")
        await interviewer.send("score.record", {"criterion": "clarify-main", "level": 2})
        await interviewer.expect("score.recorded")
        await interviewer.send("step.move", {"from": "clarify", "to": "frame"})
        await candidate.expect("state")
        await candidate.close()
        await interviewer.close()

        candidate, snapshot = await join(room.candidate, room.interview.pk)
        assert snapshot["interview"]["step_index"] == 1
        assert snapshot["interview"]["status"] == "live"
        assert snapshot["documents"] == [
            {"slot": "notes:clarify", "text": "typed before the drop", "revision": 1}
        ]
        assert "scores" not in snapshot and "panel" not in snapshot
        interviewer, snapshot = await join(room.interviewer, room.interview.pk)
        assert snapshot["scores"][0]["criterion"] == "clarify-main"
        assert snapshot["panel"]["step"] == "frame"
        await candidate.close()
        await interviewer.close()


async def test_the_candidate_never_receives_the_guide_a_score_or_a_private_note(room):
    async with both(room) as sockets:
        room, interviewer, candidate = sockets
        await start(interviewer, candidate)
        script = [
            ("doc.edit", {"slot": "private", "base_revision": 0, "text": "SECRET-PRIVATE"}),
            (
                "score.record",
                {"criterion": "clarify-main", "level": 3, "evidence": "SECRET-EVIDENCE"},
            ),
            ("hint.send", {"step": "clarify", "kind": "hint", "index": 0}),
            ("step.move", {"from": "clarify", "to": "frame"}),
            ("score.record", {"criterion": "frame-main", "level": None, "not_observed": True}),
            ("clock.pause", {}),
            ("clock.resume", {}),
            ("chat.send", {"text": "next question"}),
        ]
        for kind, payload in script:
            await interviewer.send(kind, payload)
            await interviewer.drain(0.15)
        await candidate.send("doc.edit", {"slot": "diagram", "base_revision": 0, "text": "graph"})
        await candidate.drain()
        await candidate.close()
        candidate, _ = await join(room.candidate, room.interview.pk)  # a reconnect snapshot too
        await interviewer.send("interview.end")
        await candidate.expect("ended")
        everything = json.dumps(candidate.seen) + json.dumps(sockets[2].seen)
        for secret in SECRETS:
            assert secret not in everything, secret
        assert "Hint 1 for visual-search clarify." in everything  # what was sent is theirs
        await candidate.close()


# --- Query budgets of the socket handlers ---------------------------------------------------------


MESSAGES = [
    ("interviewer", "ping", {}),
    ("interviewer", "step.move", {"from": "clarify", "to": "frame"}),
    ("interviewer", "clock.pause", {}),
    ("interviewer", "clock.resume", {}),
    ("candidate", "doc.edit", {"slot": "notes:frame", "base_revision": 0, "text": "n"}),
    ("candidate", "doc.edit", {"slot": "diagram", "base_revision": 0, "text": "d"}),
    ("interviewer", "doc.edit", {"slot": "private", "base_revision": 0, "text": "p"}),
    ("candidate", "chat.send", {"text": "hello"}),
    ("interviewer", "hint.send", {"step": "frame", "kind": "hint", "index": 0}),
    ("interviewer", "score.record", {"criterion": "frame-main", "level": 2, "evidence": "e"}),
    ("interviewer", "interview.end", {}),
]
# Counted inside the test's transaction, so each service's atomic block adds two SAVEPOINT lines.
# Counted inside the test's transaction, so each service's atomic block adds two SAVEPOINT lines.
BUDGETS = {
    "ping": 1,
    "doc.edit": 8,
    "chat.send": 5,
    "hint.send": 9,
    "score.record": 8,
    "step.move": 10,
    "clock.pause": 5,
    "clock.resume": 5,
    "interview.end": 5,
}


@pytest.mark.parametrize("busy", [False, True], ids=["fresh", "after-300-events"])
async def test_each_socket_handler_stays_within_its_query_budget(room, busy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run() -> dict[str, int]:
        services.interview_start(actor=room.actor("interviewer"))
        if busy:
            for n in range(100):
                services.chat_post(actor=room.actor("candidate"), text=f"m{n}")
                services.document_edit(
                    actor=room.actor("candidate"),
                    slot="notes:clarify",
                    base_revision=n,
                    text=f"v{n}",
                )
                services.score_record(
                    actor=room.actor("interviewer"), criterion_key="clarify-main", level=1 + n % 4
                )
        interview = Interview.objects.get(pk=room.interview.pk)
        sockets = {  # the actors the consumer builds once per socket, with their context
            who: services.actor_for(user=getattr(room, who), interview=interview, role=who)
            for who in ("interviewer", "candidate")
        }

        def cost(who, kind, payload) -> int:
            message = protocol.parse(json.dumps({"type": kind, "payload": payload}))
            with CaptureQueriesContext(connection) as queries:
                handlers.dispatch(sockets[who], message)
            return len(queries)

        counts, steady = {}, {}
        for who, kind, payload in MESSAGES[:-1]:
            counts[kind] = max(counts.get(kind, 0), cost(who, kind, payload))
        # The hot paths again, now that each document and score exists.
        steady["doc.edit"] = cost(
            "candidate", "doc.edit", {"slot": "notes:frame", "base_revision": 1, "text": "n2"}
        )
        steady["score.record"] = cost(
            "interviewer", "score.record", {"criterion": "frame-main", "level": 3}
        )
        who, kind, payload = MESSAGES[-1]
        counts[kind] = cost(who, kind, payload)
        return counts, steady

    counts, steady = await sync_to_async(run)()
    # An autosave and a re-score are the room's hot paths: one compare-and-set UPDATE and one
    # timeline row (plus the two SAVEPOINT lines of the test's transaction).
    assert steady == {"doc.edit": 4, "score.record": 4}
    for kind, count in counts.items():
        assert count <= BUDGETS[kind], (kind, count)
    assert set(counts) == set(protocol.CLIENT_MESSAGES) - {"interview.start", "reference.reveal"}

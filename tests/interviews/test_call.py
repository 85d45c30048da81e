"""The call's signalling through the real room socket (interviews/live.py, ``call.signal``): a
signal reaches the other person only, in the shape its kind names; nobody outside the interview
can put one into it; bad signals get a coded error and reach nobody. And the ICE servers each
browser is told to use (interviews/calls.py), with TURN credentials in coturn's scheme."""

import base64
import hashlib
import hmac

import pytest
from asgiref.sync import sync_to_async

from interviews import calls, services
from tests import factories
from tests.interviews.conftest import both, join, make_peer, open_socket

SESSION = "a1b2c3d4e5f6a7b8"
SDP = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
OFFER = {"session": SESSION, "description": {"type": "offer", "sdp": SDP}}
CANDIDATE = {
    "session": SESSION,
    "candidate": {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "Xy12",
    },
}


@pytest.fixture
def room(transactional_db, registry):
    factories.rubric()
    case = factories.case_study(slug="visual-search")
    return make_peer(case)


def calls_in(socket) -> list[dict]:
    return [m for m in socket.seen if m["type"] == "call.signal"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_each_kind_of_signal_reaches_the_other_person_only(room):
    signals = [
        ("join", {"session": SESSION}),
        ("join", {"session": SESSION, "reply": True}),
        ("offer", OFFER),
        ("answer", {"session": SESSION, "description": {"type": "answer", "sdp": SDP}}),
        ("candidate", CANDIDATE),
        ("candidate", {"session": SESSION, "candidate": {"candidate": "", "sdpMid": None}}),
        ("state", {"session": SESSION, "audio": False, "video": True}),
        ("bye", {"session": SESSION}),
    ]
    async with both(room) as (interviewer, candidate):
        for kind, data in signals:
            await interviewer.send("call.signal", {"kind": kind, "data": data})
            got = (await candidate.expect("call.signal"))["payload"]
            assert got == {"sender": "interviewer", "kind": kind, "data": data}
        await candidate.send("call.signal", {"kind": "offer", "data": OFFER})
        got = (await interviewer.expect("call.signal"))["payload"]
        assert got["sender"] == "candidate" and got["data"] == OFFER
        await interviewer.drain(0.2)
        await candidate.drain(0.2)
        # Nobody hears their own signals back.
        assert all(m["payload"]["sender"] == "candidate" for m in calls_in(interviewer))
        assert all(m["payload"]["sender"] == "interviewer" for m in calls_in(candidate))
        assert len(calls_in(candidate)) == len(signals)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_third_user_cannot_put_signals_into_the_call(room):
    other_case = await sync_to_async(factories.case_study)(slug="other-case")
    elsewhere = await sync_to_async(make_peer)(other_case)  # participants of another interview
    async with both(room) as (interviewer, candidate):
        intruders = [room.outsider, elsewhere.interviewer, elsewhere.candidate]
        for intruder in intruders:
            socket, closed = await open_socket(intruder, room.interview.pk)
            assert socket is None and closed == 4404
        # Their own room's socket reaches their own interview only.
        theirs, _ = await join(elsewhere.interviewer, elsewhere.interview.pk)
        await theirs.send("call.signal", {"kind": "offer", "data": OFFER})
        await theirs.drain(0.3)
        await theirs.close()
        await interviewer.drain(0.5)
        await candidate.drain(0.1)
        assert calls_in(interviewer) == [] and calls_in(candidate) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_call_closes_with_the_interview(room):
    async with both(room) as (interviewer, candidate):
        await interviewer.send("interview.start")
        await candidate.expect("state")
        await interviewer.send("call.signal", {"kind": "join", "data": {"session": SESSION}})
        await candidate.expect("call.signal")
        await interviewer.send("interview.end")
        await candidate.expect("ended")
        await candidate.send("call.signal", {"kind": "offer", "data": OFFER}, id="late")
        error = await candidate.error()
        assert error["code"] == "invalid_state" and error["in_response"] == "late"
        await interviewer.drain(0.3)
        assert [m["payload"]["kind"] for m in calls_in(interviewer)] == []


@pytest.fixture
def drill(transactional_db, registry):
    factories.rubric()
    case = factories.case_study(slug="visual-search")
    user = factories.user()
    interview = services.interview_create(
        user=user, case_study=case, role="candidate", target_level="senior", kind="solo"
    )
    return user, interview


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_solo_drill_has_no_call(drill):
    user, interview = drill
    socket, snapshot = await join(user, interview.pk)
    assert "call" not in snapshot["actions"] and snapshot["ice_servers"] == []
    await socket.send("call.signal", {"kind": "join", "data": {"session": SESSION}}, id="j")
    assert (await socket.error())["code"] == "forbidden"
    await socket.close()


def with_data(kind: str, data) -> dict:
    return {"kind": kind, "data": data}


BAD_SIGNALS = {
    "unknown kind": {"kind": "hello", "data": {"session": SESSION}},
    "no data": {"kind": "join"},
    "data not an object": with_data("offer", SDP),
    "null data": with_data("join", None),
    "no session": with_data("join", {}),
    "short session": with_data("join", {"session": "abc"}),
    "session not text": with_data("join", {"session": 12345678}),
    "unknown field": with_data("join", {"session": SESSION, "to": "everyone"}),
    "reply not a boolean": with_data("join", {"session": SESSION, "reply": "yes"}),
    "offer without description": with_data("offer", {"session": SESSION}),
    "description of the wrong kind": with_data(
        "offer", {"session": SESSION, "description": {"type": "answer", "sdp": SDP}}
    ),
    "rollback relayed": with_data(
        "offer", {"session": SESSION, "description": {"type": "rollback", "sdp": SDP}}
    ),
    "empty sdp": with_data(
        "answer", {"session": SESSION, "description": {"type": "answer", "sdp": ""}}
    ),
    "extra description field": with_data(
        "offer",
        {"session": SESSION, "description": {"type": "offer", "sdp": SDP, "x": "<script>"}},
    ),
    "candidate not an object": with_data("candidate", {"session": SESSION, "candidate": "c"}),
    "candidate line index negative": with_data(
        "candidate",
        {"session": SESSION, "candidate": {"candidate": "candidate:1", "sdpMLineIndex": -1}},
    ),
    "candidate line index a boolean": with_data(
        "candidate",
        {"session": SESSION, "candidate": {"candidate": "candidate:1", "sdpMLineIndex": True}},
    ),
    "candidate with an unknown field": with_data(
        "candidate", {"session": SESSION, "candidate": {"candidate": "", "relay": "me"}}
    ),
    "state missing video": with_data("state", {"session": SESSION, "audio": True}),
    "description on a bye": with_data("bye", {**OFFER}),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("name", list(BAD_SIGNALS))
async def test_a_bad_signal_gets_a_coded_error_and_reaches_nobody(room, name):
    async with both(room) as (interviewer, candidate):
        await interviewer.send("call.signal", BAD_SIGNALS[name], id="bad")
        error = await interviewer.error()
        assert error["in_response"] == "bad"
        assert error["code"] == "bad_message"
        assert error["message"].startswith("call.signal"), error
        await interviewer.still_usable()
        await candidate.drain(0.3)
        assert calls_in(candidate) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_oversized_signal_is_refused(room):
    huge = {"session": SESSION, "description": {"type": "offer", "sdp": "a=x\r\n" * 3_300}}
    async with both(room) as (interviewer, candidate):
        await interviewer.send("call.signal", with_data("offer", huge), id="big")
        assert (await interviewer.error())["code"] in ("too_large", "bad_message")
        await candidate.drain(0.3)
        assert calls_in(candidate) == []


# --- ICE servers ---------------------------------------------------------------------------------


def test_without_settings_there_are_no_ice_servers(settings):
    settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = [], [], ""
    assert calls.ice_servers(7) == []


def test_turn_credentials_follow_coturns_shared_secret_scheme_and_expire(settings):
    settings.STUN_URLS = ["stun:turn.example.org:3478"]
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
    settings.TURN_SECRET = "s3cret-shared-with-coturn"
    settings.TURN_TTL_SECONDS = 3600
    stun, turn = calls.ice_servers(7, now=1_800_000_000)
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert turn["urls"] == settings.TURN_URLS
    # coturn's use-auth-secret: username "<expiry>:<user>", password base64(HMAC-SHA1(secret)).
    assert turn["username"] == "1800003600:7"
    expected = hmac.new(b"s3cret-shared-with-coturn", b"1800003600:7", hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(expected).decode()
    other = calls.ice_servers(8, now=1_800_000_000)[1]
    assert other["credential"] != turn["credential"]  # per user
    settings.TURN_SECRET = ""
    assert calls.ice_servers(7) == [stun]  # TURN without its secret is left out, not broken


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_both_open_rooms_hear_a_new_meeting_link(room):
    link = "https://meet.example.org/new-room"
    async with both(room) as (interviewer, candidate):
        await sync_to_async(services.call_link_set)(
            interview=room.interview, role="interviewer", link=link
        )
        for socket in (interviewer, candidate):
            assert (await socket.expect("call.link"))["payload"] == {"url": link}
        await sync_to_async(services.call_link_set)(
            interview=room.interview, role="interviewer", link=""
        )
        assert (await candidate.expect("call.link"))["payload"] == {"url": ""}

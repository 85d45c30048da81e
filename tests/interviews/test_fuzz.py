"""Hostile input on the room's socket, generated: every client message type with payloads of
every shape (wrong types, huge numbers, NUL bytes, lone surrogates, deep nesting, unknown
fields), raw frames that are not JSON, and a socket cancelled in the middle of a message. The
server answers each with a coded error or its normal reply, never a server error, never a
traceback in its log, and the socket keeps working."""

import asyncio
import base64
import json
import logging

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviews import protocol
from interviews.registry import Registry
from tests import factories
from tests.conftest import row_locked
from tests.interviews.conftest import join, make_peer

pytestmark = pytest.mark.django_db(transaction=True)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["\x00", "\ud800", "clarify", "notes", "hint", "AAAA", "", " " * 5]),
    st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
payload_keys = sorted({key for schema in protocol.CLIENT_MESSAGES.values() for key in schema})
payloads = st.dictionaries(st.sampled_from([*payload_keys, "extra"]), values, max_size=5)
envelopes = st.fixed_dictionaries(
    {"type": st.sampled_from([*protocol.CLIENT_MESSAGES, "nope"])},
    optional={"id": st.one_of(st.text(max_size=70), st.integers()), "payload": payloads},
)


def _frame(item) -> str:
    kind, body = item
    if kind == "raw":
        return body
    try:
        return json.dumps(body)
    except (ValueError, UnicodeEncodeError):
        return json.dumps(body, ensure_ascii=True)


frames = st.lists(
    st.one_of(
        envelopes.map(lambda e: ("json", e)),
        st.text(min_size=1, max_size=60).map(lambda t: ("raw", t)),
        st.sampled_from(["[" * 5000, '{"type": "ping"', "null", "1e999", '"\\ud800"']).map(
            lambda t: ("raw", t)
        ),
    ),
    min_size=30,
    max_size=60,
)


@pytest.fixture
def peer(transactional_db):
    factories.rubric()
    peer = make_peer(factories.case_study(slug="visual-search"))
    from interviews import services

    services.interview_start(actor=peer.actor("interviewer"))
    return peer


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames)
def test_generated_messages_never_cause_a_server_error(peer, caplog, batch):
    async def session() -> list[dict]:
        try:
            sockets = [
                (await join(peer.interviewer, peer.interview.pk))[0],
                (await join(peer.candidate, peer.interview.pk))[0],
            ]
            for number, item in enumerate(batch):
                socket = sockets[number % 2]
                await socket.send_raw(_frame(item))
                await asyncio.sleep(0.01)  # under the flood limit: every message is handled
            seen = []
            for socket in sockets:
                await socket.drain(0.3)
                await socket.still_usable()
                seen.extend(socket.seen)
                await socket.close()
            return seen
        finally:
            await Registry.current().stop()

    with caplog.at_level(logging.WARNING):
        seen = async_to_sync(session)()
    errors = [m["payload"]["code"] for m in seen if m["type"] == "error"]
    assert "server_error" not in errors, errors
    tracebacks = [r for r in caplog.records if r.exc_info and r.name.startswith("interviews")]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


def test_a_socket_cancelled_in_the_middle_of_a_message_leaves_no_presence(peer):
    """The interviewer's socket is cancelled while its message (a step move) waits on the
    database; the candidate sees the interviewer leave, and a later snapshot shows them
    offline."""

    async def session() -> None:
        try:
            interviewer, _ = await join(peer.interviewer, peer.interview.pk)
            candidate, _ = await join(peer.candidate, peer.interview.pk)
            await interviewer.drain(0.2)
            await candidate.drain(0.2)
            with row_locked("interviews_interview", id=str(peer.interview.pk)):
                # The step move waits on the locked row; the socket's application task is
                # cancelled right then, in the middle of handling it.
                await interviewer.send("step.move", {"from": "clarify", "to": "frame"})
                await asyncio.sleep(0.3)
                interviewer.communicator.future.cancel()
                await asyncio.sleep(0.2)
            left = await candidate.expect("presence")
            online = {p["role"]: p["online"] for p in left["payload"]["participants"]}
            assert online["interviewer"] is False
            again, snapshot = await join(peer.candidate, peer.interview.pk)
            online = {p["role"]: p["online"] for p in snapshot["presence"]}
            assert online == {"interviewer": False, "candidate": True}
            await again.close()
            await candidate.close()
        finally:
            await Registry.current().stop()

    async_to_sync(session)()

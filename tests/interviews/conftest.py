"""Fixtures for the room: a small bank, a peer interview with both people joined, and a test
client that speaks the room's protocol through the real ASGI application."""

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from pycrdt import Doc, Text

from interviews import protocol, services
from interviews.models import Interview
from interviews.registry import Registry
from tests import factories


@dataclass
class Peer:
    interview: Interview
    interviewer: object
    candidate: object
    outsider: object

    def actor(self, who: str) -> services.Actor:
        user = getattr(self, who)
        return services.Actor(user, self.interview.pk, who, False)

    def refresh(self) -> Interview:
        self.interview.refresh_from_db()
        return self.interview


@pytest.fixture(autouse=True)
def _hints_at_once(settings) -> None:
    """Hints reach the candidate at once here; the undo window has tests of its own
    (test_hint_undo.py)."""
    settings.HINT_UNDO_MS = 0


@pytest.fixture
def case(db):
    factories.rubric()
    return factories.case_study(slug="visual-search")


def make_peer(case) -> Peer:
    interviewer = factories.user(name="Ines")
    candidate = factories.user(name="Carl")
    outsider = factories.user(name="Otto")
    interview = services.interview_create(
        user=interviewer, case_study=case, role="interviewer", target_level="senior"
    )
    services.invite_accept(user=candidate, token=interview.invite.token)
    return Peer(interview, interviewer, candidate, outsider)


@pytest.fixture
def peer(case) -> Peer:
    return make_peer(case)


@pytest.fixture
def live(peer) -> Peer:
    services.interview_start(actor=peer.actor("interviewer"))
    peer.refresh()
    return peer


# --- Talking to the room ----------------------------------------------------------------------


@pytest_asyncio.fixture
async def registry() -> AsyncIterator[None]:
    """The room's process-wide parts (bus, write-behind, database threads) for this test's
    event loop, stopped afterwards so no thread keeps a connection to the test database."""
    yield
    current = Registry._current
    if current is not None and current.loop is asyncio.get_running_loop():
        await current.stop()


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


@dataclass
class Typist:
    """Someone's copy of a shared document, making the Yjs updates their browser would send."""

    doc: Doc = field(default_factory=Doc)
    updates: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.doc.observe(lambda event: self.updates.append(event.update))

    def type(self, root: str, text: str, at: int | None = None) -> str:
        """Insert ``text`` into ``root`` (at the end by default); the update, base64."""
        if root not in self.doc:
            self.doc[root] = Text()
        target = self.doc.get(root, type=Text)
        target.insert(len(target) if at is None else at, text)
        return base64.b64encode(self.updates[-1]).decode()

    def apply(self, update_b64: str) -> None:
        self.doc.apply_update(base64.b64decode(update_b64))

    def text(self, root: str) -> str:
        return str(self.doc.get(root, type=Text)) if root in self.doc else ""


class Socket:
    """A test client for the room: keeps every message it received, each rebuilt through its
    constructor in the protocol module (which refuses a missing, unknown or mistyped field)."""

    def __init__(self, communicator: WebsocketCommunicator, first: dict | None = None) -> None:
        self.communicator = communicator
        self.seen: list[dict] = []
        self.counter = 0
        self.first = first  # the handshake's first output, read to see if it was a close

    async def send(self, kind: str, payload: dict | None = None, id: str | None = None) -> str:
        self.counter += 1
        message_id = id or f"t{self.counter}-{kind}"
        await self.communicator.send_json_to(
            {"type": kind, "id": message_id, "payload": payload or {}}
        )
        return message_id

    async def send_raw(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 3) -> dict:
        if self.first is not None:
            message, self.first = json.loads(self.first["text"]), None
        else:
            message = await self.communicator.receive_json_from(timeout=timeout)
        assert message["type"] in protocol.SERVER_MESSAGES, message
        protocol.SERVER_MESSAGES[message["type"]](**message["payload"])
        self.seen.append(message)
        return message

    async def expect(self, kind: str, timeout: float = 3) -> dict:
        """The next message of ``kind``, skipping (but keeping) others."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            while self.first is None and await self.communicator.receive_nothing(timeout=0.05):
                assert loop.time() < deadline, (
                    f"no {kind} within {timeout}s; saw {[m['type'] for m in self.seen]}"
                )
            message = await self.receive()
            if message["type"] == kind:
                return message

    async def drain(self, wait: float = 0.4) -> list[dict]:
        """Everything that arrives until ``wait`` seconds pass quietly."""
        got = []
        while self.first is not None or not await self.communicator.receive_nothing(timeout=wait):
            got.append(await self.receive())
        return got

    async def error(self) -> dict:
        return (await self.expect("error"))["payload"]

    def acked_ids(self) -> set[str]:
        return {i for m in self.seen if m["type"] == "ack" for i in m["payload"]["ids"]}

    async def acked(self, message_id: str, timeout: float = 3) -> None:
        """Wait until ``message_id`` is acknowledged as durable (one ack may name several)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while message_id not in self.acked_ids():
            await self.expect("ack", timeout=max(0.1, deadline - loop.time()))

    async def still_usable(self) -> None:
        await self.send("ping", id="alive")
        assert (await self.expect("pong"))["id"] == "alive"

    async def usable_again(self, timeout: float = 5) -> None:
        """Ping until a pong comes back: a rate-limited socket recovers as its bucket refills
        (no fixed wait that mirrors the rate)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        attempt = 0
        while True:
            attempt += 1
            message_id = await self.send("ping", id=f"again-{attempt}")
            reply = await self.receive()
            if reply["type"] == "pong":
                assert reply["id"] == message_id
                return
            assert reply["type"] == "error" and reply["payload"]["code"] == "rate_limited", reply
            assert loop.time() < deadline, f"still rate-limited after {timeout}s"
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        await self.communicator.disconnect()


async def until(check, *, what: str, timeout: float = 5) -> None:
    """Wait until the awaitable ``check()`` is true: for an effect (a flush, say) instead of a
    fixed sleep."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.05)


async def open_socket(user, interview_id, origin: bytes = b"http://testserver"):
    """(socket, close code or None). The room accepts every handshake and closes a refused
    one with a code the browser can read."""
    from config.asgi import application

    headers = [(b"origin", origin), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(cookie_for)(user)))
    communicator = WebsocketCommunicator(
        application, f"/ws/interviews/{interview_id}/", headers=headers
    )
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_output(timeout=5)
    if first["type"] == "websocket.close":
        return None, first.get("code")
    return Socket(communicator, first), None


async def join(user, interview_id) -> tuple[Socket, dict]:
    socket, code = await open_socket(user, interview_id)
    assert socket is not None, code
    snapshot = await socket.expect("snapshot")
    return socket, snapshot["payload"]


@contextlib.asynccontextmanager
async def both(peer: Peer):
    interviewer, _ = await join(peer.interviewer, peer.interview.pk)
    candidate, _ = await join(peer.candidate, peer.interview.pk)
    await interviewer.drain(0.2)
    await candidate.drain(0.1)
    try:
        yield interviewer, candidate
    finally:
        await interviewer.close()
        await candidate.close()


async def start(interviewer: Socket, candidate: Socket) -> None:
    await interviewer.send("interview.start")
    await interviewer.expect("panel")
    assert (await candidate.expect("state"))["payload"]["status"] == "live"

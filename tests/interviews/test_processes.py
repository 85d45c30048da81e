"""The room across real server processes: uvicorn processes on the test database and a Redis
of the suite's (or one a test starts itself), driven by real WebSocket clients.

- A server killed between relaying an edit and making it durable loses nothing a browser still
  holds: the browser sends it again after reconnecting, and nothing is stored twice.
- Two processes serve one interview, one peer on each: each sees the other's edits in order,
  and each write is stored once.
- A process that starts hosting a room later is told what the first one has not yet stored.
- Redis stopping for a few seconds between two processes: when it returns, the rooms
  resynchronise and the peer sees what was typed meanwhile, without reconnecting.
"""

import asyncio
import base64
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson
import pytest
import websockets
from django.conf import settings
from django.test import Client
from pycrdt import Doc, Text

from interviews import services
from interviews.models import ChatMessage, Document, DocumentUpdate
from tests import factories
from tests.conftest import ROOT, free_port, row_locked, table_locked, wait_for_port
from tests.conftest import test_database_url as database_url
from tests.interviews.conftest import make_peer

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: str

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def url(self, interview_id) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/interviews/{interview_id}/"


@pytest.fixture
def servers(request) -> Iterator:
    started: list[Server] = []

    def start(redis_url: str | None = None, port: int | None = None) -> Server:
        port = port or free_port()
        log = str(ROOT / "test-artifacts" / f"server-{request.node.name}-{len(started)}.log")
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url or settings.REDIS_URL,
            "DEBUG": "true",
            "CELERY_EAGER": "true",
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "config.asgi:application"),
                *("--port", str(port), "--host", "127.0.0.1", "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=open(log, "w"),  # noqa: SIM115 (closed with the process)
            stderr=subprocess.STDOUT,
        )
        wait_for_port(port, process)
        server = Server(port, process, log)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@dataclass
class Browser:
    """What a browser tab keeps: its Yjs copy of the notes (IndexedDB in a real browser), the
    updates and chat messages the server has not acknowledged, and what it received."""

    name: str
    doc: Doc = field(default_factory=Doc)
    unacked: dict[str, dict] = field(default_factory=dict)
    seen: list[dict] = field(default_factory=list)
    socket: object = None
    counter: int = 0

    def __post_init__(self) -> None:
        self.doc["notes:clarify"] = Text()
        self._mine: list[bytes] = []
        self._capture = True
        self.doc.observe(lambda e: self._mine.append(e.update) if self._capture else None)

    @property
    def notes(self) -> str:
        return str(self.doc.get("notes:clarify", type=Text))

    async def connect(self, url: str, user_cookie: str) -> dict:
        self.socket = await websockets.connect(url, additional_headers={"Cookie": user_cookie})
        snapshot = await self.next("snapshot")
        # Unacknowledged document updates are superseded by what is sent below: the whole
        # difference between this tab and the server.
        self.unacked = {i: m for i, m in self.unacked.items() if m["type"] != "doc.update"}
        for item in snapshot["payload"]["docs"]:
            if item["name"] == "notes":
                server_state = base64.b64decode(item["update"])
                self._remote(server_state)
                # What this tab holds and the server lacks goes back up (room.js reconcile).
                server = Doc()
                server.apply_update(server_state)
                missing = self.doc.get_update(server.get_state())
                if len(missing) > 2 and self.name == "candidate":
                    await self.send("doc.update", {"doc": "notes", "update": b64(missing)})
        for message_id, message in list(self.unacked.items()):
            if message["type"] != "doc.update":
                await self.socket.send(orjson.dumps({"id": message_id, **message}).decode())
        return snapshot

    def _remote(self, update: bytes) -> None:
        self._capture = False
        try:
            self.doc.apply_update(update)
        finally:
            self._capture = True

    async def send(self, kind: str, payload: dict) -> str:
        self.counter += 1
        message_id = f"{self.name}-{self.counter}-{time.monotonic_ns()}"
        message = {"type": kind, "payload": payload}
        if kind in ("doc.update", "chat.send"):
            self.unacked[message_id] = message
        await self.socket.send(orjson.dumps({"id": message_id, **message}).decode())
        return message_id

    async def type(self, text: str) -> None:
        notes = self.doc.get("notes:clarify", type=Text)
        notes.insert(len(notes), text)
        await self.send("doc.update", {"doc": "notes", "update": b64(self._mine[-1])})

    async def receive(self, timeout: float = 5) -> dict:
        message = orjson.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        self.seen.append(message)
        if message["type"] == "doc.update":
            self._remote(base64.b64decode(message["payload"]["update"]))
        elif message["type"] == "ack":
            for message_id in message["payload"]["ids"]:
                self.unacked.pop(message_id, None)
        return message

    async def next(self, kind: str, timeout: float = 5) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = await self.receive(timeout=max(0.05, deadline - time.monotonic()))
            if message["type"] == kind:
                return message

    async def until(self, check, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"{self.name}: timed out; notes {self.notes!r}"
            with contextlib.suppress(TimeoutError):
                await self.receive(timeout=0.2)

    async def quiet(self, seconds: float = 0.3) -> None:
        try:
            while True:
                await self.receive(timeout=seconds)
        except (TimeoutError, websockets.ConnectionClosed):
            return

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def peer(transactional_db):
    factories.rubric()
    peer = make_peer(factories.case_study(slug="visual-search"))
    services.interview_start(actor=peer.actor("interviewer"))
    peer.cookies = (cookie(peer.interviewer), cookie(peer.candidate))
    return peer


def test_a_server_killed_before_persisting_loses_nothing_a_browser_holds(servers, peer):
    first = servers()
    url = first.url(peer.interview.pk)
    candidate, interviewer = Browser("candidate"), Browser("interviewer")

    async def before_the_kill() -> None:
        await interviewer.connect(url, peer.cookies[0])
        await candidate.connect(url, peer.cookies[1])
        await candidate.type("alpha ")
        await candidate.send("chat.send", {"text": "durable one"})
        await candidate.until(lambda: not candidate.unacked)  # both durable
        with table_locked("interviews_documentupdate"):
            # The write-behind now waits on its first statement: relayed, not stored.
            await candidate.type("beta")
            await candidate.send("chat.send", {"text": "relayed only"})
            await interviewer.until(lambda: interviewer.notes == "alpha beta")
            await interviewer.next("chat.message")
            await asyncio.sleep(0.4)
            assert len(candidate.unacked) == 2  # told nothing is durable yet
            first.kill()
        await candidate.close()
        await interviewer.close()

    asyncio.run(before_the_kill())
    stored = Document.objects.get(interview=peer.interview, slot="notes:clarify").text
    assert stored == "alpha "  # what was acknowledged, and nothing more
    second = servers()

    async def after_the_restart() -> None:
        url = second.url(peer.interview.pk)
        await candidate.connect(url, peer.cookies[1])  # sends what the server lacks
        await candidate.until(lambda: not candidate.unacked)
        fresh = Browser("interviewer")
        await fresh.connect(url, peer.cookies[0])
        assert fresh.notes == "alpha beta"
        await candidate.close()
        await fresh.close()

    asyncio.run(after_the_restart())
    assert Document.objects.get(interview=peer.interview, slot="notes:clarify").text == "alpha beta"
    assert sorted(
        ChatMessage.objects.filter(interview=peer.interview).values_list("text", flat=True)
    ) == [
        "durable one",
        "relayed only",
    ]


def test_two_processes_serve_one_interview_each_write_stored_once(servers, peer):
    one, two = servers(), servers()
    candidate, interviewer = Browser("candidate"), Browser("interviewer")

    async def session() -> None:
        await interviewer.connect(one.url(peer.interview.pk), peer.cookies[0])
        await candidate.connect(two.url(peer.interview.pk), peer.cookies[1])
        await asyncio.sleep(0.5)  # the two hosts meet on the bus
        words = [f"w{n} " for n in range(30)]
        for word in words:
            await candidate.type(word)
            await asyncio.sleep(0.02)
        await interviewer.until(lambda: interviewer.notes == "".join(words))
        await candidate.send("chat.send", {"text": "from the second process"})
        assert (await interviewer.next("chat.message"))["payload"]["text"] == (
            "from the second process"
        )
        await interviewer.send("step.move", {"from": "clarify", "to": "frame"})
        assert (await candidate.next("state"))["payload"]["step_index"] == 1
        await candidate.until(lambda: not candidate.unacked)
        await interviewer.close()
        await candidate.close()

    asyncio.run(session())
    time.sleep(0.5)
    assert ChatMessage.objects.filter(interview=peer.interview).count() == 1
    parts = [bytes(u.data) for u in DocumentUpdate.objects.filter(interview=peer.interview)]
    merged = Doc()
    for part in parts:
        merged.apply_update(part)
    assert str(merged.get("notes:clarify", type=Text)) == candidate.notes
    # Only the candidate's process stored the notes: the interviewer's only relayed them.
    assert (
        DocumentUpdate.objects.filter(interview=peer.interview, actor=peer.interviewer).count() == 0
    )


def test_a_process_joining_later_is_told_what_is_not_yet_stored(servers, peer):
    one, two = servers(), servers()
    candidate, interviewer = Browser("candidate"), Browser("interviewer")
    factories.document_texts(peer, {"notes:clarify": ""})  # a row for the flush to wait on

    async def session() -> None:
        await candidate.connect(one.url(peer.interview.pk), peer.cookies[1])
        where = {"interview_id": str(peer.interview.pk), "slot": "notes:clarify"}
        with row_locked("interviews_document", **where):
            # The first host's flush now waits on that row, uncommitted: the second host's
            # load cannot see the text, only the first host can tell it.
            await candidate.type("written before the other process came")
            await asyncio.sleep(0.4)  # relayed to nobody, not stored: only the first host has it
            await interviewer.connect(two.url(peer.interview.pk), peer.cookies[0])
            await interviewer.until(lambda: interviewer.notes == candidate.notes)
        await interviewer.close()
        await candidate.close()

    asyncio.run(session())


def test_the_rooms_resynchronise_after_redis_comes_back(servers, peer, tmp_path):
    port = free_port()
    redis_cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    redis_cmd += ["--bind", "127.0.0.1", "--dir", str(tmp_path)]
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, redis)
        redis_url = f"redis://127.0.0.1:{port}/0"
        one, two = servers(redis_url), servers(redis_url)
        candidate, interviewer = Browser("candidate"), Browser("interviewer")

        async def session() -> None:
            nonlocal redis
            await interviewer.connect(one.url(peer.interview.pk), peer.cookies[0])
            await candidate.connect(two.url(peer.interview.pk), peer.cookies[1])
            await asyncio.sleep(0.5)
            await candidate.type("before ")
            await interviewer.until(lambda: interviewer.notes == "before ")
            redis.send_signal(signal.SIGKILL)
            redis.wait(timeout=10)
            await candidate.type("during the outage ")
            await candidate.until(lambda: not candidate.unacked)  # stored: no Redis needed
            await interviewer.quiet(1.5)
            assert interviewer.notes == "before "  # the bus is down: not relayed
            redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
            wait_for_port(port, redis)
            # Both processes reconnect to the bus and resynchronise: no socket reconnects.
            await interviewer.until(lambda: interviewer.notes == "before during the outage ", 20)
            await candidate.type("after")
            await interviewer.until(lambda: interviewer.notes.endswith("after"), 10)
            await interviewer.close()
            await candidate.close()

        asyncio.run(session())
    finally:
        redis.kill()
        redis.wait(timeout=10)

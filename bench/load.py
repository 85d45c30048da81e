"""The load generator: N rooms, each an interviewer and a candidate socket, at human rates.

Run by ``bench.run`` as a separate process::

    python -m bench.load --manifest M --mode app|relay --interviewer-url ws://127.0.0.1:P1
        --candidate-url ws://127.0.0.1:P2 --stages 100,200 --duration 30 --out result.json
        [--database-url postgres://.../ss_bench]

Each stage opens rooms until the stage's count is reached, lets them settle, then measures for
``--duration`` seconds while every room keeps talking; later stages keep the earlier rooms open.
Loopback only, bounded in time and in count (``MAX_SESSIONS``).

**Open loop, like people.** Every socket sends on its own schedule whatever the server does:
nothing waits for an acknowledgement or a reply, and what a socket cannot write at once waits
in its own queue (a browser's ``bufferedAmount``), its delay counted from when it was made.

- The candidate types in bursts (``TYPING``): a key every 0.15-0.35 s for 2-6 s, then a pause
  of 2-10 s; each keystroke is a real Yjs update made with pycrdt on the candidate's own copy of
  the document (started from the snapshot, as the browser's is), and the updates of each 80 ms
  are merged and sent as one ``doc.update`` (the browser's throttle, static/js/room.js). One
  burst in ten goes to the diagram instead of the current step's notes. Chat every ~20 s.
- The interviewer types private notes in short bursts, chats every ~15 s, records a score and
  marks the checklist or a red flag every ~20 s each, sends a hint every ~40 s (each of the
  case's hints once), and moves a step or pauses about once a minute (a pause is resumed after
  10-20 s).
- Both ping every 20 s (not timed).

**What is timed**, on one clock (both sockets live in this process), from the moment a message
is made to the receipt that proves it reached the *other* person: a document update relayed
to the interviewer (matched by the update itself), ``chat.message`` (by id), ``delivery``, the
``state`` after a move, a pause or a resume. A score has no peer (the candidate must never see
it): it is timed to its ``score.recorded`` echo (``self``). Every durable message is also timed
to its ``ack``, and a sample of acknowledged messages is looked up in the database
(``--database-url``): an ack for something not yet committed is counted in ``ack_not_durable``.

**Typing lag**: every ``--lag-every`` seconds, for each candidate typing (or with characters
not yet seen by the interviewer), the age of the oldest character the interviewer has not yet
received; 0 when everything typed has arrived.

Against the raw relay (``bench.relay``) the same traffic is sent and every message is timed at
the other socket by its id.

Each stage is summarised after the run's grace period (``bench.stats``): what was sent in the
window, with late arrivals at their true delay and anything never received as lost.
"""

import argparse
import asyncio
import base64
import contextlib
import gc
import itertools
import json
import random
import secrets
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import orjson
from pycrdt import Doc, Text, merge_updates
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench import stats
from bench.checks import AckChecker
from bench.stats import Tracker

MAX_SESSIONS = 1000
RAMP_ALLOWANCE = 150  # seconds a stage may take to open its rooms on a loaded machine
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SEND_EVERY = 0.08  # the browser's throttle between two updates of one document
MAX_TEXT = 12_000  # a text past this loses its first half (the server's cap is 20,000)

# Seconds: (low, high) of uniform waits. Typing: a key every KEY, for BURST, then a PAUSE.
TYPING = {
    "candidate": {"key": (0.15, 0.35), "burst": (2.0, 6.0), "pause": (2.0, 10.0)},
    "interviewer": {"key": (0.15, 0.35), "burst": (1.0, 4.0), "pause": (15.0, 45.0)},
}
DIAGRAM_SHARE = 0.1  # of the candidate's bursts
# Mean seconds between two actions of each kind, per socket (each wait jittered ±30%).
CANDIDATE_PACE = {"chat": 20.0, "ping": 20.0}
INTERVIEWER_PACE = {
    "chat": 15.0,
    "score": 20.0,
    "mark": 20.0,
    "hint": 40.0,
    "flow": 60.0,
    "ping": 20.0,
}
RESUME_AFTER = (10.0, 20.0)
DURABLE = {
    "doc.update",
    "chat.send",
    "hint.send",
    "score.record",
    "mark.record",
}
WORDS = (
    *("latency", "budget", "recall", "precision", "two-tower", "ranking", "features"),
    *("embeddings", "freshness", "cold-start", "candidates", "retrieval", "labels", "drift"),
    *("online", "offline", "A/B", "calibration", "cache", "throughput", "shard", "replicas"),
)
CONCEPT_VALUES = ("unprompted", "hinted", "missed", "")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class Typist:
    """One person's copy of a shared document and the updates of the current 80 ms."""

    doc: Doc = field(default_factory=Doc)
    pending: list[bytes] = field(default_factory=list)
    first_key: float | None = None  # when the oldest key of ``pending`` was typed
    words: deque = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None

    def __post_init__(self) -> None:
        self.doc.observe(lambda event: self.pending.append(event.update))

    def load(self, update: bytes) -> None:
        self.doc.apply_update(update)
        self.pending.clear()  # what the server sent is not ours to send back


@dataclass
class Room:
    index: int
    interview: str
    cookies: dict[str, str]
    plan: dict
    rng: random.Random
    step_index: int = 0
    paused: bool = False
    direction: int = 1
    delivered: set[tuple] = field(default_factory=set)
    marks: dict[tuple[str, str], str] = field(default_factory=dict)
    sockets: dict[str, ClientConnection] = field(default_factory=dict)
    outbox: dict[str, asyncio.Queue] = field(default_factory=dict)
    docs: dict[str, Typist] = field(default_factory=dict)  # notes, diagram, private
    typing: bool = False  # the candidate is in a burst
    unseen: dict[str, float] = field(default_factory=dict)  # update key -> its oldest key time

    def other(self, role: str) -> str:
        return "candidate" if role == "interviewer" else "interviewer"

    def oldest_unseen(self) -> float | None:
        """When the oldest character the interviewer has not received was typed."""
        oldest = next(iter(self.unseen.values()), None)
        for name in ("notes", "diagram"):
            typist = self.docs.get(name)
            if typist and typist.first_key is not None:
                oldest = typist.first_key if oldest is None else min(oldest, typist.first_key)
        return oldest


class Load:
    def __init__(self, args: argparse.Namespace, manifest: dict) -> None:
        self.args = args
        self.relay = args.mode == "relay"
        self.urls = {"interviewer": args.interviewer_url, "candidate": args.candidate_url}
        self.tracker = Tracker()
        self.stopping = asyncio.Event()
        self.closing = False
        self.connect_failures = 0
        self.ids = itertools.count(1)
        self.prefix = secrets.token_hex(3)  # ids unique across runs on the same rooms
        self.checker = AckChecker(args.database_url) if args.database_url else None
        self.rooms = [
            Room(
                index=i,
                interview=s["interview"],
                cookies={role: s[f"{role}_cookie"] for role in ("interviewer", "candidate")},
                plan=manifest["plans"][s["plan"]],
                rng=random.Random(args.seed * 100_003 + i),
            )
            for i, s in enumerate(manifest["sessions"])
        ]

    def new_id(self) -> str:
        return f"{self.prefix}-{next(self.ids)}"

    # --- Sockets -------------------------------------------------------------------------------

    async def open_room(self, room: Room) -> bool:
        try:
            for role in self.urls:  # the interviewer first, as people arrive
                await self.open_socket(room, role)
            return True
        except Exception as exc:  # any failure to open counts, whatever its kind
            self.connect_failures += 1
            self.tracker.errors.append((time.perf_counter(), f"connect: {type(exc).__name__}"))
            for ws in room.sockets.values():
                await ws.close()
            room.sockets.clear()
            return False

    async def open_socket(self, room: Room, role: str) -> None:
        base = self.urls[role].rstrip("/")
        url = f"{base}/ws/interviews/{room.interview}/"
        parsed = urlparse(base)
        ws = await connect(
            url,
            origin=f"http://{parsed.netloc}",  # the site's own origin, as a browser sends it
            additional_headers={"Cookie": room.cookies[role]},
            proxy=None,  # loopback only, whatever the environment says
            open_timeout=60,
            ping_interval=None,  # browsers answer the server's pings but send none
            max_size=2**22,
            compression=None,  # the server runs without per-message deflate
        )
        room.sockets[role] = ws
        room.outbox[role] = asyncio.Queue()
        if self.relay:
            for name in ("notes", "diagram") if role == "candidate" else ("private",):
                room.docs.setdefault(name, Typist())
            return
        snapshot = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=60))
        if snapshot.get("type") != "snapshot":
            raise RuntimeError(f"first message was {snapshot.get('type')!r}")
        self.learn(room, role, snapshot["payload"])

    def learn(self, room: Room, role: str, snapshot: dict) -> None:
        """Start from where the room is: its step, its clock, the hints sent, and this
        person's own copy of the documents they write (as the browser's IndexedDB would)."""
        room.step_index = snapshot["interview"]["step_index"]
        room.paused = snapshot["interview"]["paused"]
        room.delivered |= {(d["step"], d["kind"], d["index"]) for d in snapshot["deliveries"]}
        for mark in snapshot.get("marks") or []:
            room.marks[(mark["kind"], mark["key"])] = mark["value"]
        mine = ("notes", "diagram") if role == "candidate" else ("private",)
        for item in snapshot["docs"]:
            if item["name"] in mine:
                typist = room.docs.setdefault(item["name"], Typist())
                typist.load(base64.b64decode(item["update"]))
        for name in mine:
            room.docs.setdefault(name, Typist())

    async def write(self, room: Room, role: str) -> None:
        """The socket's own queue: what was made is sent in order, as fast as the connection
        takes it, without holding up whoever made it."""
        ws, queue = room.sockets[role], room.outbox[role]
        try:
            while True:
                await ws.send(await queue.get())
        except ConnectionClosed:
            return

    async def read(self, room: Room, role: str) -> None:
        ws = room.sockets[role]
        try:
            async for raw in ws:
                at = time.perf_counter()
                self.tracker.received += 1
                message = orjson.loads(raw)
                if self.relay:
                    self.tracker.arrive((room.index, role, "id", message.get("id")), at)
                    if message.get("type") == "doc.update" and role == "interviewer":
                        room.unseen.pop(message["payload"]["update"], None)
                else:
                    self.on_message(room, role, message, at)
        except ConnectionClosed:
            pass
        if not self.closing:
            self.tracker.errors.append((time.perf_counter(), f"closed: {ws.close_code}"))

    def on_message(self, room: Room, role: str, message: dict, at: float) -> None:
        kind, p = message.get("type"), message.get("payload") or {}
        track = self.tracker
        if kind == "doc.update":
            track.arrive((room.index, role, "u", p["update"]), at)
            if role == "interviewer":
                room.unseen.pop(p["update"], None)
        elif kind == "ack":
            for message_id in p["ids"]:
                record = track.acked(room.index, message_id, at)
                if record is not None and self.checker:
                    self.checker.acked(room, message_id, at)
        elif kind == "chat.message":
            if p["role"] != role:
                track.arrive((room.index, role, "chat", p["id"]), at)
        elif kind == "score.recorded":
            track.arrive((room.index, role, "score", p["criterion"], p["evidence"]), at)
        elif kind == "hint.held" and role == "interviewer":
            # Held for the undo window on purpose: the hint's delay starts when that ends.
            key = (room.index, "candidate", "delivery", p["step"], p["kind"], p["index"])
            track.hold(key, p["undo_ms"] / 1000)
        elif kind == "delivery":
            room.delivered.add((p["step"], p["kind"], p["index"]))
            if role == "candidate":
                track.arrive((room.index, role, "delivery", p["step"], p["kind"], p["index"]), at)
        elif kind == "state":
            room.step_index, room.paused = p["step_index"], p["paused"]
            if role == "candidate":
                track.arrive((room.index, role, "state", p["step_index"], p["paused"]), at)
        elif kind == "error":
            message_id = message.get("id") or p.get("in_response")
            track.refuse(room.index, message_id, p["code"], at)
            if self.checker and message_id:
                self.checker.forget(room, message_id)

    # --- Traffic -------------------------------------------------------------------------------

    def send(
        self,
        room: Room,
        role: str,
        kind: str,
        mtype: str,
        payload: dict,
        proof,
        message_id: str | None = None,
    ) -> str:
        """Queue one message on the socket, timed from now. ``proof`` is the receipt that will
        show it reached the other person, as (receiving role, *key), or None; against the
        relay every message is proven by the other socket receiving its id."""
        at = time.perf_counter()
        message_id = message_id or self.new_id()
        track = self.tracker
        if self.relay and kind != "ping":
            track.expect((room.index, room.other(role), "id", message_id), kind, at, message_id)
        elif proof is not None:
            track.expect((room.index, *proof), kind, at, message_id)
        if not self.relay and mtype in DURABLE:
            track.expect_ack(room.index, message_id, kind, at)
        message = {"type": mtype, "id": message_id, "payload": payload}
        room.outbox[role].put_nowait(orjson.dumps(message).decode())
        track.sent += 1
        return message_id

    def keystroke(self, room: Room, role: str, name: str) -> None:
        """One key typed into a document: a Yjs update on this person's copy, sent with the
        others of the same 80 ms."""
        typist = room.docs[name]
        root = {"notes": f"notes:{room.plan['steps'][room.step_index]}"}.get(name, name)
        text = typist.doc.get(root, type=Text)
        if len(text) > MAX_TEXT:
            del text[: MAX_TEXT // 2]
        if not typist.words:
            typist.words.extend(room.rng.choice(WORDS) + " ")
        if typist.first_key is None:
            typist.first_key = time.perf_counter()
        text.insert(len(text), typist.words.popleft())
        if typist.timer is None:
            loop = asyncio.get_running_loop()
            typist.timer = loop.call_later(SEND_EVERY, self.flush, room, role, name, root)

    def flush(self, room: Room, role: str, name: str, root: str) -> None:
        typist = room.docs[name]
        typist.timer = None
        if not typist.pending or self.stopping.is_set():
            typist.pending.clear()
            typist.first_key = None
            return
        update = typist.pending[0] if len(typist.pending) == 1 else merge_updates(*typist.pending)
        typist.pending.clear()
        encoded = b64(update)
        proof = None if name == "private" else ("interviewer", "u", encoded)
        kind = name
        message_id = self.send(
            room, role, kind, "doc.update", {"doc": name, "update": encoded}, proof
        )
        if name != "private":
            room.unseen[encoded] = typist.first_key or time.perf_counter()
        typist.first_key = None
        if self.checker:
            text = str(typist.doc.get(root, type=Text))
            self.checker.sent_update(room, message_id, name, root, text)

    async def sleep(self, seconds: float) -> bool:
        """Wait, or less if the run stops; False once it has."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)
        return not self.stopping.is_set()

    async def type_bursts(self, room: Room, role: str) -> None:
        pace, rng = TYPING[role], room.rng
        if not await self.sleep(rng.uniform(0, pace["pause"][1])):
            return
        while True:
            name = "private"
            if role == "candidate":
                name = "diagram" if rng.random() < DIAGRAM_SHARE else "notes"
                room.typing = True
            end = time.perf_counter() + rng.uniform(*pace["burst"])
            while time.perf_counter() < end:
                self.keystroke(room, role, name)
                if not await self.sleep(rng.uniform(*pace["key"])):
                    return
            room.typing = False
            if not await self.sleep(rng.uniform(*pace["pause"])):
                return

    def act(self, room: Room, role: str, action: str) -> None:
        rng = room.rng
        if action == "ping":
            self.send(room, role, "ping", "ping", {}, None)
        elif action == "chat":
            message_id = self.new_id()
            text = " ".join(rng.choices(WORDS, k=rng.randint(4, 14)))
            proof = (room.other(role), "chat", message_id)
            self.send(room, role, "chat", "chat.send", {"text": text}, proof, message_id)
            if self.checker:
                self.checker.sent_message(room, message_id, "chat", message_id)
        elif action == "score":
            criterion = rng.choice(room.plan["criteria"])
            evidence = f"{' '.join(rng.choices(WORDS, k=8))} #{next(self.ids)}"
            payload = {"criterion": criterion, "level": rng.randint(1, 4), "evidence": evidence}
            proof = ("interviewer", "score", criterion, evidence)
            message_id = self.send(room, role, "score", "score.record", payload, proof)
            if self.checker:
                self.checker.sent_message(room, message_id, "score", evidence)
        elif action == "mark":
            self.mark(room, role)
        elif action == "hint":
            left = [d for d in room.plan["deliveries"] if tuple(d) not in room.delivered]
            if not left:
                return  # every hint of the case was sent; a real interviewer stops too
            step, kind, index = left[0]
            room.delivered.add((step, kind, index))
            payload = {"step": step, "kind": kind, "index": index}
            proof = ("candidate", "delivery", step, kind, index)
            message_id = self.send(room, role, "hint", "hint.send", payload, proof)
            if self.checker:
                self.checker.sent_message(room, message_id, "hint", (step, kind, index))
        elif action == "flow" and not room.paused:
            self.flow(room, role)

    def mark(self, room: Room, role: str) -> None:
        rng, plan = room.rng, room.plan
        if plan["flags"] and (not plan["concepts"] or rng.random() < 0.3):
            kind, key = "flag", rng.choice(plan["flags"])
            value = "" if room.marks.get((kind, key)) == "observed" else "observed"
        elif plan["concepts"]:
            kind, key = "concept", rng.choice(plan["concepts"])
            current = room.marks.get((kind, key), "")
            value = rng.choice([v for v in CONCEPT_VALUES if v != current])
        else:
            return
        room.marks[(kind, key)] = value
        payload = {"kind": kind, "key": key, "value": value}
        self.send(room, role, "mark", "mark.record", payload, None)

    def flow(self, room: Room, role: str) -> None:
        """A step move or a pause (resumed a little later); one at a time, spaced far apart,
        so the state the candidate receives tells which one it was."""
        steps = room.plan["steps"]
        current = room.step_index
        if room.rng.random() < 0.25:
            room.paused = True
            proof = ("candidate", "state", current, True)
            self.send(room, role, "pause", "clock.pause", {}, proof)
            asyncio.get_running_loop().create_task(self.resume_later(room, role))
            return
        if not 0 <= current + room.direction < len(steps):
            room.direction = -room.direction
        target = current + room.direction
        room.step_index = target
        payload = {"from": steps[current], "to": steps[target]}
        self.send(room, role, "step", "step.move", payload, ("candidate", "state", target, False))

    async def resume_later(self, room: Room, role: str) -> None:
        if await self.sleep(room.rng.uniform(*RESUME_AFTER)):
            room.paused = False
            proof = ("candidate", "state", room.step_index, False)
            self.send(room, role, "resume", "clock.resume", {}, proof)

    async def talk(self, room: Room, role: str) -> None:
        pace = CANDIDATE_PACE if role == "candidate" else INTERVIEWER_PACE
        rng = room.rng
        now = time.perf_counter()
        due = {action: now + rng.uniform(0, period) for action, period in pace.items()}
        while True:
            action = min(due, key=due.get)
            if not await self.sleep(max(0.0, due[action] - time.perf_counter())):
                return
            due[action] = time.perf_counter() + pace[action] * rng.uniform(0.7, 1.3)
            self.act(room, role, action)

    async def sample_lag(self, rooms: list[Room]) -> None:
        """The typing lag, sampled: for each candidate typing (or with characters the
        interviewer has not received), the age of the oldest such character."""
        every = self.args.lag_every
        while await self.sleep(every):
            now = time.perf_counter()
            samples = self.tracker.lag_samples
            for room in rooms:
                if not room.sockets:
                    continue
                oldest = room.oldest_unseen()
                if oldest is not None:
                    samples.append((now, now - oldest))
                elif room.typing:
                    samples.append((now, 0.0))

    # --- The run -------------------------------------------------------------------------------

    async def start_room(self, room: Room, tasks: list[asyncio.Task]) -> None:
        loop = asyncio.get_running_loop()
        for role in self.urls:
            tasks.append(loop.create_task(self.write(room, role)))
            tasks.append(loop.create_task(self.read(room, role)))
            tasks.append(loop.create_task(self.talk(room, role)))
            tasks.append(loop.create_task(self.type_bursts(room, role)))

    async def edge(self) -> dict:
        """What is counted at a window's edges: the clocks, the messages sent and received,
        and the database's committed transactions."""
        return {
            "at": time.perf_counter(),
            "wall": time.time(),
            "sent": self.tracker.sent,
            "received": self.tracker.received,
            "xact": await self.checker.xact_commit() if self.checker else None,
        }

    async def run(self) -> dict:
        args, track = self.args, self.tracker
        windows, tasks, opened = [], [], 0
        connect_limit = asyncio.Semaphore(args.connect_concurrency)
        if self.checker:
            await self.checker.start()
            tasks.append(asyncio.get_running_loop().create_task(self.checker.run(self.stopping)))

        async def open_limited(room: Room) -> bool:
            async with connect_limit:
                return await self.open_room(room)

        live: list[Room] = []
        tasks.append(asyncio.get_running_loop().create_task(self.sample_lag(live)))
        for count in args.stages:
            ramp_start = time.perf_counter()
            batch = self.rooms[opened:count]
            results = await asyncio.gather(*(open_limited(room) for room in batch))
            opened = count
            for room, ok in zip(batch, results, strict=True):
                if ok:
                    live.append(room)
                    await self.start_room(room, tasks)
            ramp = time.perf_counter() - ramp_start
            await asyncio.sleep(args.settle)
            start = await self.edge()
            await asyncio.sleep(args.duration)
            end = await self.edge()
            windows.append((count, len(batch), ramp, start, end))
            print(f"  {args.mode}: {count} rooms measured", file=sys.stderr)
        self.stopping.set()
        for room in live:
            for typist in room.docs.values():
                if typist.timer is not None:
                    typist.timer.cancel()
        stopped = time.perf_counter()
        deadline = stopped + args.grace
        while (track.pending or track.ack_pending) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        if self.checker:
            await self.checker.drain()
        self.closing = True
        await asyncio.gather(
            *(ws.close() for room in self.rooms for ws in room.sockets.values()),
            return_exceptions=True,
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stages = [self.stage(*window) for window in windows]
        if self.checker:
            await self.checker.close()
        lost = Counter(record[1] for record in track.pending.values())
        errors = Counter(code for _, code in track.errors)
        return {
            "mode": args.mode,
            "stages": stages,
            "lost": sum(lost.values()),
            "lost_by_kind": dict(lost),
            "acks_missing": len(track.ack_pending),
            "errors": sum(errors.values()),
            "errors_by_kind": dict(errors),
            "connect_failures": self.connect_failures,
            "ambiguous": track.duplicates,
            "drain_s": round(time.perf_counter() - stopped, 2),
            "durability": self.checker.report() if self.checker else None,
        }

    def stage(self, count: int, opened: int, ramp: float, start: dict, end: dict) -> dict:
        track = self.tracker
        a, b = start["at"], end["at"]
        span = b - a
        peer_kinds = stats.PEER_KINDS
        delivered = stats.delivery(track.records, a, b, peer_kinds)
        acks = stats.delivery(track.acks, a, b, ())
        sent = end["sent"] - start["sent"]
        xact = None
        if start["xact"] is not None and end["xact"] is not None:
            # Less the checker's own look-ups and the two edge readings.
            own = self.checker.queries_between(a, b) if self.checker else 0
            xact = round((end["xact"] - start["xact"] - own - 1) / span, 1)
        return {
            "sessions": count,
            "sockets": 2 * count,
            "opened": opened,
            "ramp_s": round(ramp, 2),
            "duration_s": round(span, 2),
            "wall": [start["wall"], end["wall"]],
            "peer": delivered["peer"],
            "by_kind": delivered["by_kind"],
            "lost": delivered["lost"],
            "late": delivered["late"],
            "ack": {k: v for k, v in acks["by_kind"].items()},
            "acks_missing": acks["lost"],
            "typing_lag": stats.typing_lag(track.lag_samples, a, b),
            "backlog_start": stats.backlog_at(track.records, a),
            "backlog_end": stats.backlog_at(track.records, b),
            "sent": sent,
            "sent_per_s": round(sent / span, 1),
            "received_per_s": round((end["received"] - start["received"]) / span, 1),
            "xact_per_s": xact,
            "errors": sum(1 for at, _ in track.errors if a <= at < b),
        }


def check_loopback(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("ws", "http") or parsed.hostname not in LOOPBACK:
        raise SystemExit(f"{url}: the load generator only talks to ws:// on loopback")
    return url


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Live-room load generator (see module doc).")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--mode", choices=("app", "relay"), required=True)
    parser.add_argument("--interviewer-url", type=check_loopback, required=True)
    parser.add_argument("--candidate-url", type=check_loopback, required=True)
    parser.add_argument("--stages", type=lambda s: [int(x) for x in s.split(",")], required=True)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured per stage")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after opening rooms")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to wait for stragglers")
    parser.add_argument("--lag-every", type=float, default=0.1, help="typing-lag sampling, s")
    parser.add_argument("--connect-concurrency", type=int, default=8)
    parser.add_argument("--database-url", help="check acknowledged messages in this database")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    if sorted(args.stages) != args.stages or args.stages[-1] > len(manifest["sessions"]):
        raise SystemExit(f"stages must rise and stay within the {len(manifest['sessions'])} rooms")
    if args.stages[-1] > MAX_SESSIONS:
        raise SystemExit(f"at most {MAX_SESSIONS} rooms")
    # The whole run is bounded: opening, every stage, the grace period and closing.
    budget = 600 + len(args.stages) * (args.settle + args.duration + RAMP_ALLOWANCE) + args.grace
    load = Load(args, manifest)

    async def bounded() -> dict:
        async with asyncio.timeout(budget):
            return await load.run()

    gc.freeze()  # the manifest and rooms live to the end; keep the collector off them
    try:
        import uvloop

        result = uvloop.run(bounded())
    except ImportError:
        result = asyncio.run(bounded())
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

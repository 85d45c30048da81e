"""The load generator: N rooms, each an interviewer and a candidate socket, at a human pace.

Run by ``bench.run`` as a separate process::

    python -m bench.load --manifest M --mode app|relay --interviewer-url ws://127.0.0.1:P1
        --candidate-url ws://127.0.0.1:P2 --stages 50,100,200 --duration 8 --out result.json

Each stage opens rooms until the stage's count is reached, lets them settle, then measures for
``--duration`` seconds while every room keeps talking; later stages keep the earlier rooms
open. Loopback only, and bounded in time (a hard deadline) and in count (``MAX_SESSIONS``).

What a room sends, through the real protocol (``interviews/protocol.py``):

- the candidate: notes at typing speed, saved at most once a second and never while a save is
  in flight (the browser's debounce), a diagram edit every ~8 s, a chat line every ~12 s;
- the interviewer: private notes every ~3 s, chat every ~6 s, a score every ~12 s, a hint or
  curveball every ~20 s, and every ~15 s a step move, a pause or a resume;
- both: a ping every 25 s (the browser's heartbeat; not timed).

The delay measured is from one socket's send to the receipt that proves it arrived, on the
same clock (both sockets live in this process). Peer kinds are timed at the other peer:
notes, diagram (``doc.updated``, matched by a ``~seq`` mark at the end of the text), chat
(``chat.message``), hint (``delivery``), step, pause, resume (``state``). Two interviewer
kinds have no peer to reach (the candidate must never see them), so they are timed at the
sender: score (the ``score.recorded`` echo through the interviewer's own group) and private
(the ``doc.saved`` reply). Against the raw relay every message is simply timed at the other
socket, matched by its envelope id.

Lost: an expected receipt still missing ``--grace`` seconds after the traffic stopped (long
enough for an overloaded server to drain its backlog, so late is not mistaken for lost; the
wait ends as soon as nothing is missing). A message refused with an error envelope counts as
an error, not as lost. Errors: error
envelopes, failed connects, sockets closed by the server.
"""

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

MAX_SESSIONS = 1000
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ORIGIN = "http://127.0.0.1"

PEER_KINDS = ("notes", "diagram", "chat", "hint", "step", "pause", "resume")
SELF_KINDS = ("score", "private")

# Mean seconds between two actions of each kind, per socket (each wait is jittered ±30%).
CANDIDATE_PACE = {"notes": 1.0, "diagram": 8.0, "chat": 12.0, "ping": 25.0}
INTERVIEWER_PACE = {
    "private": 3.0,
    "chat": 6.0,
    "score": 12.0,
    "hint": 20.0,
    "flow": 60.0,  # a step move or a pause a minute; a real 45-minute interview has about 8
    "ping": 25.0,
}
MAX_BODY = 3000  # a long document starts over, so messages stay a realistic size
MARK = re.compile(r"~(\d+)$")
WORDS = (
    *("latency", "budget", "recall", "precision", "two-tower", "ranking", "features"),
    *("embeddings", "freshness", "cold-start", "candidates", "retrieval", "labels", "drift"),
    *("online", "offline", "A/B", "calibration", "cache", "throughput", "shard", "replicas"),
    *("fallback", "heuristics", "negatives", "sampling"),
)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def summarize(latencies: list[float]) -> dict:
    if not latencies:
        return {"count": 0}
    ordered = sorted(latencies)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 2),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(sum(ordered) / len(ordered) * 1000, 2),
    }


class Tracker:
    """Expected receipts, keyed by (room, receiving role, what proves it arrived)."""

    def __init__(self) -> None:
        self.seq = itertools.count(1)
        self.pending: dict[tuple, tuple[str, float]] = {}
        self.keys_of: dict[int, list[tuple]] = defaultdict(list)
        self.samples: list[tuple[float, str, float]] = []  # (sent at, kind, delay)
        self.sent: list[tuple[float, str]] = []
        self.received: list[float] = []
        self.errors: list[tuple[float, str]] = []
        self.duplicates = 0

    def expect(self, key: tuple, kind: str, sent_at: float, seq: int) -> None:
        if key in self.pending:
            self.duplicates += 1  # cannot be told apart from the earlier one; not timed
            return
        self.pending[key] = (kind, sent_at)
        self.keys_of[seq].append(key)

    def arrive(self, key: tuple, at: float) -> None:
        found = self.pending.pop(key, None)
        if found is not None:
            kind, sent_at = found
            self.samples.append((sent_at, kind, at - sent_at))

    def refuse(self, seq: int | None, code: str, at: float) -> None:
        self.errors.append((at, code))
        for key in self.keys_of.pop(seq, []) if seq is not None else []:
            self.pending.pop(key, None)


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
    revisions: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    inflight: dict[str, int] = field(default_factory=dict)  # slot -> seq of the unacked save
    delivered: set[tuple] = field(default_factory=set)
    sockets: dict[str, ClientConnection] = field(default_factory=dict)

    def other(self, role: str) -> str:
        return "candidate" if role == "interviewer" else "interviewer"


class Load:
    def __init__(self, args: argparse.Namespace, manifest: dict) -> None:
        self.args = args
        self.relay = args.mode == "relay"
        self.urls = {"interviewer": args.interviewer_url, "candidate": args.candidate_url}
        self.tracker = Tracker()
        self.stopping = asyncio.Event()
        self.closing = False
        self.skipped_saves = 0
        self.connect_failures = 0
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

    # --- Sockets -------------------------------------------------------------------------------

    async def open_room(self, room: Room) -> bool:
        try:
            await asyncio.gather(*(self.open_socket(room, role) for role in self.urls))
            return True
        except Exception as exc:  # any failure to open counts, whatever its kind
            self.connect_failures += 1
            self.tracker.errors.append((time.perf_counter(), f"connect: {type(exc).__name__}"))
            for ws in room.sockets.values():
                await ws.close()
            room.sockets.clear()
            return False

    async def open_socket(self, room: Room, role: str) -> None:
        url = f"{self.urls[role].rstrip('/')}/ws/interviews/{room.interview}/"
        ws = await connect(
            url,
            origin=ORIGIN,
            additional_headers={"Cookie": room.cookies[role]},
            proxy=None,  # loopback only, whatever the environment says
            open_timeout=30,
            ping_interval=None,  # browsers answer the server's pings but send none
            max_size=2**20,
        )
        room.sockets[role] = ws
        if not self.relay:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
            if snapshot.get("type") != "snapshot":
                raise RuntimeError(f"first message was {snapshot.get('type')!r}")
            self.learn(room, snapshot["payload"])

    def learn(self, room: Room, snapshot: dict) -> None:
        """Resume from where the room is (an earlier configuration of the run moved it on)."""
        room.step_index = snapshot["interview"]["step_index"]
        room.paused = snapshot["interview"]["paused"]
        for doc in snapshot["documents"]:
            room.revisions[doc["slot"]] = max(room.revisions.get(doc["slot"], 0), doc["revision"])
        room.delivered |= {(d["step"], d["kind"], d["index"]) for d in snapshot["deliveries"]}

    async def read(self, room: Room, role: str) -> None:
        ws = room.sockets[role]
        try:
            async for raw in ws:
                at = time.perf_counter()
                self.tracker.received.append(at)
                message = json.loads(raw)
                if self.relay:
                    self.tracker.arrive((room.index, role, "seq", int(message["id"])), at)
                else:
                    self.on_message(room, role, message, at)
        except ConnectionClosed:
            pass
        if not self.closing:
            self.tracker.errors.append((time.perf_counter(), f"closed: {ws.close_code}"))

    def on_message(self, room: Room, role: str, message: dict, at: float) -> None:
        kind, p = message.get("type"), message.get("payload", {})
        track = self.tracker
        if kind == "doc.updated":
            room.revisions[p["slot"]] = max(room.revisions.get(p["slot"], 0), p["revision"])
            if p["by"] != role:
                self.arrive_marked(room, role, p["text"], at)
        elif kind == "doc.saved":
            room.revisions[p["slot"]] = max(room.revisions.get(p["slot"], 0), p["revision"])
            room.inflight.pop(p["slot"], None)
            if p["slot"] == "private":
                track.arrive((room.index, role, "ack", int(message["id"])), at)
        elif kind == "chat.message":
            if p["role"] != role:
                self.arrive_marked(room, role, p["text"], at)
        elif kind == "score.recorded":
            self.arrive_marked(room, role, p["evidence"], at)
        elif kind == "delivery":
            room.delivered.add((p["step"], p["kind"], p["index"]))
            if role == "candidate":
                track.arrive((room.index, role, "delivery", p["step"], p["kind"], p["index"]), at)
        elif kind == "state":
            room.step_index, room.paused = p["step_index"], p["paused"]
            if role == "candidate":
                track.arrive((room.index, role, "state", p["step_index"], p["paused"]), at)
        elif kind == "error":
            seq = message.get("id") or p.get("in_response")
            seq = int(seq) if seq and str(seq).isdigit() else None
            track.refuse(seq, p["code"], at)
            for slot, pending in list(room.inflight.items()):
                if pending == seq:
                    del room.inflight[slot]
            if p["code"] == "stale_revision":
                room.revisions[p["slot"]] = p["revision"]

    def arrive_marked(self, room: Room, role: str, text: str, at: float) -> None:
        match = MARK.search(text)
        if match:
            self.tracker.arrive((room.index, role, "mark", int(match.group(1))), at)

    # --- Traffic -------------------------------------------------------------------------------

    async def send(
        self, room: Room, role: str, kind: str, mtype: str, payload: dict, seq: int, proof
    ) -> None:
        """Send one message. ``proof`` is the receipt that will show it arrived, as (receiving
        role, *key), or None for untimed messages; against the relay, every message is proven
        by the other socket receiving it with the same id."""
        at = time.perf_counter()
        if proof is not None:
            receiver, *rest = (room.other(role), "seq", seq) if self.relay else proof
            self.tracker.expect((room.index, receiver, *rest), kind, at, seq)
            self.tracker.sent.append((at, kind))
        message = {"type": mtype, "id": str(seq), "payload": payload}
        await room.sockets[role].send(json.dumps(message))

    def grow(self, room: Room, slot: str, line: bool = False) -> str:
        body = room.bodies.get(slot, "")
        if len(body) > MAX_BODY:
            body = ""
        if line:
            n = body.count("\n")
            body += f"\n  N{n} --> N{n + 1}" if body else "flowchart LR"
        else:
            body += room.rng.choice(WORDS) + " "
        room.bodies[slot] = body
        return body

    async def edit(self, room: Room, role: str, kind: str, slot: str, seq: int) -> None:
        if not self.relay and slot in room.inflight:
            self.skipped_saves += 1  # the browser waits for the save in flight, so do we
            return
        body = self.grow(room, slot, line=kind == "diagram")
        payload = {
            "slot": slot,
            "base_revision": room.revisions.get(slot, 0),
            "text": f"{body}~{seq}",  # the mark the other side matches on
        }
        if kind == "private":
            proof = ("interviewer", "ack", seq)
        else:
            proof = (room.other(role), "mark", seq)
        if not self.relay:
            room.inflight[slot] = seq
        await self.send(room, role, kind, "doc.edit", payload, seq, proof)

    async def act(self, room: Room, role: str, action: str) -> None:
        rng = room.rng
        steps = room.plan["steps"]
        seq = next(self.tracker.seq)
        if action == "ping":
            await self.send(room, role, "ping", "ping", {}, seq, None)
        elif action == "notes":
            await self.edit(room, role, "notes", f"notes:{steps[room.step_index]}", seq)
        elif action in ("diagram", "private"):
            await self.edit(room, role, action, action, seq)
        elif action == "chat":
            text = " ".join(rng.choices(WORDS, k=rng.randint(4, 14)))
            proof = (room.other(role), "mark", seq)
            await self.send(room, role, "chat", "chat.send", {"text": f"{text} ~{seq}"}, seq, proof)
        elif action == "score":
            payload = {
                "criterion": rng.choice(room.plan["criteria"]),
                "level": rng.randint(1, 4),
                "evidence": f"{' '.join(rng.choices(WORDS, k=8))} ~{seq}",
            }
            proof = ("interviewer", "mark", seq)
            await self.send(room, role, "score", "score.record", payload, seq, proof)
        elif action == "hint":
            left = [d for d in room.plan["deliveries"] if tuple(d) not in room.delivered]
            if not left:
                return  # every hint of the case was sent; a real interviewer stops too
            step, kind, index = left[0]
            room.delivered.add((step, kind, index))
            payload = {"step": step, "kind": kind, "index": index}
            proof = ("candidate", "delivery", step, kind, index)
            await self.send(room, role, "hint", "hint.send", payload, seq, proof)
        elif action == "flow":
            await self.flow(room, role, seq)

    async def flow(self, room: Room, role: str, seq: int) -> None:
        """A step move, a pause or a resume; one at a time, spaced far apart, so the state the
        candidate receives tells which one it was."""
        steps = room.plan["steps"]
        current = room.step_index
        if room.paused:
            room.paused = False
            proof = ("candidate", "state", current, False)
            await self.send(room, role, "resume", "clock.resume", {}, seq, proof)
        elif room.rng.random() < 0.25:
            room.paused = True
            proof = ("candidate", "state", current, True)
            await self.send(room, role, "pause", "clock.pause", {}, seq, proof)
        else:
            if not 0 <= current + room.direction < len(steps):
                room.direction = -room.direction
            target = current + room.direction
            room.step_index = target
            payload = {"from": steps[current], "to": steps[target]}
            proof = ("candidate", "state", target, False)
            await self.send(room, role, "step", "step.move", payload, seq, proof)

    async def talk(self, room: Room, role: str) -> None:
        pace = CANDIDATE_PACE if role == "candidate" else INTERVIEWER_PACE
        rng = room.rng
        now = time.perf_counter()
        due = {action: now + rng.uniform(0, period) for action, period in pace.items()}
        while not self.stopping.is_set():
            action = min(due, key=due.get)
            wait = due[action] - time.perf_counter()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), wait)
                if self.stopping.is_set():
                    return
            due[action] = time.perf_counter() + pace[action] * rng.uniform(0.7, 1.3)
            try:
                await self.act(room, role, action)
            except ConnectionClosed:
                return

    # --- The run -------------------------------------------------------------------------------

    async def run(self) -> dict:
        args, track = self.args, self.tracker
        stages, tasks, opened = [], [], 0
        connect_limit = asyncio.Semaphore(args.connect_concurrency)

        async def open_limited(room: Room) -> bool:
            async with connect_limit:
                return await self.open_room(room)

        for count in args.stages:
            ramp_start = time.perf_counter()
            batch = self.rooms[opened:count]
            results = await asyncio.gather(*(open_limited(room) for room in batch))
            opened = count
            for room, ok in zip(batch, results, strict=True):
                if ok:
                    for role in self.urls:
                        tasks.append(asyncio.create_task(self.read(room, role)))
                        tasks.append(asyncio.create_task(self.talk(room, role)))
            ramp = time.perf_counter() - ramp_start
            await asyncio.sleep(args.settle)
            start, wall_start = time.perf_counter(), time.time()
            await asyncio.sleep(args.duration)
            end, wall_end = time.perf_counter(), time.time()
            stages.append(self.stage(count, start, end, wall_start, wall_end, ramp, len(batch)))
            print(
                f"  {args.mode}: {count} rooms, peer p99 {stages[-1]['peer'].get('p99_ms')} ms",
                file=sys.stderr,
            )
        self.stopping.set()
        deadline = time.perf_counter() + args.grace
        while track.pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        lost = Counter(kind for kind, _ in track.pending.values())
        self.closing = True
        await asyncio.gather(
            *(ws.close() for room in self.rooms for ws in room.sockets.values()),
            return_exceptions=True,
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        errors = Counter(code for _, code in track.errors)
        return {
            "mode": args.mode,
            "stages": stages,
            "lost": sum(lost.values()),
            "lost_by_kind": dict(lost),
            "errors": sum(errors.values()),
            "errors_by_kind": dict(errors),
            "connect_failures": self.connect_failures,
            "skipped_saves": self.skipped_saves,
            "ambiguous": track.duplicates,
        }

    def stage(self, count, start, end, wall_start, wall_end, ramp, opened) -> dict:
        track = self.tracker
        span = end - start
        window = [(kind, delay) for sent, kind, delay in track.samples if start <= sent < end]
        by_kind = defaultdict(list)
        for kind, delay in window:
            by_kind[kind].append(delay)
        peer = [delay for kind, delay in window if kind in PEER_KINDS]
        own = [delay for kind, delay in window if kind in SELF_KINDS]
        sent = sum(1 for at, _ in track.sent if start <= at < end)
        received = sum(1 for at in track.received if start <= at < end)
        return {
            "sessions": count,
            "sockets": 2 * count,
            "duration_s": round(span, 2),
            "ramp_s": round(ramp, 2),
            "opened": opened,
            "wall": [wall_start, wall_end],
            "peer": summarize(peer),
            "self": summarize(own),
            "by_kind": {kind: summarize(by_kind[kind]) for kind in sorted(by_kind)},
            "sent": sent,
            "sent_per_s": round(sent / span, 1),
            "received_per_s": round(received / span, 1),
            "errors": sum(1 for at, _ in track.errors if start <= at < end),
        }


def check_loopback(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("ws", "http") or parsed.hostname not in LOOPBACK:
        raise SystemExit(f"{url}: the load generator only talks to ws:// on loopback")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Live-room load generator (see module doc).")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--mode", choices=("app", "relay"), required=True)
    parser.add_argument("--interviewer-url", type=check_loopback, required=True)
    parser.add_argument("--candidate-url", type=check_loopback, required=True)
    parser.add_argument("--stages", type=lambda s: [int(x) for x in s.split(",")], required=True)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per stage")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds after opening rooms")
    parser.add_argument("--grace", type=float, default=15.0, help="seconds to wait for stragglers")
    parser.add_argument("--connect-concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    if sorted(args.stages) != args.stages or args.stages[-1] > len(manifest["sessions"]):
        raise SystemExit(f"stages must rise and stay within the {len(manifest['sessions'])} rooms")
    if args.stages[-1] > MAX_SESSIONS:
        raise SystemExit(f"at most {MAX_SESSIONS} rooms")
    # The whole run is bounded: opening, every stage, the grace period and closing.
    budget = 120 + len(args.stages) * (args.settle + args.duration) + args.grace
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

"""The live room on the fast path: each interview's state kept in memory by the process that
serves its sockets, messages checked against it and relayed at once, writes made durable in
batches (interviews/writebehind.py).

One ``Room`` per interview per process, made when its first socket connects and dropped a while
after its last one leaves. Everything here runs in the process's event loop: no thread hop and
no SQL for a keystroke, a chat message, a hint or a score. What needs the database right away
(loading a room, a step move, starting, pausing, ending) runs in the room's database threads
through the same service functions the pages use (interviews/services.py).

Rules come from the rule table (``flow.RULES``), messages from the protocol's constructors. What
each client message does is in ``room_messages.RoomMessages`` (a base of ``Room``); the
process's rooms are kept by ``registry.Registry``.

Several processes may host one interview (a stray tab behind another process, a rolling
restart; a proxy that routes by interview keeps it rare). They meet on the bus
(interviews/bus.py): a process that starts hosting a room says ``hello``, the others answer
``welcome`` with their copy of the documents and what they have not yet made durable, and from
then on every host publishes what its sockets do. A host alone publishes nothing: its sockets
are all the room has. Each host makes durable only what its own sockets sent, so a write is
stored once.
"""

import asyncio
import base64
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import close_old_connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import bus as bus_module
from . import calls, crdt, flow, protocol, selectors, writebehind
from .errors import ServiceError
from .events import EventKind
from .flow import Action
from .models import Role
from .protocol import JSON
from .room_messages import PRIVATE_DOCS, STATE_FIELDS, RoomMessages, Socket, b64, state_fields

if TYPE_CHECKING:
    from .registry import Registry

log = logging.getLogger(__name__)

CHAT_HISTORY = 200
RECENT_IDS = 2000  # message ids a room remembers, to recognise a resend
KEEP_EMPTY_ROOM = 30.0  # seconds a room stays loaded after its last socket left
SOCKET_SILENCE = 75.0  # seconds without a message after which a socket is closed as dead
HOST_SILENCE = 45.0  # seconds without a word from another host before it is forgotten
HEARTBEAT = 15.0
LATE_EDIT_SECONDS = 15.0  # edits still accepted after the end: typing that was in flight


RoomData = selectors.RoomData


def load(interview_id: UUID) -> RoomData:
    """Read a room's state. Runs in a database thread."""
    close_old_connections()
    try:
        return selectors.room_data(interview_id)
    finally:
        close_old_connections()


@dataclass
class Room(RoomMessages):
    """One interview as this process serves it."""

    registry: "Registry"
    interview_id: UUID
    sockets: set = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    failed: BaseException | None = None
    held: list[JSON] = field(default_factory=list)  # bus messages that came while loading
    remote_hosts: dict[str, float] = field(default_factory=dict)
    welcomed: set[str] = field(default_factory=set)  # hosts sent this host's whole copy
    needs_hello: bool = False  # a hello that could not be published: said again later
    remote_presence: dict[str, dict[int, int]] = field(default_factory=dict)
    recent_ids: OrderedDict = field(default_factory=OrderedDict)
    empty_since: float | None = None
    # loaded state
    data: RoomData | None = None
    docs: dict[str, crdt.SharedDoc] = field(default_factory=dict)
    chat: deque = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY))
    deliveries: dict[tuple[str, str, int], JSON] = field(default_factory=dict)
    scores: dict[str, JSON] = field(default_factory=dict)
    marks: dict[tuple[str, str], JSON] = field(default_factory=dict)  # (kind, key) -> mark
    references: dict[str, str] = field(default_factory=dict)
    # Hints in their undo window, not yet delivered: key -> handle, text, by, acks
    held_hints: dict[tuple[str, str, int], dict] = field(default_factory=dict)
    flushed_texts: dict[str, str] = field(default_factory=dict)
    dirty_docs: set[str] = field(default_factory=set)
    doc_flushes: dict[str, int] = field(default_factory=dict)
    text_actor: dict[str, int | None] = field(default_factory=dict)

    # --- Loading and state ---------------------------------------------------------------------

    async def open(self) -> None:
        """Subscribe, then read: anything said on the bus from now on is held and applied
        after the read, so nothing committed meanwhile is missed."""
        try:
            await self.registry.bus.subscribe(self.interview_id)
            await self.say({"kind": "hello"}, always=True)
            self.data = await self.registry.in_db_thread(load, self.interview_id)
            self._adopt(self.data)
            self.registry.committer.add_hook(self.flush_hook)
        except BaseException as exc:
            self.failed = exc
            raise
        finally:
            self.ready.set()
        for message in self.held:
            self.on_bus(message)
        self.held.clear()

    def _adopt(self, data: RoomData) -> None:
        keys = [step.key for step in data.steps]
        for name in crdt.DOC_NAMES:
            doc = crdt.SharedDoc.load(
                name, crdt.roots_for(name, keys), data.doc_parts.get(name, [])
            )
            self.docs[name] = doc
            if name == crdt.BOARD:
                continue
            for slot in sorted(doc.roots):
                stored = data.texts.get(slot, "")
                if stored and not doc.text(slot):
                    # Text saved before the documents were CRDTs: it becomes their start.
                    doc.merge_from(crdt.text_update(slot, stored))
                    self.dirty_docs.add(name)
            self.flushed_texts.update(doc.texts())
        self.chat.extend(data.chat)
        for item in data.deliveries:
            self.deliveries[(item["step"], item["kind"], item["index"])] = item
        for item in data.scores:
            self.scores[item["criterion"]] = item
        for item in data.marks:
            self.marks[(item["kind"], item["key"])] = item
        self.references.update(data.references)

    @property
    def interview(self) -> Any:
        assert self.data is not None
        return self.data.interview

    @property
    def solo(self) -> bool:
        return bool(self.interview.is_solo)

    @property
    def phase(self) -> str:
        return flow.phase(self.interview.status, self.interview.paused)

    def peer_joined(self) -> bool:
        roles = {role for role, _name in self.data.participants.values()} if self.data else set()
        return self.solo or {Role.INTERVIEWER, Role.CANDIDATE} <= roles

    def actions(self, role: str) -> list[str]:
        return flow.allowed(role, self.phase, solo=self.solo, peer_joined=self.peer_joined())

    def state_message(self, role: str) -> JSON:
        interview = self.interview
        phase = self.phase
        return protocol.envelope(
            protocol.State(
                status=interview.status,
                phase=phase,
                label=flow.PHASE_LABELS[phase],
                step_index=interview.step_index,
                paused=interview.paused,
                clock=selectors.clock_of(interview),
                server_now=timezone.now().isoformat(),
                actions=self.actions(role),
                why_not=flow.why_not(role, phase, solo=self.solo),
            )
        )

    def presence_message(self) -> JSON:
        assert self.data is not None
        online: dict[int, int] = {}
        for socket in self.sockets:
            online[socket.user_id] = online.get(socket.user_id, 0) + 1
        for users in self.remote_presence.values():
            for user_id, count in users.items():
                online[user_id] = online.get(user_id, 0) + count
        participants = [
            {"role": role, "name": name, "online": online.get(user_id, 0) > 0}
            for user_id, (role, name) in self.data.participants.items()
        ]
        return protocol.envelope(protocol.Presence(participants=participants))

    def readable(self, role: str) -> tuple[str, ...]:
        return tuple(n for n in crdt.DOC_NAMES if n not in PRIVATE_DOCS or role == Role.INTERVIEWER)

    def snapshot(self, socket: Socket) -> protocol.Snapshot:
        """Everything the socket's role may see, from memory."""
        assert self.data is not None
        interview, role = self.interview, socket.role
        phase = self.phase
        name = self.data.participants.get(socket.user_id, (role, ""))[1]
        steps = self.data.steps
        scores = panel = references = None
        if role == Role.INTERVIEWER and steps:
            scores = list(self.scores.values())
            current = steps[min(interview.step_index, len(steps) - 1)].key
            panel = {"step": current, "html": self.data.panels.get(current, "")}
        if self.solo and self.references:
            references = [{"step": k, "html": v} for k, v in self.references.items()]
        return protocol.Snapshot(
            interview={
                "id": str(interview.pk),
                "kind": interview.kind,
                "status": interview.status,
                "step_index": interview.step_index,
                "paused": interview.paused,
                "case": {"title": interview.case_study.title, "slug": interview.case_study.slug},
                "target_level": interview.target_level,
                "revealed_steps": list(interview.revealed_steps),
            },
            me={"role": role, "user_id": socket.user_id, "name": name},
            steps=[_step_payload(step.key, step.title, step.minutes) for step in steps],
            clock=selectors.clock_of(interview),
            phase=phase,
            label=flow.PHASE_LABELS[phase],
            actions=self.actions(role),
            why_not=flow.why_not(role, phase, solo=self.solo),
            presence=self.presence_message()["payload"]["participants"],
            docs=[{"name": n, "update": b64(self.docs[n].state())} for n in self.readable(role)],
            chat=list(self.chat),
            deliveries=list(self.deliveries.values()),
            server_now=timezone.now().isoformat(),
            ice_servers=[] if self.solo else calls.ice_servers(socket.user_id),
            scores=scores,
            panel=panel,
            references=references,
            **self.scoring_snapshot(role),
        )

    # --- Sending -------------------------------------------------------------------------------

    def to_local(self, message: JSON, *, role: str | None = None, skip: Any = None) -> None:
        for socket in list(self.sockets):
            if socket is not skip and (role is None or socket.role == role):
                socket.push(message)

    async def say(self, message: JSON, *, always: bool = False) -> bool:
        """Publish to the other hosts of this room, if there are any; False if it failed."""
        if not always and not self.remote_hosts:
            return True
        return await self.registry.bus.publish(
            self.interview_id, {"origin": bus_module.PROCESS_ID, **message}
        )

    def say_soon(self, message: JSON) -> None:
        if self.remote_hosts:
            self.registry.spawn(self.say(message))

    def deliver(self, message: JSON, *, role: str | None = None, skip: Any = None) -> None:
        """To this host's sockets (one role's, or all) and to the other hosts'."""
        self.to_local(message, role=role, skip=skip)
        self.say_soon({"kind": "deliver", "role": role, "message": message})

    def push_state(self, *, panel: bool = False) -> None:
        """Each local socket gets the state with its own role's actions (and the interviewer
        the panel of the current step, from the cache)."""
        roles = {socket.role for socket in self.sockets}
        for role in roles:
            self.to_local(self.state_message(role), role=role)
        if panel and not self.solo and Role.INTERVIEWER in roles:
            self._push_panel()

    def _push_panel(self) -> None:
        assert self.data is not None
        key = self.data.steps[self.interview.step_index].key
        html = self.data.panels.get(key, "")
        self.to_local(protocol.envelope(protocol.Panel(step=key, html=html)), role=Role.INTERVIEWER)

    def push_presence(self) -> None:
        self.to_local(self.presence_message())

    def remember(self, message_id: str) -> bool:
        """False if this id was seen already (a resend)."""
        if message_id in self.recent_ids:
            return False
        self.recent_ids[message_id] = None
        while len(self.recent_ids) > RECENT_IDS:
            self.recent_ids.popitem(last=False)
        return True

    # --- Joining and leaving -------------------------------------------------------------------

    def join(self, socket: Socket) -> None:
        """Add a socket and send it its snapshot in one step of the loop: no update can fall
        in between (it is subscribed before the snapshot is taken, and the loop runs nothing
        else meanwhile)."""
        first_of_user = not any(s.user_id == socket.user_id for s in self.sockets)
        self.sockets.add(socket)
        self.empty_since = None
        socket.push(protocol.envelope(self.snapshot(socket)))
        if first_of_user:
            self._presence_changed(socket, EventKind.ONLINE, skip=socket)

    def leave(self, socket: Socket) -> None:
        if socket not in self.sockets:
            return
        self.sockets.discard(socket)
        if not any(s.user_id == socket.user_id for s in self.sockets):
            self._presence_changed(socket, EventKind.OFFLINE)
        if not self.sockets:
            self.empty_since = time.monotonic()
            self.registry.spawn(self.registry.committer.flush())

    def _presence_changed(self, socket: Socket, kind: EventKind, skip: Any = None) -> None:
        self.to_local(self.presence_message(), skip=skip)
        self.say_soon({"kind": "presence", "users": self.local_presence()})
        now = timezone.now()
        self.registry.committer.queue(
            lambda b: b.event(self.interview_id, kind, socket.user_id, at=now, role=socket.role)
        )

    def local_presence(self) -> dict[str, int]:
        users: dict[str, int] = {}
        for socket in self.sockets:
            users[str(socket.user_id)] = users.get(str(socket.user_id), 0) + 1
        return users

    # --- Rules -----------------------------------------------------------------------------------

    def check(self, socket: Socket, action: Action, *, late_ok: bool = False) -> None:
        try:
            flow.check(socket.role, action, self.phase, solo=self.solo)
        except flow.FlowError as exc:
            if late_ok and exc.code == "invalid_state" and self._just_ended():
                return
            raise ServiceError(exc.code, exc.message) from None

    def _just_ended(self) -> bool:
        ended = self.interview.ended_at
        return (
            self.interview.status == flow.WRAPUP
            and ended is not None
            and (timezone.now() - ended).total_seconds() < LATE_EDIT_SECONDS
        )

    def ack_to(self, socket: Socket, message_id: str | None) -> writebehind.Ack | None:
        if not message_id:
            return None
        return writebehind.Ack(
            send=socket.ack, message_id=message_id, interview_id=self.interview_id
        )

    # --- The bus ---------------------------------------------------------------------------------

    def on_bus(self, message: JSON) -> None:
        if not self.ready.is_set() or self.data is None:
            self.held.append(message)
            return
        kind = message.get("kind")
        origin = str(message.get("origin", ""))
        if origin and not origin.startswith("sync-") and kind != "bye":
            self.remote_hosts[origin] = time.monotonic()
            if origin not in self.welcomed:
                # The first word from another host of this room: send it this host's whole
                # copy (documents and what is not yet stored), whatever the word was, so it
                # misses nothing this host did while it thought itself alone.
                self.welcomed.add(origin)
                self.registry.spawn(self.say(self._welcome(origin)))
        handler = BUS_HANDLERS.get(str(kind))
        if handler is None:
            log.warning("room %s: unknown bus message %r", self.interview_id, kind)
            return
        handler(self, message)

    def _bus_hello(self, message: JSON) -> None:
        """A host that has just started hosting this room: it was welcomed on its first word
        (``on_bus``); a hello after a resynchronisation is a first word again."""

    def _welcome(self, to: str) -> JSON:
        return {
            "kind": "welcome",
            "to": to,
            "docs": {name: b64(doc.state()) for name, doc in self.docs.items()},
            "chat": list(self.chat),
            "deliveries": list(self.deliveries.values()),
            "scores": list(self.scores.values()),
            "marks": list(self.marks.values()),
            "state": state_fields(self.interview),
            "users": self.local_presence(),
        }

    def _bus_welcome(self, message: JSON) -> None:
        if message.get("to") != bus_module.PROCESS_ID:
            return
        for name, state in message.get("docs", {}).items():
            if name in self.docs and self.docs[name].merge_from(base64.b64decode(state)):
                for socket in self.sockets:
                    if name in self.readable(socket.role):
                        socket.push(protocol.envelope(protocol.DocUpdate(doc=name, update=state)))
        for item in message.get("chat", []):
            if self.remember(f"chat:{item['id']}"):
                self.chat.append(item)
                self.to_local(protocol.envelope(protocol.ChatPosted(**item)))
        for item in message.get("deliveries", []):
            key = (item["step"], item["kind"], item["index"])
            if key not in self.deliveries:
                self.deliveries[key] = item
                self.to_local(protocol.envelope(protocol.Delivered(**item)))
        for item in message.get("scores", []):
            self.scores[item["criterion"]] = item
            self.to_local(protocol.envelope(protocol.ScoreRecorded(**item)), role=Role.INTERVIEWER)
        for item in message.get("marks", []):
            self.marks[(item["kind"], item["key"])] = item
            self.to_local(protocol.envelope(protocol.MarkRecorded(**item)), role=Role.INTERVIEWER)
        if message.get("deliveries"):
            self.push_caps()
        self._bus_presence({"origin": message["origin"], "users": message.get("users", {})})
        if message.get("state"):
            self._bus_state({"kind": "state", **message["state"]})

    def _bus_bye(self, message: JSON) -> None:
        origin = str(message.get("origin"))
        self.remote_hosts.pop(origin, None)
        self.welcomed.discard(origin)
        if self.remote_presence.pop(origin, None) is not None:
            self.push_presence()

    def _bus_doc(self, message: JSON) -> None:
        name = message.get("doc")
        if name not in self.docs:
            return
        if self.docs[name].merge_from(base64.b64decode(message["update"])):
            relay = protocol.envelope(protocol.DocUpdate(doc=name, update=message["update"]))
            self.to_local(relay, role=Role.INTERVIEWER if name in PRIVATE_DOCS else None)

    def _bus_deliver(self, message: JSON) -> None:
        envelope = message["message"]
        kind, payload = envelope.get("type"), envelope.get("payload", {})
        if kind == protocol.ChatPosted.TYPE:
            if not self.remember(f"chat:{payload['id']}"):
                return
            self.chat.append(payload)
        elif kind == protocol.Delivered.TYPE:
            key = (payload["step"], payload["kind"], payload["index"])
            if key in self.deliveries:
                return
            self.deliveries[key] = payload
        elif kind == protocol.ScoreRecorded.TYPE:
            self.scores[payload["criterion"]] = payload
        elif kind == protocol.MarkRecorded.TYPE:
            self.marks[(payload["kind"], payload["key"])] = payload
        self.to_local(envelope, role=message.get("role"))
        if kind == protocol.Delivered.TYPE and payload["kind"] == "hint":
            self.push_caps()

    def _bus_state(self, message: JSON) -> None:
        interview = self.interview
        before = (interview.status, interview.step_index)
        for name in STATE_FIELDS:
            if name in message:
                value = message[name]
                if name.endswith("_at") and isinstance(value, str):
                    value = parse_datetime(value)
                setattr(interview, name, value)
        self.push_state(panel=(interview.status, interview.step_index) != before)

    def _bus_joined(self, message: JSON) -> None:
        assert self.data is not None
        self.data.participants[int(message["user_id"])] = (message["role"], message["name"])
        self.push_state()
        self.push_presence()

    def _bus_ended(self, message: JSON) -> None:
        self.to_local(
            protocol.envelope(
                protocol.Ended(status=message["status"], redirect=message["redirect"])
            )
        )

    def _bus_presence(self, message: JSON) -> None:
        users = {int(k): int(v) for k, v in (message.get("users") or {}).items()}
        origin = str(message.get("origin"))
        if self.remote_presence.get(origin) != users:
            self.remote_presence[origin] = users
            self.push_presence()

    def _bus_alive(self, message: JSON) -> None:
        self._bus_presence(message)

    async def resync(self) -> None:
        """After the bus was down: read the state again and say hello again, so that whatever
        was announced meanwhile reaches this room and its sockets."""
        self.remote_hosts.clear()
        self.welcomed.clear()
        self.needs_hello = not await self.say({"kind": "hello"}, always=True)
        await self.reload_state()
        self.push_presence()


BUS_HANDLERS: dict[str, Callable[[Room, JSON], None]] = {
    "hello": Room._bus_hello,
    "welcome": Room._bus_welcome,
    "bye": Room._bus_bye,
    "doc": Room._bus_doc,
    "deliver": Room._bus_deliver,
    "state": Room._bus_state,
    "joined": Room._bus_joined,
    "ended": Room._bus_ended,
    "presence": Room._bus_presence,
    "alive": Room._bus_alive,
}


def _step_payload(key: str, title: str, minutes: int) -> JSON:
    near, over = flow.budget_marks(minutes)
    return {"key": key, "title": title, "minutes": minutes, "near_at": near, "over_at": over}

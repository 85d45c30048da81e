"""What the live room does with each client message (interviews/handlers.py maps the types to
these methods): documents, chat, hints, scores, marks, references, the call's signals, and the
state changes that go through the services. ``RoomMessages`` is a part of ``live.Room``; the
state it works on is the room's, declared below for type checkers only."""

import base64
import binascii
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

import orjson
from django.conf import settings
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from casestudies import plans
from rubrics import scoring

from . import crdt, flow, protocol, selectors, services, writebehind
from .errors import ServiceError
from .events import EventKind
from .flow import Action
from .models import Mark, Role
from .protocol import JSON, ErrorCode, Message

if TYPE_CHECKING:
    from .registry import Registry
    from .selectors import RoomData


DOC_ACTIONS = {
    crdt.NOTES: Action.NOTES,
    crdt.DIAGRAM: Action.DIAGRAM,
    crdt.BOARD: Action.BOARD,
    crdt.PRIVATE: Action.PRIVATE_NOTE,
}


PRIVATE_DOCS = frozenset({crdt.PRIVATE})


class Socket(Protocol):
    """What the room needs of a consumer."""

    user: Any  # the authenticated user
    user_id: int
    role: str
    last_seen: float

    def push(self, message: JSON) -> None: ...

    def ack(self, message_ids: list[str]) -> None: ...

    def hang_up(self, code: int) -> None: ...


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise protocol.ProtocolError(ErrorCode.BAD_MESSAGE, f"{what} is not base64") from None


TRANSITIONS = {
    "interview.start": Action.START,
    "step.move": Action.MOVE,
    "clock.pause": Action.PAUSE,
    "clock.resume": Action.RESUME,
    "interview.end": Action.END,
}


SERVICE_CALLS: dict[str, Callable[..., Any]] = {
    "interview.start": lambda actor, p: services.interview_start(actor=actor, announce=False),
    "step.move": lambda actor, p: services.step_move(
        actor=actor, from_key=p["from"], to_key=p["to"], announce=False
    ),
    "clock.pause": lambda actor, p: services.clock_pause(actor=actor, announce=False),
    "clock.resume": lambda actor, p: services.clock_resume(actor=actor, announce=False),
    "interview.end": lambda actor, p: services.interview_end(actor=actor, announce=False),
}


STATE_FIELDS = selectors.STATE_FIELDS
state_fields = selectors.state_fields


def _in_thread(func: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        close_old_connections()
        try:
            return func(*args)
        finally:
            close_old_connections()

    return run


class RoomMessages:
    """The client messages' effects on a room (a base of ``live.Room``)."""

    if TYPE_CHECKING:  # the room's state and helpers these methods use (live.Room has them)
        registry: "Registry"
        interview_id: UUID
        sockets: set
        data: RoomData | None
        docs: dict[str, crdt.SharedDoc]
        chat: deque
        deliveries: dict[tuple[str, str, int], JSON]
        held_hints: dict[tuple[str, str, int], dict]
        scores: dict[str, JSON]
        marks: dict[tuple[str, str], JSON]
        references: dict[str, str]
        flushed_texts: dict[str, str]
        dirty_docs: set[str]
        doc_flushes: dict[str, int]
        text_actor: dict[str, int | None]

        @property
        def interview(self) -> Any: ...
        @property
        def solo(self) -> bool: ...
        def readable(self, role: str) -> tuple[str, ...]: ...
        def to_local(self, message: JSON, *, role: str | None = None, skip: Any = None) -> None: ...
        def say_soon(self, message: JSON) -> None: ...
        def deliver(self, message: JSON, *, role: str | None = None, skip: Any = None) -> None: ...
        def push_state(self, *, panel: bool = False) -> None: ...
        def remember(self, message_id: str) -> bool: ...
        def check(self, socket: Socket, action: Action, *, late_ok: bool = False) -> None: ...
        def ack_to(self, socket: Socket, message_id: str | None) -> writebehind.Ack | None: ...

    # --- Documents -----------------------------------------------------------------------------

    def doc_update(self, socket: Socket, message: Message) -> list[JSON]:
        name = message.payload["doc"]
        action = DOC_ACTIONS[name]
        self.check(socket, action, late_ok=name != crdt.BOARD)
        update = unb64(message.payload["update"], "update")
        try:
            self.docs[name].apply(update)
        except crdt.CrdtError as exc:
            raise ServiceError(exc.code, exc.message) from None
        relay = protocol.envelope(protocol.DocUpdate(doc=name, update=message.payload["update"]))
        role = Role.INTERVIEWER if name in PRIVATE_DOCS else None
        self.to_local(relay, role=role, skip=socket)
        self.say_soon({"kind": "doc", "doc": name, "update": message.payload["update"]})
        self.dirty_docs.add(name)
        self.text_actor[name] = socket.user_id
        self.registry.committer.queue_update(
            self.interview_id, name, update, socket.user_id, self.ack_to(socket, message.id)
        )
        return []

    def doc_sync(self, socket: Socket, message: Message) -> list[JSON]:
        name = message.payload["doc"]
        if name not in self.readable(socket.role):
            raise ServiceError(ErrorCode.FORBIDDEN, "That document is not yours to read.")
        vector = unb64(message.payload["sv"], "sv")
        try:
            missing = self.docs[name].missing_for(vector)
        except crdt.CrdtError as exc:
            raise ServiceError(exc.code, exc.message) from None
        return [
            protocol.envelope(
                protocol.DocSync(
                    doc=name,
                    update=b64(missing),
                    sv=b64(self.docs[name].state_vector()),
                )
            )
        ]

    def flush_hook(self, batch: writebehind.Batch) -> None:
        """At each flush: the plain text of the documents that changed, and now and then a
        folded state (so a later load need not replay every update)."""
        now = timezone.now()
        for name in list(self.dirty_docs):
            doc = self.docs[name]
            if name != crdt.BOARD:
                for slot, text in doc.texts().items():
                    if self.flushed_texts.get(slot, "") != text:
                        batch.texts[(self.interview_id, slot)] = (
                            text,
                            name in PRIVATE_DOCS,
                            self.text_actor.get(name),
                            now,
                        )
                        self.flushed_texts[slot] = text
            self.doc_flushes[name] = self.doc_flushes.get(name, 0) + 1
            if self.doc_flushes[name] % writebehind.STATE_EVERY == 0 or not self.sockets:
                batch.states[(self.interview_id, name)] = (doc.state(), now)
        self.dirty_docs.clear()

    # --- Chat, hints, scores, references --------------------------------------------------------

    def chat_send(self, socket: Socket, message: Message) -> list[JSON]:
        self.check(socket, Action.CHAT)
        text = message.payload["text"].strip()
        if not text:
            raise ServiceError(ErrorCode.BAD_MESSAGE, "A chat message needs some text.")
        message_id = message.id or ""
        if not self.remember(f"chat:{message_id}"):
            return []  # a resend: the first one is on its way or durable
        now = timezone.now()
        assert self.data is not None
        posted = protocol.ChatPosted(
            id=message_id,
            author=self.data.participants.get(socket.user_id, ("", "Someone"))[1],
            role=socket.role,
            text=text,
            at=now.isoformat(),
        ).payload()
        self.chat.append(posted)
        self.deliver(protocol.envelope(protocol.ChatPosted(**posted)))

        def fill(batch: writebehind.Batch) -> None:
            batch.chats.append((self.interview_id, message_id, socket.user_id, text, now))
            batch.event(
                self.interview_id,
                EventKind.CHAT,
                socket.user_id,
                at=now,
                message_id=message_id,
                text=text,
            )

        self.registry.committer.queue(fill, self.ack_to(socket, message_id))
        return []

    def hint_send(self, socket: Socket, message: Message) -> list[JSON]:
        """Hold a hint or curveball for the undo window (``settings.HINT_UNDO_MS``), then
        deliver it to both and make it durable. Within the window ``hint.undo`` withdraws it:
        the candidate never sees it (docs/protocol.md, "Taking a hint back")."""
        key, text = self._hint_key(socket, message)
        ack = self.ack_to(socket, message.id)
        if key in self.deliveries:  # sent already: deliver once
            self.registry.committer.queue(lambda b: None, ack)
            return []
        if key in self.held_hints:  # a resend within the window: acked on delivery
            self.held_hints[key]["acks"].append(ack)
            return []
        window = settings.HINT_UNDO_MS / 1000
        if window <= 0:
            self._hint_deliver(key, text, socket.user_id, [ack])
            return []
        handle = self.registry.loop.call_later(window, self._hint_release, key)
        self.held_hints[key] = {"handle": handle, "text": text, "by": socket.user_id, "acks": [ack]}
        step, kind, index = key
        held = protocol.HintHeld(step=step, kind=kind, index=index, undo_ms=settings.HINT_UNDO_MS)
        self.deliver(protocol.envelope(held), role=Role.INTERVIEWER)
        return []

    def _hint_key(self, socket: Socket, message: Message) -> tuple[tuple[str, str, int], str]:
        """The (step, kind, index) a hint message names, and its text; refused unless the
        interviewer may send hints now and the case has it."""
        self.check(socket, Action.HINT)
        p = message.payload
        assert self.data is not None
        step = next((s for s in self.data.steps if s.key == p["step"]), None)
        items = (step.hints if p["kind"] == "hint" else step.curveballs) if step else []
        if not 0 <= p["index"] < len(items):
            raise ServiceError(
                ErrorCode.NOT_FOUND, f"There is no {p['kind']} {p['index'] + 1} for that step."
            )
        return (p["step"], p["kind"], p["index"]), items[p["index"]]

    def _hint_release(self, key: tuple[str, str, int]) -> None:
        held = self.held_hints.pop(key, None)
        if held is not None:
            self._hint_deliver(key, held["text"], held["by"], held["acks"])

    def _hint_deliver(self, key: tuple[str, str, int], text: str, by: int, acks: list) -> None:
        step, kind, index = key
        now = timezone.now()
        delivered = protocol.Delivered(
            step=step, kind=kind, index=index, text=text, sent_at=now.isoformat()
        )
        self.deliveries[key] = delivered.payload()
        self.deliver(protocol.envelope(delivered))
        if kind == "hint":
            self.push_caps()
        self.registry.committer.queue(
            lambda b: b.delivery(self.interview_id, step, kind, index, text, by, now), acks[0]
        )
        for ack in acks[1:]:
            self.registry.committer.queue(lambda b: None, ack)

    def hint_undo(self, socket: Socket, message: Message) -> list[JSON]:
        """Withdraw a hint still in its undo window: it is never delivered nor stored, and the
        interviewer's sockets are told (``hint.withdrawn``). Once delivered: ``too_late``."""
        key, _ = self._hint_key(socket, message)
        if key in self.deliveries:
            raise ServiceError(
                ErrorCode.TOO_LATE, "Too late to take it back: the candidate has it already."
            )
        held = self.held_hints.pop(key, None)
        acks = [self.ack_to(socket, message.id)]
        if held is not None:
            held["handle"].cancel()
            acks += held["acks"]
        step, kind, index = key
        withdrawn = protocol.HintWithdrawn(step=step, kind=kind, index=index)
        self.deliver(protocol.envelope(withdrawn), role=Role.INTERVIEWER)
        for ack in acks:
            self.registry.committer.queue(lambda b: None, ack)
        return []

    def score_record(self, socket: Socket, message: Message) -> list[JSON]:
        self.check(socket, Action.SCORE)
        p = message.payload
        level, not_observed = p.get("level"), p.get("not_observed", False)
        if level is not None and not_observed:
            raise ServiceError(ErrorCode.BAD_MESSAGE, "Choose a level or 'not observed', not both.")
        assert self.data is not None
        found = self.data.criteria.get(p["criterion"])
        if found is None:
            raise ServiceError(ErrorCode.NOT_FOUND, f"There is no criterion {p['criterion']!r}.")
        criterion_id, step_key = found
        evidence = p.get("evidence", "").strip()
        now = timezone.now()
        recorded = protocol.ScoreRecorded(
            criterion=p["criterion"],
            level=level,
            not_observed=not_observed,
            evidence=evidence,
            rev=p.get("rev"),
        )
        self.scores[p["criterion"]] = recorded.payload()
        self.deliver(protocol.envelope(recorded), role=Role.INTERVIEWER)

        criterion = (criterion_id, p["criterion"], step_key)
        self.registry.committer.queue(
            lambda b: b.score(
                self.interview_id, criterion, level, not_observed, evidence, socket.user_id, now
            ),
            self.ack_to(socket, message.id),
        )
        return []

    # --- Scoring aids: the checklist and red flags marked, the hint caps -------------------------

    def mark_record(self, socket: Socket, message: Message) -> list[JSON]:
        """The interviewer ticks a checklist concept (unprompted, after a hint, missed) or marks
        a red flag observed; "" clears it. Checked against the case, relayed to the
        interviewer's other sockets, made durable (upserted) with a private timeline event."""
        self.check(socket, Action.MARK)
        assert self.data is not None
        p = message.payload
        kind, key, value = p["kind"], p["key"], p["value"]
        step_key, label, critical = "", "", False
        if kind == Mark.Kind.CONCEPT:
            if key not in self.data.checklist:
                raise ServiceError(ErrorCode.NOT_FOUND, f"The checklist has no concept {key!r}.")
            allowed, label = Mark.CONCEPT_VALUES, self.data.checklist[key]
        else:
            if key not in self.data.flags:
                raise ServiceError(ErrorCode.NOT_FOUND, f"The case has no red flag {key!r}.")
            allowed = Mark.FLAG_VALUES
            step_key, label, critical = self.data.flags[key]
        if value and value not in allowed:
            raise ServiceError(
                ErrorCode.BAD_MESSAGE,
                f"A {'concept' if kind == Mark.Kind.CONCEPT else 'red flag'} is marked "
                f"{' or '.join(allowed)}, or cleared with an empty value.",
            )
        ack = self.ack_to(socket, message.id)
        current = self.marks.get((kind, key), {}).get("value", "")
        if current == value:  # a resend, or nothing new: durable already or on its way
            self.registry.committer.queue(lambda b: None, ack)
            return []
        recorded = protocol.MarkRecorded(kind=kind, key=key, value=value)
        self.marks[(kind, key)] = recorded.payload()
        self.deliver(protocol.envelope(recorded), role=Role.INTERVIEWER, skip=socket)
        now = timezone.now()
        self.registry.committer.queue(
            lambda b: b.mark(
                self.interview_id,
                (kind, key, value),
                socket.user_id,
                now,
                step_key=step_key,
                label=label,
                critical=critical,
            ),
            ack,
        )
        return []

    def caps(self) -> JSON:
        """Per step with hints sent, the cap on its criteria and why (rubrics.scoring)."""
        assert self.data is not None
        if self.data.policy is None:
            return {}
        counts = {step.key: len(step.hints) for step in self.data.steps}
        sent = [(step, index) for (step, kind, index) in self.deliveries if kind == "hint"]
        answers = {step.key: step.answer_hints for step in self.data.steps}
        hints = {
            step: scoring.HintUse(count, answer_level=answer)
            for step, (count, answer) in plans.hints_sent(sent, answers, counts).items()
        }
        return scoring.hint_caps_now(self.data.policy, hints, list(counts))

    def push_caps(self) -> None:
        if self.solo:
            return
        message = protocol.envelope(protocol.Caps(caps=self.caps()))
        self.to_local(message, role=Role.INTERVIEWER)

    def scoring_snapshot(self, role: str) -> JSON:
        """The snapshot's part for the scoring aids: the interviewer's marks and caps."""
        if role != Role.INTERVIEWER or self.solo:
            return {}
        marks = [mark for mark in self.marks.values() if mark["value"]]
        return {"marks": marks, "caps": self.caps()}

    def call_signal(self, socket: Socket, message: Message) -> list[JSON]:
        """Relay a WebRTC signal to the other person's sockets (here and on other hosts). Not
        stored: a call is set up again after a reconnect."""
        self.check(socket, Action.CALL)
        data = message.payload.get("data")
        if data is not None and len(orjson.dumps(data)) > protocol.MAX_SIGNAL_CHARS:
            raise ServiceError(ErrorCode.TOO_LARGE, "That signal is too large.")
        other = Role.CANDIDATE if socket.role == Role.INTERVIEWER else Role.INTERVIEWER
        signal = protocol.CallSignal(
            sender=socket.role, kind=message.payload["kind"], data=data or {}
        )
        self.deliver(protocol.envelope(signal), role=other)
        return []

    async def reference_reveal(self, socket: Socket, message: Message) -> list[JSON]:
        self.check(socket, Action.REVEAL)
        step_key = message.payload["step"]
        assert self.data is not None
        if step_key not in {s.key for s in self.data.steps}:
            raise ServiceError(ErrorCode.INVALID_STEP, "There is no such step.")
        if not self.docs[crdt.NOTES].text(f"notes:{step_key}").strip():
            raise ServiceError(
                ErrorCode.INVALID_STATE,
                "Write your own notes for this step before revealing the reference.",
            )
        html = self.references.get(step_key)
        if html is None:
            html = await self.registry.in_db_thread(
                _in_thread(selectors.reference_html), self.interview, step_key
            )
            self.references[step_key] = html
        interview = self.interview
        if step_key not in interview.revealed_steps:
            interview.revealed_steps = [*interview.revealed_steps, step_key]
            revealed, now = list(interview.revealed_steps), timezone.now()
            self.registry.committer.queue(
                lambda b: b.reveal(self.interview_id, step_key, revealed, socket.user_id, now),
                self.ack_to(socket, message.id),
            )
        return [protocol.envelope(protocol.Reference(step=step_key, html=html))]

    # --- State changes: transactional, through the services ------------------------------------

    async def transition(self, socket: Socket, kind: str, payload: JSON) -> list[JSON]:
        """Start, move, pause, resume or end: checked here against the room's state, then
        made durable at once by the service (a compare-and-set in the database), then
        announced. What is still waiting to be written goes first."""
        action = TRANSITIONS[kind]
        self.check(socket, action)
        if action in (Action.MOVE, Action.END):
            await self.registry.committer.flush()
        assert self.data is not None
        actor = services.Actor(
            user=socket.user,
            interview_id=self.interview_id,
            role=socket.role,
            solo=self.solo,
            steps=tuple(flow.Step(s.key, s.title, s.minutes) for s in self.data.steps),
        )
        call = SERVICE_CALLS[kind]
        try:
            interview = await self.registry.in_db_thread(_in_thread(call), actor, payload)
        except ServiceError as exc:
            if exc.code == ErrorCode.STALE:
                await self.reload_state()
            raise
        self._take_state(interview)
        self.push_state(panel=action in (Action.START, Action.MOVE))
        self.say_soon({"kind": "state", **state_fields(self.interview)})
        if action == Action.END:
            ended = protocol.Ended(
                status=interview.status,
                redirect=reverse("wrapup", kwargs={"interview_id": self.interview_id}),
            )
            self.to_local(protocol.envelope(ended))
            self.say_soon({"kind": "ended", "status": interview.status, "redirect": ended.redirect})
        return []

    def _take_state(self, source: Any) -> None:
        interview = self.interview
        for name in STATE_FIELDS:
            setattr(interview, name, getattr(source, name))

    async def reload_state(self) -> None:
        fresh = await self.registry.in_db_thread(
            _in_thread(selectors.interview_state), self.interview_id
        )
        self._take_state(fresh)
        self.push_state(panel=True)

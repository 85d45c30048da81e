"""The consumer's dispatch table: one small function per client message type, translating a
validated protocol message into one service call and the reply for the sender. Everything here
runs in a worker thread (``database_sync_to_async``)."""

from collections.abc import Callable
from typing import Any

from accounts.types import User

from . import protocol, selectors, services
from .protocol import JSON, Message, envelope
from .services import Actor


def connect(user: User, interview_id: Any) -> tuple[Actor, protocol.Snapshot]:
    """A socket opens: check access (``Interview.DoesNotExist`` for anyone not a participant),
    build the socket's actor, count it as present, and the snapshot its role may see."""
    access = selectors.interview_get_for_user(user=user, interview_id=interview_id)
    interview = access.interview
    actor = services.actor_for(user=user, interview=interview, role=access.role)
    services.presence_change(interview_id=interview.pk, user=user, delta=+1)
    return actor, selectors.room_snapshot(interview=interview, role=access.role, user=user)


def disconnect(actor: Actor) -> None:
    services.presence_change(interview_id=actor.interview_id, user=actor.user, delta=-1)


def on_ping(actor: Actor, message: Message) -> list[JSON]:
    services.presence_heartbeat(interview_id=actor.interview_id, user=actor.user)
    return [envelope(protocol.Pong())]


def on_start(actor: Actor, message: Message) -> list[JSON]:
    services.interview_start(actor=actor)
    return []


def on_end(actor: Actor, message: Message) -> list[JSON]:
    services.interview_end(actor=actor)
    return []


def on_pause(actor: Actor, message: Message) -> list[JSON]:
    services.clock_pause(actor=actor)
    return []


def on_resume(actor: Actor, message: Message) -> list[JSON]:
    services.clock_resume(actor=actor)
    return []


def on_step_move(actor: Actor, message: Message) -> list[JSON]:
    services.step_move(actor=actor, from_key=message.payload["from"], to_key=message.payload["to"])
    return []


def on_doc_edit(actor: Actor, message: Message) -> list[JSON]:
    result = services.document_edit(actor=actor, **message.payload)
    return [envelope(protocol.DocSaved(slot=result.slot, revision=result.revision))]


def on_chat_send(actor: Actor, message: Message) -> list[JSON]:
    services.chat_post(actor=actor, text=message.payload["text"])
    return []


def on_hint_send(actor: Actor, message: Message) -> list[JSON]:
    p = message.payload
    services.delivery_send(actor=actor, step_key=p["step"], kind=p["kind"], index=p["index"])
    return []


def on_score_record(actor: Actor, message: Message) -> list[JSON]:
    p = message.payload
    services.score_record(
        actor=actor,
        criterion_key=p["criterion"],
        level=p.get("level"),
        not_observed=p.get("not_observed", False),
        evidence=p.get("evidence", ""),
    )
    return []


def on_reference_reveal(actor: Actor, message: Message) -> list[JSON]:
    html = services.reference_reveal(actor=actor, step_key=message.payload["step"])
    return [envelope(protocol.Reference(step=message.payload["step"], html=html))]


HANDLERS: dict[str, Callable[[Actor, Message], list[JSON]]] = {
    "ping": on_ping,
    "interview.start": on_start,
    "interview.end": on_end,
    "clock.pause": on_pause,
    "clock.resume": on_resume,
    "step.move": on_step_move,
    "doc.edit": on_doc_edit,
    "chat.send": on_chat_send,
    "hint.send": on_hint_send,
    "score.record": on_score_record,
    "reference.reveal": on_reference_reveal,
}


def dispatch(actor: Actor, message: Message) -> list[JSON]:
    return HANDLERS[message.type](actor, message)

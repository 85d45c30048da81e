"""The room's dispatch table: one entry per client message type, naming what the room does with
it (interviews/live.py). The consumer parses a message with the protocol, looks it up here and
sends back what the handler returns."""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from . import protocol
from .live import Room, Socket
from .protocol import JSON, Message

Handler = Callable[[Room, Socket, Message], list[JSON] | Awaitable[list[JSON]]]


def on_ping(room: Room, socket: Socket, message: Message) -> list[JSON]:
    return [protocol.envelope(protocol.Pong())]


def _transition(room: Room, socket: Socket, message: Message) -> Awaitable[list[JSON]]:
    return room.transition(socket, message.type, message.payload)


HANDLERS: dict[str, Handler] = {
    "ping": on_ping,
    "interview.start": _transition,
    "interview.end": _transition,
    "clock.pause": _transition,
    "clock.resume": _transition,
    "step.move": _transition,
    "doc.update": Room.doc_update,
    "doc.sync": Room.doc_sync,
    "chat.send": Room.chat_send,
    "hint.send": Room.hint_send,
    "hint.undo": Room.hint_undo,
    "score.record": Room.score_record,
    "mark.record": Room.mark_record,
    "reference.reveal": Room.reference_reveal,
    "call.signal": Room.call_signal,
}


async def dispatch(room: Room, socket: Socket, message: Message) -> list[JSON]:
    result: Any = HANDLERS[message.type](room, socket, message)
    if inspect.isawaitable(result):
        result = await result
    return list(result)

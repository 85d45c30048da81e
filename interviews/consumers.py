"""The live room's socket: authenticate, check access, join the room, parse each message with
the protocol and hand it to the room through the dispatch table (interviews/handlers.py); what
the room sends goes out through this socket's own queue, in order. No rules and no queries
here.

The handshake is always accepted and a refusal is then a close code the browser can read
(4401 not logged in, 4403 a foreign origin, 4404 no such interview or not a participant, 4408
silent too long): a refused handshake reaches a browser as a bare failure, and the room would
keep retrying.
"""

import asyncio
import logging
import time
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import close_old_connections

from . import handlers, protocol, selectors
from .live import Room
from .models import Interview
from .protocol import ErrorCode, ProtocolError
from .registry import Registry
from .services import ServiceError

log = logging.getLogger(__name__)
OUTBOX_LIMIT = 2000  # messages waiting for a slow socket before it is closed


def _access(user: Any, interview_id: str) -> selectors.Access:
    close_old_connections()
    try:
        return selectors.interview_get_for_user(user=user, interview_id=interview_id)
    finally:
        close_old_connections()


class RoomConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "none"  # the room has its own bus (interviews/bus.py), not groups

    room: Room | None = None
    user_id = 0
    role = ""

    async def connect(self) -> None:
        await self.accept()
        self.last_seen = time.monotonic()
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.writer = asyncio.get_running_loop().create_task(self._write())
        self.bucket = protocol.TokenBucket()
        if not self.scope.get("origin_ok", True):
            await self.close(code=4403)
            return
        self.user = self.scope["user"]  # AuthMiddlewareStack's (config/asgi.py)
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        interview_id = self.scope["url_route"]["kwargs"]["pk"]
        try:
            access = await sync_to_async(_access, thread_sensitive=False)(self.user, interview_id)
        except Interview.DoesNotExist:
            await self.close(code=4404)
            return
        self.user_id, self.role = self.user.pk, access.role
        room = await Registry.current().room(access.interview.pk)
        self.room = room
        room.join(self)

    async def dispatch(self, message: dict) -> None:
        """Channels runs ``close_old_connections()`` before every handler, through a hop to
        asgiref's one shared thread: for the room that was a thread hop per keystroke (18% of a
        loaded server's CPU in a py-spy profile, and a queue every message waits in). Nothing
        here uses that thread's connection: the room's database work runs in its own threads,
        which close their connections themselves (``_access``, ``live.load``,
        ``live._in_thread``, the write-behind's thread)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # What the room calls (interviews/live.py, Socket): never blocking, kept in order.

    def push(self, message: protocol.JSON) -> None:
        if self.outbox.qsize() > OUTBOX_LIMIT:
            log.warning("room socket too slow; closing it")
            self.hang_up(4429)
            return
        self.outbox.put_nowait(message)

    def ack(self, message_ids: list[str]) -> None:
        self.push(protocol.envelope(protocol.Ack(ids=message_ids)))

    def hang_up(self, code: int) -> None:
        asyncio.get_running_loop().create_task(self.close(code=code))

    async def _write(self) -> None:
        while True:
            message = await self.outbox.get()
            await self.send(text_data=orjson.dumps(message).decode())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.last_seen = time.monotonic()
        if self.room is None:
            return
        in_response = None
        try:
            if not self.bucket.take():
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many messages; slow down.")
            message = protocol.parse(text_data if text_data is not None else bytes_data)
            in_response = message.id
            replies = await handlers.dispatch(self.room, self, message)
        except ProtocolError as exc:
            replies = [protocol.error(exc.code, exc.message, exc.in_response, **exc.extra)]
        except ServiceError as exc:
            replies = [protocol.error(exc.code, exc.message, in_response, **exc.extra)]
        except Exception:
            log.exception("room message failed")
            replies = [
                protocol.error(
                    ErrorCode.SERVER_ERROR,
                    "Something broke; nothing was saved. Try again.",
                    in_response,
                )
            ]
        for reply in replies:
            if in_response is not None:
                reply.setdefault("id", in_response)
            self.push(reply)

    def _leave(self) -> None:
        if self.room is not None:
            self.room.leave(self)
            self.room = None
        writer = getattr(self, "writer", None)
        if writer is not None:
            writer.cancel()

    async def disconnect(self, code: int) -> None:
        self._leave()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # However the socket ends (closed, dropped, cancelled in the middle of a message),
        # it leaves the room: presence cannot leak.
        try:
            await super().__call__(scope, receive, send)
        except StopConsumer:
            pass
        finally:
            self._leave()

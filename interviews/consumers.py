"""The live room's socket: authenticate, check access, join its groups, validate each message
with the protocol and dispatch it to a service (interviews/handlers.py), then publish what the
services queued after their commit. No rules and no queries live here. A socket joins two
groups: its role's and the interview's `all` (interviews/realtime.py)."""

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import handlers, protocol, realtime, services
from .models import Interview
from .protocol import ErrorCode, ProtocolError

log = logging.getLogger(__name__)
connect_socket = realtime.in_room_thread(handlers.connect)
disconnect_socket = realtime.in_room_thread(handlers.disconnect)
handle_message = realtime.in_room_thread(handlers.dispatch)


class RoomConsumer(AsyncJsonWebsocketConsumer):
    actor: services.Actor | None = None

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            (self.actor, snapshot), outbox = await connect_socket(
                user, self.scope["url_route"]["kwargs"]["pk"]
            )
        except Interview.DoesNotExist:
            await self.close(code=4404)
            return
        self.groups_joined = [
            realtime.group_name(self.actor.interview_id, audience)
            for audience in (self.actor.role, realtime.ALL)
        ]
        self.bucket = protocol.TokenBucket()
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json(protocol.envelope(snapshot))
        await realtime.publish(self.channel_layer, outbox)

    async def disconnect(self, code: int) -> None:
        if self.actor is None:
            return
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        _, outbox = await disconnect_socket(self.actor)
        await realtime.publish(self.channel_layer, outbox)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        in_response = None
        try:
            if not self.bucket.take():
                raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many messages; slow down.")
            message = protocol.parse(text_data if text_data is not None else bytes_data)
            in_response = message.id
            replies, outbox = await handle_message(self.actor, message)
            await realtime.publish(self.channel_layer, outbox)
        except ProtocolError as exc:
            replies = [protocol.error(exc.code, exc.message, exc.in_response, **exc.extra)]
        except services.ServiceError as exc:
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
            await self.send_json(reply)

    async def dispatch(self, message: dict) -> None:
        # Channels runs close_old_connections() in asgiref's shared thread before every
        # handler. Broadcasts never touch the database and a message's database work cleans
        # up in its own thread (realtime.in_room_thread), so for these two the hop was pure cost: a
        # thread handoff per delivery, the largest item of the room's CPU profile after the
        # queries themselves.
        if message["type"] == "room.messages":
            await self.room_messages(message)
        elif message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def room_messages(self, event: dict) -> None:
        for message in event["messages"]:
            await self.send_json(message)

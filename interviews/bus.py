"""How the processes serving the room hear about a room from elsewhere: another process hosting a
socket of the same interview, a page (someone joined, the interview was abandoned), a task.

One channel per interview. A process that hosts a room subscribes to its channel once (not once
per socket) and hands what arrives to the room (interviews/live.py). Anyone may publish: the
rooms, and pages and tasks after their commit (``publish_sync``, used by
``realtime.broadcast``). With ``REDIS_URL`` the channel is Redis pub/sub; without it (the
embedded defaults: one process) it is a call in the same process.

Messages are JSON objects with ``origin`` (the publishing process, so a process ignores its own
echo) and ``kind``. Losing Redis for a while loses what was published meanwhile: on reconnecting
the bus tells every room, which then resynchronises (interviews/live.py, ``Room.resync``).
"""

import asyncio
import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import orjson
from django.conf import settings

log = logging.getLogger(__name__)
PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
Message = dict[str, Any]
Handler = Callable[[UUID, Message], None]


def channel(interview_id: UUID | str) -> str:
    return f"sevensteps:room:{UUID(str(interview_id)).hex}"


def interview_of(channel_name: str) -> UUID:
    return UUID(channel_name.rsplit(":", 1)[1])


class Bus:
    """The interface the rooms use. ``handler`` receives messages from other origins;
    ``on_reconnect`` runs after the bus came back from an outage."""

    def __init__(self) -> None:
        self.handler: Handler = lambda interview_id, message: None
        self.on_reconnect: Callable[[], Awaitable[None]] | None = None
        self.up = True

    async def start(self) -> None:  # pragma: no cover - overridden
        pass

    async def subscribe(self, interview_id: UUID) -> None:  # pragma: no cover
        pass

    async def unsubscribe(self, interview_id: UUID) -> None:  # pragma: no cover
        pass

    async def publish(self, interview_id: UUID, message: Message) -> bool:  # pragma: no cover
        return True

    async def stop(self) -> None:
        pass


class LocalBus(Bus):
    """One process: publishing is handing the message to this process's rooms. Pages and tasks
    run in other threads of the same process, so their messages go through the loop."""

    loop: asyncio.AbstractEventLoop | None = None
    current: "LocalBus | None" = None

    def __init__(self) -> None:
        super().__init__()
        self.subscribed: set[UUID] = set()

    async def start(self) -> None:
        LocalBus.loop = asyncio.get_running_loop()
        LocalBus.current = self

    async def subscribe(self, interview_id: UUID) -> None:
        self.subscribed.add(interview_id)

    async def unsubscribe(self, interview_id: UUID) -> None:
        self.subscribed.discard(interview_id)

    async def publish(self, interview_id: UUID, message: Message) -> bool:
        return True  # only this process exists: its rooms already have it

    def deliver_threadsafe(self, interview_id: UUID, message: Message) -> None:
        if interview_id in self.subscribed and self.loop is not None:
            self.loop.call_soon_threadsafe(self.handler, interview_id, message)


class RedisBus(Bus):
    """Redis pub/sub, one connection for the subscriptions of this process and one for
    publishing. Reconnects by itself; while Redis is gone publishing fails (and says so)."""

    RETRY = (0.2, 0.5, 1.0, 2.0, 5.0)

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis
        self.url = url
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=15
        )
        self.subscribed: set[UUID] = set()
        self._pubsub: Any = None
        self._reader: asyncio.Task | None = None
        self._ready = asyncio.Event()
        self._confirmed: dict[str, asyncio.Future] = {}

    async def start(self) -> None:
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read(), name="bus")

    async def _connect(self) -> None:
        pubsub = self.client.pubsub()
        # A channel is needed to enter subscribed mode; this one is ours alone.
        await pubsub.subscribe(f"sevensteps:process:{PROCESS_ID}")
        if self.subscribed:
            await pubsub.subscribe(*(channel(i) for i in self.subscribed))
        self._pubsub = pubsub

    async def _read(self) -> None:
        attempt, was_down = 0, False
        while True:
            try:
                await self._connect()
                if was_down:
                    log.warning("bus: Redis is back; rooms resynchronise")
                    self.up = True
                    if self.on_reconnect:
                        await self.on_reconnect()
                attempt, was_down = 0, False
                self.up = True
                self._ready.set()
                async for raw in self._pubsub.listen():
                    if raw.get("type") == "subscribe":
                        self._confirm(raw["channel"])
                    elif raw.get("type") == "message":
                        self._dispatch(raw["channel"], raw["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away, or a reset: reconnect
                if not was_down:
                    log.warning("bus: lost Redis (%s); retrying", exc)
                was_down, self.up = True, False
                self._ready.clear()
                await self._close_pubsub()
                await asyncio.sleep(self.RETRY[min(attempt, len(self.RETRY) - 1)])
                attempt += 1

    def _dispatch(self, channel_name: bytes | str, data: bytes) -> None:
        name = channel_name.decode() if isinstance(channel_name, bytes) else channel_name
        if ":room:" not in name:
            return
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError:
            log.warning("bus: a message that is not JSON on %s", name)
            return
        if not isinstance(message, dict) or message.get("origin") == PROCESS_ID:
            return
        try:
            self.handler(interview_of(name), message)
        except Exception:
            log.exception("bus: a room failed to handle a message")

    async def _close_pubsub(self) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(Exception):  # it is broken already; nothing to tell
                await self._pubsub.aclose()
            self._pubsub = None

    def _confirm(self, channel_name: bytes | str) -> None:
        name = channel_name.decode() if isinstance(channel_name, bytes) else channel_name
        future = self._confirmed.pop(name, None)
        if future is not None and not future.done():
            future.set_result(True)

    async def subscribe(self, interview_id: UUID) -> None:
        """Subscribe, and return once Redis confirms it: whatever is published after this
        returns reaches this process (a room says hello only then)."""
        self.subscribed.add(interview_id)
        name = channel(interview_id)
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=2)
            confirmed = asyncio.get_running_loop().create_future()
            self._confirmed[name] = confirmed
            await self._pubsub.subscribe(name)
            await asyncio.wait_for(confirmed, timeout=2)
        except Exception as exc:
            self._confirmed.pop(name, None)
            log.warning(
                "bus: subscribe to %s not confirmed (%s); done again on reconnect", name, exc
            )

    async def unsubscribe(self, interview_id: UUID) -> None:
        self.subscribed.discard(interview_id)
        if self._pubsub is not None:
            try:
                await self._pubsub.unsubscribe(channel(interview_id))
            except Exception as exc:
                log.warning("bus: unsubscribe failed (%s)", exc)

    async def publish(self, interview_id: UUID, message: Message) -> bool:
        data = orjson.dumps(message)
        for attempt in (1, 2):
            try:
                await self.client.publish(channel(interview_id), data)
                return True
            except self._redis.ConnectionError as exc:
                # After an outage the first command meets a connection Redis closed: the
                # second gets a fresh one.
                if attempt == 2:
                    log.warning("bus: publish failed (%s)", exc)
            except Exception as exc:
                log.warning("bus: publish failed (%s)", exc)
                return False
        return False

    async def stop(self) -> None:
        if self._reader:
            self._reader.cancel()
        await self._close_pubsub()
        await self.client.aclose()


def make_bus() -> Bus:
    return RedisBus(settings.REDIS_URL) if settings.REDIS_URL else LocalBus()


# --- Publishing from pages and tasks (synchronous code) -----------------------------------------

_sync_client: Any = None
_sync_lock = threading.Lock()


def publish_sync(interview_id: UUID | str, message: Message) -> bool:
    """Publish from synchronous code (a page, a task, a service called outside the room). False
    if it could not be delivered now; the rooms resynchronise when Redis returns."""
    interview_id = UUID(str(interview_id))
    message = {"origin": f"sync-{PROCESS_ID}", **message}
    if not settings.REDIS_URL:
        bus = LocalBus.current
        if bus is not None:
            bus.deliver_threadsafe(interview_id, message)
        return True
    global _sync_client
    with _sync_lock:
        if _sync_client is None:
            import redis

            _sync_client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
            )
    try:
        _sync_client.publish(channel(interview_id), orjson.dumps(message))
    except Exception as exc:
        log.warning("bus: could not publish from a page or task (%s)", exc)
        return False
    return True

"""This process's rooms (interviews/live.py): made on first use in the event loop, with the bus that
joins them to other processes, the write-behind that makes their writes durable, the database
threads, and the housekeeping that closes silent sockets and drops rooms nobody uses."""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import close_old_connections

from . import bus as bus_module
from . import writebehind
from .live import HEARTBEAT, HOST_SILENCE, KEEP_EMPTY_ROOM, SOCKET_SILENCE, Room
from .protocol import JSON

log = logging.getLogger(__name__)


class Registry:
    """This process's rooms, its bus and its write-behind. Made on first use in the event
    loop; ``current()`` gives it."""

    _current: "Registry | None" = None

    def __init__(self) -> None:
        self.rooms: dict[UUID, Room] = {}
        self.bus = bus_module.make_bus()
        self.bus.handler = self.on_bus
        self.bus.on_reconnect = self.on_bus_reconnect
        self.committer = writebehind.Committer()
        self.db = ThreadPoolExecutor(max(1, settings.ROOM_DB_THREADS), thread_name_prefix="room-db")
        self.tasks: set[asyncio.Task] = set()
        self.loop = asyncio.get_running_loop()
        self._started = False
        self.stopped = False

    @classmethod
    def current(cls) -> "Registry":
        loop = asyncio.get_running_loop()
        if cls._current is None or cls._current.loop is not loop:
            cls._current = Registry()
        return cls._current

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        await self.bus.start()
        self.committer.start()
        self.spawn(self._housekeeping())

    def spawn(self, coroutine: Any) -> None:
        if self.stopped:
            coroutine.close()
            return
        task = self.loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("room task failed", exc_info=task.exception())

    async def in_db_thread(self, func: Callable[..., Any], *args: Any) -> Any:
        return await self.loop.run_in_executor(self.db, func, *args)

    async def room(self, interview_id: UUID) -> Room:
        await self.start()
        room = self.rooms.get(interview_id)
        if room is None:
            room = Room(self, interview_id)
            self.rooms[interview_id] = room
            try:
                await room.open()
            except BaseException:
                self.rooms.pop(interview_id, None)
                raise
        else:
            await room.ready.wait()
            if room.failed is not None:
                raise room.failed
        return room

    def on_bus(self, interview_id: UUID, message: JSON) -> None:
        room = self.rooms.get(interview_id)
        if room is not None:
            room.on_bus(message)

    async def on_bus_reconnect(self) -> None:
        for room in list(self.rooms.values()):
            if room.ready.is_set() and room.failed is None:
                try:
                    await room.resync()
                except Exception:
                    log.exception("room %s: could not resynchronise", room.interview_id)

    async def _housekeeping(self) -> None:
        """Close silent sockets, forget silent hosts, tell other hosts this one is alive, and
        drop rooms nobody has used for a while."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            now = time.monotonic()
            for interview_id, room in list(self.rooms.items()):
                for socket in list(room.sockets):
                    if now - socket.last_seen > SOCKET_SILENCE:
                        socket.hang_up(4408)
                        room.leave(socket)
                stale = [h for h, seen in room.remote_hosts.items() if now - seen > HOST_SILENCE]
                for host in stale:
                    room.remote_hosts.pop(host, None)
                    room.welcomed.discard(host)
                    if room.remote_presence.pop(host, None) is not None:
                        room.push_presence()
                if room.remote_hosts:
                    self.spawn(room.say({"kind": "alive", "users": room.local_presence()}))
                if room.needs_hello:
                    self.spawn(room.resync())
                if (
                    not room.sockets
                    and room.empty_since is not None
                    and now - room.empty_since > KEEP_EMPTY_ROOM
                ):
                    await self.drop(interview_id)

    async def stop(self) -> None:
        """Flush, let go of the bus and the database threads' connections (a server shutting
        down, the end of a test)."""
        self.stopped = True
        for task in list(self.tasks):
            task.cancel()
        await self.committer.stop()
        await self.bus.stop()
        await self.committer.close()
        for _ in range(self.db._max_workers):
            await self.loop.run_in_executor(self.db, close_old_connections)
        self.db.shutdown(wait=False)
        if Registry._current is self:
            Registry._current = None

    async def drop(self, interview_id: UUID) -> None:
        room = self.rooms.pop(interview_id, None)
        if room is None:
            return
        room.dirty_docs.update(room.docs)  # a final folded state of each document
        await self.committer.flush()
        self.committer.remove_hook(room.flush_hook)
        await room.say({"kind": "bye"})
        await self.bus.unsubscribe(interview_id)

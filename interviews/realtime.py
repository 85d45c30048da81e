"""Channel-layer plumbing: the one function naming groups, and broadcasting after commit.

Every socket of an interview joins the group ``all`` and the group of its user's role. What both
roles may see goes once to ``all``; what only one role may see goes to that role's group, so a
service sends each role exactly what that role may see and no socket can receive the other
role's messages.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

ROLES = ("interviewer", "candidate")
ALL = "all"
AUDIENCES = (*ROLES, ALL)

_outbox = threading.local()


def group_name(interview_id: UUID | str, audience: str) -> str:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    return f"interview.{UUID(str(interview_id)).hex}.{audience}"


def broadcast(interview_id: UUID | str, by_audience: dict[str, list[dict]]) -> None:
    """Send messages to each audience's group once the current transaction commits (at once
    when no transaction is open). Never address a role with what it may not see."""
    groups = [
        (group_name(interview_id, audience), messages)
        for audience, messages in by_audience.items()
        if messages
    ]
    if not groups:
        return

    def send() -> None:
        pending = getattr(_outbox, "messages", None)
        if pending is not None:  # a socket's message: its consumer publishes (see collecting)
            pending.extend(groups)
            return
        layer = get_channel_layer()
        for group, messages in groups:
            async_to_sync(layer.group_send)(group, {"type": "room.messages", "messages": messages})

    transaction.on_commit(send)


def collecting(func: Callable) -> Callable:
    """Run ``func`` (in a worker thread) keeping what the services broadcast after their
    commits in an outbox, and return ``(result, outbox)``.

    The room's consumer publishes the outbox from its own coroutine once the work is done, so
    the database thread is free as soon as the transaction commits instead of waiting on the
    event loop for each publish; the order of the messages is kept. Pages and tasks, which call
    services without this, publish directly.
    """

    def run(*args, **kwargs):
        # A service that raises has rolled back: nothing of it was committed or is announced.
        _outbox.messages = []
        try:
            return func(*args, **kwargs), _outbox.messages
        finally:
            del _outbox.messages

    return run


async def publish(layer, outbox: list[tuple[str, list[dict]]]) -> None:
    for group, messages in outbox:
        await layer.group_send(group, {"type": "room.messages", "messages": messages})


def to_both(*messages: dict) -> dict[str, list[dict]]:
    return {ALL: list(messages)}


# The room's database work runs in a few threads of its own (ROOM_DB_THREADS), not in
# asgiref's one shared thread, where every socket's messages waited in a single queue and the
# delay grew with the number of rooms (docs/performance.md). Order per socket is kept: a
# consumer awaits each message's work before it reads the next. Each call still closes (or
# returns to the pool) its connection when done, so no thread holds one between messages.
_db_threads = (
    ThreadPoolExecutor(settings.ROOM_DB_THREADS, thread_name_prefix="room-db")
    if settings.ROOM_DB_THREADS
    else None
)


def in_room_thread(func: Callable) -> Callable:
    """``func`` as an awaitable run in one of the room's database threads, returning
    ``(result, outbox)`` (see ``collecting``) for the consumer to publish."""
    func = collecting(func)
    if _db_threads is None:
        return database_sync_to_async(func)
    return database_sync_to_async(func, thread_sensitive=False, executor=_db_threads)

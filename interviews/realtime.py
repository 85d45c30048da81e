"""Channel-layer plumbing: the one function naming groups, and broadcasting after commit.

Every socket of an interview joins the group ``all`` and the group of its user's role. What both
roles may see goes once to ``all``; what only one role may see goes to that role's group, so a
service sends each role exactly what that role may see and no socket can receive the other
role's messages.
"""

import threading
from collections.abc import Callable
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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

"""Announcing to the live room from pages, tasks and services, after their commit.

The room's own messages go out from the room (interviews/live.py). Everything else that a room
must hear of (someone joined through the invite, the interview was abandoned from the
dashboard, a state change made outside a socket) is published on the bus (interviews/bus.py)
once the transaction commits, so a room never hears of something that was rolled back. Each
process hosting the room turns what it hears into the messages its sockets may see: the state
is sent to each role with that role's own actions.
"""

from typing import Any
from uuid import UUID

from django.db import transaction

from accounts.selectors import display_name
from accounts.types import User

from . import bus, selectors
from .models import Interview

AUDIENCES = ("interviewer", "candidate", None)  # None: both


def _after_commit(interview_id: UUID | str, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: bus.publish_sync(interview_id, message), robust=True)


def announce_state(interview: Interview) -> None:
    """The interview's status, step, pause and clock changed."""
    _after_commit(interview.pk, {"kind": "state", **selectors.state_fields(interview)})


def announce_ended(interview_id: UUID, status: str, redirect: str) -> None:
    """Both sides leave the room for ``redirect``."""
    _after_commit(interview_id, {"kind": "ended", "status": status, "redirect": redirect})


def announce_joined(interview_id: UUID, user: User, role: str) -> None:
    _after_commit(
        interview_id,
        {"kind": "joined", "user_id": user.pk, "role": role, "name": display_name(user)},
    )


def broadcast(interview_id: UUID | str, by_audience: dict[str | None, list[dict]]) -> None:
    """Send built messages (``protocol.envelope``) to one role's sockets or to both (``None``)
    once the current transaction commits. Never address a role with what it may not see."""
    for audience, messages in by_audience.items():
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}")
        for message in messages:
            _after_commit(interview_id, {"kind": "deliver", "role": audience, "message": message})

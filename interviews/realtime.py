"""Channel-layer plumbing: the one function naming groups, and broadcasting after commit.

Each role of an interview has its own group, so a service sends each role exactly what that role
may see; a socket joins only the group of its user's role.
"""

from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

ROLES = ("interviewer", "candidate")


def group_name(interview_id: UUID | str, role: str) -> str:
    return f"interview.{UUID(str(interview_id)).hex}.{role}"


def broadcast(interview_id: UUID | str, by_role: dict[str, list[dict]]) -> None:
    """Send messages to each role's group once the current transaction commits (at once when
    no transaction is open). Never call with messages a role may not see."""
    by_role = {role: messages for role, messages in by_role.items() if messages}
    if not by_role:
        return

    def send() -> None:
        layer = get_channel_layer()
        for role, messages in by_role.items():
            async_to_sync(layer.group_send)(
                group_name(interview_id, role), {"type": "room.messages", "messages": messages}
            )

    transaction.on_commit(send)


def to_both(message: dict) -> dict[str, list[dict]]:
    return {role: [message] for role in ROLES}

"""The append-only timeline of an interview: what kinds of event there are, and the one
function that records them (``event_record``). The timeline page describes each kind in words
(feedback/timeline.py), one describer per kind."""

from enum import StrEnum
from typing import Any, cast
from uuid import UUID

from django.db import connections, router
from django.db.models import Field
from django.utils import timezone

from accounts.types import User

from .models import Event


class EventKind(StrEnum):
    CREATED = "created"
    JOINED = "joined"
    ONLINE = "online"
    OFFLINE = "offline"
    STATUS = "status"  # data: old, new (and reason when completed)
    STEP = "step"  # data: old, new, seconds_on_old
    PAUSED = "paused"
    RESUMED = "resumed"
    NOTES_REVISED = "notes.revised"  # data: slot, revision, text
    DIAGRAM_REVISED = "diagram.revised"
    PRIVATE_REVISED = "private.revised"
    CHAT = "chat"  # data: message_id, text
    HINT_SENT = "hint.sent"  # data: index, text
    CURVEBALL_SENT = "curveball.sent"
    SCORE_INTERVIEWER = "score.interviewer"  # data: criterion, level, not_observed, evidence
    SCORE_SELF = "score.self"
    MARK = "mark"  # data: mark (concept | flag), key, value, source, label, critical
    REFERENCE_REVEALED = "reference.revealed"
    ASSESSMENT_SUBMITTED = "assessment.submitted"  # data: source, skipped, levels
    REPORT_READY = "report.ready"
    REPORT_RETRIED = "report.retried"


REVISED = {
    "notes": EventKind.NOTES_REVISED,
    "diagram": EventKind.DIAGRAM_REVISED,
    "private": EventKind.PRIVATE_REVISED,
}
SENT = {"hint": EventKind.HINT_SENT, "curveball": EventKind.CURVEBALL_SENT}
SCORED = {"interviewer": EventKind.SCORE_INTERVIEWER, "self": EventKind.SCORE_SELF}


def event_record(
    *,
    interview_id: UUID,
    kind: EventKind,
    actor: User | None = None,
    step_key: str = "",
    private: bool = False,
    **data: Any,
) -> None:
    """Append one row to the interview's timeline. Call inside the transaction of the change.

    The room's frequent writes (edits, chat, scores, presence) do not come here: the
    write-behind (``writebehind.Batch.event``) inserts their events many rows to a statement.
    This is for the page-side changes (create, join, wrap-up, report), one plain INSERT each; the
    fields' own adapters prepare the values for either database.
    """
    if not isinstance(kind, EventKind):
        raise TypeError(f"event kinds are EventKind members, not {kind!r}")
    meta = Event._meta
    connection = connections[router.db_for_write(Event)]
    fields = {
        "interview": interview_id,
        "at": timezone.now(),
        "actor": actor.pk if actor is not None else None,
        "kind": str(kind),
        "step_key": step_key,
        "visibility": Event.Visibility.INTERVIEWER if private else Event.Visibility.ALL,
        "data": data,
    }
    # Every name is a concrete column of Event (get_field may also return a reverse relation).
    columns_of = {name: cast(Field, meta.get_field(name)) for name in fields}
    values = [
        columns_of[name].get_db_prep_save(value, connection) for name, value in fields.items()
    ]
    columns = ", ".join(
        connection.ops.quote_name(field.column)  # type: ignore[arg-type]  # concrete: has one
        for field in columns_of.values()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns})"  # noqa: S608
            f" VALUES ({', '.join(['%s'] * len(values))})",
            values,
        )

"""The timeline page: a replay of the session in words, as the viewer's role may see it.

Each event kind (``interviews.events.EventKind``) has one describer in ``DESCRIBERS``, a table
rather than an if-chain; a test checks that every kind has one.
"""

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from accounts.selectors import display_name
from interviews import crdt
from interviews.events import EventKind
from interviews.models import DocumentUpdate, Event, Interview, Role
from interviews.selectors import steps_of
from rubrics.models import Criterion

STATUS_WORDS = {
    "scheduled": "scheduled",
    "live": "started",
    "wrapup": "ended",
    "completed": "completed",
    "abandoned": "abandoned",
}


@dataclass(frozen=True)
class Names:
    """What a timeline row calls things: step and criterion titles by key, and the session's
    noun ("interview" or "drill"). Rows never show an internal key when a title exists."""

    steps: Mapping[str, str] = field(default_factory=dict)
    criteria: Mapping[str, str] = field(default_factory=dict)
    noun: str = "interview"


Describer = Callable[[Mapping[str, Any], str, Names], tuple[str, str]]


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _step_move(data: Mapping[str, Any], step: str, names: Names) -> tuple[str, str]:
    old = names.steps.get(data.get("old", ""), data.get("old", ""))
    return f"Moved to {step}", f"after {_clock(data.get('seconds_on_old', 0))} on {old}"


def _score(data: Mapping[str, Any], step: str, names: Names) -> tuple[str, str]:
    key = data.get("criterion", "")
    title = names.criteria.get(key, key)
    level = "not observed" if data.get("not_observed") else f"{data.get('level')} of 4"
    return f"Scored “{title}”: {level}", data.get("evidence", "")


def _self_score(data: Mapping[str, Any], step: str, names: Names) -> tuple[str, str]:
    headline, detail = _score(data, step, names)
    return headline.replace("Scored", "Self-assessed", 1), detail


MARK_WORDS = {
    "unprompted": "raised unprompted",
    "hinted": "raised after a hint",
    "missed": "missed",
    "observed": "observed",
    "": "cleared",
}


def _mark(data: Mapping[str, Any], step: str, names: Names) -> tuple[str, str]:
    value = MARK_WORDS.get(data.get("value", ""), data.get("value", ""))
    label = data.get("label") or data.get("key", "")
    if data.get("mark") == "flag":
        critical = " (critical)" if data.get("critical") else ""
        return f"Red flag{critical} {value}", label
    return f"Checklist concept {value}", label


def _assessment(data: Mapping[str, Any], step: str, names: Names) -> tuple[str, str]:
    who = "Self-assessment" if data.get("source") == "self" else "Scorecard"
    return f"{who} submitted" + (" (skipped)" if data.get("skipped") else ""), ""


DESCRIBERS: dict[EventKind, Describer] = {
    EventKind.CREATED: lambda d, s, names: (
        f"Created as the {d.get('role', '')}",
        f"case version {d.get('case_version')}",
    ),
    EventKind.JOINED: lambda d, s, names: (f"Joined as the {d.get('role', '')}", ""),
    EventKind.ONLINE: lambda d, s, names: ("Connected", ""),
    EventKind.OFFLINE: lambda d, s, names: ("Disconnected", ""),
    EventKind.STATUS: lambda d, s, names: (
        f"{names.noun.capitalize()} {STATUS_WORDS.get(d.get('new', ''), d.get('new'))}",
        d.get("reason", ""),
    ),
    EventKind.STEP: _step_move,
    EventKind.PAUSED: lambda d, s, names: ("Clock paused", ""),
    EventKind.RESUMED: lambda d, s, names: ("Clock resumed", ""),
    EventKind.NOTES_REVISED: lambda d, s, names: (f"Notes for {s}", d.get("text", "")),
    EventKind.DIAGRAM_REVISED: lambda d, s, names: ("Diagram", d.get("text", "")),
    EventKind.PRIVATE_REVISED: lambda d, s, names: ("Private notes", d.get("text", "")),
    EventKind.CHAT: lambda d, s, names: ("Chat", d.get("text", "")),
    EventKind.HINT_SENT: lambda d, s, names: (f"Hint sent ({s})", d.get("text", "")),
    EventKind.CURVEBALL_SENT: lambda d, s, names: (f"Curveball sent ({s})", d.get("text", "")),
    EventKind.SCORE_INTERVIEWER: _score,
    EventKind.SCORE_SELF: _self_score,
    EventKind.MARK: _mark,
    EventKind.REFERENCE_REVEALED: lambda d, s, names: (f"Reference notes revealed ({s})", ""),
    EventKind.ASSESSMENT_SUBMITTED: _assessment,
    EventKind.REPORT_READY: lambda d, s, names: ("Report ready", ""),
    EventKind.REPORT_RETRIED: lambda d, s, names: ("Report retried", ""),
}


def describe(event: Event, names: Names) -> tuple[str, str]:
    """(headline, detail) of one timeline row, in words."""
    step = names.steps.get(event.step_key, event.step_key)
    try:
        describer = DESCRIBERS[EventKind(event.kind)]
    except ValueError:  # a kind from a newer version of the code: show it plainly
        return event.kind, ""
    return describer(event.data, step, names)


def _fold_presence(rows: list[dict[str, Any]], row: dict[str, Any], kind: str, actor) -> bool:
    """Fold a person's reconnects into one row. A drop and the return are one "Reconnected"
    row (with the time away); further drops right after it count on that row. Returns True
    when ``row`` was folded away and must not be added."""
    mine = [r for r in rows if r.get("presence") == actor]
    last = mine[-1] if mine else None
    if kind == EventKind.ONLINE:
        if last is None:
            return False  # the first connection: "Connected"
        if last["headline"] == "Disconnected":
            last["headline"], last["reconnects"] = "Reconnected", 1
            last["detail"] = f"after {_clock((row['at'] - last['at']).total_seconds())} away"
            return True
        if last.get("dropped"):
            last["reconnects"] += 1
            last["dropped"] = False
            last["headline"] = f"Reconnected {last['reconnects']} times"
            last["detail"] = ""
            return True
        return False
    # Offline: right after a reconnect with nothing in between, it waits on that row.
    if last is not None and last is rows[-1] and last.get("reconnects"):
        last["dropped"] = True
        return True
    return False


def timeline(*, interview: Interview, role: str) -> list[dict[str, Any]]:
    """The session's events as ``role`` may see them, oldest first, with the time since the
    start. The candidate gets no interviewer-only row (scores, private notes). Runs of
    revisions of one document fold into one row holding the text as it ended. Two queries."""
    events = Event.objects.filter(interview=interview).select_related("actor__profile")
    if role == Role.CANDIDATE:
        events = events.filter(visibility=Event.Visibility.ALL)
    names = Names(
        steps={step.key: step.title for step in steps_of(interview)},
        criteria=dict(
            Criterion.objects.filter(rubric_id=interview.rubric_id).values_list("key", "title")
        ),
        noun=interview.noun,
    )
    start = interview.started_at
    rows: list[dict[str, Any]] = []
    for event in events:
        headline, detail = describe(event, names)
        slot = event.data.get("slot") if event.kind.endswith(".revised") else None
        if slot and rows and rows[-1]["slot"] == slot:
            last = rows[-1]
            last["detail"], last["revisions"][1] = detail, event.data.get("revision")
            last["until"] = event.at
            continue
        rows.append(
            {
                "at": event.at,
                "until": None,
                "offset": (event.at - start).total_seconds() if start else None,
                "who": display_name(event.actor) if event.actor else "Sevensteps",
                "kind": event.kind.split(".")[0],
                "private": event.visibility == Event.Visibility.INTERVIEWER,
                "headline": headline,
                "detail": detail,
                "slot": slot,
                "revisions": [event.data.get("revision"), event.data.get("revision")]
                if slot
                else None,
            }
        )
        if event.kind in (EventKind.ONLINE, EventKind.OFFLINE):
            rows[-1]["presence"] = event.actor_id
            if _fold_presence(rows[:-1], rows[-1], event.kind, event.actor_id):
                rows.pop()
    for row in rows:
        if row.pop("dropped", False):  # the last drop had no return
            row["headline"] += ", then disconnected"
    return rows


# --- The documents as they were written: the replay behind the timeline's scrubber -------------

REPLAY_BUCKET = timedelta(seconds=5)


def replay(*, interview: Interview, role: str) -> dict[str, Any]:
    """The shared documents' history as frames the timeline page plays back with Yjs: each
    frame is the updates of one document within ``REPLAY_BUCKET``, merged, with its time since
    the start. The candidate gets no frame of the interviewer's private notes. Two queries."""
    names = [crdt.NOTES, crdt.DIAGRAM, crdt.BOARD]
    if role != Role.CANDIDATE:
        names.append(crdt.PRIVATE)
    rows = (
        DocumentUpdate.objects.filter(interview=interview, doc__in=names)
        .order_by("at", "id")
        .values_list("doc", "data", "at")
    )
    start = interview.started_at
    frames: list[dict[str, Any]] = []
    open_bucket: dict[str, tuple[datetime, list[bytes]]] = {}

    def close(doc: str) -> None:
        at, parts = open_bucket.pop(doc)
        frames.append(
            {
                "doc": doc,
                "t": round((at - start).total_seconds(), 1) if start else 0.0,
                "update": base64.b64encode(crdt.merge(parts)).decode("ascii"),
            }
        )

    for doc, data, at in rows:
        current = open_bucket.get(doc)
        if current is not None and at - current[0] > REPLAY_BUCKET:
            close(doc)
            current = None
        if current is None:
            open_bucket[doc] = (at, [bytes(data)])
        else:
            current[1].append(bytes(data))
    for doc in list(open_bucket):
        close(doc)
    frames.sort(key=lambda frame: frame["t"])
    end = interview.ended_at or interview.completed_at
    return {
        "docs": names,
        "steps": [{"key": s.key, "title": s.title} for s in steps_of(interview)],
        "duration": round((end - start).total_seconds(), 1) if start and end else None,
        "frames": frames,
    }

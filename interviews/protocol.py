"""The live room's wire format, in one place. ``docs/protocol.md`` describes it for people.

Every message is a JSON object ``{"type": str, "id": str?, "payload": object}``. Clients send
the types in ``CLIENT_MESSAGES``; the server emits those in ``SERVER_MESSAGES``. Each client type
has a schema: unknown fields are refused, required fields must be present and of the right type.
Bad input gets ``{"type": "error", "payload": {"code", "message", "in_response"}}`` and the
socket stays open.
"""

import json
import time
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import UnionType
from typing import (
    Any,
    ClassVar,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)

MAX_MESSAGE_BYTES = 256 * 1024
MAX_UPDATE_CHARS = 240_000  # a document update, base64 (interviews/crdt.py has the byte limit)
MAX_DOCUMENT_CHARS = 20_000
MAX_CHAT_CHARS = 2_000
MAX_EVIDENCE_CHARS = 2_000
MAX_ID_CHARS = 64
MAX_REV = 2**53 - 1  # a score's revision: a JavaScript number that is still exact
MAX_SIGNAL_CHARS = 16_000  # an SDP offer with audio, video and a data channel fits in a few KB


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"  # not JSON, or not a JSON object
    TOO_LARGE = "too_large"  # over MAX_MESSAGE_BYTES
    UNKNOWN_TYPE = "unknown_type"  # a type clients may not send
    BAD_MESSAGE = "bad_message"  # missing, unknown or mistyped fields
    RATE_LIMITED = "rate_limited"  # too many messages too fast; slow down and resend
    FORBIDDEN = "forbidden"  # the sender's role may not do this
    INVALID_STATE = "invalid_state"  # not possible in the interview's current status
    INVALID_STEP = "invalid_step"  # not an allowed step move, or no such step
    STALE = "stale"  # the interview moved on since the client's view (step, clock)
    NOT_FOUND = "not_found"  # no such criterion, hint or document slot
    TOO_LATE = "too_late"  # the hint reached the candidate already: it cannot be taken back
    SERVER_ERROR = "server_error"  # our fault; nothing was saved


class ProtocolError(Exception):
    def __init__(
        self,
        code: ErrorCode,
        message: str,
        in_response: str | None = None,
        extra: dict | None = None,
    ) -> None:
        self.code, self.message, self.in_response = code, message, in_response
        self.extra = extra or {}
        super().__init__(message)


@dataclass(frozen=True)
class F:
    """A payload field: its JSON type, whether it is required, and its limits."""

    kind: type | tuple[type, ...]
    required: bool = True
    max_length: int | None = None
    min_length: int = 0
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False


STEP_KEY = F(str, max_length=40, min_length=1)
DOC_NAMES = ("notes", "diagram", "board", "private")  # interviews/crdt.py, DOC_NAMES
# Messages whose effect is made durable later: the sender names each one (a unique ``id``), is
# told by an ``ack`` once it is durable, and may send it again with the same id after a
# reconnect without repeating its effect.
NEEDS_ID = frozenset(
    {"doc.update", "chat.send", "hint.send", "hint.undo", "score.record", "mark.record"}
)
# What a mark may say (interviews.models.Mark): a checklist concept raised unprompted, after a
# hint or missed; a red flag observed; "" clears a mark.
MARK_VALUES = ("unprompted", "hinted", "missed", "observed", "")

# The call's signals (static/js/call.js, docs/protocol.md "The call"): "join" says a tab is in
# the call (a "reply" answers one), "offer"/"answer" carry WebRTC session descriptions,
# "candidate" an ICE candidate, "state" whether the sender's microphone and camera are on,
# "bye" that the tab left the call.
CALL_KINDS = ("join", "offer", "answer", "candidate", "state", "bye")
CALL_SESSION = F(str, min_length=8, max_length=MAX_ID_CHARS)
CALL_DESCRIPTION = {
    "type": F(str, choices=("offer", "answer")),
    "sdp": F(str, min_length=1, max_length=MAX_SIGNAL_CHARS),
}
CALL_CANDIDATE = {
    "candidate": F(str, max_length=2_000),  # "" marks the end of a generation's candidates
    "sdpMid": F(str, required=False, nullable=True, max_length=64),
    "sdpMLineIndex": F(int, required=False, nullable=True, minimum=0, maximum=64),
    "usernameFragment": F(str, required=False, nullable=True, max_length=256),
}
CALL_DATA: dict[str, dict[str, F]] = {
    "join": {"session": CALL_SESSION, "reply": F(bool, required=False)},
    "offer": {"session": CALL_SESSION, "description": F(dict)},
    "answer": {"session": CALL_SESSION, "description": F(dict)},
    "candidate": {"session": CALL_SESSION, "candidate": F(dict)},
    "state": {"session": CALL_SESSION, "audio": F(bool), "video": F(bool)},
    "bye": {"session": CALL_SESSION},
}
CALL_NESTED = {"description": CALL_DESCRIPTION, "candidate": CALL_CANDIDATE}

CLIENT_MESSAGES: dict[str, dict[str, F]] = {
    "ping": {},
    "interview.start": {},
    "interview.end": {},
    "clock.pause": {},
    "clock.resume": {},
    "step.move": {"from": STEP_KEY, "to": STEP_KEY},
    # Shared documents are Yjs documents (interviews/crdt.py); updates travel base64-encoded.
    "doc.update": {
        "doc": F(str, choices=DOC_NAMES),
        "update": F(str, max_length=MAX_UPDATE_CHARS, min_length=1),
    },
    "doc.sync": {
        "doc": F(str, choices=DOC_NAMES),
        "sv": F(str, max_length=MAX_UPDATE_CHARS),
    },
    "chat.send": {"text": F(str, max_length=MAX_CHAT_CHARS, min_length=1)},
    "hint.send": {
        "step": STEP_KEY,
        "kind": F(str, choices=("hint", "curveball")),
        "index": F(int, minimum=0, maximum=99),
    },
    # Take back a hint or curveball sent within the undo window (settings.HINT_UNDO_MS).
    "hint.undo": {
        "step": STEP_KEY,
        "kind": F(str, choices=("hint", "curveball")),
        "index": F(int, minimum=0, maximum=99),
    },
    "score.record": {
        "criterion": F(str, max_length=60, min_length=1),
        "level": F(int, minimum=1, maximum=4, nullable=True),
        "not_observed": F(bool, required=False),
        "evidence": F(str, required=False, max_length=MAX_EVIDENCE_CHARS),
        # The sender's revision of this criterion's score (it only grows): echoed back, so the
        # browser can tell a late echo of an earlier send from the latest (docs/protocol.md).
        "rev": F(int, required=False, minimum=0, maximum=MAX_REV),
    },
    # The interviewer ticks the case's concept checklist (key: the concept's) and marks red flags
    # observed (key: "<step key>:<index>" of the flag in its step's guide).
    "mark.record": {
        "kind": F(str, choices=("concept", "flag")),
        "key": F(str, max_length=80, min_length=1),
        "value": F(str, choices=MARK_VALUES),
    },
    "reference.reveal": {"step": STEP_KEY},
    # Voice and video: WebRTC's offer, answer and ICE candidates, relayed to the other person
    # (never stored). ``data`` has the shape its kind names in CALL_DATA (checked by
    # ``check_call_signal``); ``session`` names one joining of the call by one browser tab.
    "call.signal": {
        "kind": F(str, choices=CALL_KINDS),
        "data": F(dict),
    },
}

# --- What the server sends ---------------------------------------------------------------------
# One frozen dataclass per server message type: constructing one with a missing, unknown or
# mistyped field raises TypeError, so a service cannot emit a malformed message. Services and
# selectors build every server message through these; ``envelope`` turns one into the wire
# format. ``docs/protocol.md`` is generated from these definitions (``python -m
# interviews.protocol``) and a test keeps it in step.

JSON = dict[str, Any]

SERVER_MESSAGES: dict[str, type["ServerMessage"]] = {}


class ServerMessage:
    """Base of the server's messages. Subclasses are keyword-only frozen dataclasses with a
    ``TYPE`` (the wire type), ``TO`` (who receives it, for people) and ``OPTIONAL`` (fields
    left out of the payload while None)."""

    TYPE: ClassVar[str]
    TO: ClassVar[str]
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE" in cls.__dict__:
            SERVER_MESSAGES[cls.TYPE] = cls

    def __post_init__(self) -> None:
        for name, kinds in _field_kinds(type(self)).items():
            value = getattr(self, name)
            if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
                raise TypeError(
                    f"{self.TYPE}.{name} must be {' or '.join(k.__name__ for k in kinds)}, "
                    f"not {type(value).__name__}"
                )

    def payload(self) -> JSON:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)  # type: ignore[arg-type]
            if not (f.name in self.OPTIONAL and getattr(self, f.name) is None)
        }


_KINDS: dict[type, dict[str, tuple[type, ...]]] = {}


def _field_kinds(cls: type) -> dict[str, tuple[type, ...]]:
    """Each field's allowed runtime types, from its annotation (cached per class)."""
    cached = _KINDS.get(cls)
    if cached is None:
        cached = {}
        for name, hint in get_type_hints(cls).items():
            if get_origin(hint) is ClassVar:
                continue
            options = get_args(hint) if get_origin(hint) in (UnionType, Union) else (hint,)
            cached[name] = tuple(get_origin(o) or (type(None) if o is None else o) for o in options)
        _KINDS[cls] = cached
    return cached


@dataclass_transform(kw_only_default=True, frozen_default=True)
def _message[M: ServerMessage](cls: type[M]) -> type[M]:
    """Makes a server message class a keyword-only frozen dataclass (``dataclass_transform``
    tells type checkers so: a wrong keyword is an error before it runs)."""
    return dataclass(frozen=True, kw_only=True, slots=True)(cls)


@_message
class Snapshot(ServerMessage):
    TYPE = "snapshot"
    TO = "the connecting socket"
    OPTIONAL = frozenset({"scores", "panel", "references", "marks", "caps"})
    interview: JSON  # id, kind, status, step_index, paused, case, target_level, revealed_steps
    me: JSON  # role, user_id, name
    steps: list  # key, title, minutes, near_at, over_at (seconds: the budget marks)
    clock: JSON
    phase: str
    label: str
    actions: list  # what this socket may do now (interviews/flow.py, RULES)
    why_not: JSON  # action -> why it is not possible now, for the role's other actions
    presence: list
    docs: list  # name, update: each shared document the role may read, whole
    chat: list
    deliveries: list
    server_now: str
    ice_servers: list  # for the call: STUN and TURN (with credentials that expire)
    scores: list | None = None  # the interviewer's only
    panel: JSON | None = None  # the interviewer's only: step, html
    references: list | None = None  # a solo drill's revealed reference notes
    marks: list | None = None  # the interviewer's only: kind, key, value
    caps: JSON | None = None  # the interviewer's only: step -> {cap, why} (see Caps)


@_message
class State(ServerMessage):
    TYPE = "state"
    TO = "each role (its own actions)"
    status: str
    phase: str  # the status, with "paused" split out of "live"
    label: str  # the phase in words
    step_index: int
    paused: bool
    clock: JSON
    server_now: str
    actions: list
    why_not: JSON


@_message
class Presence(ServerMessage):
    TYPE = "presence"
    TO = "both"
    participants: list  # role, name, online


@_message
class DocUpdate(ServerMessage):
    TYPE = "doc.update"
    TO = "the other sockets that may read the document"
    doc: str
    update: str  # a Yjs update, base64


@_message
class DocSync(ServerMessage):
    TYPE = "doc.sync"
    TO = "the sender of doc.sync"
    doc: str
    update: str  # what the sender's state vector lacks, base64
    sv: str  # the server's state vector, base64: the sender answers with what the server lacks


@_message
class CallSignal(ServerMessage):
    TYPE = "call.signal"
    TO = "the other person's sockets (never stored)"
    sender: str  # the role that sent it
    kind: str  # one of CALL_KINDS
    data: JSON  # as the sender gave it, in the shape CALL_DATA names for the kind


@_message
class CallLink(ServerMessage):
    TYPE = "call.link"
    TO = "both, when the interviewer changes the meeting link before the start"
    url: str  # an https address (interviews/calls.py, call_link_clean), or "" for none


@_message
class Ack(ServerMessage):
    TYPE = "ack"
    TO = "the sender, once its messages are durable"
    ids: list  # the envelope ids of the sender's messages now committed


@_message
class ChatPosted(ServerMessage):
    TYPE = "chat.message"
    TO = "both"
    id: str  # the sender's message id
    author: str
    role: str
    text: str
    at: str


@_message
class Delivered(ServerMessage):
    TYPE = "delivery"
    TO = "both"
    step: str
    kind: str  # hint | curveball
    index: int
    text: str
    sent_at: str


@_message
class HintHeld(ServerMessage):
    TYPE = "hint.held"
    TO = "interviewer"
    step: str
    kind: str  # hint | curveball
    index: int
    undo_ms: int  # how long it waits for an undo before it reaches the candidate


@_message
class HintWithdrawn(ServerMessage):
    TYPE = "hint.withdrawn"
    TO = "interviewer"
    step: str
    kind: str
    index: int


@_message
class Panel(ServerMessage):
    TYPE = "panel"
    TO = "interviewer"
    step: str
    html: str  # the guide and the scoring for the step, from interviews/_panel.html


@_message
class ScoreRecorded(ServerMessage):
    TYPE = "score.recorded"
    TO = "interviewer"
    OPTIONAL = frozenset({"rev"})
    criterion: str
    level: int | None
    not_observed: bool
    evidence: str
    rev: int | None = None  # the sender's revision (score.record), when it gave one


@_message
class MarkRecorded(ServerMessage):
    TYPE = "mark.recorded"
    TO = "the interviewer's other sockets"
    kind: str  # concept | flag
    key: str
    value: str  # unprompted | hinted | missed | observed, or "" (cleared)


@_message
class Caps(ServerMessage):
    TYPE = "caps"
    TO = "interviewer, whenever a hint changes them"
    # step key -> {"cap": the highest level its criteria count at, "why": in words}; computed by
    # rubrics.scoring from the hints sent (the browser shows it and computes nothing)
    caps: JSON


@_message
class Reference(ServerMessage):
    TYPE = "reference"
    TO = "solo candidate"
    step: str
    html: str


@_message
class Ended(ServerMessage):
    TYPE = "ended"
    TO = "both"
    status: str
    redirect: str  # where the page goes next


@_message
class Pong(ServerMessage):
    TYPE = "pong"
    TO = "the sender"


@_message
class Error(ServerMessage):
    TYPE = "error"
    TO = "the sender"
    code: str
    message: str
    in_response: str | None


@dataclass(frozen=True)
class Message:
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


def parse(raw: str | bytes | None) -> Message:
    """Parse and validate one client message, or raise ProtocolError."""
    if raw is None:
        raise ProtocolError(ErrorCode.BAD_JSON, "send text frames containing JSON")
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            ErrorCode.TOO_LARGE, f"message is {size} bytes, the limit is {MAX_MESSAGE_BYTES}"
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError(ErrorCode.BAD_JSON, "message is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_JSON, "message must be a JSON object")
    problem = _unstorable(data)
    if problem:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, problem)
    message_id = data.get("id")
    if message_id is not None and (
        not isinstance(message_id, str) or len(message_id) > MAX_ID_CHARS
    ):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"id must be a string of at most {MAX_ID_CHARS} characters"
        )
    extra = set(data) - {"type", "id", "payload"}
    if extra:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"unknown envelope field {sorted(extra)[0]!r}", message_id
        )
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in CLIENT_MESSAGES:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}", message_id)
    if kind in NEEDS_ID and not message_id:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{kind}: needs an id", message_id)
    payload = data.get("payload", {})
    if not isinstance(payload, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "payload must be an object", message_id)
    schema = CLIENT_MESSAGES[kind]
    unknown = set(payload) - set(schema)
    if unknown:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{kind}: unknown field {sorted(unknown)[0]!r}", message_id
        )
    clean = {}
    for name, spec in schema.items():
        if name not in payload:
            if spec.required:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"{kind}: {name!r} is required", message_id
                )
            continue
        clean[name] = _check_field(kind, name, spec, payload[name], message_id)
    if kind == "call.signal":
        check_call_signal(clean, message_id)
    return Message(type=kind, payload=clean, id=message_id)


def _check_object(where: str, schema: dict[str, F], value: dict, message_id: str | None) -> None:
    unknown = set(value) - set(schema)
    if unknown:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{where}: unknown field {sorted(unknown)[0]!r}", message_id
        )
    for name, spec in schema.items():
        if name not in value:
            if spec.required:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"{where}: {name!r} is required", message_id
                )
            continue
        _check_field(where, name, spec, value[name], message_id)


def check_call_signal(payload: dict[str, Any], message_id: str | None) -> None:
    """A call signal's ``data`` has the shape its kind names (CALL_DATA), down to the session
    description's type (the kind itself) and the candidate's fields; anything else is refused
    before it reaches the other person's browser."""
    kind, data = payload["kind"], payload["data"]
    where = f"call.signal {kind}"
    _check_object(where, CALL_DATA[kind], data, message_id)
    for name, schema in CALL_NESTED.items():
        if name in data:
            _check_object(f"{where} {name}", schema, data[name], message_id)
    if "description" in data and data["description"]["type"] != kind:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{where}: the description's type must be {kind!r}", message_id
        )


MAX_DEPTH = 12


def _unstorable(value: Any, depth: int = 0) -> str:
    """Why a decoded message could not be stored or sent on as it is, or "": nested too deep,
    a NUL character (PostgreSQL text refuses it), a lone surrogate (not UTF-8)."""
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        if "\x00" in value:
            return "text may not contain NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text must be valid Unicode (no lone surrogates)"
        return ""
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _unstorable(key, depth + 1) or _unstorable(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = _unstorable(item, depth + 1)
            if problem:
                return problem
    return ""


def _type_names(kind: type | tuple[type, ...]) -> str:
    """``str``, or ``dict or NoneType`` for a field that takes several types."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _check_field(kind: str, name: str, spec: F, value: Any, message_id: str | None) -> Any:
    def bad(why: str) -> ProtocolError:
        return ProtocolError(ErrorCode.BAD_MESSAGE, f"{kind}: {name!r} {why}", message_id)

    if value is None:
        if spec.nullable:
            return None
        raise bad("must not be null")
    # bool is an int in Python; JSON true is not a revision number.
    if isinstance(value, bool) and spec.kind is not bool:
        raise bad(f"must be {_type_names(spec.kind)}")
    if not isinstance(value, spec.kind):
        raise bad(f"must be {_type_names(spec.kind)}")
    if isinstance(value, str):
        if len(value) > (spec.max_length or len(value)):
            raise bad(f"is longer than {spec.max_length} characters")
        if len(value.strip()) < spec.min_length:
            raise bad("must not be empty")
        if spec.choices and value not in spec.choices:
            raise bad(f"must be one of {', '.join(spec.choices)}")
    if isinstance(value, int) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            raise bad(f"must be at least {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise bad(f"must be at most {spec.maximum}")
    return value


def envelope(message: ServerMessage) -> JSON:
    """The wire form of a server message."""
    return {"type": message.TYPE, "payload": message.payload()}


def error(
    code: ErrorCode | str, message: str, in_response: str | None = None, **extra: Any
) -> JSON:
    return envelope(Error(code=str(code), message=message, in_response=in_response, **extra))


class TokenBucket:
    """Per-socket flood control: ``rate`` messages a second on average, bursts up to
    ``burst``. Typing at full speed with debounced saves stays far below it."""

    def __init__(self, rate: float = 15.0, burst: int = 40, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.updated = float(burst), clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# --- The reference tables of docs/protocol.md, generated from the definitions above ------------

# What each error code means, for people (docs/protocol.md).
ERROR_MEANINGS: dict[str, str] = {
    "bad_json": "not JSON, or not a JSON object",
    "too_large": "over MAX_MESSAGE_BYTES",
    "unknown_type": "a type clients may not send",
    "bad_message": "missing, unknown or mistyped fields",
    "rate_limited": "too many messages too fast; slow down and resend",
    "forbidden": "the sender's role may not do this",
    "invalid_state": "not possible in the interview's current status",
    "invalid_step": "not an allowed step move, or no such step",
    "stale": "the interview moved on since the client's view (step, clock)",
    "not_found": "no such criterion, hint or document slot",
    "too_late": "the hint reached the candidate already: it cannot be taken back",
    "server_error": "our fault; nothing was saved",
}


DOC_START = "<!-- generated by `python -m interviews.protocol`: do not edit by hand -->"
DOC_END = "<!-- end of generated tables -->"


def _kind_name(spec: F) -> str:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    names = {str: "string", int: "integer", bool: "boolean", dict: "object", list: "array"}
    text = " or ".join(names.get(k, k.__name__) for k in kinds)
    if spec.choices:
        text = " \\| ".join(f"`{c}`" for c in spec.choices)
    limits = []
    if spec.minimum is not None or spec.maximum is not None:
        limits.append(f"{spec.minimum if spec.minimum is not None else ''}–{spec.maximum or ''}")
    if spec.max_length:
        limits.append(f"≤ {spec.max_length} chars")
    if spec.nullable:
        limits.append("or null")
    if not spec.required:
        limits.append("optional")
    return text + (f" ({', '.join(limits)})" if limits else "")


def reference_tables() -> str:
    """The client and server message tables, as Markdown."""
    lines = ["### Client → server", "", "| type | payload fields |", "|---|---|"]
    for kind, schema in CLIENT_MESSAGES.items():
        fields_text = "; ".join(f"`{n}`: {_kind_name(s)}" for n, s in schema.items()) or "—"
        lines.append(f"| `{kind}` | {fields_text} |")
    lines += ["", "### Server → client", "", "| type | to | payload fields |", "|---|---|---|"]
    for kind, cls in SERVER_MESSAGES.items():
        parts = []
        for name, kinds in _field_kinds(cls).items():
            names = "/".join("null" if k is type(None) else k.__name__ for k in kinds)
            optional = " (optional)" if name in cls.OPTIONAL else ""
            parts.append(f"`{name}`: {names}{optional}")
        lines.append(f"| `{kind}` | {cls.TO} | {'; '.join(parts) or '—'} |")
    lines += ["", "### Error codes", "", "| code | meaning |", "|---|---|"]
    lines += [f"| `{code.value}` | {ERROR_MEANINGS[code.value]} |" for code in ErrorCode]
    return "\n".join(lines)


def write_reference(path: str) -> bool:
    """Replace the generated block of ``path`` with the current tables; True if it changed."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    head, _, rest = text.partition(DOC_START)
    _, _, tail = rest.partition(DOC_END)
    new = f"{head}{DOC_START}\n\n{reference_tables()}\n\n{DOC_END}{tail}"
    if new != text:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(new)
    return new != text


if __name__ == "__main__":  # python -m interviews.protocol: refresh docs/protocol.md
    import pathlib

    doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
    print("updated" if write_reference(str(doc)) else "unchanged", doc)

"""The live room's wire format, in one place. ``docs/protocol.md`` describes it for people.

Every message is a JSON object ``{"type": str, "id": str?, "payload": object}``. Clients send
the types in ``CLIENT_MESSAGES``; the server emits those in ``SERVER_MESSAGES``. Each client type
has a schema: unknown fields are refused, required fields must be present and of the right type.
Bad input gets ``{"type": "error", "payload": {"code", "message", "in_response"}}`` and the
socket stays open.
"""

import json
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_MESSAGE_BYTES = 64 * 1024
MAX_DOCUMENT_CHARS = 20_000
MAX_CHAT_CHARS = 2_000
MAX_EVIDENCE_CHARS = 2_000
MAX_ID_CHARS = 64


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
    STALE_REVISION = "stale_revision"  # document edited since base_revision; payload has current
    NOT_FOUND = "not_found"  # no such criterion, hint or document slot
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

CLIENT_MESSAGES: dict[str, dict[str, F]] = {
    "ping": {},
    "interview.start": {},
    "interview.end": {},
    "clock.pause": {},
    "clock.resume": {},
    "step.move": {"from": STEP_KEY, "to": STEP_KEY},
    "doc.edit": {
        "slot": F(str, max_length=60, min_length=1),
        "base_revision": F(int, minimum=0),
        "text": F(str, max_length=MAX_DOCUMENT_CHARS),
    },
    "chat.send": {"text": F(str, max_length=MAX_CHAT_CHARS, min_length=1)},
    "hint.send": {
        "step": STEP_KEY,
        "kind": F(str, choices=("hint", "curveball")),
        "index": F(int, minimum=0, maximum=99),
    },
    "score.record": {
        "criterion": F(str, max_length=60, min_length=1),
        "level": F(int, minimum=1, maximum=4, nullable=True),
        "not_observed": F(bool, required=False),
        "evidence": F(str, required=False, max_length=MAX_EVIDENCE_CHARS),
    },
    "reference.reveal": {"step": STEP_KEY},
}

# What the server emits, with the payload keys each always carries (checked in tests).
SERVER_MESSAGES: dict[str, frozenset[str]] = {
    "snapshot": frozenset(
        {
            "interview",
            "me",
            "steps",
            "clock",
            "presence",
            "documents",
            "chat",
            "deliveries",
            "server_now",
        }
    ),
    "state": frozenset({"status", "step_index", "paused", "clock", "server_now"}),
    "presence": frozenset({"participants"}),
    "doc.saved": frozenset({"slot", "revision"}),
    "doc.updated": frozenset({"slot", "text", "revision", "by"}),
    "chat.message": frozenset({"id", "author", "role", "text", "at"}),
    "delivery": frozenset({"step", "kind", "index", "text", "sent_at"}),
    "panel": frozenset({"step", "html"}),  # interviewer only: guide + scoring for a step
    "score.recorded": frozenset({"criterion", "level", "not_observed", "evidence"}),  # interviewer
    "reference": frozenset({"step", "html"}),  # solo drill: revealed reference notes
    "ended": frozenset({"status", "redirect"}),
    "pong": frozenset(),
    "error": frozenset({"code", "message", "in_response"}),
}


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
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(ErrorCode.BAD_JSON, "message is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_JSON, "message must be a JSON object")
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
    return Message(type=kind, payload=clean, id=message_id)


def _check_field(kind: str, name: str, spec: F, value: Any, message_id: str | None) -> Any:
    def bad(why: str) -> ProtocolError:
        return ProtocolError(ErrorCode.BAD_MESSAGE, f"{kind}: {name!r} {why}", message_id)

    if value is None:
        if spec.nullable:
            return None
        raise bad("must not be null")
    # bool is an int in Python; JSON true is not a revision number.
    if isinstance(value, bool) and spec.kind is not bool:
        raise bad(f"must be {spec.kind.__name__}")
    if not isinstance(value, spec.kind):
        raise bad(f"must be {spec.kind.__name__}")
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


def envelope(kind: str, payload: dict | None = None) -> dict:
    if kind not in SERVER_MESSAGES:
        raise ValueError(f"{kind!r} is not a server message type")
    return {"type": kind, "payload": payload or {}}


def error(
    code: ErrorCode | str, message: str, in_response: str | None = None, **extra: Any
) -> dict:
    return envelope(
        "error", {"code": str(code), "message": message, "in_response": in_response, **extra}
    )


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

"""What the load generator measured, summarised per stage: no Django, no sockets.

Every client message the load sends is one record ``[sent_at, kind, delay]``: ``delay`` is
filled in when the receipt that proves it arrived is seen, and stays ``None`` if it never is.
A stage is summarised only after the run's grace period, over the messages *sent* inside its
window, so a message still in flight when the window closed counts with its true delay (or as
lost), never silently dropped.
"""

import math
from collections import defaultdict

LATE_S = 1.0  # a message slower than this is late, whatever else
PEER_KINDS = ("notes", "diagram", "chat", "hint", "step", "pause", "resume")


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def summarize(delays: list[float]) -> dict:
    """p50/p95/p99/max/mean in ms of delays in seconds."""
    if not delays:
        return {"count": 0}
    ordered = sorted(delays)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 2),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(sum(ordered) / len(ordered) * 1000, 2),
    }


def window_records(records: list[list], start: float, end: float) -> list[list]:
    """The records sent in [start, end), less those the server refused (kind None)."""
    return [r for r in records if start <= r[0] < end and r[1] is not None]


def delivery(records: list[list], start: float, end: float, peer_kinds=PEER_KINDS) -> dict:
    """Per kind and over the peer kinds: delays of what was sent in [start, end), with late
    (over a second) and lost (never arrived) counted; late ones are in the percentiles."""
    inside = window_records(records, start, end)
    by_kind: dict[str, list[float]] = defaultdict(list)
    lost: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    for _sent, kind, delay in inside:
        if delay is None:
            lost[kind] += 1
            continue
        by_kind[kind].append(delay)
        if delay > LATE_S:
            late[kind] += 1
    kinds = {}
    for kind in sorted(set(by_kind) | set(lost)):
        kinds[kind] = {**summarize(by_kind[kind]), "late": late[kind], "lost": lost[kind]}
    peer = [d for kind in peer_kinds for d in by_kind.get(kind, [])]
    return {
        "peer": {
            **summarize(peer),
            "late": sum(late[k] for k in peer_kinds),
            "lost": sum(lost[k] for k in peer_kinds),
        },
        "by_kind": kinds,
        "lost": sum(lost.values()),
        "late": sum(late.values()),
    }


def backlog_at(records: list[list], moment: float) -> dict:
    """Messages sent before ``moment`` that had not arrived by then (in flight, queued
    anywhere, or lost), and the age of the oldest of them: a growing backlog is a server that
    cannot keep up, whatever the percentiles of what did arrive say."""
    count, oldest = 0, 0.0
    for sent, kind, delay in records:
        if sent >= moment or kind is None:
            continue
        if delay is None or sent + delay > moment:
            count += 1
            oldest = max(oldest, moment - sent)
    return {"count": count, "oldest_ms": round(oldest * 1000, 1)}


def typing_lag(samples: list[tuple[float, float]], start: float, end: float) -> dict:
    """Samples of the age of the oldest character the peer has not yet seen, taken while a
    candidate types (0 when the peer has seen everything typed)."""
    inside = sorted(lag for at, lag in samples if start <= at < end)
    if not inside:
        return {"samples": 0}
    return {
        "samples": len(inside),
        "p50_ms": round(percentile(inside, 0.50) * 1000, 1),
        "p99_ms": round(percentile(inside, 0.99) * 1000, 1),
        "max_ms": round(inside[-1] * 1000, 1),
    }


class Tracker:
    """Every timed message as ``[sent_at, kind, delay]``, the receipts still expected, the
    acknowledgements still expected, errors and counters."""

    def __init__(self) -> None:
        self.records: list[list] = []
        self.pending: dict[tuple, list] = {}
        self.holds: dict[tuple, float] = {}  # receipts the server holds on purpose, and how long
        self.keys_of: dict[str, list[tuple]] = {}  # message id -> its expected receipts
        self.acks: list[list] = []  # [sent_at, kind, delay]
        self.ack_pending: dict[tuple[int, str], list] = {}
        self.lag_samples: list[tuple[float, float]] = []
        self.errors: list[tuple[float, str]] = []
        self.sent = 0  # every client message, pings included
        self.received = 0
        self.duplicates = 0

    def expect(self, key: tuple, kind: str, at: float, message_id: str) -> None:
        record = [at, kind, None]
        if key in self.pending:
            self.duplicates += 1  # cannot be told apart from the earlier one: not timed
            return
        self.records.append(record)
        self.pending[key] = record
        self.keys_of.setdefault(message_id, []).append(key)

    def hold(self, key: tuple, seconds: float) -> None:
        """The server says it holds the receipt ``key`` for ``seconds`` on purpose (a hint's
        undo window): its delay is counted from when the hold ends."""
        if key in self.pending:
            self.holds[key] = seconds

    def arrive(self, key: tuple, at: float) -> None:
        record = self.pending.pop(key, None)
        if record is not None:
            record[2] = at - record[0] - self.holds.pop(key, 0.0)

    def expect_ack(self, room: int, message_id: str, kind: str, at: float) -> None:
        record = [at, kind, None]
        self.acks.append(record)
        self.ack_pending[(room, message_id)] = record

    def acked(self, room: int, message_id: str, at: float) -> list | None:
        record = self.ack_pending.pop((room, message_id), None)
        if record is not None:
            record[2] = at - record[0]
        return record

    def refuse(self, room: int, message_id: str | None, code: str, at: float) -> None:
        """An error envelope: counted as an error; what it refused is no longer expected
        (refused is not lost)."""
        self.errors.append((at, code))
        if message_id is None:
            return
        self.ack_pending.pop((room, message_id), None)
        for key in self.keys_of.pop(message_id, []):
            record = self.pending.pop(key, None)
            if record is not None:
                record[1] = None  # refused: neither timed nor lost (bench.stats skips it)

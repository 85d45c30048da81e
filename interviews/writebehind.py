"""Durability off the hot path: the live room's writes, coalesced and committed in batches.

A message in the room (a keystroke's document update, a chat message, a hint, a score, a
revealed reference) is checked against the room's state in memory and relayed to the peer at
once (interviews/live.py); what must be kept is queued here. Every ``WINDOW`` seconds, and at
once when the room asks (a step move, the end, a socket leaving), the queued writes of every
room of this process are committed in one transaction with one statement per table; only then
is each author told which of their messages are durable (an ``ack``). A browser keeps what is
not acknowledged and sends it again after a reconnect; every write here is idempotent (a chat
message's id, a delivery's unique key, a score's upsert, a CRDT update merged twice is merged
once), so a resend is harmless.

``persist`` is the one function that writes these rows: the room, the tests and the
benchmark's seed all go through it.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    router,
    transaction,
)
from django.db.models import Model
from django.utils import timezone

from . import crdt
from .events import EventKind
from .models import (
    ChatMessage,
    Delivery,
    Document,
    DocumentState,
    DocumentUpdate,
    Event,
    Interview,
    Mark,
    Score,
)

log = logging.getLogger(__name__)
WINDOW = 0.2  # seconds between flushes while writes wait
CHUNK = 400  # rows per statement at most (parameter limits)
STATE_EVERY = 50  # flushes of a document between two folded states


@dataclass
class Ack:
    """Who to tell that a message is durable: a callable taking the message ids."""

    send: Callable[[list[str]], Any]
    message_id: str
    interview_id: UUID | None = None


@dataclass
class Batch:
    """Everything one flush writes, across rooms."""

    updates: list[tuple[UUID, str, bytes, datetime, int | None]] = field(default_factory=list)
    states: dict[tuple[UUID, str], tuple[bytes, datetime]] = field(default_factory=dict)
    texts: dict[tuple[UUID, str], tuple[str, bool, int | None, datetime]] = field(
        default_factory=dict
    )
    chats: list[tuple[UUID, str, int, str, datetime]] = field(default_factory=list)
    deliveries: list[tuple[UUID, str, str, int, str, int, datetime]] = field(default_factory=list)
    scores: dict[tuple[UUID, int], tuple[int | None, bool, str, datetime]] = field(
        default_factory=dict
    )
    # (interview, source, kind, key) -> (value, step key, text, critical, actor, at)
    marks: dict[tuple[UUID, str, str, str], tuple[str, str, str, bool, int | None, datetime]] = (
        field(default_factory=dict)
    )
    reveals: dict[UUID, list[str]] = field(default_factory=dict)
    events: list[tuple[UUID, datetime, int | None, str, str, str, dict]] = field(
        default_factory=list
    )

    def __bool__(self) -> bool:
        return bool(
            self.updates
            or self.states
            or self.texts
            or self.chats
            or self.deliveries
            or self.scores
            or self.marks
            or self.reveals
            or self.events
        )

    def interviews(self) -> set[UUID]:
        # One set per collection: their rows differ in shape, and only the first item matters.
        ids = {row[0] for row in self.updates} | {row[0] for row in self.chats}
        ids |= {row[0] for row in self.deliveries} | {row[0] for row in self.events}
        ids |= {key[0] for key in self.states} | {key[0] for key in self.texts}
        ids |= {key[0] for key in self.scores} | {key[0] for key in self.marks}
        return ids | set(self.reveals)

    def only(self, interview_id: UUID) -> "Batch":
        """The part of this batch that belongs to one interview."""
        return Batch(
            updates=[r for r in self.updates if r[0] == interview_id],
            states={k: v for k, v in self.states.items() if k[0] == interview_id},
            texts={k: v for k, v in self.texts.items() if k[0] == interview_id},
            chats=[r for r in self.chats if r[0] == interview_id],
            deliveries=[r for r in self.deliveries if r[0] == interview_id],
            scores={k: v for k, v in self.scores.items() if k[0] == interview_id},
            marks={k: v for k, v in self.marks.items() if k[0] == interview_id},
            reveals={k: v for k, v in self.reveals.items() if k == interview_id},
            events=[r for r in self.events if r[0] == interview_id],
        )

    def event(
        self,
        interview_id: UUID,
        kind: EventKind,
        actor_id: int | None,
        *,
        at: datetime,
        step_key: str = "",
        private: bool = False,
        **data: Any,
    ) -> None:
        visibility = Event.Visibility.INTERVIEWER if private else Event.Visibility.ALL
        self.events.append((interview_id, at, actor_id, str(kind), step_key, visibility, data))

    # What each kind of write stores: the row and its timeline event, in one place for the
    # room, the tests and the benchmark's seed.

    def chat(
        self, interview_id: UUID, message_id: str, author_id: int, text: str, at: datetime
    ) -> None:
        self.chats.append((interview_id, message_id, author_id, text, at))
        self.event(interview_id, EventKind.CHAT, author_id, at=at, message_id=message_id, text=text)

    def delivery(
        self,
        interview_id: UUID,
        step: str,
        kind: str,
        index: int,
        text: str,
        sent_by: int,
        at: datetime,
    ) -> None:
        self.deliveries.append((interview_id, step, kind, index, text, sent_by, at))
        sent = EventKind.HINT_SENT if kind == "hint" else EventKind.CURVEBALL_SENT
        self.event(interview_id, sent, sent_by, at=at, step_key=step, index=index, text=text)

    def score(
        self,
        interview_id: UUID,
        criterion: tuple[int, str, str],  # id, key, step key
        level: int | None,
        not_observed: bool,
        evidence: str,
        actor_id: int,
        at: datetime,
    ) -> None:
        criterion_id, key, step_key = criterion
        self.scores[(interview_id, criterion_id)] = (level, not_observed, evidence, at)
        self.event(
            interview_id,
            EventKind.SCORE_INTERVIEWER,
            actor_id,
            at=at,
            step_key=step_key,
            private=True,
            criterion=key,
            level=level,
            not_observed=not_observed,
            evidence=evidence,
        )

    def mark(
        self,
        interview_id: UUID,
        mark: tuple[str, str, str],  # kind (concept | flag), key, value ("" clears it)
        actor_id: int | None,
        at: datetime,
        *,
        source: str = Score.Source.INTERVIEWER,
        step_key: str = "",
        label: str = "",  # the concept, or the red flag's text
        critical: bool = False,
    ) -> None:
        """A checklist concept or a red flag marked: the row (upserted) and its event, private
        to the interviewer when it is theirs."""
        kind, key, value = mark
        text = label if kind == Mark.Kind.FLAG else ""
        self.marks[(interview_id, source, kind, key)] = (
            value,
            step_key,
            text,
            critical,
            actor_id,
            at,
        )
        self.event(
            interview_id,
            EventKind.MARK,
            actor_id,
            at=at,
            step_key=step_key,
            private=source == Score.Source.INTERVIEWER,
            mark=kind,
            key=key,
            value=value,
            source=source,
            label=label,
            critical=critical,
        )

    def reveal(
        self, interview_id: UUID, step_key: str, revealed: list[str], actor_id: int, at: datetime
    ) -> None:
        self.reveals[interview_id] = revealed
        self.event(interview_id, EventKind.REFERENCE_REVEALED, actor_id, at=at, step_key=step_key)

    def document_texts(
        self,
        interview_id: UUID,
        doc: str,
        texts: dict[str, str],
        actor_id: int | None,
        at: datetime,
    ) -> None:
        """Whole texts written into a document's empty roots, as a shared-document update and
        the plain text beside it (fixtures and the benchmark's seed; the room sends updates)."""
        update = crdt.merge(crdt.text_update(slot, text) for slot, text in texts.items())
        if update:
            self.updates.append((interview_id, doc, update, at, actor_id))
        for slot, text in texts.items():
            self.texts[(interview_id, slot)] = (text, doc == crdt.PRIVATE, actor_id, at)


def _rows(
    cursor: Any,
    model: type[Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    tail: str = "",
) -> None:
    """``INSERT INTO model (names) VALUES (...), (...) tail`` in chunks, each value prepared by
    its field's own adapter so the same code runs on PostgreSQL and SQLite."""
    if not rows:
        return
    connection = cursor.db
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)  # type: ignore[union-attr]
    if connection.vendor == "postgresql":
        # One array per column, unnested into rows: the statement has one placeholder per
        # column whatever the number of rows, so psycopg parses it once and caches it (a VALUES
        # list with a placeholder per value was parsed anew at every flush: 13% of a loaded
        # server's CPU in a profile).
        arrays = [
            [f.get_db_prep_save(row[i], connection) for row in rows]  # type: ignore[union-attr]
            for i, f in enumerate(fields)
        ]
        casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM unnest({casts})"  # noqa: S608
            + (f" {tail}" if tail else ""),
            arrays,
        )
        return
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params = [
            f.get_db_prep_save(value, connection)  # type: ignore[union-attr]
            for row in chunk
            for f, value in zip(fields, row, strict=True)
        ]
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
            + ", ".join([one] * len(chunk))
            + (f" {tail}" if tail else ""),
            params,
        )


def _persist_documents(cursor: Any, q: Callable[[str], str], batch: Batch) -> None:
    """The documents' update log, their folded states and their plain texts."""
    _rows(
        cursor,
        DocumentUpdate,
        ("interview", "doc", "data", "at", "actor"),
        batch.updates,
    )
    _rows(
        cursor,
        DocumentState,
        ("interview", "doc", "state", "at"),
        [(i, d, s, at) for (i, d), (s, at) in batch.states.items()],
        f"ON CONFLICT ({q('interview_id')}, {q('doc')}) DO UPDATE SET"
        f" {q('state')} = EXCLUDED.{q('state')}, {q('at')} = EXCLUDED.{q('at')}",
    )
    _rows(
        cursor,
        Document,
        ("interview", "slot", "text", "private", "revision", "updated_by", "updated_at"),
        [
            (i, slot, text, private, 1, actor, at)
            for (i, slot), (text, private, actor, at) in batch.texts.items()
        ],
        f"ON CONFLICT ({q('interview_id')}, {q('slot')}) DO UPDATE SET"
        f" {q('text')} = EXCLUDED.{q('text')},"
        f" {q('revision')} = {q(Document._meta.db_table)}.{q('revision')} + 1,"
        f" {q('updated_by_id')} = EXCLUDED.{q('updated_by_id')},"
        f" {q('updated_at')} = EXCLUDED.{q('updated_at')}",
    )


def _persist_talk(cursor: Any, q: Callable[[str], str], batch: Batch) -> None:
    """Chat messages and hints delivered (a resent one is stored once)."""
    _rows(
        cursor,
        ChatMessage,
        ("interview", "client_id", "author", "text", "at"),
        batch.chats,
        f"ON CONFLICT ({q('interview_id')}, {q('client_id')}) DO NOTHING",
    )
    _rows(
        cursor,
        Delivery,
        ("interview", "step_key", "kind", "index", "text", "sent_by", "sent_at"),
        batch.deliveries,
        f"ON CONFLICT ({q('interview_id')}, {q('step_key')}, {q('kind')}, {q('index')}) DO NOTHING",
    )


def _persist_scoring(cursor: Any, q: Callable[[str], str], batch: Batch) -> None:
    """The interviewer's scores and marks (the last write of each wins)."""
    _rows(
        cursor,
        Score,
        ("interview", "criterion", "source", "level", "not_observed", "evidence", "updated_at"),
        [
            (i, c, Score.Source.INTERVIEWER, level, no, evidence, at)
            for (i, c), (level, no, evidence, at) in batch.scores.items()
        ],
        f"ON CONFLICT ({q('interview_id')}, {q('criterion_id')}, {q('source')}) DO UPDATE"
        f" SET {q('level')} = EXCLUDED.{q('level')},"
        f" {q('not_observed')} = EXCLUDED.{q('not_observed')},"
        f" {q('evidence')} = EXCLUDED.{q('evidence')},"
        f" {q('updated_at')} = EXCLUDED.{q('updated_at')}",
    )
    _rows(
        cursor,
        Mark,
        (
            "interview",
            "source",
            "kind",
            "key",
            "value",
            "step_key",
            "text",
            "critical",
            "updated_by",
            "updated_at",
        ),
        [(*k, *v) for k, v in batch.marks.items()],
        f"ON CONFLICT ({q('interview_id')}, {q('source')}, {q('kind')}, {q('key')}) DO UPDATE"
        f" SET {q('value')} = EXCLUDED.{q('value')},"
        f" {q('step_key')} = EXCLUDED.{q('step_key')},"
        f" {q('text')} = EXCLUDED.{q('text')},"
        f" {q('critical')} = EXCLUDED.{q('critical')},"
        f" {q('updated_by_id')} = EXCLUDED.{q('updated_by_id')},"
        f" {q('updated_at')} = EXCLUDED.{q('updated_at')}",
    )


def _persist_reveals(batch: Batch) -> None:
    """Reference notes revealed in a drill, merged with what a page revealed meanwhile."""
    for interview_id, revealed in batch.reveals.items():
        # A page may reveal too (a drill's wrap-up): keep both, in order.
        row = Interview.objects.select_for_update().filter(pk=interview_id).first()
        if row is not None:
            known = list(row.revealed_steps)
            merged = known + [step for step in revealed if step not in known]
            if merged != known:
                Interview.objects.filter(pk=interview_id).update(revealed_steps=merged)


def persist(batch: Batch) -> None:
    """Write a batch in one transaction, one statement per table. Idempotent: committing the
    same batch twice leaves the same rows (but for the append-only update and event logs,
    where a duplicate is harmless)."""
    if not batch:
        return
    connection = connections[router.db_for_write(Event)]
    q = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _persist_documents(cursor, q, batch)
        _persist_talk(cursor, q, batch)
        _persist_scoring(cursor, q, batch)
        _persist_reveals(batch)
        _rows(
            cursor,
            Event,
            ("interview", "at", "actor", "kind", "step_key", "visibility", "data"),
            batch.events,
        )


@dataclass
class _Pending:
    batch: Batch = field(default_factory=Batch)
    acks: list[Ack] = field(default_factory=list)
    # (room key, document name) -> updates of this window, merged at flush
    doc_updates: dict[tuple[UUID, str], list[bytes]] = field(default_factory=dict)
    doc_actor: dict[tuple[UUID, str], int | None] = field(default_factory=dict)


class Committer:
    """This process's write-behind: collects writes from its rooms and commits them in one
    transaction per window, in a thread of its own (one transaction at a time). Runs in the
    event loop; ``persist`` runs in the thread."""

    def __init__(self, *, window: float = WINDOW) -> None:
        self.window = window
        self.pending = _Pending()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="room-commit")
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._flushing = asyncio.Lock()
        self._hooks: list[Callable[[Batch], None]] = []  # rooms add texts and states at flush
        self.failures = 0
        self.flushed = 0
        self.refused: set[UUID] = set()  # interviews whose writes the database refused
        self.closed = False

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="committer")

    def add_hook(self, hook: Callable[[Batch], None]) -> None:
        self._hooks.append(hook)

    def remove_hook(self, hook: Callable[[Batch], None]) -> None:
        if hook in self._hooks:
            self._hooks.remove(hook)

    def queue_update(
        self, interview_id: UUID, doc: str, update: bytes, actor_id: int | None, ack: Ack | None
    ) -> None:
        key = (interview_id, doc)
        self.pending.doc_updates.setdefault(key, []).append(update)
        self.pending.doc_actor[key] = actor_id
        if ack:
            self.pending.acks.append(ack)
        self._wake.set()

    def queue(self, fill: Callable[[Batch], None], ack: Ack | None = None) -> None:
        """Queue writes: ``fill`` adds them to the pending batch."""
        fill(self.pending.batch)
        if ack:
            self.pending.acks.append(ack)
        self._wake.set()

    async def flush(self) -> bool:
        """Commit what is pending now; True if it is durable (or there was nothing)."""
        if self.closed:
            return False
        async with self._flushing:
            pending, self.pending = self.pending, _Pending()
            now = timezone.now()
            for (interview_id, doc), updates in pending.doc_updates.items():
                merged = crdt.merge(updates)
                if merged:
                    actor = pending.doc_actor.get((interview_id, doc))
                    pending.batch.updates.append((interview_id, doc, merged, now, actor))
            for hook in list(self._hooks):
                hook(pending.batch)
            if not pending.batch and not pending.acks:
                return True
            loop = asyncio.get_running_loop()
            try:
                refused = await loop.run_in_executor(
                    self._executor, _persist_in_thread, pending.batch
                )
            except Exception:
                self.failures += 1
                log.exception("write-behind flush failed; keeping %d writes", len(pending.acks))
                self._restore(pending)
                return False
            self.flushed += 1
            self.refused |= refused
            self._acknowledge([a for a in pending.acks if a.interview_id not in refused])
            return True

    def _restore(self, pending: _Pending) -> None:
        """Put a failed flush back in front of what arrived since, to try again."""
        current = self.pending
        merged = _Pending(batch=pending.batch, acks=pending.acks + current.acks)
        _merge_batch(merged.batch, current.batch)
        merged.doc_updates = dict(current.doc_updates)
        merged.doc_actor = dict(current.doc_actor)
        self.pending = merged
        self._wake.set()

    @staticmethod
    def _acknowledge(acks: list[Ack]) -> None:
        by_sender: dict[Callable, list[str]] = {}
        for ack in acks:
            by_sender.setdefault(ack.send, []).append(ack.message_id)
        for send, ids in by_sender.items():
            try:
                send(ids)
            except Exception:
                log.exception("could not send an acknowledgement")

    async def _run(self) -> None:
        backoff = self.window
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(backoff)
            ok = await self.flush()
            backoff = self.window if ok else min(backoff * 2, 5.0)
            if not ok:
                self._wake.set()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.flush()

    async def close(self) -> None:
        """Close the thread's database connection and the thread."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, connections.close_all)
        self.closed = True
        self._executor.shutdown(wait=False)


def _persist_in_thread(batch: Batch) -> set[UUID]:
    """Persist a batch; returns the interviews whose writes were refused by the database (the
    rest is durable). A connection error raises: everything is tried again.

    One interview's bad row (its interview deleted meanwhile, say) must not block every other
    room's durability: when the batch as a whole is refused for anything but a lost connection,
    each interview's part is tried alone and the parts still refused are dropped, and logged.

    The committer's thread keeps its connection open between flushes (a connection per flush
    would cost more than the flush), and drops it after an error."""
    connection = connections[router.db_for_write(Event)]
    try:
        connection.ensure_connection()
        connection.close_at = None  # never closed for its age: this thread owns it
        persist(batch)
        return set()
    except (OperationalError, InterfaceError):
        connection.close()
        raise
    except DatabaseError:
        log.warning("write-behind: a batch was refused; trying each interview alone")
    refused = set()
    for interview_id in sorted(batch.interviews(), key=str):
        try:
            persist(batch.only(interview_id))
        except (OperationalError, InterfaceError):
            connection.close()
            raise
        except DatabaseError:
            log.exception("write-behind: dropping the writes of interview %s", interview_id)
            refused.add(interview_id)
    return refused


def _merge_batch(into: Batch, other: Batch) -> None:
    into.updates.extend(other.updates)
    into.states.update(other.states)
    into.texts.update(other.texts)
    into.chats.extend(other.chats)
    into.deliveries.extend(other.deliveries)
    into.scores.update(other.scores)
    into.marks.update(other.marks)
    into.reveals.update(other.reveals)
    into.events.extend(other.events)

"""Acknowledgements checked against the database: an ``ack`` promises a message is durable,
so once it arrives the message must be found in PostgreSQL by a fresh connection.

The load generator tells the checker what it sent (``sent``) and what was acknowledged
(``acked``); once a second the checker looks the acknowledged ones up in batches: a chat
message by its id (``interviews_chatmessage``), a hint by its unique key
(``interviews_delivery``), a score by its timeline event and evidence (``interviews_event``,
append-only, so a later score on the same criterion does not hide it), and one document update
in ``DOC_SAMPLE`` by the text it ended with (``interviews_document``, written in the same
transaction as the update). Marks are not looked up (a mark toggles back and forth on the same
key, so a row cannot tell which toggle it holds).

It also reads ``pg_stat_database.xact_commit`` for the load's windows and counts its own
queries, so they can be taken out of the transactions per second.
"""

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

import psycopg

DOC_SAMPLE = 20  # one document update in this many is looked up
TAIL = 24  # characters of the text an update ended with, looked for in the stored text


class AckChecker:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.conn: psycopg.AsyncConnection | None = None
        self.sent: dict[tuple[int, str], tuple[str, Any]] = {}  # (room, id) -> what
        self.queue: list[tuple[str, str, Any]] = []  # (kind, interview, what)
        self.checked: Counter = Counter()
        self.missing: Counter = Counter()
        self.examples: list[str] = []
        self.query_times: list[float] = []
        self.doc_counter = 0
        self.lock = asyncio.Lock()

    async def start(self) -> None:
        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()

    async def _execute(self, sql: str, params: Any = None) -> list[tuple]:
        assert self.conn is not None
        async with self.lock:
            self.query_times.append(time.perf_counter())
            cursor = await self.conn.execute(sql, params)
            return await cursor.fetchall()

    def queries_between(self, start: float, end: float) -> int:
        return sum(1 for at in self.query_times if start <= at <= end)

    async def xact_commit(self) -> int:
        rows = await self._execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(rows[0][0])

    # --- What the load tells it ----------------------------------------------------------------

    def sent_message(self, room: Any, message_id: str, kind: str, what: Any) -> None:
        self.sent[(room.index, message_id)] = (kind, what)

    def sent_update(self, room: Any, message_id: str, doc: str, slot: str, text: str) -> None:
        self.doc_counter += 1
        if self.doc_counter % DOC_SAMPLE == 0 and len(text) >= 8:
            self.sent[(room.index, message_id)] = ("doc", (slot, text[-TAIL:]))

    def acked(self, room: Any, message_id: str, at: float) -> None:
        found = self.sent.pop((room.index, message_id), None)
        if found is not None:
            self.queue.append((found[0], room.interview, found[1]))

    def forget(self, room: Any, message_id: str) -> None:
        self.sent.pop((room.index, message_id), None)

    # --- Looking them up -----------------------------------------------------------------------

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 1.0)
            await self.check()

    async def drain(self) -> None:
        await self.check()

    async def check(self) -> None:
        batch, self.queue = self.queue, []
        by_kind: dict[str, list[tuple[str, Any]]] = {}
        for kind, interview, what in batch:
            by_kind.setdefault(kind, []).append((interview, what))
        if "chat" in by_kind:
            await self._check_chat(by_kind["chat"])
        if "hint" in by_kind:
            await self._check_hints(by_kind["hint"])
        if "score" in by_kind:
            await self._check_scores(by_kind["score"])
        if "doc" in by_kind:
            await self._check_docs(by_kind["doc"])

    def _count(self, kind: str, items: list, found: set) -> None:
        for item in items:
            self.checked[kind] += 1
            if item not in found:
                self.missing[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind} {item!r} acknowledged, not in the database")

    async def _check_chat(self, items: list[tuple[str, str]]) -> None:
        rows = await self._execute(
            "SELECT interview_id::text, client_id FROM interviews_chatmessage"
            " WHERE (interview_id, client_id) IN"
            " (SELECT * FROM unnest(%s::uuid[], %s::text[]))",
            ([i for i, _ in items], [m for _, m in items]),
        )
        self._count("chat", items, set(rows))

    async def _check_hints(self, items: list[tuple[str, tuple]]) -> None:
        rows = await self._execute(
            "SELECT interview_id::text, step_key, kind, index FROM interviews_delivery"
            " WHERE interview_id = ANY(%s::uuid[])",
            ([i for i, _ in items],),
        )
        found = {(i, (s, k, n)) for i, s, k, n in rows}
        self._count("hint", items, found)

    async def _check_scores(self, items: list[tuple[str, str]]) -> None:
        rows = await self._execute(
            "SELECT interview_id::text, data->>'evidence' FROM interviews_event"
            " WHERE interview_id = ANY(%s::uuid[]) AND kind = 'score.interviewer'"
            " AND data->>'evidence' = ANY(%s::text[])",
            ([i for i, _ in items], [e for _, e in items]),
        )
        self._count("score", items, set(rows))

    async def _check_docs(self, items: list[tuple[str, tuple[str, str]]]) -> None:
        rows = await self._execute(
            "SELECT interview_id::text, slot, text FROM interviews_document"
            " WHERE (interview_id, slot) IN (SELECT * FROM unnest(%s::uuid[], %s::text[]))",
            ([i for i, _ in items], [slot for _, (slot, _t) in items]),
        )
        stored = {(i, slot): text for i, slot, text in rows}
        found = {
            (i, (slot, tail)) for i, (slot, tail) in items if tail in stored.get((i, slot), "")
        }
        self._count("doc", items, found)

    def report(self) -> dict:
        return {
            "acks_checked": sum(self.checked.values()),
            "ack_not_durable": sum(self.missing.values()),
            "checked_by_kind": dict(self.checked),
            "examples": self.examples,
        }

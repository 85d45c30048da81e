"""The write-behind: one transaction and one statement per table however many rooms and writes
a flush carries, idempotent rows, acknowledgements only after the commit, one bad room never
blocking the others, and writes kept while the database does not answer."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from pycrdt import Doc, Text

from interviews import crdt, selectors, writebehind
from interviews.models import (
    ChatMessage,
    Delivery,
    Document,
    DocumentState,
    DocumentUpdate,
    Event,
    Mark,
    Score,
)
from rubrics.models import Criterion
from tests import factories
from tests.conftest import table_locked, wait_until
from tests.interviews.conftest import make_peer


def _busy_batch(peers) -> writebehind.Batch:
    batch, now = writebehind.Batch(), timezone.now()
    for peer in peers:
        interview = peer.interview
        criterion = Criterion.objects.get(rubric=interview.rubric, key="clarify-main")
        by, them = peer.interviewer.pk, peer.candidate.pk
        batch.document_texts(interview.pk, "notes", {"notes:clarify": "goals"}, them, now)
        batch.chat(interview.pk, f"c-{interview.pk}", them, "hello", now)
        batch.delivery(interview.pk, "clarify", "hint", 0, "Hint 1", by, now)
        batch.score(interview.pk, (criterion.pk, "clarify-main", "clarify"), 3, False, "e", by, now)
        batch.mark(interview.pk, ("concept", "concept-1", "unprompted"), by, now, label="C 1")
        batch.mark(
            interview.pk,
            ("flag", "data:0", "observed"),
            by,
            now,
            step_key="data",
            label="Red flag 1",
            critical=True,
        )
        batch.states[(interview.pk, "notes")] = (crdt.text_update("notes:clarify", "goals"), now)
    return batch


@pytest.mark.django_db
@pytest.mark.parametrize("rooms", [1, 12])
def test_a_flush_costs_one_statement_per_table_however_many_rooms(
    case, rooms, django_assert_num_queries
):
    peers = [make_peer(case) for _ in range(rooms)]
    batch = _busy_batch(peers)
    # updates, states, texts, chats, deliveries, scores, marks, events (+ the savepoint pair of
    # the test's own transaction): the same count for 1 room or 12.
    with django_assert_num_queries(10):
        writebehind.persist(batch)
    assert Document.objects.count() == rooms and ChatMessage.objects.count() == rooms
    assert Mark.objects.count() == 2 * rooms
    kinds = ["chat", "hint.sent", "score.interviewer", "mark"]
    assert Event.objects.filter(kind__in=kinds).count() == 5 * rooms


@pytest.mark.django_db
def test_persisting_a_batch_twice_stores_each_write_once(case):
    peer = make_peer(case)
    batch = _busy_batch([peer])
    writebehind.persist(batch)
    writebehind.persist(batch)
    interview = peer.interview
    assert ChatMessage.objects.filter(interview=interview).count() == 1
    assert Delivery.objects.filter(interview=interview).count() == 1
    assert [s.level for s in Score.objects.filter(interview=interview)] == [3]
    marks = Mark.objects.filter(interview=interview).order_by("key")
    assert [(m.key, m.value, m.critical) for m in marks] == [
        ("concept-1", "unprompted", False),
        ("data:0", "observed", True),
    ]
    document = Document.objects.get(interview=interview, slot="notes:clarify")
    assert (document.text, document.revision) == ("goals", 2)  # two flushes wrote it
    # The update log is append-only: a duplicate there is harmless, merging is idempotent.
    parts = [bytes(u.data) for u in DocumentUpdate.objects.filter(interview=interview)]
    assert (
        crdt.SharedDoc.load("notes", frozenset({"notes:clarify"}), parts).text("notes:clarify")
        == "goals"
    )


@pytest.mark.django_db
def test_a_mark_changed_in_a_later_batch_is_updated_in_place(case):
    peer = make_peer(case)
    now, by = timezone.now(), peer.interviewer.pk
    for value in ("hinted", "missed", ""):
        batch = writebehind.Batch()
        batch.mark(peer.interview.pk, ("concept", "concept-3", value), by, now, label="C 3")
        writebehind.persist(batch)
    mark = Mark.objects.get(interview=peer.interview)
    assert (mark.kind, mark.key, mark.value, mark.source) == (
        "concept",
        "concept-3",
        "",
        "interviewer",
    )
    events = Event.objects.filter(interview=peer.interview, kind="mark")
    assert [e.data["value"] for e in events] == ["hinted", "missed", ""]
    assert {e.visibility for e in events} == {"interviewer"}


@pytest.mark.django_db
def test_scores_of_one_criterion_in_one_batch_keep_the_last(case):
    peer = make_peer(case)
    criterion = Criterion.objects.get(rubric=peer.interview.rubric, key="clarify-main")
    batch, now, key = writebehind.Batch(), timezone.now(), (criterion.pk, "clarify-main", "")
    for level in (1, 2, 4):
        batch.score(
            peer.interview.pk, key, level, False, f"level {level}", peer.interviewer.pk, now
        )
    writebehind.persist(batch)
    assert [(s.level, s.evidence) for s in Score.objects.filter(interview=peer.interview)] == [
        (4, "level 4")
    ]


@pytest.mark.django_db
def test_a_reveal_from_the_room_keeps_one_made_on_a_page(case):
    drill = factories.solo_drill(finished=False)
    drill.interview.__class__.objects.filter(pk=drill.interview.pk).update(revealed_steps=["frame"])
    batch = writebehind.Batch()
    batch.reveal(drill.interview.pk, "clarify", ["clarify"], drill.candidate.pk, timezone.now())
    writebehind.persist(batch)
    drill.interview.refresh_from_db()
    assert drill.interview.revealed_steps == ["frame", "clarify"]


# --- The committer, asynchronously ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_acks_come_only_after_the_commit(transactional_db):
    peer = await sync_to_async(_peer)()
    committer = writebehind.Committer(window=0.05)
    committer.start()
    acked: list[str] = []
    now = timezone.now()
    ack = writebehind.Ack(send=acked.extend, message_id="m1", interview_id=peer.interview.pk)
    with table_locked("interviews_chatmessage"):
        committer.queue(
            lambda b: b.chat(peer.interview.pk, "m1", peer.candidate.pk, "held", now), ack
        )
        await asyncio.sleep(0.5)
        assert acked == []  # the flush waits on the lock: nothing is durable yet
    await _until(lambda: acked == ["m1"])
    assert await sync_to_async(ChatMessage.objects.filter(client_id="m1").count)() == 1
    await committer.stop()
    await committer.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_room_whose_rows_are_refused_does_not_block_the_others(transactional_db):
    peer = await sync_to_async(_peer)()
    ghost = uuid.uuid4()  # an interview deleted meanwhile: its rows break a foreign key
    committer = writebehind.Committer(window=0.05)
    committer.start()
    acked: list[str] = []
    now = timezone.now()
    for interview_id, message_id in ((ghost, "lost"), (peer.interview.pk, "kept")):
        committer.queue(
            lambda b, i=interview_id, m=message_id: b.chat(i, m, peer.candidate.pk, m, now),
            writebehind.Ack(send=acked.extend, message_id=message_id, interview_id=interview_id),
        )
    await _until(lambda: acked == ["kept"])
    assert committer.refused == {ghost}
    assert [m.text for m in await sync_to_async(list)(ChatMessage.objects.all())] == ["kept"]
    await committer.stop()
    await committer.close()


def _peer():
    factories.rubric()
    return make_peer(factories.case_study(slug="visual-search"))


async def _until(check, timeout: float = 5) -> None:
    await sync_to_async(wait_until)(check, timeout=timeout, what="the flush")


def test_a_room_loads_its_state_and_only_the_updates_from_shortly_before_it(
    case, django_assert_num_queries
):
    """A long session has thousands of update rows; loading its room reads the folded state
    and the updates from STATE_OVERLAP before it on (a document without a state: all of its
    updates), not every row, and still rebuilds every document whole."""
    peer = make_peer(case)
    browser, updates = Doc(), []
    browser.observe(lambda event: updates.append(event.update))
    notes = browser.get("notes:clarify", type=Text)
    now = timezone.now()
    folded_at = now - timedelta(minutes=30)
    for n in range(40):
        notes.insert(len(notes), f"{n} ")
        if n == 29:
            state = browser.get_update()
    rows = [
        DocumentUpdate(
            interview=peer.interview, doc="notes", data=u, at=folded_at - timedelta(minutes=10)
        )
        for u in updates[:30]
    ] + [
        DocumentUpdate(interview=peer.interview, doc="notes", data=u, at=now) for u in updates[30:]
    ]
    diagram = Doc()
    diagram["diagram"] = Text("flowchart LR")
    rows.append(
        DocumentUpdate(
            interview=peer.interview, doc="diagram", data=diagram.get_update(), at=folded_at
        )
    )
    DocumentUpdate.objects.bulk_create(rows)
    DocumentState.objects.create(interview=peer.interview, doc="notes", state=state, at=folded_at)

    with django_assert_num_queries(2):
        parts = selectors.document_parts(peer.interview.pk)
    assert len(parts["notes"]) == 1 + 10  # the state, then the ten later updates
    assert len(parts["diagram"]) == 1
    shared = crdt.SharedDoc.load(crdt.NOTES, frozenset({"notes:clarify"}), parts["notes"])
    assert shared.text("notes:clarify") == str(notes)

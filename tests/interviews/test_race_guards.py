"""The refusal branches of the room's compare-and-set guards, each handed a stale or duplicate
input: nothing changes and the caller gets the coded error."""

import threading

import psycopg
import pytest

from interviews import services
from interviews.errors import ServiceError
from interviews.models import Document, Event, Interview, Score
from rubrics.models import Criterion
from tests.conftest import test_database_url as database_url
from tests.conftest import wait_until
from tests.interviews.conftest import make_peer


def test_a_state_change_from_a_stale_view_is_refused_and_changes_nothing(live):
    stale = Interview.objects.get(pk=live.interview.pk)  # read while on step 0
    services.step_move(actor=live.actor("interviewer"), from_key="clarify", to_key="frame")
    events = Event.objects.count()
    with pytest.raises(ServiceError) as refused:
        services._compare_and_set(stale, step_index=2)
    assert refused.value.code == "stale"
    assert live.refresh().step_index == 1
    assert Event.objects.count() == events


def test_abandoning_from_a_stale_view_is_refused_and_changes_nothing(live):
    stale = Interview.objects.get(pk=live.interview.pk)  # still live in this copy
    services.interview_end(actor=live.actor("interviewer"))
    events = Event.objects.count()
    with pytest.raises(ServiceError) as refused:
        services.interview_abandon(user=live.candidate, interview=stale, role="candidate")
    assert refused.value.code == "stale"
    assert live.refresh().status == Interview.Status.WRAPUP
    assert Event.objects.count() == events


def test_an_edit_on_a_revision_of_a_document_that_does_not_exist_is_refused(live):
    with pytest.raises(ServiceError) as refused:
        services.document_edit(
            actor=live.actor("candidate"), slot="notes:clarify", base_revision=3, text="x"
        )
    assert refused.value.code == "stale_revision"
    assert refused.value.extra == {"slot": "notes:clarify", "text": "", "revision": 0}
    assert not Document.objects.filter(interview=live.interview).exists()


@pytest.mark.django_db(transaction=True)
def test_a_first_score_that_loses_the_insert_race_updates_instead(case):
    """The other tab's first score is in flight (inserted, not yet committed) when ours looks:
    our UPDATE finds nothing, our INSERT waits on the unique key, fails once theirs commits,
    and our later write replaces theirs. One row, our level."""
    peer = make_peer(case)
    services.interview_start(actor=peer.actor("interviewer"))
    criterion = Criterion.objects.get(rubric=peer.interview.rubric, key="clarify-main")
    done: list[str] = []

    def ours() -> None:
        from django.db import connections

        try:
            services.score_record(
                actor=peer.actor("interviewer"), criterion_key="clarify-main", level=4
            )
            done.append("ok")
        finally:
            connections.close_all()

    with psycopg.connect(database_url()) as other_tab:
        other_tab.execute(
            "INSERT INTO interviews_score"
            " (interview_id, criterion_id, source, level, not_observed, evidence, updated_at)"
            " VALUES (%s, %s, 'interviewer', 1, false, 'theirs', now())",
            (peer.interview.pk, criterion.pk),
        )
        thread = threading.Thread(target=ours)
        thread.start()

        def ours_waits_on_the_key() -> bool:
            # From a connection of its own in autocommit: inside a transaction PostgreSQL
            # keeps showing the activity it saw first.
            with psycopg.connect(database_url(), autocommit=True) as watcher:
                row = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO%interviews_score%'"
                ).fetchone()
            return bool(row and row[0])

        wait_until(ours_waits_on_the_key, timeout=10, what="our insert to wait on theirs")
        other_tab.commit()
    thread.join(timeout=10)
    assert done == ["ok"]
    rows = Score.objects.filter(interview=peer.interview, criterion=criterion)
    assert [(s.level, s.evidence) for s in rows] == [(4, "")]

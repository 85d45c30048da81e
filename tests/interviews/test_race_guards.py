"""The refusal branches of the room's compare-and-set guards, each handed a stale or duplicate
input: nothing changes and the caller gets the coded error. (Documents, chat, hints and scores
have no such branch any more: they are idempotent writes, tested with resends in
test_consumers.py and test_writebehind.py.)"""

import pytest

from interviews import services
from interviews.errors import ServiceError
from interviews.models import Event, Interview


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

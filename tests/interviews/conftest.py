"""Fixtures for the room: a small bank, and a peer interview with both people joined."""

from dataclasses import dataclass

import pytest

from interviews import services
from interviews.models import Interview
from tests import factories


@dataclass
class Peer:
    interview: Interview
    interviewer: object
    candidate: object
    outsider: object

    def actor(self, who: str) -> services.Actor:
        user = getattr(self, who)
        return services.Actor(user, self.interview.pk, who, False)

    def refresh(self) -> Interview:
        self.interview.refresh_from_db()
        return self.interview


@pytest.fixture
def case(db):
    factories.rubric()
    return factories.case_study(slug="visual-search")


def make_peer(case) -> Peer:
    interviewer = factories.user(name="Ines")
    candidate = factories.user(name="Carl")
    outsider = factories.user(name="Otto")
    interview = services.interview_create(
        user=interviewer, case_study=case, role="interviewer", target_level="senior"
    )
    services.invite_accept(user=candidate, token=interview.invite.token)
    return Peer(interview, interviewer, candidate, outsider)


@pytest.fixture
def peer(case) -> Peer:
    return make_peer(case)


@pytest.fixture
def live(peer) -> Peer:
    services.interview_start(actor=peer.actor("interviewer"))
    peer.refresh()
    return peer

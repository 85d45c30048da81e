"""The matching function over plain data: examples, then properties over generated request
sets (Hypothesis): no double booking, nobody with themselves or a blocked member, the session
inside a slot of each, levels within one step, role needs met, cohorts, not the same pair twice
in a row, no case either has done, and fairness: longest-waiting first, in one run and over
several."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partners import matching
from partners.matching import CANDIDATE, INTERVIEWER, LEVELS, SWAP, Case, Request, Window

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
CASES = (
    Case(1, "search", "easy"),
    Case(2, "search", "medium"),
    Case(3, "ads", "hard"),
    Case(4, "vision", "medium"),
    Case(5, "risk", "hard"),
    Case(6, "social", "easy"),
)


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def slot(hours: float, minutes: int = 60) -> Window:
    return Window(at(hours), at(hours) + timedelta(minutes=minutes))


def request(id, member=None, *, roles=SWAP, level="senior", minutes=60, slots=None, waited=0, **kw):
    return Request(
        id=id,
        member=member if member is not None else id,
        roles=roles,
        level=level,
        minutes=minutes,
        slots=tuple(slots or (slot(2, minutes),)),
        waiting_since=NOW - timedelta(minutes=waited),
        **kw,
    )


def run(requests, **kwargs):
    return matching.match(requests, cases=kwargs.pop("cases", CASES), now=NOW, **kwargs)


# --- Examples ----------------------------------------------------------------------------------


def test_two_swaps_with_the_same_slot_are_paired_with_two_different_cases():
    [pairing] = run([request(1), request(2)])
    assert pairing.start == at(2) and pairing.minutes == 60
    first, second = pairing.directions
    assert (first.candidate, first.interviewer) == (second.interviewer, second.candidate)
    assert first.case != second.case


def test_the_longer_waiting_member_is_the_candidate_first():
    [pairing] = run([request(1, waited=5), request(2, waited=50)])
    assert pairing.directions[0].candidate == 2


def test_a_candidate_meets_an_interviewer_in_one_interview_at_the_candidates_level():
    [pairing] = run([request(1, roles=CANDIDATE, level="staff"), request(2, roles=INTERVIEWER)])
    [direction] = pairing.directions
    assert (direction.candidate, direction.interviewer, direction.level) == (1, 2, "staff")


def test_role_needs_that_do_not_fit_are_not_paired():
    assert run([request(1, roles=CANDIDATE), request(2, roles=CANDIDATE)]) == []
    assert run([request(1, roles=SWAP), request(2, roles=INTERVIEWER)]) == []


def test_levels_two_steps_apart_are_not_paired():
    assert run([request(1, level="mid"), request(2, level="staff")]) == []
    assert len(run([request(1, level="mid"), request(2, level="senior")])) == 1


def test_the_session_starts_where_the_slots_overlap_and_is_the_shorter_length():
    a = request(1, minutes=90, slots=[slot(2, 90)])
    b = request(2, minutes=60, slots=[slot(2.5, 60)])
    [pairing] = run([a, b])
    assert pairing.start == at(2.5) and pairing.minutes == 60


def test_slots_that_overlap_by_less_than_a_session_are_not_paired():
    assert run([request(1, slots=[slot(2)]), request(2, slots=[slot(2.5)])]) == []


def test_a_session_moves_past_an_existing_booking():
    a = request(1, minutes=90, slots=[slot(2, 150)], busy=(slot(2, 30),))
    b = request(2, minutes=90, slots=[slot(2, 150)])
    [pairing] = run([a, b])
    assert pairing.start == at(2.5)


def test_no_session_starts_before_the_notice():
    a, b = request(1, slots=[slot(0.5), slot(3)]), request(2, slots=[slot(0.5), slot(3)])
    [pairing] = run([a, b], notice=HOUR)
    assert pairing.start == at(3)


def test_cases_either_has_done_or_avoids_are_never_chosen():
    a = request(1, done_cases=frozenset({1, 2}))
    b = request(2, done_cases=frozenset({4}), avoid_domains=frozenset({"risk"}))
    [pairing] = run([a, b])
    assert {d.case for d in pairing.directions} == {3, 6}


def test_a_swap_needs_two_fresh_cases():
    a = request(1, done_cases=frozenset({1, 2, 3, 4}))
    b = request(2, done_cases=frozenset({5}))
    assert run([a, b]) == []
    assert len(run([a, request(3)])) == 1  # cases 5 and 6


def test_the_case_suits_the_candidates_level():
    [pairing] = run([request(1, roles=CANDIDATE, level="staff"), request(2, roles=INTERVIEWER)])
    assert CASES[pairing.directions[0].case - 1].difficulty == "hard"
    [pairing] = run([request(1, roles=CANDIDATE, level="mid"), request(2, roles=INTERVIEWER)])
    assert CASES[pairing.directions[0].case - 1].difficulty == "easy"


def test_blocked_and_last_partners_are_not_paired_again():
    assert run([request(1), request(2)], blocks=frozenset({(2, 1)})) == []
    assert run([request(1, last_partner=2), request(2)]) == []
    assert len(run([request(1, last_partner=3), request(2)])) == 1


def test_cohorts_stay_apart_unless_both_opt_in():
    assert run([request(1, cohort=1), request(2, cohort=2)]) == []
    assert run([request(1, cohort=1, across=True), request(2, cohort=2)]) == []
    assert len(run([request(1, cohort=1, across=True), request(2, cohort=2, across=True)])) == 1


def test_the_longest_waiting_request_takes_the_partner_both_want():
    old, young, partner = request(1, waited=90), request(2, waited=10), request(3, waited=30)
    [pairing] = run([young, partner, old])
    assert {r.id for r in pairing.requests} == {1, 3}


def test_rematch_finds_the_longest_waiting_member_free_for_the_rest_of_the_slot():
    window = Window(at(0), at(0) + timedelta(minutes=50))
    seeker = request(0, member=10, slots=[window], minutes=60)
    pool = [
        request(1, slots=[slot(-0.25, 90)], waited=10),
        request(2, slots=[slot(-0.5, 90)], waited=40),
        request(3, slots=[slot(0.5)], waited=99),  # not free now
    ]
    found = matching.rematch(seeker, pool, cases=CASES, window=window)
    assert found is not None and found.start == window.start and found.minutes == 50
    assert {r.id for r in found.requests} == {0, 2}
    assert matching.rematch(seeker, pool[2:], cases=CASES, window=window) is None


# --- Properties ---------------------------------------------------------------------------------

MEMBERS = range(1, 13)


@st.composite
def scenarios(draw, *, now=NOW, round_=0, max_wait=300):
    """Requests (a member may appear twice), blocks, and the cases of a small bank."""
    people: dict[int, dict] = {}

    def person(member: int) -> dict:
        # Drawn when the member first appears: fewer choices, faster examples.
        if member not in people:
            people[member] = {
                "cohort": draw(st.sampled_from([1, 1, 1, 2, None])),
                "across": draw(st.booleans()),
                "last_partner": draw(st.sampled_from([None, None, *MEMBERS])),
                "busy": tuple(
                    Window(now + timedelta(minutes=15 * k), now + timedelta(minutes=15 * k + 60))
                    for k in draw(st.lists(st.integers(0, 12), max_size=1))
                ),
                "done": frozenset(
                    draw(st.sets(st.sampled_from([c.id for c in CASES]), max_size=2))
                ),
            }
        return people[member]

    requests = []
    for n in range(draw(st.integers(0, 10))):
        member = draw(st.sampled_from(list(MEMBERS)))
        minutes = draw(st.sampled_from([60, 90]))
        starts = draw(st.lists(st.integers(0, 8), min_size=1, max_size=3, unique=True))
        attributes = person(member)
        requests.append(
            Request(
                id=1000 * (round_ + 1) + n,
                member=member,
                roles=draw(st.sampled_from([SWAP, SWAP, SWAP, SWAP, CANDIDATE, INTERVIEWER])),
                level=draw(st.sampled_from(LEVELS)),
                minutes=minutes,
                slots=tuple(
                    Window(
                        now + timedelta(minutes=15 * k),
                        now + timedelta(minutes=15 * k + minutes),
                    )
                    for k in starts
                ),
                waiting_since=now - timedelta(minutes=draw(st.integers(0, max_wait))),
                cohort=attributes["cohort"],
                across=attributes["across"],
                done_cases=attributes["done"],
                avoid_domains=frozenset(
                    draw(st.sets(st.sampled_from(["search", "ads", "risk"]), max_size=1))
                ),
                busy=attributes["busy"],
                last_partner=attributes["last_partner"],
            )
        )
    blocks = frozenset(
        draw(
            st.sets(
                st.tuples(st.sampled_from(list(MEMBERS)), st.sampled_from(list(MEMBERS))),
                max_size=3,
            )
        )
    )
    return requests, blocks


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compatible(a, b, blocks, now=NOW):
    return matching.pair(a, b, cases=CASES, blocks=blocks, earliest=now) is not None


@PROPERTY
@given(scenarios())
def test_nobody_is_double_booked_and_no_request_is_used_twice(scenario):
    requests, blocks = scenario
    pairings = run(requests, blocks=blocks)
    members = [r.member for p in pairings for r in p.requests]
    ids = [r.id for p in pairings for r in p.requests]
    assert len(members) == len(set(members))
    assert len(ids) == len(set(ids))
    for p in pairings:
        for r in p.requests:
            assert not any(w.overlaps(p.window) for w in r.busy)


@PROPERTY
@given(scenarios())
def test_nobody_meets_themselves_or_someone_blocked(scenario):
    requests, blocks = scenario
    for p in run(requests, blocks=blocks):
        a, b = p.requests
        assert a.member != b.member
        assert (a.member, b.member) not in blocks and (b.member, a.member) not in blocks


@PROPERTY
@given(scenarios())
def test_the_session_lies_inside_a_slot_of_each(scenario):
    requests, blocks = scenario
    for p in run(requests, blocks=blocks):
        assert p.start >= NOW
        assert p.minutes == min(r.minutes for r in p.requests)
        for r in p.requests:
            assert any(s.contains(p.window) for s in r.slots)


@PROPERTY
@given(scenarios())
def test_levels_roles_cohorts_and_history_are_respected(scenario):
    requests, blocks = scenario
    for p in run(requests, blocks=blocks):
        a, b = p.requests
        assert abs(LEVELS.index(a.level) - LEVELS.index(b.level)) <= 1
        if a.roles == SWAP or b.roles == SWAP:
            assert a.roles == b.roles == SWAP and len(p.directions) == 2
        else:
            assert {a.roles, b.roles} == {CANDIDATE, INTERVIEWER} and len(p.directions) == 1
            [d] = p.directions
            candidate = a if a.roles == CANDIDATE else b
            assert d.candidate == candidate.member and d.level == candidate.level
        assert a.cohort == b.cohort or (a.across and b.across)
        assert a.last_partner != b.member and b.last_partner != a.member


@PROPERTY
@given(scenarios())
def test_no_case_either_has_done_or_avoids(scenario):
    requests, blocks = scenario
    by_id = {c.id: c for c in CASES}
    for p in run(requests, blocks=blocks):
        a, b = p.requests
        cases = [d.case for d in p.directions]
        assert len(cases) == len(set(cases))
        for case in cases:
            assert case not in a.done_cases | b.done_cases
            assert by_id[case].domain not in a.avoid_domains | b.avoid_domains


def _fairness_holds(requests, pairings, blocks, now=NOW) -> None:
    taken = {r.member for p in pairings for r in p.requests}
    left = [r for r in requests if r.member not in taken]
    for p in pairings:
        for mine, partner in (p.requests, reversed(p.requests)):
            for waiting in left:
                if compatible(waiting, mine, blocks, now):
                    # Nobody left waiting could have had this partner while being older than
                    # the one who got them.
                    assert (waiting.waiting_since, waiting.id) > (
                        partner.waiting_since,
                        partner.id,
                    )
    # And nothing left over could still be paired.
    for i, a in enumerate(left):
        for b in left[i + 1 :]:
            if a.member != b.member:
                assert not compatible(a, b, blocks, now)


@PROPERTY
@given(scenarios())
def test_the_longest_waiting_are_served_first(scenario):
    requests, blocks = scenario
    _fairness_holds(requests, run(requests, blocks=blocks), blocks)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fairness_holds_over_several_runs_as_requests_arrive(data):
    """Each hour new requests arrive and the matcher runs; matched requests leave the pool,
    the rest keep their place. Every run serves the longest-waiting first, older leftovers
    included."""
    pool: list[Request] = []
    blocks: frozenset = frozenset()
    for hour in range(4):
        now = NOW + timedelta(hours=hour)
        arrivals, new_blocks = data.draw(scenarios(now=now, round_=hour, max_wait=59))
        blocks |= new_blocks
        pool = [r for r in pool if any(s.end > now for s in r.slots)] + arrivals
        pairings = matching.match(pool, cases=CASES, blocks=blocks, now=now)
        _fairness_holds(pool, pairings, blocks, now)
        used = {r.id for p in pairings for r in p.requests}
        pool = [r for r in pool if r.id not in used]

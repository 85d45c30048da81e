"""Who practises with whom, when, and on which cases: plain Python over plain data.

No Django and no database here: the service (``matchmaking.requests_match``) reads the open
requests into these dataclasses, asks ``match`` for pairings, and claims each pair's requests
by compare-and-set. The rules, all in ``pair``:

- two different members, neither of whom has blocked the other;
- in the same cohort, unless both opted in to matching across cohorts;
- target levels at most one step apart (mid–senior, senior–staff);
- role needs met: a swap (both roles) meets a swap; a candidate meets an interviewer;
- not the same pair twice in a row (neither's last partner is the other);
- a session that fits inside one slot of each, starts no earlier than ``earliest``, and clashes
  with neither member's existing bookings; its length is the shorter of the two requests';
- for each direction a case neither member has practised or chosen to avoid, outside the
  domains either avoids, suited to the candidate's level; a swap's two cases differ.

Fairness: requests are served longest-waiting first, and each takes the longest-waiting
compatible partner. So no request is left waiting while a partner it could have had went to a
request younger than it, and no two requests left over could have been paired.
"""

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

CANDIDATE, INTERVIEWER, SWAP = "candidate", "interviewer", "swap"
ROLES = (CANDIDATE, INTERVIEWER, SWAP)
LEVELS = ("mid", "senior", "staff")
GRID = timedelta(minutes=5)  # sessions start on the five minutes
# The difficulties that suit a target level, best first.
DIFFICULTY_FIT = {
    "mid": ("easy", "medium", "hard"),
    "senior": ("medium", "hard", "easy"),
    "staff": ("hard", "medium", "easy"),
}


@dataclass(frozen=True)
class Window:
    """A span of time, ``[start, end)``, in aware datetimes (UTC in practice)."""

    start: datetime
    end: datetime

    def overlaps(self, other: "Window") -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Window") -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class Case:
    id: int
    domain: str
    difficulty: str


@dataclass(frozen=True)
class Request:
    """One member's open request, with what matching needs to know about the member."""

    id: int
    member: int
    roles: str  # CANDIDATE, INTERVIEWER or SWAP
    level: str  # one of LEVELS
    minutes: int  # 60 or 90
    slots: tuple[Window, ...]
    waiting_since: datetime
    cohort: int | None = None
    across: bool = False  # opted in to matching outside the cohort
    done_cases: frozenset[int] = frozenset()  # practised, booked or avoided
    avoid_domains: frozenset[str] = frozenset()
    busy: tuple[Window, ...] = ()  # the member's bookings already made
    last_partner: int | None = None  # the member met in the member's latest booking


@dataclass(frozen=True)
class Direction:
    """One interview of a booking: who is the candidate, who interviews, on which case."""

    candidate: int  # member
    interviewer: int  # member
    case: int
    level: str  # the candidate's target level


@dataclass(frozen=True)
class Pairing:
    first: Request
    second: Request
    start: datetime
    minutes: int
    directions: tuple[Direction, ...]

    @property
    def window(self) -> Window:
        return Window(self.start, self.start + timedelta(minutes=self.minutes))

    @property
    def requests(self) -> tuple[Request, Request]:
        return (self.first, self.second)


def ceil_to_grid(moment: datetime) -> datetime:
    """The first grid point at or after ``moment``."""
    seconds = GRID.total_seconds()
    stamp = moment.timestamp()
    rounded = -(-stamp // seconds) * seconds
    return datetime.fromtimestamp(rounded, tz=moment.tzinfo or UTC)


def roles_fit(a: Request, b: Request) -> bool:
    if a.roles == SWAP or b.roles == SWAP:
        return a.roles == b.roles == SWAP
    return {a.roles, b.roles} == {CANDIDATE, INTERVIEWER}


def levels_fit(a: Request, b: Request) -> bool:
    return abs(LEVELS.index(a.level) - LEVELS.index(b.level)) <= 1


def cohorts_fit(a: Request, b: Request) -> bool:
    return a.cohort == b.cohort or (a.across and b.across)


def blocked(a: Request, b: Request, blocks: frozenset[tuple[int, int]]) -> bool:
    return (a.member, b.member) in blocks or (b.member, a.member) in blocks


def repeats(a: Request, b: Request) -> bool:
    return a.last_partner == b.member or b.last_partner == a.member


def session_start(
    a: Request,
    b: Request,
    *,
    minutes: int,
    earliest: datetime,
    latest: datetime | None = None,
) -> datetime | None:
    """The earliest start, not before ``earliest`` (nor after ``latest``), of a session of
    ``minutes`` inside one slot of each request that clashes with neither member's bookings;
    None if there is none. A session starts where the two slots overlap, or on the grid
    after ``earliest`` or after a booking it would clash with."""
    length = timedelta(minutes=minutes)
    busy = sorted((*a.busy, *b.busy), key=lambda w: w.start)
    best: datetime | None = None
    first = ceil_to_grid(earliest)
    for slot_a in a.slots:
        for slot_b in b.slots:
            start = max(slot_a.start, slot_b.start, first)
            end = min(slot_a.end, slot_b.end)
            while start + length <= end and (latest is None or start <= latest):
                if best is not None and start >= best:
                    break
                clash = next((w for w in busy if w.overlaps(Window(start, start + length))), None)
                if clash is None:
                    best = start
                    break
                start = max(start, ceil_to_grid(clash.end))
    return best


def case_rank(case: Case, level: str, a: Request, b: Request) -> tuple[int, int]:
    """Best fit for the level first; then a spread that differs per pair, so that one case is
    not everyone's first choice."""
    fit = DIFFICULTY_FIT.get(level, ())
    order = fit.index(case.difficulty) if case.difficulty in fit else len(fit)
    low, high = sorted((a.id, b.id))
    return (order, zlib.crc32(f"{low}:{high}:{case.id}".encode()))


def directions_for(a: Request, b: Request) -> list[tuple[Request, Request]]:
    """(candidate, interviewer) per interview, in order. In a swap the one who has waited
    longer is the candidate first."""
    if a.roles == SWAP:
        first, second = sorted((a, b), key=lambda r: (r.waiting_since, r.id))
        return [(first, second), (second, first)]
    return [(a, b)] if a.roles == CANDIDATE else [(b, a)]


def pick_cases(
    a: Request, b: Request, pairs: list[tuple[Request, Request]], cases: Sequence[Case]
) -> list[int] | None:
    excluded = a.done_cases | b.done_cases
    avoided = a.avoid_domains | b.avoid_domains
    eligible = [c for c in cases if c.id not in excluded and c.domain not in avoided]
    chosen: list[int] = []
    for candidate, _interviewer in pairs:
        options = [c for c in eligible if c.id not in chosen]
        if not options:
            return None
        chosen.append(min(options, key=lambda c: case_rank(c, candidate.level, a, b)).id)
    return chosen


def pair(
    a: Request,
    b: Request,
    *,
    cases: Sequence[Case],
    blocks: frozenset[tuple[int, int]],
    earliest: datetime,
    latest: datetime | None = None,
    minutes: int | None = None,
) -> Pairing | None:
    """The pairing of ``a`` and ``b`` if every rule allows it, else None. ``minutes`` fixes
    the session's length (a rematch); otherwise it is the shorter of the two requests'."""
    if a.member == b.member or blocked(a, b, blocks):
        return None
    if not (roles_fit(a, b) and levels_fit(a, b) and cohorts_fit(a, b)) or repeats(a, b):
        return None
    length = minutes or min(a.minutes, b.minutes)
    start = session_start(a, b, minutes=length, earliest=earliest, latest=latest)
    if start is None:
        return None
    pairs = directions_for(a, b)
    chosen = pick_cases(a, b, pairs, cases)
    if chosen is None:
        return None
    first, second = sorted((a, b), key=lambda r: (r.waiting_since, r.id))
    directions = tuple(
        Direction(candidate=c.member, interviewer=i.member, case=case, level=c.level)
        for (c, i), case in zip(pairs, chosen, strict=True)
    )
    return Pairing(first, second, start, length, directions)


def _by_waiting(requests: Iterable[Request]) -> list[Request]:
    unique = {r.id: r for r in requests}
    return sorted(unique.values(), key=lambda r: (r.waiting_since, r.id))


def match(
    requests: Iterable[Request],
    *,
    cases: Sequence[Case],
    blocks: frozenset[tuple[int, int]] = frozenset(),
    now: datetime,
    notice: timedelta = timedelta(0),
) -> list[Pairing]:
    """Pair as many requests as the rules allow, longest-waiting first. A member is in at most
    one pairing; sessions start no earlier than ``now + notice``."""
    earliest = now + notice
    order = _by_waiting(requests)
    taken: set[int] = set()  # member ids
    pairings = []
    for request in order:
        if request.member in taken:
            continue
        for other in order:
            if other.member in taken or other.member == request.member:
                continue
            found = pair(request, other, cases=cases, blocks=blocks, earliest=earliest)
            if found is not None:
                pairings.append(found)
                taken.update((request.member, other.member))
                break
    return pairings


def rematch(
    seeker: Request,
    pool: Iterable[Request],
    *,
    cases: Sequence[Case],
    blocks: frozenset[tuple[int, int]] = frozenset(),
    window: Window,
) -> Pairing | None:
    """A partner for ``seeker`` free for the whole of ``window`` (now until the end of the
    session whose partner did not come), longest-waiting first; None if nobody is."""
    minutes = int((window.end - window.start).total_seconds() // 60)
    for other in _by_waiting(pool):
        found = pair(
            seeker,
            other,
            cases=cases,
            blocks=blocks,
            earliest=window.start,
            latest=window.start,
            minutes=minutes,
        )
        if found is not None:
            return found
    return None

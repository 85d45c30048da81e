"""Fill the benchmark's database: the live rooms the load drives, and the history of thousands
of past sessions they sit on.

Run by ``bench.run`` with the benchmark's environment (its own database, never the dev or test
one):

- ``python -m bench.seed prepare`` migrates and loads the question bank;
- ``python -m bench.seed sessions --count N --out manifest.json`` creates N live peer interviews
  through the app's services, as users would (an interviewer creates it, the candidate joins
  through the invite, the interviewer starts it; both are real users with real Django
  sessions), and writes what the load generator needs to drive them;
- ``python -m bench.seed history --count M`` writes M past, completed sessions in bulk
  (``COPY``): participants from a pool of returning users, each session's coalesced document
  updates (real Yjs updates), a folded state and the plain texts, chat, hints, scores, marks and
  its timeline. The live path appends to these very tables and indexes, so a measurement on a
  fresh, nearly empty database would flatter it.

``bench.pages`` builds its page worlds with ``user``, ``live_interview``, ``play`` and
``finish``; ``play`` writes through the write-behind's ``persist``, as the room does.
"""

import argparse
import itertools
import json
import os
import random
import secrets
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model, login  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from pycrdt import Doc, Text  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import Profile  # noqa: E402
from casestudies.models import CaseStep, CaseStudy  # noqa: E402
from feedback import services as feedback_services  # noqa: E402
from interviews import selectors, services, writebehind  # noqa: E402
from interviews.events import EventKind  # noqa: E402
from interviews.models import (  # noqa: E402
    ChatMessage,
    Delivery,
    Document,
    DocumentState,
    DocumentUpdate,
    Event,
    Interview,
    Invite,
    Participant,
    Report,
    Role,
    Score,
)
from rubrics import services as rubric_services  # noqa: E402
from rubrics.models import Criterion  # noqa: E402
from rubrics.selectors import rubric_for_framework  # noqa: E402

_serial = itertools.count(1)
_run = secrets.token_hex(3)
BACKEND = "django.contrib.auth.backends.ModelBackend"

# One past session, roughly: ~45 minutes, notes typed in bursts and stored as the write-behind
# stores them (one coalesced update per document per flush while typing), a diagram, chat, a few
# hints, the rubric's scores and marks, and its timeline.
HISTORY_UPDATES = 300  # coalesced document updates per past session
HISTORY_CHATS = 30
HISTORY_USERS_PER_SESSION = 0.2  # returning users: 2,000 sessions among 400 people
WORDS = [
    "latency",
    "budget",
    "recall",
    "precision",
    "two-tower",
    "ranking",
    "features",
    "embeddings",
    "freshness",
    "cold-start",
    "candidates",
    "retrieval",
    "labels",
    "drift",
    "online",
    "offline",
    "calibration",
    "cache",
    "throughput",
]


def prepare_database() -> None:
    """Migrate the (already created, empty) benchmark database and load the question bank."""
    call_command("migrate", verbosity=0, interactive=False)
    report = rubric_services.content_load()
    if report.errors:
        raise SystemExit(f"the question bank did not load: {report.errors}")


def user(label: str):
    """A user as sign-up makes one (verified address, profile). No password: hashing hundreds
    of them would take minutes, and sockets authenticate with a session, not a password."""
    n = f"{next(_serial)}-{_run}"  # unique across runs and parallel seeding processes
    email = f"{label}-{n}@bench.invalid"
    account = get_user_model().objects.create_user(username=f"{label}-{n}", email=email)
    EmailAddress.objects.create(user=account, email=email, verified=True, primary=True)
    account_services.profile_update(
        user=account, display_name=f"{label} {n}", target_level="senior"
    )
    return account


def session_cookie(account) -> str:
    """A real logged-in Django session for ``account`` (what ``Client.force_login`` does): the
    value of the session cookie a browser would send."""
    engine = import_module(settings.SESSION_ENGINE)
    request = HttpRequest()
    request.session = engine.SessionStore()
    login(request, account, backend=BACKEND)
    request.session.save()
    return f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}"


def actor(account, interview: Interview, role: str) -> services.Actor:
    return services.Actor(account, interview.pk, role, interview.is_solo)


def live_interview(interviewer, candidate, case: CaseStudy) -> Interview:
    """A peer interview, created by the interviewer, joined by the candidate through the
    invite, and started: the state a room is in when two people are talking."""
    interview = services.interview_create(
        user=interviewer, case_study=case, role=Role.INTERVIEWER, target_level="senior"
    )
    token = Invite.objects.get(interview=interview).token
    services.invite_accept(user=candidate, token=token)
    services.interview_start(actor=actor(interviewer, interview, Role.INTERVIEWER))
    interview.refresh_from_db()
    return interview


def play(interview: Interview, interviewer, candidate, *, rich: bool = True) -> None:
    """What an interview leaves behind, written as the room's write-behind writes it: notes
    and a diagram, chat, step moves, a hint, live scores with evidence. ``rich=False`` leaves a
    little of each, for the filler sessions of the page worlds."""
    them = actor(interviewer, interview, Role.INTERVIEWER)
    keys = [step.key for step in selectors.steps_of(interview)]
    rounds = 3 if rich else 1
    now = datetime.now(UTC)
    batch = writebehind.Batch()
    notes = {}
    for i, key in enumerate(keys[:rounds]):
        notes[f"notes:{key}"] = f"{key}: " + "we need a baseline, then a two-tower model. " * (
            i + 2
        )
        for n, (who, text) in enumerate(
            [
                (interviewer, f"Can you say more about {key}?"),
                (candidate, "Sure: latency budget first, then quality."),
            ]
        ):
            batch.chat(interview.pk, f"seed-{key}-{n}", who.pk, text, now)
    batch.document_texts(interview.pk, "notes", notes, candidate.pk, now)
    if rich:
        diagram = "flowchart LR\n  A[Client] --> B[Candidates] --> C[Ranker]"
        batch.document_texts(interview.pk, "diagram", {"diagram": diagram}, candidate.pk, now)
        batch.document_texts(
            interview.pk, "private", {"private": "Strong on framing."}, interviewer.pk, now
        )
        step = (
            CaseStep.objects.filter(case_study_id=interview.case_study_id)
            .exclude(hints=[])
            .select_related("framework_step")
            .first()
        )
        if step is not None:
            text = selectors._item_text(step.hints[0])
            batch.delivery(interview.pk, step.key, "hint", 0, text, interviewer.pk, now)
    criteria = Criterion.objects.filter(rubric_id=interview.rubric_id).select_related(
        "framework_step"
    )
    for criterion in criteria[: 4 if rich else 1]:
        step_key = getattr(criterion, "step_key", "") or ""
        batch.score(
            interview.pk,
            (criterion.pk, criterion.key, step_key),
            3,
            False,
            "Named the trade-off.",
            interviewer.pk,
            now,
        )
    writebehind.persist(batch)
    if rich:
        for i in range(min(rounds, len(keys)) - 1):
            services.step_move(actor=them, from_key=keys[i], to_key=keys[i + 1])


def finish(interview: Interview, interviewer, candidate, *, complete: bool) -> None:
    """End the interview into its wrap-up; with ``complete``, both sides submit their
    assessment, which completes it and requests the report (compiled by ``compile_report``
    here, as the seed runs without a worker)."""
    them = actor(interviewer, interview, Role.INTERVIEWER)
    services.interview_end(actor=them)
    if not complete:
        return
    criteria = list(Criterion.objects.filter(rubric_id=interview.rubric_id))
    levels = {c.key: 2 + n % 3 for n, c in enumerate(criteria)}
    feedback_services.scorecard_finalise(
        actor=them,
        levels=levels,
        evidence={c.key: f"Evidence for {c.key}: clear reasoning." for c in criteria},
        strengths="Clear framing and a sound serving design.",
        improvements="Quantify the latency budget earlier.",
    )
    feedback_services.assessment_submit(
        actor=actor(candidate, interview, Role.CANDIDATE),
        levels={c.key: 3 for c in criteria},
        notes={},
        reflection="I rushed the monitoring step.",
    )


def compile_report(interview: Interview) -> None:
    report = Report.objects.get(interview=interview)
    feedback_services.report_compile(report_id=report.pk)


def fast_writes() -> None:
    """Seeding only: do not wait for each commit to reach the disk (a crash loses a seed,
    nothing else). Never used by what is measured."""

    def no_fsync(sender, connection, **kwargs) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")

    connection_created.connect(no_fsync, weak=False)


def published_cases() -> list[CaseStudy]:
    cases = list(CaseStudy.objects.published().order_by("slug"))
    if not cases:
        raise SystemExit("no published case study: did the question bank load?")
    return cases


def case_plan(case: CaseStudy, interview: Interview) -> dict:
    """What the load generator may send in a room on this case: the step keys, the rubric's
    criteria, every hint and curveball (each can be delivered once), and the keys of the
    checklist's concepts and red flags the interviewer may mark (as the room reads them)."""
    steps = [step.key for step in selectors.steps_of(interview)]
    guides = selectors.case_steps(interview)
    deliveries = []
    for key in steps:
        guide = guides.get(key)
        if guide is not None:
            deliveries += [[key, "hint", i] for i in range(len(guide.hints))]
            deliveries += [[key, "curveball", i] for i in range(len(guide.curveballs))]
    criteria = Criterion.objects.filter(rubric_id=interview.rubric_id)
    return {
        "steps": steps,
        "criteria": sorted(criteria.values_list("key", flat=True)),
        "deliveries": deliveries,
        "concepts": sorted(
            item["key"] for item in case.checklist if isinstance(item, dict) and item.get("key")
        ),
        "flags": sorted(selectors.red_flags(guides)),
    }


def one_session(case: CaseStudy) -> tuple[dict, Interview]:
    interviewer, candidate = user("interviewer"), user("candidate")
    interview = live_interview(interviewer, candidate, case)
    session = {
        "interview": str(interview.pk),
        "interviewer_cookie": session_cookie(interviewer),
        "candidate_cookie": session_cookie(candidate),
        "plan": case.slug,
    }
    return session, interview


def load_sessions(count: int, threads: int = 4) -> tuple[list[dict], dict]:
    """``count`` live rooms, made through the services by a few threads at once (each with
    its own database connection: the work is mostly waiting for PostgreSQL)."""
    cases = published_cases()

    def work(numbers: range) -> list[tuple[dict, Interview]]:
        try:
            return [one_session(cases[n % len(cases)]) for n in numbers]
        finally:
            connection.close()

    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(work, [range(i, count, threads) for i in range(threads)]))
    made = sorted((item for part in parts for item in part), key=lambda item: item[0]["interview"])
    plans = {}
    for session, interview in made:
        if session["plan"] not in plans:
            plans[session["plan"]] = case_plan(interview.case_study, interview)
    return [session for session, _ in made], plans


# --- The history: past sessions in bulk --------------------------------------------------------


def copy_rows(model, names: list[str], rows) -> int:
    """``COPY`` rows into a model's table; each value prepared by its field (JSON, bytes)."""
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor
        with raw.copy(f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                )
                count += 1
    return count


def typed_updates(count: int, rng: random.Random) -> tuple[list[bytes], str]:
    """``count`` real Yjs updates of one text typed a few characters at a time (what the
    write-behind stores per flush), and the text they make."""
    doc = Doc()
    doc["notes:x"] = text = Text()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    while len(updates) < count:
        text.insert(len(text), " ".join(rng.choices(WORDS, k=1)) + " ")
    return updates[:count], str(text)


def history_users(count: int) -> list[int]:
    """``count`` returning users, made in bulk (verified address, profile, no password)."""
    User = get_user_model()
    tag = secrets.token_hex(3)
    users = []
    for n in range(count):
        account = User(username=f"past-{tag}-{n}", email=f"past-{tag}-{n}@bench.invalid")
        account.set_unusable_password()
        users.append(account)
    users = User.objects.bulk_create(users, batch_size=1000)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=1000,
    )
    Profile.objects.bulk_create(
        [
            Profile(user=u, display_name=f"Past {n}", target_level="senior")
            for n, u in enumerate(users)
        ],
        batch_size=1000,
    )
    return [u.pk for u in users]


def load_history(count: int, seed: int = 11) -> dict[str, int]:
    """``count`` completed past sessions with everything a session leaves, in bulk."""
    rng = random.Random(seed)
    cases = published_cases()
    people = history_users(max(20, int(count * HISTORY_USERS_PER_SESSION)))
    updates, notes_text = typed_updates(HISTORY_UPDATES, rng)
    steps: dict[int, list[str]] = {}
    rubric_ids: dict[int, int] = {}
    for case in cases:
        steps[case.pk] = list(
            case.framework.steps.order_by("position").values_list("key", flat=True)
        )
        rubric_ids[case.pk] = rubric_for_framework(case.framework).pk
    criteria = {
        rid: list(Criterion.objects.filter(rubric_id=rid).values_list("pk", "key"))
        for rid in set(rubric_ids.values())
    }
    now = datetime.now(UTC)
    sessions = []
    for n in range(count):
        case = cases[n % len(cases)]
        interviewer, candidate = rng.sample(people, 2)
        started = now - timedelta(days=rng.uniform(1, 365), minutes=rng.uniform(0, 600))
        sessions.append((uuid.uuid4(), case, interviewer, candidate, started))
    counts: dict[str, int] = {}
    with transaction.atomic():
        Interview.objects.bulk_create(
            [
                Interview(
                    id=pk,
                    kind=Interview.Kind.PEER,
                    case_study=case,
                    case_version=case.version,
                    rubric_id=rubric_ids[case.pk],
                    target_level="senior",
                    status=Interview.Status.COMPLETED,
                    step_index=len(steps[case.pk]) - 1,
                    elapsed={k: 300.0 for k in steps[case.pk]},
                    created_by_id=interviewer,
                    started_at=started,
                    ended_at=started + timedelta(minutes=45),
                    completed_at=started + timedelta(minutes=60),
                )
                for pk, case, interviewer, candidate, started in sessions
            ],
            batch_size=1000,
        )
        counts["interviews"] = len(sessions)
        Participant.objects.bulk_create(
            [
                Participant(interview_id=pk, user_id=uid, role=role)
                for pk, _case, interviewer, candidate, _s in sessions
                for uid, role in ((interviewer, Role.INTERVIEWER), (candidate, Role.CANDIDATE))
            ],
            batch_size=2000,
        )
        criteria_of = {pk: criteria[rubric_ids[case.pk]] for pk, case, *_ in sessions}
        counts.update(_history_rows(sessions, steps, criteria_of, updates, notes_text, rng))
    return counts


def _history_rows(sessions, steps, criteria_of, updates, notes_text, rng) -> dict[str, int]:
    counts = {}
    doc_state = Doc()
    for update in updates:
        doc_state.apply_update(update)
    state = doc_state.get_update()

    def update_rows():
        for pk, _case, _i, candidate, started in sessions:
            for k, data in enumerate(updates):
                yield (pk, "notes", data, started + timedelta(seconds=k * 9), candidate)

    counts["document_updates"] = copy_rows(
        DocumentUpdate, ["interview", "doc", "data", "at", "actor"], update_rows()
    )
    counts["document_states"] = copy_rows(
        DocumentState,
        ["interview", "doc", "state", "at"],
        ((pk, "notes", state, s + timedelta(minutes=45)) for pk, _c, _i, _d, s in sessions),
    )
    counts["documents"] = copy_rows(
        Document,
        ["interview", "slot", "text", "private", "revision", "updated_by", "updated_at"],
        (
            (pk, f"notes:{steps[case.pk][0]}", notes_text, False, 1, cand, s)
            for pk, case, _i, cand, s in sessions
        ),
    )
    counts["chat"] = copy_rows(
        ChatMessage,
        ["interview", "client_id", "author", "text", "at"],
        (
            (
                pk,
                f"h{k}",
                (inter, cand)[k % 2],
                " ".join(rng.choices(WORDS, k=8)),
                s + timedelta(seconds=80 * k),
            )
            for pk, _c, inter, cand, s in sessions
            for k in range(HISTORY_CHATS)
        ),
    )
    counts["scores"] = copy_rows(
        Score,
        ["interview", "criterion", "source", "level", "not_observed", "evidence", "updated_at"],
        (
            (pk, cid, source, 1 + ((cid + pk.int) % 4), False, "Named the trade-off.", s)
            for pk, case, _i, _d, s in sessions
            for cid, _key in criteria_of[pk]
            for source in (Score.Source.INTERVIEWER, Score.Source.SELF)
        ),
    )
    counts["deliveries"] = copy_rows(
        Delivery,
        ["interview", "step_key", "kind", "index", "text", "sent_by", "sent_at"],
        (
            (
                pk,
                steps[case.pk][k],
                "hint",
                0,
                "Think about the latency budget.",
                inter,
                s + timedelta(minutes=5 * k),
            )
            for pk, case, inter, _d, s in sessions
            for k in range(min(2, len(steps[case.pk])))
        ),
    )

    def events():
        for pk, case, inter, cand, s in sessions:
            yield (pk, s, inter, EventKind.STATUS, "", "all", {"old": "scheduled", "new": "live"})
            for k, key in enumerate(steps[case.pk][1:]):
                yield (
                    pk,
                    s + timedelta(minutes=6 * k),
                    inter,
                    EventKind.STEP,
                    key,
                    "all",
                    {"old": k, "new": k + 1, "seconds_on_old": 360},
                )
            for k in range(HISTORY_CHATS):
                yield (
                    pk,
                    s + timedelta(seconds=80 * k),
                    (inter, cand)[k % 2],
                    EventKind.CHAT,
                    "",
                    "all",
                    {"message_id": f"h{k}", "text": "a line of chat"},
                )
            for _cid, key in criteria_of[pk]:
                yield (
                    pk,
                    s + timedelta(minutes=30),
                    inter,
                    EventKind.SCORE_INTERVIEWER,
                    "",
                    "interviewer",
                    {"criterion": key, "level": 3, "evidence": "Named it."},
                )
            for who in (inter, cand):
                yield (pk, s, who, EventKind.ONLINE, "", "all", {"role": "x"})
                yield (pk, s + timedelta(minutes=45), who, EventKind.OFFLINE, "", "all", {})

    counts["events"] = copy_rows(
        Event, ["interview", "at", "actor", "kind", "step_key", "visibility", "data"], events()
    )
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="migrate and load the question bank")
    rooms = sub.add_parser("sessions", help="create live interviews for the load generator")
    rooms.add_argument("--count", type=int, required=True)
    rooms.add_argument("--out", type=Path, required=True)
    past = sub.add_parser("history", help="write past sessions in bulk")
    past.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    fast_writes()
    if args.command == "prepare":
        prepare_database()
        print(f"migrated and loaded in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        return 0
    if args.command == "history":
        counts = load_history(args.count)
        print(
            f"seeded {args.count} past sessions in {time.perf_counter() - started:.1f}s: "
            + json.dumps(counts),
            file=sys.stderr,
        )
        return 0
    sessions, plans = load_sessions(args.count)
    args.out.write_text(json.dumps({"sessions": sessions, "plans": plans}))
    print(
        f"seeded {len(sessions)} live interviews in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

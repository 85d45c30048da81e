"""Fill the benchmark's database through the app's own services, as users would.

Run by ``bench.run`` with the benchmark's environment (its own database, never the dev or test
one): ``python -m bench.seed prepare`` migrates and loads the question bank; ``python -m
bench.seed sessions --count N --out manifest.json`` creates N live peer interviews (an
interviewer and a candidate each, both real users with real Django sessions) and writes what the
load generator needs to drive them. ``bench.pages`` uses the same helpers for its page worlds.
"""

import argparse
import itertools
import json
import os
import secrets
import sys
import time
from importlib import import_module
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model, login  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.http import HttpRequest  # noqa: E402

from casestudies.models import CaseStep, CaseStudy  # noqa: E402
from interviews import selectors, services  # noqa: E402
from interviews.models import Interview, Invite, Report, Role  # noqa: E402
from rubrics import services as rubric_services  # noqa: E402
from rubrics.models import Criterion  # noqa: E402

_serial = itertools.count(1)
_run = secrets.token_hex(3)
BACKEND = "django.contrib.auth.backends.ModelBackend"


def prepare_database() -> None:
    """Migrate the (already created, empty) benchmark database and load the question bank."""
    call_command("migrate", verbosity=0, interactive=False)
    report = rubric_services.content_load()
    if report.errors:
        raise SystemExit(f"the question bank did not load: {report.errors}")


def user(label: str):
    """A user as sign-up makes one (verified address, profile). No password: hashing 400 of
    them would take minutes, and sockets authenticate with a session, not a password."""
    n = f"{next(_serial)}-{_run}"  # unique across runs and parallel seeding processes
    email = f"{label}-{n}@bench.invalid"
    account = get_user_model().objects.create_user(username=f"{label}-{n}", email=email)
    EmailAddress.objects.create(user=account, email=email, verified=True, primary=True)
    services.profile_update(user=account, display_name=f"{label} {n}", target_level="senior")
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
    """What an interview leaves behind: notes and a diagram, chat, step moves, a hint, live
    scores with evidence. ``rich=False`` leaves a little of each, for the filler sessions of
    the page worlds (their number matters there, not their length)."""
    them = actor(interviewer, interview, Role.INTERVIEWER)
    me = actor(candidate, interview, Role.CANDIDATE)
    keys = [step.key for step in selectors.steps_of(interview)]
    rounds = 3 if rich else 1
    for i, key in enumerate(keys[:rounds]):
        notes = f"{key}: " + "we need a baseline, then a two-tower model. " * (i + 2)
        services.document_edit(actor=me, slot=f"notes:{key}", base_revision=0, text=notes)
        services.chat_post(actor=them, text=f"Can you say more about {key}?")
        services.chat_post(actor=me, text="Sure: latency budget first, then quality.")
        if rich and i < rounds - 1:
            services.step_move(actor=them, from_key=key, to_key=keys[i + 1])
    if rich:
        diagram = "flowchart LR\n  A[Client] --> B[Candidates] --> C[Ranker]"
        services.document_edit(actor=me, slot="diagram", base_revision=0, text=diagram)
        services.document_edit(
            actor=them, slot="private", base_revision=0, text="Strong on framing."
        )
        hintable = CaseStep.objects.filter(case_study_id=interview.case_study_id).exclude(hints=[])
        first = hintable.select_related("framework_step").first()
        if first is not None:
            services.delivery_send(actor=them, step_key=first.key, kind="hint", index=0)
    for criterion in Criterion.objects.filter(rubric_id=interview.rubric_id)[: 4 if rich else 1]:
        services.score_record(
            actor=them, criterion_key=criterion.key, level=3, evidence="Named the trade-off."
        )


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
    services.scorecard_finalise(
        actor=them,
        levels=levels,
        evidence={c.key: f"Evidence for {c.key}: clear reasoning." for c in criteria},
        strengths="Clear framing and a sound serving design.",
        improvements="Quantify the latency budget earlier.",
    )
    services.assessment_submit(
        actor=actor(candidate, interview, Role.CANDIDATE),
        levels={c.key: 3 for c in criteria},
        notes={},
        reflection="I rushed the monitoring step.",
    )


def compile_report(interview: Interview) -> None:
    report = Report.objects.get(interview=interview)
    services.report_compile(report_id=report.pk)


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


def case_plan(case: CaseStudy, criteria: list[str]) -> dict:
    """What the load generator may send in a room on this case: the step keys, the rubric's
    criteria, and every hint and curveball (each can be delivered once)."""
    steps = list(case.framework.steps.order_by("position").values_list("key", flat=True))
    deliveries = []
    for step in CaseStep.objects.filter(case_study=case).select_related("framework_step"):
        deliveries += [[step.key, "hint", i] for i in range(len(step.hints))]
        deliveries += [[step.key, "curveball", i] for i in range(len(step.curveballs))]
    return {"steps": steps, "criteria": criteria, "deliveries": deliveries}


def load_sessions(count: int) -> tuple[list[dict], dict]:
    cases = published_cases()
    plans = {}
    sessions = []
    for n in range(count):
        case = cases[n % len(cases)]
        interviewer, candidate = user("interviewer"), user("candidate")
        interview = live_interview(interviewer, candidate, case)
        if case.pk not in plans:
            criteria = Criterion.objects.filter(rubric_id=interview.rubric_id)
            criteria = list(criteria.values_list("key", flat=True))
            plans[case.pk] = case_plan(case, criteria)
        sessions.append(
            {
                "interview": str(interview.pk),
                "interviewer_cookie": session_cookie(interviewer),
                "candidate_cookie": session_cookie(candidate),
                "plan": case.slug,
            }
        )
    by_slug = {case.slug: plans[case.pk] for case in cases if case.pk in plans}
    return sessions, by_slug


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="migrate and load the question bank")
    rooms = sub.add_parser("sessions", help="create live interviews for the load generator")
    rooms.add_argument("--count", type=int, required=True)
    rooms.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    fast_writes()
    if args.command == "prepare":
        prepare_database()
        print(f"migrated and loaded in {time.perf_counter() - started:.1f}s", file=sys.stderr)
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

"""The one place tests build objects. Plain functions with sensible defaults."""

import itertools
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import services as account_services
from casestudies import services as case_services
from casestudies.models import CaseStep, CaseStudy, Framework
from feedback import services as feedback_services
from interviews import services as interview_services
from interviews import writebehind
from interviews.models import Interview
from rubrics import services as rubric_services
from rubrics.models import Criterion, Rubric

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def user(
    *,
    email: str | None = None,
    name: str | None = None,
    level: str = "senior",
    staff: bool = False,
    password: str = PASSWORD,
):
    n = next(_counter)
    email = email or f"user{n}@example.org"
    account = get_user_model().objects.create_user(
        username=email.split("@")[0] + str(n), email=email, password=password, is_staff=staff
    )
    if staff:
        account.groups.add(account_services.curators_group_ensure())
    EmailAddress.objects.create(user=account, email=email, verified=True, primary=True)
    account_services.profile_update(
        user=account, display_name=name or f"User {n}", target_level=level
    )
    return account


def reviewer(**kwargs):
    """A session reviewer: may read any interview's private notes and scores (logged)."""
    account = user(**kwargs)
    account.groups.add(account_services.reviewers_group_ensure())
    return account


def superuser(**kwargs):
    account = user(staff=True, **kwargs)
    account.is_superuser = True
    account.save(update_fields=["is_superuser"])
    return account


# --- The question bank and rubrics --------------------------------------------------------------

STEP_KEYS = ("clarify", "frame", "data", "features", "model", "serve", "monitor")


def load_bank():
    """Load the repository's content files (frameworks, case studies, rubrics), as
    ``manage.py load_content`` does; fails loudly if a file is refused."""
    report = rubric_services.content_load()
    assert not report.errors, report.errors
    return report


def framework(*, slug: str = "default", keys: tuple[str, ...] = STEP_KEYS):
    """A framework with one step per key (five minutes each); the existing one if the slug is
    taken."""
    existing = Framework.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    case_services.framework_upsert(
        doc={
            "format": 2,
            "slug": slug,
            "title": f"Framework {slug}",
            "description": "",
            "steps": [
                {
                    "key": key,
                    "title": f"Step {key}",
                    "purpose": f"What the {key} step is for.",
                    "covers": [f"the {key} topic", f"another {key} topic"],
                    "minutes": 5,
                }
                for key in keys
            ],
        }
    )
    return Framework.objects.get(slug=slug)


def step_doc(slug: str, key: str, *, complete: bool = True, critical: bool = False) -> dict:
    """One step guide in content format 2 with the minimum counts (or fewer when not complete),
    its signals and red flags tagged with the factory rubric's criterion of the step. Every text
    names the case and the step, so a test can look for it on a page."""
    tag = f"{slug} {key}"
    criterion = f"{key}-main"
    return {
        "probe": f"Probe text for {tag}.",
        "follow_ups": [f"Follow-up {n} for {tag}?" for n in (1, 2, 3)][: 3 if complete else 1],
        "hints": [f"Hint {n} for {tag}." for n in (1, 2)][: 2 if complete else 1],
        "curveballs": [{"text": f"Curveball for {tag}.", "expected": f"Expected answer for {tag}."}]
        if complete
        else [],
        "strong_signals": [
            {"text": f"Strong signal {n} for {tag}.", "criterion": criterion, "level": 3 + n % 2}
            for n in (1, 2, 3)
        ],
        "red_flags": [
            {
                "text": f"Red flag {n} for {tag}.",
                "criterion": criterion,
                "level": n,
                "critical": critical and n == 1,
            }
            for n in (1, 2)
        ],
        "expectations": {
            level: f"What a {level} candidate shows in {tag}."
            for level in ("mid", "senior", "staff")
        }
        if complete
        else {},
        "reference_notes": f"Reference notes for {tag}." if complete else "",
        "further_reading": [{"title": f"Reading for {tag}", "authors": "Doe et al.", "year": 2020}],
    }


CHECKLIST_LEVELS = ("mid", "mid", "senior", "senior", "senior", "staff")


def case_study_doc(
    *, slug: str | None = None, status: str = "published", complete: bool = True, **fields
) -> dict:
    """A case study content document (format 2, as ``content.parse_case_study`` returns it):
    complete (every step, minimum counts, a checklist of six, one critical red flag in the data
    step) or, with ``complete=False``, a draft with two thin steps, no diagram and no
    checklist."""
    slug = slug or f"case-{next(_counter)}"
    keys = STEP_KEYS if complete else STEP_KEYS[:2]
    doc = {
        "format": 2,
        "slug": slug,
        "title": f"Case study {slug}",
        "framework": "default",
        "status": status,
        "domain": "search",
        "difficulty": "medium",
        "tags": ["retrieval"],
        "author": "Sevensteps team",
        "reviewer": "",
        "summary": f"Summary of {slug}.",
        "prompt": f"Prompt of {slug}: design the system.",
        "diagram": "flowchart LR\n  A[Query] --> B[Model]\n" if complete else "",
        "weights": {},
        "checklist": [
            {
                "key": f"concept-{n}",
                "concept": f"Concept {n} of {slug}.",
                "step": STEP_KEYS[n % len(STEP_KEYS)],
                "level": level,
            }
            for n, level in enumerate(CHECKLIST_LEVELS, start=1)
        ]
        if complete
        else [],
        "steps": {
            key: step_doc(slug, key, complete=complete, critical=complete and key == "data")
            for key in keys
        },
    }
    doc.update(fields)
    return doc


def case_study(
    *, slug: str | None = None, status: str = "published", complete: bool = True, **fields
):
    """A case study in the database, written through the content service (the default
    framework is created if there is none)."""
    framework()
    doc = case_study_doc(slug=slug, status=status, complete=complete, **fields)
    case_services.case_study_upsert(doc=doc)
    return CaseStudy.objects.get(slug=doc["slug"])


def rubric(*, slug: str = "default"):
    """A rubric on the default framework (format 2): one criterion per step (weight 2) and a
    cross-cutting "communication" (weight 1), each with four anchors and expectations; the
    default rubric's bars, bands, evidence rules and hint caps."""
    framework()

    def criterion(key: str, step: str, weight: int) -> dict:
        return {
            "key": key,
            "step": step,
            "title": f"Criterion {key}",
            "description": f"What {key} looks at.",
            "weight": weight,
            "levels": {level: f"Anchor {level} of {key}." for level in (1, 2, 3, 4)},
            "expectations": {
                level: f"What a {level} candidate shows on {key}."
                for level in ("mid", "senior", "staff")
            },
        }

    rubric_services.rubric_upsert(
        doc={
            "format": 2,
            "slug": slug,
            "title": f"Rubric {slug}",
            "framework": "default",
            "description": "",
            "bars": {"mid": 2.5, "senior": 3.0, "staff": 3.5},
            "signal_bands": {
                "strong_hire": 0.5,
                "hire": 0.2,
                "lean_hire": 0.0,
                "lean_no_hire": -0.25,
                "no_hire": -0.75,
            },
            "evidence": {"min_coverage": 0.8, "required_steps": ["data", "serve", "monitor"]},
            "hint_caps": {"first": 3, "second": 2, "answer": 2},
            "criteria": [criterion(f"{key}-main", key, 2) for key in STEP_KEYS]
            + [criterion("communication", "", 1)],
        }
    )
    return Rubric.objects.get(slug=slug)


# --- Interviews: peer sessions and solo drills, live or finished ---------------------------------


@dataclass
class Session:
    """An interview with its people; ``actor(role)`` is what the services take."""

    interview: object
    interviewer: object
    candidate: object

    def actor(self, role: str) -> interview_services.Actor:
        person = self.interviewer if role == "interviewer" else self.candidate
        return interview_services.Actor(person, self.interview.pk, role, self.interview.is_solo)

    def refresh(self):
        self.interview.refresh_from_db()
        return self.interview


def _case(case_slug: str | None, *, bank: bool):
    if bank:
        if not CaseStudy.objects.filter(slug="visual-search").exists():
            load_bank()
        return CaseStudy.objects.get(slug=case_slug or "visual-search")
    existing = CaseStudy.objects.filter(slug=case_slug or "factory-case").first()
    if existing is not None:
        return existing
    if not Rubric.objects.filter(slug="default").exists():
        rubric()
    return case_study(slug=case_slug or "factory-case")


def interview(
    *,
    case_slug: str | None = None,
    bank: bool = False,
    level: str = "senior",
    interviewer=None,
    candidate=None,
) -> Session:
    """A peer interview, scheduled, with both participants joined. ``bank=True`` uses the
    repository's content (the real default rubric and case studies, loaded once per test);
    otherwise the small factory rubric and one complete case."""
    case = _case(case_slug, bank=bank)
    interviewer = interviewer or user(name="Ines Interviewer")
    candidate = candidate or user(name="Carl Candidate")
    created = interview_services.interview_create(
        user=interviewer, case_study=case, role="interviewer", target_level=level
    )
    interview_services.invite_accept(user=candidate, token=created.invite.token)
    return Session(created, interviewer, candidate)


def finished_interview(
    *,
    live_scores: dict | None = None,
    hints: bool = True,
    notes: bool = True,
    seconds: dict | None = None,
    **kwargs,
) -> Session:
    """A peer interview that went live and ended: status wrap-up. The interviewer sent a hint
    and a curveball and scored some criteria live (``live_scores``: key -> level or
    "not_observed"; by default the first two criteria)."""
    session = interview(**kwargs)
    interview_services.interview_start(actor=session.actor("interviewer"))
    interview_id, by = session.interview.pk, session.interviewer.pk
    batch = writebehind.Batch()
    now = timezone.now()
    if hints:
        batch.delivery(interview_id, "clarify", "hint", 0, _hint(session, "clarify"), by, now)
        batch.delivery(
            interview_id, "data", "curveball", 0, _hint(session, "data", "curveballs"), by, now
        )
    criteria = {
        key: (pk, key, step or "")
        for pk, key, step in Criterion.objects.filter(
            rubric_id=session.interview.rubric_id
        ).values_list("pk", "key", "framework_step__key")
    }
    keys = criterion_keys(session.interview)
    if live_scores is None:
        live_scores = {keys[0]: 3, keys[1]: 2}
    for key, value in live_scores.items():
        batch.score(
            interview_id,
            criteria[key],
            None if value == "not_observed" else value,
            value == "not_observed",
            f"Live evidence for {key}.",
            by,
            now,
        )
    writebehind.persist(batch)
    _finish(session, driver="interviewer", notes=notes, seconds=seconds)
    return session


def _hint(session: Session, step: str, field: str = "hints") -> str:
    guide = CaseStep.objects.get(case_study=session.interview.case_study, framework_step__key=step)
    item = getattr(guide, field)[0]
    return item["text"] if isinstance(item, dict) else item


def document_texts(session: Session, texts: dict[str, str], *, doc: str = "notes") -> None:
    """Write whole texts into a session's shared document, as the room would have stored
    them (a CRDT update and the plain text)."""
    batch = writebehind.Batch()
    author = session.interviewer if doc == "private" else session.candidate
    batch.document_texts(session.interview.pk, doc, texts, author.pk, timezone.now())
    writebehind.persist(batch)


def _finish(session: Session, *, driver: str, notes: bool, seconds: dict | None) -> None:
    if notes:
        document_texts(
            session,
            {
                f"notes:{key}": f"My notes on {key}: the first idea.\nAnd a trade-off for {key}."
                for key in STEP_KEYS[:5]
            },
        )
        document_texts(
            session,
            {"diagram": "flowchart LR\n  Q[Query] --> E[Embedding]\n  E --> A[ANN index]\n"},
            doc="diagram",
        )
    interview_services.interview_end(actor=session.actor(driver))
    clock = seconds or {
        key: minutes * 60 for key, minutes in zip(STEP_KEYS, (6, 4, 8, 5, 9, 6, 2), strict=True)
    }
    Interview.objects.filter(pk=session.interview.pk).update(elapsed=clock)
    session.refresh()


def solo_drill(*, finished: bool = True, notes: bool = True, **kwargs) -> Session:
    """A solo drill by a candidate; ``finished`` ends it (status wrap-up)."""
    case = _case(kwargs.pop("case_slug", None), bank=kwargs.pop("bank", False))
    candidate = kwargs.pop("candidate", None) or user(name="Sol Solo")
    created = interview_services.interview_create(
        user=candidate,
        case_study=case,
        role="candidate",
        target_level=kwargs.pop("level", "senior"),
        kind="solo",
    )
    session = Session(created, None, candidate)
    if finished:
        interview_services.interview_start(actor=session.actor("candidate"))
        _finish(session, driver="candidate", notes=notes, seconds=None)
    return session


def criterion_keys(interview_obj) -> list[str]:
    return list(
        Criterion.objects.filter(rubric_id=interview_obj.rubric_id)
        .order_by("position")
        .values_list("key", flat=True)
    )


def levels_for(interview_obj, *, level=3, **overrides) -> dict:
    """A level for every criterion of the interview's rubric (``overrides``: key -> level or
    "not_observed")."""
    return {key: overrides.get(key, level) for key in criterion_keys(interview_obj)}


def self_assess(session: Session, *, level=3, concepts=None, **overrides):
    """The candidate's self-assessment (``concepts``: their checklist ticks, key -> mark)."""
    keys = criterion_keys(session.interview)
    return feedback_services.assessment_submit(
        actor=session.actor("candidate"),
        levels=levels_for(session.interview, level=level, **overrides),
        notes={key: f"My reason for {key}." for key in keys},
        reflection="I rushed the data step and never got to monitoring.",
        concepts=concepts,
    )


def finalise(session: Session, *, level=3, concepts=None, flags=None, **overrides):
    """The interviewer's scorecard (``concepts``: checklist marks, key -> mark; ``flags``: red
    flag key -> observed)."""
    keys = criterion_keys(session.interview)
    return feedback_services.scorecard_finalise(
        actor=session.actor("interviewer"),
        levels=levels_for(session.interview, level=level, **overrides),
        evidence={key: f"Evidence for {key}: said something specific." for key in keys},
        strengths="Clear requirements up front.\n\n- Good metric choice",
        improvements="Spend less time on data; reach monitoring.",
        concepts=concepts,
        flags=flags,
    )


# --- Finding a partner ---------------------------------------------------------------------------


def partner_bank(count: int = 4) -> list:
    """Published cases for matching (on the factory rubric's framework), in several domains
    and difficulties."""
    if not Rubric.objects.filter(slug="default").exists():
        rubric()
    domains = ("search", "ads", "vision", "risk", "social", "logistics")
    difficulties = ("easy", "medium", "hard")
    cases = []
    for n in range(count):
        slug = f"partner-case-{n}"
        cases.append(
            CaseStudy.objects.filter(slug=slug).first()
            or case_study(
                slug=slug,
                domain=domains[n % len(domains)],
                difficulty=difficulties[n % len(difficulties)],
            )
        )
    return cases


def moderator(**kwargs):
    """A staff member with the partners app's moderation permission."""
    from django.contrib.auth.models import Permission

    account = user(staff=True, **kwargs)
    account.user_permissions.add(Permission.objects.get(codename="moderate_members"))
    return get_user_model().objects.get(pk=account.pk)  # fresh: no cached permissions


def cohort(name: str | None = None):
    from partners.models import Cohort

    return Cohort.objects.create(name=name or f"Cohort {next(_counter)}")


def member(account=None, *, cohort=None, zone: str = "UTC", across: bool = False, **user_kwargs):
    """A user with partner settings (an existing ``account``, or a new user)."""
    from partners.models import Member

    account = account or user(**user_kwargs)
    Member.objects.update_or_create(
        user=account,
        defaults={"cohort": cohort, "time_zone": zone, "match_across_cohorts": across},
    )
    return account


def partner_request(account, *, starts, roles="swap", level="senior", minutes=60, now=None, **kw):
    from partners import matchmaking

    return matchmaking.request_submit(
        user=account,
        roles=roles,
        target_level=level,
        minutes=minutes,
        starts=list(starts),
        now=now,
        **kw,
    )


def proposed_booking(*, start, now, roles=("swap", "swap"), levels=("senior", "senior"), **kw):
    """Two members of one cohort with requests for ``start``, matched by the service at
    ``now``: (first member, second member, booking). The first has waited longer."""
    from partners import matchmaking

    partner_bank()
    group = kw.pop("cohort", None) or cohort()
    a = kw.pop("a", None) or member(cohort=group, name="Ada Partner")
    b = kw.pop("b", None) or member(cohort=group, name="Bo Partner")
    partner_request(a, starts=[start], roles=roles[0], level=levels[0], now=now)
    partner_request(b, starts=[start], roles=roles[1], level=levels[1], now=now)
    made = matchmaking.requests_match(now=now)
    if not made:
        # With on-commit callbacks running (transactional tests), the matcher the second
        # request triggered may have paired them already.
        from partners.models import Booking

        made = [Booking.objects.filter(seats__user=a).filter(seats__user=b).get()]
    [booking] = made
    return a, b, booking


def confirmed_booking(*, start, now, **kw):
    from partners import bookings

    a, b, booking = proposed_booking(start=start, now=now, **kw)
    bookings.booking_confirm(user=a, booking_id=booking.pk, now=now)
    bookings.booking_confirm(user=b, booking_id=booking.pk, now=now)
    booking.refresh_from_db()
    return a, b, booking


def room_presence(user, interview_id, *, kind: str = "online", at=None) -> None:
    """What the room writes when someone's first socket opens ("online") or their last one
    closes ("offline"): one timeline event, here at a chosen moment."""
    from interviews.events import EventKind, event_record
    from interviews.models import Event

    event_record(interview_id=interview_id, kind=EventKind(kind), actor=user, role="")
    if at is not None:
        last = Event.objects.filter(interview_id=interview_id, actor=user).latest("id")
        Event.objects.filter(pk=last.pk).update(at=at)

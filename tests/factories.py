"""The one place tests build objects. Plain functions with sensible defaults."""

import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from casestudies import services as case_services
from casestudies.models import CaseStudy, Framework
from interviews import services as interview_services
from rubrics import services as rubric_services
from rubrics.models import Rubric

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
        account.groups.add(interview_services.curators_group_ensure())
    EmailAddress.objects.create(user=account, email=email, verified=True, primary=True)
    interview_services.profile_update(
        user=account, display_name=name or f"User {n}", target_level=level
    )
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


def step_doc(slug: str, key: str, *, complete: bool = True) -> dict:
    """One step guide with the minimum counts (or fewer when not complete). Every text names
    the case and the step, so a test can look for it on a page."""
    tag = f"{slug} {key}"
    return {
        "probe": f"Probe text for {tag}.",
        "follow_ups": [f"Follow-up {n} for {tag}?" for n in (1, 2, 3)][: 3 if complete else 1],
        "hints": [f"Hint {n} for {tag}." for n in (1, 2)][: 2 if complete else 1],
        "curveballs": [f"Curveball for {tag}."] if complete else [],
        "strong_signals": [f"Strong signal {n} for {tag}." for n in (1, 2, 3)],
        "red_flags": [f"Red flag {n} for {tag}." for n in (1, 2)],
        "reference_notes": f"Reference notes for {tag}." if complete else "",
        "further_reading": [f"Reading for {tag}"],
    }


def case_study_doc(
    *, slug: str | None = None, status: str = "published", complete: bool = True, **fields
) -> dict:
    """A case study content document: complete (every step, minimum counts) or, with
    ``complete=False``, a draft with two thin steps and no diagram."""
    slug = slug or f"case-{next(_counter)}"
    keys = STEP_KEYS if complete else STEP_KEYS[:2]
    doc = {
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
        "steps": {key: step_doc(slug, key, complete=complete) for key in keys},
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
    """A rubric on the default framework: one criterion per step (weight 2) and a
    cross-cutting "communication" (weight 1), each with four anchors."""
    framework()

    def criterion(key: str, step: str, weight: int) -> dict:
        return {
            "key": key,
            "step": step,
            "title": f"Criterion {key}",
            "description": f"What {key} looks at.",
            "weight": weight,
            "levels": {level: f"Anchor {level} of {key}." for level in (1, 2, 3, 4)},
        }

    rubric_services.rubric_upsert(
        doc={
            "slug": slug,
            "title": f"Rubric {slug}",
            "framework": "default",
            "description": "",
            "hire_thresholds": {"no_hire": 1.75, "lean_hire": 2.5, "hire": 3.0, "strong_hire": 3.5},
            "level_expectations": {"mid": 2.5, "senior": 3.0, "staff": 3.5},
            "criteria": [criterion(f"{key}-main", key, 2) for key in STEP_KEYS]
            + [criterion("communication", "", 1)],
        }
    )
    return Rubric.objects.get(slug=slug)

"""Writes to the question bank. The admin, the content commands and the tests all call these."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import content, selectors
from .models import (
    CaseStep,
    CaseStudy,
    Framework,
    FrameworkStep,
    Glossary,
    GlossaryTerm,
    GuideView,
)


class PublishRefused(Exception):
    def __init__(self, case: CaseStudy, missing: list[str]) -> None:
        self.case, self.missing = case, missing
        super().__init__(f"{case.slug} is incomplete: " + "; ".join(missing))


class SyncConflict(Exception):
    """The object was edited in the admin since it was last loaded or exported, and its file
    changed too: loading would throw away one of the two edits."""


@dataclass(frozen=True)
class UpsertResult:
    slug: str
    action: str  # "created", "updated", "unchanged"
    version: int


def sync_decision(*, stored_hash: str, db_hash: str, file_hash: str, force: bool) -> str:
    """Decide what loading a file does to an existing object.

    ``stored_hash`` is the hash of the document at the last load or export, ``db_hash`` of what
    the database holds now, ``file_hash`` of the file being loaded.
    """
    if file_hash in (stored_hash, db_hash):
        return "unchanged"
    if db_hash != stored_hash and not force:
        raise SyncConflict(
            "was edited in the admin since it was last loaded and its file changed too; "
            "run export_content to keep the admin edits, or load_content --force to keep the file"
        )
    return "update"


@transaction.atomic
def framework_upsert(*, doc: dict, force: bool = False) -> UpsertResult:
    """Create or update a framework and its steps from a validated document.

    Steps are matched by key: a step that disappears from the file is refused if case studies
    still use it (PROTECT), so no guide is silently orphaned.
    """
    file_hash = content.content_hash(doc)
    based_on = Framework.objects.get(slug=doc["based_on"]) if doc.get("based_on") else None
    framework = Framework.objects.filter(slug=doc["slug"]).first()
    if framework is None:
        framework = Framework.objects.create(
            slug=doc["slug"],
            title=doc["title"],
            description=doc["description"],
            based_on=based_on,
            content_hash=file_hash,
        )
        action = "created"
    else:
        db_hash = content.content_hash(selectors.framework_doc(framework))
        if (
            sync_decision(
                stored_hash=framework.content_hash,
                db_hash=db_hash,
                file_hash=file_hash,
                force=force,
            )
            == "unchanged"
        ):
            if framework.content_hash != file_hash:
                Framework.objects.filter(pk=framework.pk).update(content_hash=file_hash)
            return UpsertResult(framework.slug, "unchanged", framework.version)
        framework.title, framework.description = doc["title"], doc["description"]
        framework.based_on = based_on
        framework.version += 1
        framework.content_hash = file_hash
        framework.save()
        action = "updated"
    keys = [step["key"] for step in doc["steps"]]
    framework.steps.exclude(key__in=keys).delete()
    # Park positions out of the way first so reordering never trips the unique constraint.
    framework.steps.update(position=F("position") + 1000)
    for position, step in enumerate(doc["steps"], start=1):
        FrameworkStep.objects.update_or_create(
            framework=framework,
            key=step["key"],
            defaults={
                "position": position,
                "title": step["title"],
                "purpose": step["purpose"],
                "covers": step["covers"],
                "minutes": step["minutes"],
                "draws_from": step.get("draws_from", {}),
            },
        )
    return UpsertResult(framework.slug, action, framework.version)


def _apply_case_doc(case: CaseStudy, doc: dict) -> None:
    for name in content.CASE_FIELDS:
        # Not: the format (a property of files), the key, a relation, the guides.
        if name not in ("format", "slug", "framework", "steps"):
            setattr(case, name, doc[name])
    if case.status == CaseStudy.Status.PUBLISHED and case.published_at is None:
        case.published_at = timezone.now()


@transaction.atomic
def case_study_upsert(*, doc: dict, force: bool = False) -> UpsertResult:
    """Create or update a case study and its step guides from a validated document
    (``content.parse_case_study``).

    A changed document bumps the version. Runs in one transaction: a failure leaves the case
    study as it was.
    """
    file_hash = content.content_hash(content.case_study_canonical(doc))
    framework = Framework.objects.get(slug=doc["framework"])
    steps_by_key = {step.key: step for step in framework.steps.all()}
    case = (
        selectors.case_study_with_steps()
        .select_for_update(of=("self",))
        .filter(slug=doc["slug"])
        .first()
    )
    if case is None:
        case = CaseStudy(slug=doc["slug"], framework=framework, version=1)
        action = "created"
    else:
        db_hash = content.content_hash(selectors.case_study_doc(case))
        if (
            sync_decision(
                stored_hash=case.content_hash, db_hash=db_hash, file_hash=file_hash, force=force
            )
            == "unchanged"
        ):
            if case.content_hash != file_hash:
                CaseStudy.objects.filter(pk=case.pk).update(content_hash=file_hash)
            return UpsertResult(case.slug, "unchanged", case.version)
        if case.framework_id != framework.pk:
            case.framework = framework
        case.version += 1
        action = "updated"
    _apply_case_doc(case, doc)
    case.content_hash = file_hash
    case.save()
    case.steps.exclude(framework_step__key__in=list(doc["steps"])).delete()
    for key, step in doc["steps"].items():
        CaseStep.objects.update_or_create(
            case_study=case, framework_step=steps_by_key[key], defaults=step
        )
    return UpsertResult(case.slug, action, case.version)


@transaction.atomic
def glossary_upsert(*, doc: dict, slug: str = "glossary", force: bool = False) -> UpsertResult:
    """Create or update the glossary and its terms from a validated document
    (``glossary_content.parse_glossary``); terms are matched by key, and a changed document bumps
    the version."""
    file_hash = content.content_hash(doc)
    glossary = (
        selectors.glossary_with_terms().select_for_update(of=("self",)).filter(slug=slug).first()
    )
    if glossary is None:
        glossary = Glossary.objects.create(slug=slug, content_hash=file_hash)
        action = "created"
    else:
        db_hash = content.content_hash(selectors.glossary_doc(glossary))
        if (
            sync_decision(
                stored_hash=glossary.content_hash, db_hash=db_hash, file_hash=file_hash, force=force
            )
            == "unchanged"
        ):
            if glossary.content_hash != file_hash:
                Glossary.objects.filter(pk=glossary.pk).update(content_hash=file_hash)
            return UpsertResult(slug, "unchanged", glossary.version)
        glossary.version += 1
        glossary.content_hash = file_hash
        glossary.save()
        action = "updated"
    glossary.terms.exclude(key__in=[term["key"] for term in doc["terms"]]).delete()
    for term in doc["terms"]:
        GlossaryTerm.objects.update_or_create(
            glossary=glossary,
            key=term["key"],
            defaults={
                "term": term["term"],
                "aliases": term["aliases"],
                "definition": term["definition"],
            },
        )
    return UpsertResult(slug, action, glossary.version)


def glossary_mark_edited(*, glossary: Glossary) -> None:
    """An admin edit of the glossary or its terms bumps its version."""
    Glossary.objects.filter(pk=glossary.pk).update(version=F("version") + 1)
    glossary.refresh_from_db(fields=["version"])


def case_study_missing(*, case: CaseStudy) -> list[str]:
    case = selectors.case_study_with_steps().get(pk=case.pk)
    keys = [step.key for step in case.framework.steps.all()]
    return content.missing_for_completeness(selectors.case_study_doc(case), keys)


@transaction.atomic
def case_study_set_status(*, case: CaseStudy, status: str, reviewer: str = "") -> CaseStudy:
    """Move a case study through draft → in review → published → retired.

    Publishing (or sending for review) checks completeness and raises ``PublishRefused`` with
    what is missing instead of publishing half a case.
    """
    if status not in CaseStudy.Status.values:
        raise ValueError(f"unknown status {status!r}")
    if status in content.COMPLETE_STATUSES:
        missing = case_study_missing(case=case)
        if missing:
            raise PublishRefused(case, missing)
    updates = {"status": status, "version": F("version") + 1, "updated_at": timezone.now()}
    if status == CaseStudy.Status.PUBLISHED:
        updates["published_at"] = timezone.now()
        if reviewer:
            updates["reviewer"] = reviewer
    CaseStudy.objects.filter(pk=case.pk).update(**updates)
    case.refresh_from_db()
    return case


def case_study_mark_edited(*, case: CaseStudy) -> None:
    """An admin edit bumps the version (the content hash stays that of the last sync)."""
    # F(): two curators saving at once get two versions, not one lost bump.
    CaseStudy.objects.filter(pk=case.pk).update(version=F("version") + 1)
    case.refresh_from_db(fields=["version"])


def framework_mark_edited(*, framework: Framework) -> None:
    """An admin edit of a framework or its steps bumps its version."""
    Framework.objects.filter(pk=framework.pk).update(version=F("version") + 1)
    framework.refresh_from_db(fields=["version"])


def guide_view_record(*, user: User, case: CaseStudy, where: str) -> GuideView:
    """Record that ``user`` was shown the interviewer guide of ``case`` (call it where the page
    that shows the guide is rendered, after deciding that the user may see it)."""
    return GuideView.objects.create(
        user=user, case_study=case, case_version=case.version, where=where
    )

"""Writes to rubrics."""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError

from casestudies import content, framework_content, glossary_content
from casestudies import selectors as case_selectors
from casestudies import services as case_services
from casestudies.models import CaseStudy, Framework, Glossary
from casestudies.services import SyncConflict, UpsertResult, sync_decision

from . import selectors
from .content import parse_rubric
from .models import Criterion, CriterionLevel, Rubric


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@transaction.atomic
def rubric_upsert(*, doc: dict, force: bool = False) -> UpsertResult:
    """Create or update a rubric with its criteria and levels from a validated document; a
    changed document bumps the version. One transaction: a failure changes nothing."""
    file_hash = content.content_hash(doc)
    framework = Framework.objects.get(slug=doc["framework"])
    steps = {step.key: step for step in framework.steps.all()}
    rubric = selectors.rubric_with_criteria().filter(slug=doc["slug"]).first()
    if rubric is None:
        rubric = Rubric(slug=doc["slug"], version=1)
        action = "created"
    else:
        db_hash = content.content_hash(selectors.rubric_doc(rubric))
        if (
            sync_decision(
                stored_hash=rubric.content_hash, db_hash=db_hash, file_hash=file_hash, force=force
            )
            == "unchanged"
        ):
            if rubric.content_hash != file_hash:
                Rubric.objects.filter(pk=rubric.pk).update(content_hash=file_hash)
            return UpsertResult(rubric.slug, "unchanged", rubric.version)
        rubric.version += 1
        action = "updated"
    rubric.title, rubric.description, rubric.framework = doc["title"], doc["description"], framework
    for level, bar in doc["bars"].items():
        setattr(rubric, f"{level}_bar", _decimal(bar))
    for name, threshold in doc["signal_bands"].items():
        setattr(rubric, f"{name}_band", _decimal(threshold))
    rubric.min_coverage = _decimal(doc["evidence"]["min_coverage"])
    rubric.required_steps = list(doc["evidence"]["required_steps"])
    for name, cap in doc["hint_caps"].items():
        setattr(rubric, f"{name}_hint_cap", cap)
    rubric.content_hash = file_hash
    rubric.save()
    if action == "created":  # nothing to match: a handful of inserts, not one per row
        criteria = Criterion.objects.bulk_create(
            Criterion(
                rubric=rubric,
                position=position,
                key=item["key"],
                framework_step=steps[item["step"]] if item["step"] else None,
                title=item["title"],
                description=item["description"],
                weight=item["weight"],
                expectations=item["expectations"],
            )
            for position, item in enumerate(doc["criteria"], start=1)
        )
        CriterionLevel.objects.bulk_create(
            CriterionLevel(criterion=criterion, level=level, anchor=anchor)
            for criterion, item in zip(criteria, doc["criteria"], strict=True)
            for level, anchor in item["levels"].items()
        )
        return UpsertResult(rubric.slug, action, rubric.version)
    keys = [c["key"] for c in doc["criteria"]]
    # Criteria that left the file go; scores recorded against them keep them alive (PROTECT
    # in the interviews app), which makes the whole load fail rather than lose evidence.
    rubric.criteria.exclude(key__in=keys).delete()
    for position, item in enumerate(doc["criteria"], start=1):
        criterion, _ = Criterion.objects.update_or_create(
            rubric=rubric,
            key=item["key"],
            defaults={
                "position": position,
                "framework_step": steps[item["step"]] if item["step"] else None,
                "title": item["title"],
                "description": item["description"],
                "weight": item["weight"],
                "expectations": item["expectations"],
            },
        )
        for level, anchor in item["levels"].items():
            CriterionLevel.objects.update_or_create(
                criterion=criterion, level=level, defaults={"anchor": anchor}
            )
    return UpsertResult(rubric.slug, action, rubric.version)


# --- The whole bank: frameworks, case studies and rubrics from and to their folders ----------

CASESTUDIES_DIR = settings.BASE_DIR / "casestudies" / "content"
RUBRICS_DIR = settings.BASE_DIR / "rubrics" / "content"
# Where each kind of file lives, relative to the repository (and inside the admin's zip).
CASES, RUBRICS = "casestudies/content", "rubrics/content"
FRAMEWORKS, GLOSSARIES = f"{CASES}/frameworks", f"{CASES}/glossary"


@dataclass
class LoadReport:
    results: list[tuple[str, UpsertResult]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for _, result in self.results if result.action == action)


def _load_file(path: Path, parse, upsert, report: LoadReport, *, force: bool) -> None:
    source = _relative(path)
    try:
        doc = parse(content.load_yaml(path.read_text(encoding="utf-8"), source=source), source)
        report.results.append((source, upsert(doc=doc, force=force)))
    except content.ContentError as exc:
        report.errors.append(str(exc))
    except SyncConflict as exc:
        report.errors.append(f"{source}: {exc}")
    except (IntegrityError, ProtectedError) as exc:
        report.errors.append(f"{source}: the database refused it: {exc}")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


def _known_frameworks() -> dict[str, list[str]]:
    """Frameworks based on no other (what rubrics score and case studies are written per) ->
    their step keys."""
    frameworks: dict[str, list[str]] = {}
    for framework in Framework.objects.filter(based_on=None).prefetch_related("steps"):
        frameworks[framework.slug] = [step.key for step in framework.steps.all()]
    return frameworks


def framework_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The framework files in load order: (those based on no other, those based on another).
    The second load after the rubrics, whose criteria their steps draw from. A file that is not
    readable YAML is put first, where its error is reported."""
    bases: list[Path] = []
    derived: list[Path] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = content.load_yaml(path.read_text(encoding="utf-8"), source=str(path))
        except content.ContentError:
            data = {}
        (derived if framework_content.framework_base(data) else bases).append(path)
    return bases, derived


def content_load(
    *,
    casestudies_dir: Path = CASESTUDIES_DIR,
    rubrics_dir: Path = RUBRICS_DIR,
    force: bool = False,
) -> LoadReport:
    """Upsert every content file: frameworks, then rubrics, then case studies (their signals
    and red flags are tagged with the criteria of the rubric that scores their framework), then
    the glossary. Each file loads in its own transaction; a bad file is reported and skipped
    whole, the others still load."""
    report = LoadReport()
    bases, derived = framework_files(casestudies_dir / "frameworks")
    for path in bases:
        _load_file(
            path,
            lambda d, s: framework_content.parse_framework(d, source=s),
            case_services.framework_upsert,
            report,
            force=force,
        )
    frameworks = _known_frameworks()
    for path in sorted(rubrics_dir.glob("*.yaml")):
        _load_file(
            path,
            lambda d, s: parse_rubric(d, source=s, frameworks=frameworks),
            rubric_upsert,
            report,
            force=force,
        )
    criteria = _known_criteria()
    for path in derived:
        _load_file(
            path,
            lambda d, s: framework_content.parse_framework(
                d, source=s, bases=frameworks, criteria=criteria
            ),
            case_services.framework_upsert,
            report,
            force=force,
        )
    for path in sorted(casestudies_dir.glob("*.yaml")):
        _load_file(
            path,
            lambda d, s: content.parse_case_study(
                d, source=s, frameworks=frameworks, criteria=criteria
            ),
            case_services.case_study_upsert,
            report,
            force=force,
        )
    for path in sorted((casestudies_dir / "glossary").glob("*.yaml")):
        _load_file(
            path,
            lambda d, s: glossary_content.parse_glossary(d, source=s),
            partial(case_services.glossary_upsert, slug=path.stem),
            report,
            force=force,
        )
    return report


def _known_criteria() -> dict[str, dict[str, str]]:
    """Framework slug -> the criteria (key -> step key) of the rubric that scores it: what case
    studies tag their signals with."""
    return {
        framework.slug: selectors.criteria_for_framework(framework)
        for framework in Framework.objects.all()
    }


def bank_documents() -> list[tuple[str, dict, type, int]]:
    """Every framework, case study, rubric and glossary as its canonical document, with the path
    of its file relative to the repository (``casestudies/content/...``, ``rubrics/content/...``)
    and its model and id: what the export writes, and what the admin's download zips."""
    documents: list[tuple[str, dict, type, int]] = []
    for framework in (
        Framework.objects.select_related("based_on").prefetch_related("steps").order_by("slug")
    ):
        doc = case_selectors.framework_doc(framework)
        documents.append((f"{FRAMEWORKS}/{doc['slug']}.yaml", doc, Framework, framework.pk))
    orders: dict[int, list[str]] = {}  # framework id -> its rubric's criteria, in order
    for case in case_selectors.case_study_with_steps().order_by("slug"):
        if case.framework_id not in orders:
            orders[case.framework_id] = list(selectors.criteria_for_framework(case.framework))
        doc = case_selectors.case_study_doc(case, criteria_order=orders[case.framework_id])
        documents.append((f"{CASES}/{doc['slug']}.yaml", doc, CaseStudy, case.pk))
    for rubric in selectors.rubric_with_criteria().order_by("slug"):
        doc = selectors.rubric_doc(rubric)
        documents.append((f"{RUBRICS}/{doc['slug']}.yaml", doc, Rubric, rubric.pk))
    for glossary in case_selectors.glossary_with_terms().order_by("slug"):
        doc = case_selectors.glossary_doc(glossary)
        documents.append((f"{GLOSSARIES}/{glossary.slug}.yaml", doc, Glossary, glossary.pk))
    return documents


def content_export(
    *, casestudies_dir: Path = CASESTUDIES_DIR, rubrics_dir: Path = RUBRICS_DIR
) -> list[Path]:
    """Write every framework, rubric, case study and glossary to its file in canonical form, and
    mark each as in sync with its file."""
    folders = {CASES: casestudies_dir, RUBRICS: rubrics_dir}
    written = []
    for relative, doc, model, pk in bank_documents():
        top, _, rest = relative.partition("/content/")
        path = folders[f"{top}/content"] / rest
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(_write(path, doc, model, pk))
    return written


def _write(path: Path, doc: dict, model, pk: int) -> Path:
    path.write_text(content.dump_yaml(doc), encoding="utf-8")
    model.objects.filter(pk=pk).update(content_hash=content.content_hash(doc))
    return path


def rubric_mark_edited(*, rubric: Rubric) -> None:
    """An admin edit of a rubric, its criteria or their anchors bumps the rubric's version."""
    Rubric.objects.filter(pk=rubric.pk).update(version=F("version") + 1)
    rubric.refresh_from_db(fields=["version"])

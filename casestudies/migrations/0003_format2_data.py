# Format 2, data: guide items that were plain strings become mappings, and objects that were in
# sync with their files stay in sync.
#
# Old rows held curveballs, strong signals, red flags and further reading as plain strings. They
# become {text, expected: ""}, {text, criterion: "", level: null}, {text, criterion: "",
# level: null, critical: false} and {title: <the string>}: untagged and unanswered, which the
# curators (or the format-2 files, loaded over them) fill in.
#
# A framework or case study whose stored content hash matched its document (nothing edited in
# the admin since the last load or export) gets the hash of its format-2 document, so loading
# the format-2 files updates it instead of reporting a conflict. One edited in the admin keeps
# its old hash: loading its changed file is then a conflict, as it should be (export_content or
# load_content --force decides).
#
# The document shapes are frozen here as they were on both sides of the change; the hash is
# the canonical one the loader compares with.

from django.db import migrations

from casestudies.content import content_hash

STEP_FIELDS_OLD = (
    "probe",
    "follow_ups",
    "hints",
    "curveballs",
    "strong_signals",
    "red_flags",
    "reference_notes",
    "further_reading",
)


def _to_v2(name, item):
    if not isinstance(item, str):
        return item
    if name == "curveballs":
        return {"text": item, "expected": ""}
    if name == "strong_signals":
        return {"text": item, "criterion": "", "level": None}
    if name == "red_flags":
        return {"text": item, "criterion": "", "level": None, "critical": False}
    return {"title": item}  # further_reading


def _to_v1(name, item):
    if isinstance(item, str):
        return item
    return item.get("title" if name == "further_reading" else "text", "")


CONVERTED = ("curveballs", "strong_signals", "red_flags", "further_reading")


def _framework_doc(framework, *, v2):
    doc = {"format": 2} if v2 else {}
    doc.update(
        slug=framework.slug,
        title=framework.title,
        description=framework.description,
        steps=[
            {
                "key": step.key,
                "title": step.title,
                "purpose": step.purpose,
                "covers": list(step.covers),
                "minutes": step.minutes,
            }
            for step in framework.steps.order_by("position")
        ],
    )
    return doc


def _order(item, fields):
    return {name: item[name] for name in fields if name in item}


def _case_doc_v1(case, steps):
    return {
        "slug": case.slug,
        "title": case.title,
        "framework": case.framework.slug,
        "status": case.status,
        "domain": case.domain,
        "difficulty": case.difficulty,
        "tags": list(case.tags),
        "author": case.author,
        "reviewer": case.reviewer,
        "summary": case.summary,
        "prompt": case.prompt,
        "diagram": case.diagram,
        "steps": {
            step.framework_step.key: {name: getattr(step, name) for name in STEP_FIELDS_OLD}
            for step in steps
        },
    }


def _case_doc_v2(case, steps):
    """As casestudies.selectors.case_study_doc wrote it when format 2 came in."""
    doc = {
        "format": 2,
        "slug": case.slug,
        "title": case.title,
        "framework": case.framework.slug,
        "status": case.status,
        "domain": case.domain,
        "difficulty": case.difficulty,
        "tags": list(case.tags),
        "author": case.author,
        "reviewer": case.reviewer,
        "summary": case.summary,
        "prompt": case.prompt,
        "diagram": case.diagram,
        "weights": dict(sorted(case.weights.items())),
        "checklist": [_order(i, ("key", "concept", "step", "level")) for i in case.checklist],
        "steps": {},
    }
    if not doc["weights"]:
        del doc["weights"]
    for step in steps:
        guide = {
            "probe": step.probe,
            "follow_ups": list(step.follow_ups),
            "hints": list(step.hints),
            "curveballs": [_order(i, ("text", "expected")) for i in step.curveballs],
            "strong_signals": [
                _order(i, ("text", "criterion", "level")) for i in step.strong_signals
            ],
            "red_flags": [
                {
                    name: value
                    for name, value in _order(i, ("text", "criterion", "level", "critical")).items()
                    if name != "critical" or value
                }
                for i in step.red_flags
            ],
            "expectations": _order(step.expectations, ("mid", "senior", "staff")),
            "reference_notes": step.reference_notes,
            "further_reading": [
                _order(i, ("title", "authors", "year", "url")) for i in step.further_reading
            ],
        }
        if not guide["expectations"]:
            del guide["expectations"]
        doc["steps"][step.framework_step.key] = guide
    return doc


def _convert(apps, *, forwards):
    Framework = apps.get_model("casestudies", "Framework")
    CaseStudy = apps.get_model("casestudies", "CaseStudy")
    before_doc, after_doc = (
        (_case_doc_v1, _case_doc_v2) if forwards else (_case_doc_v2, _case_doc_v1)
    )
    convert = _to_v2 if forwards else _to_v1

    for framework in Framework.objects.all():
        before = content_hash(_framework_doc(framework, v2=not forwards))
        if framework.content_hash == before:
            framework.content_hash = content_hash(_framework_doc(framework, v2=forwards))
            framework.save(update_fields=["content_hash"])

    for case in CaseStudy.objects.select_related("framework"):
        steps = list(case.steps.select_related("framework_step").order_by("framework_step__position"))
        in_sync = case.content_hash == content_hash(before_doc(case, steps))
        for step in steps:
            for name in CONVERTED:
                setattr(step, name, [convert(name, item) for item in getattr(step, name)])
            step.save(update_fields=list(CONVERTED))
        if in_sync:
            case.content_hash = content_hash(after_doc(case, steps))
            case.save(update_fields=["content_hash"])


def forwards(apps, schema_editor):
    _convert(apps, forwards=True)


def backwards(apps, schema_editor):
    _convert(apps, forwards=False)


class Migration(migrations.Migration):

    dependencies = [
        ("casestudies", "0002_format2"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]

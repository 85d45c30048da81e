"""An existing database migrates to content format 2: old rows are converted, and objects that
were in sync with their files stay in sync, so the format-2 files then load as updates."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from casestudies import content, selectors
from casestudies import services as case_services
from casestudies.models import CaseStep, CaseStudy, Framework
from rubrics import selectors as rubric_selectors
from tests import factories

BEFORE = [("casestudies", "0001_initial"), ("rubrics", "0001_initial")]
cases_0003 = importlib.import_module("casestudies.migrations.0003_format2_data")
rubrics_0003 = importlib.import_module("rubrics.migrations.0003_format2_data")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    """Every app's last migration: going back to the bank's first ones also unapplied the
    migrations of other apps that depend on later ones (the interview's framework)."""
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def old_bank(apps) -> None:
    """What format 1 left in the database: plain strings, thresholds, hashes of the old docs.
    "edited" was changed in the admin after its last load (its hash is stale)."""
    F = apps.get_model("casestudies", "Framework")
    FS = apps.get_model("casestudies", "FrameworkStep")
    C = apps.get_model("casestudies", "CaseStudy")
    CS = apps.get_model("casestudies", "CaseStep")
    R = apps.get_model("rubrics", "Rubric")
    Cr = apps.get_model("rubrics", "Criterion")
    L = apps.get_model("rubrics", "CriterionLevel")
    framework = F.objects.create(slug="default", title="Seven steps")
    steps = [
        FS.objects.create(framework=framework, position=n, key=key, title=key.title(), minutes=5)
        for n, key in enumerate(factories.STEP_KEYS, start=1)
    ]
    framework.content_hash = content.content_hash(cases_0003._framework_doc(framework, v2=False))
    framework.save()
    for slug in ("in-sync", "edited"):
        case = C.objects.create(
            slug=slug,
            title=slug,
            framework=framework,
            status="published",
            domain="search",
            difficulty="easy",
            prompt="Design it.",
            diagram="flowchart LR\n  A --> B\n",
        )
        for step in steps:
            CS.objects.create(
                case_study=case,
                framework_step=step,
                probe="Probe.",
                follow_ups=["Why?"],
                hints=["One.", "Two."],
                curveballs=["Labels arrive late."],
                strong_signals=["Asks first."],
                red_flags=["Random split."],
                reference_notes="Notes.",
                further_reading=["Some paper (topic)"] if step.key == "data" else [],
            )
        guides = list(
            case.steps.select_related("framework_step").order_by("framework_step__position")
        )
        case.content_hash = content.content_hash(cases_0003._case_doc_v1(case, guides))
        if slug == "edited":
            case.content_hash = "0" * 64
        case.save()
    rubric = R.objects.create(
        slug="default",
        title="Rubric",
        framework=framework,
        no_hire_min="1.75",
        lean_hire_min="2.50",
        hire_min="3.00",
        strong_hire_min="3.50",
        mid_bar="2.50",
        senior_bar="3.00",
        staff_bar="3.50",
    )
    for n, step in enumerate(steps, start=1):
        criterion = Cr.objects.create(
            rubric=rubric,
            position=n,
            key=f"{step.key}-main",
            framework_step=step,
            title=f"Criterion {step.key}",
            weight=2,
        )
        for level in (1, 2, 3, 4):
            L.objects.create(criterion=criterion, level=level, anchor=f"Anchor {level}.")
    rubric.content_hash = content.content_hash(
        rubrics_0003._doc_v1(rubric, rubrics_0003._criteria(rubric))
    )
    rubric.save()


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_migrates_and_then_takes_the_format_2_files():
    old_bank(migrate(BEFORE))

    migrate(latest())

    step = CaseStep.objects.get(case_study__slug="in-sync", framework_step__key="data")
    assert step.curveballs == [{"text": "Labels arrive late.", "expected": ""}]
    assert step.strong_signals == [{"text": "Asks first.", "criterion": "", "level": None}]
    assert step.red_flags == [
        {"text": "Random split.", "criterion": "", "level": None, "critical": False}
    ]
    assert step.further_reading == [{"title": "Some paper (topic)"}]
    assert step.expectations == {}
    rubric = rubric_selectors.rubric_with_criteria().get()
    assert (str(rubric.strong_hire_band), str(rubric.no_hire_band)) == ("0.50", "-0.75")
    assert (str(rubric.min_coverage), rubric.required_steps) == (
        "0.80",
        ["data", "serve", "monitor"],
    )
    assert (rubric.first_hint_cap, rubric.second_hint_cap, rubric.answer_hint_cap) == (3, 2, 2)
    assert rubric.criteria.first().expectations == {"mid": "", "senior": "", "staff": ""}
    rubric_selectors.scoring_policy(rubric)  # valid numbers for scoring

    # In sync before, in sync after: the hashes are those of the format-2 documents.
    in_sync = selectors.case_study_with_steps().get(slug="in-sync")
    assert in_sync.content_hash == content.content_hash(selectors.case_study_doc(in_sync))
    framework = Framework.objects.get()
    assert framework.content_hash == content.content_hash(selectors.framework_doc(framework))
    assert rubric.content_hash == content.content_hash(rubric_selectors.rubric_doc(rubric))
    assert CaseStudy.objects.get(slug="edited").content_hash == "0" * 64

    # So a format-2 file loads over the migrated case as an update; the one edited in the
    # admin is a conflict, as before.
    result = case_services.case_study_upsert(doc=factories.case_study_doc(slug="in-sync"))
    assert (result.action, result.version) == ("updated", 2)
    with pytest.raises(case_services.SyncConflict):
        case_services.case_study_upsert(doc=factories.case_study_doc(slug="edited"))

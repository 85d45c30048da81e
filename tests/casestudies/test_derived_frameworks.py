"""A framework based on another (the book layout beside the default): its steps draw the base's
steps and criteria, the loader checks that every step and criterion of the base lands in
exactly one of its steps, and refuses the file with a message naming the field otherwise.

On the small bank of ``tests/content`` (framework ``mini``: scope, model, launch) with a
derived framework written next to it.
"""

import shutil
from pathlib import Path

import pytest

from casestudies import content, framework_content
from casestudies.models import Framework
from rubrics import services
from rubrics.content import check_files

SMALL = Path(__file__).resolve().parents[1] / "content"

pytestmark = pytest.mark.django_db


def derived_doc(**changes) -> dict:
    """``mini`` in four steps: evaluation gets a step of its own, drawing one criterion."""
    doc = {
        "format": 2,
        "slug": "mini-eval",
        "title": "Four steps for tests",
        "description": "The small framework with evaluation on its own.",
        "based_on": "mini",
        "steps": [
            _step("scope", 5, steps=["scope"]),
            _step("build", 8, steps=["model"]),
            _step("evaluate", 4, criteria=["model-evaluation"]),
            _step("ship", 5, steps=["launch"]),
        ],
    }
    doc.update(changes)
    return doc


def _step(key: str, minutes: int, **draws) -> dict:
    return {
        "key": key,
        "title": f"The {key} step",
        "purpose": f"What {key} is for.",
        "covers": [f"{key} things"],
        "minutes": minutes,
        "draws_from": draws,
    }


@pytest.fixture
def bank(tmp_path) -> tuple[Path, Path]:
    cases, rubrics = tmp_path / "casestudies", tmp_path / "rubrics"
    shutil.copytree(SMALL / "casestudies", cases)
    shutil.copytree(SMALL / "rubrics", rubrics)
    return cases, rubrics


def write(bank, doc: dict) -> None:
    path = bank[0] / "frameworks" / f"{doc['slug']}.yaml"
    path.write_text(content.dump_yaml(doc), encoding="utf-8")


def load(bank) -> services.LoadReport:
    return services.content_load(casestudies_dir=bank[0], rubrics_dir=bank[1])


def test_a_derived_framework_loads_after_the_rubric_and_round_trips(bank, tmp_path):
    write(bank, derived_doc())

    report = load(bank)

    assert report.errors == []
    names = [Path(source).name for source, _ in report.results]
    # The base framework, its rubric, then the framework drawing on both, then the cases.
    assert names[:3] == ["mini.yaml", "mini.yaml", "mini-eval.yaml"]
    derived = Framework.objects.get(slug="mini-eval")
    assert derived.based_on.slug == "mini"
    assert [s.draws_from for s in derived.steps.all()] == [
        {"steps": ["scope"]},
        {"steps": ["model"]},
        {"criteria": ["model-evaluation"]},
        {"steps": ["launch"]},
    ]
    out = tmp_path / "out"
    services.content_export(casestudies_dir=out / "casestudies", rubrics_dir=out / "rubrics")
    written = out / "casestudies" / "frameworks" / "mini-eval.yaml"
    assert written.read_text() == (bank[0] / "frameworks" / "mini-eval.yaml").read_text()
    again = load(bank)
    assert again.errors == [] and again.count("unchanged") == len(again.results)


def test_criterion_steps_moves_a_listed_criterion_and_keeps_cross_cutting_ones_out():
    doc = derived_doc()
    criteria = {
        "scope-goal": "scope",
        "model-choice": "model",
        "model-evaluation": "model",
        "launch-plan": "launch",
        "communication": "",
    }

    assert framework_content.criterion_steps(doc["steps"], criteria) == {
        "scope-goal": "scope",
        "model-choice": "build",
        "model-evaluation": "evaluate",
        "launch-plan": "ship",
        "communication": "",
    }


def _draws(index: int, **draws):
    def change(doc):
        doc["steps"][index]["draws_from"] = draws

    return change


BAD = [
    (_draws(3, steps=[]), "steps", "no step draws 'launch' of 'mini'"),
    (
        _draws(3, steps=["launch", "model"]),
        "steps[3].draws_from.steps",
        "'model' is drawn by the step 'build' already",
    ),
    (_draws(3, steps=["deploy"]), "steps[3].draws_from.steps", "'deploy' is not a step of 'mini'"),
    (
        _draws(2, criteria=["model-quality"]),
        "steps[2].draws_from.criteria",
        "'model-quality' is not a criterion of 'mini''s rubric",
    ),
    (
        _draws(2, criteria=["communication"]),
        "steps[2].draws_from.criteria",
        "'communication' is cross-cutting",
    ),
    (
        _draws(1, steps=["model"], criteria=["model-choice"]),
        "steps[1].draws_from.criteria",
        "comes with the step 'model' this step draws already",
    ),
    (
        lambda d: d["steps"][3]["draws_from"].update(criteria=["model-evaluation"]),
        "steps[3].draws_from.criteria",
        "'model-evaluation' is moved to the step 'evaluate' already",
    ),
    (_draws(2), "steps[2].draws_from", "the step 'evaluate' scores no criterion"),
    (lambda d: d["steps"][0].pop("draws_from"), "steps[0].draws_from", "is required"),
    (lambda d: d.update(based_on="mini-eval"), "based_on", "unknown framework 'mini-eval'"),
    (
        lambda d: d["steps"][0]["draws_from"].update(sections=["scope"]),
        "steps[0].draws_from.sections",
        "unknown field",
    ),
]


@pytest.mark.parametrize(("change", "field", "problem"), BAD)
def test_a_derived_framework_that_does_not_cover_its_base_exactly_is_refused(
    bank, change, field, problem
):
    doc = derived_doc()
    change(doc)
    write(bank, doc)

    report = load(bank)

    [error] = report.errors
    assert f"frameworks/mini-eval.yaml: {field}: " in error
    assert problem in error
    assert not Framework.objects.filter(slug="mini-eval").exists()
    assert Framework.objects.filter(slug="mini").exists()  # the rest still loads
    # The command-line check finds the same problem without a database.
    _count, problems = check_files(bank[0], bank[1])
    assert any(problem in p and field in p for p in problems), problems


def test_a_base_framework_may_not_draw_from_another(bank):
    path = bank[0] / "frameworks" / "mini.yaml"
    data = content.load_yaml(path.read_text(), source=str(path))
    data["steps"][0]["draws_from"] = {"steps": ["scope"]}
    path.write_text(content.dump_yaml(data))

    report = load(bank)

    assert any(
        "frameworks/mini.yaml: steps[0].draws_from: only a framework with 'based_on'" in e
        for e in report.errors
    ), report.errors

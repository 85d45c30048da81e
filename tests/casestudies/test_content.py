"""The question bank as YAML files: loading, idempotence, the byte-for-byte round trip, refusals
that name file, field and problem, and conflicts between admin edits and file edits.

These run on a small bank of their own (``tests/content``: a three-step framework, its rubric,
a published case, a draft and a glossary), so that each test loads five files, not the whole
shipped bank; ``test_bank.py`` holds the checks of the shipped files.
"""

import io
import shutil
from functools import partial
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from casestudies import content
from casestudies import services as case_services
from casestudies.models import CaseStep, CaseStudy, Framework, Glossary, GlossaryTerm
from rubrics import services
from rubrics.content import criteria_by_step, parse_rubric
from rubrics.models import Criterion, Rubric
from tests import factories

SMALL = Path(__file__).resolve().parents[1] / "content"
FILES = 5  # framework, rubric, two case studies, glossary

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(tmp_path) -> tuple[Path, Path]:
    """A copy of the small bank to break or change."""
    cases, rubrics = tmp_path / "casestudies", tmp_path / "rubrics"
    shutil.copytree(SMALL / "casestudies", cases)
    shutil.copytree(SMALL / "rubrics", rubrics)
    return cases, rubrics


def load(bank: tuple[Path, Path], **kwargs) -> services.LoadReport:
    return services.content_load(casestudies_dir=bank[0], rubrics_dir=bank[1], **kwargs)


def rewrite(path: Path, change) -> None:
    """Parse a content file, let ``change`` edit the data, write it back in canonical form."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(content.dump_yaml(data), encoding="utf-8")


def results_by_file(report: services.LoadReport) -> dict[str, services.UpsertResult]:
    return {Path(source).name: result for source, result in report.results}


def same_files(left: Path, right: Path) -> None:
    names = sorted(p.relative_to(left) for p in left.rglob("*.yaml"))
    assert sorted(p.relative_to(right) for p in right.rglob("*.yaml")) == names
    for name in names:
        assert (right / name).read_bytes() == (left / name).read_bytes(), name


# --- Loading and the round trip ----------------------------------------------------------------


def test_the_bank_loads_every_file_in_order(bank):
    report = load(bank)

    assert report.errors == []
    assert [Path(source).name for source, _ in report.results] == [
        "mini.yaml",  # the framework first
        "mini.yaml",  # then its rubric, whose criteria the cases are tagged with
        "tiny-fraud.yaml",
        "tiny-search.yaml",
        "glossary.yaml",
    ]
    assert report.count("created") == FILES
    case = CaseStudy.objects.get(slug="tiny-search")
    assert case.weights == {"model-choice": 4, "scope-goal": 3}
    assert len(case.checklist) == 6
    model = case.steps.get(framework_step__key="model")
    assert model.red_flags[0] == {
        "text": "Skips the model step.",
        "criterion": "model-choice",
        "level": 1,
        "critical": True,
    }
    assert model.curveballs[0]["expected"].startswith("Keeps the model design")
    assert model.expectations["staff"] == "Covers the model costs and risks."
    rubric = Rubric.objects.get(slug="mini")
    assert (str(rubric.hire_band), str(rubric.min_coverage), rubric.required_steps) == (
        "0.20",
        "0.80",
        ["launch"],
    )
    assert (
        rubric.criteria.get(key="launch-plan").expectations["mid"]
        == "Covers launch-plan when asked."
    )
    assert GlossaryTerm.objects.get(key="calibration").aliases == ["calibrated"]


def test_loading_twice_changes_nothing(bank):
    load(bank)
    versions = dict(CaseStudy.objects.values_list("slug", "version"))

    again = load(bank)

    assert again.errors == []
    assert again.count("unchanged") == FILES
    assert dict(CaseStudy.objects.values_list("slug", "version")) == versions
    assert Rubric.objects.get().version == Glossary.objects.get().version == 1


def test_load_then_export_reproduces_the_files_byte_for_byte(bank, tmp_path):
    load(bank)
    out = tmp_path / "out"

    written = services.content_export(
        casestudies_dir=out / "casestudies", rubrics_dir=out / "rubrics"
    )

    assert len(written) == FILES
    same_files(SMALL, out)


def test_weights_are_written_in_the_rubric_order_of_criteria(bank, tmp_path):
    # The database keeps its own order (jsonb); the export writes the rubric's.
    load(bank)
    services.content_export(casestudies_dir=bank[0], rubrics_dir=bank[1])
    text = (bank[0] / "tiny-search.yaml").read_text()
    assert text.index("scope-goal: 3") < text.index("model-choice: 4")


def test_a_changed_file_bumps_the_version_of_that_case_only(bank):
    load(bank)
    rewrite(bank[0] / "tiny-search.yaml", lambda d: d.update(title="Tiny search, revised"))

    report = load(bank)

    results = results_by_file(report)
    assert (results["tiny-search.yaml"].action, results["tiny-search.yaml"].version) == (
        "updated",
        2,
    )
    assert report.count("unchanged") == FILES - 1
    assert CaseStudy.objects.get(slug="tiny-fraud").version == 1


def test_weights_out_of_the_rubric_order_are_refused_with_the_order_to_use(bank):
    def reorder(data):
        data["weights"] = dict(reversed(list(data["weights"].items())))

    rewrite(bank[0] / "tiny-search.yaml", reorder)
    [error] = load(bank).errors
    assert error.endswith(
        "tiny-search.yaml: weights: list the overrides in the rubric's order of criteria: "
        "scope-goal, model-choice"
    )


def test_a_changed_rubric_anchor_or_band_bumps_the_rubric_version(bank):
    load(bank)

    def change(data):
        data["criteria"][0]["levels"][4] = "A rewritten level 4 anchor."
        data["signal_bands"]["hire"] = 0.25

    rewrite(bank[1] / "mini.yaml", change)
    report = load(bank)

    assert results_by_file(report)["mini.yaml"].version == 2
    assert Criterion.objects.get(key="scope-goal").levels.get(level=4).anchor == (
        "A rewritten level 4 anchor."
    )
    assert str(Rubric.objects.get().hire_band) == "0.25"


def test_a_changed_glossary_bumps_its_version_and_drops_removed_terms(bank):
    load(bank)

    def change(data):
        data["terms"] = [t for t in data["terms"] if t["key"] != "recall"]
        data["terms"][0]["definition"] = "Two versions, random halves of the users, one metric."

    rewrite(bank[0] / "glossary" / "glossary.yaml", change)
    report = load(bank)

    assert results_by_file(report)["glossary.yaml"].version == 2
    assert sorted(GlossaryTerm.objects.values_list("key", flat=True)) == ["a-b-test", "calibration"]


# --- Refusals: the whole file, with file, field and problem named --------------------------------


def _step(data, key="model"):
    return data["steps"][key]


BAD_CASE_FILES = [
    pytest.param(lambda d: d.update(colour="blue"), "colour", "unknown field", id="unknown-field"),
    pytest.param(
        lambda d: d.pop("format"),
        "format",
        "is missing: this file is in the old format",
        id="old-format",
    ),
    pytest.param(lambda d: d.update(format=3), "format", "must be 2, not 3", id="future-format"),
    pytest.param(
        lambda d: d["steps"].pop("launch"), "steps.launch", "is missing", id="missing-step"
    ),
    pytest.param(
        lambda d: _step(d).update(hints=_step(d)["hints"][:1]),
        "steps.model.hints",
        "needs at least 2 items, found 1",
        id="few-hints",
    ),
    pytest.param(
        lambda d: _step(d).update(hints="One hint, not a list."),
        "steps.model.hints",
        "must be a list",
        id="wrong-type",
    ),
    pytest.param(
        lambda d: d.update(domain="gardening"), "domain", "'gardening'", id="unknown-domain"
    ),
    pytest.param(lambda d: d.update(slug="tiny-2"), "slug", "must equal the file name", id="slug"),
    pytest.param(
        lambda d: _step(d)["curveballs"][0].pop("expected"),
        "steps.model.curveballs[1].expected",
        "is required",
        id="unanswered-curveball",
    ),
    pytest.param(
        lambda d: _step(d)["curveballs"].__setitem__(0, "The budget halves."),
        "steps.model.curveballs",
        "item 1 must be a mapping with text, expected, found str",
        id="curveball-as-text",
    ),
    pytest.param(
        lambda d: _step(d)["strong_signals"][0].pop("criterion"),
        "steps.model.strong_signals[1].criterion",
        "is required",
        id="untagged-signal",
    ),
    pytest.param(
        lambda d: _step(d)["strong_signals"][0].update(criterion="launch-plan"),
        "steps.model.strong_signals[1].criterion",
        "'launch-plan' belongs to the 'launch' step",
        id="signal-of-another-step",
    ),
    pytest.param(
        lambda d: _step(d)["strong_signals"][0].update(level=2),
        "steps.model.strong_signals[1].level",
        "must be one of 3, 4, not 2",
        id="signal-at-level-2",
    ),
    pytest.param(
        lambda d: _step(d)["red_flags"][0].update(critical=False),
        "steps",
        "marks 1 or 2 red flags 'critical: true'",
        id="no-critical-flag",
    ),
    pytest.param(
        lambda d: [
            f.update(critical=True)
            for k in ("scope", "launch")
            for f in _step(d, k)["red_flags"][:1]
        ],
        "steps",
        "found 3",
        id="three-critical-flags",
    ),
    pytest.param(
        lambda d: d.update(checklist=d["checklist"][:5]),
        "checklist",
        "needs at least 6 items, found 5",
        id="short-checklist",
    ),
    pytest.param(
        lambda d: d["checklist"][1].update(key="goal-metric"),
        "checklist[2].key",
        "'goal-metric' is used twice",
        id="checklist-key-twice",
    ),
    pytest.param(
        lambda d: _step(d).pop("expectations"),
        "steps.model.expectations",
        "is required",
        id="no-expectations",
    ),
    pytest.param(
        lambda d: d.update(weights={"data-labels": 3}),
        "weights.data-labels",
        "is not a criterion of the rubric",
        id="weight-of-unknown-criterion",
    ),
    pytest.param(
        lambda d: _step(d)["further_reading"].append(
            {"title": "Embeddings (topic)", "url": "https://example.org/"}
        ),
        "steps.model.further_reading[3].title",
        "is a placeholder",
        id="placeholder-reading",
    ),
    pytest.param(
        lambda d: _step(d)["further_reading"].append({"title": "A paper someone mentioned"}),
        "steps.model.further_reading[3].title",
        "needs a url, or authors and a year",
        id="unfindable-reading",
    ),
    pytest.param(
        lambda d: _step(d).update(probe="Ask about feature- store lag.\n"),
        "steps.model.probe",
        "has a hyphen left by a line break ('Ask about feature- store lag.')",
        id="broken-hyphen",
    ),
]


@pytest.mark.parametrize(("change", "field", "problem"), BAD_CASE_FILES)
def test_a_bad_case_file_is_refused_whole_while_the_others_load(bank, change, field, problem):
    rewrite(bank[0] / "tiny-search.yaml", change)

    report = load(bank)

    assert len(report.errors) == 1
    error = report.errors[0]
    assert "tiny-search.yaml: " + field + ": " in error, error
    assert problem in error, error
    assert not CaseStudy.objects.filter(slug="tiny-search").exists()
    assert CaseStudy.objects.filter(slug="tiny-fraud").exists()
    assert Rubric.objects.count() == Glossary.objects.count() == 1


def test_invalid_yaml_is_refused_with_the_line_it_broke_on(bank):
    (bank[0] / "tiny-search.yaml").write_text(
        "format: 2\nslug: tiny-search\ntitle: [never closed\n", encoding="utf-8"
    )

    report = load(bank)

    assert len(report.errors) == 1
    assert "tiny-search.yaml: is not valid YAML at line" in report.errors[0]
    assert not CaseStudy.objects.filter(slug="tiny-search").exists()


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            lambda d: d["criteria"][2]["levels"].pop(4),
            "criteria[2].levels",
            "exactly the levels 1, 2, 3 and 4",
        ),
        (lambda d: d["signal_bands"].update(hire=0.6), "signal_bands", "bands must fall"),
        (lambda d: d["signal_bands"].update(lean_hire=0.1), "signal_bands.lean_hire", "must be 0"),
        (lambda d: d["bars"].update(senior=2.4), "bars", "bars must rise"),
        (lambda d: d["hint_caps"].update(second=4), "hint_caps.second", "cannot allow more"),
        (
            lambda d: d["evidence"].update(required_steps=["deploy"]),
            "evidence.required_steps",
            "'deploy' is not a step",
        ),
        (lambda d: d["criteria"][0].pop("expectations"), "criteria[0].expectations", "is required"),
        (lambda d: d.pop("hint_caps"), "hint_caps", "is required"),
    ],
)
def test_a_bad_rubric_is_refused_and_its_cases_say_why_they_cannot_be_checked(
    bank, change, field, problem
):
    rewrite(bank[1] / "mini.yaml", change)

    report = load(bank)

    rubric_error = next(e for e in report.errors if "rubrics/mini.yaml" in e)
    assert f"mini.yaml: {field}: " in rubric_error
    assert problem in rubric_error
    assert not Rubric.objects.exists()
    # Nothing to check the tagged signals against: both cases are refused, and say so.
    case_errors = [e for e in report.errors if e is not rubric_error]
    assert len(case_errors) == 2
    assert all("no rubric scores this case's framework" in e for e in case_errors), case_errors
    assert Framework.objects.count() == 1


def test_a_bad_glossary_is_refused_and_names_the_problem(bank):
    def change(data):
        data["terms"][1]["aliases"].append("Recall")  # recall's own term

    rewrite(bank[0] / "glossary" / "glossary.yaml", change)

    report = load(bank)

    [error] = report.errors
    assert error.endswith(
        "casestudies/glossary/glossary.yaml: terms[3].term: 'Recall' is already used by the term "
        "'calibration'"
    )
    assert not Glossary.objects.exists()
    assert CaseStudy.objects.count() == 2


def test_a_refused_file_leaves_the_loaded_version_untouched(bank):
    load(bank)
    before = CaseStudy.objects.get(slug="tiny-search")
    hints = CaseStep.objects.get(case_study=before, framework_step__key="model").hints

    def change(data):
        data["title"] = "Half an edit"
        _step(data).update(hints=_step(data)["hints"][:1])

    rewrite(bank[0] / "tiny-search.yaml", change)
    report = load(bank)

    assert len(report.errors) == 1
    after = CaseStudy.objects.get(slug="tiny-search")
    assert (after.title, after.version) == (before.title, before.version)
    assert CaseStep.objects.get(case_study=after, framework_step__key="model").hints == hints


def test_a_draft_may_be_incomplete_but_its_types_must_still_be_right(bank):
    assert load(bank).errors == []  # tiny-fraud: one thin step, no checklist, no diagram
    assert CaseStudy.objects.get(slug="tiny-fraud").steps.count() == 1

    def wrong_type(data):
        data["steps"]["scope"]["red_flags"] = [{"text": "Untagged.", "level": 1}]

    rewrite(bank[0] / "tiny-fraud.yaml", wrong_type)
    report = load(bank)
    assert len(report.errors) == 1
    assert report.errors[0].endswith(
        "tiny-fraud.yaml: steps.scope.red_flags[1].criterion: is required and must not be empty"
    )


def test_the_factory_documents_are_valid_format_2():
    # tests/factories.py writes cases straight through the service; the loader must agree.
    rubric = factories.rubric()
    criteria = {
        "default": criteria_by_step(
            {
                "criteria": [
                    {"key": c.key, "step": c.step_key}
                    for c in rubric.criteria.select_related("framework_step")
                ]
            }
        )
    }
    frameworks = {"default": list(factories.STEP_KEYS)}
    for status, complete in (("published", True), ("draft", False)):
        doc = factories.case_study_doc(slug="factory", status=status, complete=complete)
        parsed = content.parse_case_study(
            content.load_yaml(content.dump_yaml(doc), source="factory.yaml"),
            source="factory.yaml",
            frameworks=frameworks,
            criteria=criteria,
        )
        assert parsed == doc
        assert content.missing_for_completeness(parsed, frameworks["default"]) == (
            [] if complete else content.missing_for_completeness(doc, frameworks["default"])
        )


def test_the_rubric_validator_and_the_loader_agree_on_the_small_bank():
    from rubrics.content import check_files

    read, problems = check_files(SMALL / "casestudies", SMALL / "rubrics")
    assert (read, problems) == (FILES, [])
    doc = parse_rubric(
        content.load_yaml((SMALL / "rubrics" / "mini.yaml").read_text(), source="mini.yaml"),
        source="mini.yaml",
        frameworks={"mini": ["scope", "model", "launch"]},
    )
    assert criteria_by_step(doc)["communication"] == ""


# --- Admin edits against file edits --------------------------------------------------------------


def _edit_in_admin(slug: str, hint: str) -> None:
    """What a curator's save in the admin amounts to: a changed guide and a version bump."""
    case = CaseStudy.objects.get(slug=slug)
    step = case.steps.get(framework_step__key="scope")
    step.hints = [hint, *step.hints[1:]]
    step.save()
    case_services.case_study_mark_edited(case=case)


def test_an_admin_edit_survives_loading_the_unchanged_file(bank):
    load(bank)
    _edit_in_admin("tiny-search", "A hint written in the admin.")

    report = load(bank)

    assert report.errors == []
    step = CaseStep.objects.get(case_study__slug="tiny-search", framework_step__key="scope")
    assert step.hints[0] == "A hint written in the admin."


def test_a_conflict_is_refused_without_force_and_applied_with_it(bank):
    load(bank)
    _edit_in_admin("tiny-search", "A hint written in the admin.")
    rewrite(bank[0] / "tiny-search.yaml", lambda d: d.update(title="Changed in the file"))

    refused = load(bank)

    assert len(refused.errors) == 1
    assert "tiny-search.yaml: was edited in the admin" in refused.errors[0]
    assert "--force" in refused.errors[0]
    case = CaseStudy.objects.get(slug="tiny-search")
    assert case.title != "Changed in the file"

    forced = load(bank, force=True)

    assert forced.errors == []
    assert results_by_file(forced)["tiny-search.yaml"].action == "updated"
    case.refresh_from_db()
    assert case.title == "Changed in the file"
    step = case.steps.get(framework_step__key="scope")
    assert step.hints[0] != "A hint written in the admin."


def test_a_glossary_edited_in_the_admin_conflicts_with_a_changed_file(bank):
    load(bank)
    GlossaryTerm.objects.filter(key="recall").update(definition="Edited in the admin.")
    case_services.glossary_mark_edited(glossary=Glossary.objects.get())
    rewrite(bank[0] / "glossary" / "glossary.yaml", lambda d: d["terms"].pop())

    report = load(bank)

    assert len(report.errors) == 1
    assert "glossary.yaml: was edited in the admin" in report.errors[0]
    assert GlossaryTerm.objects.get(key="recall").definition == "Edited in the admin."


def test_exporting_after_an_admin_edit_writes_the_edit_and_clears_the_conflict(bank):
    load(bank)
    _edit_in_admin("tiny-search", "A hint written in the admin.")

    services.content_export(casestudies_dir=bank[0], rubrics_dir=bank[1])

    assert "A hint written in the admin." in (bank[0] / "tiny-search.yaml").read_text()
    assert load(bank).count("unchanged") == FILES


# --- Management commands --------------------------------------------------------------------------


@pytest.fixture
def commands_on(bank, monkeypatch):
    """load_content and export_content pointed at the small bank's copy."""
    monkeypatch.setattr(
        services,
        "content_load",
        partial(services.content_load, casestudies_dir=bank[0], rubrics_dir=bank[1]),
    )
    monkeypatch.setattr(
        services,
        "content_export",
        partial(services.content_export, casestudies_dir=bank[0], rubrics_dir=bank[1]),
    )
    return bank


def test_load_content_reports_what_it_did(commands_on):
    out = io.StringIO()
    call_command("load_content", stdout=out)
    assert f"{FILES} created, 0 updated, 0 unchanged, 0 refused" in out.getvalue()

    out = io.StringIO()
    call_command("load_content", stdout=out)
    assert f"0 created, 0 updated, {FILES} unchanged, 0 refused" in out.getvalue()


def test_load_content_fails_with_a_command_error_when_a_file_is_refused(commands_on):
    rewrite(commands_on[0] / "tiny-search.yaml", lambda d: _step(d).update(hints=["One."]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 content file"):
        call_command("load_content", stdout=io.StringIO(), stderr=err)

    assert "steps.model.hints: needs at least 2 items, found 1" in err.getvalue()
    assert CaseStudy.objects.count() == 1


def test_load_content_force_overrides_an_admin_edit(commands_on):
    call_command("load_content", stdout=io.StringIO())
    _edit_in_admin("tiny-search", "A hint written in the admin.")
    rewrite(commands_on[0] / "tiny-search.yaml", lambda d: d.update(title="Changed in the file"))
    with pytest.raises(CommandError):
        call_command("load_content", stdout=io.StringIO(), stderr=io.StringIO())

    call_command("load_content", "--force", stdout=io.StringIO())

    assert CaseStudy.objects.get(slug="tiny-search").title == "Changed in the file"


def test_export_content_writes_every_file(commands_on):
    call_command("load_content", stdout=io.StringIO())
    for path in commands_on[0].rglob("*.yaml"):
        path.unlink()
    out = io.StringIO()

    call_command("export_content", stdout=out)

    assert f"Exported {FILES} file(s)." in out.getvalue()
    same_files(SMALL, commands_on[0].parent)

"""The question bank as YAML files: loading, idempotence, the byte-for-byte round trip, refusals
that name file, field and problem, and conflicts between admin edits and file edits."""

import io
import shutil
from functools import partial
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from casestudies import content
from casestudies import services as case_services
from casestudies.models import CaseStep, CaseStudy, Framework
from rubrics import services
from rubrics.models import Criterion, Rubric

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "casestudies" / "content"
RUBRICS_DIR = ROOT / "rubrics" / "content"

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(tmp_path) -> tuple[Path, Path]:
    """A copy of the repository's content to break or change."""
    cases, rubrics = tmp_path / "casestudies", tmp_path / "rubrics"
    shutil.copytree(CASES_DIR, cases)
    shutil.copytree(RUBRICS_DIR, rubrics)
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


# --- The repository's bank -----------------------------------------------------------------------


def test_the_repository_bank_loads_every_file():
    report = services.content_load()
    assert report.errors == []
    assert len(report.results) == 16
    assert report.count("created") == 16
    assert Framework.objects.count() == 1
    assert CaseStudy.objects.count() == 14
    assert CaseStudy.objects.published().count() >= 12
    assert Rubric.objects.count() == 1


def test_every_case_in_the_bank_has_all_seven_steps_with_the_minimum_counts():
    services.content_load()
    framework = Framework.objects.get(slug="default")
    keys = [step.key for step in framework.steps.order_by("position")]
    assert keys == ["clarify", "frame", "data", "features", "model", "serve", "monitor"]
    for case in case_services.selectors.case_study_with_steps():
        assert [step.key for step in case.steps.all()] == keys, case.slug
        assert case.prompt.strip() and case.diagram.strip(), case.slug
        for step in case.steps.all():
            where = f"{case.slug}.{step.key}"
            assert step.probe.strip() and step.reference_notes.strip(), where
            for name, minimum in content.STEP_LISTS.items():
                assert len(getattr(step, name)) >= minimum, f"{where}.{name}"


def test_the_default_rubric_covers_every_step_and_the_cross_cutting_criteria():
    services.content_load()
    rubric = Rubric.objects.get(slug="default")
    criteria = list(rubric.criteria.select_related("framework_step").prefetch_related("levels"))
    for key in ("clarify", "frame", "data", "features", "model", "serve", "monitor"):
        assert sum(1 for c in criteria if c.step_key == key) >= 2, key
    cross = {c.key for c in criteria if not c.step_key}
    assert {"communication", "trade-offs", "time-management"} <= cross
    for criterion in criteria:
        assert [level.level for level in criterion.levels.all()] == [1, 2, 3, 4], criterion.key


def test_loading_twice_changes_nothing():
    services.content_load()
    versions = dict(CaseStudy.objects.values_list("slug", "version"))
    rubric_version = Rubric.objects.get().version

    again = services.content_load()

    assert again.errors == []
    assert again.count("unchanged") == 16
    assert dict(CaseStudy.objects.values_list("slug", "version")) == versions
    assert Rubric.objects.get().version == rubric_version


def test_load_then_export_reproduces_the_repository_files_byte_for_byte(tmp_path):
    services.content_load()
    cases_out, rubrics_out = tmp_path / "casestudies", tmp_path / "rubrics"

    written = services.content_export(casestudies_dir=cases_out, rubrics_dir=rubrics_out)

    assert len(written) == 16
    pairs = [
        (CASES_DIR, cases_out, "*.yaml"),
        (CASES_DIR / "frameworks", cases_out / "frameworks", "*.yaml"),
        (RUBRICS_DIR, rubrics_out, "*.yaml"),
    ]
    for source_dir, out_dir, pattern in pairs:
        names = sorted(p.name for p in source_dir.glob(pattern))
        assert sorted(p.name for p in out_dir.glob(pattern)) == names
        for name in names:
            assert (out_dir / name).read_bytes() == (source_dir / name).read_bytes(), name


def test_a_changed_file_bumps_the_version_of_that_case_only(bank):
    load(bank)
    rewrite(bank[0] / "visual-search.yaml", lambda d: d.update(title="Visual search, revised"))

    report = load(bank)

    results = results_by_file(report)
    assert results["visual-search.yaml"].action == "updated"
    assert results["visual-search.yaml"].version == 2
    assert report.count("unchanged") == 15
    case = CaseStudy.objects.get(slug="visual-search")
    assert (case.title, case.version) == ("Visual search, revised", 2)
    assert CaseStudy.objects.get(slug="video-search").version == 1


def test_a_changed_rubric_anchor_bumps_the_rubric_version(bank):
    load(bank)

    def change(data):
        data["criteria"][0]["levels"][4] = "A rewritten level 4 anchor."

    rewrite(bank[1] / "default.yaml", change)
    report = load(bank)
    assert results_by_file(report)["default.yaml"].version == 2
    first = Criterion.objects.get(
        key=yaml.safe_load((bank[1] / "default.yaml").read_text())["criteria"][0]["key"]
    )
    assert first.levels.get(level=4).anchor == "A rewritten level 4 anchor."


# --- Refusals: the whole file, with file, field and problem named --------------------------------


def _drop_step(data):
    del data["steps"]["monitor"]


def _one_hint(data):
    data["steps"]["data"]["hints"] = data["steps"]["data"]["hints"][:1]


def _hints_as_text(data):
    data["steps"]["clarify"]["hints"] = "Just one hint, not a list."


def _unknown_domain(data):
    data["domain"] = "gardening"


def _wrong_slug(data):
    data["slug"] = "visual-search-2"


def _unknown_field(data):
    data["colour"] = "blue"


BAD_CASE_FILES = [
    pytest.param(_unknown_field, "colour", "unknown field", id="unknown-field"),
    pytest.param(_drop_step, "steps.monitor", "is missing", id="missing-step"),
    pytest.param(_one_hint, "steps.data.hints", "needs at least 2 items, found 1", id="few-hints"),
    pytest.param(_hints_as_text, "steps.clarify.hints", "must be a list", id="wrong-type"),
    pytest.param(_unknown_domain, "domain", "'gardening'", id="unknown-domain"),
    pytest.param(_wrong_slug, "slug", "must equal the file name", id="slug-not-file-name"),
]


@pytest.mark.parametrize(("change", "field", "problem"), BAD_CASE_FILES)
def test_a_bad_case_file_is_refused_whole_while_the_others_load(bank, change, field, problem):
    rewrite(bank[0] / "visual-search.yaml", change)

    report = load(bank)

    assert len(report.errors) == 1
    error = report.errors[0]
    assert "visual-search.yaml: " + field + ": " in error
    assert problem in error
    assert not CaseStudy.objects.filter(slug__startswith="visual-search").exists()
    assert CaseStudy.objects.count() == 13
    assert Rubric.objects.count() == 1


def test_invalid_yaml_is_refused_with_the_line_it_broke_on(bank):
    (bank[0] / "visual-search.yaml").write_text(
        "slug: visual-search\ntitle: [never closed\nstatus: draft\n", encoding="utf-8"
    )

    report = load(bank)

    assert len(report.errors) == 1
    assert "visual-search.yaml: is not valid YAML at line" in report.errors[0]
    assert not CaseStudy.objects.filter(slug="visual-search").exists()
    assert CaseStudy.objects.count() == 13


def test_a_rubric_criterion_with_three_levels_is_refused(bank):
    def change(data):
        del data["criteria"][2]["levels"][4]

    rewrite(bank[1] / "default.yaml", change)

    report = load(bank)

    assert len(report.errors) == 1
    assert (
        "default.yaml: criteria[2].levels: must have exactly the levels 1, 2, 3 and 4"
        in (report.errors[0])
    )
    assert not Rubric.objects.exists()
    assert not Criterion.objects.exists()
    assert CaseStudy.objects.count() == 14


def test_a_refused_file_leaves_the_loaded_version_untouched(bank):
    load(bank)
    before = CaseStudy.objects.get(slug="visual-search")
    hints = CaseStep.objects.get(case_study=before, framework_step__key="data").hints

    def change(data):
        data["title"] = "Half an edit"
        _one_hint(data)

    rewrite(bank[0] / "visual-search.yaml", change)
    report = load(bank)

    assert len(report.errors) == 1
    after = CaseStudy.objects.get(slug="visual-search")
    assert (after.title, after.version) == (before.title, before.version)
    assert CaseStep.objects.get(case_study=after, framework_step__key="data").hints == hints


def test_a_draft_may_be_incomplete_but_its_types_must_still_be_right(bank):
    def incomplete(data):
        data["status"] = "draft"
        _drop_step(data)
        _one_hint(data)
        data["diagram"] = ""

    rewrite(bank[0] / "visual-search.yaml", incomplete)
    assert load(bank).errors == []
    assert CaseStudy.objects.get(slug="visual-search").steps.count() == 6

    def wrong_type(data):
        data["steps"]["clarify"]["hints"] = "not a list"

    rewrite(bank[0] / "visual-search.yaml", wrong_type)
    report = load(bank)
    assert len(report.errors) == 1
    assert report.errors[0].endswith(
        "visual-search.yaml: steps.clarify.hints: must be a list, found str"
    )


# --- Admin edits against file edits --------------------------------------------------------------


def _edit_in_admin(slug: str, hint: str) -> None:
    """What a curator's save in the admin amounts to: a changed guide and a version bump."""
    case = CaseStudy.objects.get(slug=slug)
    step = case.steps.get(framework_step__key="clarify")
    step.hints = [hint, *step.hints[1:]]
    step.save()
    case_services.case_study_mark_edited(case=case)


def test_an_admin_edit_survives_loading_the_unchanged_file(bank):
    load(bank)
    _edit_in_admin("visual-search", "A hint written in the admin.")

    report = load(bank)

    assert report.errors == []
    step = CaseStep.objects.get(case_study__slug="visual-search", framework_step__key="clarify")
    assert step.hints[0] == "A hint written in the admin."


def test_a_conflict_is_refused_without_force_and_applied_with_it(bank):
    load(bank)
    _edit_in_admin("visual-search", "A hint written in the admin.")
    rewrite(bank[0] / "visual-search.yaml", lambda d: d.update(title="Changed in the file"))

    refused = load(bank)

    assert len(refused.errors) == 1
    assert "visual-search.yaml: was edited in the admin" in refused.errors[0]
    assert "--force" in refused.errors[0]
    case = CaseStudy.objects.get(slug="visual-search")
    assert case.title != "Changed in the file"
    step = case.steps.get(framework_step__key="clarify")
    assert step.hints[0] == "A hint written in the admin."

    forced = load(bank, force=True)

    assert forced.errors == []
    assert results_by_file(forced)["visual-search.yaml"].action == "updated"
    case.refresh_from_db()
    assert case.title == "Changed in the file"
    step.refresh_from_db()
    assert step.hints[0] != "A hint written in the admin."


def test_exporting_after_an_admin_edit_writes_the_edit_and_clears_the_conflict(bank):
    load(bank)
    _edit_in_admin("visual-search", "A hint written in the admin.")

    services.content_export(casestudies_dir=bank[0], rubrics_dir=bank[1])

    assert "A hint written in the admin." in (bank[0] / "visual-search.yaml").read_text()
    assert load(bank).count("unchanged") == 16


# --- Management commands --------------------------------------------------------------------------


def test_load_content_reports_what_it_did():
    out = io.StringIO()
    call_command("load_content", stdout=out)
    assert "16 created, 0 updated, 0 unchanged, 0 refused" in out.getvalue()

    out = io.StringIO()
    call_command("load_content", stdout=out)
    assert "0 created, 0 updated, 16 unchanged, 0 refused" in out.getvalue()


def test_load_content_fails_with_a_command_error_when_a_file_is_refused(bank, monkeypatch):
    rewrite(bank[0] / "visual-search.yaml", _one_hint)
    monkeypatch.setattr(
        services,
        "content_load",
        partial(services.content_load, casestudies_dir=bank[0], rubrics_dir=bank[1]),
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 content file"):
        call_command("load_content", stdout=io.StringIO(), stderr=err)

    assert "steps.data.hints: needs at least 2 items, found 1" in err.getvalue()
    assert CaseStudy.objects.count() == 13


def test_load_content_force_overrides_an_admin_edit(bank, monkeypatch):
    monkeypatch.setattr(
        services,
        "content_load",
        partial(services.content_load, casestudies_dir=bank[0], rubrics_dir=bank[1]),
    )
    call_command("load_content", stdout=io.StringIO())
    _edit_in_admin("visual-search", "A hint written in the admin.")
    rewrite(bank[0] / "visual-search.yaml", lambda d: d.update(title="Changed in the file"))
    with pytest.raises(CommandError):
        call_command("load_content", stdout=io.StringIO(), stderr=io.StringIO())

    call_command("load_content", "--force", stdout=io.StringIO())

    assert CaseStudy.objects.get(slug="visual-search").title == "Changed in the file"


def test_export_content_writes_every_file(tmp_path, monkeypatch):
    services.content_load()
    monkeypatch.setattr(
        services,
        "content_export",
        partial(
            services.content_export,
            casestudies_dir=tmp_path / "casestudies",
            rubrics_dir=tmp_path / "rubrics",
        ),
    )
    out = io.StringIO()

    call_command("export_content", stdout=out)

    assert "Exported 16 file(s)." in out.getvalue()
    assert (tmp_path / "casestudies" / "visual-search.yaml").read_bytes() == (
        CASES_DIR / "visual-search.yaml"
    ).read_bytes()

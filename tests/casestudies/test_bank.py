"""The shipped question bank (``casestudies/content``, ``rubrics/content``): every file validates
under content format 2 and meets the bar the writers' brief sets, and the whole bank survives
load → export → load.

The files are read and validated once for the module (pure, no database); one test loads them
into the database. Behaviour of the loader is tested on a small bank in ``test_content.py``.
"""

import re
from pathlib import Path

import pytest

from casestudies import content, framework_content, glossary_content
from casestudies.models import CaseStudy, Framework, GlossaryTerm
from rubrics import services
from rubrics.content import check_files, criteria_by_step, parse_rubric
from rubrics.models import Rubric

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "casestudies" / "content"
RUBRICS_DIR = ROOT / "rubrics" / "content"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))
GLOSSARY_FILES = sorted((CASES_DIR / "glossary").glob("*.yaml"))
ALL_FILES = [
    *sorted((CASES_DIR / "frameworks").glob("*.yaml")),
    *sorted(RUBRICS_DIR.glob("*.yaml")),
    *CASE_FILES,
    *GLOSSARY_FILES,
]
STEP_KEYS = ["clarify", "frame", "data", "features", "model", "serve", "monitor"]
CROSS_CUTTING = {"communication", "trade-offs", "time-management", "technical-correctness"}
CROSS_CUTTING |= {"adaptability"}
ARXIV_RE = re.compile(r"^https://arxiv\.org/abs/\d{4}\.\d{4,5}(v\d+)?$")


def name(path: Path) -> str:
    return path.name


@pytest.fixture(scope="module")
def bank() -> dict:
    """Every shipped file parsed once, in the loader's order: frameworks, rubrics, case
    studies (against the rubric's criteria), the glossary. ``errors`` maps a file name to its
    refusal."""
    parsed: dict[str, dict] = {}
    errors: dict[str, str] = {}
    frameworks: dict[str, list[str]] = {}
    criteria: dict[str, dict[str, str]] = {}

    def read(path: Path) -> dict:
        return content.load_yaml(path.read_text(encoding="utf-8"), source=str(path))

    derived = []
    for path in sorted((CASES_DIR / "frameworks").glob("*.yaml")):
        if framework_content.framework_base(read(path)):
            derived.append(path)  # after the rubrics, whose criteria its steps draw from
            continue
        doc = framework_content.parse_framework(read(path), source=str(path))
        frameworks[doc["slug"]] = [step["key"] for step in doc["steps"]]
        parsed[f"frameworks/{path.name}"] = doc
    for path in sorted(RUBRICS_DIR.glob("*.yaml")):
        doc = parse_rubric(read(path), source=str(path), frameworks=frameworks)
        criteria[doc["framework"]] = criteria_by_step(doc)
        parsed[f"rubrics/{path.name}"] = doc
    for path in derived:
        parsed[f"frameworks/{path.name}"] = framework_content.parse_framework(
            read(path), source=str(path), bases=frameworks, criteria=criteria
        )
    for path in CASE_FILES:
        try:
            parsed[path.name] = content.parse_case_study(
                read(path), source=str(path), frameworks=frameworks, criteria=criteria
            )
        except content.ContentError as exc:
            errors[path.name] = str(exc)
    for path in GLOSSARY_FILES:
        try:
            parsed[f"glossary/{path.name}"] = glossary_content.parse_glossary(
                read(path), source=str(path)
            )
        except content.ContentError as exc:
            errors[f"glossary/{path.name}"] = str(exc)
    return {"docs": parsed, "errors": errors, "criteria": criteria, "frameworks": frameworks}


def case(bank: dict, path: Path) -> dict:
    """A case study's parsed document; a file that does not validate fails here, with why."""
    assert path.name not in bank["errors"], bank["errors"][path.name]
    return bank["docs"][path.name]


# --- Every file validates under format 2 ---------------------------------------------------------


def test_the_bank_has_the_classic_cases_and_a_glossary():
    assert len(CASE_FILES) >= 14
    assert [p.name for p in GLOSSARY_FILES] == ["glossary.yaml"]


@pytest.mark.parametrize("path", CASE_FILES, ids=name)
def test_every_case_file_validates_under_format_2(bank, path):
    doc = case(bank, path)
    assert doc["format"] == 2
    assert doc["status"] in ("published", "review", "draft", "retired")


def test_the_glossary_validates(bank):
    for path in GLOSSARY_FILES:
        key = f"glossary/{path.name}"
        assert key not in bank["errors"], bank["errors"][key]
        assert len(bank["docs"][key]["terms"]) >= 20


def test_the_command_line_check_agrees(bank):
    read, problems = check_files(CASES_DIR, RUBRICS_DIR)
    assert read == len(ALL_FILES)
    assert problems == [bank["errors"][k] for k in bank["errors"]]


# --- What every shipped case must have (the writers' brief) --------------------------------------


@pytest.mark.parametrize("path", CASE_FILES, ids=name)
def test_every_case_covers_every_step_with_expectations_for_each_level(bank, path):
    doc = case(bank, path)
    assert list(doc["steps"]) == STEP_KEYS
    for key, step in doc["steps"].items():
        assert step["probe"].strip() and step["reference_notes"].strip(), key
        for level in ("mid", "senior", "staff"):
            assert step["expectations"].get(level, "").strip(), f"{key}.expectations.{level}"
        for field, minimum in content.STEP_LISTS.items():
            assert len(step[field]) >= minimum, f"{key}.{field}"
    assert doc["prompt"].strip() and doc["diagram"].strip()


@pytest.mark.parametrize("path", CASE_FILES, ids=name)
def test_every_curveball_is_answered_and_every_signal_and_red_flag_tagged(bank, path):
    doc = case(bank, path)
    criteria = bank["criteria"][doc["framework"]]
    for key, step in doc["steps"].items():
        for n, curveball in enumerate(step["curveballs"], start=1):
            assert curveball["expected"].strip(), f"{key}.curveballs[{n}]"
        for field, levels in (("strong_signals", (3, 4)), ("red_flags", (1, 2))):
            for n, item in enumerate(step[field], start=1):
                where = f"{key}.{field}[{n}]"
                assert item["criterion"] in criteria, where
                assert criteria[item["criterion"]] in (key, ""), where
                assert item["level"] in levels, where


@pytest.mark.parametrize("path", CASE_FILES, ids=name)
def test_every_case_has_6_to_12_checklist_concepts_and_1_or_2_critical_red_flags(bank, path):
    doc = case(bank, path)
    assert 6 <= len(doc["checklist"]) <= 12
    levels = {item["level"] for item in doc["checklist"]}
    assert "senior" in levels, "mix the levels: most concepts are senior"
    critical = [f for s in doc["steps"].values() for f in s["red_flags"] if f["critical"]]
    assert 1 <= len(critical) <= 2
    assert all(flag["level"] == 1 for flag in critical), "critical red flags are level 1"
    assert len(doc["weights"]) <= 3, "at most two or three weight overrides"


@pytest.mark.parametrize("path", CASE_FILES, ids=name)
def test_every_reference_is_well_formed(bank, path):
    doc = case(bank, path)
    for key, step in doc["steps"].items():
        titles = [reading["title"] for reading in step["further_reading"]]
        assert len(set(titles)) == len(titles), f"{key}: a reading is listed twice"
        for reading in step["further_reading"]:
            where = f"{key}: {reading['title']}"
            assert "(topic)" not in reading["title"], where
            assert reading.get("url") or (reading.get("authors") and reading.get("year")), where
            url = reading.get("url", "")
            assert not url or content.URL_RE.match(url), where
            if "arxiv.org" in url:
                assert ARXIV_RE.match(url), f"{where}: cite the abstract page, arxiv.org/abs/<id>"


@pytest.mark.parametrize("path", ALL_FILES, ids=name)
def test_no_file_carries_a_todo_a_topic_placeholder_or_a_broken_hyphen(path):
    text = path.read_text(encoding="utf-8")
    assert "TODO" not in text
    assert "(topic)" not in text
    # The validator checks the parsed text; this checks the raw file, diagrams aside, the same
    # way (a hyphen, a space, a word that is not the second half of "pre- and post-").
    prose = re.sub(r"(?ms)^diagram: \|\n(?:  .*\n|\n)*", "", text)
    flat = " ".join(prose.split())
    match = content.BROKEN_HYPHEN_RE.search(flat)
    assert not match, flat[max(0, match.start() - 30) : match.end() + 30]


def test_the_default_rubric_covers_every_step_and_the_cross_cutting_criteria(bank):
    rubric = bank["docs"]["rubrics/default.yaml"]
    for key in STEP_KEYS:
        assert sum(1 for c in rubric["criteria"] if c["step"] == key) >= 2, key
    assert {c["key"] for c in rubric["criteria"] if not c["step"]} >= CROSS_CUTTING
    for criterion in rubric["criteria"]:
        assert list(criterion["levels"]) == [1, 2, 3, 4], criterion["key"]
        assert all(criterion["expectations"].values()), criterion["key"]
    assert rubric["signal_bands"]["lean_hire"] == 0


# --- The whole bank in the database, once -----------------------------------------------------


@pytest.mark.django_db
def test_the_bank_loads_exports_byte_for_byte_and_loads_again_unchanged(tmp_path):
    report = services.content_load()
    assert report.errors == []
    assert report.count("created") == len(ALL_FILES)
    assert Framework.objects.count() == 2  # the default and the book layout based on it
    assert Rubric.objects.count() == 1
    assert Framework.objects.get(slug="book").based_on.slug == "default"
    assert CaseStudy.objects.count() == len(CASE_FILES)
    assert CaseStudy.objects.published().count() >= 12
    assert GlossaryTerm.objects.exists()

    cases_out, rubrics_out = tmp_path / "casestudies", tmp_path / "rubrics"
    written = services.content_export(casestudies_dir=cases_out, rubrics_dir=rubrics_out)

    assert len(written) == len(ALL_FILES)
    for path in ALL_FILES:
        out = (cases_out if CASES_DIR in path.parents else rubrics_out) / path.relative_to(
            CASES_DIR if CASES_DIR in path.parents else RUBRICS_DIR
        )
        assert out.read_bytes() == path.read_bytes(), path.name
    again = services.content_load(casestudies_dir=cases_out, rubrics_dir=rubrics_out)
    assert again.errors == []
    assert again.count("unchanged") == len(ALL_FILES)


def test_the_book_framework_places_every_step_and_criterion_of_the_default_once(bank):
    book = bank["docs"]["frameworks/book.yaml"]
    criteria = bank["criteria"]["default"]
    owners = framework_content.criterion_steps(book["steps"], criteria)

    assert book["based_on"] == "default"
    assert [step["key"] for step in book["steps"]] == [
        "clarify",
        "frame",
        "data",
        "model",
        "evaluation",
        "serving",
        "monitoring",
    ]
    assert sum(step["minutes"] for step in book["steps"]) == 45
    drawn = [name for step in book["steps"] for name in step["draws_from"].get("steps", [])]
    assert sorted(drawn) == sorted(STEP_KEYS)
    assert owners["model-evaluation"] == owners["serve-experimentation"] == "evaluation"
    assert owners["features-signals"] == owners["data-labels"] == "data"
    assert owners["serve-architecture"] == "serving"
    assert owners["model-choice"] == "model"
    assert {key for key, step in owners.items() if not step} == CROSS_CUTTING
    assert set(owners.values()) - {""} == {step["key"] for step in book["steps"]}

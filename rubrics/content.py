"""Rubric content documents (``rubrics/content/<slug>.yaml``): validation, pure.

The scoring rules these numbers feed are in ``rubrics/scoring.py`` and, for people, in
``docs/scoring.md``.
"""

import itertools
from decimal import Decimal, InvalidOperation
from typing import Any

from casestudies.content import (
    FORMAT,
    TARGET_LEVELS,
    ContentError,
    Reader,
    check_format,
    check_slug_matches_file,
)

RUBRIC_FIELDS = (
    "format",
    "slug",
    "title",
    "framework",
    "description",
    "bars",
    "signal_bands",
    "evidence",
    "hint_caps",
    "criteria",
)
CRITERION_FIELDS = ("key", "step", "title", "description", "weight", "levels", "expectations")
# Where each hire signal starts, as a distance from the target level's bar (overall - bar),
# from the top down; below the last one is strong_no_hire.
BANDS = ("strong_hire", "hire", "lean_hire", "lean_no_hire", "no_hire")
EVIDENCE_FIELDS = ("min_coverage", "required_steps")
HINT_CAP_FIELDS = ("first", "second", "answer")


def _decimal(reader: Reader, name: str, low: Decimal, high: Decimal) -> Decimal:
    raw = reader.data.get(name)
    try:
        value = Decimal(str(raw)) if not isinstance(raw, bool) and raw is not None else None
    except InvalidOperation:
        value = None
    if value is None or not low <= value <= high:
        raise reader.fail(name, f"must be a number from {low} to {high}, not {raw!r}")
    if value != value.quantize(Decimal("0.01")):
        raise reader.fail(name, f"allows two decimals at most, not {raw!r}")
    return value


def _bars(reader: Reader) -> dict[str, float]:
    reader.only(TARGET_LEVELS)
    values = [_decimal(reader, name, Decimal(1), Decimal(4)) for name in TARGET_LEVELS]
    if any(a >= b for a, b in itertools.pairwise(values)):
        raise ContentError(reader.source, reader.path, "bars must rise from mid to staff")
    return {name: float(value) for name, value in zip(TARGET_LEVELS, values, strict=True)}


def _bands(reader: Reader) -> dict[str, float]:
    reader.only(BANDS)
    values = [_decimal(reader, name, Decimal(-3), Decimal(3)) for name in BANDS]
    if any(a <= b for a, b in itertools.pairwise(values)):
        raise ContentError(
            reader.source, reader.path, "bands must fall from strong_hire down to no_hire"
        )
    if values[BANDS.index("lean_hire")] != 0:
        # At the bar exactly is the first "hire" side signal: then "meets the bar" and a hire
        # signal always agree.
        raise reader.fail("lean_hire", "must be 0: a lean hire starts at the bar")
    return {name: float(value) for name, value in zip(BANDS, values, strict=True)}


def _evidence(reader: Reader, step_keys: list[str]) -> dict:
    reader.only(EVIDENCE_FIELDS)
    coverage = _decimal(reader, "min_coverage", Decimal("0.5"), Decimal(1))
    required = reader.lines("required_steps")
    for key in required:
        if key not in step_keys:
            raise reader.fail("required_steps", f"{key!r} is not a step of the framework")
    return {"min_coverage": float(coverage), "required_steps": required}


def _hint_caps(reader: Reader) -> dict[str, int]:
    reader.only(HINT_CAP_FIELDS)
    caps = {name: reader.level(name, (1, 2, 3, 4)) for name in HINT_CAP_FIELDS}
    if caps["second"] > caps["first"]:
        raise reader.fail("second", "a second hint cannot allow more than the first")
    return caps


def parse_rubric(data: dict, *, source: str, frameworks: dict[str, list[str]]) -> dict:
    top = Reader(data, source=source)
    top.only(RUBRIC_FIELDS)
    check_format(top)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "slug": top.key("slug"),
        "title": top.text("title", multiline=False, max_length=200),
        "framework": top.key("framework"),
        "description": top.text("description", required=False),
        "bars": _bars(top.nested("bars")),
        "signal_bands": _bands(top.nested("signal_bands")),
        "evidence": {},
        "hint_caps": _hint_caps(top.nested("hint_caps")),
        "criteria": [],
    }
    check_slug_matches_file(doc["slug"], source)
    if doc["framework"] not in frameworks:
        raise top.fail("framework", f"unknown framework {doc['framework']!r}")
    step_keys = frameworks[doc["framework"]]
    doc["evidence"] = _evidence(top.nested("evidence"), step_keys)
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise top.fail("criteria", "must be a non-empty list of criteria")
    seen = set()
    for index, raw in enumerate(raw_criteria):
        crit = Reader(raw, source=source, path=f"criteria[{index}]")
        crit.only(CRITERION_FIELDS)
        key = crit.key("key")
        if key in seen:
            raise crit.fail("key", f"{key!r} is used twice")
        seen.add(key)
        step = crit.text("step", required=False, multiline=False)
        if step and step not in step_keys:
            raise crit.fail(
                "step",
                f"{step!r} is not a step of {doc['framework']!r} "
                f"({', '.join(step_keys)}), nor '' for cross-cutting",
            )
        levels = crit.nested("levels")
        if sorted(levels.data, key=str) != [1, 2, 3, 4]:
            raise crit.fail("levels", "must have exactly the levels 1, 2, 3 and 4")
        expectations = crit.nested("expectations")
        expectations.only(TARGET_LEVELS)
        doc["criteria"].append(
            {
                "key": key,
                "step": step,
                "title": crit.text("title", multiline=False, max_length=120),
                "description": crit.text("description", required=False),
                "weight": crit.positive_int("weight", maximum=10),
                "levels": {level: levels.text(level, multiline=False) for level in (1, 2, 3, 4)},
                "expectations": {
                    level: expectations.line(level, max_length=600) for level in TARGET_LEVELS
                },
            }
        )
    for key in step_keys:
        if sum(1 for c in doc["criteria"] if c["step"] == key) < 1:
            raise top.fail("criteria", f"step {key!r} has no criterion")
    return doc


def criteria_by_step(doc: dict) -> dict[str, str]:
    """A parsed rubric's criterion key -> step key ("" for cross-cutting): what case studies
    tag their signals and red flags with."""
    return {c["key"]: c["step"] for c in doc["criteria"]}


def check_files(casestudies_dir, rubrics_dir) -> tuple[int, list[str]]:
    """Validate every content file without a database: frameworks, then rubrics, then case
    studies against them, then the glossary. Returns (files read, problems)."""
    from pathlib import Path

    from casestudies.content import load_yaml, parse_case_study
    from casestudies.framework_content import framework_base, parse_framework
    from casestudies.glossary_content import parse_glossary

    casestudies_dir, rubrics_dir = Path(casestudies_dir), Path(rubrics_dir)
    problems: list[str] = []
    count = 0
    frameworks: dict[str, list[str]] = {}
    criteria: dict[str, dict[str, str]] = {}

    def read(path):
        nonlocal count
        count += 1
        return load_yaml(path.read_text(encoding="utf-8"), source=str(path))

    derived = []
    for path in sorted((casestudies_dir / "frameworks").glob("*.yaml")):
        try:
            data = read(path)
            if framework_base(data):
                derived.append((path, data))  # after the rubrics its steps draw from
                continue
            doc = parse_framework(data, source=str(path))
            frameworks[doc["slug"]] = [step["key"] for step in doc["steps"]]
        except ContentError as exc:
            problems.append(str(exc))
    for path in sorted(rubrics_dir.glob("*.yaml")):
        try:
            doc = parse_rubric(read(path), source=str(path), frameworks=frameworks)
            criteria[doc["framework"]] = criteria_by_step(doc)
        except ContentError as exc:
            problems.append(str(exc))
    for path, data in derived:
        try:
            parse_framework(data, source=str(path), bases=frameworks, criteria=criteria)
        except ContentError as exc:
            problems.append(str(exc))
    for path in sorted(casestudies_dir.glob("*.yaml")):
        try:
            parse_case_study(read(path), source=str(path), frameworks=frameworks, criteria=criteria)
        except ContentError as exc:
            problems.append(str(exc))
    for path in sorted((casestudies_dir / "glossary").glob("*.yaml")):
        try:
            parse_glossary(read(path), source=str(path))
        except ContentError as exc:
            problems.append(str(exc))
    return count, problems


if __name__ == "__main__":  # python -m rubrics.content: check the repository's content files
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    read, found = check_files(root / "casestudies" / "content", root / "rubrics" / "content")
    for problem in found:
        print(problem)
    print(f"{read} files read, {len(found)} problem(s)")
    sys.exit(1 if found else 0)

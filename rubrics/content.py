"""Rubric content documents (``rubrics/content/<slug>.yaml``): validation, pure."""

import itertools
from decimal import Decimal, InvalidOperation

from casestudies.content import ContentError, Reader, check_slug_matches_file

RUBRIC_FIELDS = (
    "slug",
    "title",
    "framework",
    "description",
    "hire_thresholds",
    "level_expectations",
    "criteria",
)
CRITERION_FIELDS = ("key", "step", "title", "description", "weight", "levels")
THRESHOLDS = ("no_hire", "lean_hire", "hire", "strong_hire")
BARS = ("mid", "senior", "staff")


def _scores(reader: Reader, names: tuple[str, ...]) -> dict[str, float]:
    reader.only(names)
    values = {}
    for name in names:
        raw = reader.data.get(name)
        try:
            value = Decimal(str(raw)) if not isinstance(raw, bool) and raw is not None else None
        except InvalidOperation:
            value = None
        if value is None or not Decimal("1") <= value <= Decimal("4"):
            raise reader.fail(name, f"must be a number from 1.00 to 4.00, not {raw!r}")
        if value != value.quantize(Decimal("0.01")):
            raise reader.fail(name, f"allows two decimals at most, not {raw!r}")
        values[name] = raw
    ordered = [Decimal(str(values[name])) for name in names]
    if any(a >= b for a, b in itertools.pairwise(ordered)):
        raise ContentError(reader.source, reader.path, "values must be strictly increasing")
    return values


def parse_rubric(data: dict, *, source: str, frameworks: dict[str, list[str]]) -> dict:
    top = Reader(data, source=source)
    top.only(RUBRIC_FIELDS)
    doc = {
        "slug": top.key("slug"),
        "title": top.text("title", multiline=False, max_length=200),
        "framework": top.key("framework"),
        "description": top.text("description", required=False),
        "hire_thresholds": _scores(top.nested("hire_thresholds"), THRESHOLDS),
        "level_expectations": _scores(top.nested("level_expectations"), BARS),
        "criteria": [],
    }
    check_slug_matches_file(doc["slug"], source)
    if doc["framework"] not in frameworks:
        raise top.fail("framework", f"unknown framework {doc['framework']!r}")
    step_keys = frameworks[doc["framework"]]
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
        doc["criteria"].append(
            {
                "key": key,
                "step": step,
                "title": crit.text("title", multiline=False, max_length=120),
                "description": crit.text("description", required=False),
                "weight": crit.positive_int("weight", maximum=10),
                "levels": {level: levels.text(level, multiline=False) for level in (1, 2, 3, 4)},
            }
        )
    for key in step_keys:
        if sum(1 for c in doc["criteria"] if c["step"] == key) < 1:
            raise top.fail("criteria", f"step {key!r} has no criterion")
    return doc

"""Frameworks in content files: a framework's steps, and for a framework based on another, which
of the base's steps and rubric criteria each of its steps draws from (``draws_from``), checked
so that every base step and criterion lands in exactly one step. Pure functions over plain data,
like ``casestudies.content``; the rules are in ``docs/content-format.md``."""

from typing import Any

from .content import (
    FORMAT,
    ContentError,
    Criteria,
    Reader,
    check_format,
    check_slug_matches_file,
)

FRAMEWORK_FIELDS = ("format", "slug", "title", "description", "based_on", "steps")
FRAMEWORK_STEP_FIELDS = ("key", "title", "purpose", "covers", "minutes", "draws_from")
DRAWS_FROM_FIELDS = ("steps", "criteria")


def framework_base(data: Any) -> str:
    """The framework a framework file says it is based on ('' for none), read before the file
    is validated: loaders take frameworks based on another after the rubrics, whose criteria
    their steps draw from."""
    value = data.get("based_on") if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else ""


def parse_framework(
    data: dict,
    *,
    source: str,
    bases: dict[str, list[str]] | None = None,
    criteria: dict[str, Criteria] | None = None,
) -> dict:
    """Validate a framework document.

    A framework ``based_on`` another runs the other's case studies and rubric under its own
    steps: each of its steps says what it ``draws_from``, steps of the base (their guide
    sections and criteria) and criteria of the base's rubric moved from their step.
    ``bases`` maps a framework slug that is based on none to its step keys, ``criteria`` such a
    framework to its rubric's criteria (``check_draws`` says what must hold).
    """
    top = Reader(data, source=source)
    top.only(FRAMEWORK_FIELDS)
    check_format(top)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "slug": top.key("slug"),
        "title": top.text("title", multiline=False, max_length=200),
        "description": top.text("description", required=False),
    }
    based_on = top.key("based_on") if data.get("based_on") not in (None, "") else ""
    if based_on:
        doc["based_on"] = based_on
    doc["steps"] = []
    check_slug_matches_file(doc["slug"], source)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise top.fail("steps", "must be a non-empty list of steps")
    seen = set()
    for index, raw in enumerate(raw_steps):
        step = Reader(raw, source=source, path=f"steps[{index}]")
        step.only(FRAMEWORK_STEP_FIELDS)
        key = step.key("key")
        if key in seen:
            raise step.fail("key", f"{key!r} is used twice")
        seen.add(key)
        parsed = {
            "key": key,
            "title": step.text("title", multiline=False, max_length=100),
            "purpose": step.text("purpose", required=False),
            "covers": step.lines("covers"),
            "minutes": step.positive_int("minutes", maximum=120),
        }
        if based_on:
            draws = step.nested("draws_from")
            draws.only(DRAWS_FROM_FIELDS)
            parsed["draws_from"] = {
                name: items for name in DRAWS_FROM_FIELDS if (items := draws.lines(name))
            }
        elif "draws_from" in step.data:
            raise step.fail(
                "draws_from", "only a framework with 'based_on' draws from another's steps"
            )
        doc["steps"].append(parsed)
    if based_on:
        check_draws(top, doc, bases or {}, criteria or {})
    return doc


def check_draws(
    top: Reader, doc: dict, bases: dict[str, list[str]], criteria: dict[str, Criteria]
) -> None:
    """A framework based on another covers it exactly: every step of the base goes to exactly
    one of its steps (with the guide section and the criteria of that step), a criterion of the
    base's rubric may be moved to another step (listed once, by a step that does not draw its
    own step already), and every step scores at least one criterion. Cross-cutting criteria
    are scored over the whole interview, as in the base, and are not placed."""
    base = doc["based_on"]
    if base not in bases:
        known = ", ".join(sorted(bases)) or "none loaded"
        raise top.fail(
            "based_on",
            f"unknown framework {base!r}: it must be one that is based on no other "
            f"(known: {known})",
        )
    base_steps, rubric = bases[base], criteria.get(base) or {}
    if not rubric:
        raise top.fail("based_on", f"no rubric scores {base!r}, so nothing can be drawn from it")
    drawn: dict[str, str] = {}  # a base step -> the step that draws it
    moved: dict[str, str] = {}  # a criterion -> the step it is moved to
    for index, step in enumerate(doc["steps"]):
        where = Reader(step["draws_from"], source=top.source, path=f"steps[{index}].draws_from")
        for name in step["draws_from"].get("steps", []):
            if name not in base_steps:
                raise where.fail(
                    "steps", f"{name!r} is not a step of {base!r} ({', '.join(base_steps)})"
                )
            if name in drawn:
                raise where.fail(
                    "steps",
                    f"{name!r} is drawn by the step {drawn[name]!r} already; each step of "
                    f"{base!r} goes to exactly one",
                )
            drawn[name] = step["key"]
    for index, step in enumerate(doc["steps"]):
        where = Reader(step["draws_from"], source=top.source, path=f"steps[{index}].draws_from")
        for name in step["draws_from"].get("criteria", []):
            if name not in rubric:
                raise where.fail("criteria", f"{name!r} is not a criterion of {base!r}'s rubric")
            if not rubric[name]:
                raise where.fail(
                    "criteria",
                    f"{name!r} is cross-cutting: it is scored over the whole interview and is "
                    "not placed in a step",
                )
            if name in moved:
                raise where.fail(
                    "criteria", f"{name!r} is moved to the step {moved[name]!r} already"
                )
            if drawn.get(rubric[name]) == step["key"]:
                raise where.fail(
                    "criteria",
                    f"{name!r} comes with the step {rubric[name]!r} this step draws already; "
                    "list a criterion only to move it to another step",
                )
            moved[name] = step["key"]
    missing = [name for name in base_steps if name not in drawn]
    if missing:
        raise top.fail(
            "steps",
            f"no step draws {', '.join(repr(m) for m in missing)} of {base!r}; each step of "
            f"{base!r} goes to exactly one step",
        )
    owners = criterion_steps(doc["steps"], rubric)
    for index, step in enumerate(doc["steps"]):
        if step["key"] not in owners.values():
            raise ContentError(
                top.source,
                f"steps[{index}].draws_from",
                f"the step {step['key']!r} scores no criterion of {base!r}'s rubric; draw a "
                "step or a criterion of it",
            )


def criterion_steps(steps: list[dict], criteria: Criteria) -> dict[str, str]:
    """For the steps of a framework based on another: each criterion of the base's rubric ->
    the step it is scored in ('' for a cross-cutting one). A criterion goes where its step is
    drawn, unless a step lists it to move it."""
    section_owner = {
        name: step["key"] for step in steps for name in step["draws_from"].get("steps", [])
    }
    moved = {name: step["key"] for step in steps for name in step["draws_from"].get("criteria", [])}
    return {
        key: (moved.get(key) or section_owner.get(base, "")) if base else ""
        for key, base in criteria.items()
    }


# --- Case studies ------------------------------------------------------------------------------
